"""Sufficiency outputs: each LA's median excess distance as a choropleth and a figure, and the surface as a layer."""

from __future__ import annotations

import base64
import io
import logging
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from distance.straight import KM_PER_MILE
from geo.attribution import ATTRIBUTION, OSM_ATTRIBUTION
from geo.crs import check_bng
from geo.errors import InputError, MissingColumnsError, ModelNotIdentifiedError
from maps import interactive, static
from maps.interactive import Layer

logger = logging.getLogger(__name__)

__all__ = ["EXCESS_LAYERS", "SYNTHETIC_SUBTITLE", "SurfaceLayer", "SufficiencyReport", "excess_frame", "excess_map",
           "excess_figure", "surface_layer", "surface_map", "sufficiency_report", "whatif_sentence"]

SYNTHETIC_SUBTITLE = "SYNTHETIC data: generated records, not real children"
"""Subtitle of every output built from synthetic child-level data."""

_NOTE = ("Median over the LA's children's-home placements (PLACE K2) of the distance travelled minus the distance "
         "to the nearest children's-home place, {distance}, miles; LAs with fewer than 5 placements are not shown")
EXCESS_LAYERS: dict[str, Layer] = {
    "straight": Layer("median_excess_straight_miles", "Median excess distance, straight-line (miles)", "{:,.1f}",
                      "OrRd", _NOTE.format(distance="straight-line")),
    "road": Layer("median_excess_road_miles", "Median excess distance, road (miles)", "{:,.1f}", "PuRd",
                  _NOTE.format(distance="by road")),
    "matched": Layer("median_excess_matched_straight_miles",
                     "Median excess over the nearest home registered for the child's needs, straight-line (miles)",
                     "{:,.1f}", "YlOrBr", _NOTE.format(distance="straight-line, to the nearest home registered for "
                                                       "the needs of the home the child was placed in")),
}
"""Choropleth layers by measure; a layer is shown where its column is in the LA table."""

_MILE_BINS = (0.0, 5.0, 10.0, 20.0, 30.0, 50.0, math.inf)
_PLACE_BINS = (0.0, 1.0, 50.0, 100.0, 250.0, 500.0, math.inf)


@dataclass(frozen=True)
class SurfaceLayer:
    """The surface as a folium image overlay (inline PNG), its legend (HTML), attribution and PNG size (bytes).

    Add ``overlay`` to a map and ``legend_html`` to its legends under ``name``; show ``attribution`` on the map.
    """

    overlay: folium.raster_layers.ImageOverlay
    legend_html: str
    name: str
    attribution: str
    png_bytes: int


@dataclass
class SufficiencyReport:
    """What the report's "Sufficiency" section shows (every number already suppressed).

    Attributes
    ----------
    figure
        Publication figure of each LA's median excess (save with :func:`maps.static.save_figure`).
    map
        Interactive choropleth (save with :func:`maps.interactive.save_map`).
    la_table, region_table
        :func:`provision.sufficiency.summarise` by LA and region.
    whatif
        :class:`provision.whatif.WhatIf` for the focus LA, or None when the LA has no placement to re-run.
    summary
        Plain-English sentences for the page; ``notes`` the caveats (rule, distances, assumption).
    """

    figure: Figure
    map: folium.Map
    la_table: pd.DataFrame
    region_table: pd.DataFrame
    whatif: Any
    summary: list[str]
    notes: list[str] = field(default_factory=list)
    synthetic: bool = True

    def tables(self) -> dict[str, pd.DataFrame]:
        """Return the tables to write (name → frame), marked ``data = SYNTHETIC`` when built from synthetic children."""
        out = {"sufficiency_by_la": self.la_table, "sufficiency_by_region": self.region_table}
        if self.whatif is not None:
            out["sufficiency_whatif"] = self.whatif.table.assign(la_code=self.whatif.la, at=self.whatif.at,
                                                                added_places=self.whatif.add_places,
                                                                assumption=self.whatif.assumption)
        if self.synthetic:
            out = {k: v.assign(data="SYNTHETIC") for k, v in out.items()}
        return out


def excess_frame(la_table: pd.DataFrame, *, las: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """LA polygons (EPSG:27700) joined to the LA table of :func:`provision.sufficiency.summarise`."""
    check_bng(las, name="LA polygons")
    cols = [c for c in la_table.columns if c.startswith("median_") or c.startswith("pct_")]
    return las.join(la_table[cols])


def excess_map(la_table: pd.DataFrame, *, las: gpd.GeoDataFrame, regions: gpd.GeoDataFrame | None = None,
               synthetic: bool = False, rule: str = "", tiles: str | None = "none") -> folium.Map:
    """Interactive choropleth of each LA's median excess: one layer per measure in the table (offline)."""
    frame = excess_frame(la_table, las=las)
    layers = [ly for ly in EXCESS_LAYERS.values() if ly.column in frame.columns]
    if not layers:
        raise MissingColumnsError("sufficiency LA table", [ly.column for ly in EXCESS_LAYERS.values()],
                                  [str(c) for c in la_table.columns])
    if rule:
        layers = [Layer(ly.column, ly.label, ly.fmt, ly.cmap, f"{ly.note}. Places: {rule}") for ly in layers]
    road = any(ly.column == EXCESS_LAYERS["road"].column for ly in layers)
    return interactive.supply_map(
        frame, layers=layers, regions=regions, title="Sufficiency: how much further than the nearest place",
        subtitle=SYNTHETIC_SUBTITLE if synthetic else "", tiles=tiles,
        attribution=ATTRIBUTION + (f"; {OSM_ATTRIBUTION}" if road else ""))


def excess_figure(la_table: pd.DataFrame, *, las: gpd.GeoDataFrame, regions: gpd.GeoDataFrame | None = None,
                  measure: str = "straight", synthetic: bool = False, rule: str = "", source: str = "") -> Figure:
    """Publication figure of each LA's median excess distance (``measure``: straight, road or matched), miles."""
    if measure not in EXCESS_LAYERS:
        raise InputError(f"unknown measure {measure!r}; expected {', '.join(EXCESS_LAYERS)}")
    ly = EXCESS_LAYERS[measure]
    frame = excess_frame(la_table, las=las)
    if ly.column not in frame.columns:
        raise MissingColumnsError("sufficiency LA table", [ly.column], [str(c) for c in la_table.columns])
    note = f"{ly.note}. Places: {rule}" if rule else ly.note
    parts = [source or ("SYNTHETIC SSDA903 records (farfromhome) located with OS Code-Point Open" if synthetic
                        else "SSDA903 placement episodes located with OS Code-Point Open"),
             "Ofsted children's homes"] + ([OSM_ATTRIBUTION + " (road network)"] if measure == "road" else [])
    return static.supply_figure(frame, layer=Layer(ly.column, ly.label, ly.fmt, ly.cmap, note), regions=regions,
                                title=ly.label, subtitle=SYNTHETIC_SUBTITLE if synthetic else "",
                                source="; ".join(parts))


def surface_layer(path: str | Path, *, band: str = "nearest_place_straight_km", name: str | None = None,
                  opacity: float = 0.75, max_pixels: int = 1400, max_bytes: int = 3_500_000) -> SurfaceLayer:
    """Turn a surface GeoTIFF into an inline-PNG folium image layer with a legend (distances in miles).

    The band is read at most ``max_pixels`` on its long side (from the overview pyramid), warped to Web
    Mercator for Leaflet, coloured by fixed classes (miles for distances, places for counts) with nodata
    transparent, and embedded as a base64 PNG of at most ``max_bytes`` (halved until it fits), so a map
    carrying it stays offline and under 5 MB.

    Raises
    ------
    InputError
        The file is not a surface GeoTIFF in EPSG:27700, or has no band ``band``.
    """
    import rasterio
    from pyproj import Transformer
    from rasterio.enums import Resampling
    from rasterio.warp import reproject

    with rasterio.open(path) as src:
        if src.crs is None or src.crs.to_epsg() != 27700:
            raise InputError(f"{path}: expected a surface GeoTIFF in EPSG:27700, got {src.crs}")
        names = list(src.descriptions)
        if band not in names:
            raise InputError(f"{path}: no band {band!r}; bands are {', '.join(str(n) for n in names)}")
        i = names.index(band) + 1
        tags, band_tags = src.tags(), src.tags(i)
        factor = max(1, math.ceil(max(src.width, src.height) / max_pixels))
        while True:
            shape = (max(1, src.height // factor), max(1, src.width // factor))
            data = src.read(i, out_shape=shape, resampling=Resampling.nearest, masked=True).filled(np.nan)
            transform = src.transform @ src.transform.scale(src.width / shape[1], src.height / shape[0])
            dst_t, w, h = _mercator_grid(transform, shape)
            merc = np.full((h, w), np.nan, np.float32)
            reproject(data.astype(np.float32), merc, src_transform=transform, src_crs=src.crs, dst_transform=dst_t,
                      dst_crs="EPSG:3857", resampling=Resampling.nearest, src_nodata=np.nan, dst_nodata=np.nan)
            png, rows = _png(merc, miles=band_tags.get("units") == "km")
            if len(png) * 4 / 3 <= max_bytes or factor > 64:
                break
            factor *= 2
    west, north = dst_t @ (0, 0)
    east, south = dst_t @ (w, h)
    lon, lat = Transformer.from_crs(3857, 4326, always_xy=True).transform([west, east], [south, north])
    title = name or {"nearest_place_straight_km": "Distance to the nearest children's-home place (straight-line)",
                     "nearest_place_road_km": "Distance to the nearest children's-home place (road)",
                     "places_within_20_miles": "Children's-home places within 20 miles (straight-line)"}.get(band, band)
    url = "data:image/png;base64," + base64.b64encode(png).decode("ascii")
    overlay = folium.raster_layers.ImageOverlay(url, bounds=[[lat[0], lon[0]], [lat[1], lon[1]]], opacity=opacity,
                                                name=title, interactive=False, zindex=2)
    unit = "miles" if band_tags.get("units") == "km" else "registered places"
    note = f"{unit}; cells of {float(tags.get('resolution_m', 0)) / 1000:g} km; places: {tags.get('places', '')}"
    legend = interactive.swatch_legend(title, note, rows)
    logger.info("surface layer %s: %d x %d px PNG, %.0f kB", band, w, h, len(png) / 1e3)
    return SurfaceLayer(overlay, legend, title, tags.get("attribution", ATTRIBUTION), len(png))


def surface_map(path: str | Path, *, las: gpd.GeoDataFrame, band: str = "nearest_place_straight_km",
                subtitle: str = "") -> folium.Map:
    """Build a standalone offline map of the surface over LA outlines, with its legend."""
    layer = surface_layer(path, band=band)
    shown = interactive.display_geometries(las[["la_name", "geometry"]])
    m = interactive.base_map(shown, tiles="none")
    folium.GeoJson(shown.reset_index().to_json(), name="Local authorities", control=False,
                   style_function=lambda _: {"fill": False, "color": "#666666", "weight": 0.6},
                   tooltip=folium.GeoJsonTooltip(["la_name"], aliases=["Local authority"])).add_to(m)
    layer.overlay.add_to(m)
    interactive.finish_map(m, title=layer.name, subtitle=subtitle, legends={layer.name: layer.legend_html},
                        base_names=[], initial=[layer.name], attribution=layer.attribution)
    return m


def sufficiency_report(located: pd.DataFrame, *, focus_la: str, year: int = 2024, las: gpd.GeoDataFrame,
                       regions: gpd.GeoDataFrame | None = None, homes_list: Any = None, network: Any = None,
                       synthetic: bool = True, add_places: int = 4, at: str | None = None,
                       rule: str = "centroid") -> SufficiencyReport:
    """Everything the report's "Sufficiency" section needs, in one call (aggregates only).

    Parameters
    ----------
    located
        Located placements (:func:`provision.placements.locate`; road distances optional).
    focus_la
        The LA of the what-if.
    year
        Ofsted list (31 March) for places when there is no ``homes_list``.
    las, regions
        Polygons (EPSG:27700) for the figure and map.
    homes_list
        A :class:`provision.homes_list.HomesList` (confidential): places at setting postcodes.
    network
        The loaded network (:class:`~distance.network_option.LoadedNetwork`): a
        :class:`~distance.network.RoadNetwork` adds road excess; ``"backbone"`` or None give straight-line only
        (the backbone with a note saying why).
    synthetic
        The children are synthetic: every output says so.
    add_places, at
        The what-if: places added and where (default the focus LA).
    rule
        Public-list location rule (:data:`provision.sufficiency.RULES`).
    """
    from provision import sufficiency as suff
    from provision.whatif import whatif

    places = suff.homes_list_places(homes_list) if homes_list is not None else suff.public_places(year, rule=rule)
    notes = [f"Places: {places.rule}."]
    if network == "backbone":
        notes.append("Road excess not measured: it needs a local road network (the national backbone measures "
                     "given pairs, not the nearest place); straight-line only.")
        network = None
    try:
        excess = suff.excess_distance(located, places=places, network=network)
    except ModelNotIdentifiedError as exc:  # a regional network that holds no place: straight-line only
        notes.append(f"Road excess not measured: {exc}; straight-line only.")
        excess = suff.excess_distance(located, places=places, network=None)
    by_la, by_region = suff.summarise(excess), suff.summarise(excess, by="region")
    try:
        wi = whatif(excess, la=focus_la, add_places=add_places, at=at, synthetic=synthetic)
    except ModelNotIdentifiedError as exc:  # nothing to re-run for this LA
        wi = None
        notes.append(f"What-if left out: {exc}.")
    measure = "road" if "road" in excess.distances and by_la["median_excess_road_miles"].notna().any() else "straight"
    fig = excess_figure(by_la, las=las, regions=regions, measure=measure, synthetic=synthetic, rule=places.rule)
    m = excess_map(by_la, las=las, regions=regions, synthetic=synthetic, rule=places.rule)
    tag = "SYNTHETIC: " if synthetic else ""
    ok = excess.placements["status"].eq("ok")
    summary = []
    if int(ok.sum()) >= 5:
        ex = excess.placements.loc[ok, "excess_straight_miles"]
        share = excess.placements.loc[ok, "over_20_miles_beyond"].astype(bool).mean() * 100
        summary.append(f"{tag}the median children's-home placement was {ex.median():.1f} miles farther from home than "
                       f"the nearest children's-home place (straight-line); {share:.0f}% were more than 20 miles "
                       "beyond it.")
    if wi is not None:
        summary.append(whatif_sentence(wi))
    notes += ["Excess = distance travelled minus distance to the nearest children's-home place; it can be negative "
              "where places are located only by LA.", *([wi.assumption] if wi is not None else [])]
    return SufficiencyReport(fig, m, by_la, by_region, wi, summary, notes, synthetic)


def whatif_sentence(wi: Any) -> str:
    """Say what a what-if changes (:class:`provision.whatif.WhatIf`): the change, not a total, in one sentence.

    "Adding 4 places in Stockport would bring 6 more of Stockport's 104 children's-home placements within 20 miles
    (straight line): 81 instead of 75; the median placement distance would fall by 0.08 miles (4.52 to 4.44)."
    Counts are the what-if table's published labels (suppressed as DfE); no number is shown that the table does not
    publish. Distances are straight-line, miles.
    """
    t = wi.table
    tag = "SYNTHETIC: " if wi.synthetic else ""
    gain = str(t.loc["change", "within_20_miles_label"])
    before, after = str(t.loc["before", "within_20_miles_label"]), str(t.loc["after", "within_20_miles_label"])
    total = str(t.loc["before", "placements_label"])
    who = f"{wi.la_name}'s {total} children's-home placements" if total.isdigit() else \
        f"{wi.la_name}'s children's-home placements"
    where = f"{wi.add_places} more place{'s' if wi.add_places != 1 else ''} {wi.at}"
    if gain == "0":
        change = f"would bring none more of {who} within 20 miles (straight line)"
        if after.isdigit():
            change += f": {after} are within 20 miles already"
    else:
        change = f"would bring {gain} more of {who} within 20 miles (straight line)"
        if after.isdigit() and before.isdigit():
            change += f": {after} instead of {before}"
    med_b, med_a = t.loc["before", "median_placement_miles"], t.loc["after", "median_placement_miles"]
    if pd.isna(med_b) or pd.isna(med_a):
        med = "the median placement distance is not published (fewer than 5 placements)"
    elif round(float(med_a) - float(med_b), 2) == 0:
        med = f"the median placement distance would not change ({float(med_b):.2f} miles)"
    else:
        d = float(med_a) - float(med_b)
        med = (f"the median placement distance would {'fall' if d < 0 else 'rise'} by {abs(d):.2f} miles "
               f"({float(med_b):.2f} to {float(med_a):.2f})")
    return f"{tag}Adding {where} {change}; {med}. {wi.assumption}"


# -- private helpers ------------------------------------------------------------------------------------
def _mercator_grid(transform: Any, shape: tuple[int, int]) -> tuple[Any, int, int]:
    """Return a Web Mercator grid covering a BNG raster with as many cells across (for Leaflet's overlay)."""
    from affine import Affine
    from pyproj import Transformer

    h, w = shape
    left, top = transform.c, transform.f
    right, bottom = left + transform.a * w, top + transform.e * h
    x0, y0, x1, y1 = Transformer.from_crs(27700, 3857, always_xy=True).transform_bounds(left, bottom, right, top,
                                                                                        densify_pts=21)
    res = (x1 - x0) / w
    width, height = w, max(1, math.ceil((y1 - y0) / res))
    return Affine(res, 0.0, x0, 0.0, -res, y1), width, height


def _png(values: np.ndarray, *, miles: bool) -> tuple[bytes, list[tuple[str, str]]]:
    """Colour ``values`` (km → miles, or counts) into fixed classes; PNG bytes and the legend rows."""
    from matplotlib.colors import to_rgba
    from PIL import Image

    v = values / KM_PER_MILE if miles else values
    bins = _MILE_BINS if miles else _PLACE_BINS
    colours = interactive.colour_ramp("YlOrRd" if miles else "YlGnBu", len(bins) - 1)
    rgba = np.zeros(values.shape + (4,), np.uint8)
    cls = np.digitize(np.nan_to_num(v, nan=-1.0), bins[1:-1], right=False)
    for k, c in enumerate(colours):
        sel = np.isfinite(v) & (cls == k)
        rgba[sel] = (np.array(to_rgba(c)) * 255).astype(np.uint8)
    buf = io.BytesIO()
    Image.fromarray(rgba, "RGBA").save(buf, format="PNG", optimize=True)
    unit = "miles" if miles else "places"
    rows = [(c, f"{bins[k]:g}–{bins[k + 1]:g} {unit}" if math.isfinite(bins[k + 1]) else f"{bins[k]:g}+ {unit}")
            for k, c in enumerate(colours)]
    if not miles:
        rows[0] = (colours[0], "none")
    return buf.getvalue(), rows
