"""CLI commands for the distance stage (found by the root command through the "farfromhome.commands" entry points)."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Annotated, Any

import typer

from geo.cli_common import FarFromHomeGroup, TableFormat, console, err_console, print_table, write_table
from geo.disclosure import is_synthetic
from geo.errors import InputError

logger = logging.getLogger(__name__)

__all__ = ["register"]

network_app = typer.Typer(
    cls=FarFromHomeGroup, no_args_is_help=True, rich_markup_mode=None,
    help=("Road networks for road distances. 'network fetch england' downloads an OpenStreetMap extract "
          "(Geofabrik); 'network build' turns an extract (.osm.pbf, .osm, .osm.bz2) or an osmnx GraphML file "
          "into a drivable car network in EPSG:27700, saved as .npz. Road data: © OpenStreetMap contributors "
          "(ODbL)."),
)


@network_app.command("build")
def network_build(
    out: Annotated[Path, typer.Option("--out", help="Network file to write (.npz).")],
    osm: Annotated[Path | None, typer.Option(
        "--osm", help="OSM extract (.osm.pbf, .osm, .osm.bz2) or osmnx .graphml to build from (offline). "
        "A .osm.pbf is read in two streaming passes (all of England: minutes and a few GB).")] = None,
    place: Annotated[str | None, typer.Option(
        "--place", help="Download the drive network of a place through osmnx, e.g. 'Stockport, UK' "
        "(needs internet; no child data is sent).")] = None,
    bbox: Annotated[str | None, typer.Option(
        "--bbox", help="Download the drive network in WEST,SOUTH,EAST,NORTH degrees, e.g. "
        "'-2.25,53.38,-2.10,53.45' (needs internet).")] = None,
    builder: Annotated[str, typer.Option(
        "--builder", help="auto: .osm.pbf streamed with pyosmium into numpy, XML/GraphML through osmnx; "
        "'streaming' or 'osmnx' forces one (osmnx needs ~5 GB per million road nodes).")] = "auto",
    cache: Annotated[bool, typer.Option(help="Reuse a cached build of the same file, builder and options.")] = True,
) -> None:
    """Build a drivable road network (car roads only) in EPSG:27700.

    One-way streets stay one-way (oneway=yes/-1, roundabouts, motorways); edges get lengths (m) and
    free-flow travel times (s, from maxspeed such as '30 mph', 'national', 'GB:nsl_dual', or UK defaults by
    road class). Chains of degree-2 nodes are merged, the largest strongly connected part is kept, and
    what was dropped is counted: ways cut at the extract's boundary, nodes outside Great Britain, maxspeed
    values that are not speeds. Turn restrictions, time-of-day speeds and ferries are not modelled.

    Example: farfromhome network build --osm england-latest.osm.pbf --out england.npz
    """
    from distance import network as netmod

    if sum(v is not None for v in (osm, place, bbox)) != 1:
        raise InputError("give exactly one of --osm FILE, --place NAME or --bbox WEST,SOUTH,EAST,NORTH")
    if builder not in {"auto", "streaming", "osmnx"}:
        raise InputError(f"--builder {builder!r}: expected auto, streaming or osmnx")
    streamed = builder == "streaming" or (builder == "auto" and osm is not None and osm.name.lower().endswith(".pbf"))
    if osm is not None and streamed:
        with _BuildProgress() as bar:
            net = netmod.build_network(osm, builder=builder, cache=cache, progress=bar.update)  # type: ignore[arg-type]
    elif osm is not None:
        with err_console.status(f"building the road network from {osm.name} through osmnx…"):
            net = netmod.build_network(osm, builder=builder, cache=cache)  # type: ignore[arg-type]
    else:
        with err_console.status("downloading and building the road network through osmnx…"):
            net = (netmod.download_network(place=place) if place is not None
                   else netmod.download_network(bbox=_parse_bbox(str(bbox))))
    written = netmod.save_network(net, out)
    r = net.report
    console.print(f"{net.n_nodes:,} nodes, {net.n_arcs:,} directed edges, {r.get('length_km', 0):,.1f} km of road "
                  f"(EPSG:27700) from {r.get('source', '?')} ({r.get('builder', 'osmnx')} builder)")
    if r.get("nodes_dropped"):
        console.print(f"kept the largest strongly connected component: dropped {r['nodes_dropped']:,} nodes and "
                      f"{r['edges_dropped']:,} edges")
    for key, text in (("ways_excluded_access", "ways left out (access/motor_vehicle no or private)"),
                      ("node_refs_missing", "node references missing from the extract (ways cut at its boundary)"),
                      ("nodes_outside_gb", "nodes outside Great Britain's grid (or without a location) dropped")):
        if r.get(key):
            console.print(f"{r[key]:,} {text}")
    if r.get("maxspeed_not_a_speed"):
        shown = ", ".join(f"{k!r} ×{v}" for k, v in list(r["maxspeed_not_a_speed"].items())[:5])
        console.print(f"maxspeed values that are not speeds (class default used): {shown}")
    err_console.print(f"wrote {written} (© OpenStreetMap contributors, ODbL)")


@network_app.command("fetch")
def network_fetch(
    name: Annotated[str, typer.Argument(help="Extract: england, wales, scotland, a region (north-west, "
                                        "yorkshire-and-the-humber, …) or a county (greater-manchester, rutland, "
                                        "cumbria, kent, …). 'network fetch --list' shows them all.")] = "",
    refresh: Annotated[bool, typer.Option(help="Download again although the file is cached.")] = False,
    list_: Annotated[bool, typer.Option("--list", help="List the extracts that can be fetched.")] = False,
) -> None:
    """Download an OpenStreetMap extract (.osm.pbf) from Geofabrik into the farfromhome cache.

    Needs internet (only the extract is downloaded; nothing is sent). The published file changes every day,
    so no checksum can be pinned: its SHA-256, size and download date are recorded in a .json beside it and
    carried into the network built from it (and so into run.json). The download is written atomically: an
    interrupted one leaves nothing behind, and running the command again starts it over. Without internet,
    build from a file you have: 'farfromhome network build --osm FILE.osm.pbf' (the data mirror's roads/
    folder has small extracts). FARFROMHOME_OSM_BASE_URL points at another server laid out like Geofabrik's.

    Example: farfromhome network fetch england && farfromhome network build --osm PATH --out england.npz
    """
    from distance import fetch
    from geo.cli_common import PoochProgress

    if list_:
        for key in sorted(fetch.EXTRACTS):
            console.print(f"{key:28} {fetch.extract_url(key)}")
        return
    if not name:
        raise InputError("name an extract, e.g. 'farfromhome network fetch england' (--list shows them all)")
    url = fetch.extract_url(name)  # validates the name before any download
    path = fetch.fetch_extract(name, refresh=refresh, progressbar=PoochProgress(f"{name} ({url})"))
    record = fetch.provenance(path)
    console.print(f"{path}  {record['bytes'] / 1e6:,.1f} MB  sha256 {record['sha256']}  "
                  f"downloaded {record.get('downloaded', '?')}  OSM data {record.get('osm_data_timestamp') or '?'}")
    err_console.print(f"next: farfromhome network build --osm {path} --out {name}.npz "
                      "(© OpenStreetMap contributors, ODbL; extract by Geofabrik)")


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
        "--max-snap-m", help="Largest distance (m) from a point to the network; a row with an end farther "
        "away falls back to the backbone (or is 'off_network' with --fallback none).")] = 2000.0,
    fallback: Annotated[str, typer.Option(
        "--fallback", help="'backbone': rows beyond the network get the approximate backbone distance, row by "
        "row (road_source says which); 'none': they stay off_network.")] = "backbone",
    profile: Annotated[str, typer.Option(
        "--profile", help="Travel-time profile: 'typical' (typical speeds by road class, urban or rural, with "
        "delays at traffic signals and junctions) or 'free-flow' (the speed limit everywhere, no delays). It "
        "decides which route is quickest.")] = "typical",
    shortest: Annotated[bool, typer.Option(
        "--shortest", help="Also write road_shortest_km, the shortest-by-length route (one more batch).")] = False,
    compare_backbone: Annotated[bool, typer.Option(
        "--compare-backbone", help="Also compute the approximate backbone distance of every network row and "
        "print how far it is from the network's.")] = False,
) -> None:
    """Add road_distance_km (length of the quickest route) and road_time_min (its time) to every placement.

    Each home and placement point joins the nearest point of the nearest road (within --max-snap-m; the
    straight leg to it is added and reported as home_snap_m / pl_snap_m), and all quickest routes are
    computed in one batch under the --profile's times. Status: ok, off_network (an end too far from the
    network and the backbone, or without a location), unreachable (no route). road_source: network,
    backbone or none. Turn restrictions, time-of-day speeds and ferries are not modelled.
    """
    import pandas as pd

    from distance import road, road_summary
    from distance.network_option import parse_network_option
    from distance.profiles import get_profile

    if fallback not in {"backbone", "none"}:
        raise InputError(f"--fallback {fallback!r}: expected backbone or none")
    prof = get_profile(profile)  # an unknown name fails before any work
    option = parse_network_option(network)  # backbone or an existing network file, checked before any work
    if option.kind == "none":
        raise InputError("--network none: give a network file or 'backbone' (distances measures road distance)")
    frame = _read_table(placements)
    with err_console.status(f"loading the road network {network}…"):
        net: Any = option.load()
    with err_console.status(f"road distances for {len(frame):,} placements…"):
        result = road.road_distances(frame, network=net, max_snap_m=max_snap_m,
                                     fallback="backbone" if fallback == "backbone" else None, profile=prof,
                                     shortest=shortest)
    counts = result["road_status"].value_counts().reindex(list(road.STATUSES), fill_value=0)
    kind = ("backbone, approximate" if network == "backbone"
            else f"quickest route by road, km; {prof.name} profile for times")
    print_table(pd.DataFrame({"placements": counts}).rename_axis("road_status"), title=f"Road distances ({kind})")
    sources = road_summary.road_source_summary(result)
    print_table(pd.DataFrame({"placements": pd.Series(sources["counts"])}).rename_axis("road_source"),
                title="Where each road distance comes from")
    console.print(sources["sentence"])
    if compare_backbone and network != "backbone" and sources["counts"]["network"]:
        agree = road_summary.backbone_agreement(result)
        if agree["pairs"]:
            console.print(f"network vs backbone where both answer ({agree['pairs']:,.0f} placements): median "
                          f"difference {agree['median_rel_diff']:.1%}, 90th percentile {agree['p90_rel_diff']:.1%}")
    if out is not None:
        write_table(result, out, fmt, title="road distances")
    if is_synthetic(frame, path=placements):
        console.print("SYNTHETIC data: these are not real placements.")
    console.print("Road data: © OpenStreetMap contributors; Contains National Highways information licensed "
                  "under the Open Government Licence v3.0.")


def register(app: typer.Typer) -> None:
    """Add this stage's commands to the root farfromhome app."""
    app.add_typer(network_app, name="network")
    app.command("distances")(distances_cmd)


class _BuildProgress:
    """Rich progress for the streaming builder: drivable ways read, then their node locations."""

    def __enter__(self) -> _BuildProgress:
        from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

        self._bar = Progress(TextColumn("{task.description}"), BarColumn(), TextColumn("{task.completed:,.0f}"),
                             TimeElapsedColumn(), console=err_console, transient=True)
        self._tasks: dict[str, Any] = {}
        self._bar.start()
        return self

    def update(self, stage: str, count: int) -> None:
        label = {"ways": "drivable ways read", "nodes": "their node locations read"}.get(stage, stage)
        if stage not in self._tasks:
            for task in self._tasks.values():  # the previous pass is over
                self._bar.update(task, total=self._bar.tasks[task].completed)
            self._tasks[stage] = self._bar.add_task(label, total=None)
        self._bar.update(self._tasks[stage], completed=count)

    def __exit__(self, *exc: object) -> None:
        self._bar.stop()


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
