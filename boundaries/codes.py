"""England upper-tier LA codes, names and DfE numbers, and code changes 2014–2025."""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from functools import cache, lru_cache

import pandas as pd

from geo.catalogue import data_path
from geo.errors import InputError, SplitAreaError, UnknownAreaCodeError, require_columns
from geo.settings import LA_VINTAGE

logger = logging.getLogger(__name__)

__all__ = [
    "FIRST_YEAR", "LAST_YEAR", "la_lookup", "resolve_la", "codes_from_names", "harmonise_code",
    "harmonise_codes", "normalise_name", "check_year", "successors", "SMALL_LA_MERGES",
]

FIRST_YEAR, LAST_YEAR = 2014, 2025

TOPOJSON = "boundaries/ons_uk_topojson_2014_2025_bsc.topo.json"
DFE_LAS = "lookups/dfe_las.csv"


@dataclass(frozen=True)
class _Change:
    year: int          # first year (April) the successors are in force
    old: str
    new: tuple[str, ...]


# Each predecessor with the successors that took over its area (ONS changes, PROVENANCE-geography.md).
_CHANGES: tuple[_Change, ...] = (
    _Change(2019, "E06000028", ("E06000058",)),                # Bournemouth -> BCP
    _Change(2019, "E06000029", ("E06000058",)),                # Poole -> BCP
    _Change(2019, "E10000009", ("E06000058", "E06000059")),    # Dorset county -> Dorset UA + Christchurch into BCP
    _Change(2020, "E10000002", ("E06000060",)),                # Buckinghamshire
    _Change(2021, "E10000021", ("E06000061", "E06000062")),    # Northamptonshire split
    _Change(2023, "E10000006", ("E06000063", "E06000064")),    # Cumbria split
    _Change(2023, "E10000023", ("E06000065",)),                # North Yorkshire unitary
    _Change(2023, "E10000027", ("E06000066",)),                # Somerset unitary
    _Change(2025, "E08000016", ("E08000038",)),                # Barnsley recoded
    _Change(2025, "E08000019", ("E08000039",)),                # Sheffield recoded
)

SMALL_LA_MERGES = {"E09000001": "E09000012", "E06000053": "E06000052"}
"""DfE folds City of London into Hackney and the Isles of Scilly into Cornwall in many tables."""

# Spellings that normalisation alone does not reconcile (Ofsted and others).
_ALIASES = {"durham": "county durham", "bristol city": "bristol", "hull": "kingston upon hull",
            "bcp": "bournemouth christchurch and poole",
            "richmond": "richmond upon thames", "kingston": "kingston upon thames",
            # Ofsted's September 2014 provider list
            "bath and ne somerset": "bath and north east somerset", "bedford borough": "bedford",
            "blackburn": "blackburn with darwen", "leicester city": "leicester", "medway towns": "medway",
            "newcastle": "newcastle upon tyne", "nottingham city": "nottingham",
            "west berkshire newbury": "west berkshire"}


def check_year(year: int) -> int:
    """Return ``year`` if boundaries exist for it (2014–2025), else raise :class:`InputError`."""
    if not isinstance(year, int) or not FIRST_YEAR <= year <= LAST_YEAR:
        raise InputError(f"no boundaries for year {year!r}; expected a year from {FIRST_YEAR} to {LAST_YEAR}")
    return year


def normalise_name(name: str) -> str:
    """Fold an LA name to a comparison key: case, '&', punctuation, ', City of' and ', County of' suffixes."""
    s = str(name).strip().lower().replace("&", " and ")
    s = re.sub(r",\s*(city|county) of$", "", s)
    s = re.sub(r"[.,'’()\-]", " ", s)
    s = re.sub(r"\s+", " ", s).strip()
    s = re.sub(r"^the ", "", s)
    return _ALIASES.get(s, s)


@lru_cache(maxsize=1)
def la_lookup() -> pd.DataFrame:
    """Every England upper-tier (children's services) LA code in force at any time 2014–2025.

    Returns
    -------
    pandas.DataFrame
        One row per code: ``la_code``, ``la_name`` (ONS), ``dfe_la_name``, ``dfe_la_number`` (3-digit
        string), ``region_code``, ``region_name``, ``first_year``, ``last_year`` (inclusive).
        Sources: ONS uk-topojson (codes, names, years) and the DfE LA list (numbers, regions).
    """
    import json

    topo = json.loads(data_path(TOPOJSON).read_text(encoding="utf-8"))
    rows = []
    for g in topo["objects"]["utla"]["geometries"]:
        p = g["properties"]
        if p["areacd"][:3] in {"E06", "E08", "E09", "E10"}:
            rows.append({"la_code": p["areacd"], "la_name": p["areanm"],
                         "first_year": int(p.get("start") or FIRST_YEAR), "last_year": int(p.get("end") or LAST_YEAR)})
    ons = pd.DataFrame(rows)
    dfe = pd.read_csv(data_path(DFE_LAS), dtype=str)
    dfe = dfe[~dfe["new_la_code"].str.contains("/", na=True)]
    dfe = dfe.drop_duplicates("new_la_code", keep="last").set_index("new_la_code")
    regions = pd.read_csv(data_path("lookups/dfe_regions.csv"), dtype=str).set_index("region_code")["region_name"]
    out = ons.join(dfe[["la_name", "old_la_code", "parent_geography_code"]].rename(columns={
        "la_name": "dfe_la_name", "old_la_code": "dfe_la_number", "parent_geography_code": "region_code"}),
        on="la_code")
    missing = out[out["region_code"].isna()]
    if len(missing):
        raise InputError(f"{DFE_LAS}: no DfE row for LA code(s) {', '.join(missing['la_code'])}")
    out["region_name"] = out["region_code"].map(regions)
    return out.sort_values("la_code").reset_index(drop=True)


@cache
def _name_index(year: int) -> dict[str, str]:
    lk = la_lookup()
    valid = lk[(lk["first_year"] <= year) & (lk["last_year"] >= year)]
    index: dict[str, str] = {}
    for col in ("la_name", "dfe_la_name"):
        for code, name in zip(valid["la_code"], valid[col], strict=True):
            index[normalise_name(name)] = code
    return index


def resolve_la(value: str | int, *, year: int = LA_VINTAGE) -> str:
    """ONS code of an LA given as a code, a DfE number (``356``) or a name in DfE/ONS/Ofsted spelling.

    A code from another vintage is harmonised to ``year`` (see :func:`harmonise_code`).

    Raises
    ------
    UnknownAreaCodeError
        If nothing matches; the message says what forms are accepted.
    """
    check_year(year)
    text = str(value).strip()
    lk = la_lookup()
    if re.fullmatch(r"[EeWwSsNn]\d{8}", text):
        return harmonise_code(text.upper(), to_year=year)
    if re.fullmatch(r"\d{3}", text):
        hits = lk[(lk["dfe_la_number"] == text) & (lk["first_year"] <= year) & (lk["last_year"] >= year)]
        if len(hits) == 1:
            return str(hits["la_code"].iloc[0])
        raise UnknownAreaCodeError(f"unknown DfE LA number {text!r} for {year}; expected a 3-digit number "
                                   "such as 356 (Stockport) from the DfE LA list")
    code = _name_index(year).get(normalise_name(text))
    if code is None:
        raise UnknownAreaCodeError(
            f"unknown local authority {text!r} for {year}; expected an ONS code (E06/E08/E09/E10…), a DfE "
            "3-digit number or an LA name (see 'farfromhome boundaries --year Y --out la.csv')")
    return code


def codes_from_names(names: pd.Series, *, year: int = LA_VINTAGE, source: str = "input") -> pd.Series:
    """Vectorised :func:`resolve_la` for names (or codes/numbers); index preserved.

    Raises
    ------
    UnknownAreaCodeError
        Listing every value that matched no LA, with its count, so none is dropped silently.
    """
    uniques = pd.unique(names.dropna().astype(str))
    mapping, bad = {}, []
    for u in uniques:
        try:
            mapping[u] = resolve_la(u, year=year)
        except UnknownAreaCodeError:
            bad.append(u)
    if bad:
        counts = names.astype(str).value_counts()
        listed = "; ".join(f"{b!r} ({counts.get(b, 0)} rows)" for b in sorted(bad))
        raise UnknownAreaCodeError(f"{source}: {len(bad)} local authority name(s) match no LA of {year}: {listed}")
    if names.isna().any():
        raise UnknownAreaCodeError(f"{source}: {int(names.isna().sum())} row(s) have no local authority name")
    return names.astype(str).map(mapping).rename("la_code")


def successors(code: str) -> tuple[int, tuple[str, ...]] | None:
    """Return the year an LA code was replaced and the codes that took over its area (``None`` if never).

    >>> successors("E10000021")
    (2021, ('E06000061', 'E06000062'))
    """
    change = _successors().get(str(code).strip())
    return (change.year, change.new) if change else None


def _successors() -> dict[str, _Change]:
    return {c.old: c for c in _CHANGES}


def _predecessors() -> dict[str, list[_Change]]:
    out: dict[str, list[_Change]] = {}
    for c in _CHANGES:
        for n in c.new:
            out.setdefault(n, []).append(c)
    return out


def _name(code: str) -> str:
    lk = la_lookup().set_index("la_code")
    return f"{code} {lk.at[code, 'la_name']}" if code in lk.index else code


def harmonise_code(code: str, *, to_year: int = LA_VINTAGE, merge_small: bool = False) -> str:
    """Map one England upper-tier LA code used 2014–2025 (or a DfE combined code ``"A / B"``) to ``to_year``.

    Raises
    ------
    SplitAreaError
        If the area split between vintages (e.g. Northamptonshire → North and West Northamptonshire in
        2021), so no one-to-one mapping exists; the message says what the user can do.
    UnknownAreaCodeError
        If the code is not an England upper-tier LA code of 2014–2025.
    """
    check_year(to_year)
    text = str(code).strip()
    if "/" in text:
        parts = {harmonise_code(p, to_year=to_year, merge_small=merge_small) for p in text.split("/")}
        if len(parts) == 1:
            return parts.pop()
        raise SplitAreaError(
            f"DfE combined row {text!r} covers {len(parts)} LAs of {to_year} ({', '.join(map(_name, sorted(parts)))}): "
            "its figures cannot be split one-to-one. Combine those LAs' other figures (and polygons) to match, "
            "or apportion the row between them by a named weight (e.g. population_0_17) before harmonising.")
    lk = la_lookup().set_index("la_code")
    if text not in lk.index:
        raise UnknownAreaCodeError(
            f"unknown LA code {text!r}; expected an England upper-tier LA code (E06/E08/E09/E10) in force "
            f"between {FIRST_YEAR} and {LAST_YEAR}")
    current = text
    succ, pred = _successors(), _predecessors()
    # forward through changes in force by to_year
    while current in succ and succ[current].year <= to_year:
        change = succ[current]
        if len(change.new) > 1:
            raise SplitAreaError(
                f"LA {_name(current)} (last year {change.year - 1}) split in {change.year} into "
                f"{' and '.join(map(_name, change.new))}: its figures cannot be mapped one-to-one to {to_year} codes. "
                f"Aggregate your data to the old geography (harmonise_codes(frame, to_year={change.year - 1})) or "
                "apportion it to the successors by a named weight (e.g. population_0_17) before harmonising.")
        current = change.new[0]
    # backward through changes not yet in force in to_year
    while current in pred and min(c.year for c in pred[current]) > to_year:
        olds = pred[current]
        if len(olds) > 1:  # e.g. BCP: Bournemouth + Poole + part of Dorset county
            raise SplitAreaError(
                f"LA {_name(current)} was formed in {olds[0].year} from {' and '.join(_name(c.old) for c in olds)}"
                f"{' (in part)' if any(len(c.new) > 1 for c in olds) else ''}: it has no single predecessor in "
                f"{to_year}. Harmonise to {olds[0].year} or later, or apportion by a named weight.")
        # a successor that is part of one predecessor maps to it (its siblings add up to the whole)
        current = olds[0].old
    if merge_small:
        current = SMALL_LA_MERGES.get(current, current)
    return current


def harmonise_codes(
    frame: pd.DataFrame,
    *,
    to_year: int = LA_VINTAGE,
    column: str = "la_code",
    value_columns: list[str] | None = None,
    merge_small: bool = False,
) -> pd.DataFrame:
    """Return a copy of ``frame`` with LA codes in ``column`` mapped to the ``to_year`` vintage.

    Parameters
    ----------
    frame
        Table with LA codes in ``column`` (or in the index if ``column`` is the index name).
    to_year
        Target vintage, 2014–2025.
    value_columns
        If given, rows that now share a code (merged LAs: Bournemouth + Poole → BCP, or City of London into
        Hackney with ``merge_small``) are summed over these columns (NaN stays NaN if all are NaN) and the
        result is indexed by the new code; otherwise rows are kept one-for-one, index preserved, with the
        original code in ``<column>_original``.
    merge_small
        Fold City of London into Hackney and Isles of Scilly into Cornwall, as many DfE tables do.

    Raises
    ------
    SplitAreaError
        Listing every code that split (none is guessed).
    """
    in_index = column not in frame.columns and frame.index.name == column
    data = frame.reset_index() if in_index else frame.copy()
    if column not in data.columns:
        from geo.errors import MissingColumnsError

        raise MissingColumnsError("frame", [column], list(data.columns))
    mapping, errors = {}, []
    for code in pd.unique(data[column].dropna().astype(str)):
        try:
            mapping[code] = harmonise_code(code, to_year=to_year, merge_small=merge_small)
        except SplitAreaError as exc:
            errors.append(str(exc))
    if errors:
        raise SplitAreaError(f"{len(errors)} code(s) cannot be harmonised to {to_year}:\n- " + "\n- ".join(errors))
    data[f"{column}_original"] = data[column]
    data[column] = data[column].astype(str).map(mapping)
    if value_columns is None:
        return data.set_index(column) if in_index else data
    require_columns(data, value_columns, "frame")
    sums = data.groupby(column)[value_columns].sum(min_count=1)
    others = [c for c in data.columns if c not in value_columns and c != column]
    firsts = data.groupby(column)[others].first()
    return firsts.join(sums)[others + value_columns]
