"""LA and region polygons for a year, from ONS's generalised (BSC, 200 m) boundaries, in EPSG:27700."""

from __future__ import annotations

import logging
from functools import lru_cache

import geopandas as gpd
import shapely

from boundaries.codes import TOPOJSON, check_year, la_lookup
from geo.catalogue import data_path
from geo.crs import BNG, WGS84
from geo.settings import LA_VINTAGE

logger = logging.getLogger(__name__)

__all__ = ["load_las", "load_regions"]


@lru_cache(maxsize=1)
def _utla_polygons() -> gpd.GeoDataFrame:
    raw = gpd.read_file(data_path(TOPOJSON), layer="utla")
    raw = raw[raw["areacd"].str[:3].isin(["E06", "E08", "E09", "E10"])]
    geom = shapely.make_valid(raw.geometry.values)
    # keep polygonal parts only (make_valid can return collections with slivers of lines)
    geom = [shapely.union_all([p for p in shapely.get_parts(g) if p.geom_type in ("Polygon", "MultiPolygon")])
            for g in geom]
    out = gpd.GeoDataFrame({"la_code": raw["areacd"].to_numpy()}, geometry=geom, crs=WGS84).to_crs(BNG)
    out["geometry"] = shapely.make_valid(out.geometry.values)
    return out.set_index("la_code")


def load_las(*, year: int = LA_VINTAGE) -> gpd.GeoDataFrame:
    """England's upper-tier local authorities (children's services) in force in ``year``.

    Parameters
    ----------
    year
        Boundary vintage, 2014–2025 (the geography in force from April of that year).

    Returns
    -------
    geopandas.GeoDataFrame
        Indexed by ``la_code`` (ONS code of that vintage) with ``la_name``, ``dfe_la_number`` (3-digit
        string), ``region_code``, ``region_name``; polygons in EPSG:27700 (metres), generalised to 200 m
        (good for maps, not for exact point-in-polygon near borders). 152–153 rows depending on the year
        (153 from 2023).
    """
    check_year(year)
    lk = la_lookup()
    valid = lk[(lk["first_year"] <= year) & (lk["last_year"] >= year)].set_index("la_code")
    polys = _utla_polygons()
    out = gpd.GeoDataFrame(
        valid[["la_name", "dfe_la_number", "region_code", "region_name"]],
        geometry=polys.geometry.reindex(valid.index), crs=BNG,
    )
    out.index.name = "la_code"
    logger.info("loaded %d LA boundaries for %d", len(out), year)
    return out


def load_regions(*, year: int = LA_VINTAGE) -> gpd.GeoDataFrame:
    """England's 9 regions, as the union of their LAs' polygons in ``year`` (EPSG:27700).

    Returns
    -------
    geopandas.GeoDataFrame
        Indexed by ``region_code`` (E12…) with ``region_name``; polygons in EPSG:27700.
    """
    las = load_las(year=year)
    regions = las.dissolve(by="region_code", aggfunc={"region_name": "first"})
    regions["geometry"] = shapely.make_valid(regions.geometry.values)
    return regions[["region_name", "geometry"]]
