"""The ``demo`` and ``run`` commands: the main job (``maps.pipeline.run_job``) behind a thin CLI.

Each command parses and checks its arguments, reads the child-level input (fast: a missing or unreadable file
fails in seconds), makes one library call and prints what it did.
"""

from __future__ import annotations

import logging
import os
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from geo import years
from geo.cli_common import err_console, progress
from maps.cli import InlineOpt, TilesOpt

if TYPE_CHECKING:
    from maps.pipeline import JobOptions, JobResult
    from provision.returns import ChildLevelData

logger = logging.getLogger(__name__)

__all__ = ["register"]

_FocusOpt = Annotated[str | None, typer.Option(
    "--focus", help="The LA of the distances map and figure (code, DfE number or name).")]
_NetworkOpt = Annotated[str, typer.Option(
    "--network", help="Road distances: 'backbone' (national approximate network), a network file (.npz from "
    "'farfromhome network build', or an OSM extract), or 'none' (straight-line only).")]
class Disclosure(StrEnum):
    """Values of ``--disclosure`` (:data:`geo.disclosure.METHODS`)."""

    cell_key = "cell-key"
    dfe = "dfe"


_DisclosureOpt = Annotated[Disclosure, typer.Option(
    "--disclosure",
    help="Disclosure control of every published number: 'cell-key' (counts under 5 suppressed as DfE does, then "
    "every count perturbed by at most 3 with a key, as ONS did for the 2021 Census, so two releases a child apart "
    "do not reveal the child) or 'dfe' (suppression only: exact counts). The method is recorded in run.json.")]
_CompareOpt = Annotated[bool, typer.Option(
    "--compare-backbone", help="With a network file, also measure every placement on the approximate national "
    "backbone and record how far the two agree in run.json (a second road computation).")]
_SUPPLY_SERIES = ("ofsted_providers", "dfe_cla_la", "la_boundaries")
"""The :mod:`geo.years` series behind the job's public supply and demand figures."""
_SYNTHETIC_SERIES = "characteristics"
"""The series the synthetic generator needs (:data:`provision.synth.SERIES`)."""


def demo(
    out: Annotated[Path, typer.Option("--out", help="Output folder (created; a previous report there is "
                                      "replaced).")] = Path("out"),
    year: Annotated[int | None, typer.Option(
        help="Year (31 March) of the public figures and the synthetic data "
        f"({years.describe(*_SUPPLY_SERIES, _SYNTHETIC_SERIES)}); default the latest year whose Ofsted provider "
        "list is complete and for which synthetic data can be generated.")] = None,
    seed: Annotated[int, typer.Option(help="Seed of the synthetic child-level data.")] = 7,
    las: Annotated[list[str] | None, typer.Option(
        "--la", metavar="LA", help="Generate synthetic data for these LAs only (repeatable; code, DfE number or "
        "name). Default: every English LA.")] = None,
    focus: _FocusOpt = "Stockport",
    network: _NetworkOpt = "backbone",
    effect_children: Annotated[int, typer.Option(
        "--effect-children", help="Synthetic children drawn (at random, with --seed) for the child-level "
        "distance-and-missing models (seconds per 10,000 children; 0 for all of them, about a minute for all "
        "of England on 2 cores).")] = 5000,
    tiles: TilesOpt = "none",
    inline_assets: InlineOpt = True,
    disclosure: _DisclosureOpt = Disclosure.cell_key,
    compare_backbone: _CompareOpt = False,
) -> None:
    """Run the main job: real public data + synthetic child-level data → out/index.html.

    index.html links maps, figures, tables, data_quality.csv and run.json. Child-level results are SYNTHETIC
    and labelled so everywhere. To run the same job on your own SSDA903 return, use 'farfromhome run'.

    Example: farfromhome demo --la Stockport --la Manchester --focus Stockport --out out/
    """
    import boundaries
    from maps.pipeline import JobOptions
    from provision import synth
    from provision.homes import latest_complete_year
    from provision.returns import synthetic_return

    year = year if year is not None else latest_complete_year(list(synth.YEARS))
    focus_code = boundaries.resolve_la(focus or "Stockport")
    la_codes = [boundaries.resolve_la(x) for x in (las or [])]
    if la_codes and focus_code not in la_codes:
        la_codes.append(focus_code)
    options = JobOptions(year=year, focus=focus_code, network=network, tiles=tiles, inline_assets=inline_assets,
                         effect_children=effect_children, seed=seed, label="farfromhome demo",
                         disclosure=disclosure.value, compare_backbone=compare_backbone)
    err_console.print("· Synthetic child-level data, located offline …")
    children = synthetic_return(year=year, seed=seed, las=la_codes or None)
    _run(children, out, options)


def run(
    episodes: Annotated[Path, typer.Option("--episodes", "-e", help="SSDA903 episodes CSV (CHILD, DECOM, RNE, "
                                           "LS, CIN, PLACE, ..., HOME_POST, PL_POST); or the whole return as the "
                                           "XML file submitted to DfE, or an xlsx workbook with one sheet per table.")],
    header: Annotated[Path | None, typer.Option("--header", help="SSDA903 header CSV (CHILD, SEX, DOB, ...); "
                                                "not needed with an XML or xlsx return.")] = None,
    missing: Annotated[Path | None, typer.Option(
        "--missing", "-m", help="SSDA903 missing CSV (CHILD, MISSING, MIS_START, MIS_END). Without it the "
        "child-level distance-and-missing models are left out (and the report says so).")] = None,
    la: Annotated[str | None, typer.Option(
        "--la", help="The responsible LA (code, DfE number or name); default: each child's home LA.")] = None,
    out: Annotated[Path, typer.Option("--out", help="Output folder (created; a previous report there is "
                                      "replaced).")] = Path("out"),
    year: Annotated[int | None, typer.Option(
        help=f"Year (31 March) of the public supply and demand figures ({years.describe(*_SUPPLY_SERIES)}); "
        "default the latest year whose Ofsted provider list is complete.")] = None,
    focus: _FocusOpt = None,
    network: _NetworkOpt = "backbone",
    strict: Annotated[bool, typer.Option("--strict", help="Stop at the first data-quality problem.")] = False,
    observed_from: Annotated[str | None, typer.Option(
        "--from", help="First day observed (YYYY-MM-DD); default: 1 April of the return's collection year. Episodes "
        "and missing episodes outside --from/--to are counted in data_quality.csv, never used to widen it.")] = None,
    observed_to: Annotated[str | None, typer.Option(
        "--to", help="Last day observed (YYYY-MM-DD), closing open placements; default: 31 March that ends the "
        "return's collection year.")] = None,
    tiles: TilesOpt = "none",
    inline_assets: InlineOpt = True,
    disclosure: _DisclosureOpt = Disclosure.cell_key,
    compare_backbone: _CompareOpt = False,
) -> None:
    """Run the main job on your own SSDA903 return: validate, locate offline, distances, maps, statistics.

    The same outputs as 'farfromhome demo', from your episodes, header and missing files instead of synthetic
    ones. Postcodes are looked up offline and never leave this machine; the output folder holds only
    aggregates: flows and tables suppress counts under 5, and no child ID, date of birth, postcode or point is
    written to any map, figure or table. Rows with problems are counted by reason in data_quality.csv
    ('farfromhome placements validate' lists them one by one). The exit code is 0 only when everything asked
    for was done; steps left out for an expected reason (no missing file, --network none) are listed.

    Example: farfromhome run -e episodes.csv --header header.csv -m missing.csv --la 356 --out out/
    """
    _check_inputs(episodes=episodes, header=header, missing=missing)  # before the heavy imports: fail in a second
    import boundaries
    from geo.disclosure import use_disclosure
    from maps.outputs import check_replaceable
    from maps.pipeline import JobOptions
    from provision.homes import latest_complete_year
    from provision.returns import read_return

    year = year if year is not None else latest_complete_year()
    la_code = boundaries.resolve_la(la) if la else None
    focus_code = boundaries.resolve_la(focus) if focus else la_code
    options = JobOptions(year=year, focus=focus_code, network=network, tiles=tiles, inline_assets=inline_assets,
                         effect_children=0, label="farfromhome run",
                         disclosure=disclosure.value, compare_backbone=compare_backbone)
    err_console.print("· Your SSDA903 return, validated and located offline …")
    if out.is_dir() and any(out.iterdir()):
        check_replaceable(out)  # refused in a second, not after reading the return
    window = (_day(observed_from, "--from"), _day(observed_to, "--to"))
    with use_disclosure(disclosure.value):  # the input's description is published too
        children = read_return(episodes, header=header, missing=missing, la=la_code, strict=strict,
                               window=window if any(w is not None for w in window) else None)
    _run(children, out, options)


def register(app: typer.Typer) -> None:
    """Add ``demo`` and ``run`` to the root farfromhome app."""
    app.command("demo")(demo)
    app.command("run")(run)


def _day(text: str | None, option: str) -> object:
    """Parse a YYYY-MM-DD option (None stays None); a bad date is a one-line error naming the option."""
    if text is None:
        return None
    import pandas as pd

    from geo.errors import InputError

    day = pd.to_datetime(text, format="%Y-%m-%d", errors="coerce")
    if pd.isna(day):
        raise InputError(f"{option} {text!r}: expected a date as YYYY-MM-DD")
    return day


def _check_inputs(**files: Path | None) -> None:
    """Fail at once on an input file that is absent, a folder or unreadable (the full checks come on reading)."""
    from geo.errors import InputError

    for label, path in files.items():
        if path is None:
            continue
        if not path.exists():
            raise InputError(f"{path}: {label} file not found")
        if not path.is_file():
            raise InputError(f"{path}: {label} is a folder, not a file")
        if not os.access(path, os.R_OK):
            raise InputError(f"{path}: {label} file is not readable (check its permissions)")


def _run(children: ChildLevelData, out: Path, options: JobOptions) -> JobResult:
    from maps.pipeline import planned_steps, run_job

    with progress(options.label, total=len(planned_steps(options)), transient=False) as advance:
        started: list[str] = []

        def step(label: str) -> None:
            if started:
                advance()
            started.append(label)
            err_console.print(f"· {label} …")

        result = run_job(children, out=out, options=options, on_step=step)
        advance()
    for s in result.skipped:
        err_console.print(f"  [yellow]left out[/yellow] {s.step}: {s.reason}")
    err_console.print(f"wrote {result.index} in {result.timings['total']:.0f} s — open it in a browser")
    return result
