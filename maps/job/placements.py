"""Step "placements": the flow map and figure, the focus LA's distances map and figure, the flows and band tables."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from geo.csvsafe import to_csv
from geo.disclosure import SYNTHETIC_LABEL
from maps import interactive, report, static, summary
from maps.distance_tables import publish_distances
from maps.job.common import placements_source, save_figures
from maps.job.context import JobContext
from maps.steps import Skipped, StepOutput
from provision.flows import distances_by_la, figure_flows, placement_flows, published_flows

__all__ = ["run", "write_band_table"]


def run(ctx: JobContext) -> StepOutput:
    """Flows (one suppression for the table, the map and the figure) and the focus LA's distances."""
    located, las, synthetic, stage = ctx.located, ctx.las, ctx.synthetic, ctx.stage
    subtitle = SYNTHETIC_LABEL if synthetic else ""
    flows = placement_flows(located)
    pub = published_flows(flows, las=las)  # the one suppression of flows: the table, the map and the figure
    safe = pub.drop(columns=["children", "straight_distance_miles"]).rename(columns={"children_label": "children"})
    flows_csv = "synthetic_flows.csv" if synthetic else "flows.csv"
    if synthetic:
        safe = safe.assign(data="SYNTHETIC")
    to_csv(safe, stage / "tables" / flows_csv, index=False)
    out = StepOutput()
    england = pub["home_la"].isin(las.index) & pub["pl_la"].isin(las.index)
    if not (england & pub["home_la"].ne(pub["pl_la"])).any():
        out.skipped.append(Skipped("Flow map and figure", "nothing to draw: every placement is inside the "
                                   "child's home LA or outside England (the flows table lists them)"))
    else:
        out.items += _flow_outputs(ctx, flows, pub)
    by_la, bands = distances_by_la(located, ctx.focus)
    roads = "road" in bands.columns
    published = publish_distances(by_la, las=las, bands=bands)  # one suppression: the map, the figure, the CSV
    m = interactive.distance_map(by_la, las=las, la=ctx.focus, bands=bands, tiles=ctx.options.tiles, roads=roads,
                                 subtitle=subtitle, published=published)
    interactive.save_map(m, stage / "maps" / "distances.html", inline_assets=ctx.options.inline_assets)
    fig = static.distance_figure(by_la, las=las, la=ctx.focus, bands=bands, roads=roads, subtitle=subtitle,
                                 source=placements_source(synthetic), published=published)
    save_figures(fig, stage / "figures" / "distances")
    name = str(las.loc[ctx.focus, "la_name"])
    assert published.bands is not None  # distances_by_la always gives a band summary
    bands_csv = write_band_table(published.bands, stage / "tables" / f"{'synthetic_' if synthetic else ''}"
                                 "distance_bands.csv", synthetic=synthetic)
    out.items += [
        report.Item("maps/distances.html", f"Interactive distances map: {name}", "where its children are "
                    "placed, with distance bands and road against straight-line distance", synthetic=synthetic),
        report.Item("figures/distances.png", f"Figure: distances for {name} (PNG, 300 dpi)", synthetic=synthetic,
                    also=("figures/distances.svg", "figures/distances.pdf")),
        report.Item(f"tables/{flows_csv}", "Table: flows between LAs (suppressed)", synthetic=synthetic),
        report.Item(f"tables/{bands_csv.name}", f"Table: {name}'s placements by distance band, straight line and "
                    "road (suppressed, with totals)", bands.attrs.get("counts", ""), synthetic=synthetic),
    ]
    out.sentences += summary.placement_sentences(located, name, synthetic=synthetic)
    return out


def write_band_table(table: pd.DataFrame, path: Path, *, synthetic: bool) -> Path:
    """Write the focus LA's distance-band table as published (:func:`maps.distance_tables.publish_distances`)."""
    if synthetic:
        table = table.assign(data="SYNTHETIC")
    to_csv(table, path, index=False)
    return path


def _flow_outputs(ctx: JobContext, flows: pd.DataFrame, pub: pd.DataFrame) -> list[report.Item]:
    """Draw the flow map and its figure (the figure draws the published flows the map selects by default)."""
    synthetic = ctx.synthetic
    subtitle = SYNTHETIC_LABEL if synthetic else ""
    m = interactive.flow_map(flows, las=ctx.las, tiles=ctx.options.tiles, subtitle=subtitle, published=pub)
    interactive.save_map(m, ctx.stage / "maps" / "flows.html", inline_assets=ctx.options.inline_assets)
    shown, far = figure_flows(pub)
    fig = static.flow_figure(shown.assign(children=shown["children"].astype(float)), las=ctx.las, subtitle=subtitle,
                             source=placements_source(synthetic), title="Where children are placed: home LA to "
                             f"placement LA{' over 20 miles away (straight line between LAs)' if far else ''}")
    save_figures(fig, ctx.stage / "figures" / "flows")
    return [
        report.Item("maps/flows.html", "Interactive flow map", "home LA to placement LA, by placement type; "
                    "counts under 5 suppressed", synthetic=synthetic),
        report.Item("figures/flows.png", "Figure: flows (PNG, 300 dpi)", synthetic=synthetic,
                    also=("figures/flows.svg", "figures/flows.pdf")),
    ]
