"""Step "supply": the supply map, a figure per supply measure, the LISA clusters and the supply table (real data)."""

from __future__ import annotations

from geo.csvsafe import to_csv
from maps import interactive, report, static, summary
from maps.job.common import SUPPLY_SOURCE, save_figures
from maps.job.context import JobContext
from maps.steps import StepOutput
from provision.homes import YEARS as SUPPLY_YEARS
from provision.homes import published_totals
from provision.measures import la_measures, measure_symbols, supply_status_counts, with_lisa_statistics
from provision.returns import QualityCount

__all__ = ["FIGURES", "run"]

FIGURES = ("places_per_10k", "places", "pct_outside_la", "gap_index", "net_gain")
"""Supply measures drawn as a static figure each."""


def run(ctx: JobContext) -> StepOutput:
    """Supply map with a year control, one figure per measure and the LISA figure, and ``supply_by_la.csv``."""
    year, stage = ctx.year, ctx.stage
    frame, notes = la_measures(year)
    out = StepOutput(notes=list(notes), sentences=summary.supply_sentences(frame, year, published_totals(year)))
    series = interactive.supply_series(y for y in SUPPLY_YEARS if y != year)  # the year control: no LISA per year
    m = interactive.supply_map(with_lisa_statistics(frame, year), regions=ctx.regions, tiles=ctx.options.tiles,
                               year=year, years=series, region_values=interactive.supply_region_values(year),
                               subtitle=f"31 March {year} (year control: {SUPPLY_YEARS[0]}-{SUPPLY_YEARS[-1]}). "
                                        "Sources: Ofsted, DfE, ONS")
    interactive.save_map(m, stage / "maps" / "supply.html", inline_assets=ctx.options.inline_assets)
    out.items.append(report.Item(
        "maps/supply.html", "Interactive supply map", "homes, places, places per 10,000 children, supply gap, "
        "% placed outside their LA, net gain and LISA hot/cold spots, one switchable layer each, every year "
        f"{SUPPLY_YEARS[0]}-{SUPPLY_YEARS[-1]}; find an LA by name, ONS code or DfE number"))
    for col in FIGURES:
        fig = static.supply_figure(frame, column=col, regions=ctx.regions, subtitle=f"England, 31 March {year}",
                                   source=SUPPLY_SOURCE.format(year=year))
        save_figures(fig, stage / "figures" / f"supply_{col}")
        label = next((ly.label for ly in interactive.SUPPLY_LAYERS if ly.column == col), col)
        out.items.append(report.Item(f"figures/supply_{col}.png", f"Figure: {label} (PNG, 300 dpi)",
                                     also=(f"figures/supply_{col}.svg", f"figures/supply_{col}.pdf")))
    if "lisa_cluster" in frame.columns:
        fig = static.lisa_figure(frame, regions=ctx.regions, subtitle=f"England, 31 March {year}",
                                 source=SUPPLY_SOURCE.format(year=year))
        save_figures(fig, stage / "figures" / "supply_lisa_cluster")
        out.items.append(report.Item("figures/supply_lisa_cluster.png", "Figure: LISA hot and cold spots of places "
                                     "per 10,000 children (PNG, 300 dpi)",
                                     also=("figures/supply_lisa_cluster.svg", "figures/supply_lisa_cluster.pdf")))
    table = frame.drop(columns="geometry")
    symbols = measure_symbols(table, year)  # why a measure is blank: suppressed (c), not available (x), n/a (z)
    for col in symbols.columns:
        table.insert(table.columns.get_loc(col.removesuffix("_symbol")) + 1, col, symbols[col])
    to_csv(table, stage / "tables" / "supply_by_la.csv")
    out.items.append(report.Item("tables/supply_by_la.csv", "Table: supply measures by LA"))
    out.quality += [QualityCount("supply", str(reason), int(n)) for reason, n in supply_status_counts(frame).items()]
    return out
