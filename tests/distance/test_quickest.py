"""Quickest routes (one query: time and the same path's length), edge snapping and travel-time profiles."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import networkx as nx
import numpy as np
import pandas as pd
import pytest

from distance.engine import cch_available, quickest_routes, shortest_path_lengths
from distance.network import RoadNetwork, build_network, load_network, save_network
from distance.profiles import PROFILES, arc_times, get_profile, make_profile, urban_arcs
from distance.road import road_distances, snap_to_edges
from geo.errors import InputError, NetworkError

COLS = ["home_easting", "home_northing", "pl_easting", "pl_northing"]
EXTRACTS = ["rutland-2022-07.osm.pbf", "manchester-levenshulme-2022-12.osm"]


@pytest.fixture(scope="module", params=EXTRACTS)
def network(request: pytest.FixtureRequest, mirror: Path, tmp_path_factory: pytest.TempPathFactory) -> RoadNetwork:
    return build_network(mirror / "roads" / request.param, cache_dir=tmp_path_factory.getbasetemp() / "networks")


@pytest.fixture(scope="module")
def rutland(mirror: Path, tmp_path_factory: pytest.TempPathFactory) -> RoadNetwork:
    return build_network(mirror / "roads" / EXTRACTS[0], cache_dir=tmp_path_factory.getbasetemp() / "networks")


def _nx_quickest(net: RoadNetwork, times: np.ndarray) -> nx.DiGraph:
    """networkx graph of the same arcs and weights (the quickest of parallel arcs kept, as the engine does)."""
    g = nx.DiGraph()
    for u, v, length, t in sorted(zip(net.tail.tolist(), net.head.tolist(), net.length_m.tolist(), times.tolist(),
                                      strict=True), key=lambda r: -r[3]):
        g.add_edge(u, v, t=t, length=length)
    return g


@pytest.mark.parametrize("profile", ["typical", "free-flow"])
def test_quickest_route_against_networkx_and_the_shortest_path(network: RoadNetwork, profile: str) -> None:
    times = arc_times(network, profile)
    rng = np.random.default_rng(7)
    o = rng.integers(0, network.n_nodes, 400)
    d = rng.integers(0, network.n_nodes, 400)
    length, time_s = quickest_routes(network, o, d, times=times, key=profile)
    shortest = shortest_path_lengths(network, o, d, weight="length")
    fastest = shortest_path_lengths(network, o, d, weight="length", method="scipy")
    g = _nx_quickest(network, times)
    nx_len, nx_time, short_time = [], [], []
    for a, b in zip(o.tolist(), d.tolist(), strict=True):
        path = nx.shortest_path(g, a, b, weight="t")  # the time-optimal path; its length summed
        nx_len.append(sum(g[u][v]["length"] for u, v in zip(path[:-1], path[1:], strict=True)))
        nx_time.append(sum(g[u][v]["t"] for u, v in zip(path[:-1], path[1:], strict=True)))
        by_length = nx.shortest_path(g, a, b, weight="length")
        short_time.append(sum(g[u][v]["t"] for u, v in zip(by_length[:-1], by_length[1:], strict=True)))
    np.testing.assert_allclose(shortest, fastest)
    # the engine carries time and length in units of 0.01-0.05 s and 0.6-3 m per arc on these trips: to 0.5%
    np.testing.assert_allclose(time_s, nx_time, rtol=0.005, atol=0.5)
    # the length is networkx's route's length, except at ties: two routes equally quick to within the metric's
    # time unit (a tenth of a second here), where either is the quickest; those are rare
    differ = ~np.isclose(length, nx_len, rtol=0.005, atol=2.0)
    assert (np.abs(time_s - np.array(nx_time))[differ] < 0.1).all()
    assert differ.mean() < 0.01
    assert (length >= shortest * (1 - 0.005) - 2.0).all()  # never shorter than the shortest path
    assert (time_s <= np.array(short_time) * (1 + 0.005) + 0.5).all()  # never slower than the shortest path
    assert (length > shortest * 1.001).any()  # and they differ: the quickest route is not the shortest one


@pytest.mark.skipif(not cch_available(), reason="pyroutingkit absent")
def test_cch_and_scipy_agree_and_long_trips_use_coarser_units(rutland: RoadNetwork) -> None:
    times = arc_times(rutland, "typical")
    rng = np.random.default_rng(1)
    o = rng.integers(0, rutland.n_nodes, 3000)
    d = rng.integers(0, rutland.n_nodes, 3000)
    got = quickest_routes(rutland, o, d, times=times, key="typical", method="cch")
    exact = quickest_routes(rutland, o, d, times=times, key="typical", method="scipy")
    np.testing.assert_allclose(got[1], exact[1], rtol=0.005, atol=0.5)
    # a network 20x slower: routes of hours do not fit the finer tiers and are answered by the coarsest
    slow = quickest_routes(rutland, o[:50], d[:50], times=times * 20, key="slow", method="cch")
    assert np.nanmax(slow[1]) > 4.5 * 3600
    np.testing.assert_allclose(slow[1], exact[1][:50] * 20, rtol=0.005, atol=20)
    # lengths there are carried in 60 m units: a 20 km trip of ~200 arcs is good to a few percent (real trips in
    # that tier are over 300 km long, where the same error is below 0.3%)
    np.testing.assert_allclose(slow[0], exact[0][:50], rtol=0.04, atol=60)
    with pytest.raises(InputError, match="times has 3 values; the network has"):
        quickest_routes(rutland, o, d, times=np.ones(3))
    with pytest.raises(InputError, match="arc times must be finite and >= 0 seconds"):
        quickest_routes(rutland, o, d, times=-times)


def _two_way_edge(net: RoadNetwork, *, min_length: float) -> tuple[int, int, int]:
    """A two-way edge (a < b) with one arc each way of equal length, at least ``min_length`` long."""
    n = net.n_nodes
    keys = net.tail * n + net.head
    count = pd.Series(keys).value_counts()
    for i in np.argsort(-net.length_m):
        a, b = int(net.tail[i]), int(net.head[i])
        back = np.flatnonzero((net.tail == b) & (net.head == a))
        if (a < b and back.size == 1 and count[a * n + b] == 1 and net.length_m[back[0]] == net.length_m[i]
                and net.length_m[i] >= min_length and net.road_class[i] == net.road_class[back[0]]):
            return a, b, int(i)
    raise AssertionError("no two-way edge")


def test_a_point_on_an_edge_midpoint_gets_half_the_edge(rutland: RoadNetwork) -> None:
    a, b, arc = _two_way_edge(rutland, min_length=300)
    mid = ((rutland.x[a] + rutland.x[b]) / 2, (rutland.y[a] + rutland.y[b]) / 2)
    snapped = snap_to_edges(np.array([mid]), network=rutland)
    assert snapped.snap_m[0] == pytest.approx(0, abs=1e-6) and snapped.fraction[0] == pytest.approx(0.5)
    out = road_distances(pd.DataFrame([(*mid, rutland.x[b], rutland.y[b])], columns=COLS), network=rutland,
                         shortest=True, profile="free-flow")
    half = rutland.length_m[arc] / 2
    assert out["home_snap_m"].iloc[0] == pytest.approx(0, abs=1e-6)
    assert out["road_distance_km"].iloc[0] * 1000 == pytest.approx(half, abs=0.01)  # along the edge + 0 m
    assert out["road_shortest_km"].iloc[0] * 1000 == pytest.approx(half, abs=0.01)
    assert out["road_time_min"].iloc[0] * 60 == pytest.approx(rutland.time_s[arc] / 2, abs=0.01)


def test_two_points_on_one_edge_get_their_separation_along_it(rutland: RoadNetwork) -> None:
    a, b, arc = _two_way_edge(rutland, min_length=300)
    ax, ay, bx, by = rutland.x[a], rutland.y[a], rutland.x[b], rutland.y[b]
    at = [(ax + f * (bx - ax), ay + f * (by - ay)) for f in (0.2, 0.7)]
    frame = pd.DataFrame([(*at[0], *at[1]), (*at[1], *at[0])], columns=COLS)
    out = road_distances(frame, network=rutland, profile="free-flow")
    assert (out["road_status"] == "ok").all()
    np.testing.assert_allclose(out["road_distance_km"] * 1000, 0.5 * rutland.length_m[arc], atol=0.01)


def test_one_way_street_is_driven_its_way_only(rutland: RoadNetwork) -> None:
    pairs = set(zip(rutland.tail.tolist(), rutland.head.tolist(), strict=True))
    i = next(int(k) for k in np.argsort(-rutland.length_m)
             if (int(rutland.head[k]), int(rutland.tail[k])) not in pairs and rutland.length_m[k] > 100)
    u, v = rutland.tail[i], rutland.head[i]
    along = [(rutland.x[u] + f * (rutland.x[v] - rutland.x[u]), rutland.y[u] + f * (rutland.y[v] - rutland.y[u]))
             for f in (0.3, 0.6)]
    out = road_distances(pd.DataFrame([(*along[0], *along[1]), (*along[1], *along[0])], columns=COLS),
                         network=rutland, profile="free-flow")
    with_it, against = out["road_distance_km"].to_numpy() * 1000
    assert with_it == pytest.approx(0.3 * rutland.length_m[i], abs=0.01)
    assert against > rutland.length_m[i]  # round the block: at least the rest of the one-way street


def test_profiles(rutland: RoadNetwork) -> None:
    assert set(PROFILES) == {"typical", "free-flow"}
    np.testing.assert_array_equal(arc_times(rutland, "free-flow"), rutland.time_s)
    typical = arc_times(rutland, "typical")
    assert (typical >= rutland.time_s).all() and (typical > rutland.time_s).mean() > 0.5
    urban = urban_arcs(rutland)
    assert 0.05 < urban.mean() < 0.8  # Oakham and Uppingham are towns; most of Rutland is not
    assert rutland.signals.sum() > 0
    slower = make_profile("typical", name="slow", signal_s=60)
    assert (arc_times(rutland, slower) >= typical).all()
    assert slower.rural_kmh == get_profile("typical").rural_kmh
    with pytest.raises(InputError, match="unknown travel-time profile 'fast'; expected one of typical, free-flow"):
        get_profile("fast")
    with pytest.raises(InputError, match="profile 'bad': urban speed for primary is 0; speeds must be positive"):
        make_profile("typical", name="bad", urban_kmh={"primary": 0})
    with pytest.raises(InputError, match="profile 'bad': rural speed for motorway is -5"):
        make_profile("typical", name="bad", rural_kmh={"motorway": -5})
    with pytest.raises(InputError, match="'footway', which is not a drivable road class"):
        make_profile("typical", name="bad", urban_kmh={"footway": 5})
    with pytest.raises(InputError, match="signal_s is -1; delays must be seconds >= 0"):
        make_profile("free-flow", name="bad", signal_s=-1)


def test_typical_profile_on_a_roads_is_near_the_published_average(network: RoadNetwork) -> None:
    """DfT's published average speed on local A roads in England is about 25 mph (weekdays, CGN0501).

    The typical profile's speed over the A roads (OSM primary and trunk) of each real extract, distance-weighted,
    lies between an urban main road's (~15 mph) and a rural one's (~45 mph); free-flow is faster everywhere.
    """
    from distance.network import ROAD_CLASSES

    a_road = np.isin(network.road_class, [ROAD_CLASSES.index("primary"), ROAD_CLASSES.index("trunk")])
    mph = {p: network.length_m[a_road].sum() / arc_times(network, p)[a_road].sum() * 3600 / 1609.344
           for p in ("typical", "free-flow")}
    assert 15 < mph["typical"] < 45 and mph["typical"] < mph["free-flow"]


def test_older_network_file_is_refused_in_one_line(rutland: RoadNetwork, tmp_path: Path) -> None:
    path = save_network(rutland, tmp_path / "old.npz")
    with zipfile.ZipFile(path) as z:
        arrays = {name: z.read(name) for name in z.namelist()}
    meta = json.loads(str(np.load(path)["meta"]))
    meta["version"] = 1
    old = tmp_path / "v1.npz"
    np.savez(old, **{k: np.load(path)[k] for k in ("x", "y", "osmid", "tail", "head", "length_mm", "time_ms")},
             meta=np.array(json.dumps(meta)))
    assert "road_class.npy" in arrays
    with pytest.raises(NetworkError, match=r"^v1.npz: road network file format version 1; this farfromhome reads "
                                           r"version 2: rebuild it with 'farfromhome network build"):
        load_network(old)
    again = load_network(path)
    np.testing.assert_array_equal(again.road_class, rutland.road_class)
    np.testing.assert_array_equal(again.signals, rutland.signals)
    np.testing.assert_array_equal(again.maxspeed_kmh, rutland.maxspeed_kmh)


def test_snapping_finds_the_nearest_edge(rutland: RoadNetwork) -> None:
    """The sampled KD-tree search gives the same distance as shapely's exact nearest-line search."""
    import shapely

    rng = np.random.default_rng(3)
    pts = np.c_[rng.uniform(rutland.x.min() - 3000, rutland.x.max() + 3000, 3000),
                rng.uniform(rutland.y.min() - 3000, rutland.y.max() + 3000, 3000)]
    pts[0] = np.nan
    got = snap_to_edges(pts, network=rutland)
    a, b = np.minimum(rutland.tail, rutland.head), np.maximum(rutland.tail, rutland.head)
    lines = shapely.linestrings(np.stack([np.c_[rutland.x[a], rutland.y[a]], np.c_[rutland.x[b], rutland.y[b]]],
                                         axis=1))
    _, exact = shapely.STRtree(lines).query_nearest(shapely.points(pts[1:]), return_distance=True, all_matches=False)
    np.testing.assert_allclose(got.snap_m[1:], exact, atol=1e-6)
    assert np.isnan(got.snap_m[0]) and got.a[0] == -1
    # the joining point lies on its edge, at the distance reported
    np.testing.assert_allclose(np.hypot(got.x - pts[:, 0], got.y - pts[:, 1])[1:], got.snap_m[1:], atol=1e-6)
