"""The nearest-place surface: GeoTIFF round trip, cell values against direct queries, nodata and limits."""

from __future__ import annotations

import numpy as np
import pytest
import rasterio

from distance.straight import METRES_PER_MILE
from geo.errors import InputError


@pytest.fixture(scope="module")
def public(mirror):
    from provision.sufficiency import public_places

    return public_places(2024, rule="sample", seed=2)


@pytest.fixture(scope="module")
def surface_5km(public):
    from provision.surface import nearest_place_surface

    return nearest_place_surface(public, resolution_m=5000)


def test_geotiff_round_trip_keeps_transform_crs_nodata_tags_and_overviews(surface_5km, tmp_path):
    from provision.surface import NODATA, read_surface, write_surface

    path = write_surface(surface_5km, tmp_path / "nearest.tif")
    with rasterio.open(path) as src:
        assert src.crs.to_epsg() == 27700
        assert src.transform == surface_5km.transform and src.res == (5000.0, 5000.0)
        assert src.nodata == NODATA and src.dtypes == ("float32", "float32")
        assert src.descriptions == ("nearest_place_straight_km", "places_within_20_miles")
        assert src.tags(1)["units"] == "km" and src.tags(2)["units"] == "registered places"
        tags = src.tags()
        assert "Contains OS data © Crown copyright" in tags["attribution"] and "Ofsted" in tags["attribution"]
        assert "randomly drawn" in tags["places"] and tags["resolution_m"] == "5000"
        assert "straight-line" in tags["distance"] and "km" in tags["units"]
        assert src.overviews(1) == [2]
        raw = src.read(1)
        assert (raw[~np.isfinite(surface_5km.bands["nearest_place_straight_km"])] == NODATA).all()
    back = read_surface(path)
    for name, band in surface_5km.bands.items():
        np.testing.assert_array_equal(back.bands[name], band)
    assert back.transform == surface_5km.transform and back.tags["places"] == surface_5km.tags["places"]


def test_cells_equal_a_direct_nearest_neighbour_query(surface_5km, public):
    band = surface_5km.bands["nearest_place_straight_km"]
    count = surface_5km.bands["places_within_20_miles"]
    rows, cols = np.nonzero(np.isfinite(band))
    pick = np.random.default_rng(0).choice(len(rows), 1000, replace=False)
    t, res = surface_5km.transform, surface_5km.resolution_m
    x = t.c + (cols[pick] + 0.5) * res
    y = t.f - (rows[pick] + 0.5) * res
    pts = public.usable[["easting", "northing"]].to_numpy(float)
    d = np.hypot(x[:, None] - pts[None, :, 0], y[:, None] - pts[None, :, 1])
    np.testing.assert_allclose(band[rows[pick], cols[pick]], d.min(axis=1) / 1000.0, rtol=1e-6)
    places = np.nan_to_num(public.usable["places"].to_numpy(float))
    expected = ((d <= 20 * METRES_PER_MILE) * places[None, :]).sum(axis=1)
    np.testing.assert_array_equal(count[rows[pick], cols[pick]], expected)


def test_nodata_outside_england_and_the_land_cell_count(surface_5km):
    band = surface_5km.bands["nearest_place_straight_km"]
    land = np.isfinite(band)
    assert 130_000 * 0.97 < land.sum() * 25 < 130_000 * 1.03  # England is about 130,300 km²
    t = surface_5km.transform
    col, row = ~t @ (200_000, 1_000_000)  # the sea off Scotland's west coast: outside England's bounds
    assert not (0 <= row < band.shape[0] and 0 <= col < band.shape[1] and land[int(row), int(col)])
    col, row = ~t @ (130_000, 40_000)  # the Channel, south-west of Cornwall
    assert not land[int(row), int(col)]
    col, row = ~t @ (388_000, 390_000)  # Stockport
    assert land[int(row), int(col)] and band[int(row), int(col)] < 10


@pytest.mark.parametrize(("resolution", "confidential", "message"), [
    (50, False, r"^--resolution 50: cells must be 100 m to 10,000 m \(10 km\)$"),
    (20_000, False, r"^--resolution 20000: cells must be 100 m to 10,000 m \(10 km\)$"),
    (1000, True, r"^--resolution 1000: a surface built from a confidential homes list must have cells of at least "
                 r"5,000 m"),
])
def test_resolution_limits_are_one_line_errors(resolution, confidential, message):
    from provision.surface import check_resolution

    with pytest.raises(InputError, match=message):
        check_resolution(resolution, confidential=confidential)


def test_confidential_places_need_5_km_cells_and_are_districted(public):
    from dataclasses import replace

    from provision.surface import nearest_place_surface

    secret = replace(public, confidential=True)
    with pytest.raises(InputError, match="confidential homes list"):
        nearest_place_surface(secret, resolution_m=1000)


def test_road_band_is_never_shorter_than_the_straight_line(mirror, public):
    from distance.network import build_network
    from provision.surface import nearest_place_surface

    net = build_network(mirror / "roads" / "rutland-2022-07.osm.pbf")
    s = nearest_place_surface(public, resolution_m=2000, network=net)
    road, straight = s.bands["nearest_place_road_km"], s.bands["nearest_place_straight_km"]
    on = np.isfinite(road)
    assert 100 < on.sum() < 1000  # Rutland's cells only (about 400 km²)
    assert (road[on] >= straight[on] - 1e-3).all()
    assert "OpenStreetMap" in s.tags["attribution"] and "road" in s.tags["distance"]
