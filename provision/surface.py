"""A distance-to-nearest-place surface for England: a GeoTIFF in EPSG:27700 with one band per measure.

Cells are squares of ``resolution_m`` metres on the British National Grid, aligned to multiples of the
resolution; cells whose centre lies outside England (the union of the LA polygons) are nodata. Measures:

* ``nearest_place_straight_km``: straight-line (grid) distance from the cell centre to the nearest
  children's-home place, km;
* ``places_within_20_miles``: registered children's-home places within 20 miles (32.187 km) of the cell
  centre, straight-line;
* ``nearest_place_road_km`` (with a road network): road distance from the cell centre to the nearest place
  on the network, km: the length of the quickest route (default travel-time profile, ``typical``) to the place
  whose quickest route is shortest, each end joined to the nearest point of the nearest road with its access
  leg (:func:`distance.road.road_nearest`; nodata where the centre is more than ``max_snap_m`` from the
  network). Places farther than ``max_snap_m`` from the network are not counted, so a regional network gives
  the nearest place *within* its region.

All measures are vectorised: one KD-tree query for the nearest place (scipy ``cKDTree``), one ball query over
places replicated by their number of places for the counts; for roads, quickest routes to the nearest places
by straight line and to any other that could be nearer.

A surface built from a **confidential homes list** must have cells of at least 5 km, and each home is moved
to its postcode-district centroid first (:meth:`provision.sufficiency.Places.districted`): a raster of exact
distances could otherwise be trilaterated back to a home.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import rasterio
from affine import Affine
from rasterio.enums import Resampling
from rasterio.features import geometry_mask
from scipy.spatial import cKDTree

from distance.profiles import DEFAULT_PROFILE
from distance.straight import METRES_PER_MILE, OVER_MILES
from geo.attribution import OSM_ATTRIBUTION
from geo.errors import InputError
from geo.settings import LA_VINTAGE
from provision._sufficiency_geo import PLACES_ATTRIBUTION, nearest_by_road

logger = logging.getLogger(__name__)

__all__ = ["RESOLUTION_LIMITS_M", "CONFIDENTIAL_MIN_RESOLUTION_M", "NODATA", "BAND_UNITS", "Surface",
           "check_resolution", "england_grid", "nearest_place_surface", "write_surface", "read_surface"]

RESOLUTION_LIMITS_M = (100.0, 10_000.0)
"""Smallest and largest cell size (metres)."""

CONFIDENTIAL_MIN_RESOLUTION_M = 5_000.0
"""Smallest cell (metres) of a surface built from a confidential homes list."""

NODATA = -9999.0
"""Value of cells outside England (and, in the road band, off the network)."""

BAND_UNITS = {"nearest_place_straight_km": "km", "places_within_20_miles": "registered places",
              "nearest_place_road_km": "km"}
"""Band name → units."""

_DESCRIPTIONS = {
    "nearest_place_straight_km": "straight-line (grid) distance from the cell centre to the nearest children's-home "
                                 "place, km",
    "places_within_20_miles": "registered children's-home places within 20 miles (straight-line) of the cell centre",
    "nearest_place_road_km": "road distance from the cell centre to the nearest children's-home place, km "
                             "(length of the quickest route on the given network, {profile} travel-time "
                             "profile; nodata off the network)",
}
_BOUNDARIES = ("Source: Office for National Statistics licensed under the Open Government Licence v.3.0. Contains OS "
               "data © Crown copyright and database right 2016-2025.")
_CHUNK = 262_144


@dataclass(frozen=True, repr=False)
class Surface:
    """A gridded surface: float32 bands (NaN for nodata), the BNG transform and the tags written with it."""

    bands: dict[str, np.ndarray]
    transform: Affine
    resolution_m: float
    tags: dict[str, str]
    band_tags: dict[str, dict[str, str]]
    crs: str = "EPSG:27700"

    @property
    def shape(self) -> tuple[int, int]:
        return next(iter(self.bands.values())).shape

    def __repr__(self) -> str:
        land = int(np.isfinite(next(iter(self.bands.values()))).sum())
        return (f"Surface({self.shape[1]}x{self.shape[0]} cells of {self.resolution_m:,.0f} m, {land:,} in England; "
                f"bands {', '.join(self.bands)})")


def check_resolution(resolution_m: float, *, confidential: bool = False) -> float:
    """Validate a cell size in metres: 100-10,000 m, and at least 5,000 m from a confidential homes list."""
    try:
        res = float(resolution_m)
    except (TypeError, ValueError) as exc:
        raise InputError(f"--resolution {resolution_m!r}: expected a number of metres") from exc
    lo, hi = RESOLUTION_LIMITS_M
    if not lo <= res <= hi:
        raise InputError(f"--resolution {res:g}: cells must be {lo:,.0f} m to {hi:,.0f} m (10 km)")
    if confidential and res < CONFIDENTIAL_MIN_RESOLUTION_M:
        raise InputError(f"--resolution {res:g}: a surface built from a confidential homes list must have cells of "
                         f"at least {CONFIDENTIAL_MIN_RESOLUTION_M:,.0f} m (home locations are confidential)")
    return res


def england_grid(resolution_m: float, *, year: int = LA_VINTAGE) -> tuple[np.ndarray, Affine]:
    """Land mask of England (True where a cell centre is inside an LA polygon) and its BNG transform."""
    import boundaries

    res = check_resolution(resolution_m)
    england = boundaries.load_las(year=year).geometry.union_all()
    minx, miny, maxx, maxy = england.bounds
    x0, y0 = np.floor(minx / res) * res, np.floor(miny / res) * res
    x1, y1 = np.ceil(maxx / res) * res, np.ceil(maxy / res) * res
    width, height = int(round((x1 - x0) / res)), int(round((y1 - y0) / res))
    transform = Affine(res, 0.0, x0, 0.0, -res, y1)
    mask = geometry_mask([england], out_shape=(height, width), transform=transform, invert=True)
    return mask, transform


def nearest_place_surface(places: Any, *, resolution_m: float = 1000.0, network: Any = None,
                          max_snap_m: float = 2000.0, year: int = LA_VINTAGE,
                          grid: tuple[np.ndarray, Affine] | None = None,
                          progress: Callable[[int], None] | None = None) -> Surface:
    """Compute the surface for England from ``places`` (:class:`provision.sufficiency.Places`).

    Parameters
    ----------
    places
        Where the places are. A confidential homes list needs ``resolution_m`` >= 5,000 and is moved to
        postcode-district centroids first.
    resolution_m
        Cell size, 100-10,000 metres.
    network
        A road network (:class:`~distance.network.RoadNetwork` or file): adds ``nearest_place_road_km``.
    max_snap_m
        Largest distance (metres) from a cell centre to the network for a road value.
    year
        Boundary vintage of the England outline.
    grid
        ``(mask, transform)`` from :func:`england_grid` at ``resolution_m``, when already computed.
    progress
        Called with the number of cells done after each chunk (for a progress bar).

    Raises
    ------
    InputError
        A resolution out of range (or finer than 5 km from a homes list), or no usable place.
    """
    res = check_resolution(resolution_m, confidential=bool(places.confidential))
    shown = places.districted()
    usable = shown.usable
    if usable.empty:
        raise InputError(f"no children's-home place to measure to ({shown.rule})")
    mask, transform = grid if grid is not None else england_grid(res, year=year)
    if mask.ndim != 2 or not np.isclose(transform.a, res):
        raise InputError(f"grid given at {transform.a:g} m for a {res:g} m surface")
    rows, cols = np.nonzero(mask)
    centres = np.c_[transform.c + (cols + 0.5) * res, transform.f - (rows + 0.5) * res]
    xy = usable[["easting", "northing"]].to_numpy(float)
    reps = np.nan_to_num(usable["places"].to_numpy(float), nan=0.0).round().astype(int)
    nearest_tree = cKDTree(xy)
    place_tree = cKDTree(np.repeat(xy, reps, axis=0)) if reps.sum() else None
    radius = OVER_MILES * METRES_PER_MILE
    nearest = np.empty(len(centres), np.float32)
    within = np.zeros(len(centres), np.float32)
    for a in range(0, len(centres), _CHUNK):
        part = centres[a:a + _CHUNK]
        nearest[a:a + _CHUNK] = nearest_tree.query(part, workers=-1)[0] / 1000.0
        if place_tree is not None:
            within[a:a + _CHUNK] = place_tree.query_ball_point(part, radius, workers=-1, return_length=True)
        if progress is not None:
            progress(len(part))
    values = {"nearest_place_straight_km": nearest, "places_within_20_miles": within}
    if network is not None:
        values["nearest_place_road_km"] = (nearest_by_road(usable, centres, network=network,
                                                           max_snap_m=max_snap_m) / 1000.0).astype(np.float32)
    bands = {}
    for name, v in values.items():
        band = np.full(mask.shape, np.nan, np.float32)
        band[rows, cols] = v
        bands[name] = band
    attribution = f"{PLACES_ATTRIBUTION} {_BOUNDARIES}" + (f" {OSM_ATTRIBUTION} (ODbL)." if network is not None else "")
    tags = {
        "title": "Distance to the nearest children's-home place, England",
        "attribution": attribution,
        "places": shown.rule,
        "units": "; ".join(f"{k}: {BAND_UNITS[k]}" for k in bands),
        "distance": "straight-line (grid, EPSG:27700)" + (
            f"; road (length of the quickest route on the given network, {DEFAULT_PROFILE} travel-time profile, "
            f"to places within {max_snap_m:,.0f} m of it)" if network is not None else ""),
        "miles": "20 miles = 32.187 km",
        "crs": "EPSG:27700 (British National Grid, metres)",
        "resolution_m": f"{res:g}",
        "nodata": f"{NODATA:g}: outside England" + ("; road band also off the network" if network is not None
                                                     else ""),
        "confidentiality": ("built from a confidential homes list: cells of at least 5 km, homes moved to their "
                            "postcode-district centroid" if places.confidential else
                            "built from public Ofsted lists (homes located by LA only)"),
        "software": "farfromhome",
    }
    band_tags = {k: {"measure": k, "units": BAND_UNITS[k],
                     "description": _DESCRIPTIONS[k].format(profile=DEFAULT_PROFILE)} for k in bands}
    logger.info("surface: %d x %d cells of %g m, %d in England, bands %s", mask.shape[1], mask.shape[0], res,
                len(centres), list(bands))
    return Surface(bands, transform, res, tags, band_tags)


def write_surface(surface: Surface, path: str | Path) -> Path:
    """Write ``surface`` as a tiled, deflate-compressed GeoTIFF (float32) with an overview pyramid and tags."""
    path = Path(path)
    if path.suffix.lower() not in (".tif", ".tiff"):
        raise InputError(f"{path}: the surface is written as a GeoTIFF; use a .tif file name")
    path.parent.mkdir(parents=True, exist_ok=True)
    height, width = surface.shape
    profile = {"driver": "GTiff", "dtype": "float32", "count": len(surface.bands), "width": width, "height": height,
               "crs": rasterio.crs.CRS.from_epsg(27700), "transform": surface.transform, "nodata": NODATA,
               "compress": "deflate", "predictor": 3, "tiled": True, "blockxsize": 256, "blockysize": 256,
               "BIGTIFF": "IF_SAFER"}
    factors = [f for f in (2, 4, 8, 16, 32, 64) if max(width, height) // f >= 64]
    with rasterio.open(path, "w", **profile) as dst:
        for i, (name, grid) in enumerate(surface.bands.items(), start=1):
            dst.write(np.where(np.isfinite(grid), grid, NODATA).astype(np.float32), i)
            dst.set_band_description(i, name)
            dst.update_tags(i, **surface.band_tags[name])
        dst.update_tags(**surface.tags)
        if factors:
            dst.build_overviews(factors, Resampling.average)
            dst.update_tags(ns="rio_overview", resampling="average")
    logger.info("wrote surface %s (%.1f MB, overviews %s)", path, path.stat().st_size / 1e6, factors)
    return path


def read_surface(path: str | Path) -> Surface:
    """Read a surface written by :func:`write_surface` (nodata as NaN)."""
    with rasterio.open(path) as src:
        if src.crs is None or src.crs.to_epsg() != 27700:
            raise InputError(f"{path}: expected a GeoTIFF in EPSG:27700, got {src.crs}")
        names = [d or f"band_{i}" for i, d in enumerate(src.descriptions, start=1)]
        bands = {n: src.read(i, masked=True).filled(np.nan).astype(np.float32) for i, n in enumerate(names, start=1)}
        tags = dict(src.tags())
        band_tags = {n: dict(src.tags(i)) for i, n in enumerate(names, start=1)}
        return Surface(bands, src.transform, float(src.res[0]), tags, band_tags)
