"""The ``map`` and ``figure`` commands: interactive HTML maps and publication figures (found through entry points)."""

from __future__ import annotations

import logging
from enum import StrEnum
from importlib import import_module
from pathlib import Path
from typing import Annotated

import typer

from geo import years
from geo.cli_common import FarFromHomeGroup, err_console
from geo.disclosure import SYNTHETIC_LABEL, is_synthetic
from geo.errors import InputError, MissingColumnsError

logger = logging.getLogger(__name__)

__all__ = ["register", "TilesOpt", "InlineOpt"]

map_app = typer.Typer(
    cls=FarFromHomeGroup, no_args_is_help=True, rich_markup_mode=None,
    help=("Interactive HTML maps (folium/Leaflet) for commissioners: 'supply' (homes and places by LA), 'flows' "
          "(home LA to placement LA) and 'distances' (where one LA's children are placed). Open the file in any "
          "browser; use --tiles none --inline-assets for a file that needs no network at all."),
)
figure_app = typer.Typer(
    cls=FarFromHomeGroup, no_args_is_help=True, rich_markup_mode=None,
    help=("Publication figures (PNG at 300 dpi, SVG, PDF) with title, legend, scale bar, north arrow, London "
          "inset and a source line with the licences: 'supply', 'flows', 'distances'."),
)


class Scheme(StrEnum):
    quantiles = "quantiles"
    naturalbreaks = "naturalbreaks"
    userdefined = "userdefined"


class FigureFormat(StrEnum):
    png = "png"
    svg = "svg"
    pdf = "pdf"


_SUPPLY_SERIES = ("ofsted_providers", "dfe_cla_la", "la_boundaries")
"""What the supply map and figure need (geo.years): an Ofsted list and DfE's LA figures for the year."""
SupplyYearOpt = Annotated[int | None, typer.Option(
    "--year", help=f"Year (31 March) of the Ofsted and DfE figures, {years.describe(*_SUPPLY_SERIES)}; default: "
    f"the latest, {years.latest(*_SUPPLY_SERIES)}.", show_default=False)]

TilesOpt = Annotated[str, typer.Option(
    "--tiles", help="Basemap: 'none' (no tiles: works offline), or a folium tile name such as 'openstreetmap' "
    "(fetched from the internet by the viewer's browser; adds OpenStreetMap's attribution).")]
InlineOpt = Annotated[bool, typer.Option(
    "--inline-assets/--cdn-assets", help="Embed Leaflet's JavaScript and CSS in the file (no CDN needed).")]
_PlacementsOpt = Annotated[Path, typer.Option(
    "--placements", "-p", help="Located placements (CSV or Parquet from 'farfromhome placements locate', with "
    "home_la/responsible_la, pl_la, straight_distance_miles; road_distance_km if measured), or raw SSDA903 "
    "episodes with HOME_POST and PL_POST (located here, offline).")]


# ----------------------------------------------------------------------------------------------- map commands
@map_app.command("supply")
def map_supply(
    out: Annotated[Path, typer.Option("--out", help="HTML file to write.")],
    year: SupplyYearOpt = None,
    scheme: Annotated[Scheme, typer.Option(help="Classes: quantiles, naturalbreaks (Fisher-Jenks) or "
                                           "userdefined (give --bins).")] = Scheme.quantiles,
    k: Annotated[int, typer.Option("--k", help="Number of classes.")] = 5,
    bins: Annotated[str | None, typer.Option(help="Upper bounds for userdefined classes, e.g. '5,10,20'.")] = None,
    tiles: TilesOpt = "none",
    inline_assets: InlineOpt = False,
    all_years: Annotated[bool, typer.Option("--all-years/--one-year", help="Add a year control over every "
                                            f"staged year, {years.describe('ofsted_providers')} (about 15 s more), "
                                            "or map --year only.")] = False,
) -> None:
    """Map England's LAs: homes, places, places per 10,000 children, supply gap, % outside LA, net gain, LISA.

    One switchable layer and legend each; region outlines; tooltips with LA name, value, rank, region and the
    LA's time series; a year control; find an LA by name, ONS code or DfE number (kept in the URL, #la=...).
    """
    import boundaries
    from maps import interactive
    from provision.clustering import spatial_clustering
    from provision.homes import YEARS
    from provision.measures import la_measures

    user_bins = _bins(bins, scheme)  # check the arguments before loading any data
    year = _supply_year(year)
    frame, notes = la_measures(year)
    regions = boundaries.load_regions()
    for n in notes:
        err_console.print(n)
    if "lisa_cluster" in frame.columns:
        frame = frame.join(spatial_clustering(year)[["lisa_i", "lisa_p"]])
    series = interactive.supply_series(y for y in YEARS if y != year) if all_years else {}
    m = interactive.supply_map(frame, regions=regions, scheme=scheme.value, k=k, bins=user_bins, tiles=tiles,
                               year=year, years=series, region_values=interactive.supply_region_values(year),
                               subtitle=f"31 March {year}. Sources: Ofsted, DfE, ONS")
    path = interactive.save_map(m, out, inline_assets=inline_assets)
    err_console.print(f"wrote {path} ({path.stat().st_size / 1e6:.1f} MB)")


@map_app.command("flows")
def map_flows(
    placements: _PlacementsOpt,
    out: Annotated[Path, typer.Option("--out", help="HTML file to write.")],
    la: Annotated[str | None, typer.Option("--la", help="Only this LA's children (code, DfE number or name).")] = None,
    synthetic: Annotated[bool, typer.Option(help="Label the map SYNTHETIC (automatic for the generator's "
                                            "files).")] = False,
    tiles: TilesOpt = "none",
    inline_assets: InlineOpt = False,
) -> None:
    """Map flows from home LA to placement LA: curved arrows, width by number of children.

    One layer per placement type. Counts of 1-4 are suppressed (with secondary suppression); no child-level
    record is written to the HTML.
    """
    from maps import interactive
    from provision.flows import placement_flows

    located, is_synth = _read(placements, synthetic)
    code = _resolve(la)
    m = interactive.flow_map(placement_flows(located), las=_las(), la=code, tiles=tiles,
                             subtitle=SYNTHETIC_LABEL if is_synth else "")
    path = interactive.save_map(m, out, inline_assets=inline_assets)
    err_console.print(f"wrote {path} ({path.stat().st_size / 1e6:.1f} MB)")


@map_app.command("distances")
def map_distances(
    placements: _PlacementsOpt,
    la: Annotated[str, typer.Option("--la", help="The LA whose children to show (code, DfE number or name).")],
    out: Annotated[Path, typer.Option("--out", help="HTML file to write.")],
    synthetic: Annotated[bool, typer.Option(help="Label the map SYNTHETIC.")] = False,
    tiles: TilesOpt = "none",
    inline_assets: InlineOpt = False,
) -> None:
    """Map where one LA's children are placed, by LA, with distance bands.

    Straight-line bands 0-10, 10-20, 20-50, 50-100 and over 100 miles, and road against straight-line
    distance where road distances were measured.
    """
    from maps import interactive
    from provision.flows import distances_by_la

    located, is_synth = _read(placements, synthetic)
    code = str(_resolve(la))
    by_la, bands = distances_by_la(located, code)
    m = interactive.distance_map(by_la, las=_las(), la=code, bands=bands, tiles=tiles,
                                 roads="road" in bands.columns, subtitle=SYNTHETIC_LABEL if is_synth else "")
    path = interactive.save_map(m, out, inline_assets=inline_assets)
    err_console.print(f"wrote {path} ({path.stat().st_size / 1e6:.1f} MB)")


# -------------------------------------------------------------------------------------------- figure commands
@figure_app.command("supply")
def figure_supply(
    out: Annotated[Path, typer.Option("--out", help="Figure file to write.")],
    year: SupplyYearOpt = None,
    column: Annotated[str, typer.Option(help="Measure: homes, places, places_per_10k, gap_index, pct_outside_la, "
                                        "net_gain (gap_index and net_gain classed about zero) or lisa_cluster "
                                        "(hot and cold spots).")] = "places_per_10k",
    fmt: Annotated[FigureFormat | None, typer.Option("--format", help="png (300 dpi), svg or pdf; default "
                                                     "from the suffix.")] = None,
    scheme: Annotated[Scheme, typer.Option(help="Classes.")] = Scheme.quantiles,
    k: Annotated[int, typer.Option("--k", help="Number of classes.")] = 5,
    bins: Annotated[str | None, typer.Option(help="Upper bounds for userdefined classes.")] = None,
) -> None:
    """Draw one supply measure by LA with a London inset, scale bar, north arrow and sources."""
    import boundaries
    from maps import static
    from maps.pipeline import SUPPLY_SOURCE
    from provision.measures import la_measures

    user_bins = _bins(bins, scheme)
    year = _supply_year(year)
    frame, notes = la_measures(year)
    regions = boundaries.load_regions()
    for n in notes:
        err_console.print(n)
    if column not in frame.columns:
        raise MissingColumnsError(f"supply measures for {year}", [column],
                                  [c for c in frame.columns if c not in ("geometry", "la_name")])
    if column == "lisa_cluster":
        fig = static.lisa_figure(frame, regions=regions, subtitle=f"England, 31 March {year}",
                                 source=SUPPLY_SOURCE.format(year=year))
    else:
        fig = static.supply_figure(frame, column=column, regions=regions, scheme=scheme.value, k=k, bins=user_bins,
                                   subtitle=f"England, 31 March {year}", source=SUPPLY_SOURCE.format(year=year))
    path = static.save_figure(fig, out, fmt=fmt.value if fmt else None)
    err_console.print(f"wrote {path}")


@figure_app.command("flows")
def figure_flows(
    placements: _PlacementsOpt,
    out: Annotated[Path, typer.Option("--out", help="Figure file to write.")],
    la: Annotated[str | None, typer.Option("--la", help="Only this LA's children.")] = None,
    fmt: Annotated[FigureFormat | None, typer.Option("--format", help="png, svg or pdf.")] = None,
    synthetic: Annotated[bool, typer.Option(help="Label the figure SYNTHETIC.")] = False,
) -> None:
    """Draw flows from home LA to placement LA, small counts suppressed."""
    from maps import static
    from maps.pipeline import placements_source
    from provision.flows import ALL_PLACEMENTS, placement_flows

    located, is_synth = _read(placements, synthetic)
    flows = placement_flows(located)
    fig = static.flow_figure(flows[flows["placement_type"] == ALL_PLACEMENTS], las=_las(), la=_resolve(la),
                             subtitle=SYNTHETIC_LABEL if is_synth else "", source=placements_source(is_synth))
    path = static.save_figure(fig, out, fmt=fmt.value if fmt else None)
    err_console.print(f"wrote {path}")


@figure_app.command("distances")
def figure_distances(
    placements: _PlacementsOpt,
    la: Annotated[str, typer.Option("--la", help="The LA whose children to show.")],
    out: Annotated[Path, typer.Option("--out", help="Figure file to write.")],
    fmt: Annotated[FigureFormat | None, typer.Option("--format", help="png, svg or pdf.")] = None,
    synthetic: Annotated[bool, typer.Option(help="Label the figure SYNTHETIC.")] = False,
) -> None:
    """Draw where one LA's children are placed, with distance rings and a band chart."""
    from maps import static
    from maps.pipeline import placements_source
    from provision.flows import distances_by_la

    located, is_synth = _read(placements, synthetic)
    code = str(_resolve(la))
    by_la, bands = distances_by_la(located, code)
    fig = static.distance_figure(by_la, las=_las(), la=code, bands=bands, roads="road" in bands.columns,
                                 subtitle=SYNTHETIC_LABEL if is_synth else "",
                                 source=placements_source(is_synth))
    path = static.save_figure(fig, out, fmt=fmt.value if fmt else None)
    err_console.print(f"wrote {path}")


def register(app: typer.Typer) -> None:
    """Add the ``map`` and ``figure`` commands to the root farfromhome app."""
    app.add_typer(map_app, name="map")
    app.add_typer(figure_app, name="figure")
    import_module("maps.cli_report").register(app)  # the LA report (also an entry point: registered once)


def _las():  # type: ignore[no-untyped-def]
    import boundaries

    return boundaries.load_las()


def _resolve(value: str | None) -> str | None:
    import boundaries

    return boundaries.resolve_la(value) if value is not None else None


def _bins(text: str | None, scheme: Scheme) -> list[float] | None:
    if scheme is Scheme.userdefined and not text:
        raise InputError("--scheme userdefined needs bins, e.g. --bins 5,10,20")
    if not text:
        return None
    try:
        return [float(x) for x in text.split(",") if x.strip()]
    except ValueError as exc:
        raise InputError(f"--bins {text!r}: expected numbers separated by commas, e.g. '5,10,20'") from exc


def _read(path: Path, synthetic: bool):  # type: ignore[no-untyped-def]
    from provision.placements import read_located

    located = read_located(path)
    return located, synthetic or is_synthetic(located, path=path)


def _supply_year(year: int | None) -> int:
    """Return ``year``, or the latest year with Ofsted and DfE figures when None (the library checks it)."""
    return years.latest(*_SUPPLY_SERIES) if year is None else year
