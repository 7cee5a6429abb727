"""CLI commands for maps, figures and the one-command demo (found by the root command through entry points).

This is the orchestration layer: it calls ``boundaries``, ``provision``, ``distance`` and hands their frames to
``maps``, which only draws. Aggregation of located placements into LA-to-LA counts happens here, on counts of
children, and ``maps`` suppresses small counts again before anything is drawn.
"""

from __future__ import annotations

import hashlib
import json
import logging
import platform
import sys
import time
from collections.abc import Callable
from enum import StrEnum
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from distance.straight import KM_PER_MILE
from geo.cli_common import FarFromHomeGroup, err_console, progress
from geo.errors import FarFromHomeError, InputError, MissingColumnsError
from provision.flows import ALL_PLACEMENTS, distances_by_la, placement_flows

if TYPE_CHECKING:
    import geopandas as gpd
    import pandas as pd

logger = logging.getLogger(__name__)

__all__ = ["register"]

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

SYNTHETIC_SUBTITLE = "SYNTHETIC data: generated records, not real children"
_OUTCOMES = {"pct_went_missing": "the percentage of children who went missing",
             "missing_incidents_per_child": "missing incidents per child"}


class Scheme(StrEnum):
    quantiles = "quantiles"
    naturalbreaks = "naturalbreaks"
    userdefined = "userdefined"


class FigureFormat(StrEnum):
    png = "png"
    svg = "svg"
    pdf = "pdf"


_TilesOpt = Annotated[str, typer.Option(
    "--tiles", help="Basemap: 'none' (no tiles: works offline), or a folium tile name such as 'openstreetmap' "
    "(fetched from the internet by the viewer's browser; adds OpenStreetMap's attribution).")]
_InlineOpt = Annotated[bool, typer.Option(
    "--inline-assets/--cdn-assets", help="Embed Leaflet's JavaScript and CSS in the file (no CDN needed).")]
_PlacementsOpt = Annotated[Path, typer.Option(
    "--placements", "-p", help="Located placements (CSV or Parquet from 'farfromhome placements locate', with "
    "home_la/responsible_la, pl_la, straight_distance_miles; road_distance_km if measured), or raw SSDA903 "
    "episodes with HOME_POST and PL_POST (located here, offline).")]


# ----------------------------------------------------------------------------------------------- map commands
@map_app.command("supply")
def map_supply(
    out: Annotated[Path, typer.Option("--out", help="HTML file to write.")],
    year: Annotated[int, typer.Option(help="Year (31 March) of the Ofsted and DfE figures.")] = 2024,
    scheme: Annotated[Scheme, typer.Option(help="Classes: quantiles, naturalbreaks (Fisher-Jenks) or "
                                           "userdefined (give --bins).")] = Scheme.quantiles,
    k: Annotated[int, typer.Option("--k", help="Number of classes.")] = 5,
    bins: Annotated[str | None, typer.Option(help="Upper bounds for userdefined classes, e.g. '5,10,20'.")] = None,
    tiles: _TilesOpt = "none",
    inline_assets: _InlineOpt = False,
) -> None:
    """Map England's LAs: homes, places, places per 10,000 children, supply gap, % outside LA, net gain, LISA.

    One switchable layer and legend each; region outlines; tooltips with LA name, value, rank and region.
    """
    from maps import interactive

    user_bins = _bins(bins, scheme)  # check the arguments before loading any data
    frame, regions, notes = _supply_frame(year)
    for n in notes:
        err_console.print(n)
    m = interactive.supply_map(frame, regions=regions, scheme=scheme.value, k=k, bins=user_bins, tiles=tiles,
                               subtitle=f"31 March {year}. Sources: Ofsted, DfE, ONS")
    path = interactive.save_map(m, out, inline_assets=inline_assets)
    err_console.print(f"wrote {path} ({path.stat().st_size / 1e6:.1f} MB)")


@map_app.command("flows")
def mapplacement_flows(
    placements: _PlacementsOpt,
    out: Annotated[Path, typer.Option("--out", help="HTML file to write.")],
    la: Annotated[str | None, typer.Option("--la", help="Only this LA's children (code, DfE number or name).")] = None,
    synthetic: Annotated[bool, typer.Option(help="Label the map SYNTHETIC (automatic for the generator's "
                                            "files).")] = False,
    tiles: _TilesOpt = "none",
    inline_assets: _InlineOpt = False,
) -> None:
    """Map flows from home LA to placement LA: curved arrows, width by number of children.

    One layer per placement type. Counts of 1-4 are suppressed (with secondary suppression); no child-level
    record is written to the HTML.
    """
    from maps import interactive

    located, is_synth = _read_placements(placements, synthetic=synthetic)
    code = _resolve(la)
    m = interactive.flow_map(placement_flows(located), las=_las(), la=code, tiles=tiles,
                             subtitle=SYNTHETIC_SUBTITLE if is_synth else "")
    path = interactive.save_map(m, out, inline_assets=inline_assets)
    err_console.print(f"wrote {path} ({path.stat().st_size / 1e6:.1f} MB)")


@map_app.command("distances")
def mapdistances_by_la(
    placements: _PlacementsOpt,
    la: Annotated[str, typer.Option("--la", help="The LA whose children to show (code, DfE number or name).")],
    out: Annotated[Path, typer.Option("--out", help="HTML file to write.")],
    synthetic: Annotated[bool, typer.Option(help="Label the map SYNTHETIC.")] = False,
    tiles: _TilesOpt = "none",
    inline_assets: _InlineOpt = False,
) -> None:
    """Map where one LA's children are placed, by LA, with distance bands.

    Straight-line bands 0-10, 10-20, 20-50, 50-100 and over 100 miles, and road against straight-line
    distance where road distances were measured.
    """
    from maps import interactive

    located, is_synth = _read_placements(placements, synthetic=synthetic)
    code = _resolve_one(la)
    by_la, bands = distances_by_la(located, code)
    m = interactive.distance_map(by_la, las=_las(), la=code, bands=bands, tiles=tiles,
                                 roads="road" in bands.columns, subtitle=SYNTHETIC_SUBTITLE if is_synth else "")
    path = interactive.save_map(m, out, inline_assets=inline_assets)
    err_console.print(f"wrote {path} ({path.stat().st_size / 1e6:.1f} MB)")


# -------------------------------------------------------------------------------------------- figure commands
@figure_app.command("supply")
def figure_supply(
    out: Annotated[Path, typer.Option("--out", help="Figure file to write.")],
    year: Annotated[int, typer.Option(help="Year (31 March) of the figures.")] = 2024,
    column: Annotated[str, typer.Option(help="Measure: homes, places, places_per_10k, gap_index, pct_outside_la "
                                        "or net_gain.")] = "places_per_10k",
    fmt: Annotated[FigureFormat | None, typer.Option("--format", help="png (300 dpi), svg or pdf; default "
                                                     "from the suffix.")] = None,
    scheme: Annotated[Scheme, typer.Option(help="Classes.")] = Scheme.quantiles,
    k: Annotated[int, typer.Option("--k", help="Number of classes.")] = 5,
    bins: Annotated[str | None, typer.Option(help="Upper bounds for userdefined classes.")] = None,
) -> None:
    """Draw one supply measure by LA with a London inset, scale bar, north arrow and sources."""
    from maps import static

    user_bins = _bins(bins, scheme)
    frame, regions, notes = _supply_frame(year)
    for n in notes:
        err_console.print(n)
    if column not in frame.columns:
        raise MissingColumnsError(f"supply measures for {year}", [column],
                                  [c for c in frame.columns if c not in ("geometry", "la_name")])
    fig = static.supply_figure(frame, column=column, regions=regions, scheme=scheme.value, k=k, bins=user_bins,
                               subtitle=f"England, 31 March {year}", source=_supply_source(year))
    path = static.save_figure(fig, out, fmt=fmt.value if fmt else None)
    err_console.print(f"wrote {path}")


@figure_app.command("flows")
def figureplacement_flows(
    placements: _PlacementsOpt,
    out: Annotated[Path, typer.Option("--out", help="Figure file to write.")],
    la: Annotated[str | None, typer.Option("--la", help="Only this LA's children.")] = None,
    fmt: Annotated[FigureFormat | None, typer.Option("--format", help="png, svg or pdf.")] = None,
    synthetic: Annotated[bool, typer.Option(help="Label the figure SYNTHETIC.")] = False,
) -> None:
    """Draw flows from home LA to placement LA, small counts suppressed."""
    from maps import static

    located, is_synth = _read_placements(placements, synthetic=synthetic)
    flows = placement_flows(located)
    fig = static.flow_figure(flows[flows["placement_type"] == ALL_PLACEMENTS], las=_las(), la=_resolve(la),
                             subtitle=SYNTHETIC_SUBTITLE if is_synth else "", source=_placements_source(is_synth))
    path = static.save_figure(fig, out, fmt=fmt.value if fmt else None)
    err_console.print(f"wrote {path}")


@figure_app.command("distances")
def figuredistances_by_la(
    placements: _PlacementsOpt,
    la: Annotated[str, typer.Option("--la", help="The LA whose children to show.")],
    out: Annotated[Path, typer.Option("--out", help="Figure file to write.")],
    fmt: Annotated[FigureFormat | None, typer.Option("--format", help="png, svg or pdf.")] = None,
    synthetic: Annotated[bool, typer.Option(help="Label the figure SYNTHETIC.")] = False,
) -> None:
    """Draw where one LA's children are placed, with distance rings and a band chart."""
    from maps import static

    located, is_synth = _read_placements(placements, synthetic=synthetic)
    code = _resolve_one(la)
    by_la, bands = distances_by_la(located, code)
    fig = static.distance_figure(by_la, las=_las(), la=code, bands=bands, roads="road" in bands.columns,
                                 subtitle=SYNTHETIC_SUBTITLE if is_synth else "",
                                 source=_placements_source(is_synth))
    path = static.save_figure(fig, out, fmt=fmt.value if fmt else None)
    err_console.print(f"wrote {path}")


# ------------------------------------------------------------------------------------------------------- demo
_FocusOpt = Annotated[str | None, typer.Option(
    "--focus", help="The LA of the distances map and figure (code, DfE number or name).")]
_NetworkOpt = Annotated[str, typer.Option(
    "--network", help="Road distances: 'backbone' (national approximate network), a network file, or 'none' "
    "(straight-line only).")]


def demo(
    out: Annotated[Path, typer.Option("--out", help="Output folder (created).")] = Path("out"),
    year: Annotated[int, typer.Option(help="Year (31 March) of the public figures and the synthetic data.")] = 2024,
    seed: Annotated[int, typer.Option(help="Seed of the synthetic child-level data.")] = 7,
    las: Annotated[list[str] | None, typer.Option(
        "--la", metavar="LA", help="Generate synthetic data for these LAs only (repeatable; code, DfE number or "
        "name). "
        "Default: every English LA.")] = None,
    focus: _FocusOpt = "Stockport",
    network: _NetworkOpt = "backbone",
    effect_children: Annotated[int, typer.Option(
        "--effect-children", help="Synthetic children drawn (at random, with --seed) for the child-level "
        "distance-and-missing models, which take about a minute per 10,000 on a laptop; 0 for all.")] = 5000,
    tiles: _TilesOpt = "none",
    inline_assets: _InlineOpt = True,
) -> None:
    """Run the main job: real public data + synthetic child-level data → out/index.html.

    index.html links maps, figures, tables, data_quality.csv and run.json. Child-level results are SYNTHETIC
    and labelled so everywhere. To run the same job on your own SSDA903 return, use 'farfromhome run'.
    """
    focus_code = _resolve_one(focus or "Stockport")
    la_codes = [_resolve_one(x) for x in (las or [])]
    if la_codes and focus_code not in la_codes:
        la_codes.append(focus_code)

    def synthetic_children(out: Path, notes: list[str],
                           quality: list[dict[str, Any]]) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
        from provision import placements as pl
        from provision import synth

        data = synth.generate(year=year, seed=seed, las=la_codes or None)
        syn_dir = out / "synthetic"
        syn_dir.mkdir(exist_ok=True)
        for name in ("episodes", "header", "missing"):
            getattr(data, name).to_csv(syn_dir / f"synthetic_{name}.csv", index=False)
        located = pl.locate(data.episodes, year=2024)
        notes.append(
            f"{located['CHILD'].nunique():,} synthetic children and {len(located):,} placement episodes for "
            f"{'all English LAs' if not la_codes else f'{len(la_codes)} LAs'} (seed {seed}); the CSVs are in "
            "synthetic/.")
        return located, data.header, data.missing

    settings = {"year": year, "seed": seed, "synthetic LAs": ", ".join(la_codes) or "all English LAs",
                "children in the child-level models": effect_children or "all",
                "road network": network, "tiles": tiles, "inline assets": inline_assets}
    _main_job(out, year=year, seed=seed, children=synthetic_children, synthetic=True, focus_code=focus_code,
              network=network, effect_children=effect_children, tiles=tiles, inline_assets=inline_assets,
              settings=settings, label="farfromhome demo")


def run(
    episodes: Annotated[Path, typer.Option("--episodes", "-e", help="SSDA903 episodes CSV (CHILD, DECOM, RNE, "
                                           "LS, CIN, PLACE, ..., HOME_POST, PL_POST).")],
    header: Annotated[Path, typer.Option("--header", help="SSDA903 header CSV (CHILD, SEX, DOB, ...).")],
    missing: Annotated[Path | None, typer.Option(
        "--missing", "-m", help="SSDA903 missing CSV (CHILD, MISSING, MIS_START, MIS_END). Without it the "
        "distance-and-missing analysis is left out.")] = None,
    la: Annotated[str | None, typer.Option(
        "--la", help="The responsible LA (code, DfE number or name); default: each child's home LA.")] = None,
    out: Annotated[Path, typer.Option("--out", help="Output folder (created).")] = Path("out"),
    year: Annotated[int, typer.Option(help="Year (31 March) of the public supply and demand figures.")] = 2024,
    focus: _FocusOpt = None,
    network: _NetworkOpt = "backbone",
    strict: Annotated[bool, typer.Option("--strict", help="Stop at the first data-quality problem.")] = False,
    tiles: _TilesOpt = "none",
    inline_assets: _InlineOpt = True,
) -> None:
    """Run the main job on your own SSDA903 return: validate, locate offline, distances, maps, statistics.

    The same outputs as 'farfromhome demo', from your episodes, header and missing files instead of synthetic
    ones. Postcodes are looked up offline and never leave this machine; the output folder holds only
    aggregates: flows and tables suppress counts under 5, and no child ID, date of birth, postcode or point is
    written to any map, figure or table. Rows with problems are counted by reason in data_quality.csv
    ('farfromhome placements validate' lists them one by one).

    Example: farfromhome run -e episodes.csv --header header.csv -m missing.csv --la 356 --out out/
    """
    from distance import effect

    la_code = _resolve_one(la) if la else None
    focus_code = _resolve_one(focus) if focus else la_code

    def own_children(out: Path, notes: list[str],
                     quality: list[dict[str, Any]]) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame | None]:
        from provision import placements as pl
        from provision import ssda903

        data = ssda903.read_ssda903(episodes=episodes, header=header, missing=missing, strict=strict)
        for path, table in ((episodes, data.episodes), (header, data.header)):
            if table is None or table.empty:
                said = data.quality.loc[data.quality["file"] == path.name, "message"]
                raise InputError(f"{path}: no readable rows ({said.iloc[0] if len(said) else 'empty file'})")
        if effect.is_synthetic(data.episodes, data.header):
            raise InputError(f"{episodes}: these are synthetic records (CHILD IDs start with SYN); use "
                             "'farfromhome demo' for synthetic data so every output is labelled SYNTHETIC")
        for (file, reason), n in data.quality.groupby(["file", "reason"]).size().items():
            quality.append({"stage": f"read {file}", "reason": reason, "rows": int(n), "synthetic": False})
        located = pl.locate(data.episodes, responsible_la=la_code, year=2024)
        if focus_code is None and not located["responsible_la"].astype(str).str.startswith("E").any():
            raise InputError(f"{episodes}: no episode has a known English home LA; give --la")
        notes.append(f"{located['CHILD'].nunique():,} children and {len(located):,} placement episodes from "
                     f"{episodes.name}; located offline with Code-Point Open.")
        return located, data.header, data.missing

    settings = {"year": year, "episodes": episodes.name, "header": header.name,
                "missing": missing.name if missing else "not given", "responsible LA": la_code or "home LA",
                "road network": network, "tiles": tiles, "inline assets": inline_assets}
    _main_job(out, year=year, seed=0, children=own_children, synthetic=False, focus_code=focus_code,
              network=network, effect_children=0, tiles=tiles, inline_assets=inline_assets, settings=settings,
              label="farfromhome run")


_Children = Callable[[Path, list[str], list[dict[str, Any]]], "tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame | None]"]


def _main_job(out: Path, *, year: int, seed: int, children: _Children, synthetic: bool,
              focus_code: str | None, network: str, effect_children: int, tiles: str,
              inline_assets: bool, settings: dict[str, Any], label: str) -> None:
    """Run the pipeline behind 'demo' (synthetic children) and 'run' (the user's SSDA903 return).

    ``children(out, notes, quality)`` returns located episodes, header and missing (or None), adding its notes
    and data-quality counts. Every child-level output is labelled SYNTHETIC when ``synthetic``. Without
    ``focus_code`` the distances map shows the responsible LA of most episodes.
    """
    from maps import interactive, report, static

    t0 = time.perf_counter()
    out.mkdir(parents=True, exist_ok=True)
    for sub in ("maps", "figures", "tables"):
        (out / sub).mkdir(exist_ok=True)
    kind = "synthetic" if synthetic else "your data"
    sections: dict[str, report.Section] = {
        "supply": report.Section("Children's homes and places (real public data)"),
        "placements": report.Section("Where children are placed", synthetic=synthetic),
        "effect": report.Section("Does distance make a difference?"),
    }
    subtitle = SYNTHETIC_SUBTITLE if synthetic else ""
    summary: list[str] = []
    quality: list[dict[str, Any]] = []
    state: dict[str, Any] = {"roads": False, "focus": focus_code}

    def supply_step() -> None:
        frame, regions, notes = _supply_frame(year)
        sections["supply"].notes += notes
        state["las"], state["regions"] = _las(), regions
        m = interactive.supply_map(frame, regions=regions, tiles=tiles,
                                   subtitle=f"31 March {year}. Sources: Ofsted, DfE, ONS")
        interactive.save_map(m, out / "maps" / "supply.html", inline_assets=inline_assets)
        sections["supply"].items.append(report.Item(
            "maps/supply.html", "Interactive supply map", "homes, places, places per 10,000 children, supply gap, "
            "% placed outside their LA, net gain and LISA hot/cold spots, one switchable layer each"))
        for col in ("places_per_10k", "places", "pct_outside_la"):
            if col not in frame.columns:
                continue
            fig = static.supply_figure(frame, column=col, regions=regions, subtitle=f"England, 31 March {year}",
                                       source=_supply_source(year))
            for ext in ("png", "svg", "pdf"):
                static.save_figure(fig, out / "figures" / f"supply_{col}.{ext}")
            label = next((ly.label for ly in interactive.SUPPLY_LAYERS if ly.column == col), col)
            sections["supply"].items.append(report.Item(
                f"figures/supply_{col}.png", f"Figure: {label} (PNG, 300 dpi)",
                also=(f"figures/supply_{col}.svg", f"figures/supply_{col}.pdf")))
        table = frame.drop(columns="geometry")
        table.to_csv(out / "tables" / "supply_by_la.csv")
        sections["supply"].items.append(report.Item("tables/supply_by_la.csv", "Table: supply measures by LA"))
        bad = frame.get("supply_status")
        if bad is not None:
            for reason, n in bad[bad != "ok"].value_counts().loc[lambda c: c > 0].items():
                quality.append({"stage": "supply", "reason": reason, "rows": int(n), "synthetic": False})
        summary.extend(_supply_summary(frame, year))

    def children_step() -> None:
        located, header, missing = children(out, sections["placements"].notes, quality)
        status = located["locate_status"].astype(str)
        for reason, n in status[status != "ok"].value_counts().items():
            quality.append({"stage": f"locate ({kind})", "reason": reason, "rows": int(n), "synthetic": synthetic})
        state["located"], state["header"], state["missing"] = located, header, missing
        if focus_code is None:
            known = located["responsible_la"].dropna().astype(str)
            state["focus"] = str(known[known.str.startswith("E")].mode().iloc[0])

    def road_step() -> None:
        located = state.get("located")
        if located is None:
            raise InputError("no located placements (the child-level data step was skipped)")
        if network == "none":
            sections["placements"].notes.append("Road distances not measured (--network none).")
            return
        from distance import road

        state["located"] = road.roaddistances_by_la(located, network=network)
        state["roads"] = True
        st = state["located"].get("road_status")
        if st is not None:
            st = st.astype(str)
            for reason, n in st[st != "ok"].value_counts().items():
                quality.append({"stage": f"road distance ({kind})", "reason": reason, "rows": int(n),
                                "synthetic": synthetic})

    def maps_step() -> None:
        located = state.get("located")
        if located is None:
            raise InputError("no located placements (the child-level data step was skipped)")
        las_ = state["las"] if state.get("las") is not None else _las()
        flows = placement_flows(located)
        from geo.disclosure import suppress_counts

        safe = suppress_counts(flows, count_columns=["children"], group=["placement_type", "home_la"])
        flows_csv = "synthetic_flows.csv" if synthetic else "flows.csv"
        safe = safe.drop(columns="children").rename(columns={"children_label": "children"})
        if synthetic:
            safe = safe.assign(data="SYNTHETIC")
        safe.to_csv(out / "tables" / flows_csv, index=False)
        m = interactive.flow_map(flows, las=las_, tiles=tiles, subtitle=subtitle)
        interactive.save_map(m, out / "maps" / "flows.html", inline_assets=inline_assets)
        fig = static.flow_figure(flows[flows["placement_type"] == ALL_PLACEMENTS], las=las_, subtitle=subtitle,
                                 source=_placements_source(synthetic))
        for ext in ("png", "svg", "pdf"):
            static.save_figure(fig, out / "figures" / f"flows.{ext}")
        code = state["focus"]
        by_la, bands = distances_by_la(located, code)
        m = interactive.distance_map(by_la, las=las_, la=code, bands=bands, tiles=tiles,
                                     roads="road" in bands.columns, subtitle=subtitle)
        interactive.save_map(m, out / "maps" / "distances.html", inline_assets=inline_assets)
        fig = static.distance_figure(by_la, las=las_, la=code, bands=bands, roads="road" in bands.columns,
                                     subtitle=subtitle, source=_placements_source(synthetic))
        for ext in ("png", "svg", "pdf"):
            static.save_figure(fig, out / "figures" / f"distances.{ext}")
        sec = sections["placements"]
        name = str(las_.loc[code, "la_name"])
        sec.items += [
            report.Item("maps/flows.html", "Interactive flow map", "home LA to placement LA, by placement type; "
                        "counts under 5 suppressed", synthetic=synthetic),
            report.Item("figures/flows.png", "Figure: flows (PNG, 300 dpi)", synthetic=synthetic,
                        also=("figures/flows.svg", "figures/flows.pdf")),
            report.Item("maps/distances.html", f"Interactive distances map: {name}", "where its children are "
                        "placed, with distance bands and road against straight-line distance", synthetic=synthetic),
            report.Item("figures/distances.png", f"Figure: distances for {name} (PNG, 300 dpi)",
                        synthetic=synthetic, also=("figures/distances.svg", "figures/distances.pdf")),
            report.Item(f"tables/{flows_csv}", "Table: flows between LAs (suppressed)", synthetic=synthetic),
        ]
        summary.extend(_placement_summary(located, name, bands, synthetic=synthetic))

    def effect_step() -> None:
        from distance import effect

        frame, q = effect.load_ecological(year_from=2016, year_to=min(year + 1, 2025))
        result = effect.ecological_effect(frame, data_quality=q)
        for p in effect.write_ecological_outputs(result, out):
            rel = p.relative_to(out).as_posix()
            sections["effect"].items.append(report.Item(rel, rel, "LA-level, real published data"))
        sections["effect"].notes.append(result.caveat)
        fe = result.panel[result.panel["model"].astype(str).str.contains("fixed")]
        for row in fe.itertuples():
            summary.append(
                f"Real LA-level data: with LA and year fixed effects, each extra percentage point of children placed "
                f"more than 20 miles away and outside the LA goes with {row.coef:+.3f} in "
                f"{_OUTCOMES.get(row.outcome, row.outcome)} (95% CI "
                f"{row.ci_low:+.3f} to {row.ci_high:+.3f}; {row.n_las} LAs). An association between LAs, not "
                "children.")
        located, header, missing = state.get("located"), state.get("header"), state.get("missing")
        if located is None or header is None or missing is None:
            sections["effect"].notes.append("Child-level analysis skipped: "
                                            + ("no child-level data." if located is None else "no missing file."))
            return
        children_ = located["CHILD"].drop_duplicates()
        if 0 < effect_children < len(children_):
            keep = set(children_.sample(effect_children, random_state=seed))
            located = located[located["CHILD"].isin(keep)]
            header, missing = header[header["CHILD"].isin(keep)], missing[missing["CHILD"].isin(keep)]
            sections["effect"].notes.append(
                f"Child-level models use a random sample of {effect_children:,} of the {len(children_):,} {kind} "
                "children (--effect-children).")
        located = located.copy()
        located.attrs["synthetic"] = synthetic
        pf, pq = effect.placement_frame(located, header=header, missing=missing, source=kind)
        res = effect.child_effect(pf, synthetic=synthetic)
        rr = res.per_10_miles()
        words = (f"the adjusted rate ratio of going missing per 10 miles further from home ({res.distance_measure} "
                 f"distance) was {rr['ratio']:.2f} (95% CI {rr['ci_low']:.2f} to {rr['ci_high']:.2f})")
        if synthetic:
            summary.append(f"SYNTHETIC: in the synthetic data (no planted effect), {words} — a check that the "
                           "method finds nothing where nothing was planted.")
        else:
            summary.append(f"In your data, {words}, adjusted for age, sex, placement type, UASC status, legal "
                           "status, previous placements and LA. An association: see the notes before reading it "
                           "as an effect.")
        for p in effect.write_child_outputs(res, out, data_quality=pq):
            rel = p.relative_to(out).as_posix()
            sections["effect"].items.append(report.Item(rel, rel, "child level", synthetic=synthetic))
        for _, r in pq.iterrows():
            quality.append({"stage": f"effect ({kind})", "reason": r.get("reason", ""),
                            "rows": int(r.get("rows", 0)), "synthetic": synthetic})

    steps: list[tuple[str, str, Callable[[], None]]] = [
        ("supply", "Supply map, figures and tables (real data)", supply_step),
        ("placements", "Synthetic child-level data, located offline" if synthetic
         else "Your SSDA903 return, validated and located offline", children_step),
        ("placements", "Road distances", road_step),
        ("placements", "Flow and distance maps", maps_step),
        ("effect", "Distance and going missing", effect_step),
    ]
    timings: dict[str, float] = {}
    with progress(label, total=len(steps), transient=False) as advance:
        for key, step_label, step in steps:
            err_console.print(f"· {step_label} …")
            t = time.perf_counter()
            try:
                step()
            except (FarFromHomeError, ImportError, AttributeError) as exc:
                if key == "supply" or (not synthetic and step is children_step):
                    raise
                msg = f"{step_label}: skipped — {exc}"
                logger.warning(msg, exc_info=logger.isEnabledFor(logging.DEBUG))
                sections[key].notes.append(msg)
                err_console.print(f"  [yellow]{msg}[/yellow]")
            timings[step_label] = round(time.perf_counter() - t, 1)
            advance()
    _write_quality(quality, out / "data_quality.csv")
    settings = {**settings, "focus LA": state["focus"] or "none"}
    title = f"farfromhome: children in care, placements and distance ({year})"
    index = report.write_index(out, title=title, summary=summary, sections=list(sections.values()),
                               synthetic=synthetic, roads=bool(state["roads"]), settings=settings)
    _write_run_json(out, settings=settings, timings=timings, synthetic=synthetic)
    err_console.print(f"wrote {index} in {time.perf_counter() - t0:.0f} s — open it in a browser")


def register(app: typer.Typer) -> None:
    """Add this stage's commands to the root farfromhome app."""
    app.add_typer(map_app, name="map")
    app.add_typer(figure_app, name="figure")
    app.command("demo")(demo)
    app.command("run")(run)


# ---------------------------------------------------------------------------------------------- orchestration
def _las() -> gpd.GeoDataFrame:
    import boundaries

    return boundaries.load_las(year=2024)


def _resolve(value: str | None) -> str | None:
    if value is None:
        return None
    import boundaries

    return boundaries.resolve_la(value, year=2024)


def _resolve_one(value: str) -> str:
    import boundaries

    return boundaries.resolve_la(value, year=2024)


def _bins(text: str | None, scheme: Scheme) -> list[float] | None:
    if scheme is Scheme.userdefined and not text:
        raise InputError("--scheme userdefined needs bins, e.g. --bins 5,10,20")
    if not text:
        return None
    try:
        return [float(x) for x in text.split(",") if x.strip()]
    except ValueError as exc:
        raise InputError(f"--bins {text!r}: expected numbers separated by commas, e.g. '5,10,20'") from exc


def _supply_source(year: int) -> str:
    return (f"Ofsted, children's social care providers and places at 31 March {year}; DfE, children looked after "
            f"in England (LA tables and FOI on children's homes); ONS boundaries and population estimates")


def _placements_source(synthetic: bool) -> str:
    if synthetic:
        return ("SYNTHETIC SSDA903 records generated by farfromhome from DfE LA-level figures over OS Code-Point "
                "Open postcodes; not real children")
    return "SSDA903 placement episodes located with OS Code-Point Open"


def _supply_frame(year: int) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame, list[str]]:
    """LA polygons joined to the supply, demand, gaps and clustering tables that are available."""
    import boundaries
    from provision import homes

    notes: list[str] = []
    las = boundaries.load_las(year=2024)
    regions = boundaries.load_regions(year=2024)
    supply = homes.supply_by_la(year)
    frame = las.join(supply[["homes", "places"] + [c for c in ("supply_status",) if c in supply.columns]])
    try:
        from provision import demand

        d = demand.demand_by_la(year)
        frame["pct_outside_la"] = d["chomes_outside_la_pct"].reindex(frame.index)
        frame["net_gain"] = d["net_gain"].reindex(frame.index)
        frame["children_looked_after"] = d["children_looked_after"].reindex(frame.index)
    except (FarFromHomeError, ImportError, AttributeError, KeyError) as exc:
        notes.append(f"Demand layers (% placed outside their LA, net gain) left out: {exc}")
    try:
        from provision import gaps

        g = gaps.supply_gaps(year)
        frame["places_per_10k"] = g["places_per_10k_children"].reindex(frame.index)
        frame["gap_index"] = g["supply_gap_per_10k_children"].reindex(frame.index)
    except (FarFromHomeError, ImportError, AttributeError, KeyError) as exc:
        notes.append(f"Supply-gap layers (places per 10,000 children, gap index) left out: {exc}")
    try:
        from provision import clustering

        frame["lisa_cluster"] = clustering.spatial_clustering(year)["lisa_cluster"].reindex(frame.index)
    except (FarFromHomeError, ImportError, AttributeError, KeyError) as exc:
        notes.append(f"LISA hot/cold-spot layer left out: {exc}")
    return frame, regions, notes


def _supply_summary(frame: pd.DataFrame, year: int) -> list[str]:
    out = [f"At 31 March {year} Ofsted listed {int(frame['homes'].sum()):,} active children's homes in England "
           f"with {int(frame['places'].sum()):,} registered places."]
    by_region = frame.groupby("region_name")["places"].sum().sort_values(ascending=False)
    share = by_region / by_region.sum() * 100
    out.append("The regions with most places: " + ", ".join(
        f"{r} ({share[r]:.0f}%)" for r in by_region.index[:3]) + f"; London has {share.get('London', 0):.0f}%.")
    if "places_per_10k" in frame.columns and frame["places_per_10k"].notna().any():
        v = frame["places_per_10k"].dropna()
        out.append(f"Places per 10,000 children range from {v.min():.1f} ({frame.loc[v.idxmin(), 'la_name']}) to "
                   f"{v.max():.1f} ({frame.loc[v.idxmax(), 'la_name']}); the median LA has {v.median():.1f}.")
    if "pct_outside_la" in frame.columns and frame["pct_outside_la"].notna().any():
        v = frame["pct_outside_la"].dropna()
        out.append(f"In the median LA, {v.median():.0f}% of its children in children's homes were placed outside "
                   f"the LA (DfE; {len(v)} LAs with a published figure).")
    return out


def _placement_summary(located: pd.DataFrame, name: str, bands: pd.DataFrame, *,
                       synthetic: bool = True) -> list[str]:
    out = []
    tag, kind = ("SYNTHETIC: ", "synthetic ") if synthetic else ("", "")
    miles = located["straight_distance_miles"].astype(float)
    known = miles.notna()
    if int(known.sum()) >= 5:
        over = (miles[known] > 20).mean() * 100
        out.append(f"{tag}{over:.0f}% of {kind}placement episodes were more than 20 miles from home "
                   f"(straight line, DfE method); median {miles[known].median():.1f} miles.")
    if "road_distance_km" in located.columns:
        road = located["road_distance_km"].astype(float)
        both = known & road.notna()
        if int(both.sum()) >= 5:
            ratio = (road[both] / (miles[both] * KM_PER_MILE)).replace([float("inf")], float("nan")).median()
            out.append(f"{tag}where both were measured, road distance was typically {ratio:.2f}× the "
                       "straight-line distance.")
    out.append(f"{tag}the distances map shows where {name}'s {kind}children are placed.")
    return out


def _read_placements(path: Path, *, synthetic: bool = False) -> tuple[pd.DataFrame, bool]:
    """Located placements from CSV/Parquet; raw episodes are located offline first."""
    import pandas as pd

    if not path.is_file():
        raise InputError(f"{path}: file not found")
    if path.suffix.lower() in {".parquet", ".pq"}:
        frame = pd.read_parquet(path)
    else:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""], encoding="utf-8-sig")
    if frame.empty:
        raise InputError(f"{path}: no rows")
    if "pl_la" not in frame.columns:
        if "HOME_POST" not in frame.columns or "PL_POST" not in frame.columns:
            raise MissingColumnsError(str(path), ["pl_la", "home_la"], list(frame.columns))
        from provision import placements

        frame = placements.locate(frame)
    for col in ("straight_distance_miles", "straight_distance_km", "road_distance_km"):
        if col in frame.columns:
            frame[col] = pd.to_numeric(frame[col], errors="coerce")
    is_synth = synthetic or "synthetic" in path.name.lower() or any(
        "SYNTHETIC" in str(c).upper() for c in frame.columns) or bool(frame.attrs.get("synthetic"))
    if "data" in frame.columns:
        is_synth = is_synth or frame["data"].astype(str).str.upper().str.contains("SYNTHETIC").any()
    return frame, is_synth


def _write_quality(rows: list[dict[str, Any]], path: Path) -> None:
    import pandas as pd

    from geo.disclosure import suppress_counts

    frame = pd.DataFrame(rows, columns=["stage", "reason", "rows", "synthetic"])
    if len(frame):
        frame = suppress_counts(frame, count_columns=["rows"]).drop(columns=["rows", "suppressed"]).rename(
            columns={"rows_label": "rows"})
    frame.to_csv(path, index=False)


def _write_run_json(out: Path, *, settings: dict[str, Any], timings: dict[str, float],
                    synthetic: bool = True) -> None:
    from geo.catalogue import get_catalogue

    cat = get_catalogue()
    inputs = []
    for row in cat.status(verify=False):
        if row["location"] == "absent":
            continue
        ds = cat.dataset(row["name"])
        inputs.append({"name": ds.name, "files": [{"path": f.path, "sha256": f.sha256} for f in ds.files][:3]
                       + ([{"more_files": len(ds.files) - 3}] if len(ds.files) > 3 else []),
                       "vintage": ds.vintage, "publisher": ds.publisher, "licence": ds.licence,
                       "location": row["location"]})
    outputs = {}
    for p in sorted(out.rglob("*")):
        if p.is_file() and p.name != "run.json":
            outputs[p.relative_to(out).as_posix()] = hashlib.sha256(p.read_bytes()).hexdigest()
    versions = {"python": platform.python_version()}
    for pkg in ("farfromhome", "pandas", "geopandas", "shapely", "pyproj", "folium", "matplotlib", "mapclassify",
                "statsmodels", "esda", "libpysal", "scipy", "numpy"):
        try:
            versions[pkg] = metadata.version(pkg)
        except metadata.PackageNotFoundError:
            continue
    doc = {"command": " ".join(["farfromhome", *sys.argv[1:]]), "settings": settings, "timings_s": timings,
           "versions": versions,
           "inputs_note": "every catalogued dataset available locally for this run, with its catalogued SHA-256; "
                          "each file is verified against it when read",
           "inputs": inputs, "outputs_sha256": outputs,
           "synthetic": "child-level data in this run is SYNTHETIC" if synthetic
           else "child-level data in this run is the user's own; only aggregates are written"}
    (out / "run.json").write_text(json.dumps(doc, indent=1, ensure_ascii=False, default=str), encoding="utf-8")
