"""CLI: ``farfromhome sufficiency plan`` — where new children's-home places should go (one LA or a cooperative)."""

from __future__ import annotations

import logging
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import pandas as pd
import typer

from geo import years
from geo.cli_common import console, err_console, print_table, write_table
from maps.cli_sufficiency_common import (
    HomesOpt,
    NetworkOpt,
    Order,
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

__all__ = ["plan_cmd", "group_children"]

_SYNTH_SERIES = "characteristics"  # the synthetic generator's years: DfE's LA tables by characteristics


class Objective(StrEnum):
    excess = "excess"
    over_20_miles = "over-20-miles"



class Method(StrEnum):
    auto = "auto"
    mip = "mip"
    greedy = "greedy"



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
    homes_list: HomesOpt = None, network: NetworkOpt = None, year: YearOpt = None, rule: RuleOpt = Rule.centroid,
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
    net = load_network_option(network)
    year = ofsted_year(year)
    places, _ = places_for(homes_list, year, rule, seed)
    located, synthetic = group_children(episodes or [], group, year, seed)
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


def group_children(paths: list[Path], group: Any, year: int, seed: int) -> tuple[pd.DataFrame, bool]:
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
        frame, synthetic = children_for(path, one, year, seed)
        frames.append(frame)
        flags.append(synthetic)
    return pd.concat(frames, ignore_index=True), all(flags)
