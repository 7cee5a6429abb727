"""The child-level parts of the LA report: where the LA's children are placed, distance bands and sufficiency.

Only published (suppressed) aggregates leave this module: flows through :func:`provision.flows.published_flows`,
distance bands through :func:`maps.distance_tables.publish_distances`, excess distance through
:func:`provision.sufficiency.summarise`; the nearest-place surface is built from public Ofsted places only.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import pandas as pd

from geo.crs import check_bng
from geo.errors import InputError
from maps.distance_tables import publish_distances
from provision.flows import ALL_PLACEMENTS, distances_by_la, origin_column, placement_flows, published_flows
from provision.returns import ChildLevelData
from provision.sufficiency import excess_distance, public_places, summarise
from provision.surface import Surface, nearest_place_surface

logger = logging.getLogger(__name__)

__all__ = ["ChildPart", "child_part", "SurfaceWindow", "surface_window", "FLOW_COLUMNS", "WINDOW_M"]

FLOW_COLUMNS = ["other_la", "other_la_name", "children", "children_label", "straight_distance_miles"]
"""Columns of :attr:`ChildPart.flows_out` and :attr:`ChildPart.flows_in`."""

WINDOW_M = 40_000.0
"""Margin (metres, EPSG:27700) of the nearest-place surface drawn around the LA."""


@dataclass(frozen=True)
class SurfaceWindow:
    """The nearest-place surface around one LA: straight-line km to the nearest children's-home place.

    ``values`` (km, NaN outside England), ``extent`` (xmin, xmax, ymin, ymax in EPSG:27700 metres), the cell size
    (metres) and the year of the Ofsted list.
    """

    values: np.ndarray
    extent: tuple[float, float, float, float]
    resolution_m: float
    year: int
    rule: str


@dataclass
class ChildPart:
    """What the report shows from child-level data (every count already suppressed).

    Attributes
    ----------
    flows_out, flows_in
        :data:`FLOW_COLUMNS`, one row per other LA, largest first: ``children`` (``<NA>`` where hidden) with its
        published ``children_label``; ``straight_distance_miles`` between a point inside each LA.
    bands
        The LA's placements by straight-line (and road) distance band as published, with a total row.
    excess
        :func:`provision.sufficiency.summarise` by LA for the LA and those of its neighbours the data holds.
    synthetic
        True when the data was generated (every output says SYNTHETIC).
    description, source, notes
        What the data is, its source line, and what the reader must know.
    """

    flows_out: pd.DataFrame
    flows_in: pd.DataFrame
    bands: pd.DataFrame
    excess: pd.DataFrame
    synthetic: bool
    description: str
    source: str
    year: int
    notes: list[str] = field(default_factory=list)


def child_part(children: ChildLevelData, *, la: str, neighbours: list[str], las: gpd.GeoDataFrame,
               year: int) -> ChildPart:
    """Suppressed flows out and in, distance bands and excess distance of one LA's children.

    Parameters
    ----------
    children
        Located SSDA903 episodes (a user's return or :func:`provision.returns.synthetic_return`).
    la
        ONS code of the LA (2024 vintage); ``neighbours`` its statistical neighbours.
    las
        LA polygons (EPSG:27700) indexed by code, with ``la_name`` and ``region_name``.
    year
        Year of the Ofsted list the excess distance is measured against.

    Raises
    ------
    InputError
        If the data holds no placement of the LA's children.
    """
    check_bng(las, name="LA polygons")
    located = children.located
    origin = origin_column(located)
    if not located[origin].astype(str).eq(la).any():
        raise InputError(f"child-level data: no placement of {las.loc[la, 'la_name']}'s children ({la}) in column "
                         f"{origin}; give the return of this LA")
    pub = published_flows(placement_flows(located), las=las)
    every = pub[pub["placement_type"].eq(ALL_PLACEMENTS) & pub["home_la"].ne(pub["pl_la"])]
    out = _flows(every[every["home_la"].eq(la)], other="pl_la")
    inn = _flows(every[every["pl_la"].eq(la)], other="home_la")
    by_la, bands = distances_by_la(located, la)
    published = publish_distances(by_la, las=las, bands=bands)
    assert published.bands is not None  # distances_by_la always gives a band summary
    places = public_places(year)
    excess = summarise(excess_distance(located, places=places), by="la")
    excess = excess[excess.index.isin([la, *neighbours])]
    notes = []
    others = located[origin].astype(str).ne(la)
    if not others.any():
        notes.append("Flows in: this data holds only the LA's own children, so the children other LAs placed in it "
                     "are not known here (they are in those LAs' returns).")
    missing = [c for c in neighbours if c not in excess.index]
    if missing and len(missing) < len(neighbours):
        notes.append(f"Excess distance: {len(missing)} of the ten neighbours have no children's-home placement of 5 "
                     "or more in this data.")
    kind = "SYNTHETIC" if children.synthetic else "your return"
    source = ("SYNTHETIC SSDA903 records generated by farfromhome from DfE LA-level figures over OS Code-Point Open "
              "postcodes; not real children" if children.synthetic else
              "SSDA903 placement episodes (your return) located offline with OS Code-Point Open")
    logger.info("LA report, child level (%s): %d flows out, %d in", kind, len(out), len(inn))
    return ChildPart(flows_out=out, flows_in=inn, bands=published.bands, excess=excess, synthetic=children.synthetic,
                     description=children.description, source=source, year=year, notes=notes)


def surface_window(la: str, *, las: gpd.GeoDataFrame, year: int, resolution_m: float = 1000.0,
                   margin_m: float = WINDOW_M) -> SurfaceWindow:
    """Cut the straight-line distance to the nearest children's-home place (public Ofsted list) around one LA.

    Parameters
    ----------
    la
        ONS code; ``las`` the polygons (EPSG:27700) it is in.
    year
        Year (31 March) of the Ofsted list; places are located by LA (addresses are redacted).
    resolution_m, margin_m
        Cell size and the margin around the LA's bounds, metres.
    """
    check_bng(las, name="LA polygons")
    places = public_places(year)
    surface: Surface = nearest_place_surface(places, resolution_m=resolution_m)
    band = surface.bands["nearest_place_straight_km"]
    t = surface.transform
    xmin, ymin, xmax, ymax = las.loc[[la]].total_bounds
    xmin, ymin, xmax, ymax = xmin - margin_m, ymin - margin_m, xmax + margin_m, ymax + margin_m
    c0 = max(int((xmin - t.c) // t.a), 0)
    c1 = min(int((xmax - t.c) // t.a) + 1, band.shape[1])
    r0 = max(int((t.f - ymax) // -t.e), 0)
    r1 = min(int((t.f - ymin) // -t.e) + 1, band.shape[0])
    values = band[r0:r1, c0:c1].copy()
    extent = (t.c + c0 * t.a, t.c + c1 * t.a, t.f + r1 * t.e, t.f + r0 * t.e)
    return SurfaceWindow(values=values, extent=extent, resolution_m=surface.resolution_m, year=year, rule=places.rule)


def _flows(rows: pd.DataFrame, *, other: str) -> pd.DataFrame:
    frame = pd.DataFrame({"other_la": rows[other].astype(str), "other_la_name": rows[f"{other}_name"],
                          "children": rows["children"], "children_label": rows["children_label"].astype(str),
                          "straight_distance_miles": rows["straight_distance_miles"].astype(float)})
    frame["other_la_name"] = frame["other_la_name"].fillna("outside England")
    order = frame["children"].astype("Float64").fillna(0).astype(float)
    return frame.assign(_o=order).sort_values(["_o", "straight_distance_miles"], ascending=[False, True]) \
        .drop(columns="_o").reset_index(drop=True)[FLOW_COLUMNS]
