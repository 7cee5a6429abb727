"""Children's-home supply from Ofsted's provider lists: active homes and registered places by LA, region, sector."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import pandas as pd

from geo import catalogue, years
from geo.catalogue import data_path
from geo.errors import InputError, SplitAreaError, UnknownAreaCodeError
from geo.settings import LA_VINTAGE
from provision._readers import check_columns, read_csv_checked, read_ods_sheet_cached, unknown_year

logger = logging.getLogger(__name__)

__all__ = [
    "YEARS", "SECTORS", "REGISTERED_STATUSES", "source_for", "read_children_homes", "supply_by_la",
    "supply_by_region", "supply_table", "published_national_totals", "published_totals", "PublishedTotals",
    "latest_complete_year", "published_source", "PUBLISHED_TOTALS_FILE", "published_totals_file",
]

_SERIES = "ofsted_providers"
YEARS = years.covered(_SERIES)
"""Years (at 31 March; 2014 is the September 2014 list) with a provider list: the catalogue's Ofsted lists
(:mod:`geo.years` series ``ofsted_providers``, a live view that follows a catalogue row added later)."""

SECTORS = ("private", "local_authority", "voluntary")
"""Sectors with their own columns; others (Health Authority) count in the totals and in ``*_other``."""

REGISTERED_STATUSES = ("active", "suspended")
"""Registration statuses counted as supply: Ofsted's national totals count suspended homes too
(2023: 3,042 active + 8 suspended = 3,050 published)."""


@dataclass(frozen=True)
class _Source:
    path: str                 # mirror-relative path
    kind: str                 # "csv" or "ods"
    skiprows: int = 0
    encoding: str = "utf-8-sig"
    sheet: str = ""
    complete: bool = False    # the complete "Providers and places" list (matches Ofsted's totals)
    note: str = ""
    dataset: str = ""         # catalogue dataset name (a year catalogued after this table was written)
    no_places: bool = False   # the list publishes no places (March 2015)
    no_status: bool = False   # the list has no registration status (September 2014)


_OFSTED = "care/ofsted/"
# The reader mapping: each staged year's list and its layout. A year catalogued later (a new row in
# geo/catalogue.csv named like the others) needs no entry: :func:`_new_year_source` reads Ofsted's complete
# workbook sheet when it is catalogued, else the provider-level CSV (header row found by its "URN" column).
# Add an entry here only where Ofsted changed the layout.
_SOURCES: dict[int, _Source] = {
    2014: _Source(_OFSTED + "providers_at_sept_2014.csv", "csv", 0, "utf-8-sig", complete=True, no_status=True,
                  note="all providers at 30 September 2014 (no 31 March 2014 list is staged); "
                       "places are 'Max/Estimated Places'"),
    2015: _Source(_OFSTED + "provider_at_march_2015.csv", "csv", 0, no_places=True,
                  note="provider-level list (inspected providers); no places column"),
    2016: _Source(_OFSTED + "provider_at_march_2016.csv", "csv", 1, note="provider-level list (inspected providers)"),
    2017: _Source(_OFSTED + "provider_at_march_2017.csv", "csv", 1, note="provider-level list (inspected providers)"),
    2018: _Source(_OFSTED + "provider_at_march_2018_part2.csv", "csv", 0, complete=True,
                  note="complete 'Providers and places at 31 March 2018' list"),
    2019: _Source(_OFSTED + "provider_at_march_2019.csv", "csv", 1, note="provider-level list (inspected providers)"),
    2020: _Source(_OFSTED + "provider_at_march_2020.csv", "csv", 1, note="provider-level list (inspected providers)"),
    2021: _Source(_OFSTED + "provider_at_march_2021.csv", "csv", 1, note="provider-level list (inspected providers)"),
    2022: _Source(_OFSTED + "provider_at_march_2022.csv", "csv", 4, "cp1252",
                  note="provider-level list (inspected providers)"),
    2023: _Source(_OFSTED + "Childrens_social_care_in_England_2023_underlying_data.ods", "ods",
                  sheet="Providers+places_at_31_Mar_2023", complete=True,
                  note="complete 'Providers and places at 31 March 2023' sheet"),
    2024: _Source(_OFSTED + "provider_at_march_2024.csv", "csv", 3, "cp1252",
                  note="provider-level list (inspected providers)"),
    2025: _Source(_OFSTED + "Childrens_social_care_in_England_2025_underlying_data.ods", "ods",
                  sheet="Providers+places_at_31_Mar_2025", complete=True,
                  note="complete 'Providers and places at 31 March 2025' sheet"),
}

# Canonical column ← spellings used across the years (matched case-insensitively).
_ALIASES = {
    "Provision Type": "Provision type", "Reg Status": "Registration status", "LA": "Local authority",
    "Max/Estimated Places": "Places", "GOR": "Government Office Region", "Region": "Government Office Region",
}
_REQUIRED = ["URN", "Provision type", "Local authority", "Sector"]

# Parliamentary constituency (2010 boundaries) → successor LA for homes listed under an LA that later split.
# Used only for years whose file names the predecessor; constituencies that straddle successors go to the one
# holding most of their electorate (Penrith and The Border → Westmorland and Furness; Christchurch → BCP).
_SPLIT_BY_CONSTITUENCY: dict[str, dict[str, str]] = {
    "E10000006": {  # Cumbria → Cumberland (E06000063) / Westmorland and Furness (E06000064), 2023
        "carlisle": "E06000063", "copeland": "E06000063", "workington": "E06000063",
        "barrow and furness": "E06000064", "westmorland and lonsdale": "E06000064",
        "penrith and the border": "E06000064",
    },
    "E10000021": {  # Northamptonshire → North (E06000061) / West (E06000062), 2021
        "corby": "E06000061", "kettering": "E06000061", "wellingborough": "E06000061",
        "daventry": "E06000062", "northampton north": "E06000062", "northampton south": "E06000062",
        "south northamptonshire": "E06000062",
    },
    "E10000009": {  # Dorset county → Dorset UA (E06000059) / BCP (E06000058, Christchurch), 2019
        "christchurch": "E06000058", "mid dorset and north poole": "E06000059", "north dorset": "E06000059",
        "south dorset": "E06000059", "west dorset": "E06000059",
    },
}


def source_for(year: int) -> dict[str, object]:
    """Which Ofsted file (and sheet) supplies ``year``, whether it is the complete list, and caveats.

    ``dataset`` is the catalogue name of a year catalogued after the reader table (else None: ``file`` is it).

    Raises
    ------
    InputError
        For a year with no provider list, listing the years available.
    """
    src = _source(year)
    return {"year": year, "file": src.path, "sheet": src.sheet or None, "complete_list": src.complete,
            "note": src.note, "dataset": src.dataset or None}


def read_children_homes(year: int, *, path: str | Path | None = None, to_year: int = LA_VINTAGE) -> pd.DataFrame:
    """One row per registered (active or suspended) children's home at 31 March of ``year``.

    Parameters
    ----------
    year
        One of :data:`YEARS`. 2018, 2023 and 2025 use Ofsted's complete "Providers and places" lists (their
        totals equal Ofsted's published national figures); other years use the provider-level list, which
        omits some homes not yet inspected (see :func:`source_for`). 2014 is the September 2014 list. A year
        catalogued later reads its complete workbook sheet if catalogued, else its provider-level CSV.
    path
        Read this file instead of the catalogued one (same layout as that year's file); for testing a
        malformed copy.
    to_year
        Vintage of the LA codes returned (2024: the 153 LAs of April 2024).

    Returns
    -------
    pandas.DataFrame
        Columns ``urn``, ``la_name_ofsted`` (the name as Ofsted spells it), ``constituency``, ``la_code``
        (ONS code of ``to_year``; <NA> where the home lies in an LA that later split and the file has no
        constituency to place it), ``la_code_status`` ("matched", "split: by constituency" or
        "split: unresolved (...)"), ``region_code``, ``sector`` (private, local_authority, voluntary,
        health_authority), ``registration_status``, ``places`` (Int64, <NA> in 2015 which has no places).
        Homes are located only by LA: Ofsted redacts their addresses. ``.attrs["source"]`` names the file.

    Raises
    ------
    InputError
        For a year with no list (listing the years available).
    MissingColumnsError
        If the file lacks a required column (the message names the file and the columns).
    UnknownAreaCodeError
        Listing every Ofsted LA name that matches no LA.
    """
    import boundaries

    src = _source(year)
    file = Path(path) if path is not None else data_path(src.dataset or src.path)
    raw = _read_raw(file, src, year)
    name = file.name + (f" [{src.sheet}]" if src.kind == "ods" else "")

    provision = raw["Provision type"].astype("string").str.strip().str.lower()
    status = (raw["Registration status"].astype("string").str.strip().str.lower()
              if "Registration status" in raw.columns else pd.Series("active", index=raw.index, dtype="string"))
    keep = (provision == "children's home") & status.isin(REGISTERED_STATUSES)
    homes = raw.loc[keep]
    if homes.empty:
        raise InputError(f"{name}: no registered children's homes (Provision type \"Children's home\", "
                         f"status Active/Suspended) among {len(raw):,} rows")

    la_names = homes["Local authority"].astype("string").str.strip()
    codes_then = _codes_for_names(la_names, year=year, source=name)
    constituency = (homes["Parliamentary constituency"].astype("string").str.strip()
                    if "Parliamentary constituency" in homes.columns else pd.Series(pd.NA, index=homes.index,
                                                                                      dtype="string"))
    la_code, la_status = _harmonise(codes_then, constituency, to_year=to_year, source=name)

    lookup = boundaries.la_lookup().set_index("la_code")
    places = (_places(homes["Places"], source=name, skiprows=int(raw.attrs.get("skiprows", 4)))
              if "Places" in homes.columns else pd.Series(pd.NA, index=homes.index))
    sector = homes["Sector"].astype("string").str.strip().str.lower().str.replace(" ", "_")
    out = pd.DataFrame({
        "urn": homes["URN"].astype("string").str.strip(),
        "la_name_ofsted": la_names,
        "constituency": constituency,
        "la_code": la_code.astype("string"),
        "la_code_status": la_status,
        "region_code": codes_then.map(lookup["region_code"]).astype("string"),
        "sector": sector,
        "registration_status": status[keep],
        "places": places.astype("Int64"),
    }).reset_index(drop=True)
    unknown_sector = sorted(set(out["sector"].dropna()) - set(SECTORS) - {"health_authority"})
    if unknown_sector:
        raise InputError(f"{name}: unexpected Sector value(s) {unknown_sector}; expected Private, Local Authority, "
                         "Voluntary or Health Authority")
    out.attrs["source"] = f"Ofsted {name}: {src.note}"
    out.attrs["complete_list"] = src.complete
    logger.info("%s: %d children's homes, %s places", name, len(out), out["places"].sum())
    return out


def supply_by_la(year: int, *, to_year: int = LA_VINTAGE, path: str | Path | None = None) -> pd.DataFrame:
    """Children's homes and registered places located in each LA at 31 March ``year``.

    Parameters
    ----------
    year
        One of :data:`YEARS` (see :func:`read_children_homes` for which list each year uses).
    to_year
        LA code vintage of the index (default 2024: 153 LAs).
    path
        Optional replacement file for the year's list (testing).

    Returns
    -------
    pandas.DataFrame
        Indexed by ``la_code`` with every LA of ``to_year`` (zeros where an LA has no homes). Columns:
        ``la_name``, ``region_code``, ``region_name``; ``homes`` and ``places`` with per-sector
        ``homes_<sector>`` / ``places_<sector>`` for private, local_authority, voluntary and ``_other``
        (Health Authority), all Int64; ``places`` is <NA> in 2015 (no places published);
        ``homes_share_england_pct`` and ``places_share_england_pct`` (% of England's total).
        For LAs formed by a split (Cumberland, Westmorland and Furness, North/West Northamptonshire, Dorset,
        BCP) in years whose file names only the predecessor and has no constituency (2014–2016), counts are
        <NA> and ``supply_status`` says why. ``.attrs``: ``source``, ``complete_list``, ``unresolved_homes``.
    """
    import boundaries

    homes = read_children_homes(year, path=path, to_year=to_year)
    lk = boundaries.la_lookup()
    las = lk[(lk["first_year"] <= to_year) & (lk["last_year"] >= to_year)].set_index("la_code")
    homes = homes.assign(sector_group=homes["sector"].where(homes["sector"].isin(SECTORS), "other"))
    resolved = homes[homes["la_code"].notna()]
    out = pd.DataFrame(index=pd.Index(sorted(las.index), name="la_code"))
    out["la_name"] = las["la_name"]
    out["region_code"] = las["region_code"]
    out["region_name"] = las["region_name"]
    has_places = homes["places"].notna().any()
    out["homes"] = resolved.groupby("la_code").size().reindex(out.index, fill_value=0).astype("Int64")
    out["places"] = (resolved.groupby("la_code")["places"].sum(min_count=1).reindex(out.index).fillna(0)
                     .astype("Int64") if has_places else pd.Series(pd.NA, index=out.index, dtype="Int64"))
    for kind in ("homes", "places"):
        for sec in (*SECTORS, "other"):
            sub = resolved[resolved["sector_group"] == sec]
            if kind == "homes":
                col = sub.groupby("la_code").size().reindex(out.index, fill_value=0).astype("Int64")
            elif has_places:
                col = sub.groupby("la_code")["places"].sum().reindex(out.index, fill_value=0).astype("Int64")
            else:
                col = pd.Series(pd.NA, index=out.index, dtype="Int64")
            out[f"{kind}_{sec}"] = col
    out["supply_status"] = "ok"
    unresolved = homes[homes["la_code"].isna()]
    if len(unresolved):
        for _, group in unresolved.groupby(unresolved["la_code_status"]):
            successors = _successors_of(group["la_code_status"].iloc[0])
            count_cols = [c for c in out.columns if c.startswith(("homes", "places"))]
            out.loc[successors, count_cols] = pd.NA
            out.loc[successors, "supply_status"] = (f"unknown: {len(group)} home(s) listed under "
                                                    f"{group['la_name_ofsted'].iloc[0]} (split later), no "
                                                    "constituency in this year's file")
    total_h = homes["la_code"].size
    out["homes_share_england_pct"] = (out["homes"].astype("Float64") / total_h * 100).round(2)
    total_p = homes["places"].sum() if has_places else pd.NA
    out["places_share_england_pct"] = ((out["places"].astype("Float64") / total_p * 100).round(2)
                                       if has_places else pd.Series(pd.NA, index=out.index, dtype="Float64"))
    out.attrs.update(homes.attrs)
    out.attrs["year"] = year
    out.attrs["england_homes"] = int(total_h)
    out.attrs["england_places"] = int(total_p) if has_places else None
    out.attrs["unresolved_homes"] = int(len(unresolved))
    published = _published(year)
    out.attrs["published_england_homes"] = published[0]
    out.attrs["published_england_places"] = published[1]
    return out


def supply_by_region(year: int, *, path: str | Path | None = None) -> pd.DataFrame:
    """Homes and places per region (indexed by ``region_code``) with the England share of each, for ``year``.

    Counts include homes that cannot be placed in a 2024 LA (a split predecessor in 2014–2016): they are
    still inside one region.
    """
    import boundaries

    homes = read_children_homes(year, path=path)
    regions = boundaries.la_lookup().drop_duplicates("region_code").set_index("region_code")["region_name"]
    return _aggregate(homes, "region_code", regions)


def supply_table(year: int, *, path: str | Path | None = None) -> pd.DataFrame:
    """Build the ``farfromhome supply`` table: one row per LA, then one per region, then England.

    Indexed by ``area_code`` (LA, region or ``E92000001`` for England) with ``level`` in
    {"la", "region", "england"}; columns as :func:`supply_by_la`.
    """
    la = supply_by_la(year, path=path).assign(level="la")
    reg = supply_by_region(year, path=path).assign(level="region")
    homes = read_children_homes(year, path=path)
    eng = _aggregate(homes.assign(country="E92000001"), "country", pd.Series({"E92000001": "England"}))
    eng = eng.assign(level="england")
    reg = reg.rename(columns={"region_name": "la_name"}).assign(region_code=reg.index, region_name=reg["region_name"])
    eng = eng.rename(columns={"region_name": "la_name"})
    table = pd.concat([la, reg, eng])
    table.index.name = "area_code"
    table = table.rename(columns={"la_name": "area_name"})
    cols = ["level", "area_name", "region_code", "region_name"] + [c for c in la.columns if c.startswith(
        ("homes", "places"))] + ["supply_status"]
    table = table[[c for c in cols if c in table.columns]]
    table.attrs.update(la.attrs)
    return table


_TIME_SERIES_SHEET = "Providers+places_Time_series"


def published_totals_file() -> str:
    """Return the latest catalogued 'Children's social care in England' workbook (mirror-relative path)."""
    year = years.latest("ofsted_published_totals")
    return catalogue.all_datasets()[years.datasets("ofsted_published_totals", year)[0]].first.path


PUBLISHED_TOTALS_FILE = published_totals_file()
"""The workbook whose ``Providers+places_Time_series`` sheet holds Ofsted's published national totals (the
latest catalogued 'Children's social care in England' workbook, when this module was imported)."""


def published_source() -> str:
    """Return the citation of Ofsted's published national totals (file and sheet)."""
    year = years.latest("ofsted_published_totals")
    return f"{published_totals_file()} [{_TIME_SERIES_SHEET}] (Ofsted, 'Children's social care in England {year}')"


@dataclass(frozen=True)
class PublishedTotals:
    """Ofsted's published national children's homes and places for a year, beside the totals of the list used.

    Attributes
    ----------
    year
        31 March of the year (2014: the list is September 2014, the published total March 2014).
    homes, places
        Ofsted's published national totals ("Children's Homes"; None where the time series has no such year).
    list_homes, list_places
        Registered (active or suspended) children's homes and their places in the provider list the tool uses
        for that year (``list_places`` None in 2015, which publishes no places).
    list_file
        That list (mirror-relative path, with the sheet for the ODS workbooks).
    source
        Where the published totals come from (:func:`published_source`).
    """

    year: int
    homes: int | None
    places: int | None
    list_homes: int
    list_places: int | None
    list_file: str
    source: str

    @property
    def complete(self) -> bool:
        """Whether the list holds exactly Ofsted's published number of homes and places."""
        return (self.homes is not None and self.list_homes == self.homes
                and (self.places is None or self.list_places == self.places))

    def describe_gap(self) -> str:
        """Return one sentence on how the list differs from the published totals ('' when it does not)."""
        if self.complete:
            return ""
        if self.homes is None:
            return f"Ofsted published no national total for {self.year} in the staged time series"
        listed = f" and {self.list_places:,} places" if self.list_places is not None else " (no places)"
        published = f" and {self.places:,} places" if self.places is not None else ""
        return (f"the list used ({self.list_file}) has {self.list_homes:,} homes{listed}; Ofsted published "
                f"{self.homes:,} homes{published} at 31 March {self.year}")


def published_totals(year: int, *, homes_list: pd.DataFrame | None = None) -> PublishedTotals:
    """Ofsted's published national totals for ``year`` and the totals of the provider list used that year.

    Parameters
    ----------
    year
        One of :data:`YEARS` (a year with a provider list).
    homes_list
        The year's :func:`read_children_homes` frame, when already read (saves reading it again).

    Every sentence about the number of homes or places in England should quote ``homes`` / ``places`` and,
    when ``complete`` is False, name the list and its totals (``describe_gap()``).
    """
    src = _source(year)
    if homes_list is not None:
        counts = _counts(homes_list)
    else:
        file = data_path(src.dataset or src.path)
        st = file.stat()
        counts = _list_counts(year, str(file.resolve()), st.st_size, st.st_mtime_ns)
    totals = published_national_totals()
    homes_pub = int(totals.at[year, "homes"]) if year in totals.index else None
    places_pub = int(totals.at[year, "places"]) if year in totals.index else None
    return PublishedTotals(
        year=year, homes=homes_pub, places=places_pub, list_homes=counts[0], list_places=counts[1],
        list_file=src.path + (f" [{src.sheet}]" if src.sheet else ""), source=published_source())


@lru_cache(maxsize=16)
def _list_counts(year: int, file: str, size: int, mtime_ns: int) -> tuple[int, int | None]:
    """Homes and places of the year's catalogued list, once per file version (latest_complete_year asks often)."""
    return _counts(read_children_homes(year))


def _counts(frame: pd.DataFrame) -> tuple[int, int | None]:
    has_places = bool(frame["places"].notna().any())
    return int(len(frame)), (int(frame["places"].sum()) if has_places else None)


def latest_complete_year(years: range | list[int] | None = None) -> int:
    """Return the latest year (of ``years``, default every year with a list) whose provider list is complete.

    Complete: the list holds exactly Ofsted's published national number of children's homes and places
    (checked from the latest year down, reading each list until one matches). Today: 2025.

    Raises
    ------
    InputError
        When no year of ``years`` has a complete list (listing the years tried).
    """
    tried = sorted(set(_years(_SERIES) if years is None else years) & set(_years(_SERIES)), reverse=True)
    for year in tried:
        if published_totals(year).complete:
            return year
    raise InputError(f"no complete Ofsted provider list among years {tried}: each list's total differs from "
                     "Ofsted's published national total")


def published_national_totals(*, path: str | Path | None = None) -> pd.DataFrame:
    """Ofsted's published national children's homes and places at 31 March, every year of the time series.

    From the ``Providers+places_Time_series`` sheet of the latest catalogued workbook (tables 6a and 6b, column
    "Children's Homes": excludes secure children's homes and residential special schools registered as
    children's homes). Indexed by ``year`` with ``homes`` and ``places`` (Int64). Used to report how
    complete each year's provider list is. ``path``: a replacement workbook (testing).
    """
    path = Path(path) if path is not None else data_path(published_totals_file())
    st = path.stat()
    out = _published_table(str(path.resolve()), st.st_size, st.st_mtime_ns).copy()
    out.attrs["source"] = f"Ofsted {path.name} [Providers+places_Time_series]"
    return out


@lru_cache(maxsize=4)
def _published_table(file: str, size: int, mtime_ns: int) -> pd.DataFrame:
    """Parse the time-series sheet once per (file, size, mtime): it is asked for by every year's list."""
    import re

    path = Path(file)
    raw = read_ods_sheet_cached(path, _TIME_SERIES_SHEET, header=None)
    raw.columns = [str(c) for c in raw.columns]
    header_rows = raw.index[raw.iloc[:, 0].astype("string").str.strip() == "Date"]
    if len(header_rows) == 0:
        raise InputError(f"{path.name} [Providers+places_Time_series]: no 'Date' header row")
    header = [str(v).strip() for v in raw.loc[header_rows[0]]]
    if "Children's Homes" not in header:
        from geo.errors import MissingColumnsError

        raise MissingColumnsError(f"{path.name} [Providers+places_Time_series]", ["Children's Homes"], header)
    col = raw.columns[header.index("Children's Homes")]
    rows: dict[int, dict[str, int]] = {}
    for _, r in raw.iterrows():
        kind = str(r.iloc[1]).strip()
        match = re.search(r"(\d{4})", str(r.iloc[0]))
        if kind in {"Providers", "Places"} and match:
            rows.setdefault(int(match.group(1)), {})["homes" if kind == "Providers" else "places"] = int(
                float(r[col]))
    out = pd.DataFrame.from_dict(rows, orient="index").sort_index().astype("Int64")
    out.index.name = "year"
    return out


# -- private helpers ------------------------------------------------------------------------------------------


def _published(year: int) -> tuple[int | None, int | None]:
    try:
        totals = published_national_totals()
    except FileNotFoundError:  # the 2025 workbook is not available: report nothing rather than fail
        return None, None
    if year not in totals.index:
        return None, None
    return int(totals.at[year, "homes"]), int(totals.at[year, "places"])


def _source(year: int) -> _Source:
    if not isinstance(year, int) or isinstance(year, bool) or year not in _years(_SERIES):
        raise unknown_year("Ofsted provider list", year, list(_years(_SERIES)))
    return _SOURCES[year] if year in _SOURCES else _new_year_source(year)


def _new_year_source(year: int) -> _Source:
    """Return the source of a year catalogued after the reader table: the complete workbook sheet, else the CSV."""
    names = years.datasets(_SERIES, year)
    files = {n: catalogue.all_datasets()[n].first.path for n in names}
    workbook = [n for n, p in files.items() if p.lower().endswith(".ods")]
    if workbook:
        return _Source(files[workbook[0]], "ods", sheet=f"Providers+places_at_31_Mar_{year}", complete=True,
                       dataset=workbook[0], note=f"complete 'Providers and places at 31 March {year}' sheet")
    name = sorted(names)[-1]
    return _Source(files[name], "csv", -1, dataset=name, note="provider-level list (inspected providers)")




def _la_vintage(year: int) -> int:
    """Return the LA boundary vintage nearest ``year`` (a list of a year past the staged boundaries)."""
    first, last = years.span("la_boundaries")
    return min(max(year, first), last)


def _years(series: str) -> tuple[int, ...]:
    return years.years(series)


def _header_row(file: Path, encoding: str) -> int:
    """Row number (0-based) of a provider-level CSV's header: the first row with a ``URN`` cell."""
    import csv

    with file.open(encoding=encoding, errors="replace", newline="") as fh:
        for number, row in enumerate(csv.reader(fh)):
            if "URN" in (cell.strip() for cell in row):
                return number
            if number >= 20:
                break
    raise InputError(f"{file.name}: no header row with a 'URN' column in its first 20 rows; expected an Ofsted "
                     "provider-level list")


def _read_raw(file: Path, src: _Source, year: int) -> pd.DataFrame:
    if src.kind == "ods" or file.suffix.lower() == ".ods":
        raw = read_ods_sheet_cached(file, src.sheet or f"Providers+places_at_31_Mar_{year}", header=3)
        folded = {k.lower(): v for k, v in _ALIASES.items()}
        raw = raw.rename(columns={c: folded[c.lower()] for c in raw.columns if c.lower() in folded})
        required = _REQUIRED + ["Registration status", "Places"]
        check_columns(raw, required, source=f"{file.name} [{src.sheet}]")
        return raw
    required = list(_REQUIRED) + ([] if src.no_places else ["Places"]) + ([] if src.no_status else
                                                                           ["Registration status"])
    skiprows = src.skiprows if src.skiprows >= 0 else _header_row(file, src.encoding)
    raw = read_csv_checked(file, skiprows=skiprows, encoding=src.encoding, required=required, aliases=_ALIASES)
    raw.attrs["skiprows"] = skiprows
    return raw


def _places(values: pd.Series, *, source: str, skiprows: int) -> pd.Series:
    text = values.astype("string").str.replace(",", "", regex=False).str.strip()
    num = pd.to_numeric(text, errors="coerce")
    bad = num.isna() & text.notna()
    if bad.any():
        first = bad.idxmax()
        raise InputError(f"{source} row {first + skiprows + 2}: Places {text[first]!r} is not a whole number "
                         f"({int(bad.sum())} such row(s))")
    return num


def _codes_for_names(names: pd.Series, *, year: int, source: str) -> pd.Series:
    """LA codes for Ofsted names, in the vintage in force at the list's date.

    A list "at 31 March Y" predates the April-Y reorganisations (BCP 2019, Northamptonshire 2021, Cumbria
    2023), so names are matched against the LAs of Y-1 first and of Y second.
    """
    import boundaries

    cleaned = names  # Ofsted spellings are known to boundaries.normalise_name
    mapping: dict[str, str] = {}
    for u in pd.unique(cleaned.dropna()):
        for vintage in dict.fromkeys((_la_vintage(year - 1), _la_vintage(year))):
            try:
                mapping[u] = boundaries.resolve_la(u, year=vintage)
                break
            except UnknownAreaCodeError:
                continue
    bad = cleaned[~cleaned.isin(list(mapping)) | cleaned.isna()]
    if len(bad):  # let boundaries build the message listing every unmatched name and its row count
        boundaries.codes_from_names(bad.astype(object), year=_la_vintage(year), source=source)
    return cleaned.map(mapping)


def _harmonise(codes_then: pd.Series, constituency: pd.Series, *, to_year: int,
               source: str) -> tuple[pd.Series, pd.Series]:
    import boundaries

    la_code = pd.Series(pd.NA, index=codes_then.index, dtype=object)
    status = pd.Series("matched", index=codes_then.index, dtype=object)
    unknown_pcon: list[str] = []
    for code in pd.unique(codes_then):
        rows = codes_then.index[codes_then == code]
        try:
            la_code[rows] = boundaries.harmonise_code(code, to_year=to_year)
            continue
        except SplitAreaError:
            if code not in _SPLIT_BY_CONSTITUENCY:
                raise
        table = _SPLIT_BY_CONSTITUENCY[code]
        pcon = constituency[rows]
        if pcon.isna().all():
            status[rows] = f"split: unresolved ({code})"
            continue
        key = pcon.str.lower().str.replace("&", "and", regex=False).str.strip()
        mapped = key.map(table)
        unknown_pcon += [f"{p!r} (LA {code})" for p in pd.unique(pcon[mapped.isna()].dropna())]
        if pcon.isna().any():
            unknown_pcon.append(f"{int(pcon.isna().sum())} row(s) without a constituency (LA {code})")
        for succ in pd.unique(mapped.dropna()):
            sub = mapped.index[mapped == succ]
            la_code[sub] = boundaries.harmonise_code(succ, to_year=to_year)
        status[rows] = "split: by constituency"
    if unknown_pcon:
        raise UnknownAreaCodeError(f"{source}: cannot place children's homes of a split LA; unknown parliamentary "
                                   f"constituency: {'; '.join(unknown_pcon)}")
    return la_code, status


def _successors_of(status: str) -> list[str]:
    code = status.split("(")[-1].rstrip(")")
    table = _SPLIT_BY_CONSTITUENCY[code]
    import boundaries

    return sorted({boundaries.harmonise_code(c, to_year=LA_VINTAGE) for c in table.values()})


def _aggregate(homes: pd.DataFrame, key: str, names: pd.Series) -> pd.DataFrame:
    homes = homes.assign(sector_group=homes["sector"].where(homes["sector"].isin(SECTORS), "other"))
    has_places = homes["places"].notna().any()
    index = pd.Index(sorted(set(names.index) | set(homes[key].dropna())), name=key)
    out = pd.DataFrame({"region_name": names.reindex(index)}, index=index)
    out["homes"] = homes.groupby(key).size().reindex(index, fill_value=0).astype("Int64")
    out["places"] = (homes.groupby(key)["places"].sum().reindex(index, fill_value=0).astype("Int64")
                     if has_places else pd.Series(pd.NA, index=index, dtype="Int64"))
    for kind in ("homes", "places"):
        for sec in (*SECTORS, "other"):
            sub = homes[homes["sector_group"] == sec]
            if kind == "homes":
                out[f"homes_{sec}"] = sub.groupby(key).size().reindex(index, fill_value=0).astype("Int64")
            else:
                out[f"places_{sec}"] = (sub.groupby(key)["places"].sum().reindex(index, fill_value=0).astype("Int64")
                                        if has_places else pd.Series(pd.NA, index=index, dtype="Int64"))
    out["homes_share_england_pct"] = (out["homes"].astype("Float64") / len(homes) * 100).round(2)
    out["places_share_england_pct"] = ((out["places"].astype("Float64") / homes["places"].sum() * 100).round(2)
                                       if has_places else pd.Series(pd.NA, index=index, dtype="Float64"))
    out["supply_status"] = "ok"
    out.attrs.update(homes.attrs)
    return out
