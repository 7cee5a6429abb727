"""CLI commands for the placements stage: validate and locate SSDA903 returns; generate synthetic ones."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from geo import years
from geo.cli_common import FarFromHomeGroup, TableFormat, console, err_console, print_table, write_table
from geo.disclosure import is_synthetic
from geo.settings import LA_VINTAGE

if TYPE_CHECKING:
    import pandas as pd

logger = logging.getLogger(__name__)

__all__ = ["register"]

placements_app = typer.Typer(
    cls=FarFromHomeGroup, no_args_is_help=True, rich_markup_mode=None,
    help="Read, validate and locate an SSDA903 return (children looked after: episodes, header, missing). "
         "Postcodes are looked up offline in Code-Point Open and never leave this machine.",
)

EpisodesOpt = Annotated[Path, typer.Option("--episodes", "-e", help="Episodes CSV (CHILD, DECOM, RNE, LS, CIN, PLACE, "
                                           "PLACE_PROVIDER, DEC, REC, REASON_PLACE_CHANGE, HOME_POST, PL_POST, URN); "
                                           "or the return as one file: the SSDA903 XML submitted to DfE, or an "
                                           "xlsx workbook with one sheet per table.")]
LaOpt = Annotated[str | None, typer.Option("--la", help="The responsible LA: ONS code, DfE number (356) or name. "
                                           "Not needed when the episodes have an LA column; where both are given "
                                           "--la wins and rows whose LA column differs are counted.")]
FormatOpt = Annotated[TableFormat | None, typer.Option(
    "--format", help="csv, parquet or json (default: from the --out suffix, else csv).")]


@placements_app.command("validate")
def validate_cmd(
    episodes: EpisodesOpt,
    header: Annotated[Path | None, typer.Option("--header", help="Header CSV (CHILD, SEX, DOB, ETHNIC, UPN...); "
                                                "not needed with an XML or xlsx return.")] = None,
    missing: Annotated[Path | None, typer.Option("--missing", help="Missing CSV (CHILD, MISSING, MIS_START, "
                                                 "MIS_END); not needed with an XML or xlsx return.")] = None,
    la: LaOpt = None,
    strict: Annotated[bool, typer.Option("--strict", help="Stop with an error at the first problem.")] = False,
    lookup: Annotated[bool, typer.Option("--lookup/--no-lookup", help="Check that postcodes exist in Code-Point "
                                         "Open (offline).")] = True,
    out: Annotated[Path | None, typer.Option("--out", help="Write the data-quality table (one row per problem: "
                                             "file, row, column, value, reason, severity, message). It is "
                                             "child-level: do not share it.")] = None,
    fmt: FormatOpt = None,
) -> None:
    """Check an SSDA903 return row by row and report every problem with its file, row, column and value.

    The return may be three CSVs (episodes, header, missing), the XML file submitted to DfE's collection, or an
    xlsx workbook with one sheet per table (messages then name the child and element, or the sheet and row).
    Dates may be dd/mm/yyyy or yyyy-mm-dd; dates Excel has mangled (serial numbers, times, 2-digit years, US
    order) are read with a warning, and implausible ones (before 1980, in the future) are errors. Postcodes may
    be in any case and spacing; sectors (SK4 1) and districts (SK4) are accepted. Nothing is dropped: rows with
    problems are listed, counted by reason on screen, and written in full with --out. Row numbers are lines in
    the file (the header is line 1).

    Exit code: 0 when no error is found (warnings allowed), 1 when there are errors (as linters do); --strict
    stops at the first problem.
    """
    from provision import ssda903

    _check_out_file(out)
    if la is not None:
        import boundaries

        la = boundaries.resolve_la(la)
    quality = ssda903.validate(episodes=episodes, header=header, missing=missing, strict=strict,
                               check_postcodes=lookup, la=la)
    summary = ssda903.summarise(quality)
    if len(summary):
        print_table(summary, title="SSDA903 data quality: problems by reason")
    errors = int(quality["severity"].eq("error").sum())
    warnings = int(quality["severity"].eq("warning").sum())
    where = f" (responsible LA {la})" if la else ""
    console.print(f"{len(quality):,} problem(s){where}: {errors:,} error(s), {warnings:,} warning(s)")
    if out is not None:
        err_console.print(f"[bold]{ssda903.CHILD_LEVEL_WARNING}[/bold]")
        _write_child_level(quality, out, fmt)
    elif len(quality):
        err_console.print(f"[bold]{ssda903.CHILD_LEVEL_WARNING}[/bold]")
        for message in quality["message"].head(10):
            typer.echo(message)
        console.print("use --out data_quality.csv to write every problem")
    if errors:
        raise typer.Exit(1)


@placements_app.command("locate")
def locate_cmd(
    episodes: EpisodesOpt,
    out: Annotated[Path, typer.Option("--out", help="Output table: the episodes with coordinates, LAs and "
                                      "distances (child-level: do not share).")],
    la: LaOpt = None,
    year: Annotated[int, typer.Option("--year", help="Vintage of the LA codes: 2023 (the earliest "
                                      f"Code-Point Open's codes map back to) to {years.latest('la_boundaries')}.")]
    = LA_VINTAGE,
    fmt: FormatOpt = None,
) -> None:
    """Locate each episode offline: home and placement points, LAs, inside/outside, DfE distance.

    Adds home_/pl_easting and _northing (EPSG:27700 metres), home_/pl_precision (full postcode, sector or
    district centroid), home_la and pl_la (2024 codes; WAL/SCO), responsible_la, outside_la,
    straight_distance_miles (DfE: grid distance in miles to 1 dp), straight_distance_km, over_20_miles and
    locate_status. No postcode leaves this machine. The episodes may be a CSV, an SSDA903 XML return or an xlsx
    workbook.
    """
    from geo.errors import InputError
    from provision import placements, ssda903

    _check_out_file(out)
    la_code = None
    if la is not None:
        import boundaries

        la_code = boundaries.resolve_la(la, year=year)
    frame, problems = ssda903.read_table(episodes, table="episodes", check_postcodes=False, la=la_code)
    if frame is None:
        raise InputError(problems["message"].iloc[0])
    located = placements.locate(frame, responsible_la=la_code, year=year)
    if len(problems):
        err_console.print(f"{len(problems):,} data-quality problem(s) in {episodes.name}; "
                          "see 'farfromhome placements validate'")
    if located.attrs.get("la_conflicts"):
        err_console.print(f"--la {la_code} is used for every episode: {located.attrs['la_conflicts']:,} episode(s) "
                          "have an LA column naming another LA")
    if located.attrs.get("unknown_la"):
        err_console.print(f"{located.attrs['unknown_la']:,} episode(s) have an LA value that is not an English LA: "
                          "their responsible LA is unknown")
    known = located["straight_distance_miles"].notna()
    synthetic = is_synthetic(located, path=episodes)
    console.print(
        f"{len(located):,} episodes{' (SYNTHETIC)' if synthetic else ''}: "
        f"{int(known.sum()):,} with a straight-line distance; "
        f"placement precision {located['pl_precision'].value_counts().to_dict()}; "
        f"outside the LA {located['outside_la'].mean() * 100:.1f}% of known; "
        f"over 20 miles {located['over_20_miles'].mean() * 100:.1f}% of known")
    if not synthetic:
        err_console.print(f"[bold]{out}: child-level: do not share[/bold]")
    write_table(located, out, fmt)


def _check_out_file(out: Path | None) -> None:
    """Refuse an --out that is a folder, or whose folder cannot be made, before any work (one line, the path)."""
    from geo.errors import InputError

    if out is None:
        return
    if out.is_dir():
        raise InputError(f"--out {out}: is a folder; give a file name, e.g. {out / 'data_quality.csv'}")
    parent = out.parent
    if parent.exists() and not parent.is_dir():
        raise InputError(f"--out {out}: {parent} is a file, not a folder; choose another path")


def _write_child_level(quality: pd.DataFrame, out: Path, fmt: TableFormat | None) -> None:
    """Write the row-level quality table; a CSV's first line says it is child-level and must not be shared."""
    from geo.csvsafe import to_csv
    from provision.ssda903 import CHILD_LEVEL_WARNING

    kind = fmt or (TableFormat(out.suffix.lstrip(".").lower()) if out.suffix.lstrip(".").lower() in {
        "csv", "parquet", "json"} else TableFormat.csv)
    if kind is not TableFormat.csv:
        write_table(quality.assign(child_level="do not share").set_index("file"), out, kind)
        return
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("w", encoding="utf-8", newline="") as fh:
        fh.write(f"# {CHILD_LEVEL_WARNING}\n")
        to_csv(quality, fh, index=False)
    err_console.print(f"wrote {len(quality):,} rows to {out} (csv; the first line says it is child-level)")


def synth_cmd(
    out: Annotated[Path, typer.Option("--out", help="Folder for episodes.csv, header.csv, missing.csv, truth.csv "
                                      "and README_SYNTHETIC.txt.")],
    year: Annotated[int | None, typer.Option("--year", help=f"Collection year ending 31 March, "
                                             f"{years.describe('characteristics')} (the years of DfE's LA figures "
                                             f"by characteristics); default: the latest, "
                                             f"{years.latest('characteristics')}.", show_default=False)] = None,
    seed: Annotated[int, typer.Option("--seed", help="Random seed (same seed, same data).")] = 7,
    la: Annotated[list[str] | None, typer.Option("--la", help="Only this LA (repeatable): code, DfE number or "
                                                 "name. Default: every English LA.")] = None,
    effect: Annotated[str | None, typer.Option("--effect", help="Plant a distance effect on missing incidents, "
                                               "e.g. 'missing:rr=1.5/10mi' (rate ratio per 10 straight-line "
                                               "miles); add ',k=0.5' for gamma frailty.")] = None,
) -> None:
    """Generate a SYNTHETIC SSDA903 return from DfE's published LA figures over real postcodes.

    Each LA gets exactly its published number of children looked after at 31 March, with its placement
    mix, % outside the LA, % over 20 miles, age, sex and UASC counts, and its % who went missing; children
    who left care in the year are added. Homes are real postcodes of the LA; children's-home placements go
    where Ofsted's registered places are (gravity model). Every child ID starts with SYN and the folder has a
    README saying the data is synthetic.
    """
    from provision import synth

    data = synth.generate(year=year, seed=seed, las=la or None, effect=effect)
    year = int(data.model["year"])
    folder = data.write(out)
    err_console.print(f"wrote SYNTHETIC SSDA903 {year} to {folder}: {len(data.truth)} LA(s), "
                      f"{len(data.header):,} children, {len(data.episodes):,} episodes, "
                      f"{len(data.missing):,} missing incidents")
    err_console.print(f"missing model: {data.model['formula']}")


def register(app: typer.Typer) -> None:
    """Add this stage's commands to the root farfromhome app."""
    app.add_typer(placements_app, name="placements")
    app.command("synth")(synth_cmd)
