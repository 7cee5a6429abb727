"""CLI commands for the distance stage (found by the root command through the "farfromhome.commands" entry points)."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Annotated

import typer

from geo.cli_common import FarFromHomeGroup, TableFormat, console, err_console, print_table, write_table
from geo.errors import InputError

logger = logging.getLogger(__name__)

__all__ = ["register"]

network_app = typer.Typer(
    cls=FarFromHomeGroup, no_args_is_help=True, rich_markup_mode=None,
    help=("Road networks for road distances. 'network build' turns an OpenStreetMap extract (.osm.pbf, .osm, "
          ".osm.bz2) or an osmnx GraphML file into a drivable car network in EPSG:27700, saved as .npz. "
          "Road data: © OpenStreetMap contributors (ODbL)."),
)


@network_app.command("build")
def network_build(
    out: Annotated[Path, typer.Option("--out", help="Network file to write (.npz).")],
    osm: Annotated[Path | None, typer.Option(
        "--osm", help="OSM extract (.osm.pbf, .osm, .osm.bz2) or osmnx .graphml to build from (offline).")] = None,
    place: Annotated[str | None, typer.Option(
        "--place", help="Download the drive network of a place through osmnx, e.g. 'Stockport, UK' "
        "(needs internet; no child data is sent).")] = None,
    bbox: Annotated[str | None, typer.Option(
        "--bbox", help="Download the drive network in WEST,SOUTH,EAST,NORTH degrees, e.g. "
        "'-2.25,53.38,-2.10,53.45' (needs internet).")] = None,
    cache: Annotated[bool, typer.Option(help="Reuse a cached build of the same file and options.")] = True,
) -> None:
    """Build a drivable road network (car roads only) in EPSG:27700.

    One-way streets stay one-way; edges get lengths (m) and free-flow travel times (s, from maxspeed or UK
    defaults by road class); the largest strongly connected part is kept and the rest is reported.
    """
    from distance import network as netmod

    if sum(v is not None for v in (osm, place, bbox)) != 1:
        raise InputError("give exactly one of --osm FILE, --place NAME or --bbox WEST,SOUTH,EAST,NORTH")
    with err_console.status("building the road network…"):
        if osm is not None:
            net = netmod.build_network(osm, cache=cache)
        elif place is not None:
            net = netmod.download_network(place=place)
        else:
            net = netmod.download_network(bbox=_parse_bbox(str(bbox)))
    written = netmod.save_network(net, out)
    r = net.report
    console.print(f"{net.n_nodes:,} nodes, {net.n_arcs:,} directed edges, {r.get('length_km', 0):,.1f} km of road "
                  f"(EPSG:27700) from {r.get('source', '?')}")
    if r.get("nodes_dropped"):
        console.print(f"kept the largest strongly connected component: dropped {r['nodes_dropped']:,} nodes and "
                      f"{r['edges_dropped']:,} edges")
    err_console.print(f"wrote {written} (© OpenStreetMap contributors, ODbL)")


def distances_cmd(
    placements: Annotated[Path, typer.Option(
        "--placements", "-p", help="CSV or Parquet with home_easting, home_northing, pl_easting, pl_northing "
        "(EPSG:27700 metres), e.g. the output of 'farfromhome placements locate'.")],
    network: Annotated[str, typer.Option(
        "--network", "-n", help="A network file (.npz from 'network build', or .osm.pbf/.osm/.graphml, built "
        "and cached), or 'backbone' for England-wide approximate distances over the Strategic Road Network.")],
    out: Annotated[Path | None, typer.Option("--out", help="Output table (.csv, .parquet or .json).")] = None,
    fmt: Annotated[TableFormat | None, typer.Option("--format", help="Default: from the --out suffix.")] = None,
    max_snap_m: Annotated[float, typer.Option(
        "--max-snap-m", help="Largest distance (m) from a point to the network; farther is 'off_network'.")] = 2000.0,
) -> None:
    """Add road_distance_km and road_time_min to every placement and count the rows by road_status.

    Each home and placement point is snapped to the nearest network node (within --max-snap-m), and all
    shortest paths are computed in one batch. Status: ok, off_network (an end too far from the network or
    without a location), unreachable (no route), same_node (both ends at one node: straight-line distance).
    """
    import pandas as pd

    from distance import road

    frame = _read_table(placements)
    with err_console.status(f"road distances for {len(frame):,} placements…"):
        result = road.road_distances(frame, network=network, max_snap_m=max_snap_m)
    counts = result["road_status"].value_counts().reindex(list(road.STATUSES), fill_value=0)
    summary = pd.DataFrame({"placements": counts})
    summary.index.name = "road_status"
    kind = "backbone, approximate" if network == "backbone" else "road network"
    print_table(summary, title=f"Road distances ({kind})")
    if out is not None:
        write_table(result, out, fmt, title="road distances")
    if "synthetic" in placements.name.lower() or "synthetic" in frame.columns:
        console.print("SYNTHETIC data: these are not real placements.")
    console.print("Road data: © OpenStreetMap contributors; Contains National Highways information licensed "
                  "under the Open Government Licence v3.0.")


def register(app: typer.Typer) -> None:
    """Add this stage's commands to the root farfromhome app."""
    app.add_typer(network_app, name="network")
    app.command("distances")(distances_cmd)


def _parse_bbox(text: str) -> tuple[float, float, float, float]:
    try:
        parts = tuple(float(v) for v in text.split(","))
    except ValueError:
        parts = ()
    if len(parts) != 4:
        raise InputError(f"--bbox {text!r}: expected four numbers WEST,SOUTH,EAST,NORTH in degrees")
    return parts  # type: ignore[return-value]


def _read_table(path: Path):  # type: ignore[no-untyped-def]
    import pandas as pd

    if not path.is_file():
        raise InputError(f"placements file {str(path)!r} does not exist")
    if path.suffix.lower() in {".parquet", ".pq"}:
        return pd.read_parquet(path)
    return pd.read_csv(path, index_col=0) if _first_header_blank(path) else pd.read_csv(path)


def _first_header_blank(path: Path) -> bool:
    with path.open(encoding="utf-8", errors="replace") as f:
        return f.readline().startswith(",")
