"""Coordinate reference systems: compute in British National Grid, show in WGS84."""

from __future__ import annotations

import logging
import warnings
from typing import Any

import numpy as np
from pyproj import CRS, Transformer
from pyproj.transformer import TransformerGroup

from geo.errors import CRSError

logger = logging.getLogger(__name__)

__all__ = ["BNG", "WGS84", "check_bng", "bng_to_wgs84", "wgs84_to_bng", "to_display"]

BNG = CRS.from_epsg(27700)
"""British National Grid (OSGB36, metres): every computation happens here."""

WGS84 = CRS.from_epsg(4326)
"""Longitude/latitude: only for display (web maps) and GeoJSON output."""



def _pinned(src: CRS, dst: CRS) -> Transformer:
    """One fixed transformation for every point (the 7-parameter Helmert 'OSGB36 to WGS 84 (6)', ~2 m).

    Left to itself PROJ picks an operation per point by area of use, so a round trip off the coast can
    drift by 100 m; the OSTN15 grid is not shipped with pyproj, and fetching it would need the network.
    """
    with warnings.catch_warnings():  # "best transformation (OSTN15 grid) not available": expected, see above
        warnings.simplefilter("ignore", UserWarning)
        group = TransformerGroup(src, dst, always_xy=True)
    for t in group.transformers:
        if "OSGB36 to WGS 84 (6)" in t.description:
            return t
    return group.transformers[0]


_TO_WGS84 = _pinned(BNG, WGS84)
_TO_BNG = _pinned(WGS84, BNG)


def check_bng(obj: Any, *, name: str = "frame") -> None:
    """Raise :class:`CRSError` unless ``obj`` (a GeoDataFrame, GeoSeries or graph) is in EPSG:27700.

    Parameters
    ----------
    obj
        Anything with a ``crs`` attribute, or a networkx graph with ``graph["crs"]``.
    name
        What to call the object in the error message.
    """
    crs = getattr(obj, "crs", None)
    if crs is None and hasattr(obj, "graph"):
        crs = obj.graph.get("crs")
    if crs is None:
        raise CRSError(f"{name} has no CRS; expected EPSG:27700 (British National Grid, metres)")
    if CRS.from_user_input(crs) != BNG:
        got = CRS.from_user_input(crs).to_string()
        raise CRSError(
            f"{name} is in {got}; expected EPSG:27700 (British National Grid, metres). "
            "Reproject with .to_crs(27700) before computing."
        )


def bng_to_wgs84(easting: Any, northing: Any) -> tuple[np.ndarray, np.ndarray]:
    """Convert BNG easting/northing (metres) to longitude/latitude (degrees)."""
    lon, lat = _TO_WGS84.transform(np.asarray(easting, float), np.asarray(northing, float))
    return np.asarray(lon), np.asarray(lat)


def wgs84_to_bng(lon: Any, lat: Any) -> tuple[np.ndarray, np.ndarray]:
    """Convert longitude/latitude (degrees) to BNG easting/northing (metres)."""
    e, n = _TO_BNG.transform(np.asarray(lon, float), np.asarray(lat, float))
    return np.asarray(e), np.asarray(n)


def to_display(gdf: Any) -> Any:
    """Return a copy of a BNG GeoDataFrame in EPSG:4326 for display; the input is not changed."""
    check_bng(gdf, name="frame to display")
    return gdf.to_crs(WGS84)
