"""Tests for distance.road's matrix and nearest-by-road: the quickest route's length, as road_distances gives it."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from distance.network import RoadNetwork, build_network
from distance.road import road_distances, road_matrix, road_nearest, snap_to_edges, within_reach
from geo.catalogue import data_path
from geo.errors import InputError

COLS = ["home_easting", "home_northing", "pl_easting", "pl_northing"]
FAR = (400_000.0, 300_000.0)  # Birmingham-way: tens of km outside the Rutland extract


@pytest.fixture(scope="module")
def rutland(mirror: Path, tmp_path_factory: pytest.TempPathFactory) -> RoadNetwork:
    return build_network(mirror / "roads" / "rutland-2022-07.osm.pbf",
                         cache_dir=tmp_path_factory.getbasetemp() / "networks")


@pytest.fixture(scope="module")
def postcodes() -> np.ndarray:
    """Forty real Rutland unit postcodes (Code-Point Open 2025.4, EPSG:27700 metres), a fixed sample."""
    units = pd.read_csv(data_path("postcodes/codepoint_open_2025_4/le.csv.gz"))
    rutland = units[units["ctyua_code"].eq("E06000017")]
    return rutland.sample(40, random_state=3)[["easting", "northing"]].to_numpy(float)


def _pairs(origins: np.ndarray, targets: np.ndarray) -> pd.DataFrame:
    return pd.DataFrame([(*o, *t) for o in origins for t in targets], columns=COLS)


@pytest.mark.parametrize("method", ["auto", "scipy"])
def test_matrix_equals_road_distances_row_by_row(rutland: RoadNetwork, postcodes: np.ndarray, method: str) -> None:
    origins = np.r_[postcodes[:3] if method == "scipy" else postcodes[:12], [FAR], [[np.nan, np.nan]]]
    targets = np.r_[postcodes[-7:], [postcodes[0] + 5.0], [FAR]]  # one target a few metres from an origin
    length, secs = road_matrix(origins, targets, network=rutland, method=method)
    assert length.shape == secs.shape == (len(origins), len(targets))
    pairs = road_distances(_pairs(origins, targets), network=rutland, method=method, fallback=None)
    brute_km = pairs["road_distance_km"].to_numpy().reshape(length.shape)
    brute_min = pairs["road_time_min"].to_numpy().reshape(length.shape)
    np.testing.assert_allclose(length / 1000, brute_km, rtol=1e-9)  # NaN in the same places
    np.testing.assert_allclose(secs / 60, brute_min, rtol=1e-9)
    # the point off the network and the unknown one have no distance, to or from anything
    assert np.isnan(length[-2:]).all() and np.isnan(length[:, -1]).all() and np.isnan(secs[-2:]).all()
    measured = length[:-2, :-1]
    assert np.isfinite(measured).all()
    straight = np.hypot(origins[:-2, None, 0] - targets[None, :-1, 0], origins[:-2, None, 1] - targets[None, :-1, 1])
    assert (measured >= straight - 1e-6).all()  # road >= straight line, access legs included


def test_matrix_follows_the_profile(rutland: RoadNetwork, postcodes: np.ndarray) -> None:
    typical, t_secs = road_matrix(postcodes[:5], postcodes[5:9], network=rutland)
    free, f_secs = road_matrix(postcodes[:5], postcodes[5:9], network=rutland, profile="free-flow")
    assert (f_secs < t_secs).all()  # the typical profile is slower on every trip of this size
    pairs = road_distances(_pairs(postcodes[:5], postcodes[5:9]), network=rutland, profile="free-flow")
    np.testing.assert_allclose(free / 1000, pairs["road_distance_km"].to_numpy().reshape(free.shape), rtol=1e-9)


@pytest.mark.parametrize("k", [1, 3, 8])
def test_nearest_is_the_minimum_over_the_full_matrix(rutland: RoadNetwork, postcodes: np.ndarray, k: int) -> None:
    rng = np.random.default_rng(11)
    lo, hi = np.array([rutland.x.min(), rutland.y.min()]), np.array([rutland.x.max(), rutland.y.max()])
    points = np.r_[rng.uniform(lo, hi, (150, 2)), [FAR], [[np.nan, 1.0]], postcodes[:2]]
    targets = np.r_[postcodes, [FAR]]
    length, secs, index = road_nearest(points, targets, network=rutland, k=k)
    full, full_secs = road_matrix(points, targets, network=rutland)
    with np.errstate(all="ignore"):
        best = np.nanmin(np.where(np.isnan(full), np.inf, full), axis=1)
    best = np.where(np.isfinite(best), best, np.nan)
    np.testing.assert_allclose(length, best, rtol=1e-12)  # exact: never a farther place, whatever k
    on = np.isfinite(length)
    assert on.sum() > 50 and not on[len(points) - 4:len(points) - 2].any()  # far and unknown points: NaN
    np.testing.assert_array_equal(index[~on], -1)
    rows = np.flatnonzero(on)
    np.testing.assert_allclose(full[rows, index[rows]], length[rows], rtol=1e-12)  # the index is that place's
    np.testing.assert_allclose(full_secs[rows, index[rows]], secs[rows], rtol=1e-12)  # and the time its route's
    assert (index[on] != len(targets) - 1).all()  # the target off the network is never the nearest


def test_within_reach(rutland: RoadNetwork, postcodes: np.ndarray) -> None:
    reach = within_reach(np.r_[postcodes[:2], [FAR], [[np.nan, np.nan]]], network=rutland)
    np.testing.assert_array_equal(reach, [True, True, False, False])
    # the limit is the distance to the nearest point of the nearest edge (not to a node), either side of it
    point = np.array([[rutland.x[0] + 230.0, rutland.y[0] - 170.0]])
    d = float(snap_to_edges(point, network=rutland).snap_m[0])
    assert within_reach(point, network=rutland, max_snap_m=d + 0.5).all()
    assert not within_reach(point, network=rutland, max_snap_m=d - 0.5).any()
    length, _ = road_matrix(point, postcodes[:2], network=rutland, max_snap_m=d - 0.5)
    assert np.isnan(length).all()


def test_points_and_targets_off_the_network(rutland: RoadNetwork, postcodes: np.ndarray) -> None:
    length, secs, index = road_nearest(postcodes[:3], [FAR], network=rutland)
    assert np.isnan(length).all() and np.isnan(secs).all() and (index == -1).all()
    m, t = road_matrix(postcodes[:3], np.empty((0, 2)), network=rutland)
    assert m.shape == t.shape == (3, 0)
    m, t = road_matrix(np.empty((0, 2)), postcodes[:2], network=rutland)
    assert m.shape == (0, 2)


def test_bad_input_is_one_line(rutland: RoadNetwork, postcodes: np.ndarray) -> None:
    with pytest.raises(InputError, match=r"targets_xy is empty: the nearest by road needs at least one target"):
        road_nearest(postcodes[:3], np.empty((0, 2)), network=rutland)
    with pytest.raises(InputError, match=r"origins_xy must be an \(n, 2\) array of easting, northing .*shape \(3, 3\)"):
        road_matrix(np.ones((3, 3)), postcodes[:2], network=rutland)
    with pytest.raises(InputError, match=r"points_xy must be an \(n, 2\) array of easting, northing numbers"):
        road_nearest([["a", "b"]], postcodes[:2], network=rutland)
    with pytest.raises(InputError, match="max_snap_m must be a positive number of metres; got 0"):
        road_matrix(postcodes[:2], postcodes[:2], network=rutland, max_snap_m=0)
    with pytest.raises(InputError, match="unknown travel-time profile 'rush-hour'"):
        road_nearest(postcodes[:2], postcodes[:2], network=rutland, profile="rush-hour")
    with pytest.raises(InputError, match="k must be a whole number of targets, at least 1; got 0"):
        road_nearest(postcodes[:2], postcodes[:2], network=rutland, k=0)
