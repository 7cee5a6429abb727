"""Step "plan": where new children's-home places for the focus LA would bring its children nearest home."""

from __future__ import annotations

from geo.csvsafe import to_csv
from geo.errors import ModelNotIdentifiedError
from maps import interactive, report
from maps.job.context import JobContext
from maps.plan_map import plan_report
from maps.steps import Skipped, StepOutput

__all__ = ["PLACES", "run"]

PLACES = 4
"""New places the report's plan sites (``farfromhome sufficiency plan`` plans any number, for a group of LAs)."""


def run(ctx: JobContext) -> StepOutput:
    """Plan :data:`PLACES` new places among the focus LA's postcode sectors (by road with a road network)."""
    try:
        rep = plan_report(ctx.located, focus_la=ctx.focus, las=ctx.las, year=ctx.year, network=ctx.road_network,
                          synthetic=ctx.synthetic, add_places=PLACES, resamples=5, seed=ctx.options.seed)
    except ModelNotIdentifiedError as exc:  # a finding about the data (no children's-home placement to move)
        return StepOutput(skipped=[Skipped("Sufficiency plan", f"nothing to plan: {exc}")])
    prefix = "synthetic_" if ctx.synthetic else ""
    out = StepOutput(notes=list(rep.notes), sentences=[rep.plan.summary_text()])
    interactive.save_map(rep.map, ctx.stage / "maps" / "plan.html", inline_assets=ctx.options.inline_assets)
    out.items.append(report.Item("maps/plan.html", f"Interactive map: where {PLACES} new places would go",
                                 "chosen among the focus LA's postcode sectors, shown by postcode district",
                                 synthetic=ctx.synthetic))
    for name, table in rep.tables().items():
        to_csv(table, ctx.stage / "tables" / f"{prefix}{name}.csv", index=table.index.name is not None)
        out.items.append(report.Item(f"tables/{prefix}{name}.csv", f"Table: {name.replace('_', ' ')} (suppressed)",
                                     synthetic=ctx.synthetic))
    return out
