"""Write CSV files that a spreadsheet opens without running anything: text cells that would start a formula are escaped.

A cell whose text begins with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is read by Excel, LibreOffice
and Google Sheets as a formula (CSV injection: ``=HYPERLINK(...)`` in a text field of a return). Such text is written
with a leading apostrophe, as OWASP recommends, so the spreadsheet shows it as text. Plain numbers written as text
(``-5``, ``+44``, ``1e308``) and a lone ``-`` are not formulas and are left as they are. Every CSV the tool writes
goes through :func:`to_csv`.
"""

from __future__ import annotations

import logging
from typing import Any

import pandas as pd

logger = logging.getLogger(__name__)

__all__ = ["to_csv", "escape_cells", "FORMULA_PREFIXES"]

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
"""First characters that make a spreadsheet read a cell as a formula."""

_FORMULA = r"^[=+\-@\t\r]"
_NUMBER = r"^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$|^-$"


def to_csv(frame: pd.DataFrame | pd.Series, path_or_buf: Any = None, **kwargs: Any) -> str | None:
    """Write ``frame`` as CSV like :meth:`pandas.DataFrame.to_csv`, with formula-like text cells escaped.

    Cells, column names and a text index are escaped (see the module docstring); ``frame`` is not changed.
    """
    return escape_cells(frame).to_csv(path_or_buf, **kwargs)


def escape_cells(frame: pd.DataFrame | pd.Series) -> pd.DataFrame | pd.Series:
    """Return a copy of ``frame`` whose text cells (and labels) that would start a formula begin with ``'``."""
    if isinstance(frame, pd.Series):
        return _escape_series(frame)
    out = frame.copy()
    for col in out.columns:
        if _is_text(out[col]):
            out[col] = _escape_series(out[col])
    out.columns = _escape_index(out.columns)
    out.index = _escape_index(out.index)
    return out


def _is_text(values: pd.Series) -> bool:
    return (pd.api.types.is_object_dtype(values) or pd.api.types.is_string_dtype(values)
            or isinstance(values.dtype, pd.CategoricalDtype))


def _escape_series(values: pd.Series) -> pd.Series:
    if not _is_text(values):
        return values
    if isinstance(values.dtype, pd.CategoricalDtype):
        cats = pd.Series(values.cat.categories.astype(str))
        if not _risky(cats).any():
            return values
        values = values.astype(object)
    text = values.map(lambda v: v if isinstance(v, str) else None)
    risky = _risky(text.astype("string"))
    if not risky.any():
        return values
    logger.info("escaped %d cell(s) that would start a spreadsheet formula", int(risky.sum()))
    return values.mask(risky, "'" + text.where(risky, ""))


def _risky(text: pd.Series) -> pd.Series:
    s = text.astype("string")
    return (s.str.contains(_FORMULA, regex=True, na=False) & ~s.str.match(_NUMBER, na=False)).astype(bool)


def _escape_index(index: pd.Index) -> pd.Index:
    if isinstance(index, pd.MultiIndex) or not (pd.api.types.is_object_dtype(index)
                                                or pd.api.types.is_string_dtype(index)):
        return index
    return pd.Index(_escape_series(pd.Series(index, dtype=object)).to_numpy(), name=index.name)
