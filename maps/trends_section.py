"""The main job's 'England over time' section and the national inside/outside comparison (real public data).

Two step functions for :func:`maps.pipeline.run_job`: :func:`trends_step` (the trends table, the inquiry's
claims, the trends figure and sentences written from the computed values) and :func:`national_missing_step`
(missing incidents per placement inside and outside the council boundary, beside the LA-level panel).
"""

from __future__ import annotations

import logging
from pathlib import Path

import pandas as pd

from distance.national import NationalMissingResult, missing_rate_ratios
from geo.csvsafe import to_csv
from maps import report
from maps.steps import StepOutput
from maps.trends_figure import trends_figure, write_trends_figure
from provision import headline, homes, national_missing
from provision.national_missing import load_national_missing
from provision.returns import QualityCount
from provision.trends import YEARS as TREND_YEARS
from provision.trends import trends

logger = logging.getLogger(__name__)

__all__ = ["trends_step", "national_missing_step", "trends_sentences", "national_missing_sentences"]


def trends_step(stage: Path, *, year: int) -> StepOutput:
    """England over every staged year (:data:`provision.trends.YEARS`): tables, the trends figure, sentences.

    ``year`` is the year of the report's supply maps: the sentence on homes says how its list compares with
    Ofsted's published total.
    """
    first, last = TREND_YEARS[0], TREND_YEARS[-1]
    table = trends(first, last)
    claims = headline.claims_table()
    out = StepOutput()
    for name, frame, label in (("trends_national", table, f"Table: every inquiry measure for England, {first}-{last} "
                                "(tidy, DfE open-data layout)"),
                               ("trends_gaps", table.attrs["gaps"], "Table: years each measure lacks, and why"),
                               ("inquiry_claims", claims, "Table: the inquiry's statements checked")):
        to_csv(frame, stage / "tables" / f"{name}.csv", index=False)
        out.items.append(report.Item(f"tables/{name}.csv", label, "real public data"))
    fig = trends_figure(table, inquiry=claims)
    write_trends_figure(fig, stage / "figures" / "trends")
    out.items.insert(0, report.Item("figures/trends.png", "Figure: England over time (PNG, 300 dpi)",
                                    "the 2012 and 2018 values the inquiry quoted are marked",
                                    also=("figures/trends.svg", "figures/trends.pdf")))
    out.notes = trends_sentences(table, claims, year=year)
    out.sentences = out.notes[:1]
    for f in table.attrs["failures"].itertuples():
        out.quality.append(QualityCount("trends", f"{f.file} could not be read ({f.error}); left out: "
                                        f"{f.measures}", 1))
    return out


def national_missing_step(stage: Path) -> StepOutput:
    """Missing incidents per placement inside vs outside the council boundary, England (aggregates).

    Over every year of :data:`provision.national_missing.YEARS` (the catalogued national tables).
    """
    inputs = load_national_missing()
    first, last = national_missing.YEARS[0], national_missing.YEARS[-1]
    result = missing_rate_ratios(inputs.placements, incidents_by_type=inputs.incidents_by_type,
                                 incidents_by_locality=inputs.incidents_by_locality,
                                 incidents_per_missing_child=inputs.incidents_per_missing_child)
    to_csv(result.table, stage / "tables" / "national_missing_inside_outside.csv", index=False)
    to_csv(result.by_type, stage / "tables" / "national_missing_by_placement_type.csv", index=False)
    (stage / "national_missing_summary.txt").write_text(result.summary() + "\n", encoding="utf-8")
    items = [report.Item("tables/national_missing_inside_outside.csv", "Table: missing incidents per placement "
                         f"inside and outside the council boundary, England {first}-{last}",
                         "crude and standardised for placement type; national aggregates, real data"),
             report.Item("tables/national_missing_by_placement_type.csv", "Table: placements and incidents by "
                         "placement type (the standardisation)"),
             report.Item("national_missing_summary.txt", "national_missing_summary.txt",
                         "the ratios, what their intervals assume, and the caveat")]
    quality = [QualityCount("national missing", f"{r.source}: {r.reason}", int(r.rows))
               for r in inputs.data_quality.itertuples()]
    sentences = national_missing_sentences(result)
    return StepOutput(items=items, notes=[result.caveat, result.assumptions], sentences=sentences, quality=quality)


def trends_sentences(table: pd.DataFrame, claims: pd.DataFrame, *, year: int) -> list[str]:
    """Plain-English sentences of the section, each written from the computed values (none hard-coded)."""
    v = _values(table)
    out = []
    pct, first_pct = v.get("chomes_outside_la_pct", {}), _first("chomes_outside_la_pct", v)
    if pct:
        last = max(pct)
        q = _quoted(claims, "chomes_outside_la_pct")
        out.append(f"In England, {_p(pct[first_pct])} of children in secure and children's homes were placed "
                   f"outside their own LA in {first_pct} and {_p(pct[last])} in {last} (DfE FOI 2024-0040813)"
                   + (f"; the inquiry quoted {q}" if q else "") + ".")
    n = v.get("chomes_outside_la", {})
    if n:
        a, b = min(n), max(n)
        out.append(f"That is {n[a]:,.0f} children in {a} and {n[b]:,.0f} in {b} "
                   f"({(n[b] / n[a] - 1) * 100:+.0f}%).")
    cla, outside = v.get("children_looked_after", {}), v.get("cla_outside_la_pct", {})
    if cla and outside:
        a, b = min(outside), max(outside)
        out.append(f"Of all children looked after ({cla.get(a, float('nan')):,.0f} in {a}, "
                   f"{cla.get(b, float('nan')):,.0f} in {b}), {_p(outside[a])} were placed outside their LA in "
                   f"{a} and {_p(outside[b])} in {b}.")
    hm, pl = v.get("homes", {}), v.get("places", {})
    if hm:
        a, b = min(hm), max(hm)
        out.append(f"Ofsted published {hm[a]:,.0f} children's homes with {pl.get(a, float('nan')):,.0f} places "
                   f"at 31 March {a} and {hm[b]:,.0f} with {pl.get(b, float('nan')):,.0f} places at 31 March {b}."
                   + _supply_year_note(year))
    la_run, three = v.get("homes_la_run_pct", {}), v.get("homes_share_nw_wm_se_pct", {})
    if la_run and three:
        a, b = min(la_run), max(la_run)
        out.append(f"Local authorities ran {_p(la_run[a])} of the homes in {a} and {_p(la_run[b])} in {b}; the "
                   f"North West, West Midlands and South East held {_p(three[a])} and {_p(three[b])} (Ofsted "
                   "provider lists; the inquiry's 2012 shares predate the staged lists).")
    inc, out_la = v.get("missing_incidents", {}), v.get("missing_incidents_outside_la", {})
    if inc and out_la:
        b = max(out_la)
        out.append(f"Children looked after went missing {inc[b]:,.0f} times in the year to 31 March {b}, "
                   f"{out_la[b]:,.0f} ({out_la[b] / inc[b] * 100:.0f}%) from placements outside the council "
                   "boundary (DfE; recording of missing episodes changed after 2015, so earlier years are lower "
                   "partly for that reason).")
    verdict = claims["holds"].value_counts()
    out.append(f"Of the inquiry's {len(claims)} statements checked at each end of its trends, "
               f"{verdict.get('yes', 0)} hold within their stated tolerance, {verdict.get('no', 0)} do not and "
               f"{verdict.get('cannot be checked', 0)} cannot be checked with the public data staged "
               "(tables/inquiry_claims.csv says why for each).")
    return out


def national_missing_sentences(result: NationalMissingResult) -> list[str]:
    """Word the pooled national comparison, with its interval's assumption and the aggregate caveat."""
    p = result.pooled
    years = f"{result.table['year'].iloc[0]}-{result.table['year'].iloc[-2]}"
    return [f"Real national data, {years}: {p['rate_outside_per_100']:.0f} missing incidents per 100 placements "
            f"outside the council boundary against {p['rate_inside_per_100']:.0f} inside (crude rate ratio "
            f"{p['crude_rr']:.2f}, 95% CI {p['crude_ci_low_clustered']:.2f} to {p['crude_ci_high_clustered']:.2f} "
            f"allowing for repeat incidents); standardised for placement type the ratio is "
            f"{p['standardised_rr']:.2f} ({p['standardised_ci_low_clustered']:.2f} to "
            f"{p['standardised_ci_high_clustered']:.2f}). Aggregates, not children: a child placed both inside and "
            "outside counts in both."]


def _values(table: pd.DataFrame) -> dict[str, dict[int, float]]:
    nat = table[(table["geographic_level"] == "National") & table["value"].notna()]
    return {m: dict(zip(g["time_period"].astype(int), g["value"].astype(float), strict=True))
            for m, g in nat.groupby("measure")}


def _first(measure: str, v: dict[str, dict[int, float]]) -> int:
    return min(v[measure]) if v.get(measure) else 0


def _quoted(claims: pd.DataFrame, measure: str) -> str:
    q = claims[(claims["measure"] == measure) & claims["inquiry_figure"].notna()]
    return " and ".join(f"{row.inquiry_figure:.0f}% for {row.year}" for row in q.itertuples())


def _p(value: float) -> str:
    return f"{value:.0f}%"


def _supply_year_note(year: int) -> str:
    """Say which provider list the report's supply maps use, and how it compares with the published total."""
    t = homes.published_totals(year)
    if t.complete:
        return (f" The supply maps use Ofsted's {year} list, which holds all {t.homes:,} homes Ofsted published for "
                f"{year}.")
    return f" The supply maps use the {year} list: {t.describe_gap()}."
