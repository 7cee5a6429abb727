"""LA-level outcome statistics from DfE: distance from home and going missing, by LA and year (2016-2025)."""

from __future__ import annotations

import logging
from typing import Any

import numpy as np
import pandas as pd

from geo import catalogue
from geo import years as years_registry
from geo.catalogue import data_path
from geo.errors import DataUnavailableError, InputError, SplitAreaError, UnknownAreaCodeError, require_columns
from geo.quality import quality_table
from geo.settings import LA_VINTAGE
from provision._readers import SUPPRESSION_SYMBOLS
from provision.demand import FILES, LAIT_YEARS

logger = logging.getLogger(__name__)

__all__ = ["load_ecological"]

def _ees_missing() -> dict[str, tuple[int, ...]]:
    """Each catalogued EES LA missing file (mirror-relative path) and its years, newest release first."""
    listed = catalogue.all_datasets()
    unique = sorted({n for y in years_registry.years("ees_la_missing")
                     for n in years_registry.datasets("ees_la_missing", y)}, reverse=True)  # ees2024_ first
    return {listed[n].first.path: years_registry.dataset_years(n) for n in unique}

_SFR_MISSING = {  # year: (missing file, its incidents column, CLA file, its "during the year" column)
    2016: ("SFR41_Missing2016.csv", "CLA_MissIncs", "SFR41_CLA2016.csv", "CLA_2016"),
    2017: ("SFR50_Missing_2017.csv", "Miss_Miss_Incs", "SFR50_CLA2017.csv", "CLA_2017"),
}

_EES_INCIDENTS = "Number of missing incidents during the year"

_EES_CLA_YEAR = "Children looked after during the year"


def load_ecological(*, year_from: int | None = None, year_to: int | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """LA-by-year frame of distance and going missing from the published DfE statistics.

    Reads the LAIT indicators ``LACDistance`` (% of children looked after at 31 March placed more than 20 miles
    from home *and* outside the LA boundary, straight-line distance as DfE computes it) and ``Children_missing``
    (% of children looked after during the year who went missing), and for missing incidents per child looked
    after during the year the EES LA files (2018-2024; the newest release wins for an overlapping year) and the
    SFR underlying tables (2016-2017).
    The LA is the responsible (placing) LA, identified by its DfE number and mapped to its 2024 ONS code.

    Parameters
    ----------
    year_from, year_to
        Years ending 31 March, inclusive, within the catalogued LAIT years (:data:`provision.demand.LAIT_YEARS`;
        default all of them).

    Returns
    -------
    frame
        One row per LA and year: ``la_code`` (2024 ONS code), ``la_number``, ``la_name``, ``year``,
        ``pct_over_20_miles_outside_la``, ``pct_went_missing``, ``missing_incidents``,
        ``children_looked_after_during_year``, ``missing_incidents_per_child`` (NaN where not published).
    data_quality
        Rows not used, counted by source and reason (``source``, ``reason``, ``rows``, ``examples``).
    """
    year_from = LAIT_YEARS[0] if year_from is None else year_from
    year_to = LAIT_YEARS[-1] if year_to is None else year_to
    if year_from > year_to:
        raise InputError(f"year range {year_from}-{year_to} is empty: --from must not be after --to")
    if year_from not in LAIT_YEARS or year_to not in LAIT_YEARS:
        raise InputError(f"years {year_from}-{year_to} are outside the LAIT coverage {LAIT_YEARS}")
    issues: list[dict[str, Any]] = []
    lait = _read_lait(("LACDistance", "Children_missing"), year_from, year_to, issues)
    lait = lait.drop_duplicates(["short_desc", "la_number", "year"])
    wide = lait.pivot(index=["la_number", "year"], columns="short_desc", values="value_num").reset_index()
    wide.columns.name = None
    names = lait.drop_duplicates(["la_number", "year"]).set_index(["la_number", "year"])["area_name"]
    wide["la_name"] = [names.get((n, y), "") for n, y in zip(wide["la_number"], wide["year"], strict=True)]
    wide = wide.rename(columns={"LACDistance": "pct_over_20_miles_outside_la",
                                "Children_missing": "pct_went_missing"})
    for col in ("pct_over_20_miles_outside_la", "pct_went_missing"):
        if col not in wide:
            wide[col] = np.nan
    ees = _read_ees_missing(year_from, year_to, issues)
    frame = wide.merge(ees, on=["la_number", "year"], how="left")
    frame["missing_incidents_per_child"] = frame["missing_incidents"] / frame["children_looked_after_during_year"]
    both = frame[["pct_over_20_miles_outside_la", "pct_went_missing"]].notna().all(axis=1)
    for row in frame.loc[~both].itertuples():
        which = [c for c in ("pct_over_20_miles_outside_la", "pct_went_missing") if pd.isna(getattr(row, c))]
        issues.append({"source": "LA-years", "reason": f"LA-year left out: no {' and no '.join(which)} "
                       "(suppressed, or the LA did not exist that year)",
                       "example": f"{row.la_name} ({row.la_number}) {row.year}"})
    frame = _attach_2024_codes(frame.loc[both], issues)
    frame = frame.sort_values(["year", "la_number"]).reset_index(drop=True)
    if frame.empty:
        raise DataUnavailableError(f"no LA-year has both LACDistance and Children_missing in {year_from}-{year_to}")
    cols = ["la_code", "la_number", "la_name", "year", "pct_over_20_miles_outside_la", "pct_went_missing",
            "missing_incidents", "children_looked_after_during_year", "missing_incidents_per_child"]
    logger.info("ecological frame: %d LA-years, %d LAs, %d rows set aside", len(frame),
                frame["la_code"].nunique(), len(issues))
    return frame[cols], quality_table(issues)


def _to_number(values: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Numbers from DfE strings, and the reason for each value that is not a number (NaN where it is)."""
    s = values.astype("string").str.strip().str.replace(",", "", regex=False)
    num = pd.to_numeric(s, errors="coerce")
    reason = s.str.lower().map(lambda v: SUPPRESSION_SYMBOLS.get(v, f"not a number ({v!r})") if pd.notna(v)
                               else "blank")
    return num, reason.where(num.isna())


def _read_lait(indicators: tuple[str, ...], year_from: int, year_to: int,
               issues: list[dict[str, Any]]) -> pd.DataFrame:

    path = data_path(FILES["lait"])
    lait = pd.read_csv(path, dtype=str, encoding="utf-8-sig")
    require_columns(lait, ["short_desc", "year", "area_name", "la_number", "value"], path.name)
    lait = lait.loc[lait["short_desc"].isin(indicators)].copy()
    lait["year"] = pd.to_numeric(lait["year"], errors="coerce")
    lait = lait.loc[lait["year"].between(year_from, year_to)]
    lait["year"] = lait["year"].astype(int)
    lait["la_number"] = lait["la_number"].str.strip().str.zfill(3)
    not_la = lait["la_number"].isin({"970", *[str(n) for n in range(980, 1000)]}) | ~lait["la_number"].str.isdigit()
    for _, part in lait.loc[not_la].groupby("short_desc"):
        issues.append({"source": f"LAIT {part['short_desc'].iloc[0]}", "reason": "England or region row, not an LA",
                       "rows": len(part)})
    lait = lait.loc[~not_la]
    lait["value_num"], why = _to_number(lait["value"])
    for (ind, reason), part in lait.loc[why.notna()].assign(_why=why).groupby(["short_desc", "_why"]):
        issues.append({"source": f"LAIT {ind}", "reason": f"value {reason}", "rows": len(part),
                       "example": "; ".join((part["area_name"] + " " + part["year"].astype(str)).head(5))})
    if lait.empty:
        raise DataUnavailableError(f"{path.name}: no LA rows for {', '.join(indicators)} in {year_from}-{year_to}")
    return lait


def _read_ees_missing(year_from: int, year_to: int, issues: list[dict[str, Any]]) -> pd.DataFrame:

    frames, done = [], set()
    for rel, years in _ees_missing().items():  # newest release first: later releases revise earlier years
        want = [y for y in years if year_from <= y <= year_to and y not in done]
        if not want:
            continue
        path = data_path(rel)
        df = pd.read_csv(path, dtype=str, encoding="utf-8-sig")
        df.columns = [c.strip().lower() for c in df.columns]
        require_columns(df, ["time_period", "geographic_level", "old_la_code", "la_name", "cla_group", "number"],
                        path.name)
        keep = df["geographic_level"].eq("Local authority") & df["cla_group"].isin([_EES_INCIDENTS, _EES_CLA_YEAR])
        df = df.loc[keep].assign(year=pd.to_numeric(df.loc[keep, "time_period"], errors="coerce"))
        df = df.loc[df["year"].isin(want)]
        df["value_num"], why = _to_number(df["number"])
        release = path.parent.name
        for (grp, reason), part in df.loc[why.notna()].assign(_why=why).groupby(["cla_group", "_why"]):
            issues.append({"source": f"EES {release}: {grp}", "reason": f"value {reason}", "rows": len(part),
                           "example": "; ".join((part["la_name"] + " " + part["time_period"]).head(5))})
        df["la_number"] = df["old_la_code"].str.strip().str.zfill(3)
        frames.append(df[["la_number", "year", "cla_group", "value_num"]])
        done.update(want)
    for year, (mis_file, inc_col, cla_file, cla_col) in _SFR_MISSING.items():
        if not year_from <= year <= year_to:
            continue
        parts = []
        for name, col, group in ((mis_file, inc_col, _EES_INCIDENTS), (cla_file, cla_col, _EES_CLA_YEAR)):
            path = data_path(f"care/dfe_cla/sfr_2011_2017/{name}")
            df = pd.read_csv(path, dtype=str, encoding="latin-1")
            df.columns = [c.strip() for c in df.columns]  # headers carry trailing spaces
            require_columns(df, ["geog_l", "geog_c", "geog_n", col], name)
            df = df.loc[df["geog_l"].str.strip().eq("LA")]
            num, why = _to_number(df[col])
            for reason, part in df.loc[why.notna()].assign(_why=why).groupby("_why"):
                issues.append({"source": f"SFR {name}: {col}", "reason": f"value {reason}", "rows": len(part),
                               "example": "; ".join((part["geog_n"] + f" {year}").head(5))})
            parts.append(pd.DataFrame({"la_number": df["geog_c"].str.strip().str.zfill(3), "year": year,
                                       "cla_group": group, "value_num": num}))
        frames.extend(parts)
        done.add(year)
    if not frames:
        return pd.DataFrame(columns=["la_number", "year", "missing_incidents", "children_looked_after_during_year"])
    ees = pd.concat(frames).pivot_table(index=["la_number", "year"], columns="cla_group", values="value_num",
                                        aggfunc="first").reset_index()
    ees = ees.rename(columns={_EES_INCIDENTS: "missing_incidents", _EES_CLA_YEAR: "children_looked_after_during_year"})
    ees.columns.name = None
    ees["year"] = ees["year"].astype(int)
    for col in ("missing_incidents", "children_looked_after_during_year"):
        if col not in ees:
            ees[col] = np.nan
    without = sorted(set(range(year_from, year_to + 1)) - done)
    if without:
        issues.append({"source": "EES missing", "reason": "missing incidents per child not published at LA level "
                       f"in the staged files for {', '.join(map(str, without))} (share who went missing used only)",
                       "rows": len(without)})
    return ees[["la_number", "year", "missing_incidents", "children_looked_after_during_year"]]


def _attach_2024_codes(frame: pd.DataFrame, issues: list[dict[str, Any]]) -> pd.DataFrame:
    """Map (DfE LA number, year) to the 2024 ONS code; split and merged predecessors are set aside, counted.

    A DfE year ends on 31 March, so figures for year Y come from the LAs in force during April Y-1 to March Y:
    an LA number not in force in Y is looked up in Y-1 (e.g. Poole's figures for 2019).
    """
    import boundaries

    codes: dict[str, str | None] = {}
    for number, years in frame.groupby("la_number")["year"]:
        year = int(years.min())
        code = None
        for y in (year, year - 1):
            try:
                code = boundaries.resolve_la(number, year=max(y, years_registry.span("la_boundaries")[0]))
                break
            except SplitAreaError:
                break
            except UnknownAreaCodeError:
                continue
        if code is None:
            codes[number] = None
            issues.append({"source": "LA codes", "reason": "DfE LA number not known for that year",
                           "rows": len(years), "example": f"{number} {year}"})
            continue
        try:
            codes[number] = boundaries.harmonise_code(code, to_year=LA_VINTAGE)
        except SplitAreaError as exc:
            codes[number] = None
            issues.append({"source": "LA codes", "reason": "predecessor split between 2024 LAs (no 2024 code): "
                           + str(exc).split(":")[0], "rows": len(years),
                           "example": f"{number} {int(years.min())}-{int(years.max())}"})
    out = frame.copy()
    out["la_code"] = out["la_number"].map(codes)
    # Predecessors merged into one 2024 LA (e.g. Bournemouth and Poole into BCP): shares cannot be combined.
    dup = out["la_code"].notna() & out.duplicated(["la_code", "year"], keep=False)
    for row in out.loc[dup].itertuples():
        issues.append({"source": "LA codes", "reason": "predecessor merged into a 2024 LA; its percentages cannot "
                       "be combined without denominators", "example": f"{row.la_name} ({row.la_number}) {row.year}"})
    out.loc[dup, "la_code"] = None
    return out.loc[out["la_code"].notna()]
