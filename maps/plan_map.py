"""The sufficiency plan as an interactive map: the group's LAs and each chosen postcode district's new places."""

from __future__ import annotations

import html
import logging
import math
from dataclasses import dataclass
from typing import Any, cast

import folium
import geopandas as gpd
import numpy as np
from branca.element import Element, Figure

from geo.attribution import OSM_ATTRIBUTION
from geo.crs import check_bng, to_display
from geo.errors import InputError, ModelNotIdentifiedError
from maps.interactive import display_geometries
from provision._sufficiency_geo import PLACES_ATTRIBUTION

logger = logging.getLogger(__name__)

__all__ = ["PlanReport", "plan_map", "plan_report"]

_GROUP_FILL = "#fde0b6"
_SITE_COLOUR = "#b2182b"


def plan_map(plan: Any, *, las: gpd.GeoDataFrame) -> folium.Map:
    """Build an offline map of a plan (:class:`provision.plan.Plan`): the group's LAs and the new places.

    Each chosen site is drawn at its postcode district's centroid (never finer), sized by its places; its
    tooltip gives the district, LA, places, children served (suppressed as DfE publishes) and the reduction
    in excess distance. The box states the distance used, the assignment model and every note of the plan.

    Parameters
    ----------
    plan
        From :func:`provision.plan.plan_places`.
    las
        LA polygons in EPSG:27700 (:func:`boundaries.load_las`), indexed by LA code.

    Raises
    ------
    InputError
        The plan has no site with a known district point.
    """
    check_bng(las, name="LA polygons")
    group = las[las.index.isin(plan.group.codes)]
    pts = plan.points.dropna(subset=["easting", "northing"])
    if pts.empty:
        raise InputError("the plan has no site to map (no postcode district point)")
    area = group.total_bounds
    near = las.cx[area[0] - 20_000:area[2] + 20_000, area[1] - 20_000:area[3] + 20_000]
    shown = display_geometries(near[["la_name", "geometry"]])
    shown["in_group"] = shown.index.isin(plan.group.codes)
    m = folium.Map(tiles=None, control_scale=True, zoom_snap=0.25)
    west, south, east, north = display_geometries(group[["geometry"]]).total_bounds
    m.fit_bounds([[south, west], [north, east]])
    folium.GeoJson(
        shown.reset_index().to_json(), name="Local authorities",
        style_function=lambda f: {"fillColor": _GROUP_FILL if f["properties"]["in_group"] else "#f2f2f2",
                                  "fillOpacity": 1, "color": "#9e9e9e", "weight": 0.6},
        tooltip=folium.GeoJsonTooltip(["la_name"], aliases=["Local authority"]),
    ).add_to(m)
    layer = folium.FeatureGroup(name="New places (by postcode district)")
    sites = gpd.GeoDataFrame(pts, geometry=gpd.points_from_xy(pts["easting"], pts["northing"]), crs="EPSG:27700")
    sites = to_display(sites)
    unit = "miles by road" if plan.distance == "road" else "miles, straight-line"
    for row in sites.itertuples():
        red = row.reduction_excess_miles
        tip = (f"<b>{html.escape(str(row.postcode_district))}</b> ({html.escape(str(row.la_name))})<br>"
               f"{int(row.places)} new place(s)<br>children served: {html.escape(str(row.children_served_label))}"
               f"<br>reduction in total excess distance: "
               f"{'not published (fewer than 5 children)' if red is None or np.isnan(red) else f'{red:,.1f} {unit}'}")
        folium.CircleMarker([row.geometry.y, row.geometry.x], radius=6 + 3 * math.sqrt(float(row.places)),
                            color="#ffffff", weight=1.5, fill=True, fill_color=_SITE_COLOUR, fill_opacity=0.9,
                            tooltip=folium.Tooltip(tip)).add_to(layer)
    layer.add_to(m)
    folium.LayerControl(collapsed=False, position="bottomleft").add_to(m)
    root = cast(Figure, m.get_root())
    root.html.add_child(Element(_box(plan)))
    root.header.add_child(Element(f"<title>{html.escape(_title(plan))}</title>"))
    logger.info("plan map: %d district(s), %d LAs shown", len(sites), len(shown))
    return m


@dataclass
class PlanReport:
    """What the report's plan section shows: the plan (tables already suppressed), its map and notes."""

    plan: Any
    map: folium.Map
    notes: list[str]

    def tables(self) -> dict[str, Any]:
        """Tables to write (name → frame): :meth:`provision.plan.Plan.tables`."""
        return dict(self.plan.tables())


def plan_report(located: Any, *, focus_la: str, las: gpd.GeoDataFrame, year: int = 2024, network: Any = None,
                synthetic: bool = True, add_places: int = 4, homes: int | None = None, resamples: int = 10,
                seed: int = 0) -> PlanReport:
    """Plan ``add_places`` new places for the focus LA alone (the main job's "plan" step), with its map.

    Today's places are Ofsted's public list at 31 March ``year`` (centroid rule); candidates are the LA's
    postcode sectors. With a loaded road network the plan is by road; when no children's-home place lies
    on that network (a local extract), it is made on straight-line distance and a note says so.

    Parameters
    ----------
    located
        Located placements (:func:`provision.placements.locate`), EPSG:27700 metres.
    focus_la
        The LA (ONS code, DfE number or name).
    las
        LA polygons (EPSG:27700) for the map.
    network
        A loaded :class:`~distance.network.RoadNetwork`, or None (straight-line).
    """
    from provision.plan import plan_places
    from provision.plan_sites import plan_group
    from provision.sufficiency import public_places

    group = plan_group([focus_la])
    places = public_places(year)
    notes: list[str] = []

    def make(net: Any) -> Any:
        return plan_places(located, places=places, group=group, add_places=add_places, homes=homes, network=net,
                           synthetic=synthetic, resamples=resamples, seed=seed)

    try:
        plan = make(network)
    except ModelNotIdentifiedError as exc:  # a local network that holds no place: straight-line instead
        notes.append(f"Plan by road not possible: {exc}; straight-line instead.")
        plan = make(None)
    return PlanReport(plan, plan_map(plan, las=las), notes + list(plan.notes))


# -- private helpers ------------------------------------------------------------------------------------
def _title(plan: Any) -> str:
    return f"Where {int(plan.sites['places'].sum())} new children's-home places would go: {plan.group.label}"


def _box(plan: Any) -> str:
    notes = "".join(f"<p style='margin:4px 0'>{html.escape(n)}</p>" for n in plan.notes
                    if not n.startswith("SYNTHETIC data"))  # said once, in red, above
    synthetic = ("<p style='margin:4px 0;color:#b2182b;font-weight:bold'>SYNTHETIC data: generated records, "
                 "not real children</p>" if plan.synthetic else "")
    attribution = html.escape(f"{PLACES_ATTRIBUTION} {OSM_ATTRIBUTION if plan.distance == 'road' else ''}".strip())
    return (f"<div class='ffh-plan-box' style='position:absolute;top:10px;right:10px;z-index:1000;max-width:380px;"
            f"max-height:80vh;overflow:auto;background:#fff;padding:8px 10px;font:12px sans-serif;"
            f"box-shadow:0 1px 4px rgba(0,0,0,.3)'><h1 style='font-size:15px;margin:0 0 4px'>"
            f"{html.escape(_title(plan))}</h1>{synthetic}<p style='margin:4px 0'>"
            f"{html.escape(plan.summary_text())}</p>{notes}<p style='margin:4px 0;color:#555'>{attribution}</p></div>")
