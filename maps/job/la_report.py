"""Step "la_report": the focus LA's own report beside its ten DfE statistical neighbours (``farfromhome report``)."""

from __future__ import annotations

from maps import report
from maps.job.context import JobContext
from maps.la_report import la_report
from maps.steps import StepOutput

__all__ = ["run"]


def run(ctx: JobContext) -> StepOutput:
    """Write ``report/report.html`` and its A4 PDF for the focus LA from the job's child-level data."""
    la_report(ctx.focus, year=ctx.year, children=ctx.children, out=ctx.stage / "report")
    name = str(ctx.las.loc[ctx.focus, "la_name"])
    return StepOutput(items=[report.Item(
        "report/report.html", f"{name}'s report", "supply, demand, gaps, flows, distance bands and sufficiency "
        "beside its ten DfE statistical neighbours, its region and England; an A4 PDF beside it",
        also=("report/report.pdf",), synthetic=ctx.synthetic)])
