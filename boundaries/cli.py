"""The ``boundaries`` command (found by the root command through the "farfromhome.commands" entry points)."""

from __future__ import annotations

import logging
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from geo.cli_common import err_console
from geo.errors import InputError

logger = logging.getLogger(__name__)

__all__ = ["register"]


class Level(StrEnum):
    la = "la"
    region = "region"


class GeoFormat(StrEnum):
    gpkg = "gpkg"
    geojson = "geojson"
    parquet = "parquet"


def boundaries_cmd(
    out: Annotated[Path, typer.Option("--out", help="Output file (.gpkg, .geojson or .parquet).")],
    year: Annotated[int, typer.Option(help="Boundary vintage, 2014-2025.")] = 2024,
    level: Annotated[Level, typer.Option(
        help="la: upper-tier LAs (children's services); region: 9 regions.")] = Level.la,
    fmt: Annotated[GeoFormat | None, typer.Option("--format", help="Default: from the file suffix.")] = None,
) -> None:
    """Write England's LA (or region) boundaries for a year, in EPSG:27700."""
    import boundaries

    fmt = fmt or _geo_format(out)  # checked before any data is read
    frame = boundaries.load_las(year=year) if level is Level.la else boundaries.load_regions(year=year)
    out.parent.mkdir(parents=True, exist_ok=True)
    if fmt is GeoFormat.parquet:
        frame.to_parquet(out)
    elif fmt is GeoFormat.geojson:
        frame.to_crs(4326).to_file(out, driver="GeoJSON")  # RFC 7946 requires WGS84
    else:
        frame.to_file(out, driver="GPKG", layer=f"{level.value}_{year}")
    crs = "EPSG:4326 (GeoJSON requires WGS84)" if fmt is GeoFormat.geojson else "EPSG:27700"
    err_console.print(f"wrote {len(frame)} {level.value} boundaries for {year} to {out} ({fmt.value}, {crs})")


def register(app: typer.Typer) -> None:
    """Add the ``boundaries`` command to the root farfromhome app."""
    app.command("boundaries")(boundaries_cmd)


def _geo_format(out: Path) -> GeoFormat:
    suffix = out.suffix.lower().lstrip(".")
    mapping = {"gpkg": GeoFormat.gpkg, "geojson": GeoFormat.geojson, "json": GeoFormat.geojson,
               "parquet": GeoFormat.parquet, "geoparquet": GeoFormat.parquet}
    if suffix not in mapping:
        raise InputError(f"cannot tell the format of {str(out)!r} from its suffix; use --format gpkg|geojson|parquet")
    return mapping[suffix]
