"""Step "sufficiency": excess distance beyond the nearest children's-home place, by LA, and the focus LA's what-if."""

from __future__ import annotations

from geo.csvsafe import to_csv
from maps import interactive, report
from maps.job.common import save_figures
from maps.job.context import JobContext
from maps.steps import StepOutput
from maps.sufficiency import sufficiency_report

__all__ = ["run"]


def run(ctx: JobContext) -> StepOutput:
    """Excess distance tables, map and figure (aggregates only); road excess too with a road-network file.

    Places are located by LA from Ofsted's public list (addresses are redacted).
    """
    synthetic, stage = ctx.synthetic, ctx.stage
    rep = sufficiency_report(ctx.located, focus_la=ctx.focus, year=ctx.year, las=ctx.las, regions=ctx.regions,
                             network=ctx.network, synthetic=synthetic)
    out = StepOutput(notes=list(rep.notes), sentences=list(rep.summary))
    prefix = "synthetic_" if synthetic else ""
    for name, table in rep.tables().items():
        to_csv(table, stage / "tables" / f"{prefix}{name}.csv", index=table.index.name is not None)
        out.items.append(report.Item(f"tables/{prefix}{name}.csv", f"Table: {name.replace('_', ' ')} (suppressed)",
                                     synthetic=synthetic))
    interactive.save_map(rep.map, stage / "maps" / "sufficiency.html", inline_assets=ctx.options.inline_assets)
    save_figures(rep.figure, stage / "figures" / "sufficiency_excess")
    out.items[:0] = [
        report.Item("maps/sufficiency.html", "Interactive map: median excess distance by LA",
                    "how much further than the nearest children's-home place each LA's children are placed",
                    synthetic=synthetic),
        report.Item("figures/sufficiency_excess.png", "Figure: median excess distance by LA (PNG, 300 dpi)",
                    synthetic=synthetic, also=("figures/sufficiency_excess.svg", "figures/sufficiency_excess.pdf")),
    ]
    return out
