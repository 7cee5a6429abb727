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
from distance.road import STATUSES, road_distances, snap_to_edges
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
    out = road_distances(_frame([(*oakham, *uppingham), (*uppingham, *oakham)]), network=rutland, shortest=True)
    assert (out["road_status"] == "ok").all()
    # town centre to town centre by the A6003 is about 10.5 km and 12 minutes by car; the quickest route is
    # never shorter than the shortest one
    assert out["road_distance_km"].between(10.0, 12.5).all()
    assert out["road_time_min"].between(10, 18).all()
    assert (out["road_shortest_km"] <= out["road_distance_km"] + 1e-9).all()
    assert out.attrs["road_distance"] == "length of the quickest route (km)" and out.attrs["road_profile"] == "typical"
    straight = np.hypot(oakham[0] - uppingham[0], oakham[1] - uppingham[1]) / 1000
    assert (out["road_distance_km"] > straight).all()
    free = road_distances(_frame([(*oakham, *uppingham)]), network=rutland, profile="free-flow")
    assert free["road_time_min"].iloc[0] < out["road_time_min"].iloc[0]  # the typical profile is slower


def test_statuses_index_and_input_untouched(rutland: RoadNetwork) -> None:
    oakham, uppingham = _sector("LE15 6"), _sector("LE15 9")
    frame = _frame([(*oakham, *uppingham), (*oakham, oakham[0] - 3, oakham[1]), (np.nan, np.nan, *oakham),
                    (*oakham, 400_000.0, 300_000.0)], index=["a", "b", "c", "d"])
    frame["child"] = ["x1", "x2", "x3", "x4"]
    before = frame.copy()
    out = road_distances(frame, network=rutland, fallback=None)
    pd.testing.assert_frame_equal(frame, before)
    assert list(out.index) == ["a", "b", "c", "d"]
    assert out["road_status"].tolist() == ["ok", "ok", "off_network", "off_network"]
    assert list(out["road_status"].cat.categories) == list(STATUSES) == ["ok", "off_network", "unreachable"]
    # 3 m apart beside one road (a one-way street, driven its way): both legs to the road and 3 m along it
    legs = out.loc["b", "home_snap_m"] + out.loc["b", "pl_snap_m"]
    assert out.loc["b", "road_distance_km"] * 1000 == pytest.approx(legs + 3.0, abs=0.5)
    assert out.loc[["c", "d"], ["road_distance_km", "road_time_min"]].isna().all().all()
    assert out.loc["d", "pl_snap_m"] > 2000
    assert out["road_source"].tolist() == ["network", "network", "none", "none"]
    # a larger snap distance brings the Leicestershire point back on (nearest Rutland node)
    wide = road_distances(frame.loc[["d"]], network=rutland, max_snap_m=1_000_000, fallback=None)
    assert wide["road_status"].tolist() == ["ok"]
    assert wide["road_source"].tolist() == ["network"]


def test_rows_beyond_the_network_fall_back_to_the_backbone(rutland: RoadNetwork,
                                                           caplog: pytest.LogCaptureFixture) -> None:
    from distance.backbone import backbone_distances
    from distance.road_summary import road_source_summary

    oakham, uppingham = _sector("LE15 6"), _sector("LE15 9")
    leeds, cardiff = _sector("LS1 4"), _sector("CF10 1")
    frame = _frame([(*oakham, *uppingham), (*oakham, *leeds), (*cardiff, *oakham), (np.nan, np.nan, *oakham)],
                   index=["local", "leeds", "wales", "unknown"])
    out = road_distances(frame, network=rutland)
    assert out["road_source"].tolist() == ["network", "backbone", "backbone", "none"]
    assert list(out["road_source"].cat.categories) == ["network", "backbone", "none"]
    assert out["road_status"].tolist() == ["ok", "ok", "ok", "off_network"]
    assert out.loc["local", "road_method"] == "network"
    assert out.loc[["leeds", "wales"], "road_method"].isin(["direct", "backbone", "capped"]).all()
    exact = road_distances(frame.loc[["local"]], network=rutland, fallback=None)
    assert out.loc["local", "road_distance_km"] == exact.loc["local", "road_distance_km"]
    approx = backbone_distances(frame.loc[["leeds", "wales"]])
    np.testing.assert_allclose(out.loc[["leeds", "wales"], "road_distance_km"], approx["road_distance_km"])
    np.testing.assert_allclose(out.loc[["leeds", "wales"], "road_time_min"], approx["road_time_min"])
    assert out.loc["leeds", "road_distance_km"] > 100
    assert np.isnan(out.loc["unknown", "road_distance_km"])
    summary = road_source_summary(out)
    assert summary["counts"] == {"network": 1, "backbone": 2, "none": 1}
    assert summary["shares"] == pytest.approx({"network": 1 / 3, "backbone": 2 / 3})
    assert summary["sentence"] == ("road distances: 33% on the OpenStreetMap network, 67% on the approximate "
                                   "backbone; 1 placement(s) without a road distance")
    # most located placements fell back: the network does not cover them, and the log says so
    assert "2 of 3 located placements (67%)" in caplog.text and "fell back" in caplog.text
    only = road_distances(frame, network="backbone")
    assert only["road_source"].tolist() == ["backbone", "backbone", "backbone", "none"]
    with pytest.raises(InputError, match="fallback must be 'backbone' or None"):
        road_distances(frame, network=rutland, fallback="straight")  # type: ignore[arg-type]
    with pytest.raises(InputError, match="not a road_distances"):
        road_source_summary(frame)


def test_network_and_backbone_agreement(rutland: RoadNetwork) -> None:
    from distance.road_summary import backbone_agreement

    rng = np.random.default_rng(3)
    idx = rng.integers(0, rutland.n_nodes, (400, 2))
    frame = _frame([(rutland.x[a], rutland.y[a], rutland.x[b], rutland.y[b]) for a, b in idx])
    out = road_distances(frame, network=rutland)
    agree = backbone_agreement(out)
    assert agree["pairs"] == float(((out["road_status"] == "ok") & (out["road_source"] == "network")).sum())
    assert agree["pairs"] > 350
    assert agree["median_rel_diff"] < 0.10 and agree["p90_rel_diff"] < 0.25
    assert agree["p90_rel_diff"] >= agree["median_rel_diff"]
    none = backbone_agreement(out.iloc[:0])
    assert none["pairs"] == 0 and np.isnan(none["median_rel_diff"])


def test_unreachable_is_nan_not_zero() -> None:
    x = np.array([0.0, 100, 50, 5000, 5100, 5050])
    y = np.array([0.0, 0, 80, 0, 0, 80])
    tail, head = np.array([0, 1, 2, 3, 4, 5]), np.array([1, 2, 0, 4, 5, 3])
    length = np.hypot(x[tail] - x[head], y[tail] - y[head])
    net = RoadNetwork(x=x, y=y, osmid=np.arange(6), tail=tail, head=head, length_m=length, time_s=length / 10)
    out = road_distances(_frame([(0, 0, 5000, 0), (0, 0, 100, 0)]), network=net, fallback=None)
    assert out["road_status"].tolist() == ["unreachable", "ok"]
    assert np.isnan(out["road_distance_km"].iloc[0]) and np.isnan(out["road_time_min"].iloc[0])
    assert out["road_distance_km"].iloc[1] == pytest.approx(0.1)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.tuples(st.floats(478_000, 500_000), st.floats(296_000, 318_000),
                          st.floats(478_000, 500_000), st.floats(296_000, 318_000)), min_size=1, max_size=20))
def test_road_at_least_straight_line(rutland: RoadNetwork, rows: list[tuple[float, float, float, float]]) -> None:
    out = road_distances(_frame(rows), network=rutland, shortest=True)
    straight = np.hypot(out["pl_easting"] - out["home_easting"], out["pl_northing"] - out["home_northing"]) / 1000
    done = out["road_status"].eq("ok") & out["road_source"].eq("network")
    answered = out["road_status"].eq("ok")
    assert (out.loc[answered, "road_distance_km"] >= straight[answered] - 1e-9).all()
    # without the access legs: the road part is at least the straight line between the two joining points
    home = snap_to_edges(out[["home_easting", "home_northing"]].to_numpy(), network=rutland)
    place = snap_to_edges(out[["pl_easting", "pl_northing"]].to_numpy(), network=rutland)
    joined = np.hypot(place.x - home.x, place.y - home.y)
    for col in ("road_distance_km", "road_shortest_km"):
        on_road = out[col].to_numpy() * 1000 - out["home_snap_m"].to_numpy() - out["pl_snap_m"].to_numpy()
        # the engine sums lengths in units of at most 3 m per arc on these trips (distance.engine.COMBINED_TIERS)
        assert (on_road[done] >= joined[done] * (1 - 0.005) - 1e-6).all()
    assert out.loc[~answered, "road_distance_km"].isna().all()
    assert np.isfinite(out.loc[answered, "road_distance_km"]).all()


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
    with pytest.raises(InputError, match="unknown travel-time profile 'rush-hour'; expected one of typical, free-flow"):
        road_distances(_frame([(1, 1, 2, 2)]), network=rutland, profile="rush-hour")
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
                                      "--out", str(out), "--compare-backbone", "--shortest"])
    assert res.exit_code == 0, res.output
    assert "quickest route by road, km; typical profile" in " ".join(res.output.split())
    assert "off_network" in res.output and "SYNTHETIC" in res.output and "OpenStreetMap" in res.output
    table = pd.read_csv(out, index_col=0)
    assert table["road_status"].tolist() == ["ok", "ok", "ok"]
    assert (table.loc[table["road_source"] == "network", "road_shortest_km"]
            <= table.loc[table["road_source"] == "network", "road_distance_km"] + 1e-9).all()
    assert table["road_source"].tolist() == ["network", "backbone", "network"]
    text = " ".join(res.output.split())
    assert "road distances: 67% on the OpenStreetMap network, 33% on the approximate backbone" in text
    assert "network vs backbone where both answer (1 placements): median difference" in text
    res = runner.invoke(geo.cli.app, ["distances", "--placements", str(placements), "--network", str(net),
                                      "--fallback", "none", "--max-snap-m", "500", "--out", str(out)])
    assert res.exit_code == 0, res.output
    assert pd.read_csv(out, index_col=0)["road_status"].tolist() == ["ok", "off_network", "ok"]
    res = runner.invoke(geo.cli.app, ["distances", "--placements", str(placements), "--network", str(net),
                                      "--out", str(out)])
    assert res.exit_code == 0 and "network vs backbone" not in res.output  # compared only when asked
    assert "road_shortest_km" not in pd.read_csv(out, index_col=0).columns
    res = runner.invoke(geo.cli.app, ["distances", "--placements", str(placements), "--network", str(net),
                                      "--profile", "sunday"])
    assert res.exit_code == 1 and "unknown travel-time profile 'sunday'" in res.output
    res = runner.invoke(geo.cli.app, ["distances", "--placements", str(placements), "--network", str(net),
                                      "--fallback", "straight"])
    assert res.exit_code == 1 and "--fallback 'straight': expected backbone or none" in res.output
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
