"""The ``report`` command: one LA's report beside its DfE statistical neighbours (``maps.la_report.la_report``)."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Annotated

import typer

from geo.cli_common import err_console

logger = logging.getLogger(__name__)

__all__ = ["register", "report"]


def report(
    la: Annotated[str, typer.Option("--la", help="The LA: name (Stockport), DfE number (356) or ONS code.")],
    out: Annotated[Path, typer.Option("--out", help="Output folder (created; a previous report there is "
                                      "replaced): report.html, report.pdf (A4), tables/, run.json.")],
    year: Annotated[int | None, typer.Option(
        help="Year (31 March) of the comparisons, 2014-2025; the time series run from 2014 to it. Default: the "
        "latest year whose Ofsted provider list is complete.")] = None,
    episodes: Annotated[Path | None, typer.Option(
        "--episodes", "-e", help="The LA's own SSDA903 episodes CSV (or the XML/xlsx return). Without it the "
        "child-level parts use SYNTHETIC data (labelled so everywhere), or, with --no-synthetic, say that they "
        "need a return.")] = None,
    header: Annotated[Path | None, typer.Option("--header", help="SSDA903 header CSV (not with XML/xlsx).")] = None,
    missing: Annotated[Path | None, typer.Option("--missing", "-m", help="SSDA903 missing CSV.")] = None,
    synthetic: Annotated[bool, typer.Option(
        "--synthetic/--no-synthetic", help="Without -e: fill the child-level parts with synthetic data.")] = True,
    seed: Annotated[int, typer.Option(help="Seed of the synthetic data.")] = 7,
) -> None:
    """Write one LA's report: supply, demand and gaps beside its ten DfE statistical neighbours, region and England.

    Ranked bars and time series 2014 to --year; where its children are placed (every flow out and in, with
    distance; counts under 5 hidden); distance bands; excess distance over the nearest children's-home place and
    the nearest-place surface around it. Each number carries its source and year. The HTML works offline.

    Example: farfromhome report --la Stockport --out stockport/
    """
    import boundaries
    from maps.la_report import la_report

    code = boundaries.resolve_la(la)  # a wrong name fails here, in a second
    children = None
    if episodes is not None:
        from provision.returns import read_return

        err_console.print("· Your SSDA903 return, validated and located offline …")
        children = read_return(episodes, header=header, missing=missing, la=code)
    err_console.print(f"· Report for {la} …")
    path = la_report(code, year=year, children=children, out=out, synthetic=synthetic, seed=seed)
    err_console.print(f"wrote {path} and {path.with_name('report.pdf')}")


def register(app: typer.Typer) -> None:
    """Add ``report`` to the root farfromhome app (once, whether found through the entry point or maps.cli)."""
    if any(c.name == "report" for c in app.registered_commands):
        return
    app.command("report")(report)
