"""Tests for provision.clustering: concentration measures and Moran's I / LISA on grids and real LAs."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from shapely.geometry import box

from geo.crs import BNG
from geo.errors import CRSError, InputError
from provision import clustering


def _grid(n: int, values, crs=BNG) -> gpd.GeoDataFrame:
    cells = [box(x * 1000, y * 1000, (x + 1) * 1000, (y + 1) * 1000) for y in range(n) for x in range(n)]
    idx = pd.Index([f"c{x}_{y}" for y in range(n) for x in range(n)], name="cell")
    return gpd.GeoDataFrame({"v": values}, geometry=cells, crs=crs, index=idx)


def test_checkerboard_is_strongly_negative_with_rook():
    n = 8
    board = [float((x + y) % 2) for y in range(n) for x in range(n)]
    res = clustering.morans_i(_grid(n, board), "v", contiguity="rook", permutations=199)
    assert res["morans_i"] == pytest.approx(-1.0)
    assert res["p_value"] <= 0.01


def test_stripes_are_negative_with_queen():
    n = 8  # alternating columns: 2 same-valued queen neighbours, up to 6 different ones
    stripes = [float(x % 2) for y in range(n) for x in range(n)]
    res = clustering.morans_i(_grid(n, stripes), "v", permutations=199)
    assert res["morans_i"] < -0.4
    assert res["p_value"] <= 0.01


def test_gradient_is_strongly_positive_and_lisa_finds_both_ends():
    n = 8
    gradient = [float(x + y) for y in range(n) for x in range(n)]
    g = _grid(n, gradient)
    res = clustering.morans_i(g, "v", permutations=199)
    assert res["morans_i"] > 0.8 and res["p_value"] <= 0.01
    local = clustering.lisa(g, "v", permutations=199)
    assert local.loc["c0_0", "lisa_cluster"] == "Low-Low"
    assert local.loc[f"c{n - 1}_{n - 1}", "lisa_cluster"] == "High-High"
    assert set(local["lisa_cluster"]) <= set(clustering.LISA_LABELS)


def test_seeded_results_repeat():
    rng = np.random.default_rng(1)
    g = _grid(6, rng.normal(size=36))
    a = clustering.morans_i(g, "v", permutations=99, seed=7)
    b = clustering.morans_i(g, "v", permutations=99, seed=7)
    assert a == b


def test_wrong_crs_and_bad_column_raise():
    g = _grid(3, [1.0] * 9, crs="EPSG:4326")
    with pytest.raises(CRSError):
        clustering.morans_i(g, "v")
    with pytest.raises(InputError, match="no column 'w'"):
        clustering.morans_i(_grid(3, [1.0] * 9), "w")
    with pytest.raises(InputError, match="contiguity must be"):
        clustering.morans_i(_grid(3, [1.0] * 9), "v", contiguity="bishop")


@settings(max_examples=30, deadline=None)
@given(st.lists(st.integers(min_value=0, max_value=50), min_size=2, max_size=40))
def test_hhi_and_gini_bounds(values):
    if sum(values) == 0:
        with pytest.raises(InputError):
            clustering.hhi(pd.Series(values))
        return
    h = clustering.hhi(pd.Series(values))
    assert 10_000 / len(values) - 1e-6 <= h <= 10_000 + 1e-6
    gval = clustering.gini(pd.Series(values))
    assert -1e-9 <= gval <= 1


def test_gini_extremes():
    assert clustering.gini(pd.Series([5, 5, 5, 5])) == pytest.approx(0)
    assert clustering.gini(pd.Series([0, 0, 0, 10])) == pytest.approx(0.75)
    assert clustering.hhi(pd.Series([0, 0, 10])) == pytest.approx(10_000)


def test_concentration_2018(mirror):
    c = clustering.concentration(2018).loc[2018]
    assert c["top3_regions"] == "North West, West Midlands, South East"
    assert c["top3_share_homes_pct"] == pytest.approx(54.5, abs=0.05)
    assert c["london_share_homes_pct"] == pytest.approx(5.3, abs=0.05)
    assert c["england_homes"] == 2124


def test_spatial_clustering_real_2024(mirror):
    res = clustering.spatial_clustering(2024, permutations=199)
    assert len(res) == 153
    assert res.attrs["morans_i"] > 0.3 and res.attrs["p_value"] < 0.01
    # inner London is a cold spot of places per child; the islands have no neighbours
    assert res.loc["E09000007", "lisa_cluster"] == "Low-Low"
    assert res.loc["E06000053", "lisa_cluster"] == "no neighbours"
    assert set(res["lisa_cluster"]) <= set(clustering.LISA_LABELS) | {"no neighbours", "no data"}


def test_series_years_and_errors(mirror):
    with pytest.raises(InputError, match="is after"):
        clustering.concentration_series(2020, 2018)
    with pytest.raises(InputError, match="available years: 2014–2025"):
        clustering.concentration_series(2012, 2014)
    with pytest.raises(InputError, match="before 2016"):
        clustering.spatial_clustering(2015)
