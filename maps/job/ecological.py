"""Step "ecological": LA-level correlations and fixed-effects panels of distance and going missing (real data)."""

from __future__ import annotations

from distance.ecological import ecological_effect
from maps import report, summary
from maps.effect_figures import write_ecological_outputs
from maps.job.context import JobContext
from maps.steps import StepOutput
from provision.demand import LAIT_YEARS
from provision.outcomes import load_ecological

__all__ = ["run"]


def run(ctx: JobContext) -> StepOutput:
    """Fit the LA-level panel from the first LAIT year to the year after the report's (published data only)."""
    frame, quality = load_ecological(year_from=LAIT_YEARS[0], year_to=min(ctx.year + 1, LAIT_YEARS[-1]))
    result = ecological_effect(frame, data_quality=quality)
    out = StepOutput(notes=[result.caveat], sentences=summary.ecological_sentences(result))
    for p in write_ecological_outputs(result, ctx.stage):
        rel = p.relative_to(ctx.stage).as_posix()
        out.items.append(report.Item(rel, rel, "LA-level, real published data"))
    return out
