"""CLI for sufficiency: excess distance, the nearest-place surface and what-ifs (``farfromhome sufficiency``)."""

from __future__ import annotations

import logging
import time
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import pandas as pd
import typer

from geo import years
from geo.cli_common import FarFromHomeGroup, console, err_console, print_table, progress, write_table
from geo.disclosure import is_synthetic
from geo.errors import InputError
from geo.settings import LA_VINTAGE

logger = logging.getLogger(__name__)

__all__ = ["register"]

sufficiency_app = typer.Typer(
    cls=FarFromHomeGroup, no_args_is_help=True, rich_markup_mode=None,
    help="Sufficiency for commissioners: how much further than the nearest children's-home place each child in a "
         "children's home (PLACE K2) is placed, a distance-to-nearest-place surface for England, and what new "
         "places would change. Public Ofsted lists locate homes only by LA; an LA's own Ofsted provider list "
         "(--homes-list, confidential) locates each home at its postcode, and no output reveals a home more "
         "finely than its postcode district. Only aggregates are written for your own SSDA903 return.",
)


class Rule(StrEnum):
    centroid = "centroid"
    sample = "sample"


class Objective(StrEnum):
    excess = "excess"
    over_20_miles = "over-20-miles"


class Order(StrEnum):
    gain = "gain"
    nearest = "nearest"
    farthest = "farthest"
    given = "given"


class Method(StrEnum):
    auto = "auto"
    mip = "mip"
    greedy = "greedy"


PlacementsOpt = Annotated[Path | None, typer.Option(
    "--placements", "-p", help="SSDA903 episodes CSV (PLACE, HOME_POST, PL_POST, URN...) or the output of "
    "'farfromhome placements locate' (.parquet/.csv). Default: SYNTHETIC placements generated for --la.")]
LaOpt = Annotated[str | None, typer.Option("--la", help="The LA whose children are measured: ONS code, DfE number "
                                           "(356) or name; the responsible LA of a return without an LA column.")]
HomesOpt = Annotated[Path | None, typer.Option(
    "--homes-list", help="Ofsted provider workbook with addresses (CONFIDENTIAL): the 'Provider information' sheet "
    "of the children's homes workbook or the 'Providers' sheet of the social care providers workbook.")]
NetworkOpt = Annotated[Path | None, typer.Option(
    "--network", help="Road network (.npz from 'farfromhome network build', or an OSM extract): adds road distances.")]
_SYNTH_SERIES = "characteristics"  # the synthetic generator's years: DfE's LA tables by characteristics
YearOpt = Annotated[int | None, typer.Option(
    "--year", help=f"Ofsted public list at 31 March of this year ({years.describe('ofsted_providers')}), used without "
    f"--homes-list; synthetic placements are for this year ({years.describe(_SYNTH_SERIES)}, else the nearest). "
    f"Default: the latest, {years.latest('ofsted_providers')}.", show_default=False)]
RuleOpt = Annotated[Rule, typer.Option("--rule", help="Without --homes-list, where an LA's places are: 'centroid' (its "
                                       "postcode-weighted centroid) or 'sample' (each home at a random postcode of "
                                       "the LA, seeded).")]
SeedOpt = Annotated[int, typer.Option("--seed", help="Seed of the 'sample' rule and of synthetic placements.")]


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
    net = _network(network)
    year = _ofsted_year(year)
    places, homes = _places(homes_list, year, rule, seed)
    located, synthetic = _children(placements, la, year, seed)
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
    net = _network(network)
    year = _ofsted_year(year)
    places, _ = _places(homes_list, year, rule, seed)
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
    year = _ofsted_year(year)
    places, _ = _places(homes_list, year, rule, seed)
    located, synthetic = _children(placements, code, year, seed)
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


@sufficiency_app.command("plan")
def plan_cmd(
    add_places: Annotated[int, typer.Option("--add-places", help="New children's-home places to site (1 or more).")],
    out: Annotated[Path, typer.Option("--out", help="Folder for the tables (plan_*.csv) and the map (plan_map.html).")],
    la: Annotated[list[str] | None, typer.Option("--la", help="An LA of the group (ONS code, DfE number or name); "
                                                 "repeat for a cooperative.")] = None,
    region: Annotated[str | None, typer.Option("--region", help="Every LA of a region joins the group "
                                               "(e.g. north-west, 'North West', E12000002).")] = None,
    homes: Annotated[int | None, typer.Option("--homes", help="Most new homes (sites); default one per 4 places.")]
    = None,
    candidates: Annotated[str, typer.Option("--candidates", help="Where places may go: 'sectors' or 'districts' of "
                                            "the group's area (Code-Point Open), or a CSV with a 'postcode' column "
                                            "(e.g. land the council owns).")] = "sectors",
    episodes: Annotated[list[Path] | None, typer.Option("-e", "--episodes", help="The group's own SSDA903 "
                                                        "episodes (CSV, or 'placements locate' output); repeat "
                                                        "for several LAs or years. Default: SYNTHETIC children "
                                                        "generated for the group.")] = None,
    objective: Annotated[Objective, typer.Option("--objective", help="'excess': minimise the total excess distance; "
                                                 "'over-20-miles': minimise children placed over 20 miles "
                                                 "away.")] = Objective.excess,
    order: Annotated[Order, typer.Option("--order", help="Order in which children take the new places (the "
                                         "assignment model the what-if uses too): gain, nearest, farthest or "
                                         "given.")] = Order.gain,
    homes_list: HomesOpt = None, network: NetworkOpt = None, year: YearOpt = 2024, rule: RuleOpt = Rule.centroid,
    seed: SeedOpt = 7,
    method: Annotated[Method, typer.Option("--method", help="auto (HiGHS MIP when its size allows, else greedy), "
                                           "mip or greedy.")] = Method.auto,
    time_limit: Annotated[float, typer.Option("--time-limit", help="HiGHS time limit for each MIP, seconds.")] = 20.0,
    resamples: Annotated[int, typer.Option("--resamples", min=0, help="Resamples of the children for the "
                                           "sensitivity table.")] = 20,
) -> None:
    """Choose where N new children's-home places would bring a group's children nearest home.

    For one LA or a regional care cooperative (several --la, or --region), picks sites among the group's
    postcode sectors or districts (or your own list of postcodes) and splits the places among at most --homes
    homes, to minimise the children's total excess distance or the number placed over 20 miles away, given
    today's places (Ofsted). HiGHS solves the facility-location model; the greedy's gap to its bound is reported.
    Writes: plan_sites (each chosen postcode district, its places, children served, reduction), plan_summary
    (before/after), plan_curve (marginal value of each place), plan_sensitivity (resampled children, a year
    left out), plan_flows (children placed within / out of the group), plan_solver, plan_quality and
    plan_map.html. Road distances with --network, else straight-line; every output says which. Sites are shown
    by postcode district only; counts of children under 5 are suppressed.

    Example: farfromhome sufficiency plan --la Stockport --la Manchester --add-places 12 --homes 3 --out plan/
    """
    import boundaries
    from maps import interactive
    from maps.plan_map import plan_map
    from provision.plan import plan_places
    from provision.plan_sites import candidate_sites, plan_group

    group = plan_group(la or [], region=region)
    cands = candidate_sites(group, candidates=candidates)
    for note in cands.notes():
        err_console.print(f"note: {note}")
    net = _network(network)
    year = _ofsted_year(year)
    places, _ = _places(homes_list, year, rule, seed)
    located, synthetic = _group_children(episodes or [], group, year, seed)
    with err_console.status(f"planning {add_places} place(s) for {group.label}…"):
        plan = plan_places(located, places=places, group=group, add_places=add_places, homes=homes,
                           candidates=cands, objective=objective.value, order=order.value, network=net,
                           method=method.value, time_limit_s=time_limit, resamples=resamples, seed=seed,
                           synthetic=synthetic)
    out.mkdir(parents=True, exist_ok=True)
    for name, table in plan.tables().items():
        write_table(table, out / f"{name}.csv")
    page = interactive.save_map(plan_map(plan, las=boundaries.load_las()), out / "plan_map.html",
                                inline_assets=True)
    saved = ["not published" if pd.isna(v) else f"{v:,.0f}" for v in plan.sites["reduction_excess_miles"]]
    shown = plan.sites[["postcode_district", "la_name", "places", "children_served_label"]].assign(
        saved=saved).set_axis(
        ["postcode district", "LA", "places", "children served", f"excess saved ({plan.distance}, miles)"], axis=1)
    print_table(shown, title=f"{'SYNTHETIC: ' if synthetic else ''}new places for {group.label}")
    console.print(plan.summary_text())
    for note in plan.notes:
        console.print(f"- {note}")
    err_console.print(f"wrote {len(plan.tables())} tables and {page} to {out}")


def register(app: typer.Typer) -> None:
    """Add the ``sufficiency`` command group to the root farfromhome app."""
    app.add_typer(sufficiency_app, name="sufficiency")


# -- helpers --------------------------------------------------------------------------------------------
def _children(path: Path | None, la: str | None, year: int, seed: int) -> tuple[pd.DataFrame, bool]:
    """Located placements and whether they are synthetic (generated for ``la`` when no file is given)."""
    import boundaries
    from provision import placements, ssda903

    code = boundaries.resolve_la(la) if la is not None else None
    if path is None:
        if code is None:
            raise InputError("give --placements FILE, or --la to measure SYNTHETIC placements generated for that LA")
        from provision import synth

        first, last = years.span(_SYNTH_SERIES)
        syn_year = min(max(year, first), last)
        with err_console.status(f"generating SYNTHETIC placements for {code} ({syn_year})…"):
            data = synth.generate(year=syn_year, seed=seed, las=[code])
        err_console.print(f"SYNTHETIC: {len(data.episodes):,} generated episodes for {code} ({syn_year}); not real "
                          "children")
        return placements.locate(data.episodes), True
    if not path.is_file():
        raise InputError(f"placements {str(path)!r}: file not found")
    if path.suffix.lower() in (".parquet", ".pq"):
        frame = pd.read_parquet(path)
    else:
        head = pd.read_csv(path, nrows=0, encoding="utf-8-sig").columns
        if "home_easting" in head:
            frame = pd.read_csv(path, encoding="utf-8-sig", dtype={"CHILD": str, "URN": str, "PLACE": str})
        else:
            frame, problems = ssda903.read_table(path, table="episodes", check_postcodes=False)
            if frame is None:
                raise InputError(str(problems["message"].iloc[0]))
            if len(problems):
                err_console.print(f"{len(problems):,} data-quality problem(s) in {path.name}; see 'farfromhome "
                                  "placements validate'")
    if "home_easting" not in frame.columns:
        frame = placements.locate(frame, responsible_la=None if "LA" in frame.columns else code)
    if code is not None:
        if frame["responsible_la"].isna().all():  # a located file of one LA's return without its LA
            frame = frame.assign(responsible_la=code)
        frame = frame[frame["responsible_la"] == code]
    if frame.empty:
        raise InputError(f"{path.name}: no placements{f' of LA {code}' if code else ''}")
    synthetic = is_synthetic(frame, path=path)
    if synthetic:
        err_console.print("SYNTHETIC: these placements are generated records (CHILD IDs start with SYN)")
    return frame, synthetic


def _group_children(paths: list[Path], group: Any, year: int, seed: int) -> tuple[pd.DataFrame, bool]:
    """Located placements of a group's LAs: from the files given, else SYNTHETIC ones generated for the group."""
    from provision import placements

    if not paths:
        from provision import synth

        first, last = years.span(_SYNTH_SERIES)
        syn_year = min(max(year, first), last)
        with err_console.status(f"generating SYNTHETIC placements for {group.label} ({syn_year})…"):
            data = synth.generate(year=syn_year, seed=seed, las=list(group.codes))
        err_console.print(f"SYNTHETIC: {len(data.episodes):,} generated episodes for {group.label} ({syn_year}); "
                          "not real children")
        return placements.locate(data.episodes), True
    one = group.codes[0] if len(group.codes) == 1 else None
    frames, flags = [], []
    for path in paths:
        frame, synthetic = _children(path, one, year, seed)
        frames.append(frame)
        flags.append(synthetic)
    return pd.concat(frames, ignore_index=True), all(flags)


def _places(homes_list: Path | None, year: int, rule: Rule, seed: int) -> tuple[Any, Any]:
    from provision import sufficiency as suff

    if homes_list is None:
        return suff.public_places(year, rule=rule.value, seed=seed), None
    from provision.homes_list import read_homes_list

    homes = read_homes_list(homes_list)
    bad = homes.quality[homes.quality["severity"] != "info"]
    err_console.print(f"{homes!r}; {len(bad):,} row(s) with problems (postcodes shown to their district only)")
    return suff.homes_list_places(homes), homes


def _network(path: Path | None) -> Any:
    """Load ``--network`` once (a network file; the sufficiency measures need a real road network)."""
    if path is None:
        return None
    from distance.network_option import parse_network_option

    option = parse_network_option(path)
    if option.kind != "network":
        raise InputError(f"--network {str(path)!r}: the sufficiency measures need a road-network file, not "
                         f"'{option.kind}'")
    with err_console.status(f"loading the road network {path.name}…"):
        return option.load()


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


def _ofsted_year(year: int | None) -> int:
    """Return ``year``, or the latest catalogued Ofsted list's year when None (the library checks it)."""
    return years.latest("ofsted_providers") if year is None else year
