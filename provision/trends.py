"""England over time: every figure the 2019 inquiry quoted, for every year the staged DfE and Ofsted files hold.

:func:`trends` returns one tidy long table in DfE's open-data conventions (``time_period``, ``geographic_level``,
``area_code``, ``area_name``, ``measure``, ``value``, ``unit``, ``published_or_computed``, ``source``, ``note``).
Later releases revise earlier years: the newest staged release wins and ``note`` quotes any other staged
release that differs (the first publication among them). DfE symbols (``c``, ``x``, ``z``, ``k``) stay NaN with
the symbol as the reason, never 0. Years a measure lacks are listed, with the reason, in
``table.attrs["gaps"]``; a source file that is absent, refused or malformed is named there (and in
``attrs["failures"]``) while every other measure still comes out.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Collection, Iterable, Iterator, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd

from geo import years as years_registry
from geo.errors import ChecksumError, DataUnavailableError, InputError
from provision import _trend_sources as src
from provision._readers import unknown_year

logger = logging.getLogger(__name__)

__all__ = ["YEARS", "LEVELS", "COLUMNS", "Measure", "MEASURES", "SOURCE_KEYS", "trends", "gap_table"]

YEARS = years_registry.live(src.all_years, label="trends sources")
"""Years ending 31 March that :func:`trends` covers: every year a staged source gives (the inquiry's 2012 to the
latest catalogued; a live view of :data:`provision._trend_sources.SOURCES`, so a newly catalogued Ofsted list is
in it)."""

LEVELS = {"national": src.NATIONAL, "region": src.REGIONAL, "la": src.LA}
"""``level`` argument → DfE ``geographic_level``."""

COLUMNS = ["time_period", "geographic_level", "area_code", "area_name", "measure", "value", "unit",
           "published_or_computed", "source", "note"]

ALL = tuple(LEVELS.values())
NAT = (src.NATIONAL,)


@dataclass(frozen=True)
class Measure:
    """What a measure counts, its unit and sign, and the levels it exists at.

    ``kind`` is "count" (a non-negative whole number), "pct" (0-100) or "rate" (non-negative).
    """

    name: str
    unit: str
    kind: str
    description: str
    levels: tuple[str, ...] = ALL


_CH = "children"
_M = [
    Measure("children_looked_after", _CH, "count", "Children looked after at 31 March"),
    Measure("cla_rate_per_10k", "children per 10,000 aged 0-17", "rate",
            "Children looked after at 31 March per 10,000 children aged 0-17"),
    Measure("children_in_childrens_homes", _CH, "count",
            "Children looked after at 31 March in secure homes and children's homes"),
    Measure("chomes_outside_la", _CH, "count",
            "Children in secure homes and children's homes placed outside their LA's boundary (31 March)"),
    Measure("chomes_outside_la_pct", "%", "pct",
            "% of children in secure homes and children's homes placed outside their LA's boundary"),
    Measure("cla_outside_la", _CH, "count", "Children looked after placed outside their LA's boundary (31 March)"),
    Measure("cla_outside_la_pct", "%", "pct", "% of children looked after placed outside their LA's boundary"),
    Measure("cla_over_20_miles_pct", "%", "pct",
            "% of children looked after placed more than 20 miles from home (straight line, DfE method)"),
    Measure("chomes_over_20_miles_pct", "%", "pct", "% of children in secure homes and children's homes placed "
            "more than 20 miles from home (straight line, DfE method)", NAT),
    Measure("children_missing", _CH, "count", "Children looked after who went missing during the year"),
    Measure("missing_incidents", "incidents", "count", "Missing incidents of children looked after in the year"),
    Measure("missing_incidents_inside_la", "incidents", "count",
            "Missing incidents from placements inside the council boundary", NAT),
    Measure("missing_incidents_outside_la", "incidents", "count",
            "Missing incidents from placements outside the council boundary", NAT),
    Measure("cla_independent_semi_independent", _CH, "count", "Children looked after at 31 March in independent "
            "and semi-independent living arrangements / supported accommodation"),
    Measure("cla_independent_semi_independent_aged_16_17_pct", "%", "pct",
            "% of those in independent and semi-independent living aged 16 or 17", NAT),
    Measure("cla_independent_semi_independent_outside_la_pct", "%", "pct",
            "% of those in independent and semi-independent living placed outside their LA's boundary", NAT),
    Measure("cla_independent_semi_independent_over_20_miles_pct", "%", "pct",
            "% of those in independent and semi-independent living placed more than 20 miles from home", NAT),
    Measure("homes", "homes", "count", "Children's homes in England, Ofsted's published national total", NAT),
    Measure("places", "places", "count", "Registered places in children's homes, Ofsted's published total", NAT),
    Measure("homes_in_list", "homes", "count", "Registered children's homes in the Ofsted provider list used"),
    Measure("places_in_list", "places", "count", "Registered places in the Ofsted provider list used"),
    Measure("homes_share_nw_wm_se_pct", "%", "pct",
            "% of children's homes in the North West, West Midlands and South East", NAT),
    Measure("homes_share_london_pct", "%", "pct", "% of children's homes in London", NAT),
    Measure("cla_share_london_pct", "%", "pct", "% of England's children looked after who are London's", NAT),
    Measure("homes_share_pct", "%", "pct", "The region's % of England's children's homes", (src.REGIONAL,)),
    Measure("places_share_pct", "%", "pct", "The region's % of England's registered places", (src.REGIONAL,)),
    Measure("cla_share_pct", "%", "pct", "The region's % of England's children looked after", (src.REGIONAL,)),
    Measure("homes_private_pct", "%", "pct", "% of children's homes run by private providers"),
    Measure("homes_la_run_pct", "%", "pct", "% of children's homes run by local authorities"),
    Measure("las_without_la_run_home", "local authorities", "count",
            "Local authorities with no LA-run children's home", (src.NATIONAL, src.REGIONAL)),
]
MEASURES: dict[str, Measure] = {m.name: m for m in _M}
"""Every measure :func:`trends` gives, by name."""

class _SourceKeys(Sequence[str]):
    """The keys of :data:`provision._trend_sources.SOURCES` as they are when used (a live view)."""

    def __getitem__(self, index):  # type: ignore[no-untyped-def]  # Sequence's int/slice overloads
        return tuple(s.key for s in src.SOURCES)[index]

    def __len__(self) -> int:
        return len(src.SOURCES)

    def __iter__(self) -> Iterator[str]:
        return iter(tuple(s.key for s in src.SOURCES))


SOURCE_KEYS: Sequence[str] = _SourceKeys()
"""Keys of the staged files, for the ``sources`` override of :func:`trends` (an Ofsted list catalogued later
has its key, ``ofsted_<year>``)."""

# measure → measures it is computed from (read too when it is asked for)
_DEPENDS = {"cla_outside_la_pct": ("cla_outside_la", "children_looked_after"),
            "cla_share_london_pct": ("children_looked_after",), "cla_share_pct": ("children_looked_after",)}

_R = (src.REGIONAL, src.LA)
# (measures, levels, years, reason): the documented reasons a staged file cannot give a year
_GAPS: list[tuple[tuple[str, ...], tuple[str, ...], Collection[int], str]] = [  # per-source facts (a reader table)
    (("cla_rate_per_10k",), ALL, range(2012, 2016), "no staged file publishes the rate before 2016: the SFR "
     "underlying tables hold counts only and the population estimates behind the rate are not staged"),
    (("children_in_childrens_homes",), ALL, range(2012, 2014), "the SFR tables give only 'secure units, children's "
     "homes and hostels' (CLA_Secure, which includes semi-independent hostels), not this group; the FOI starts in "
     "2014"),
    (("chomes_outside_la", "chomes_outside_la_pct"), ALL, range(2012, 2014), "the SFR LA tables do not cross "
     "placement type with locality; FOI 2024-0040813 starts in 2014"),
    (("chomes_outside_la", "chomes_outside_la_pct"), ALL, range(2025, 2026), "FOI 2024-0040813 ends in 2024 and the "
     "2025 characteristics file does not cross placement type with locality"),
    (("cla_over_20_miles_pct",), ALL, range(2012, 2017), "distance from home is first published in the 2017 SFR "
     "tables"),
    (("cla_over_20_miles_pct",), NAT, range(2018, 2019), "no 2018 distance table is staged (LAIT LACDistance gives "
     "only 'more than 20 miles and outside the LA')"),
    (("cla_over_20_miles_pct",), _R, range(2018, 2021), "regional and LA distance figures are staged only in the "
     "2017 SFR table and the 2025 release's characteristics files (2021-2025)"),
    (("chomes_over_20_miles_pct", "cla_independent_semi_independent_over_20_miles_pct",
      "cla_independent_semi_independent_outside_la_pct"), NAT, range(2012, 2020), "the national tables by placement "
     "type are staged for 2020-2024 (2024 release); the 2023 release's 2019 groups secure and children's homes with "
     "semi-independent accommodation"),
    (("chomes_over_20_miles_pct", "cla_independent_semi_independent_over_20_miles_pct",
      "cla_independent_semi_independent_outside_la_pct"), NAT, range(2025, 2026), "no 2025 national table by "
     "placement type and distance or locality is staged"),
    (("children_missing", "missing_incidents"), ALL, range(2012, 2015), "not published in a comparable form before "
     "2015 (DfE's missing collection changed in 2014-15; the SFR 'CLA_Miss' is a placement status at 31 March)"),
    (("children_missing", "missing_incidents", "missing_incidents_inside_la", "missing_incidents_outside_la"), ALL,
     range(2025, 2026), "no 2025 release on children who went missing is staged"),
    (("missing_incidents_inside_la", "missing_incidents_outside_la"), NAT, range(2012, 2019), "incidents inside and "
     "outside the council boundary are published nationally from 2019 in the staged releases"),
    (("cla_independent_semi_independent",), ALL, range(2012, 2020), "before 2020 DfE grouped semi-independent "
     "accommodation with secure units and children's homes and 'living independently' apart: no staged table "
     "gives this group"),
    (("cla_independent_semi_independent",), _R, range(2020, 2021), "regional and LA figures are staged from 2021 "
     "(2025 release characteristics files)"),
    (("cla_independent_semi_independent_aged_16_17_pct",), NAT, YEARS, "no staged table crosses placement type "
     "with age"),
    (("homes_in_list", "places_in_list", "homes_private_pct", "homes_la_run_pct", "homes_share_pct",
      "places_share_pct", "homes_share_nw_wm_se_pct", "homes_share_london_pct", "las_without_la_run_home"), ALL,
     range(2012, 2014), "no Ofsted provider list is staged before September 2014 (the published time series gives "
     "national totals only)"),
    (("places_in_list", "places_share_pct"), ALL, range(2015, 2016), "the March 2015 provider list has no places"),
]


def trends(year_from: int | None = None, year_to: int | None = None, level: str = "national",
           measures: Iterable[str] | None = None, *, sources: dict[str, str | Path] | None = None,
           all_releases: bool = False, on_source: Callable[[str], None] | None = None) -> pd.DataFrame:
    """Every inquiry measure for every staged year, at one geographic level, as one tidy long table.

    Parameters
    ----------
    year_from, year_to
        Years ending 31 March, inclusive, within :data:`YEARS` (default its first and its last year).
    level
        ``"national"`` (England), ``"region"`` (the 9 regions) or ``"la"`` (local authorities, with the codes the
        files publish for that year: LAs that later merged or split keep their own rows).
    measures
        Names from :data:`MEASURES` (default: all that exist at ``level``).
    sources
        Replacement files by key (:data:`SOURCE_KEYS`), e.g. ``{"foi_outside": "foi.csv"}`` (testing).
    all_releases
        Return every staged release's row (with ``release_rank``: higher = newer) instead of the newest only;
        computed shares are then left out. For comparing first-published and revised figures.
    on_source
        Called with each source's key as it is done (read or not needed): :data:`SOURCE_KEYS` calls in all.

    Returns
    -------
    pandas.DataFrame
        :data:`COLUMNS`, sorted by measure, year and area. ``value`` is NaN where the publisher suppressed it
        (``note`` says which symbol) or it cannot be computed. ``attrs["gaps"]``: :func:`gap_table` (measure,
        level, years, reason: every year a measure lacks). ``attrs["failures"]``: sources that could not be
        read (key, file, error, measures).

    Raises
    ------
    InputError
        Bad years, level, measure or source key (checked before anything is read).
    """
    years, geo, wanted = _check(YEARS[0] if year_from is None else year_from,
                                YEARS[-1] if year_to is None else year_to, level, measures, sources)
    needed = set(wanted) | {d for m in wanted for d in _DEPENDS.get(m, ())}
    overrides = {k: Path(v) for k, v in (sources or {}).items()}
    parts, failures = [], []
    for s in src.SOURCES:
        if on_source is not None:
            on_source(s.key)
        if not needed & set(s.measures) or not set(years) & set(s.years):
            continue
        try:
            rows = _read(s, overrides.get(s.key))
        except (DataUnavailableError, ChecksumError, InputError) as exc:
            # a named, expected failure of one file: its measures lose these years, every other measure goes on
            logger.warning("trends: %s unreadable (%s): %s", s.key, type(exc).__name__, exc)
            failures.append({"key": s.key, "file": str(overrides.get(s.key, s.path)), "error": type(exc).__name__,
                             "message": str(exc), "measures": ", ".join(m for m in s.measures if m in needed),
                             "years": _span(list(s.years))})
            continue
        parts.append(rows[rows["measure"].isin(needed) & rows["time_period"].isin(years)])
    rows = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=src.ROW)
    rows["value"] = rows["value"].astype(float)
    rows = _tidy_areas(rows)
    if all_releases:
        rows = rows[(rows["geographic_level"] == geo) & rows["measure"].isin(wanted)]
        rows = rows.assign(unit=rows["measure"].map(lambda m: MEASURES[m].unit))
        rows = rows.rename(columns={"rank": "release_rank"})
        return rows.sort_values(["measure", "time_period", "area_code", "release_rank"]).reset_index(drop=True)
    table = _derive(_newest(rows), wanted, rows)
    table = table[(table["geographic_level"] == geo) & table["measure"].isin(wanted)]
    table = table.assign(unit=table["measure"].map(lambda m: MEASURES[m].unit))
    table["time_period"] = table["time_period"].astype(int)
    table = table.sort_values(["measure", "time_period", "area_code"]).reset_index(drop=True)[COLUMNS]
    fail = pd.DataFrame(failures, columns=["key", "file", "error", "message", "measures", "years"])
    table.attrs["gaps"] = gap_table(table, measures=wanted, years=years, level=geo, failures=fail)
    table.attrs["failures"] = fail
    table.attrs["level"] = geo
    logger.info("trends %s %d-%d: %d rows, %d measures, %d gaps, %d failed sources", geo, years[0], years[-1],
                len(table), table["measure"].nunique(), len(table.attrs["gaps"]), len(fail))
    return table


def gap_table(table: pd.DataFrame, *, measures: Iterable[str], years: Iterable[int], level: str,
              failures: pd.DataFrame | None = None) -> pd.DataFrame:
    """Which years each measure lacks at ``level``, and why (consecutive years with one reason share a row).

    A year is missing when no row of the measure has it. The reason is, in order: the file that should give it
    could not be read (its error); the documented limit of the staged files; else "not in the staged files".

    Returns
    -------
    pandas.DataFrame
        ``measure``, ``geographic_level``, ``years`` ("2012-2013"), ``n_years``, ``reason``.
    """
    have = set(zip(table["measure"], table["time_period"].astype(int), strict=True))
    failed: dict[tuple[str, int], str] = {}
    for f in (failures if failures is not None else pd.DataFrame()).itertuples():
        for s in src.SOURCES:
            if s.key == f.key:
                for m in s.measures:
                    for y in s.years:
                        failed.setdefault((m, y), f"{f.file} could not be read ({f.error}: {f.message})")
    rows = []
    for m in measures:
        run: list[int] = []
        reason = ""
        for y in sorted(years):
            if (m, y) in have:
                continue
            why = failed.get((m, y)) or _documented(m, level, y) or "not in the staged files"
            if run and why == reason and y == run[-1] + 1:
                run.append(y)
                continue
            if run:
                rows.append((m, level, _span(run), len(run), reason))
            run, reason = [y], why
        if run:
            rows.append((m, level, _span(run), len(run), reason))
    return pd.DataFrame(rows, columns=["measure", "geographic_level", "years", "n_years", "reason"])


# --------------------------------------------------------------------------------------------------- helpers
def _check(year_from: int, year_to: int, level: str, measures: Iterable[str] | None,
           sources: dict[str, str | Path] | None) -> tuple[list[int], str, list[str]]:
    for y in (year_from, year_to):
        if not isinstance(y, int) or isinstance(y, bool) or y not in YEARS:
            raise unknown_year("trends data", y, list(YEARS))
    if year_from > year_to:
        raise InputError(f"years {year_from}-{year_to}: --from must not be after --to")
    if level not in LEVELS:
        raise InputError(f"level {level!r}: expected one of {', '.join(LEVELS)}")
    geo = LEVELS[level]
    if measures is None:
        wanted = [m for m, spec in MEASURES.items() if geo in spec.levels]
    else:
        wanted = list(dict.fromkeys(measures))
        unknown = [m for m in wanted if m not in MEASURES]
        if unknown:
            raise InputError(f"unknown measure(s) {', '.join(map(repr, unknown))}; known: {', '.join(MEASURES)}")
        other = [m for m in wanted if geo not in MEASURES[m].levels]
        if other:
            raise InputError(f"measure(s) {', '.join(other)} exist only at level(s) " + "; ".join(
                f"{m}: {', '.join(MEASURES[m].levels)}" for m in other) + f", not at {level!r}")
    bad = sorted(set(sources or {}) - set(SOURCE_KEYS))
    if bad:
        raise InputError(f"unknown source key(s) {', '.join(bad)}; known: {', '.join(SOURCE_KEYS)}")
    return list(range(year_from, year_to + 1)), geo, wanted


def _read(source: src.Source, override: Path | None) -> pd.DataFrame:
    """Read one source, once per file version: the claims and headline tables ask for the same files again."""
    from geo.catalogue import data_path

    file = override if override is not None else data_path(source.dataset or source.path)
    if not file.is_file():
        raise DataUnavailableError(f"{file}: no such file (given in place of {source.path})")
    st = file.stat()
    return _read_cached(source.key, str(override) if override is not None else "", str(file.resolve()),
                        st.st_size, st.st_mtime_ns).copy()


@lru_cache(maxsize=128)
def _read_cached(key: str, override: str, file: str, size: int, mtime_ns: int) -> pd.DataFrame:
    source = next(s for s in src.SOURCES if s.key == key)
    return source.read(Path(override) if override else None)


def _tidy_areas(rows: pd.DataFrame) -> pd.DataFrame:
    """Keep the nine regions (not Inner/Outer London); give recoded LAs one code across releases."""
    regions = set(src.region_names())
    rows = rows[(rows["geographic_level"] != src.REGIONAL) | rows["area_code"].isin(regions)]
    la = rows["geographic_level"] == src.LA
    codes = {c: src.recode(str(c)) for c in pd.unique(rows.loc[la, "area_code"])}
    return rows.assign(area_code=rows["area_code"].where(~la, rows["area_code"].map(codes)))


def _newest(rows: pd.DataFrame) -> pd.DataFrame:
    """One row per measure, year and area: the newest release, noting any other staged release that differs."""
    if rows.empty:
        return rows
    rows = rows.assign(_order=np.arange(len(rows))).sort_values(["rank", "_order"], ascending=[False, True])
    keys = ["measure", "time_period", "geographic_level", "area_code"]
    # one release per measure, year and level, so that the areas of a year are one geography (a newer release
    # may report a year by LAs formed later, an older one by those in force then)
    top = rows.groupby(["measure", "time_period", "geographic_level"])["rank"].transform("max")
    chosen = rows[rows["rank"] == top].drop_duplicates(keys)
    best = chosen.set_index(keys)
    others = rows.drop(index=chosen.index)
    if len(others):
        joined = others.merge(best[["value"]].rename(columns={"value": "value_best"}), left_on=keys,
                              right_index=True, how="inner")
        differ = joined[~np.isclose(joined["value"].astype(float), joined["value_best"].astype(float),
                                    equal_nan=True)]
        # where the newest release suppresses a figure, an older release's value is not quoted beside it
        differ = differ[differ["value_best"].notna()]
        if len(differ):  # (an empty groupby would give a float column, not text)
            text = differ.assign(_t=[f"{_fmt(v)} in {s}" + (f" ({n})" if isinstance(n, str) and n else "")
                                     for v, s, n in zip(differ["value"], differ["source"], differ["note"],
                                                        strict=True)])
            extra = "other staged release(s): " + text.groupby(keys)["_t"].agg("; ".join)
            current = best["note"].reindex(extra.index)
            best.loc[extra.index, "note"] = [f"{c}; {e}" if isinstance(c, str) and c else e
                                             for c, e in zip(current, extra, strict=True)]
    return best.reset_index().drop(columns=["_order"])


def _derive(best: pd.DataFrame, wanted: list[str], releases: pd.DataFrame) -> pd.DataFrame:
    """Add computed measures where no file publishes them: % outside the LA, London's and each region's share."""
    parts = [best]
    cla = best[best["measure"] == "children_looked_after"]
    nat = cla[cla["geographic_level"] == src.NATIONAL]
    keys = ["time_period", "geographic_level", "area_code"]
    if "cla_outside_la_pct" in wanted:
        have = best[best["measure"] == "cla_outside_la_pct"].set_index(keys).index
        out = best[best["measure"] == "cla_outside_la"]
        out = out[~out.set_index(keys).index.isin(have)]
        parts.append(src.ratio_rows(out, cla, measure="cla_outside_la_pct", rank=0, cite=True,
                                    source="computed: cla_outside_la / children_looked_after × 100"))
    if {"cla_share_london_pct", "cla_share_pct"} & set(wanted):
        reg = cla[cla["geographic_level"] == src.REGIONAL]
        # England's figure from the regions' own release where it has one (a share within one publication),
        # else England's newest figure
        same = releases[(releases["measure"] == "children_looked_after")
                        & (releases["geographic_level"] == src.NATIONAL)][["time_period", "source", "value", "note"]]
        shares = reg.merge(same.rename(columns={"value": "value_den", "note": "note_den"}),
                           on=["time_period", "source"], how="left").assign(source_den=lambda d: d["source"])
        newest = nat.set_index("time_period")
        fill = shares["value_den"].isna()
        for col in ("value", "note", "source"):
            shares.loc[fill, f"{col}_den"] = shares.loc[fill, "time_period"].map(newest[col])
        value = shares["value"] / shares["value_den"] * 100
        why = shares["note"].where(shares["value"].isna()).fillna(shares["note_den"].where(shares["value_den"].isna()))
        share = shares.assign(value=value, published_or_computed="computed", rank=0, note=why,
                              source=["computed: region / England children looked after × 100 ("
                                      + "; ".join(dict.fromkeys((a, b))) + ")"
                                      for a, b in zip(shares["source"], shares["source_den"], strict=True)])
        if "cla_share_pct" in wanted:
            parts.append(share.assign(measure="cla_share_pct")[src.ROW])
        if "cla_share_london_pct" in wanted:
            lon = share[share["area_code"] == src.LONDON]
            parts.append(lon.assign(measure="cla_share_london_pct", geographic_level=src.NATIONAL,
                                    area_code=src.ENGLAND[0], area_name=src.ENGLAND[1])[src.ROW])
    filled = [p for p in parts if len(p)]
    out = pd.concat(filled, ignore_index=True) if filled else best.iloc[:0]  # no staged file holds these years
    return out.drop(columns=["rank"])


def _documented(measure: str, level: str, year: int) -> str | None:
    spec = MEASURES[measure]
    if level not in spec.levels:
        return f"not published at this level (only {', '.join(spec.levels)})"
    for names, levels, years, reason in _GAPS:
        if measure in names and level in levels and year in years:
            return reason
    return None


def _span(years: list[int]) -> str:
    return str(years[0]) if len(years) == 1 else f"{years[0]}-{years[-1]}"


def _fmt(v: float) -> str:
    if pd.isna(v):
        return "not available"
    return f"{v:,.0f}" if float(v).is_integer() else f"{v:,.2f}"
