"""CRS helpers: BNG checks and the 27700 <-> 4326 round trip."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from shapely.geometry import Point

from geo.crs import BNG, bng_to_wgs84, check_bng, to_display, wgs84_to_bng
from geo.errors import CRSError


@given(st.floats(90_000, 660_000), st.floats(10_000, 1_200_000))  # Great Britain
def test_round_trip_is_sub_millimetre(e, n):
    lon, lat = bng_to_wgs84(e, n)
    e2, n2 = wgs84_to_bng(lon, lat)
    assert abs(e2 - e) < 1e-3 and abs(n2 - n) < 1e-3


def test_known_point():
    # SW1A 2AA from Code-Point Open: 530047, 179951 -> 51.50354, -0.127695 (PROVENANCE-geography.md)
    lon, lat = bng_to_wgs84(530047, 179951)
    assert float(lat) == pytest.approx(51.50354, abs=2e-4) and float(lon) == pytest.approx(-0.127695, abs=2e-4)


def test_check_bng():
    ok = gpd.GeoDataFrame(geometry=[Point(1, 2)], crs=27700)
    check_bng(ok)
    with pytest.raises(CRSError, match="placements has no CRS; expected EPSG:27700"):
        check_bng(gpd.GeoDataFrame(geometry=[Point(1, 2)]), name="placements")
    with pytest.raises(CRSError, match="is in EPSG:4326; expected EPSG:27700"):
        check_bng(ok.to_crs(4326))


def test_to_display_does_not_mutate():
    ok = gpd.GeoDataFrame(geometry=[Point(530047, 179951)], crs=BNG)
    shown = to_display(ok)
    assert shown.crs.to_epsg() == 4326 and ok.crs == BNG
    assert np.isclose(shown.geometry.y.iloc[0], 51.5035, atol=1e-3)
