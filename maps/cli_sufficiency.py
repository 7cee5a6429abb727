"""CLI for sufficiency: excess distance, the nearest-place surface and what-ifs (``farfromhome sufficiency``)."""

from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import Annotated, Any

import pandas as pd
import typer

from geo.cli_common import FarFromHomeGroup, console, err_console, print_table, progress, write_table
from geo.errors import InputError
from geo.settings import LA_VINTAGE
from maps.cli_plan import plan_cmd
from maps.cli_sufficiency_common import (
    HomesOpt,
    LaOpt,
    NetworkOpt,
    Order,
    PlacementsOpt,
    Rule,
    RuleOpt,
    SeedOpt,
    YearOpt,
    children_for,
    load_network_option,
    ofsted_year,
    places_for,
)

logger = logging.getLogger(__name__)

__all__ = ["register", "sufficiency_app"]

sufficiency_app = typer.Typer(
    cls=FarFromHomeGroup, no_args_is_help=True, rich_markup_mode=None,
    help="Sufficiency for commissioners: how much further than the nearest children's-home place each child in a "
         "children's home (PLACE K2) is placed, a distance-to-nearest-place surface for England, and what new "
         "places would change. Public Ofsted lists locate homes only by LA; an LA's own Ofsted provider list "
         "(--homes-list, confidential) locates each home at its postcode, and no output reveals a home more "
         "finely than its postcode district. Only aggregates are written for your own SSDA903 return.",
)


@sufficiency_app.command("excess")
def excess_cmd(
    out: Annotated[Path, typer.Option("--out", help="Table by LA (.csv, .parquet or .json); the region table and the "
                                      "data-quality counts are written beside it (_regions, _quality).")],
    placements: PlacementsOpt = None, la: LaOpt = None, homes_list: HomesOpt = None, network: NetworkOpt = None,
    year: YearOpt = None, rule: RuleOpt = Rule.centroid, seed: SeedOpt = 7,
    figure: Annotated[Path | None, typer.Option("--figure", help="Also write the publication figure of each LA's "
                                                "median excess (.png 300 dpi, .svg or .pdf).")] = None,
    map_out: Annotated[Path | None, typer.Option("--map", help="Also write the interactive choropleth (.html, "
                                                 "offline).")] = None,
    placements_out: Annotated[Path | None, typer.Option(
        "--placements-out", help="Per-placement distances: SYNTHETIC placements without --homes-list only.")] = None,
) -> None:
    """Excess distance: distance travelled minus distance to the nearest children's-home place, by LA and region.

    For every children's-home placement (PLACE K2): the straight-line distance (km, miles) from the child's home
    to the nearest children's-home place, the distance travelled, and the excess; with --network the same by road;
    with --homes-list also to the nearest home registered for the needs of the home the child was placed in
    (through URN). The tables give each LA's and region's median excess and the share of placements more than
    20 miles beyond the nearest place; counts of 1-4 are suppressed (with secondary suppression), medians of
    fewer than 5 placements are not shown. The rule used to locate places is stated in every row.

    Example: farfromhome sufficiency excess -p episodes.csv --la 356 --out excess.csv --figure excess.png
    """
    for path, allowed in ((figure, (".png", ".svg", ".pdf")), (map_out, (".html",))):
        if path is not None and path.suffix.lower() not in allowed:
            raise InputError(f"{path}: expected a {' or '.join(allowed)} file")
    if placements_out is not None and homes_list is not None:
        raise InputError("--placements-out is refused with --homes-list: a per-placement distance to the nearest "
                         "home could locate a confidential home")
    net = load_network_option(network)
    year = ofsted_year(year)
    places, homes = places_for(homes_list, year, rule, seed)
    located, synthetic = children_for(placements, la, year, seed)
    if placements_out is not None and not synthetic:
        raise InputError("--placements-out is refused for your own return: only aggregates are written")
    from provision import sufficiency as suff

    with err_console.status("measuring nearest places and excess distances…"):
        excess = suff.excess_distance(located, places=places, network=net)
    by_la, by_region = suff.summarise(excess), suff.summarise(excess, by="region")
    quality = _quality(excess, homes)
    tag = {"data": "SYNTHETIC"} if synthetic else {}
    write_table(by_la.assign(**tag), out)
    write_table(by_region.assign(**tag), out.with_name(f"{out.stem}_regions{out.suffix}"))
    write_table(quality.assign(**tag), out.with_name(f"{out.stem}_quality{out.suffix}"))
    if placements_out is not None:
        write_table(excess.placements.assign(data="SYNTHETIC"), placements_out)
    if figure is not None or map_out is not None:
        _excess_outputs(by_la, figure, map_out, synthetic=synthetic, rule=places.rule,
                        road="road" in excess.distances)
    shown = by_la[["la_name", "placements_label", "median_excess_straight_miles", "pct_over_20_miles_beyond"]].set_axis(
        ["LA", "K2 placements measured", "median excess (miles)", "% > 20 miles beyond nearest"], axis=1)
    print_table(shown, title=f"{'SYNTHETIC: ' if synthetic else ''}excess distance by LA (straight-line, miles)",
                max_rows=20)
    console.print(f"Places: {places.rule}. Distances: {', '.join(excess.distances)}.")


@sufficiency_app.command("surface")
def surface_cmd(
    out: Annotated[Path, typer.Option("--out", help="GeoTIFF to write (.tif), EPSG:27700.")],
    year: YearOpt = None,
    resolution: Annotated[float, typer.Option("--resolution", help="Cell size in metres, 100-10,000 (at least 5,000 "
                                              "with --homes-list).")] = 1000.0,
    homes_list: HomesOpt = None, network: NetworkOpt = None, rule: RuleOpt = Rule.centroid, seed: SeedOpt = 7,
    map_out: Annotated[Path | None, typer.Option("--map", help="Also write an offline map of the surface (.html).")]
    = None,
) -> None:
    """Distance from every part of England to the nearest children's-home place, as a GeoTIFF.

    One band per measure: straight-line km to the nearest place, registered places within 20 miles and, with
    --network, road km to the nearest place (one multi-source search from all homes). Nodata outside England;
    units, sources, the rule that located places and attribution are in the file's tags; an overview pyramid
    is built. From a confidential --homes-list, cells must be 5 km or coarser and each home is moved to its
    postcode-district centroid first. England at 1 km is about 130,000 cells.

    Example: farfromhome sufficiency surface --year 2025 --resolution 1000 --out nearest_places.tif
    """
    from provision import surface as sf

    sf.check_resolution(resolution, confidential=homes_list is not None)
    if out.suffix.lower() not in (".tif", ".tiff"):
        raise InputError(f"{out}: the surface is written as a GeoTIFF; use a .tif file name")
    if map_out is not None and map_out.suffix.lower() != ".html":
        raise InputError(f"{map_out}: expected an .html file")
    net = load_network_option(network)
    year = ofsted_year(year)
    places, _ = places_for(homes_list, year, rule, seed)
    start = time.perf_counter()
    grid = sf.england_grid(resolution)
    with progress("nearest children's-home places", total=int(grid[0].sum())) as advance:
        surface = sf.nearest_place_surface(places, resolution_m=resolution, network=net, grid=grid,
                                           progress=advance)
    path = sf.write_surface(surface, out)
    err_console.print(f"wrote {path} ({path.stat().st_size / 1e6:.1f} MB): {surface!r} in "
                      f"{time.perf_counter() - start:.1f} s")
    console.print(f"Places: {surface.tags['places']}.")
    if map_out is not None:
        import boundaries
        from maps import interactive
        from maps import sufficiency as ms

        saved = interactive.save_map(ms.surface_map(path, las=boundaries.load_las(year=LA_VINTAGE)), map_out,
                                     inline_assets=True)
        err_console.print(f"wrote {saved} ({saved.stat().st_size / 1e6:.1f} MB)")


@sufficiency_app.command("whatif")
def whatif_cmd(
    la: Annotated[str, typer.Option("--la", help="The LA whose children are counted: ONS code, DfE number or name.")],
    add_places: Annotated[int, typer.Option("--add-places", min=0, help="Children's-home places to add (0 or more).")],
    at: Annotated[str | None, typer.Option("--at", help="Where: an English LA (its postcode-weighted centroid) or a "
                                           "postcode sector such as 'SK4 1'. Default: --la.")] = None,
    placements: PlacementsOpt = None, homes_list: HomesOpt = None, year: YearOpt = None,
    rule: RuleOpt = Rule.centroid, seed: SeedOpt = 7,
    out: Annotated[Path | None, typer.Option("--out", help="Write the before/after table (.csv, .parquet, .json).")]
    = None,
    order: Annotated[Order, typer.Option("--order", help="Order in which children take the new places (the "
                                         "assignment model the plan uses too): nearest (default), gain, farthest or "
                                         "given.")] = Order.nearest,
) -> None:
    """Show what N more places at an LA or postcode sector would change for one LA's children in homes.

    Re-runs nearest place and excess with the added places, then reports how many of the LA's children's-home
    placements would be within 20 miles and the change in median distance. Assumption (stated on the output):
    the new places go to the nearest children first, one child a place, ignoring matching of needs;
    straight-line distances.

    Example: farfromhome sufficiency whatif --la 356 --add-places 4 --at "SK4 1" (SYNTHETIC without -p)
    """
    import boundaries
    from provision import sufficiency as suff
    from provision._sufficiency_geo import resolve_at
    from provision.whatif import whatif

    code = boundaries.resolve_la(la)
    resolve_at(at, default_la=code)  # validate --at before the long work
    year = ofsted_year(year)
    places, _ = places_for(homes_list, year, rule, seed)
    located, synthetic = children_for(placements, code, year, seed)
    excess = suff.excess_distance(located, places=places)
    result = whatif(excess, la=code, add_places=add_places, at=at, synthetic=synthetic, order=order.value)
    table = result.table[["placements_label", "within_20_miles_label", "median_nearest_place_miles",
                          "median_placement_miles"]].set_axis(
        ["K2 placements", "placed within 20 miles", "median miles to nearest place", "median miles placed"], axis=1)
    print_table(table, title=f"{'SYNTHETIC: ' if synthetic else ''}{result.la_name}: {add_places} place(s) "
                f"{result.at}")
    console.print(result.summary())
    console.print(f"Places: {result.rule}.")
    if out is not None:
        write_table(result.table.assign(la_code=result.la, at=result.at, added_places=add_places,
                                        assumption=result.assumption,
                                        **({"data": "SYNTHETIC"} if synthetic else {})), out)


sufficiency_app.command("plan")(plan_cmd)


def register(app: typer.Typer) -> None:
    """Add the ``sufficiency`` command group (with ``plan``, from :mod:`maps.cli_plan`) to the root app."""
    app.add_typer(sufficiency_app, name="sufficiency")


# -- helpers --------------------------------------------------------------------------------------------
def _quality(excess: Any, homes: Any) -> pd.DataFrame:
    """Rows left out, by stage and reason, counts suppressed; the homes list's problems counted by reason."""
    from geo.disclosure import suppress_counts

    frame = excess.quality.copy()
    if homes is not None:
        counts = homes.quality.groupby(["severity", "reason"]).size().rename("rows").reset_index()
        counts["stage"] = "homes list (" + counts["severity"].astype(str) + ")"
        frame = pd.concat([frame, counts[["stage", "reason", "rows"]]], ignore_index=True)
    if frame.empty:
        return pd.DataFrame({"stage": [], "reason": [], "rows": []}).set_index("stage")
    safe = suppress_counts(frame.reset_index(drop=True), count_columns=["rows"])
    return safe.drop(columns=["rows", "suppressed"]).rename(columns={"rows_label": "rows"}).set_index("stage")


def _excess_outputs(by_la: pd.DataFrame, figure: Path | None, map_out: Path | None, *, synthetic: bool, rule: str,
                    road: bool) -> None:
    import boundaries
    from maps import interactive, static
    from maps import sufficiency as ms

    las, regions = boundaries.load_las(), boundaries.load_regions()
    if figure is not None:
        measure = "road" if road and by_la["median_excess_road_miles"].notna().any() else "straight"
        fig = ms.excess_figure(by_la, las=las, regions=regions, measure=measure, synthetic=synthetic, rule=rule)
        err_console.print(f"wrote {static.save_figure(fig, figure)}")
    if map_out is not None:
        m = ms.excess_map(by_la, las=las, regions=regions, synthetic=synthetic, rule=rule)
        saved = interactive.save_map(m, map_out, inline_assets=True)
        err_console.print(f"wrote {saved} ({saved.stat().st_size / 1e6:.1f} MB)")
