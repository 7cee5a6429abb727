"""The numbers of the LA report: one LA beside its ten DfE statistical neighbours, its region and England.

Every value is kept with its source file, year and any DfE symbol (``c`` suppressed, ``x`` not available, ``z`` not
applicable), so that the HTML and PDF can print each number with where it came from.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

import boundaries
from boundaries.neighbours import NEIGHBOURS_SOURCE, Neighbour, statistical_neighbours_closeness
from geo.errors import SplitAreaError
from geo.settings import LA_VINTAGE
from provision import gaps
from provision.trends import trends

logger = logging.getLogger(__name__)

__all__ = ["COMPARE", "SERIES", "CompareMeasure", "Comparison", "comparison", "ENGLAND", "ROLE_LA", "ROLE_REGION",
           "ROLE_ENGLAND", "ROLE_NEIGHBOUR", "COLUMNS", "symbol_text"]

ENGLAND = "E92000001"
ROLE_LA, ROLE_NEIGHBOUR, ROLE_REGION, ROLE_ENGLAND = "LA", "statistical neighbour", "region", "England"
COLUMNS = ["area_code", "area_name", "role", "rank", "closeness", "measure", "time_period", "value", "symbol",
           "source", "note"]
"""Columns of :attr:`Comparison.table` (long, one row per area, measure and year)."""


@dataclass(frozen=True)
class CompareMeasure:
    """A measure compared across the LA, its neighbours, region and England.

    ``kind`` is "supply", "demand" or "gap"; ``fmt`` formats a value; ``first_year`` is the first year with data.
    """

    name: str
    label: str
    unit: str
    kind: str
    fmt: str
    higher: str
    """What a higher value means, said under the chart."""


COMPARE: tuple[CompareMeasure, ...] = (
    CompareMeasure("cla_rate_per_10k", "Children looked after per 10,000 children aged 0-17", "per 10,000", "demand",
                   "{:,.0f}", "higher: more children in care for the LA's size"),
    CompareMeasure("places_per_10k_children", "Children's-home places per 10,000 children aged 0-17", "per 10,000",
                   "supply", "{:,.1f}", "higher: more places for the LA's size (Ofsted places located in the LA)"),
    CompareMeasure(gaps.GAP_INDEX, "Supply gap: own children in children's homes minus places, per 10,000 children",
                   "per 10,000", "gap", "{:+,.1f}", "above 0: fewer places than own children in children's homes"),
    CompareMeasure("chomes_outside_la_pct", "% of children in children's homes placed outside the LA", "%", "demand",
                   "{:,.0f}", "higher: more children in children's homes placed outside the LA"),
    CompareMeasure("cla_outside_la_pct", "% of children looked after placed outside the LA", "%", "demand",
                   "{:,.0f}", "higher: more children placed outside the LA"),
    CompareMeasure("cla_over_20_miles_pct", "% of children looked after placed over 20 miles from home "
                   "(straight line, DfE method)", "%", "demand", "{:,.0f}",
                   "higher: more children placed over 20 miles (straight line) from home"),
)
"""The measures of the ranked bars and the time series, in the report's order."""

SERIES = tuple(m.name for m in COMPARE)
_TRENDS = ("cla_rate_per_10k", "chomes_outside_la_pct", "cla_outside_la_pct", "cla_over_20_miles_pct")
_GAPS = ("places_per_10k_children", gaps.GAP_INDEX)
_GAP_YEARS = range(2016, 2026)
"""Years with the 0-17 population behind the per-10,000 supply measures (see :func:`provision.gaps.supply_gaps`)."""
_SYMBOLS = {"c": "suppressed (c)", "x": "not available (x)", "z": "not applicable (z)", "k": "rounds to zero (k)"}


@dataclass
class Comparison:
    """The LA, its neighbours, region and England on every :data:`COMPARE` measure, 2014 to ``year``.

    Attributes
    ----------
    la, la_name, region_code, region_name
        The LA (ONS code of 2024) and its region.
    neighbours
        DfE's ten, closest first.
    year
        The year of the ranked bars (31 March).
    table
        :data:`COLUMNS`: ``value`` NaN where the publisher withheld it (``symbol`` c, x or z) or no file has it
        (``symbol`` x and ``note`` why).
    notes
        What the reader must know (revisions, years without data).
    """

    la: str
    la_name: str
    region_code: str
    region_name: str
    neighbours: list[Neighbour]
    year: int
    table: pd.DataFrame
    notes: list[str] = field(default_factory=list)

    def areas(self) -> list[str]:
        """Area codes in report order: the LA, its ten neighbours, its region, England."""
        return [self.la, *[n.la_code for n in self.neighbours], self.region_code, ENGLAND]

    def at(self, year: int) -> pd.DataFrame:
        """Rows of one year, one per area and measure (every area and measure present, NaN with a symbol if none)."""
        t = self.table[self.table["time_period"] == year]
        full = pd.MultiIndex.from_product([self.areas(), SERIES], names=["area_code", "measure"])
        t = t.set_index(["area_code", "measure"]).reindex(full).reset_index()
        info = self._area_info()
        for col in ("area_name", "role", "rank", "closeness"):
            t[col] = t["area_code"].map(info[col])
        t["time_period"] = year
        t["symbol"] = t["symbol"].fillna("x")
        t["source"] = t["source"].fillna(t["measure"].map(_default_source))
        t["note"] = t["note"].fillna(f"no staged file has this measure for {year}")
        return t[COLUMNS]

    def _area_info(self) -> pd.DataFrame:
        rows = [{"area_code": self.la, "area_name": self.la_name, "role": ROLE_LA, "rank": 0, "closeness": ""}]
        rows += [{"area_code": n.la_code, "area_name": n.la_name, "role": ROLE_NEIGHBOUR, "rank": n.rank,
                  "closeness": n.closeness} for n in self.neighbours]
        rows += [{"area_code": self.region_code, "area_name": self.region_name, "role": ROLE_REGION, "rank": 11,
                  "closeness": ""},
                 {"area_code": ENGLAND, "area_name": "England", "role": ROLE_ENGLAND, "rank": 12, "closeness": ""}]
        return pd.DataFrame(rows).set_index("area_code")


def comparison(la: str, *, year: int, first_year: int = 2014) -> Comparison:
    """Gather the LA's :data:`COMPARE` measures beside its neighbours, region and England, ``first_year``-``year``.

    Parameters
    ----------
    la
        ONS code of the LA (2024 vintage).
    year
        Last year (31 March), 2014-2025.
    first_year
        First year of the time series.

    Returns
    -------
    Comparison
        Values from :func:`provision.trends.trends` (DfE, as published, newest release) and, for the supply
        measures, :func:`provision.gaps.supply_gaps` / :func:`provision.gaps.region_gaps` (Ofsted places, DfE
        children, ONS population); England's supply measures are the sums over regions.
    """
    lk = boundaries.la_lookup()
    row = lk[lk["la_code"] == la].iloc[-1]
    neighbours = statistical_neighbours_closeness(la)
    codes = [la, *[n.la_code for n in neighbours]]
    region = str(row["region_code"])
    parts = [_trend_rows(first_year, year, codes, region), _gap_rows(first_year, year, codes, region)]
    table = pd.concat(parts, ignore_index=True)
    table["symbol"] = table["symbol"].where(table["value"].isna(), "")
    comp = Comparison(la=la, la_name=str(row["dfe_la_name"] or row["la_name"]), region_code=region,
                      region_name=str(row["region_name"]), neighbours=neighbours, year=year, table=table)
    info = comp._area_info()
    for col in ("area_name", "role", "rank", "closeness"):
        comp.table[col] = comp.table["area_code"].map(info[col])
    comp.table = comp.table[COLUMNS].sort_values(["measure", "time_period", "rank"]).reset_index(drop=True)
    comp.notes += [
        f"Statistical neighbours: {NEIGHBOURS_SOURCE}; DfE's ten closest LAs to {comp.la_name} on the model's "
        "socio-economic measures, closest first.",
        "DfE figures are the newest staged release; where an earlier release published another value the cell's "
        "note says so. Symbols: c suppressed, x not available, z not applicable (DfE's open-data convention).",
        f"Per-10,000 supply measures need the 0-17 population, staged from {_GAP_YEARS[0]}; England's are the sums "
        "of the regions' places and population.",
    ]
    for code in codes:
        started = int(lk.loc[lk["la_code"] == code, "first_year"].min())
        if started > first_year:
            name = comp._area_info().at[code, "area_name"]
            comp.notes.append(f"{name} was created in April {started}: the years before belong to the LA(s) it "
                              "replaced and are not drawn for it.")
    return comp


# --------------------------------------------------------------------------------------------------- helpers
def _trend_rows(first_year: int, year: int, codes: list[str], region: str) -> pd.DataFrame:
    frames = []
    for level, keep in (("la", codes), ("region", [region]), ("national", [ENGLAND])):
        t = trends(first_year, year, level=level, measures=list(_TRENDS))
        if level == "la":
            t = t.assign(area_code=t["area_code"].map(_harmonise))
        part = t[t["area_code"].isin(keep)].copy()
        part.attrs = {}  # the gap tables in attrs are not wanted here (and cannot be compared by concat)
        frames.append(part)
    t = pd.concat(frames, ignore_index=True)
    note = t["note"].astype("string").fillna("")
    symbol = note.str.extract(r"\(([cxzk])\)$", expand=False).fillna("x")
    return pd.DataFrame({"area_code": t["area_code"], "measure": t["measure"], "time_period": t["time_period"],
                         "value": t["value"].astype(float), "symbol": symbol,
                         "source": "DfE: " + t["source"].astype(str), "note": note})


def _gap_rows(first_year: int, year: int, codes: list[str], region: str) -> pd.DataFrame:
    rows = []
    for y in (y for y in _GAP_YEARS if first_year <= y <= year):
        la = gaps.supply_gaps(y)
        reg = gaps.region_gaps(y)
        src = dict(la.attrs.get("sources", {}))
        source = (f"computed from {src.get('supply', 'Ofsted provider list')}; "
                  f"{src.get('children_in_childrens_homes', 'DfE')}; population: {src.get('population_0_17', 'DfE')}")
        eng_pop = reg["population_0_17"].sum(min_count=1)
        eng = {"places_per_10k_children": reg["places"].astype(float).sum() / eng_pop * 10_000,
               gaps.GAP_INDEX: (reg["children_in_childrens_homes"].sum(min_count=1) - reg["places"].astype(float).sum())
               / eng_pop * 10_000}
        for m in _GAPS:
            for code in codes:
                v = la[m].get(code, np.nan)
                rows.append({"area_code": code, "measure": m, "time_period": y, "value": float(v), "symbol": "x",
                             "source": source, "note": "" if pd.notna(v) else _gap_note(la, code)})
            rv = reg[m].get(region, np.nan)
            missing = int(reg["las_without_population"].get(region, 0) or 0)
            rows.append({"area_code": region, "measure": m, "time_period": y, "value": float(rv), "symbol": "x",
                         "source": source, "note": f"{missing} LA(s) of the region without population" if missing
                         else ""})
            rows.append({"area_code": ENGLAND, "measure": m, "time_period": y, "value": round(float(eng[m]), 2),
                         "symbol": "x", "source": source + " (sum of regions)", "note": ""})
    return pd.DataFrame(rows)


def _gap_note(la: pd.DataFrame, code: str) -> str:
    if code not in la.index:
        return "LA not in the supply table"
    missing = [c for c in ("population_0_17", "children_in_childrens_homes", "places") if pd.isna(la.at[code, c])]
    return "not computed: no " + ", ".join(missing) if missing else "not computed"


def _harmonise(code: str) -> str:
    try:
        return boundaries.harmonise_code(code, to_year=LA_VINTAGE)
    except SplitAreaError:  # a county that split (Cumbria, Northamptonshire): its rows are not its successors'
        return code


def _default_source(measure: str) -> str:
    return ("DfE children looked after (provision.trends)" if measure in _TRENDS
            else "Ofsted places, DfE children, ONS population (provision.gaps)")


def symbol_text(symbol: str) -> str:
    """Say what a DfE symbol means ("c" → "suppressed (c)")."""
    return _SYMBOLS.get(symbol, symbol)
