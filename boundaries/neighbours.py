"""DfE's children's services statistical neighbours (2025 model): each LA's ten closest comparators."""

from __future__ import annotations

import logging
from functools import lru_cache
from pathlib import Path
from typing import NamedTuple

import pandas as pd

from boundaries.codes import la_lookup, resolve_la
from geo.catalogue import data_path
from geo.errors import InputError, UnknownAreaCodeError, require_columns
from geo.settings import LA_VINTAGE

logger = logging.getLogger(__name__)

__all__ = ["NEIGHBOURS_PATH", "NEIGHBOURS_SOURCE", "Neighbour", "neighbours_table", "statistical_neighbours",
           "statistical_neighbours_closeness"]

NEIGHBOURS_PATH = "lookups/statistical_neighbours/sn_model_2025_wide.csv"
"""Mirror-relative path of DfE's 2025 statistical-neighbour model (``PROVENANCE-geography.md``)."""

NEIGHBOURS_SOURCE = "DfE, children's services statistical neighbours, 2025 model (sn_model_2025_wide.csv)"
"""Source line for every output that names an LA's statistical neighbours."""

_COUNT = 10
_COLUMNS = ["old_la_code", "la_name", "region_name"] + [f"SN_{k}{p}" for k in range(1, _COUNT + 1) for p in ("", "P")]


class Neighbour(NamedTuple):
    """One statistical neighbour of an LA, as DfE's model lists it."""

    la_code: str
    """ONS code (2024 vintage)."""
    la_name: str
    """DfE's name of the LA."""
    rank: int
    """1 (closest) to 10."""
    closeness: str
    """DfE's label: "Extremely close", "Very close", "Close", "Somewhat close" or "Not close"."""


def statistical_neighbours(la: str | int) -> list[str]:
    """ONS codes of an LA's ten DfE statistical neighbours, closest first (DfE's order).

    Parameters
    ----------
    la
        The LA as an ONS code, a DfE 3-digit number or a name (see :func:`boundaries.resolve_la`).

    Returns
    -------
    list of str
        Ten ONS codes of the 2024 vintage (the codes every table here is indexed by).

    Raises
    ------
    UnknownAreaCodeError
        If ``la`` is not an English upper-tier LA, or the model has no row for it.
    """
    return [n.la_code for n in statistical_neighbours_closeness(la)]


def statistical_neighbours_closeness(la: str | int) -> list[Neighbour]:
    """Return an LA's ten DfE statistical neighbours with their names, rank and DfE's closeness label.

    Raises
    ------
    UnknownAreaCodeError
        If ``la`` is not an English upper-tier LA, or the model has no row for it.
    """
    code = resolve_la(la, year=LA_VINTAGE)
    table = neighbours_table()
    rows = table[table["la_code"] == code]
    if rows.empty:
        raise UnknownAreaCodeError(f"{NEIGHBOURS_PATH}: no statistical-neighbour row for LA {code}; expected one "
                                   "of England's 153 upper-tier LAs of 2024")
    return [Neighbour(str(r.neighbour_code), str(r.neighbour_name), int(r.rank), str(r.closeness))
            for r in rows.sort_values("rank").itertuples()]


@lru_cache(maxsize=1)
def neighbours_table() -> pd.DataFrame:
    """DfE's 2025 statistical-neighbour model as a long table: one row per (LA, neighbour).

    Returns
    -------
    pandas.DataFrame
        ``la_code``, ``la_name``, ``rank`` (1-10, closest first), ``neighbour_code``, ``neighbour_name`` and
        ``closeness`` (label with DfE's trailing spaces removed). Codes are ONS codes of the 2024 vintage, mapped
        from DfE's LA numbers.

    Raises
    ------
    InputError
        If a row names an LA number that the DfE LA list does not know, or an LA lacks one of its ten.
    """
    path = _neighbours_file()
    raw = pd.read_csv(path, dtype=str, encoding="utf-8-sig", keep_default_na=False)
    require_columns(raw, _COLUMNS, path.name)
    lk = la_lookup()
    valid = lk[(lk["first_year"] <= LA_VINTAGE) & (lk["last_year"] >= LA_VINTAGE)]
    by_number = dict(zip(valid["dfe_la_number"], valid["la_code"], strict=True))
    names = dict(zip(raw["old_la_code"].str.strip(), raw["la_name"].str.strip(), strict=True))
    rows = []
    for i, r in enumerate(raw.itertuples(index=False), start=2):  # row 1 is the header
        rec = r._asdict()
        number = str(rec["old_la_code"]).strip()
        code = _code(by_number, number, path=path, row=i, column="old_la_code")
        for k in range(1, _COUNT + 1):
            other = str(rec[f"SN_{k}"]).strip()
            rows.append({"la_code": code, "la_name": str(rec["la_name"]).strip(), "rank": k,
                         "neighbour_code": _code(by_number, other, path=path, row=i, column=f"SN_{k}"),
                         "neighbour_name": names.get(other, other),
                         "closeness": str(rec[f"SN_{k}P"]).strip()})
    table = pd.DataFrame(rows)
    logger.info("statistical neighbours: %d LAs, %d pairs from %s", table["la_code"].nunique(), len(table), path.name)
    return table


def _code(by_number: dict[str, str], number: str, *, path: Path, row: int, column: str) -> str:
    code = by_number.get(number)
    if code is None:
        raise InputError(f"{path.name} row {row}: {column} {number!r} is not a DfE LA number of {LA_VINTAGE}; "
                         "expected a 3-digit number from the DfE LA list (lookups/dfe_las.csv)")
    return code


def _neighbours_file() -> Path:
    """Return the local path of DfE's model (catalogued: mirror, cache or download, checksum verified)."""
    return data_path(NEIGHBOURS_PATH)
