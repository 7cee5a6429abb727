"""Recipe for the simplified boundary GeoJSONs, from ONS's uk-topojson (BSC, 200 m) and DfE's LA list.

Pure pyogrio/shapely/pandas (no ``boundaries`` code), so it lives in ``geo``: read the topology's ``utla``,
``ltla`` and ``rgn`` layers, keep England, repair rings with ``shapely.make_valid`` (keeping polygonal parts
only), find each area's region (and each LAD's CTYUA) by spatial containment of a representative point,
add the DfE 3-digit LA number, and write RFC 7946 GeoJSON rounded to 5 decimal places (about 1 m).
"""

from __future__ import annotations

import logging
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely

from geo.crs import BNG, WGS84
from geo.derive import Recipe, register

logger = logging.getLogger(__name__)

__all__: list[str] = []

TOPOJSON = "boundaries/ons_uk_topojson_2014_2025_bsc.topo.json"
DFE_LAS = "lookups/dfe_las.csv"
_UPPER_TIER = ("E06", "E08", "E09", "E10")


def _build(inputs: dict[str, Path], out: Path) -> None:
    topo = inputs[TOPOJSON]
    regions_raw = _layer(topo, "rgn")
    regions_raw = regions_raw[regions_raw["areacd"].str.startswith("E12")]
    regions = gpd.GeoDataFrame({"region_code": regions_raw["areacd"].to_numpy(),
                                "region_name": regions_raw["areanm"].to_numpy()},
                               geometry=_clean(regions_raw.geometry.to_numpy()), crs=WGS84)
    _write(regions, out, "england_regions_bsc")

    dfe = pd.read_csv(inputs[DFE_LAS], dtype=str, keep_default_na=False)
    dfe_number: dict[str, str] = {}
    for new, old in zip(dfe["new_la_code"], dfe["old_la_code"], strict=True):
        for code, number in zip(new.split(" / "), old.split(" / "), strict=False):  # combined rows: "A / B"
            dfe_number.setdefault(code.strip(), number.strip())

    utla = _layer(topo, "utla")
    utla = utla[utla["areacd"].str[:3].isin(_UPPER_TIER)]
    for year in (2024, 2025, None):
        part = utla if year is None else utla[_valid_in(utla, year)]
        geom = _clean(part.geometry.to_numpy())
        props: dict[str, object] = {"ctyua_code": part["areacd"].to_numpy(), "ctyua_name": part["areanm"].to_numpy(),
                                    "la_type": part["areacd"].str[:3].to_numpy()}
        if year is None:
            props["start"] = pd.array(pd.to_numeric(part["start"], errors="coerce"), dtype="Int64")
            props["end"] = pd.array(pd.to_numeric(part["end"], errors="coerce"), dtype="Int64")
        props.update(_containing(geom, regions, ["region_code", "region_name"]))
        props["dfe_old_la_code"] = [dfe_number.get(c) for c in part["areacd"]]
        name = f"england_ctyua_{year}_bsc" if year else "england_ctyua_2014_2025_bsc"
        _write(gpd.GeoDataFrame(props, geometry=geom, crs=WGS84), out, name)

    ltla = _layer(topo, "ltla")
    ltla = ltla[ltla["areacd"].str.startswith("E") & _valid_in(ltla, 2024)]
    upper = utla[_valid_in(utla, 2024)]
    ctyua = gpd.GeoDataFrame({"ctyua_code": upper["areacd"].to_numpy(), "ctyua_name": upper["areanm"].to_numpy()},
                             geometry=_clean(upper.geometry.to_numpy()), crs=WGS84)
    geom = _clean(ltla.geometry.to_numpy())
    props = {"lad_code": ltla["areacd"].to_numpy(), "lad_name": ltla["areanm"].to_numpy(),
             **_containing(geom, ctyua, ["ctyua_code", "ctyua_name"]),
             **_containing(geom, regions, ["region_code", "region_name"])}
    _write(gpd.GeoDataFrame(props, geometry=geom, crs=WGS84), out, "england_lad_2024_bsc")


def _layer(path: Path, name: str) -> gpd.GeoDataFrame:
    return pyogrio.read_dataframe(path, layer=name).sort_values("areacd", kind="stable")


def _valid_in(frame: pd.DataFrame, year: int) -> pd.Series:
    start = pd.to_numeric(frame["start"], errors="coerce")
    end = pd.to_numeric(frame["end"], errors="coerce")
    return (start.isna() | (start <= year)) & (end.isna() | (end >= year))


def _clean(geoms: np.ndarray) -> list[shapely.MultiPolygon]:
    out = []
    for g in shapely.make_valid(np.asarray(geoms)):
        if g.geom_type == "GeometryCollection":  # keep polygonal parts (make_valid can add slivers of lines)
            g = shapely.union_all([p for p in shapely.get_parts(g) if p.geom_type in ("Polygon", "MultiPolygon")])
        out.append(shapely.MultiPolygon([g]) if g.geom_type == "Polygon" else g)
    return out


def _containing(geoms: list[shapely.MultiPolygon], areas: gpd.GeoDataFrame,
                columns: list[str]) -> dict[str, np.ndarray]:
    """Columns of the area containing each geometry's representative point (found in EPSG:27700)."""
    points = gpd.GeoSeries(geoms, crs=WGS84).to_crs(BNG).representative_point().to_crs(WGS84)
    joined = gpd.sjoin(gpd.GeoDataFrame(geometry=points.to_numpy(), crs=WGS84), areas, how="left", predicate="within")
    joined = joined[~joined.index.duplicated()]
    return {c: joined[c].to_numpy() for c in columns}


def _write(frame: gpd.GeoDataFrame, out: Path, name: str) -> None:
    path = out / "boundaries" / f"{name}.geojson"
    path.parent.mkdir(parents=True, exist_ok=True)
    pyogrio.write_dataframe(frame, path, driver="GeoJSON", layer=name,
                            layer_options={"RFC7946": "YES", "COORDINATE_PRECISION": 5})
    logger.info("%s: %d features", path.name, len(frame))


register(Recipe(
    name="ons_bsc_boundaries", originals=(), datasets=(TOPOJSON, DFE_LAS),
    steps=("ONS uk-topojson layers utla, ltla and rgn; England only (E06/E08/E09/E10 upper tier, E12 regions)",
           "areas valid in the vintage (start <= year <= end; blank = open-ended); 2014_2025 keeps every one",
           "shapely.make_valid, keeping polygonal parts; every geometry a MultiPolygon",
           "region (and a LAD's CTYUA) by containment of a representative point computed in EPSG:27700",
           "dfe_old_la_code from DfE's las.csv (combined rows 'A / B' split)",
           "RFC 7946 GeoJSON (WGS84), coordinates to 5 dp, by GDAL through pyogrio"),
    equality="byte-identical (with GDAL 3.12's GeoJSON writer; another GDAL may format numbers differently)",
    build=_build,
))
