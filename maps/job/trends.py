"""Step "trends": England over time — every inquiry measure, the inquiry's claims checked, the trends figure."""

from __future__ import annotations

from maps.job.context import JobContext
from maps.steps import StepOutput
from maps.trends_section import trends_step

__all__ = ["run"]


def run(ctx: JobContext) -> StepOutput:
    """Write the trends tables and figure; the sentence on homes compares the report year's list with Ofsted's total."""
    return trends_step(ctx.stage, year=ctx.year)
