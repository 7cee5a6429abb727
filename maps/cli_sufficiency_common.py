"""What the ``sufficiency`` commands share: their options, the default year, and reading placements and places."""

from __future__ import annotations

import logging
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import pandas as pd
import typer

from geo import years
from geo.cli_common import err_console
from geo.disclosure import is_synthetic
from geo.errors import InputError

logger = logging.getLogger(__name__)

__all__ = ["Rule", "Order", "PlacementsOpt", "LaOpt", "HomesOpt", "NetworkOpt", "YearOpt", "RuleOpt", "SeedOpt",
           "children_for", "places_for", "load_network_option", "ofsted_year"]


class Rule(StrEnum):
    centroid = "centroid"
    sample = "sample"


class Order(StrEnum):
    gain = "gain"
    nearest = "nearest"
    farthest = "farthest"
    given = "given"


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


def children_for(path: Path | None, la: str | None, year: int, seed: int) -> tuple[pd.DataFrame, bool]:
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


def places_for(homes_list: Path | None, year: int, rule: Rule, seed: int) -> tuple[Any, Any]:
    from provision import sufficiency as suff

    if homes_list is None:
        return suff.public_places(year, rule=rule.value, seed=seed), None
    from provision.homes_list import read_homes_list

    homes = read_homes_list(homes_list)
    bad = homes.quality[homes.quality["severity"] != "info"]
    err_console.print(f"{homes!r}; {len(bad):,} row(s) with problems (postcodes shown to their district only)")
    return suff.homes_list_places(homes), homes


def load_network_option(path: Path | None) -> Any:
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


def ofsted_year(year: int | None) -> int:
    """Return ``year``, or the latest catalogued Ofsted list's year when None (the library checks it)."""
    return years.latest("ofsted_providers") if year is None else year
