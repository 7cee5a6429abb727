"""Tests for distance.road: Oakham→Uppingham, road ≥ straight line, statuses, errors, the CLI."""

from __future__ import annotations

from pathlib import Path

import networkx as nx
import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

import geo.cli
from distance.network import RoadNetwork, build_network, save_network
from distance.road import STATUSES, road_distances
from geo.catalogue import data_path
from geo.errors import CRSError, InputError, MissingColumnsError, NetworkError

COLS = ["home_easting", "home_northing", "pl_easting", "pl_northing"]


@pytest.fixture(scope="module")
def rutland(mirror: Path, tmp_path_factory: pytest.TempPathFactory) -> RoadNetwork:
    return build_network(mirror / "roads" / "rutland-2022-07.osm.pbf",
                         cache_dir=tmp_path_factory.getbasetemp() / "networks")


def _sector(code: str) -> tuple[float, float]:
    sectors = pd.read_csv(data_path("postcodes/postcode_sectors_gb_codepoint_2025_4.csv"), index_col="postcode_sector")
    return float(sectors.at[code, "easting"]), float(sectors.at[code, "northing"])


def _frame(rows: list[tuple[float, float, float, float]], index: list[object] | None = None) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=COLS, index=index)


def test_oakham_to_uppingham(rutland: RoadNetwork) -> None:
    oakham, uppingham = _sector("LE15 6"), _sector("LE15 9")
    out = road_distances(_frame([(*oakham, *uppingham), (*uppingham, *oakham)]), network=rutland)
    assert (out["road_status"] == "ok").all()
    # the A6003 is about 10.3 km; both directions agree within a few hundred metres
    assert out["road_distance_km"].tolist() == pytest.approx([10.3, 10.3], abs=0.5)
    assert out["road_time_min"].between(7, 16).all()
    straight = np.hypot(oakham[0] - uppingham[0], oakham[1] - uppingham[1]) / 1000
    assert (out["road_distance_km"] > straight).all()


def test_statuses_index_and_input_untouched(rutland: RoadNetwork) -> None:
    oakham, uppingham = _sector("LE15 6"), _sector("LE15 9")
    frame = _frame([(*oakham, *uppingham), (*oakham, oakham[0] + 3, oakham[1]), (np.nan, np.nan, *oakham),
                    (*oakham, 400_000.0, 300_000.0)], index=["a", "b", "c", "d"])
    frame["child"] = ["x1", "x2", "x3", "x4"]
    before = frame.copy()
    out = road_distances(frame, network=rutland)
    pd.testing.assert_frame_equal(frame, before)
    assert list(out.index) == ["a", "b", "c", "d"]
    assert out["road_status"].tolist() == ["ok", "same_node", "off_network", "off_network"]
    assert list(out["road_status"].cat.categories) == list(STATUSES)
    assert out.loc["b", "road_distance_km"] == pytest.approx(0.003)  # same node: the straight line
    assert out.loc[["c", "d"], ["road_distance_km", "road_time_min"]].isna().all().all()
    assert out.loc["d", "pl_snap_m"] > 2000
    # a larger snap distance brings the Leicestershire point back on (nearest Rutland node)
    wide = road_distances(frame.loc[["d"]], network=rutland, max_snap_m=1_000_000)
    assert wide["road_status"].tolist() == ["ok"]


def test_unreachable_is_nan_not_zero() -> None:
    x = np.array([0.0, 100, 50, 5000, 5100, 5050])
    y = np.array([0.0, 0, 80, 0, 0, 80])
    tail, head = np.array([0, 1, 2, 3, 4, 5]), np.array([1, 2, 0, 4, 5, 3])
    length = np.hypot(x[tail] - x[head], y[tail] - y[head])
    net = RoadNetwork(x=x, y=y, osmid=np.arange(6), tail=tail, head=head, length_m=length, time_s=length / 10)
    out = road_distances(_frame([(0, 0, 5000, 0), (0, 0, 100, 0)]), network=net)
    assert out["road_status"].tolist() == ["unreachable", "ok"]
    assert np.isnan(out["road_distance_km"].iloc[0]) and np.isnan(out["road_time_min"].iloc[0])
    assert out["road_distance_km"].iloc[1] == pytest.approx(0.1)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.tuples(st.floats(478_000, 500_000), st.floats(296_000, 318_000),
                          st.floats(478_000, 500_000), st.floats(296_000, 318_000)), min_size=1, max_size=20))
def test_road_at_least_straight_line(rutland: RoadNetwork, rows: list[tuple[float, float, float, float]]) -> None:
    out = road_distances(_frame(rows), network=rutland)
    straight = np.hypot(out["pl_easting"] - out["home_easting"], out["pl_northing"] - out["home_northing"]) / 1000
    done = out["road_status"].isin(["ok", "same_node"])
    assert (out.loc[done, "road_distance_km"] >= straight[done] - 1e-9).all()
    assert out.loc[~done, "road_distance_km"].isna().all()
    assert np.isfinite(out.loc[done, "road_distance_km"]).all()


def test_errors(rutland: RoadNetwork) -> None:
    with pytest.raises(MissingColumnsError, match="missing column.*'pl_northing'"):
        road_distances(pd.DataFrame({"home_easting": [1], "home_northing": [1], "pl_easting": [1]}), network=rutland)
    with pytest.raises(InputError, match="max_snap_m must be a positive"):
        road_distances(_frame([(1, 1, 2, 2)]), network=rutland, max_snap_m=0)
    wgs = nx.MultiDiGraph(crs="EPSG:4326")
    wgs.add_edge(1, 2, length=10.0)
    with pytest.raises(CRSError, match="EPSG:4326; expected EPSG:27700"):
        road_distances(_frame([(1, 1, 2, 2)]), network=wgs)
    empty = RoadNetwork(x=np.zeros(0), y=np.zeros(0), osmid=np.zeros(0), tail=np.zeros(0), head=np.zeros(0),
                        length_m=np.zeros(0), time_s=np.zeros(0))
    with pytest.raises(NetworkError, match="empty"):
        road_distances(_frame([(1, 1, 2, 2)]), network=empty)
    with pytest.raises(InputError, match="RoadNetwork, an osmnx graph or a file path"):
        road_distances(_frame([(1, 1, 2, 2)]), network=42)  # type: ignore[arg-type]


def test_cli_distances(rutland: RoadNetwork, tmp_path: Path) -> None:
    net = save_network(rutland, tmp_path / "rutland.npz")
    oakham, uppingham = _sector("LE15 6"), _sector("LE15 9")
    placements = tmp_path / "placements_synthetic.csv"
    _frame([(*oakham, *uppingham), (*oakham, 400_000.0, 300_000.0), (*oakham, *oakham)]).to_csv(placements)
    runner = CliRunner()
    out = tmp_path / "road.csv"
    res = runner.invoke(geo.cli.app, ["distances", "--placements", str(placements), "--network", str(net),
                                      "--out", str(out)])
    assert res.exit_code == 0, res.output
    assert "off_network" in res.output and "SYNTHETIC" in res.output and "OpenStreetMap" in res.output
    table = pd.read_csv(out, index_col=0)
    assert table["road_status"].tolist() == ["ok", "off_network", "same_node"]
    res = runner.invoke(geo.cli.app, ["distances", "--placements", str(placements), "--network", "backbone",
                                      "--out", str(tmp_path / "bb.parquet")])
    assert res.exit_code == 0, res.output
    assert pd.read_parquet(tmp_path / "bb.parquet")["road_method"].iloc[0] == "direct"
    res = runner.invoke(geo.cli.app, ["distances", "--placements", str(tmp_path / "none.csv"), "--network", "backbone"])
    assert res.exit_code == 1 and "does not exist" in res.output
    bad = tmp_path / "bad.csv"
    pd.DataFrame({"a": [1]}).to_csv(bad, index=False)
    res = runner.invoke(geo.cli.app, ["distances", "--placements", str(bad), "--network", str(net)])
    assert res.exit_code == 1 and "missing column" in res.output
