"""Several SSDA903 collection years as one return: overlapping episodes de-duplicated, YEAR checked, ids told apart.

An SSDA903 return for the year ending 31 March ``Y`` (``YEAR = Y``) holds every episode open during 1 April
``Y-1`` to 31 March ``Y``, so an episode open across 31 March is in two returns: the later row (which has the
end date) is kept. A header row repeats in every year a child is looked after. A ``CHILD`` id is an LA's own
and is kept across years; two different children (different dates of birth) with one id in different years
are told apart by the year. Every row kept, merged or re-labelled is counted in the data-quality table.
"""

from __future__ import annotations

import logging
from typing import Any

import numpy as np
import pandas as pd

from geo.errors import InputError
from provision.ssda903 import parse_dates

logger = logging.getLogger(__name__)

__all__ = ["YEAR_COLUMN", "combine_years", "collection_year", "year_window", "return_year", "observation_window"]

YEAR_COLUMN = "YEAR"
"""Column naming the collection year of a row (the year ending 31 March: 2024 for 2023-24)."""


def collection_year(dates: pd.Series) -> pd.Series:
    """Return the collection year (ending 31 March) of each date: 1 April 2023 to 31 March 2024 is 2024."""
    return (dates.dt.year + (dates.dt.month >= 4)).astype("Int64")


def year_window(year: int) -> tuple[pd.Timestamp, pd.Timestamp]:
    """First and last day of collection year ``year``."""
    return pd.Timestamp(year=year - 1, month=4, day=1), pd.Timestamp(year=year, month=3, day=31)


def return_year(start: pd.Series, end: pd.Series) -> int:
    """Return the collection year a return is for: the year in which most of its episodes end, or are last open.

    A return for the year ending 31 March ``Y`` holds the episodes open during that year: every closed one ends
    in ``Y`` and every one that started in ``Y`` starts in it, so ``Y`` is the most common collection year of each
    episode's DEC (its DECOM while open). A few stray dates (a DEC typed as 2026, an episode from 2010) cannot
    move it, as they would move the first or last date; ties go to the later year.

    Parameters
    ----------
    start, end
        Parsed DECOM and DEC (``datetime64``; DEC NaT while open).

    Raises
    ------
    InputError
        No episode has a date.
    """
    last = end.where(end.notna(), start).dropna()
    if last.empty:
        raise InputError("no episode has a DECOM or DEC date: the collection year of the return is unknown; give "
                         "the observation window (--from and --to)")
    counts = collection_year(last).value_counts()
    return int(counts[counts == counts.max()].index.max())


def observation_window(start: pd.Series, end: pd.Series, *, observation_start: object = None,
                       reference_date: object = None, years: tuple[int, int] | None = None
                       ) -> tuple[pd.Timestamp, pd.Timestamp]:
    """Return the first and last day observed: as given (``--from``/``--to``), else whole collection years.

    Never stretched by the data: without dates given, it is the collection years the rows declare (``years``, from
    a ``YEAR`` column or one file per year), else the return's own year (:func:`return_year`). Episodes and
    missing episodes outside it are counted in the data-quality table, not used to widen it.

    Parameters
    ----------
    start, end
        Parsed DECOM and DEC of the episodes (used only when neither ``years`` nor both dates are given).
    observation_start, reference_date
        First and last day observed (anything ``pandas.Timestamp`` reads); one alone takes the other from the
        collection year(s).
    years
        First and last collection year declared by the rows.

    Raises
    ------
    InputError
        A window that ends before it starts.
    """
    first = pd.Timestamp(observation_start) if observation_start is not None else None
    last = pd.Timestamp(reference_date) if reference_date is not None else None
    if first is None and last is not None:  # --to alone: the year (365 or 366 days) that ends on it
        first = last - pd.DateOffset(years=1) + pd.Timedelta(days=1)
    if first is None or last is None:
        if years is None:
            year = return_year(start, end)
            years = (year, year)
        first = year_window(years[0])[0] if first is None else first
        last = year_window(max(years[1], int(collection_year(pd.Series([first])).iloc[0])))[1] if last is None \
            else last
    if first > last:
        raise InputError(f"observation period is empty: starts {first.date()} after it ends {last.date()}")
    return first, last


def combine_years(ep: pd.DataFrame, header: pd.DataFrame, mis: pd.DataFrame, *, source: str,
                  issues: list[dict[str, Any]]) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, tuple[int, int]]:
    """Merge collection years marked by a ``YEAR`` column (episodes ``_start``/``_end`` and missing ``_start`` parsed).

    Returns the episodes, header and missing tables with one row per episode, child and missing episode, and the
    first and last collection year. ``issues`` gets a count for every row merged, re-labelled or whose ``YEAR``
    disagrees with its dates (with the file, row and values, never the child id).

    Raises
    ------
    InputError
        A ``YEAR`` that is not a year, or collection years with a gap (placement days in a missing year would
        count as time without a missing episode).
    """
    ep = ep.copy()
    ep["_year"] = _years(ep[YEAR_COLUMN], source)
    years = sorted(int(y) for y in ep["_year"].unique())
    gaps = sorted(set(range(years[0], years[-1] + 1)) - set(years))
    if gaps:
        raise InputError(f"{source}: collection years {', '.join(map(str, years))} have a gap "
                         f"({', '.join(map(str, gaps))} missing): give every year in between, or one span of years")
    _check_dates(ep, source, issues)
    header = header.assign(CHILD=header["CHILD"].astype(str).str.strip())
    mis = mis.copy()
    header["_year"] = _years(header[YEAR_COLUMN], "header") if YEAR_COLUMN in header else np.nan
    mis["_year"] = _years(mis[YEAR_COLUMN], "missing") if YEAR_COLUMN in mis else np.nan
    if YEAR_COLUMN in header:
        ep, header, mis = _tell_apart(ep, header, mis, issues)
        header = _latest(header, ["CHILD"], "header", "header row repeated in another collection year "
                         "(the latest kept)", issues)
    ep = _latest(ep, ["CHILD", "_start"], source, "episode in two or more collection years (same CHILD and "
                 "DECOM): the latest year's row kept", issues)
    if YEAR_COLUMN in mis:
        future = mis["_start"].notna() & (mis["_start"] > mis["_year"].map(lambda y: year_window(int(y))[1]))
        if future.any():
            first = mis.index[future.to_numpy()][0]
            issues.append({"source": "missing", "reason": "YEAR before the year of MIS_START (kept; dates rule)",
                           "rows": int(future.sum()),
                           "example": f"row {first}: YEAR {int(mis.loc[first, '_year'])}, MIS_START "
                                      f"{mis.loc[first, '_start'].date()}"})
        mis = _latest(mis, ["CHILD", "_start", "MISSING"], "missing", "missing episode in two or more collection "
                      "years (same CHILD, MIS_START and MISSING): the latest year's row kept", issues)
    logger.info("collection years %d-%d: %d episodes, %d children after merging", years[0], years[-1], len(ep),
                len(header))
    return ep, header.drop(columns="_year"), mis.drop(columns="_year"), (years[0], years[-1])


def _years(values: pd.Series, source: str) -> pd.Series:
    """``YEAR`` as the year ending 31 March: ``2024``, ``'2024'``, ``'2023-24'`` or ``'202324'``."""
    text = values.astype(str).str.strip()
    out = pd.to_numeric(text, errors="coerce")
    span = text.str.extract(r"^(\d{4})[-/]?(\d{2})$")[0]
    out = out.where(span.isna(), pd.to_numeric(span, errors="coerce") + 1)
    bad = out.isna() | ~out.between(1990, 2100)
    if bad.any():
        first = values.index[bad.to_numpy()][0]
        raise InputError(f"{source} row {first}: YEAR {values.loc[first]!r} is not a collection year (expected "
                         "the year ending 31 March, e.g. 2024 or 2023-24)")
    return out.astype(int)


def _check_dates(ep: pd.DataFrame, source: str, issues: list[dict[str, Any]]) -> None:
    """Count episodes not open during their ``YEAR`` (kept: the dates rule), naming the first ones."""
    first_day = pd.to_datetime((ep["_year"] - 1).astype(str) + "-04-01")
    last_day = pd.to_datetime(ep["_year"].astype(str) + "-03-31")
    wrong = (ep["_start"] > last_day) | (ep["_end"].notna() & (ep["_end"] < first_day))
    if not wrong.any():
        return
    examples = []
    for idx in ep.index[wrong.to_numpy()][:3]:
        end = ep.loc[idx, "_end"]
        where = f"{idx.split(':')[0]} row {idx.split(':')[-1]}" if isinstance(idx, str) else f"{source} row {idx}"
        examples.append(f"{where}: YEAR {int(ep.loc[idx, '_year'])} but DECOM "
                        f"{ep.loc[idx, '_start'].date()}" + (f", DEC {end.date()}" if pd.notna(end) else ""))
    issues.append({"source": source, "reason": "YEAR disagrees with the dates (episode not open in that collection "
                   "year; kept, the dates rule)", "rows": int(wrong.sum()), "example": "; ".join(examples)})


def _tell_apart(ep: pd.DataFrame, header: pd.DataFrame, mis: pd.DataFrame,
                issues: list[dict[str, Any]]) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Give a year suffix to ids that name different children (different DOB) in different collection years."""
    hd = header.assign(CHILD=header["CHILD"].astype(str).str.strip())
    dob, _ = parse_dates(hd["DOB"]) if not pd.api.types.is_datetime64_any_dtype(hd["DOB"]) else (hd["DOB"], None)
    kinds = pd.DataFrame({"CHILD": hd["CHILD"], "dob": dob}).drop_duplicates().groupby("CHILD").size()
    clash = set(kinds.index[kinds > 1])
    if not clash:
        return ep, header, mis
    issues.append({"source": "header", "reason": "CHILD id used for different children (different DOB) in different "
                   "collection years: told apart by year", "rows": len(clash)})

    def relabel(frame: pd.DataFrame) -> pd.DataFrame:
        ids = frame["CHILD"].astype(str).str.strip()
        hit = ids.isin(clash) & frame["_year"].notna()
        out = frame.copy()
        out.loc[hit, "CHILD"] = ids[hit] + "~" + frame.loc[hit, "_year"].astype(int).astype(str)
        return out

    if mis["_year"].isna().any() and mis["CHILD"].astype(str).str.strip().isin(clash).any():
        raise InputError("missing: CHILD ids name different children in different years, but the missing table "
                         "has no YEAR column to tell them apart; add YEAR")
    return relabel(ep), relabel(hd), relabel(mis)


def _latest(frame: pd.DataFrame, keys: list[str], source: str, reason: str,
            issues: list[dict[str, Any]]) -> pd.DataFrame:
    """Keep the latest collection year's rows of each key; count the rows of earlier years left out.

    Rows repeated within one year are not an overlap of years: they are kept (and judged as in a single return).
    """
    latest = frame.groupby(keys, sort=False, dropna=False)["_year"].transform("max")
    earlier = frame["_year"] < latest
    if earlier.any():
        issues.append({"source": source, "reason": reason, "rows": int(earlier.sum())})
    return frame.loc[~earlier]
