"""Tests for distance.backbone: the SRN graph, known national trips, accuracy, statuses."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from distance import backbone as bb
from distance.network import build_network
from geo.errors import InputError, MissingColumnsError

COLS = ["home_easting", "home_northing", "pl_easting", "pl_northing"]


def _districts() -> pd.DataFrame:
    from geo.catalogue import data_path

    return pd.read_csv(data_path("postcodes/postcode_districts_gb_codepoint_2025_4.csv"),
                       index_col="postcode_district")


def test_srn_graph_loads_strongly_connected(mirror: Path) -> None:
    back = bb.load_backbone()
    assert back.n_junctions == 1108
    assert np.isfinite(back.dist_m).all()  # strongly connected: every junction reaches every other
    assert (back.dist_m[~np.eye(back.n_junctions, dtype=bool)] > 0).all()
    # the circuity factor is applied: no path is shorter than the straight line between its junctions
    dx = back.x[:, None] - back.x[None, :]
    dy = back.y[:, None] - back.y[None, :]
    assert (back.dist_m >= np.hypot(dx, dy) * 0.999).all()


@pytest.mark.parametrize(("home", "placement", "real_km"), [
    ("SK1", "LS1", 80.0),    # Stockport -> Leeds, M60/M62
    ("M1", "HA9", 320.0),    # Manchester -> Wembley, M6/M1
    ("BS1", "NP20", 45.0),   # Bristol -> Newport, M4 over the Severn
    ("CA1", "NE1", 95.0),    # Carlisle -> Newcastle, A69
])
def test_known_trips_within_35_percent(mirror: Path, home: str, placement: str, real_km: float) -> None:
    d = _districts()
    frame = pd.DataFrame([[d.at[home, "easting"], d.at[home, "northing"], d.at[placement, "easting"],
                           d.at[placement, "northing"]]], columns=COLS)
    out = bb.backbone_distances(frame)
    assert out["road_status"].iloc[0] == "ok"
    assert out["road_distance_km"].iloc[0] == pytest.approx(real_km, rel=0.35)
    assert 0.4 < out["road_distance_km"].iloc[0] / out["road_time_min"].iloc[0] * 60 / 80 < 1.5  # 32-120 km/h


def test_documented_limitation_hull_grimsby(mirror: Path) -> None:
    """The Humber Bridge (A15) is not SRN: the SRN route (133 km) is capped at 1.35 × straight (34 km; real ~53)."""
    d = _districts()
    frame = pd.DataFrame([[d.at["HU1", "easting"], d.at["HU1", "northing"], d.at["DN31", "easting"],
                           d.at["DN31", "northing"]]], columns=COLS)
    out = bb.backbone_distances(frame)
    assert out["road_method"].iloc[0] == "capped"
    assert out["road_distance_km"].iloc[0] == pytest.approx(34.1, abs=1.0)


@settings(max_examples=50, deadline=None)
@given(st.lists(st.tuples(st.floats(150_000, 650_000), st.floats(50_000, 650_000),
                          st.floats(150_000, 650_000), st.floats(50_000, 650_000)), min_size=1, max_size=30))
def test_backbone_at_least_straight_line(rows: list[tuple[float, float, float, float]]) -> None:
    frame = pd.DataFrame(rows, columns=COLS)
    out = bb.backbone_distances(frame)
    straight = np.hypot(frame.pl_easting - frame.home_easting, frame.pl_northing - frame.home_northing) / 1000
    ok = out["road_status"] == "ok"
    assert (out.loc[ok, "road_distance_km"] >= straight[ok] * (1 - 1e-9)).all()
    assert out.loc[ok, "road_method"].isin(["direct", "backbone", "capped"]).all()


def test_accuracy_against_a_full_network(mirror: Path, tmp_path_factory: pytest.TempPathFactory) -> None:
    """The backbone is for national patterns: within 10% for half the trips, 25% for nine in ten, unbiased."""
    net = build_network(mirror / "roads" / "rutland-2022-07.osm.pbf",
                        cache_dir=tmp_path_factory.getbasetemp() / "networks")
    acc = bb.accuracy_vs_network(net, n_pairs=3000)
    assert acc["pairs"] == 3000
    assert acc["median_rel_error"] < 0.10
    assert acc["p90_rel_error"] < 0.25
    assert abs(acc["median_bias"]) < 0.05


def test_statuses_and_errors(mirror: Path) -> None:
    frame = pd.DataFrame([[389_000, 390_000, 389_000, 390_000],      # same point
                          [np.nan, np.nan, 389_000, 390_000],       # no location
                          [446_000, 1_150_000, 389_000, 390_000]],  # Shetland: far from any SRN junction
                         columns=COLS, index=[7, 8, 9])
    out = bb.backbone_distances(frame)
    assert list(out.index) == [7, 8, 9]
    assert out["road_status"].tolist() == ["same_node", "off_network", "off_network"]
    assert out.loc[7, "road_distance_km"] == 0
    assert out.loc[[8, 9], "road_distance_km"].isna().all()
    with pytest.raises(MissingColumnsError, match="'home_easting'"):
        bb.backbone_distances(frame.drop(columns="home_easting"))
    with pytest.raises(InputError, match="n_junctions must be at least 1"):
        bb.backbone_distances(frame, n_junctions=0)
