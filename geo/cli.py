"""The ``farfromhome`` command line: a thin layer over the library (parse → one library call → write)."""

from __future__ import annotations

import logging
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

import geo
from geo import _cli_distance, _cli_effect, _cli_maps, _cli_placements, _cli_provision
from geo._cli_common import FarFromHomeGroup, PoochProgress, console, err_console, print_table, write_table
from geo.catalogue import configure, get_catalogue
from geo.errors import InputError

logger = logging.getLogger(__name__)

__all__ = ["app", "main"]

app = typer.Typer(
    name="farfromhome",
    cls=FarFromHomeGroup,
    help=(
        "Where England's children in care are placed, how far from home, and where children's-home places "
        "are missing.\n\nData comes from the official publishers (cached), or from a local mirror folder "
        "given by --mirror or FARFROMHOME_MIRROR. Start with 'farfromhome demo --out out/'; 'farfromhome run' "
        "does the same job on your own SSDA903 return."
    ),
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)
data_app = typer.Typer(cls=FarFromHomeGroup, help="List, fetch and verify the datasets the tool uses.",
                       no_args_is_help=True, rich_markup_mode=None)
app.add_typer(data_app, name="data")


def _version(value: bool) -> None:
    if value:
        typer.echo(f"farfromhome {geo.__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    mirror: Annotated[Path | None, typer.Option(
        "--mirror", envvar="FARFROMHOME_MIRROR", help="Local data mirror folder (laid out like shared/data); "
        "used instead of the network.", show_envvar=True)] = None,
    cache_dir: Annotated[Path | None, typer.Option(
        "--cache-dir", envvar="FARFROMHOME_CACHE", help="Where downloads are cached.")] = None,
    verbose: Annotated[int, typer.Option("-v", "--verbose", count=True,
                                         help="-v for progress logs, -vv for debug.")] = 0,
    version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True,
                                          help="Print the version and exit.")] = False,
) -> None:
    """Set up logging and the data catalogue shared by every command."""
    logging.basicConfig(level=[logging.WARNING, logging.INFO, logging.DEBUG][min(verbose, 2)],
                        format="%(levelname)s %(name)s: %(message)s")
    configure(mirror=mirror, cache_dir=cache_dir)


@data_app.command("list")
def data_list(
    out: Annotated[Path | None, typer.Option("--out", help="Write the full table (CSV) instead of printing.")] = None,
    verify: Annotated[bool, typer.Option(help="Hash local files to report their checksum status.")] = True,
) -> None:
    """Show every dataset: publisher, licence, attribution, vintage, source, and local status."""
    import pandas as pd

    frame = pd.DataFrame(get_catalogue().status(verify=verify)).set_index("name")
    if out:
        write_table(frame, out)
    else:
        print_table(frame[["vintage", "licence", "location", "checksum", "publisher"]],
                    title="farfromhome datasets", max_rows=200)
        console.print("Attribution for each dataset: 'farfromhome data list --out datasets.csv'.")


@data_app.command("fetch")
def data_fetch(
    names: Annotated[list[str] | None, typer.Argument(help="Dataset names (default: all).")] = None,
) -> None:
    """Download datasets from the official source into the cache (checksummed, atomic); a mirror is used if set."""
    cat = get_catalogue()
    selected = [cat.dataset(n) for n in names] if names else None  # validates names before any download
    todo = selected or list(__import__("geo.catalogue", fromlist=["all_datasets"]).all_datasets().values())
    n = 0
    for d in todo:
        for f in d.files:
            where, _ = cat.locate(f)
            cat.path(f.path, progressbar=PoochProgress(f.path) if where == "absent" else False)
            n += 1
    err_console.print(f"{n} file(s) of {len(todo)} dataset(s) ready")


@data_app.command("verify")
def data_verify(
    names: Annotated[list[str] | None, typer.Argument(help="Dataset names (default: all present ones).")] = None,
) -> None:
    """Re-check the SHA-256 of every local file; exit 1 if any is corrupt."""
    rows = get_catalogue().status(names or None)
    bad = [r for r in rows if r["checksum"].startswith("bad")]
    present = [r for r in rows if r["location"] != "absent"]
    for r in bad:
        err_console.print(f"[red]{r['name']}[/red]: {r['checksum']}")
    console.print(f"{len(present)} dataset(s) present, {len(bad)} with a bad checksum, "
                  f"{len(rows) - len(present)} absent")
    if bad:
        raise typer.Exit(1)


class Level(StrEnum):
    la = "la"
    region = "region"


class GeoFormat(StrEnum):
    gpkg = "gpkg"
    geojson = "geojson"
    parquet = "parquet"


@app.command("boundaries")
def boundaries_cmd(
    out: Annotated[Path, typer.Option("--out", help="Output file (.gpkg, .geojson or .parquet).")],
    year: Annotated[int, typer.Option(help="Boundary vintage, 2014-2025.")] = 2024,
    level: Annotated[Level, typer.Option(
        help="la: upper-tier LAs (children's services); region: 9 regions.")] = Level.la,
    fmt: Annotated[GeoFormat | None, typer.Option("--format", help="Default: from the file suffix.")] = None,
) -> None:
    """Write England's LA (or region) boundaries for a year, in EPSG:27700."""
    import boundaries

    frame = boundaries.load_las(year=year) if level is Level.la else boundaries.load_regions(year=year)
    fmt = fmt or _geo_format(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    if fmt is GeoFormat.parquet:
        frame.to_parquet(out)
    elif fmt is GeoFormat.geojson:
        frame.to_crs(4326).to_file(out, driver="GeoJSON")  # RFC 7946 requires WGS84
    else:
        frame.to_file(out, driver="GPKG", layer=f"{level.value}_{year}")
    crs = "EPSG:4326 (GeoJSON requires WGS84)" if fmt is GeoFormat.geojson else "EPSG:27700"
    err_console.print(f"wrote {len(frame)} {level.value} boundaries for {year} to {out} ({fmt.value}, {crs})")


def _geo_format(out: Path) -> GeoFormat:
    suffix = out.suffix.lower().lstrip(".")
    mapping = {"gpkg": GeoFormat.gpkg, "geojson": GeoFormat.geojson, "json": GeoFormat.geojson,
               "parquet": GeoFormat.parquet, "geoparquet": GeoFormat.parquet}
    if suffix not in mapping:
        raise InputError(f"cannot tell the format of {str(out)!r} from its suffix; use --format gpkg|geojson|parquet")
    return mapping[suffix]


for _module in (_cli_provision, _cli_placements, _cli_distance, _cli_maps, _cli_effect):
    _module.register(app)


def main() -> None:
    """Console-script entry point."""
    app(prog_name="farfromhome")
