"""The 2019 inquiry's headline figures, each beside the value this tool computes from the published data."""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
import pandas as pd

from provision import demand as _demand
from provision import homes as _homes
from provision import trends as _trends
from provision._readers import unknown_year

logger = logging.getLogger(__name__)

__all__ = ["INQUIRY", "INQUIRY_YEAR", "YEARS", "CLAIMS", "Claim", "headline_figures", "claims_table"]

YEARS = _trends.YEARS
"""Years :func:`headline_figures` answers for: those of :data:`provision.trends.YEARS` (read from the catalogue
through :mod:`geo.years`; :data:`INQUIRY_YEAR` is the inquiry's own year)."""

INQUIRY_YEAR = 2018
"""The year of the inquiry's figures (31 March 2018 / the year to 31 March 2018): a fact of the inquiry."""

INQUIRY = ("APPG for Runaway and Missing Children and Adults / APPG for Looked After Children and Care Leavers, "
           "'No Place at Home' inquiry into children missing from out-of-area placements (2019)")
"""The inquiry whose figures are reproduced (it quotes DfE and Ofsted statistics at 31 March 2018)."""


def headline_figures(year: int = INQUIRY_YEAR) -> pd.DataFrame:
    """Each figure the 2019 inquiry quoted, for ``year``: the value computed here, the published one, the difference.

    Parameters
    ----------
    year
        One of :data:`YEARS` (default :data:`INQUIRY_YEAR`). For 2018 (the inquiry's year: figures at 31 March
        2018 / the year to 31 March 2018) each row compares the inquiry's quoted figure. For other years the
        same measures are given from :func:`provision.trends.trends`; ``published`` is then the inquiry's
        figure where it quoted one for that year, else the publisher's own figure where the tool's differs from
        it (DfE's first publication beside a revised figure, Ofsted's published total beside the provider
        list), else empty.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``figure`` (a short id); columns ``description``, ``unit``, ``published``, ``computed``,
        ``difference`` (computed − published, in the unit), ``tolerance``, ``within_tolerance`` (NaN where
        there is nothing to compare), ``published_source``, ``computed_from`` (file and method),
        ``tolerance_reason``.

    Raises
    ------
    InputError
        For a year outside :data:`YEARS`.
    """
    if not isinstance(year, int) or year not in YEARS:
        raise unknown_year("inquiry headline figures", year, list(YEARS))
    out = _inquiry_2018() if year == INQUIRY_YEAR else _year_figures(year)
    out.attrs["inquiry"] = INQUIRY
    out.attrs["attribution"] = ("Contains public sector information licensed under the Open Government Licence "
                                "v3.0 (Department for Education; Ofsted).")
    return out


@dataclass(frozen=True)
class Claim:
    """One statement of the inquiry at one end of a trend: the measure, the year and the figure quoted."""

    claim: str
    statement: str
    measure: str | None
    year: int
    figure: float | None
    tolerance: float
    tolerance_reason: str
    cannot: str = ""    # why public data cannot reproduce it (empty when it can be checked)


_PCT = (1.0, "quoted to a whole %: ±0.5 for rounding and ±0.5 for revisions and list differences")
_N = "1% of the figure: national counts are rounded to 10 and revised in later releases"
_LAS = (2.0, "±2 LAs: the count depends on how City of London and the Isles of Scilly are counted")
_POLICE = ("Greater Manchester Police figures for Stockport quoted by the inquiry are not published as open data; "
           "no staged file holds police records of missing children")
_PQ = ("from a parliamentary answer: no staged file splits the children who went missing by placement type and "
       "locality (nationally DfE splits only incidents, by type or by locality, not both)")
CLAIMS: tuple[Claim, ...] = (
    Claim("chomes_outside_la_pct", "46% of children in children's homes were placed outside their LA",
          "chomes_outside_la_pct", 2012, 46.0, *_PCT),
    Claim("chomes_outside_la_pct", "64% of children in children's homes were placed outside their LA",
          "chomes_outside_la_pct", 2018, 64.0, *_PCT),
    Claim("chomes_outside_la", "2,250 children in children's homes placed outside their LA", "chomes_outside_la",
          2012, 2250.0, 22.5, _N),
    Claim("chomes_outside_la", "3,510 children in children's homes placed outside their LA", "chomes_outside_la",
          2016, 3510.0, 35.1, _N),
    Claim("chomes_outside_la", "3,990 children in children's homes placed outside their LA ('a 77% increase' "
          "on 2012)", "chomes_outside_la", 2018, 3990.0, 39.9, _N),
    Claim("cla_outside_la", "22,430 looked-after children placed out of area", "cla_outside_la", 2012, 22430.0,
          224.3, _N),
    Claim("cla_outside_la", "28,050 looked-after children placed out of area", "cla_outside_la", 2018, 28050.0,
          280.5, _N),
    Claim("missing_out_of_area_homes", "990 children went missing from out-of-area children's homes", None, 2015,
          990.0, 0.0, "", _PQ),
    Claim("missing_out_of_area_homes", "1,990 children went missing from out-of-area children's homes (doubled "
          "since 2015)", None, 2018, 1990.0, 0.0, "", _PQ),
    Claim("homes_share_nw_wm_se_pct", "50% of children's homes were in the North West, West Midlands and South "
          "East", "homes_share_nw_wm_se_pct", 2012, 50.0, *_PCT),
    Claim("homes_share_nw_wm_se_pct", "55% of children's homes were in the North West, West Midlands and South "
          "East", "homes_share_nw_wm_se_pct", 2018, 55.0, *_PCT),
    Claim("homes_share_london_pct", "6% of children's homes were in London", "homes_share_london_pct", 2012, 6.0,
          *_PCT),
    Claim("homes_share_london_pct", "5% of children's homes were in London", "homes_share_london_pct", 2018, 5.0,
          *_PCT),
    Claim("cla_share_london_pct", "London had 14% of children in care", "cla_share_london_pct", 2018, 14.0, *_PCT),
    Claim("homes_la_run_pct", "26% of children's homes were run by local authorities", "homes_la_run_pct", 2012,
          26.0, *_PCT),
    Claim("homes_la_run_pct", "20% of children's homes were run by local authorities", "homes_la_run_pct", 2018,
          20.0, *_PCT),
    Claim("las_without_la_run_home", "25 LAs had no LA-run children's home", "las_without_la_run_home", 2012, 25.0,
          *_LAS),
    Claim("las_without_la_run_home", "44 LAs had no LA-run children's home", "las_without_la_run_home", 2018, 44.0,
          *_LAS),
    Claim("children_looked_after", "67,050 children looked after", "children_looked_after", 2012, 67050.0, 670.5,
          _N),
    Claim("children_looked_after", "70,440 children looked after", "children_looked_after", 2016, 70440.0, 704.4,
          _N),
    Claim("children_in_childrens_homes", "4,890 children in children's homes", "children_in_childrens_homes", 2012,
          4890.0, 48.9, _N),
    Claim("children_in_childrens_homes", "5,940 children in children's homes", "children_in_childrens_homes", 2016,
          5940.0, 59.4, _N),
    Claim("cla_independent_semi_independent", "More than 5,000 looked-after children, most aged 16 or 17, in "
          "unregulated independent and semi-independent accommodation, double the 2009 number",
          "cla_independent_semi_independent", 2018, 5000.0, 0.0, "'more than': holds if the figure exceeds 5,000"),
    Claim("stockport_police", "Stockport: Greater Manchester Police figures on children missing from placements "
          "(quoted by the inquiry)", None, 2018, None, 0.0, "", _POLICE),
)
"""Every statement of the inquiry checked by :func:`claims_table`, one per end of each trend."""


def claims_table() -> pd.DataFrame:
    """Each statement of the inquiry, the value computed here at each end, the published figure and the verdict.

    Returns
    -------
    pandas.DataFrame
        One row per :data:`CLAIMS` entry: ``claim``, ``statement``, ``year``, ``measure``, ``unit``,
        ``inquiry_figure``, ``computed`` (:func:`provision.trends.trends`, the newest staged release),
        ``computed_source``, ``first_published`` / ``first_published_source`` (the earliest staged release of
        that figure, where it differs from the newest), ``difference`` (computed − inquiry), ``tolerance``,
        ``holds`` ("yes", "no" or "cannot be checked") and ``why`` (the tolerance, or why public data cannot
        reproduce the statement).
    """
    measures = sorted({c.measure for c in CLAIMS if c.measure})
    table = _trends.trends(measures=measures)
    releases = _trends.trends(measures=[m for m in measures if m not in ("cla_share_london_pct",)], all_releases=True)
    gaps = table.attrs["gaps"]
    rows = []
    for c in CLAIMS:
        row: dict[str, object] = {"claim": c.claim, "statement": c.statement, "year": c.year, "measure": c.measure,
                                  "unit": _trends.MEASURES[c.measure].unit if c.measure else "",
                                  "inquiry_figure": c.figure, "tolerance": c.tolerance}
        if c.cannot or c.measure is None or c.figure is None:
            rows.append({**row, "holds": "cannot be checked", "why": c.cannot})
            continue
        hit = table[(table["measure"] == c.measure) & (table["time_period"] == c.year)]
        if hit.empty or pd.isna(hit["value"].iloc[0]):
            rows.append({**row, "holds": "cannot be checked", "why": _gap_reason(gaps, c.measure, c.year)
                         + _nearest(table, c.measure, c.year)})
            continue
        value = float(hit["value"].iloc[0])
        first = releases[(releases["measure"] == c.measure) & (releases["time_period"] == c.year)
                         & (releases["published_or_computed"] == "published")].sort_values("release_rank")
        first_value = float(first["value"].iloc[0]) if len(first) else np.nan
        differs = len(first) and not np.isclose(first_value, value)
        diff = value - c.figure
        holds = value > c.figure if c.claim == "cla_independent_semi_independent" else abs(diff) <= c.tolerance
        rows.append({**row, "computed": value, "computed_source": hit["source"].iloc[0],
                     "first_published": first_value if differs else np.nan,
                     "first_published_source": first["source"].iloc[0] if differs else "",
                     "difference": round(diff, 2), "holds": "yes" if holds else "no", "why": c.tolerance_reason})
    out = pd.DataFrame(rows)
    cols = ["claim", "statement", "year", "measure", "unit", "inquiry_figure", "computed", "computed_source",
            "first_published", "first_published_source", "difference", "tolerance", "holds", "why"]
    out = out.reindex(columns=cols)
    out.attrs["inquiry"] = INQUIRY
    logger.info("claims: %d hold, %d do not, %d cannot be checked", (out["holds"] == "yes").sum(),
                (out["holds"] == "no").sum(), (out["holds"] == "cannot be checked").sum())
    return out


# ------------------------------------------------------------------------------------------------- helpers
_YEAR_FIGURES = [  # figure id, measure, description
    ("chomes_outside_la_pct", "chomes_outside_la_pct", "Children in children's homes placed outside their own LA"),
    ("chomes_outside_la", "chomes_outside_la", "Children in children's homes placed outside their own LA (number)"),
    ("cla_outside_la", "cla_outside_la", "Children looked after placed outside their own LA (number)"),
    ("share_homes_nw_wm_se", "homes_share_nw_wm_se_pct",
     "Share of children's homes in the North West, West Midlands and South East"),
    ("share_homes_london", "homes_share_london_pct", "Share of children's homes in London"),
    ("share_cla_london", "cla_share_london_pct", "London's share of England's children looked after"),
    ("share_private", "homes_private_pct", "Share of children's homes privately run"),
    ("share_la_run", "homes_la_run_pct", "Share of children's homes run by local authorities"),
    ("las_without_la_run_home", "las_without_la_run_home", "LAs without an LA-run children's home"),
    ("children_looked_after", "children_looked_after", "Children looked after at 31 March"),
    ("children_in_childrens_homes", "children_in_childrens_homes", "Children in secure and children's homes"),
    ("homes", "homes", "Children's homes (Ofsted's published total, against the provider list used)"),
    ("places", "places", "Registered places (Ofsted's published total, against the provider list used)"),
    ("children_missing", "children_missing", "Children looked after who went missing in the year"),
    ("missing_incidents", "missing_incidents", "Missing incidents of children looked after in the year"),
]


def _year_figures(year: int) -> pd.DataFrame:
    measures = sorted({m for _, m, _ in _YEAR_FIGURES} | {"homes_in_list", "places_in_list"})
    table = _trends.trends(year, year, measures=measures)
    releases = _trends.trends(year, year, measures=[m for m in measures if m != "cla_share_london_pct"],
                              all_releases=True)
    quoted = {(c.measure, c.year): c for c in CLAIMS if c.measure and not c.cannot and c.figure is not None}
    gaps = table.attrs["gaps"]
    rows = []
    for fig, measure, desc in _YEAR_FIGURES:
        hit = table[table["measure"] == measure]
        unit = _trends.MEASURES[measure].unit
        value = float(hit["value"].iloc[0]) if len(hit) else np.nan
        computed_from = hit["source"].iloc[0] if len(hit) else _gap_reason(gaps, measure, year)
        published, pub_src, tol, why = np.nan, "", np.nan, "no other published figure to compare"
        if (measure, year) in quoted:
            c = quoted[(measure, year)]
            published = float(c.figure) if c.figure is not None else np.nan
            pub_src, tol, why = f"quoted by the inquiry: {c.statement}", c.tolerance, c.tolerance_reason
        elif measure in ("homes", "places"):
            lst = table[table["measure"] == f"{measure}_in_list"]
            if len(lst):
                published, pub_src = value, computed_from
                value, computed_from = float(lst["value"].iloc[0]), lst["source"].iloc[0]
                tol, why = 0.0, "the provider list should hold every home Ofsted counts"
        else:
            first = releases[(releases["measure"] == measure) & (releases["published_or_computed"] == "published")]
            first = first.sort_values("release_rank")
            if len(first) and len(hit) and not np.isclose(float(first["value"].iloc[0]), value):
                published, pub_src = float(first["value"].iloc[0]), f"{first['source'].iloc[0]} (earliest staged)"
                tol, why = abs(published) * 0.01, "revision between releases: " + _N
        rows.append((fig, f"{desc} ({year})", unit, published, pub_src, value, computed_from, tol, why))
    out = pd.DataFrame(rows, columns=["figure", "description", "unit", "published", "published_source", "computed",
                                      "computed_from", "tolerance", "tolerance_reason"]).set_index("figure")
    out["difference"] = (out["computed"] - out["published"]).round(2)
    out["within_tolerance"] = (out["difference"].abs() <= out["tolerance"]).where(out["difference"].notna())
    return out[["description", "unit", "published", "computed", "difference", "tolerance", "within_tolerance",
                "published_source", "computed_from", "tolerance_reason"]]


def _gap_reason(gaps: pd.DataFrame, measure: str, year: int) -> str:
    for g in gaps[gaps["measure"] == measure].itertuples():
        lo, _, hi = str(g.years).partition("-")
        if int(lo) <= year <= int(hi or lo):
            return f"not in the staged data for {year}: {g.reason}"
    return f"not in the staged data for {year}"


def _nearest(table: pd.DataFrame, measure: str, year: int) -> str:
    """Name the nearest year with a value, so the reader sees what the data can say."""
    have = table[(table["measure"] == measure) & table["value"].notna()]
    if have.empty:
        return ""
    near = have.iloc[(have["time_period"] - year).abs().argsort()].iloc[0]
    value = near["value"]
    shown = f"{value:,.0f}" if float(value).is_integer() else f"{value:,.1f}"
    return f" (nearest staged year: {shown} {_trends.MEASURES[measure].unit} in {int(near['time_period'])})"


def _inquiry_2018() -> pd.DataFrame:
    """Compare each 2018 figure the inquiry quoted with the value computed from the files."""
    homes18 = _homes.read_children_homes(2018)
    supply18 = _homes.supply_by_region(2018)
    share = supply18["homes"].astype(float) / supply18["homes"].sum() * 100
    top = supply18.set_index("region_name")["homes"].astype(float)
    three = top[["North West", "West Midlands", "South East"]].sum() / top.sum() * 100
    homes23 = _homes.read_children_homes(2023)
    foi = _demand.read_foi_chomes(level="National")
    missing = _demand.national_figures(2018)
    src18 = homes18.attrs["source"]
    rows = [
        ("chomes_outside_la_pct", "Children in children's homes placed outside their own LA (England, 31 March 2018)",
         "%", 64.0, "DfE SSDA903 as first published for 2018, quoted by the inquiry",
         float(foi.loc[2018, "chomes_outside_la_pct"]),
         f"{_demand.FILES['foi_outside']} (DfE FOI 2024-0040813, revised data)", 1.0,
         "the later revised DfE data gives 63 %"),
        ("chomes_outside_la", "Children in children's homes placed outside their own LA (number, 2018)",
         "children", 4090.0, "DfE FOI 2024-0040813 (revised), national figure rounded to 10",
         float(foi.loc[2018, "chomes_outside_la"]), _demand.FILES["foi_outside"], 10.0, "rounded to 10"),
        ("share_homes_nw_wm_se", "Share of children's homes in the North West, West Midlands and South East",
         "%", 55.0, "Ofsted, children's social care data in England at 31 March 2018, quoted by the inquiry",
         round(float(three), 2), src18, 1.0,
         "whole % quoted; the complete 2018 list gives 54.5 %, which the inquiry rounded up"),
        ("share_homes_london", "Share of children's homes in London (31 March 2018)", "%", 5.0,
         "Ofsted, 31 March 2018, quoted by the inquiry", round(float(share.loc["E12000007"]), 2), src18, 0.5,
         "published figure rounded to a whole %"),
        ("share_private_2018", "Share of children's homes privately run (31 March 2018)", "%", 75.0,
         "'about three quarters' (inquiry, from Ofsted 2018)",
         round(float(homes18["sector"].eq("private").mean() * 100), 2), src18, 2.5, "'about three quarters'"),
        ("share_private_2023", "Share of children's homes privately run (31 March 2023)", "%", 80.0,
         "Ofsted, children's social care in England 2023",
         round(float(homes23["sector"].eq("private").mean() * 100), 2), homes23.attrs["source"], 1.0,
         "published figure rounded to a whole %"),
        ("children_missing_2018", "Children looked after who went missing in the year to 31 March 2018",
         "children", 11530.0, "DfE 'Children looked after in England' 2018 (as first published)",
         float(missing["children_went_missing"]), f"{missing['source']} (2022 release, revised)", 50.0,
         "national figures rounded to 10 and revised in later releases"),
        ("missing_incidents_2018", "Missing incidents of children looked after, year to 31 March 2018",
         "incidents", 70250.0, "DfE 'Children looked after in England' 2018 (as first published)",
         float(missing["missing_incidents"]), f"{missing['source']} (2022 release, revised)", 150.0,
         "national figures rounded to 10 and revised in later releases"),
    ]
    out = pd.DataFrame(rows, columns=["figure", "description", "unit", "published", "published_source", "computed",
                                      "computed_from", "tolerance", "tolerance_reason"]).set_index("figure")
    out["difference"] = (out["computed"] - out["published"]).round(2)
    out["within_tolerance"] = out["difference"].abs() <= out["tolerance"]
    out = out[["description", "unit", "published", "computed", "difference", "tolerance", "within_tolerance",
               "published_source", "computed_from", "tolerance_reason"]]
    logger.info("headline figures: %d of %d within tolerance", int(out["within_tolerance"].sum()), len(out))
    return out
