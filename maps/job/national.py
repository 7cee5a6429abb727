"""Step "national": missing incidents per placement inside and outside the council boundary, England (real data)."""

from __future__ import annotations

from maps.job.context import JobContext
from maps.steps import StepOutput
from maps.trends_section import national_missing_step

__all__ = ["run"]


def run(ctx: JobContext) -> StepOutput:
    """Crude and placement-type-standardised rate ratios from DfE's national tables (aggregates only)."""
    return national_missing_step(ctx.stage)
