"""Write CSV files that a spreadsheet opens without running anything: text cells that would start a formula are escaped.

A cell whose text begins with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is read by Excel, LibreOffice
and Google Sheets as a formula (CSV injection: ``=HYPERLINK(...)`` in a text field of a return). Such text is written
with a leading apostrophe, as OWASP recommends, so the spreadsheet shows it as text. Plain numbers written as text
(``-5``, ``+44``, ``1e308``) and a lone ``-`` are not formulas and are left as they are. Every CSV the tool writes
goes through :func:`to_csv`, which also writes DfE's open-data layout (numbers numeric, symbols beside them).
"""

from __future__ import annotations

import logging
from typing import Any

import numpy as np
import pandas as pd

from geo.disclosure import open_data_columns

logger = logging.getLogger(__name__)

__all__ = ["to_csv", "escape_cells", "tidy_numbers", "FORMULA_PREFIXES"]

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
"""First characters that make a spreadsheet read a cell as a formula."""

_FORMULA = r"^[=+\-@\t\r]"
_NUMBER = r"^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$|^-$"


def to_csv(frame: pd.DataFrame | pd.Series, path_or_buf: Any = None, **kwargs: Any) -> str | None:
    """Write ``frame`` as CSV like :meth:`pandas.DataFrame.to_csv`, with formula-like text cells escaped.

    Cells, column names and a text index are escaped (see the module docstring), and numbers are written as a
    reader expects them (:func:`tidy_numbers`: counts as integers, percentages to 1 decimal place, other numbers
    to 4 significant figures); ``frame`` is not changed. Tables follow DfE's open-data convention
    (:func:`geo.disclosure.open_data_columns`): a column mixing numbers with "fewer than 5", "suppressed", "not
    applicable" … is written numeric, with DfE's symbol ("c", "x", "z", "k") in a ``<column>_symbol`` column beside
    it, so that pandas and a spreadsheet read every count as a number.
    """
    if isinstance(frame, pd.DataFrame):
        frame = open_data_columns(frame)
    return escape_cells(tidy_numbers(frame)).to_csv(path_or_buf, **kwargs)


def tidy_numbers(frame: pd.DataFrame | pd.Series) -> pd.DataFrame | pd.Series:
    """Return a copy whose float columns holding only whole numbers are integers (``336``, not ``336.0``).

    Other float columns are rounded: percentages (``pct_*``, ``*_pct``, ``percent``) to 1 decimal place; the rest
    to 4 significant figures (rates, ratios, intervals: ``0.5929``, not ``0.5928574088556213``), except coordinates
    (``easting``, ``northing``, ``lat``, ``lon``, ``x``, ``y``), which keep their value.
    """
    if isinstance(frame, pd.Series):
        return _tidy_series(frame)
    out = frame.copy()
    for col in out.columns:
        out[col] = _tidy_series(out[col])
    return out


def _tidy_series(values: pd.Series) -> pd.Series:
    if not pd.api.types.is_float_dtype(values):
        return values
    v = values.astype(float)
    if _whole(v):
        return v.round().astype("Int64")
    name = str(values.name or "").lower()
    if any(k in name for k in ("easting", "northing", "lat", "lon")) or name in {"x", "y"}:
        return values
    if name.startswith("pct") or name.endswith("pct") or "percent" in name:
        return v.round(1)
    mag = np.floor(np.log10(np.abs(v.where(v != 0))))
    scale = 10.0 ** (3 - mag.fillna(0))
    out = (np.round(v * scale) / scale).where(np.isfinite(v), v)
    return out.round().astype("Int64") if _whole(out) else out  # large estimates: 19,030.4 → 19030


def _whole(v: pd.Series) -> bool:
    """Whether every value is a finite whole number (missing allowed) that an integer column can hold."""
    finite = v[np.isfinite(v)]
    return bool(len(finite)) and len(finite) == int(v.notna().sum()) and bool(
        (finite == np.round(finite)).all() and (np.abs(finite) < 2**53).all())


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
