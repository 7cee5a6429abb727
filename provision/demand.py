"""Demand: DfE children looked after per LA, rates, children's-home placements, flows, distance, missing."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from pathlib import Path

import numpy as np
import pandas as pd

from geo import catalogue, years
from geo.catalogue import data_path
from geo.errors import DataUnavailableError, InputError, SplitAreaError, UnknownAreaCodeError
from geo.settings import LA_VINTAGE
from provision._readers import check_columns, read_csv_checked, to_number, unknown_year

logger = logging.getLogger(__name__)

__all__ = [
    "YEARS", "LAIT_YEARS", "FOI_YEARS", "CHARACTERISTICS_YEARS", "COLUMNS", "FILES", "SFR_FILES", "PRE_2014_CODES",
    "demand_by_la",
    "lait_indicators", "read_foi_chomes", "read_foi_chomes_netgain", "read_ees_la", "read_sfr", "lait_raw",
    "national_figures",
]

YEARS = years.covered("dfe_cla_la", "la_boundaries")
"""Years (children looked after at 31 March) that :func:`demand_by_la` covers, some columns only in part: the
catalogue's DfE LA tables (SFR, LAIT, EES) in the years with LA boundaries (:mod:`geo.years`)."""
LAIT_YEARS = years.covered("lait")
"""Years the catalogued LAIT indicators cover."""
FOI_YEARS = years.covered("foi_chomes")
"""Years DfE FOI 2024-0040813 (children's homes outside the LA; net gain) covers."""
CHARACTERISTICS_YEARS = years.covered("characteristics")
"""Years with DfE's LA table by characteristics (exact children in children's homes; placement × distance)."""

_DFE = "care/dfe_cla/"
_MISSING = "la_children_who_were_missing_or_away_from_placement_without_authorisation.csv"
FILES = {
    "foi_outside": _DFE + "foi_2024_0040813/chomes_outside_la_by_la_2014_2024.csv",
    "foi_netgain": _DFE + "foi_2024_0040813/chomes_netgain_by_la_2014_2024.csv",
    "rate_2025": _DFE + "ees_release_2025/cla_number_and_rate_per_10k_children.csv",
    "rate_2023": _DFE + "ees_release_2023/cla_number_and_rate_per_10k_children.csv",
    "netgain_2022": _DFE + "ees_release_2022/la_cla_on_31_march_la_of_placement_net_gain.csv",
    "netgain_2024": _DFE + "ees_release_2024/la_cla_on_31_march_la_of_placement_netgain.csv",
    "missing_2022": _DFE + "ees_release_2022/" + _MISSING,
    "missing_2024": _DFE + "ees_release_2024/" + _MISSING,
    "lait": _DFE + "lait/lait_cla_indicators_2016_2025.csv",
    # national tables (England rows only), read by provision.trends and provision.national_missing
    "time_series_2024": _DFE + "ees_release_2024/cla_time_series_1994_2024.csv",
    "distance_2023": _DFE + "ees_release_2023/national_cla_on_31_march_by_placement_distance_and_placement_"
                     "locality.csv",
    "distance_2024": _DFE + "ees_release_2024/national_cla_on_31_march_by_placement_distance_and_placement_"
                     "locality.csv",
    "provider_2024": _DFE + "ees_release_2024/national_cla_on_31_march_by_placement_provider_placement_type_and_"
                     "locality.csv",
    "during_year_2024": _DFE + "ees_release_2024/national_cla_during_year_by_placement_type_and_locality_of_"
                        "placement.csv",
    "national_missing_2023": _DFE + "ees_release_2023/national_statistics_official_statistics_cla_who_were_missing.csv",
    "national_missing_2024": _DFE + "ees_release_2024/official_statistics_cla_who_were_missing.csv",
    # one characteristics file a year, as the catalogue lists them (a new year is a catalogue row)
    **{f"characteristics_{y}": catalogue.all_datasets()[years.datasets("characteristics", y)[-1]].first.path
       for y in years.years("characteristics")},
}
_SFR = {2012: "SFR20_CLA2012.csv", 2013: "SFR36_CLA2013.csv", 2014: "SFR36_CLA2014.csv", 2015: "SFR34_CLA2015.csv",
        2016: "SFR41_CLA2016.csv", 2017: "SFR50_CLA2017.csv"}
"""SFR underlying LA tables (first publication of each year; wide, one row per LA, region and England)."""
_SFR_MISSING = {2015: "SFR34_Missing2015.csv", 2016: "SFR41_Missing2016.csv", 2017: "SFR50_Missing_2017.csv"}
# Column spellings that drift between releases (canonical name on the right).
_EES_ALIASES = {"CLA_group": "cla_group", "CLAA_InBound": "CLA_InBound"}
_TIDY = ["time_period", "geographic_level", "new_la_code", "old_la_code", "la_name"]

# Output columns (all counts are children; rates per 10,000 children aged 0-17; percentages 0-100).
COLUMNS = [
    "children_looked_after", "population_0_17", "cla_rate_per_10k", "children_in_childrens_homes",
    "chomes_outside_la", "chomes_outside_la_pct", "chomes_net_gain", "outflow", "inflow", "net_gain",
    "pct_over_20_miles_outside_la", "pct_went_missing",
]


def demand_by_la(year: int, *, to_year: int = LA_VINTAGE) -> pd.DataFrame:
    """Children looked after at 31 March ``year`` per responsible (placing) LA, with what they need and where they go.

    Parameters
    ----------
    year
        2014–2025. Not every column exists in every year (see Notes); missing ones are NaN with the reason.
    to_year
        LA code vintage of the index (2024: 153 LAs). LAs merged since (Bournemouth + Poole → BCP) are summed;
        predecessors that split (Northamptonshire before 2021, Cumbria before 2023, Dorset county before 2019)
        cannot be divided, so their successors are NaN with the reason.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``la_code``; ``la_name``, ``region_code``, ``region_name`` and:

        - ``children_looked_after``: CLA at 31 March (EES 2019-2025; LAIT ``LACnum`` 2016-2018; SFR 2014-2015).
        - ``population_0_17``: ONS mid-year estimate behind the rate (EES, 2019-2025); 2016-2018 derived
          as CLA / rate × 10,000 (about ±1 %, the published rate being rounded); NaN 2014-2015.
        - ``cla_rate_per_10k``: CLA per 10,000 children aged 0-17 (EES 2019-2025; LAIT ``LAC`` 2016-2018).
        - ``children_in_childrens_homes``: CLA in secure homes and children's homes. 2021-2025: exact DfE
          count; 2014-2020: derived from the FOI as ``chomes_outside_la / chomes_outside_la_pct × 100``
          (the percentage is rounded, so ±1 %).
        - ``chomes_outside_la``, ``chomes_outside_la_pct``: of those, placed outside the LA boundary (DfE FOI
          2024-0040813 part 2, 2014-2024).
        - ``chomes_net_gain``: children's homes only: other LAs' children placed in children's homes inside
          this LA minus this LA's children in children's homes outside it (FOI part 1, 2014-2024).
        - ``outflow``: this LA's children placed outside its boundary; ``inflow``: other LAs' children placed
          inside it; ``net_gain`` = inflow − outflow (all placements; SFR 2014-2017, where net gain is
          derived when published as 'x'; EES 2018-2025).
        - ``pct_over_20_miles_outside_la``: % of CLA placed more than 20 miles (straight line) from home and
          outside the LA (LAIT ``LACDistance``, 2016-2025).
        - ``pct_went_missing``: % of children looked after during the year who went missing (LAIT
          ``Children_missing``, 2016-2025).
        - ``missing_reasons``: "column: reason" for every NaN above (suppressed ``c``, not applicable ``z``,
          not published that year, split LA...). Nothing suppressed becomes zero.

        ``.attrs["sources"]`` maps each column to the file it came from.

    Raises
    ------
    InputError
        For a year outside 2014–2025 (listing the years available).
    MissingColumnsError
        If a source file lacks an expected column.
    """
    import boundaries

    if not isinstance(year, int) or year not in YEARS:
        raise unknown_year("children-looked-after demand data", year, list(YEARS))
    lk = boundaries.la_lookup()
    las = lk[(lk["first_year"] <= to_year) & (lk["last_year"] >= to_year)].set_index("la_code").sort_index()
    parts: list[pd.DataFrame] = []
    sources: dict[str, str] = {}

    # CLA number, population and rate: the newest catalogued EES release holding the year, else LAIT
    rates = _newest_key("ees_cla_rates", year)
    if rates is not None:
        key = rates
        parts.append(_rates(year, key))
        for c in ("children_looked_after", "population_0_17", "cla_rate_per_10k"):
            sources[c] = FILES[key]
    elif year in LAIT_YEARS:
        lait = _lait_long(["LACnum", "LAC"], [year]).rename(columns={
            "LACnum": "children_looked_after", "LAC": "cla_rate_per_10k",
            "LACnum__reason": "children_looked_after__reason", "LAC__reason": "cla_rate_per_10k__reason"})
        lait["population_0_17"] = (lait["children_looked_after"] / lait["cla_rate_per_10k"] * 10_000).round(-1)
        lait["population_0_17__reason"] = lait["children_looked_after__reason"].combine_first(
            lait["cla_rate_per_10k__reason"])
        parts.append(lait)
        sources["children_looked_after"] = sources["cla_rate_per_10k"] = FILES["lait"] + " (LACnum, LAC)"
        sources["population_0_17"] = ("derived: LACnum / LAC × 10,000, rounded to 10 (LAC is a rounded rate, "
                                      "so about ±1 %)")
    if year in _SFR:
        sfr = _sfr(year)
        if "children_looked_after" not in sources:  # before LAIT: the SFR's count
            parts.append(sfr[["children_looked_after"]])
            sources["children_looked_after"] = _DFE + "sfr_2011_2017/" + _SFR[year]
        parts.append(sfr[["outflow", "inflow", "net_gain"]])
        for c in ("outflow", "inflow", "net_gain"):
            sources[c] = _DFE + "sfr_2011_2017/" + _SFR[year]
    else:
        netgain = _newest_key("ees_netgain", year)
        if netgain is not None:
            key = netgain
            parts.append(_netgain(year, key))
            for c in ("outflow", "inflow", "net_gain"):
                sources[c] = FILES[key]
    if year in CHARACTERISTICS_YEARS:
        chars = _characteristics(year)
        parts.append(chars)
        sources["children_in_childrens_homes"] = (FILES[f"characteristics_{year}"] + " (Placement: Secure homes "
                                                  "and children's homes)")
        if "outflow" not in sources and "net_gain" in chars.columns:
            for c in ("outflow", "inflow", "net_gain"):
                sources[c] = FILES[f"characteristics_{year}"]
    if year in FOI_YEARS:
        foi = read_foi_chomes(year=year).drop(columns=["la_name"], errors="ignore")
        if year in CHARACTERISTICS_YEARS:  # the exact count comes from the characteristics file
            foi = foi.drop(columns=["children_in_childrens_homes"])
        else:
            sources["children_in_childrens_homes"] = FILES["foi_outside"] + " (number / percentage × 100)"
        parts.append(foi)
        sources["chomes_outside_la"] = sources["chomes_outside_la_pct"] = FILES["foi_outside"]
        parts.append(read_foi_chomes_netgain(year=year).drop(columns=["la_name"]))
        sources["chomes_net_gain"] = FILES["foi_netgain"]
    if year in LAIT_YEARS:
        parts.append(_lait_long(["LACDistance", "Children_missing"], [year]).rename(columns={
            "LACDistance": "pct_over_20_miles_outside_la", "Children_missing": "pct_went_missing"}))
        sources["pct_over_20_miles_outside_la"] = FILES["lait"] + " (LACDistance)"
        sources["pct_went_missing"] = FILES["lait"] + " (Children_missing)"

    out = pd.DataFrame(index=las.index.rename("la_code"))
    out["la_name"] = las["la_name"]
    out["region_code"] = las["region_code"]
    out["region_name"] = las["region_name"]
    reasons: dict[str, pd.Series] = {}
    for part in parts:
        part = part.reset_index()
        part = part[part["year"] == year] if "year" in part.columns else part
        h = _harmonise(part.drop(columns=["year"], errors="ignore"), to_year=to_year, year=year)
        for col in h.columns:
            if col.endswith("__reason"):
                continue
            out[col] = h[col].reindex(out.index)
            reasons[col] = h.get(f"{col}__reason", pd.Series(None, index=h.index, dtype=object)).reindex(out.index)
    for col in COLUMNS:
        if col not in out.columns:
            out[col] = np.nan
            reasons[col] = pd.Series(f"not published for {year} in the staged files", index=out.index)
        else:
            r = reasons[col]
            no_row = out[col].isna() & r.isna()
            reasons[col] = r.where(~no_row, f"no row for this LA in {year}")
    out = out[["la_name", "region_code", "region_name", *COLUMNS]]
    out["missing_reasons"] = _join_reasons(out, reasons)
    out.attrs["sources"] = sources
    out.attrs["year"] = year
    logger.info("demand %d: %d LAs, CLA %s", year, len(out), out["children_looked_after"].sum())
    return out


def lait_indicators(names: list[str], years: Iterable[int] | None = None, *, to_year: int = LA_VINTAGE,
                    path: str | Path | None = None) -> pd.DataFrame:
    """LAIT per-LA indicators by year, wide, indexed by (``la_code``, ``year``).

    Parameters
    ----------
    names
        LAIT ``short_desc`` codes, e.g. ``["LACDistance", "Children_missing"]`` (percentages, 0-100). See
        ``care/dfe_cla/lait/lait_cla_indicators_dictionary.csv`` for definitions.
    years
        Years to keep (default all, 2016-2025).
    to_year
        LA code vintage (2024). Predecessors that split give NaN for the successors, with the reason.
    path
        Replacement for the LAIT CSV (testing).

    Returns
    -------
    pandas.DataFrame
        One row per LA of ``to_year`` and year; a float column per indicator (NaN where suppressed or
        absent) and ``<name>_reason`` beside it (None where a value was read).

    Raises
    ------
    InputError
        For an unknown indicator (listing the known ones) or a year outside 2016-2025.
    """
    import boundaries

    years = list(LAIT_YEARS if years is None else years)
    bad_years = [y for y in years if y not in LAIT_YEARS]
    if bad_years:
        raise unknown_year("LAIT indicators", bad_years[0], list(LAIT_YEARS))
    long = _lait_long(list(names), years, path=path)
    lk = boundaries.la_lookup()
    las = sorted(lk.loc[(lk["first_year"] <= to_year) & (lk["last_year"] >= to_year), "la_code"])
    frames = []
    for y in years:
        h = _harmonise(long.reset_index().query("year == @y").drop(columns=["year"]), to_year=to_year, year=y)
        h = h.reindex(las)
        for n in names:
            reason = f"{n}__reason"
            if reason not in h.columns:
                h[reason] = None
            h[reason] = h[reason].where(h[n].notna() | h[reason].notna(), f"no row for this LA in {y}")
        h = h.rename(columns={f"{n}__reason": f"{n}_reason" for n in names})
        h.index.name = "la_code"
        frames.append(h.assign(year=y).set_index("year", append=True))
    out = pd.concat(frames).sort_index()
    out = out[[c for n in names for c in (n, f"{n}_reason")]]
    out.attrs["source"] = FILES["lait"]
    return out


def read_foi_chomes(*, year: int | None = None, level: str = "Local authority",
                    path: str | Path | None = None) -> pd.DataFrame:
    """DfE FOI 2024-0040813 part 2: CLA in children's homes placed outside their LA, 2014-2024.

    Parameters
    ----------
    year
        One year, or all (None).
    level
        ``"Local authority"`` (indexed by the file's ``la_code`` and ``year``), ``"Regional"`` (by
        ``region_code``) or ``"National"``.
    path
        Replacement file (testing).

    Returns
    -------
    pandas.DataFrame
        ``chomes_outside_la`` (children), ``chomes_outside_la_pct`` (% of the LA's children in secure and
        children's homes), ``children_in_childrens_homes`` (derived: number / pct × 100, rounded), with a
        ``__reason`` column for each (e.g. suppressed ``c``). National and regional numbers are rounded to 10.
    """
    if year is not None and year not in FOI_YEARS:
        raise unknown_year("FOI children's-homes data", year, list(FOI_YEARS))
    file = Path(path) if path is not None else data_path(FILES["foi_outside"])
    raw = read_csv_checked(file, skiprows=13, required=[*_TIDY, "region_code", "region_name", "characteristic",
                                                        "number", "percentage"])
    raw = raw[raw["geographic_level"] == level]
    if level == "Local authority":
        raw = raw[raw["new_la_code"].notna()]
    if year is not None:
        raw = raw[raw["time_period"].astype(int) == year]
    num = to_number(raw["number"], source=file.name, column="number")
    pct = to_number(raw["percentage"], source=file.name, column="percentage")
    total = (num["value"] / pct["value"] * 100).round()
    total = total.where(pct["value"] > 0)
    tot_reason = num["reason"].combine_first(pct["reason"])
    tot_reason = tot_reason.where(total.notna() | tot_reason.notna(), "not derivable: 0 % placed outside")
    index = {"Local authority": "new_la_code", "Regional": "region_code", "National": None}[level]
    out = pd.DataFrame({
        "year": raw["time_period"].astype(int),
        "la_name": raw["la_name"] if level == "Local authority" else raw["region_name"],
        "chomes_outside_la": num["value"], "chomes_outside_la__reason": num["reason"],
        "chomes_outside_la_pct": pct["value"], "chomes_outside_la_pct__reason": pct["reason"],
        "children_in_childrens_homes": total, "children_in_childrens_homes__reason": tot_reason,
    })
    return _index_by_area(out, raw, level=level, index=index, source=file.name)


def read_foi_chomes_netgain(*, year: int | None = None, level: str = "Local authority",
                            path: str | Path | None = None) -> pd.DataFrame:
    """DfE FOI 2024-0040813 part 1: net gain of CLA placed in children's homes, by LA, 2014-2024.

    ``chomes_net_gain`` = other LAs' children in children's homes inside this LA − this LA's children in
    children's homes outside it (children; positive = net importer), with ``chomes_net_gain__reason``.
    Indexed like :func:`read_foi_chomes`.
    """
    if year is not None and year not in FOI_YEARS:
        raise unknown_year("FOI children's-homes data", year, list(FOI_YEARS))
    file = Path(path) if path is not None else data_path(FILES["foi_netgain"])
    raw = read_csv_checked(file, skiprows=13, required=[*_TIDY, "region_code", "region_name", "characteristic",
                                                        "number"])
    raw = raw[raw["geographic_level"] == level]
    if level == "Local authority":
        raw = raw[raw["new_la_code"].notna()]
    if year is not None:
        raw = raw[raw["time_period"].astype(int) == year]
    num = to_number(raw["number"], source=file.name, column="number")
    out = pd.DataFrame({"year": raw["time_period"].astype(int),
                        "la_name": raw["la_name"] if level == "Local authority" else raw["region_name"],
                        "chomes_net_gain": num["value"], "chomes_net_gain__reason": num["reason"]})
    index = {"Local authority": "new_la_code", "Regional": "region_code", "National": None}[level]
    return _index_by_area(out, raw, level=level, index=index, source=file.name)


def lait_raw(*, path: str | Path | None = None) -> pd.DataFrame:
    """Read the LAIT indicator file as strings (every indicator, year, LA, region and England), columns checked."""
    file = _file("lait", path)
    raw = read_csv_checked(file, required=["short_desc", "year", "area_name", "la_number", "value"])
    raw.attrs["source"] = str(file)
    return raw


def read_ees_la(key: str, *, filter_column: str | list[str], path: str | Path | None = None,
                national: bool = False) -> pd.DataFrame:
    """Read one of the EES tidy files in :data:`FILES` (by key), checking its columns.

    Returns the raw string frame (all geographic levels); ``filter_column`` is the file's filter column (or
    columns: ``characteristic``, ``cla_group``...), checked for presence; ``CLA_group`` (2024 release) is
    read as ``cla_group``. ``national=True`` for the England-only tables, which have no LA columns.

    Raises
    ------
    DataUnavailableError, ChecksumError
        From the catalogue, when the file is absent or not the catalogued version.
    MissingColumnsError
        Naming the file and every missing column.
    """
    if key not in FILES:
        raise InputError(f"unknown DfE file key {key!r}; expected one of {', '.join(FILES)}")
    file = _file(key, path)
    filters = [filter_column] if isinstance(filter_column, str) else list(filter_column)
    tidy = ["time_period", "geographic_level"] if national else _TIDY
    return read_csv_checked(file, required=[*tidy, *filters], aliases=_EES_ALIASES)


SFR_FILES: dict[int | str, str] = {**{y: f for y, f in _SFR.items()},
                                   **{f"missing_{y}": f for y, f in _SFR_MISSING.items()}}
"""Every SFR underlying table :func:`read_sfr` reads: year → CLA file, ``missing_<year>`` → missing file."""


def read_sfr(year: int, *, kind: str = "cla", required: list[str] | None = None,
             path: str | Path | None = None) -> pd.DataFrame:
    """Read an SFR underlying table (2012-2017 CLA, 2015-2017 missing) as strings, all geographic levels.

    Columns are stripped (the headers carry trailing spaces), ``CLAA_InBound`` (2011-2012) is read as
    ``CLA_InBound``, ``geog_l`` is stripped (``NATIONAL``, ``REGION``, ``LA``). These files are the first
    publication of each year: later EES releases revise them.

    Raises
    ------
    InputError
        For a year without a staged file (listing those that have one).
    MissingColumnsError
        If ``required`` (or the geography columns) are absent.
    """
    table = _SFR if kind == "cla" else _SFR_MISSING
    if year not in table:
        raise unknown_year(f"SFR {kind} table", year, sorted(table))
    rel = _DFE + "sfr_2011_2017/" + table[year]
    file = Path(path) if path is not None else data_path(rel)
    raw = read_csv_checked(file, encoding="latin-1", aliases=_EES_ALIASES,
                           required=["New_geog_code", "geog_l", "geog_n", *(required or [])])
    raw = raw.assign(geog_l=raw["geog_l"].str.strip(), New_geog_code=raw["New_geog_code"].str.strip())
    raw.attrs["source"] = rel
    return raw


def national_figures(year: int) -> dict[str, float]:
    """England figures for ``year`` used by the headline table: children missing, incidents, CLA.

    Keys: ``children_went_missing``, ``missing_incidents``, ``children_looked_after_during_year``,
    ``pct_went_missing``. Source: EES missing file of the 2022 release (2018-2019) or 2024 release (2020+).
    """
    covered = years.years("ees_la_missing")
    key = _newest_key("ees_la_missing", year)
    if key is None:
        raise unknown_year("national missing figures", year, list(covered))
    raw = read_ees_la(key, filter_column="cla_group")  # the 2024 release spells it CLA_group
    nat = raw[(raw["geographic_level"] == "National") & (raw["time_period"].astype(int) == year)]
    vals = dict(zip(nat["cla_group"], pd.to_numeric(nat["number"], errors="coerce"), strict=False))
    return {
        "children_went_missing": vals["Children who had a missing incident during the year"],
        "missing_incidents": vals["Number of missing incidents during the year"],
        "children_looked_after_during_year": vals["Children looked after during the year"],
        "pct_went_missing": vals["Percentage of children who had a missing incident during the year"],
        "source": FILES[key],
    }


# -- private readers --------------------------------------------------------------------------------------------


def _file(key: str, path: str | Path | None) -> Path:
    """Return the catalogued file for ``key``, or a replacement ``path`` (which must exist)."""
    if path is None:
        return data_path(FILES[key])
    file = Path(path)
    if not file.is_file():
        raise DataUnavailableError(f"{file}: no such file (given in place of {FILES[key]})")
    return file


def _la_rows(raw: pd.DataFrame) -> pd.DataFrame:
    return raw[(raw["geographic_level"] == "Local authority") & raw["new_la_code"].notna()]


def _rates(year: int, key: str) -> pd.DataFrame:
    file = data_path(FILES[key])
    pop_col = "population_type" if key == "rate_2025" else "population_count"
    num_col = "children_count" if key == "rate_2025" else "number"
    raw = read_csv_checked(file, required=[*_TIDY, pop_col, "population_estimate", num_col, "rate_per_10000"])
    raw = _la_rows(raw)
    raw = raw[(raw["time_period"].astype(int) == year) & raw[pop_col].str.contains("31 March", na=False)]
    out = pd.DataFrame({"la_code": raw["new_la_code"], "year": year}, index=raw.index)
    for src, dst in ((num_col, "children_looked_after"), ("population_estimate", "population_0_17"),
                     ("rate_per_10000", "cla_rate_per_10k")):
        parsed = to_number(raw[src], source=file.name, column=src)
        out[dst] = parsed["value"]
        out[f"{dst}__reason"] = parsed["reason"]
    return out.set_index(["la_code", "year"])


def _netgain(year: int, key: str) -> pd.DataFrame:
    file = data_path(FILES[key])
    raw = _la_rows(read_csv_checked(file, required=[*_TIDY, "characteristic", "number"]))
    raw = raw[raw["time_period"].astype(int) == year]
    names = {"1.": "inflow", "2.": "outflow", "Net": "net_gain"}
    raw = raw.assign(col=raw["characteristic"].str[:3].str.strip().map(lambda s: names.get(s[:3].strip(), None)))
    missing = raw["col"].isna()
    if missing.any():
        raise InputError(f"{file.name}: unexpected characteristic(s) {sorted(raw.loc[missing, 'characteristic'])[:3]}")
    return _pivot(raw, file.name, "col", "number", year)


def _characteristics(year: int) -> pd.DataFrame:
    file = data_path(FILES[f"characteristics_{year}"])
    raw = _la_rows(read_csv_checked(file, required=[*_TIDY, "cla_group", "characteristic", "number"]))
    pick = {
        ("Placement", "Secure homes and children's homes"): "children_in_childrens_homes",
        ("LA of placement", "2. Other LA children externally placed within the local authority boundary"): "inflow",
        ("Locality of placement", "Placed outside the local authority boundary"): "outflow",
    }
    raw = raw.assign(col=[pick.get((g, c)) for g, c in zip(raw["cla_group"], raw["characteristic"], strict=True)])
    raw = raw[raw["col"].notna()]
    if year in years.years("ees_netgain"):  # the net gain file covers it: keep the flows from there
        raw = raw[raw["col"] == "children_in_childrens_homes"]
    out = _pivot(raw, file.name, "col", "number", year)
    if "inflow" in out.columns and "outflow" in out.columns:
        out["net_gain"] = out["inflow"] - out["outflow"]
        out["net_gain__reason"] = out["inflow__reason"].combine_first(out["outflow__reason"])
    return out


def _sfr(year: int) -> pd.DataFrame:
    cols = {f"CLA_Mar{year}": "children_looked_after", "CLA_Outbound": "outflow", "CLA_ExtPl": "inflow",
            "CLA_NetGain": "net_gain"}
    raw = read_sfr(year, required=list(cols))
    file = Path(raw.attrs["source"])
    raw = raw[raw["geog_l"] == "LA"]
    codes = raw["New_geog_code"]
    out = pd.DataFrame({"la_code": codes.replace(_PRE_2014_CODES), "year": year}, index=raw.index)
    for src, dst in cols.items():
        parsed = to_number(raw[src], source=file.name, column=src)
        out[dst] = parsed["value"]
        out[f"{dst}__reason"] = parsed["reason"]
    # CLA_NetGain is 'x' for many LAs (London among them) although both flows are published: derive it.
    derive = out["net_gain"].isna() & out["inflow"].notna() & out["outflow"].notna()
    out.loc[derive, "net_gain"] = out.loc[derive, "inflow"] - out.loc[derive, "outflow"]
    out.loc[derive, "net_gain__reason"] = None
    return out.set_index(["la_code", "year"])


# Codes replaced in 2013 that the SFR files still use (Gateshead, Northumberland).
_PRE_2014_CODES = {"E08000020": "E08000037", "E06000048": "E06000057"}
PRE_2014_CODES = _PRE_2014_CODES
"""LA codes replaced in 2013 (same areas) that the SFR files still use → their current codes."""


def _lait_long(names: list[str], years: list[int], *, path: str | Path | None = None) -> pd.DataFrame:
    import boundaries

    raw = lait_raw(path=path)
    file = Path(raw.attrs["source"])
    known = sorted(raw["short_desc"].unique())
    unknown = [n for n in names if n not in known]
    if unknown:
        raise InputError(f"{file.name}: unknown LAIT indicator(s) {unknown}; known: {', '.join(known)}")
    raw = raw[raw["short_desc"].isin(names) & raw["year"].astype(int).isin(years)]
    lk = boundaries.la_lookup()
    raw = raw.assign(year=raw["year"].astype(int))
    keys = raw[["la_number", "year"]].drop_duplicates()
    codes = {(n, y): _code_for_number(lk, str(n), y) for n, y in keys.itertuples(index=False)}
    raw = raw.assign(la_code=[codes[(n, y)] for n, y in zip(raw["la_number"], raw["year"], strict=True)])
    raw = raw[raw["la_code"].notna()]  # regions (9xx) and England (970)
    parsed = to_number(raw["value"], source=file.name, column="value")
    long = pd.DataFrame({"la_code": raw["la_code"], "year": raw["year"], "name": raw["short_desc"],
                         "value": parsed["value"], "reason": parsed["reason"]})
    if long.empty:
        raise InputError(f"{file.name}: no LA rows for {names} in {years}")
    wide = long.pivot_table(index=["la_code", "year"], columns="name", values="value", aggfunc="first", dropna=False)
    why = long.pivot_table(index=["la_code", "year"], columns="name", values="reason", aggfunc="first")
    for n in names:
        if n not in wide.columns:
            wide[n] = np.nan
    wide = wide[names]
    for n in names:
        wide[f"{n}__reason"] = why[n].reindex(wide.index) if n in why.columns else None
    wide.columns.name = None
    return wide


def _newest_key(series: str, year: int) -> str | None:
    """Key in :data:`FILES` of the newest catalogued release of ``series`` holding ``year`` (None if none does).

    A release the catalogue lists but :data:`FILES` does not (a reader mapping still to write) is skipped.
    """
    by_path = {path: key for key, path in FILES.items()}
    listed = catalogue.all_datasets()
    keys = [by_path[listed[n].first.path] for n in sorted(years.datasets(series, year), reverse=True)
            if listed[n].first.path in by_path]
    return keys[0] if keys else None


def _la_vintage(year: int) -> int:
    """Return the LA boundary vintage nearest ``year`` (within the catalogued boundaries)."""
    first, last = years.span("la_boundaries")
    return min(max(year, first), last)


def _code_for_number(lk: pd.DataFrame, number: str, year: int) -> str | None:
    hits = lk[lk["dfe_la_number"] == number.zfill(3)]
    if hits.empty:
        return None
    vintage = _la_vintage(year - 1)
    valid = hits[(hits["first_year"] <= vintage) & (hits["last_year"] >= vintage)]
    return str((valid if len(valid) else hits)["la_code"].iloc[0])


def _pivot(raw: pd.DataFrame, source: str, col: str, value: str, year: int) -> pd.DataFrame:
    parsed = to_number(raw[value], source=source, column=value)
    long = pd.DataFrame({"la_code": raw["new_la_code"], "col": raw[col], "value": parsed["value"],
                         "reason": parsed["reason"]})
    dup = long.duplicated(["la_code", "col"])
    if dup.any():
        long = long[~dup]
    wide = long.pivot(index="la_code", columns="col", values="value")
    why = long.pivot(index="la_code", columns="col", values="reason")
    for c in list(wide.columns):
        wide[f"{c}__reason"] = why[c]
    wide.columns.name = None
    wide["year"] = year
    return wide.set_index("year", append=True)


def _harmonise(part: pd.DataFrame, *, to_year: int, year: int) -> pd.DataFrame:
    """Map a frame keyed by ``la_code`` (DfE codes of the year) to ``to_year`` codes.

    Rows of LAs that did not exist yet and hold only 'z' are dropped; merged LAs are summed for counts,
    rates/percentages become NaN (not recomputable); split predecessors give NaN to their successors.
    """
    import boundaries

    part = part.reset_index(drop=True) if "la_code" in part.columns else part.reset_index()
    value_cols = [c for c in part.columns if c != "la_code" and not c.endswith("__reason")]
    for c in value_cols:
        if f"{c}__reason" not in part.columns:
            part[f"{c}__reason"] = None
    lk = boundaries.la_lookup().set_index("la_code")
    vintage = _la_vintage(year - 1)
    valid = part["la_code"].map(lambda c: c in lk.index and lk.at[c, "first_year"] <= vintage <= lk.at[c, "last_year"])
    all_na = part[value_cols].isna().all(axis=1)
    part = part[valid | ~all_na]
    mapped, split_note = {}, {}
    for code in pd.unique(part["la_code"]):
        try:
            mapped[code] = boundaries.harmonise_code(code, to_year=to_year)
        except SplitAreaError:
            for succ in _successors(code, to_year):
                split_note[succ] = (f"predecessor {lk.at[code, 'la_name'] if code in lk.index else code} "
                                    f"split later; its figures cannot be divided")
        except UnknownAreaCodeError:
            logger.warning("demand %d: unknown LA code %r skipped", year, code)
            split_note.setdefault("__unknown__", code)
    part = part[part["la_code"].isin(list(mapped))].assign(la_code=lambda d: d["la_code"].map(mapped))
    rate_like = [c for c in value_cols if "pct" in c or "rate" in c or c[0].isupper() and c not in ("LACnum",)]
    rows = {}
    for code, g in part.groupby("la_code"):
        row: dict[str, object] = {}
        for c in value_cols:
            if len(g) == 1:
                row[c], row[f"{c}__reason"] = g[c].iloc[0], g[f"{c}__reason"].iloc[0]
            elif c in rate_like:
                row[c], row[f"{c}__reason"] = np.nan, f"{len(g)} predecessor LAs merged; rate not recomputable"
            elif g[c].isna().any():
                row[c] = np.nan
                row[f"{c}__reason"] = "a predecessor LA's value is missing: " + "; ".join(
                    g[f"{c}__reason"].dropna().astype(str).unique())
            else:
                row[c], row[f"{c}__reason"] = g[c].sum(), None
        rows[code] = row
    out = pd.DataFrame.from_dict(rows, orient="index")
    for c in value_cols:
        if c not in out.columns:
            out[c] = np.nan
        out[f"{c}__reason"] = out.get(f"{c}__reason", pd.Series(None, index=out.index)).astype(object)
    for succ, note in split_note.items():
        if succ == "__unknown__":
            continue
        if succ not in out.index:
            out.loc[succ, value_cols] = np.nan
        # a successor that also took in other areas (BCP: Bournemouth + Poole + Christchurch from Dorset
        # county) would be undercounted by its other predecessors alone: it is unknown as a whole
        for c in value_cols:
            out.loc[succ, c] = np.nan
            out.loc[succ, f"{c}__reason"] = note
    for c in value_cols:
        out[c] = pd.to_numeric(out[c], errors="coerce")
    return out


def _successors(code: str, to_year: int) -> list[str]:
    import boundaries

    change = boundaries.successors(code)
    return list(change[1]) if change else []


def _join_reasons(frame: pd.DataFrame, reasons: dict[str, pd.Series]) -> pd.Series:
    parts = []
    for col in COLUMNS:
        r = reasons.get(col)
        if r is None:
            continue
        parts.append((col + ": " + r.astype("string")).where(frame[col].isna()))
    joined = pd.concat(parts, axis=1).apply(lambda row: "; ".join(v for v in row if isinstance(v, str)), axis=1)
    return joined.replace("", None)


_ = check_columns  # re-exported helper used by tests of malformed files


def _index_by_area(out: pd.DataFrame, raw: pd.DataFrame, *, level: str, index: str | None,
                   source: str) -> pd.DataFrame:
    """Index an FOI table by (LA or region code, year), or by year for the national rows."""
    if index:
        out.insert(0, "la_code" if level == "Local authority" else "region_code", raw[index])
        out = out.set_index([out.columns[0], "year"])
    else:
        out = out.drop(columns=["la_name"]).set_index("year")
    out.attrs["source"] = source
    return out
