"""Interactive folium maps: LA supply choropleths and one LA's placement distances.

The page they share is :mod:`maps._page`; the flow map is :mod:`maps.flow_map`, the distance map
:mod:`maps.distance_map` (both re-exported here).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
from branca.element import MacroElement
from jinja2 import Template

from geo.attribution import ATTRIBUTION
from geo.errors import MissingColumnsError
from maps._page import (  # noqa: F401  (re-exported: maps.sufficiency and the tests use these names)
    ASSETS,
    NO_DATA,
    base_map,
    classify,
    colour_ramp,
    display_geometries,
    fill_style,
    finish_map,
    format_value,
    highlight_style,
    layer_classes,
    legend_html,
    region_outlines,
    render_html,
    require_geometry,
    save_map,
    swatch_legend,
)
from maps.distance_map import distance_map
from maps.flow_map import flow_map

logger = logging.getLogger(__name__)

__all__ = [
    "Layer", "SUPPLY_LAYERS", "classify", "colour_ramp", "format_value",
    "display_geometries", "supply_map", "supply_series", "flow_map", "distance_map", "render_html", "save_map",
]



@dataclass(frozen=True)
class Layer:
    """One switchable choropleth layer: which column, how to label it and colour it.

    Parameters
    ----------
    column
        Column of the frame given to :func:`supply_map`.
    label
        Name in the layer switcher and legend title.
    fmt
        Python format for values in tooltips and the legend.
    cmap
        Matplotlib colormap name (sequential, or diverging for signed measures).
    note
        One line under the legend title (what the measure means, where it comes from).
    diverging
        Signed measure: classes are centred on zero (zero is a class edge; no class straddles it).
    total
        A count whose sum over LAs is meaningful (the table shows an England total).
    """

    column: str
    label: str
    fmt: str = "{:,.0f}"
    cmap: str = "YlGnBu"
    note: str = ""
    diverging: bool = False
    total: bool = False


SUPPLY_LAYERS: tuple[Layer, ...] = (
    Layer("homes", "Children's homes", "{:,.0f}", "Blues", "Active children's homes at 31 March (Ofsted)",
          total=True),
    Layer("places", "Registered places", "{:,.0f}", "Purples", "Registered places in children's homes (Ofsted)",
          total=True),
    Layer("places_per_10k", "Places per 10,000 children", "{:,.1f}", "YlGnBu",
          "Children's-home places per 10,000 children aged 0-17"),
    Layer("gap_index", "Supply-gap index", "{:+,.1f}", "RdBu_r",
          "Own children in children's homes minus local places, per 10,000 children: positive = deficit",
          diverging=True),
    Layer("pct_outside_la", "% placed outside their LA", "{:,.0f}%", "Oranges",
          "Children in children's homes placed outside their own LA (DfE)"),
    Layer("net_gain", "Net gain of children", "{:+,.0f}", "PuOr",
          "Children placed in the LA by others minus its own placed elsewhere (DfE)", diverging=True),
)
"""The supply map's default layers; those whose column is absent are left out (and logged)."""


LISA_COLOURS = {"HH": ("#d7191c", "Hot spot (high-high)"), "LL": ("#2c7bb6", "Cold spot (low-low)"),
                 "HL": ("#fdae61", "High among low (high-low)"), "LH": ("#abd9e9", "Low among high (low-high)"),
                 "ns": ("#f0f0f0", "Not significant (p ≥ 0.05)"), "nn": ("#bdbdbd", "No neighbours (not tested)"),
                 "nd": (NO_DATA, "no data")}
_LISA_NAME = "LISA hot and cold spots"
_INITIAL = "places_per_10k"
_NEIGHBOURS_NOTE = ("Statistical neighbours: not in the staged data (the DfE's LAIT publishes only their median), "
                    "so none are listed.")


def supply_map(
    frame: gpd.GeoDataFrame,
    *,
    layers: Sequence[Layer] | None = None,
    regions: gpd.GeoDataFrame | None = None,
    scheme: str = "quantiles",
    k: int = 5,
    bins: Sequence[float] | None = None,
    lisa_column: str = "lisa_cluster",
    title: str = "Children's homes: supply by local authority",
    subtitle: str = "",
    tiles: str | None = "none",
    attribution: str = ATTRIBUTION,
    tolerance_m: float = 500.0,
    year: int | None = None,
    years: Mapping[int, pd.DataFrame] | None = None,
    region_values: pd.DataFrame | None = None,
    neighbours: Mapping[str, Sequence[str]] | None = None,
    year_notes: Mapping[Any, str] | None = None,
) -> folium.Map:
    """Choropleth of England's LAs with one switchable layer (and legend) per measure, a year control and search.

    One copy of the LA polygons carries every layer's value for every year; the page colours it by the layer
    and year chosen. A search box finds an LA by name, ONS code or DfE LA number, zooms to it and opens a panel
    with every measure, its rank and its region's value; the choice is kept in the URL (``#la=E08000007``).

    Parameters
    ----------
    frame
        One row per LA, indexed by LA code, polygons in EPSG:27700, with ``la_name``, ``region_name`` (and
        optionally ``dfe_la_number``) and the columns named in ``layers`` for ``year`` (e.g.
        :func:`provision.measures.la_measures`). An optional ``lisa_cluster`` column (HH, LL, HL, LH, ns,
        "no neighbours") adds a LISA hot/cold-spot layer, with ``lisa_i`` and ``lisa_p`` in its tooltip where
        present. Not modified; converted to EPSG:4326 only for display.
    layers
        The measures to show (default :data:`SUPPLY_LAYERS`; layers whose column is absent are left out).
    regions
        Region polygons (EPSG:27700) drawn as outlines, always above the LA fills.
    scheme, k, bins
        Classification (see :func:`classify`), over every year's values so colours compare across years;
        diverging layers are classed on each side of zero.
    title, subtitle
        Shown in a box on the map.
    tiles
        ``"none"`` (no basemap: works offline) or a folium tile name such as ``"cartodbpositron"``.
    attribution
        Data attribution, always shown (OpenStreetMap's is added by folium when OSM tiles are used).
    tolerance_m
        Display simplification in metres (see :func:`display_geometries`).
    year
        The year of ``frame`` (the year the page opens on and of the LISA layer); default the latest of
        ``years``, or none shown.
    years
        Other years' values: ``{year: frame indexed by LA code with the layer columns}`` (see
        :func:`supply_series`); ``frame`` supplies ``year`` when it is not among them.
    region_values
        The region's value of each layer column for ``year``, indexed by ``region_name``.
    neighbours
        Statistical neighbours by LA code; without them the panel says none are staged.
    year_notes
        Why a year has no data for a layer: ``{(column, year): text}`` or ``{year: text}`` (every layer). The year
        control offers each layer only the years with data; a missing year's note is shown when the layer is
        picked at that year. An LA created by a split (Cumberland and Westmorland and Furness, 2023) says, in its
        tooltip and panel, that its figures before the split were its predecessor's; the search finds it by the
        predecessor's name.

    Returns
    -------
    folium.Map
        Save with :func:`save_map`.
    """
    require_geometry(frame, ["la_name", "region_name"], "supply map frame")
    explicit = layers is not None
    layers = list(layers if layers is not None else SUPPLY_LAYERS)
    absent = [ly.column for ly in layers if ly.column not in frame.columns]
    if absent and explicit:
        raise MissingColumnsError("supply map frame", absent, list(frame.columns))
    if absent:
        logger.info("supply map: no column(s) %s; those layers are left out", ", ".join(absent))
    layers = [ly for ly in layers if ly.column in frame.columns]
    has_lisa = lisa_column in frame.columns
    if not layers and not has_lisa:
        raise MissingColumnsError("supply map frame", [ly.column for ly in SUPPLY_LAYERS] + [lisa_column],
                                  list(frame.columns))
    series = dict(years or {})
    if year is None:
        year = max(series) if series else None
    if year is not None and year not in series:
        series[year] = frame
    if not series:
        series = {0: frame}  # one unnamed year: no year control
    order = sorted(series)
    shown = display_geometries(frame[["geometry"]], tolerance_m=tolerance_m)
    m = base_map(shown, tiles=tiles)
    codes = [str(c) for c in frame.index]
    legends: dict[str, str] = {}
    specs = []
    for ly in layers:
        table = pd.DataFrame({y: pd.to_numeric(series[y][ly.column], errors="coerce").reindex(frame.index)
                              if ly.column in series[y].columns else pd.Series(float("nan"), index=frame.index)
                              for y in order})
        with_data = [y for y in order if table[y].notna().any()]
        sch = ("zero-centred " + scheme) if ly.diverging and scheme != "userdefined" else scheme
        edges_by, colours_by, legend_by = {}, {}, {}
        for y in with_data:  # each year classed on its own values: the classes of that year's figure
            _, edges, colours = layer_classes(table[y], cmap=ly.cmap, diverging=ly.diverging, scheme=scheme,
                                              k=k, bins=bins)
            edges_by[str(y)], colours_by[str(y)] = edges, colours
            legend_by[str(y)] = legend_html(ly.label, ly.note + (f" · 31 March {y}" if y else ""), edges, colours,
                                             ly.fmt, sch if edges[0] < 0 < edges[-1] or not ly.diverging else scheme,
                                             missing=bool(table[y].isna().any()))
        shown_year = year if year in with_data else (with_data[-1] if with_data else None)
        legends[ly.label] = legend_by.get(str(shown_year), swatch_legend(ly.label, ly.note, [(NO_DATA, "no data")]))
        region = {} if region_values is None or ly.column not in region_values.columns else {
            str(r): _num(v) for r, v in region_values[ly.column].items()}
        specs.append({"key": ly.column, "label": ly.label, "fmt": ly.fmt, "note": ly.note, "edges": edges_by,
                      "colours": colours_by, "legends": legend_by, "total": ly.total,
                      "years": [str(y) for y in with_data],
                      "why": {str(y): _why(ly.column, y, series[y], year_notes) for y in order
                              if y not in with_data},
                      "values": {str(y): [_num(v) for v in table[y]] for y in order}, "region": region})
    lisa = None
    if has_lisa:
        keys = frame[lisa_column].map(_lisa_key)
        present = [k_ for k_ in LISA_COLOURS if (keys == k_).any()]
        legends[_LISA_NAME] = swatch_legend(
            _LISA_NAME, f"Local Moran's I of places per 10,000 children{f', {year}' if year else ''}; "
            "permutation p < 0.05; queen contiguity", [LISA_COLOURS[k_] for k_ in present])
        lisa = {"label": _LISA_NAME, "keys": list(keys), "colours": {k_: v[0] for k_, v in LISA_COLOURS.items()},
                "names": {k_: v[1] for k_, v in LISA_COLOURS.items()},
                "i": [_num(v) for v in frame["lisa_i"]] if "lisa_i" in frame.columns else None,
                "p": [_num(v) for v in frame["lisa_p"]] if "lisa_p" in frame.columns else None}
    base_names = [ly.label for ly in layers] + ([_LISA_NAME] if has_lisa else [])
    first = next((ly.label for ly in layers if ly.column == _INITIAL), base_names[0])
    dfe = frame["dfe_la_number"] if "dfe_la_number" in frame.columns else pd.Series("", index=frame.index)
    data = {
        "geo": json.loads(shown.assign(la_code=codes)[["la_code", "geometry"]].to_json(drop_id=True)),
        "codes": codes, "names": [str(v) for v in frame["la_name"]], "regions": [str(v) for v in
                                                                                 frame["region_name"]],
        "dfe": ["" if pd.isna(v) else str(int(float(v))) if str(v).replace(".0", "").isdigit() else str(v)
                for v in dfe],
        "years": order if order != [0] else [], "year": year, "layers": specs, "lisa": lisa, "initial": first,
        "neighbours": {str(c): list(v) for c, v in neighbours.items()} if neighbours else None,
        "neighbours_note": _NEIGHBOURS_NOTE, "title": title, **_area_changes(codes),
    }
    if regions is not None:
        region_outlines(regions, tolerance_m=tolerance_m).add_to(m)
    finish_map(m, title=title, subtitle=subtitle, legends=legends, base_names=base_names, initial=[first],
            attribution=attribution)
    m.add_child(_SupplyScript(data))
    return m


def supply_series(years: Iterable[int]) -> dict[int, pd.DataFrame]:
    """Every supply layer's value by LA for each year (2024 LA codes): the year control of :func:`supply_map`.

    Homes, places, places per 10,000 children, the supply-gap index and net gain come from
    :func:`provision.gaps.supply_gaps` (as :func:`provision.measures.la_measures` has them); % of children in
    children's homes placed outside their LA from the DfE LA time series (:func:`provision.trends.trends`), mapped
    one-to-one to 2024 codes (a percentage of LAs that merged or split cannot be recomputed: NaN, as
    :func:`provision.demand.demand_by_la` has it). No LISA per year.

    Returns
    -------
    dict
        ``{year: DataFrame}`` indexed by ``la_code`` with ``homes``, ``places``, ``places_per_10k``,
        ``gap_index``, ``net_gain``, ``pct_outside_la``; each frame's ``attrs["notes"]`` says why a column has
        no value that year (``{column: reason}``), which :func:`supply_map` shows beside its year control.
    """
    import boundaries
    from geo.errors import SplitAreaError, UnknownAreaCodeError
    from provision import gaps, trends

    years = sorted(set(years))
    if not years:
        return {}
    pct = trends.trends(years[0], years[-1], "la", ["chomes_outside_la_pct"])
    mapped: dict[str, str | None] = {}
    for code in pd.unique(pct["area_code"].astype(str)):
        try:
            mapped[code] = boundaries.harmonise_code(code)
        except (SplitAreaError, UnknownAreaCodeError):  # a split or non-LA row: no one-to-one value
            mapped[code] = None
    why_pct = {}
    gaps_table = pct.attrs.get("gaps")
    if gaps_table is not None and len(gaps_table):
        for spans, reason in zip(gaps_table["years"], gaps_table["reason"], strict=True):
            for y in _span_years(str(spans)):
                why_pct[y] = str(reason)
    pct = pct.assign(la_code=pct["area_code"].astype(str).map(mapped)).dropna(subset=["la_code"])
    out: dict[int, pd.DataFrame] = {}
    for y in years:
        g = gaps.supply_gaps(y)
        part = pd.DataFrame({"homes": g["homes"], "places": g["places"],
                             "places_per_10k": g["places_per_10k_children"], "gap_index": g[gaps.GAP_INDEX],
                             "net_gain": g["net_gain"]}, index=g.index).apply(pd.to_numeric, errors="coerce")
        p = pct[pct["time_period"] == y]
        merged = p["la_code"].duplicated(keep=False)  # several old LAs into one: a % is not recomputable
        part["pct_outside_la"] = p[~merged].set_index("la_code")["value"].reindex(part.index)
        notes = {}
        for col in part.columns:
            if part[col].notna().any():
                continue
            if col == "pct_outside_la" and y in why_pct:
                notes[col] = why_pct[y]
            elif col in ("places_per_10k", "gap_index") and g["population_0_17"].isna().all():
                notes[col] = "no population estimate of children aged 0-17 is staged"
            elif col == "places" and g["homes"].notna().any():
                notes[col] = "that year's Ofsted provider list gives no registered places"
        part.attrs["notes"] = notes
        out[y] = part
    logger.info("supply series: %d years, %d LAs", len(out), len(next(iter(out.values()))))
    return out


class _SupplyScript(MacroElement):
    """The supply page's behaviour (``assets/supply.js``) and its data, embedded."""

    _template = Template("""
{% macro header(this, kwargs) %}
<script>{{ this.js }}</script>
{% endmacro %}
{% macro script(this, kwargs) %}
window.ffhSupply({{ this._parent.get_name() }}, ffh_chrome, {{ this.data }});
{% endmacro %}
""")

    def __init__(self, data: dict[str, Any]) -> None:
        super().__init__()
        self._name = "FarFromHomeSupply"
        self.data = json.dumps(data, separators=(",", ":"), allow_nan=False).replace("</", "<\\/")
        self.js = ASSETS.joinpath("supply.js").read_text(encoding="utf-8")


def _num(v: Any) -> float | None:
    x = pd.to_numeric(v, errors="coerce")
    return None if pd.isna(x) else round(float(x), 4)


def _layer_classes(table: pd.DataFrame, ly: Layer, *, scheme: str, k: int,
                   bins: Sequence[float] | None) -> tuple[list[float], list[str]]:
    """Class edges and colours of a layer over every value of ``table`` (:func:`maps._page.layer_classes`)."""
    pooled = pd.Series(table.to_numpy().ravel()).dropna()
    _, edges, colours = layer_classes(pooled, cmap=ly.cmap, diverging=ly.diverging, scheme=scheme, k=k, bins=bins)
    return edges, colours


def _why(column: str, year: int, frame: pd.DataFrame, notes: Mapping[Any, str] | None) -> str:
    """Why a layer has no value in a year: the caller's note, else the year's frame's, else that none is staged."""
    if notes and ((column, year) in notes or year in notes):
        return str(notes.get((column, year), notes.get(year)))
    own = frame.attrs.get("notes", {}) if hasattr(frame, "attrs") else {}
    return str(own.get(column) or f"no figure is staged for {year}")


def _span_years(text: str) -> list[int]:
    """Years of a span such as ``"2025"``, ``"2012-2013"`` or ``"2012-2013, 2025"``."""
    out: list[int] = []
    for part in text.replace("–", "-").split(","):
        ends = [int(x) for x in part.strip().split("-") if x.strip().isdigit()]
        if ends:
            out += list(range(ends[0], ends[-1] + 1))
    return out


def _area_changes(codes: Sequence[str]) -> dict[str, Any]:
    """Former LAs whose area is now shown as other LAs (for the search), and each LA's predecessor (for notes)."""
    import boundaries

    lookup = boundaries.la_lookup().drop_duplicates("la_code").set_index("la_code")["la_name"]
    shown = set(codes)
    former, split = [], {}
    for old, name in lookup.items():
        change = boundaries.successors(str(old))
        if change is None or str(old) in shown:
            continue
        year, successors = change
        new = [c for c in successors if c in shown]
        if not new:
            continue
        former.append({"code": str(old), "name": str(name), "year": int(year), "to": new})
        if len(new) > 1:  # a split: the successors' figures before it were the predecessor's, not theirs
            for c in new:
                split[c] = {"code": str(old), "name": str(name), "year": int(year)}
    return {"former": former, "split": split}


def _lisa_key(value: Any) -> str:
    if pd.isna(value):
        return "nd"
    s = str(value).strip().lower().replace("-", "").replace(" ", "").replace("_", "")
    table = {"hh": "HH", "highhigh": "HH", "hotspot": "HH", "hot": "HH", "ll": "LL", "lowlow": "LL",
             "coldspot": "LL", "cold": "LL", "hl": "HL", "highlow": "HL", "lh": "LH", "lowhigh": "LH",
             "noneighbours": "nn", "island": "nn", "nodata": "nd"}
    return table.get(s, "ns")


def supply_region_values(year: int) -> pd.DataFrame:
    """Each region's value of the supply layers for ``year``, indexed by ``region_name`` (the LA panel's column).

    From :func:`provision.gaps.region_gaps` (homes, places, places per 10,000 children, supply-gap index) and the
    DfE regional time series (% of children in children's homes placed outside their LA); net gain has no
    regional figure here.
    """
    from provision import gaps, trends

    r = gaps.region_gaps(year)
    out = pd.DataFrame({"homes": r["homes"], "places": r["places"], "places_per_10k": r["places_per_10k_children"],
                        "gap_index": r[gaps.GAP_INDEX]}).apply(pd.to_numeric, errors="coerce")
    out.index = r["region_name"].astype(str)
    # asked over 2014 to year: trends() cannot be asked for a single year that no source covers (2025)
    pct = trends.trends(2014, year, "region", ["chomes_outside_la_pct"])
    pct = pct[pct["time_period"] == year]
    out["pct_outside_la"] = pct.set_index("area_name")["value"].reindex(out.index) if len(pct) else np.nan
    return out
