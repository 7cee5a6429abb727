"""The ``effect`` commands: does distance make a difference (found by the root command through entry points)."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from geo import years
from geo.cli_common import FarFromHomeGroup, console, err_console, print_table, progress
from geo.csvsafe import to_csv
from geo.errors import InputError

if TYPE_CHECKING:
    import pandas as pd

logger = logging.getLogger(__name__)

__all__ = ["register"]

effect_app = typer.Typer(
    cls=FarFromHomeGroup, no_args_is_help=True, rich_markup_mode=None,
    help=("Does distance make a difference? Distance from home against going missing: 'ecological' on the "
          "published LA-level statistics (real data), 'child' on SSDA903 episodes, header and missing files."),
)


@effect_app.command("ecological")
def ecological_cmd(
    year_from: Annotated[int | None, typer.Option("--from", help=f"First year (ending 31 March), "
                                                  f"{years.span('lait')[0]} or later; default the first LAIT "
                                                  "year.", show_default=False)] = None,
    year_to: Annotated[int | None, typer.Option("--to", help=f"Last year (ending 31 March), {years.span('lait')[1]} "
                                                "or earlier; default the latest LAIT year.", show_default=False)]
    = None,
    out: Annotated[Path | None, typer.Option(
        "--out", help="Folder for tables/*.csv, figures/*.png|svg and ecological_summary.txt.")] = None,
) -> None:
    """LA-level distance against going missing, beside England's incidents inside and outside the boundary.

    LA level: % placed >20 miles from home and outside the LA against % who went missing.
    Reads DfE LAIT (LACDistance, Children_missing) and the EES missing files (incidents per child looked
    after, the years they cover). Prints per-year Pearson/Spearman correlations with 95% intervals and an OLS
    panel model with LA and year fixed effects (standard errors clustered by LA), then the ecological-fallacy
    caveat: LAs are not children. Beside it, from DfE's national tables by placement type and locality:
    incidents per 100 placements outside vs inside the boundary, crude and indirectly standardised for
    placement type, as rate ratios with intervals that say what they assume (national aggregates, not children).

    Example: farfromhome effect ecological --out out/effect
    """
    from distance.ecological import ecological_effect
    from maps.effect_figures import write_ecological_outputs
    from provision.outcomes import load_ecological

    frame, quality = load_ecological(year_from=year_from, year_to=year_to)
    result = ecological_effect(frame, data_quality=quality)
    cols = ["outcome", "year", "n_las", "pearson_r", "pearson_ci_low", "pearson_ci_high", "spearman_rho",
            "spearman_ci_low", "spearman_ci_high"]
    print_table(result.correlations[cols], title="Per-year correlations (LAs)")
    print_table(result.panel[["outcome", "model", "coef", "ci_low", "ci_high", "p_value", "n_obs", "n_las",
                              "years"]], title="Panel models (percentage points; SEs clustered by LA)")
    left_out = int(quality["rows"].sum()) if len(quality) else 0
    console.print(f"{len(frame):,} LA-years of {frame['la_code'].nunique()} LAs used; {left_out:,} rows set aside "
                  "(see ecological_data_quality.csv).")
    console.print(result.summary(), soft_wrap=True)
    national = _national_missing(out)
    if out is not None:
        paths = write_ecological_outputs(result, out)
        err_console.print(f"wrote {len(paths) + len(national)} files to {out}")


@effect_app.command("child")
def child_cmd(
    episodes: Annotated[list[Path], typer.Option("--episodes", "-e", help="SSDA903 episodes CSV (CHILD, DECOM, RNE, "
                                                 "LS, PLACE, DEC, HOME_POST, PL_POST; or already located), or one "
                                                 "XML or xlsx return. Repeat once per collection year, or give one "
                                                 "file with a YEAR column.")],
    header: Annotated[list[Path] | None, typer.Option("--header", help="SSDA903 header CSV (CHILD, SEX, DOB); one "
                                                      "per --episodes, in the same order; not needed with XML or "
                                                      "xlsx returns.")] = None,
    missing: Annotated[list[Path] | None, typer.Option("--missing", "-m", help="SSDA903 missing CSV (CHILD, MISSING, "
                                                       "MIS_START); one per --episodes, in the same order; not "
                                                       "needed with XML or xlsx returns.")] = None,
    uasc: Annotated[Path | None, typer.Option("--uasc", help="SSDA903 UASC CSV (children listed are UASC).")] = None,
    network: Annotated[str | None, typer.Option(
        "--network", help="Road network for road distances: a .pbf/.osm/.graphml file, or 'backbone' for the "
        "national major-road network. Without it, straight-line distance (the DfE method) is used.")] = None,
    la: Annotated[str | None, typer.Option(
        "--la", help="The responsible LA (code, DfE number or name) when the files hold one LA's children and "
        "have no LA column.")] = None,
    year_end: Annotated[str | None, typer.Option(
        "--to", "--year-end", help="Last day observed (YYYY-MM-DD), closing open placements; default: 31 March of "
        "the return's collection year (the year most of its episodes end in; a stray date cannot move it), or of "
        "the last YEAR.")] = None,
    observed_from: Annotated[str | None, typer.Option(
        "--from", "--observed-from", help="First day observed (YYYY-MM-DD): missing episodes are recorded from "
        "then; default: 1 April of the return's collection year, or of the first YEAR. Episodes and missing "
        "episodes outside --from/--to are counted in the data-quality table, never used to widen it.")] = None,
    family: Annotated[str, typer.Option(help="poisson (robust SEs) or negbin.")] = "poisson",
    synthetic: Annotated[bool, typer.Option(
        "--synthetic", help="Label every output SYNTHETIC (automatic when the files carry the generator's "
        "marker).")] = False,
    out: Annotated[Path | None, typer.Option(
        "--out", help="Folder for tables/*.csv (small counts suppressed) and figures/*.png|svg.")] = None,
) -> None:
    """Child level: missing incidents per 1,000 placement days by distance from home, two designs.

    Between children: for each placement, did the child go missing during it, and how often per 1,000 days.
    Poisson (or negative binomial) models with a log(exposure days) offset and a logistic model for any
    missing, with distance as bands (0-10, 10-20, 20-50, 50-100, over 100 miles) and continuous (per 10 miles,
    log, spline), adjusted for age at placement start, sex, placement type, UASC, legal status and previous
    placements, with LA and year fixed effects absorbed; standard errors clustered by child. Also
    outside vs inside the LA with propensity-score weighting. This compares children placed far with children
    placed near: it cannot tell the effect of distance from the reasons children are placed far away.

    Within children: the same child's further against nearer placements (child fixed effects; adjusted for age,
    placement type and time in care), resting only on children with placements at different distances who
    went missing (the output says how many and how they differ); and an event study of the 90 days before and
    after moves more than 20 miles further (or nearer) against moves that keep the distance.

    Years: repeat -e/--header/-m once per collection year (or give files with a YEAR column); episodes in two
    years are kept once, and a YEAR that disagrees with the dates is counted. Missing episodes dated outside
    any placement are counted in the data-quality table.

    Example: farfromhome effect child -e 2023/episodes.csv -e 2024/episodes.csv --header 2023/header.csv
    --header 2024/header.csv -m 2023/missing.csv -m 2024/missing.csv --network backbone --out out/effect
    """
    from distance.child_models import child_effect
    from distance.move_study import move_event_study
    from distance.within_child import within_child_effect
    from geo.disclosure import SYNTHETIC_LABEL, suppress_table
    from geo.errors import ModelNotIdentifiedError
    from maps.effect_figures import write_child_outputs, write_design_outputs
    from provision.placement_frame import load_placement_frame
    from provision.ssda903 import return_format

    header, missing = list(header or []), list(missing or [])
    one_file = [return_format(e) != "csv" for e in episodes]
    if all(one_file) and not header and not missing:  # XML or xlsx returns hold all three tables
        header, missing = list(episodes), list(episodes)
    elif not len(episodes) == len(header) == len(missing):
        raise InputError(f"give one --header and one --missing per --episodes (one set per collection year), or "
                         f"XML or xlsx returns: {len(episodes)} episodes, {len(header)} header, {len(missing)} "
                         "missing")
    with progress("Reading, validating and locating the placements …", total=1) as advance:
        frame, quality = load_placement_frame(
            episodes, header=header, missing=missing, uasc=uasc, la=_resolve(la), network=network,
            synthetic=synthetic, reference_date=_date(year_end, "--to"),
            observation_start=_date(observed_from, "--from"))
        advance()
    with progress(f"Fitting the child-level models on {len(frame):,} placements …", total=3) as advance:
        result = child_effect(frame, family=family)  # type: ignore[arg-type]
        advance()
        within = event = None
        skipped = []
        try:
            within = within_child_effect(frame, synthetic=result.synthetic)
        except ModelNotIdentifiedError as exc:  # a finding about the data: reported, not an error
            skipped.append(f"within-child design left out: {exc}")
        advance()
        try:
            event = move_event_study(frame, synthetic=result.synthetic)
        except ModelNotIdentifiedError as exc:
            skipped.append(f"event study left out: {exc}")
        advance()
    label = SYNTHETIC_LABEL if result.synthetic else "child-level data"
    console.print(f"[bold red]{label}[/bold red]" if result.synthetic else label)
    print_table(suppress_table(result.rate_table, column_totals=True).drop(columns=["interval", "suppressed"]),
                title=f"Missing incidents per 1,000 placement days by {result.distance_measure} distance band")
    print_table(result.rate_ratios[["model", "term", "ratio", "ci_low", "ci_high", "p_value"]],
                title="Between children: adjusted ratios (95% CI, SEs clustered by child)")
    if not result.inside_outside.empty:
        print_table(result.inside_outside[["term", "ratio", "ci_low", "ci_high", "placements_inside",
                                           "placements_outside"]], title="Outside vs inside the LA")
    if within is not None:
        print_table(within.rate_ratios[["model", "term", "ratio", "ci_low", "ci_high", "p_value", "children"]],
                    title="Within children: the same child's further vs nearer placements (child fixed effects)")
        print_table(suppress_table(within.contributions), title="Which children the within-child design rests on")
    if event is not None:
        print_table(event.contrasts[["model", "ratio", "ci_low", "ci_high", "p_value"]],
                    title=f"Around a move: {event.window_days} days after vs before (SEs clustered by child)")
    if len(quality):
        print_table(suppress_table(quality.drop(columns="examples"), columns=("rows",)),
                    title="Data quality (rows set aside, with the reason)")
    for note in [*result.notes, *(within.notes if within else []), *(event.notes if event else []), *skipped]:
        err_console.print(note)
    if out is not None:
        paths = write_child_outputs(result, out, data_quality=quality)
        paths += write_design_outputs(within, event, out, between=result, synthetic=result.synthetic)
        err_console.print(f"wrote {len(paths)} files to {out}" + (" (SYNTHETIC)" if result.synthetic else ""))


def _national_missing(out: Path | None) -> list[Path]:
    """Print (and with ``out`` write) the national inside/outside rate ratios; return the files written."""
    import pandas as pd

    from distance.national import missing_rate_ratios
    from provision.national_missing import load_national_missing

    inputs = load_national_missing()
    nat = missing_rate_ratios(inputs.placements, incidents_by_type=inputs.incidents_by_type,
                              incidents_by_locality=inputs.incidents_by_locality,
                              incidents_per_missing_child=inputs.incidents_per_missing_child)
    t = nat.table
    shown = pd.DataFrame({
        "year": t["year"], "inside /100": t["rate_inside_per_100"].round(1),
        "outside /100": t["rate_outside_per_100"].round(1), "crude RR": t["crude_rr"].round(2),
        "95% CI": [f"{a:.2f}-{b:.2f}" for a, b in zip(t["crude_ci_low_clustered"], t["crude_ci_high_clustered"],
                                                      strict=True)],
        "standardised": t["standardised_rr"].round(2),
        "95% CI ": [f"{a:.2f}-{b:.2f}" for a, b in zip(t["standardised_ci_low_clustered"],
                                                       t["standardised_ci_high_clustered"], strict=True)]})
    print_table(shown.set_index("year"), title="England: missing incidents per 100 placements, outside vs inside the "
                "council boundary (ratios standardised for placement type; clustered 95% CIs)")
    console.print(nat.summary().split("\n", len(nat.table))[-1], soft_wrap=True)
    if out is None:
        return []
    (Path(out) / "tables").mkdir(parents=True, exist_ok=True)
    paths = [Path(out) / "tables" / "national_missing_inside_outside.csv", Path(out) / "national_missing_summary.txt"]
    to_csv(nat.table, paths[0], index=False)
    paths[1].write_text(nat.summary() + "\n", encoding="utf-8")
    return paths


def register(app: typer.Typer) -> None:
    """Add this stage's commands to the root farfromhome app."""
    app.add_typer(effect_app, name="effect")


def _date(value: str | None, option: str) -> pd.Timestamp | None:
    import pandas as pd

    if value is None:
        return None
    try:
        return pd.Timestamp(value)
    except ValueError as exc:
        raise InputError(f"{option} {value!r} is not a date; expected YYYY-MM-DD") from exc


def _resolve(la: str | None) -> str | None:
    import boundaries

    return boundaries.resolve_la(la) if la else None
