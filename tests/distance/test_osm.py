"""Tests for distance.osm: the streaming PBF builder against osmnx on real extracts, tag rules, bad input."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import osmium
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from osmium.osm import mutable

from distance.engine import shortest_path_lengths
from distance.network import RoadNetwork, build_network
from distance.osm import UK_DEFAULT_SPEEDS_KMH, is_drivable, oneway_direction, parse_maxspeed
from distance.road import road_distances
from geo.errors import NetworkError

MPH = 1.609344


@pytest.fixture(scope="module")
def net_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.getbasetemp() / "networks"


@pytest.fixture(scope="module")
def levenshulme_pbf(mirror: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The Levenshulme XML extract rewritten as PBF with pyosmium's writer (same objects, other format)."""
    out = tmp_path_factory.mktemp("lev") / "levenshulme.osm.pbf"
    with osmium.SimpleWriter(str(out)) as writer:
        for obj in osmium.FileProcessor(str(mirror / "roads" / "manchester-levenshulme-2022-12.osm")):
            writer.add(obj)
    return out


@pytest.fixture(scope="module")
def rutland_streamed(mirror: Path, net_cache: Path) -> RoadNetwork:
    return build_network(mirror / "roads" / "rutland-2022-07.osm.pbf", builder="streaming", cache_dir=net_cache)


def _equivalence(pbf: Path, cache: Path) -> tuple[RoadNetwork, RoadNetwork, np.ndarray]:
    streamed = build_network(pbf, builder="streaming", cache_dir=cache)
    old = build_network(pbf, builder="osmnx", cache_dir=cache)
    common = np.intersect1d(streamed.osmid, old.osmid)
    rng = np.random.default_rng(0)
    a, b = rng.choice(common, 2000), rng.choice(common, 2000)
    keep = a != b
    a, b = a[keep], b[keep]

    def index(net: RoadNetwork, ids: np.ndarray) -> np.ndarray:
        order = np.argsort(net.osmid)
        return order[np.searchsorted(net.osmid, ids, sorter=order)]

    got = shortest_path_lengths(streamed, index(streamed, a), index(streamed, b))
    want = shortest_path_lengths(old, index(old, a), index(old, b))
    return streamed, old, np.abs(got - want) / want


@pytest.mark.parametrize("name", ["rutland-2022-07.osm.pbf", "leeds-its-example.osm.pbf", "levenshulme"])
def test_streaming_equals_osmnx_builder(mirror: Path, net_cache: Path, levenshulme_pbf: Path, name: str) -> None:
    pbf = levenshulme_pbf if name == "levenshulme" else mirror / "roads" / name
    streamed, old, rel = _equivalence(pbf, net_cache)
    assert streamed.report["builder"] == "streaming" and old.report["builder"] == "osmnx"
    # both simplify degree-2 chains, so junction counts compare directly
    assert streamed.n_nodes == pytest.approx(old.n_nodes, rel=0.01)
    assert streamed.n_arcs == pytest.approx(old.n_arcs, rel=0.01)
    assert np.median(rel) < 0.005
    assert rel.max() < 0.03
    assert streamed.crs == old.crs == "EPSG:27700"


def test_oakham_to_uppingham_by_postcode(rutland_streamed: RoadNetwork) -> None:
    from geo.postcodes import geocode

    pts = geocode(pd.Series(["LE15 6AA", "LE15 9RB"]))
    assert (pts["precision"] == "full").all()
    (he, hn), (pe, pn) = pts[["easting", "northing"]].to_numpy()
    frame = pd.DataFrame([[he, hn, pe, pn], [pe, pn, he, hn]],
                         columns=["home_easting", "home_northing", "pl_easting", "pl_northing"])
    out = road_distances(frame, network=rutland_streamed, fallback=None)
    assert (out["road_status"] == "ok").all()
    assert out["road_distance_km"].tolist() == pytest.approx([10.3, 10.3], abs=0.5)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.tuples(st.integers(0, 10**6), st.integers(0, 10**6)), min_size=1, max_size=40))
def test_road_at_least_straight_line_between_nodes(rutland_streamed: RoadNetwork, pairs: list[tuple[int, int]]) -> None:
    net = rutland_streamed
    o, d = np.array(pairs).T % net.n_nodes
    road = shortest_path_lengths(net, o, d)
    straight = np.hypot(net.x[o] - net.x[d], net.y[o] - net.y[d])
    assert np.isfinite(road).all()  # one strongly connected component: every node reaches every other
    assert (road >= straight - 1e-3).all()  # lengths are stored to 1 mm


@pytest.mark.parametrize(("value", "highway", "kmh", "ok"), [
    ("30 mph", "residential", 30 * MPH, True),
    ("50", "primary", 50.0, True),
    ("40 km/h", "primary", 40.0, True),
    ("national", "primary", 60 * MPH, True),
    ("national", "motorway", 70 * MPH, True),
    ("GB:nsl_single", "trunk", 60 * MPH, True),
    ("GB:nsl_dual", "trunk", 70 * MPH, True),
    ("GB:motorway", "motorway", 70 * MPH, True),
    ("30 mph;40 mph", "secondary", 35 * MPH, True),
    ("signals", "tertiary", UK_DEFAULT_SPEEDS_KMH["tertiary"], False),
    ("none", "motorway", UK_DEFAULT_SPEEDS_KMH["motorway"], False),
    ("walk", "living_street", UK_DEFAULT_SPEEDS_KMH["living_street"], False),
    ("0", "residential", UK_DEFAULT_SPEEDS_KMH["residential"], False),
    (None, "trunk", UK_DEFAULT_SPEEDS_KMH["trunk"], True),
])
def test_parse_maxspeed(value: str | None, highway: str, kmh: float, ok: bool) -> None:
    got, speed_ok = parse_maxspeed(value, highway)
    assert got == pytest.approx(kmh)
    assert speed_ok is ok


def test_oneway_and_access_rules() -> None:
    assert oneway_direction({"oneway": "yes"}) == 1
    assert oneway_direction({"oneway": "true"}) == 1
    assert oneway_direction({"oneway": "1"}) == 1
    assert oneway_direction({"oneway": "-1"}) == -1
    assert oneway_direction({"junction": "roundabout", "highway": "primary"}) == 1
    assert oneway_direction({"highway": "motorway"}) == 1
    assert oneway_direction({"highway": "motorway", "oneway": "no"}) == 0
    assert oneway_direction({"highway": "residential"}) == 0
    assert is_drivable({"highway": "residential"})
    assert not is_drivable({"highway": "footway"})
    assert not is_drivable({"highway": "residential", "access": "private"})
    assert not is_drivable({"highway": "residential", "motor_vehicle": "no"})
    assert not is_drivable({"highway": "tertiary", "motor_vehicle": "private"})
    assert not is_drivable({"highway": "residential", "area": "yes"})


# --- a small hand-made extract near Oakham: a 3 × 3 grid of two-way streets 200 m apart ---------------------

LON0, LAT0 = -0.72, 52.67
DLON, DLAT = 200 / (111_320 * np.cos(np.radians(LAT0))), 200 / 111_320


def _grid_pbf(path: Path, *, extra_ways: list[tuple[list[int], dict[str, str]]] = (),  # type: ignore[assignment]
              extra_nodes: list[tuple[int, float, float]] = (), roads: bool = True) -> Path:  # type: ignore[assignment]
    nodes = [(1 + r * 3 + c, LON0 + c * DLON, LAT0 + r * DLAT) for r in range(3) for c in range(3)]
    nodes += list(extra_nodes)
    # a building far from the roads: its nodes must never reach the network
    nodes += [(100 + k, LON0 + 0.05 + dx, LAT0 + dy) for k, (dx, dy) in
              enumerate([(0, 0), (1e-4, 0), (1e-4, 1e-4), (0, 1e-4)])]
    ways: list[tuple[list[int], dict[str, str]]] = []
    if roads:
        for r in range(3):
            ways.append(([1 + r * 3, 2 + r * 3, 3 + r * 3], {"highway": "residential"}))
            ways.append(([1 + r, 4 + r, 7 + r], {"highway": "residential"}))
    ways.append(([100, 101, 102, 103, 100], {"building": "yes"}))
    ways.append(([1, 100], {"highway": "footway"}))
    ways += list(extra_ways)
    with osmium.SimpleWriter(str(path)) as writer:
        for nid, lon, lat in sorted(nodes):
            writer.add_node(mutable.Node(id=nid, location=(lon, lat)))
        for k, (refs, tags) in enumerate(ways, start=1):
            writer.add_way(mutable.Way(id=k, nodes=refs, tags=tags))
    return path


def test_small_grid_counts_every_odd_input(tmp_path: Path) -> None:
    pbf = _grid_pbf(tmp_path / "grid.osm.pbf", extra_nodes=[(50, LON0 + 3 * DLON, LAT0), (51, 20.0, 0.5)], extra_ways=[
        ([3, 50, 999], {"highway": "tertiary", "maxspeed": "signals", "oneway": "yes"}),  # 999: not in the file
        ([9, 51], {"highway": "residential"}),                              # 51 lies off Great Britain
        ([5, 50], {"highway": "service"}),                                  # not a car road class here
        ([7, 50], {"highway": "residential", "access": "private"}),
    ])
    net = build_network(pbf, cache=False)
    r = net.report
    assert r["builder"] == "streaming"
    assert r["ways_drivable"] == 8 and r["ways_excluded_access"] == 1
    assert r["node_refs_missing"] == 1 and r["ways_cut_missing_nodes"] == 1
    assert r["nodes_outside_gb"] == 1
    assert r["maxspeed_not_a_speed"] == {"signals": 1}
    # the cut way keeps its one-way 3 → 50 segment: a dead end outside the strongly connected grid
    assert r["nodes_dropped"] == 1 and r["edges_dropped"] == 1
    # corners have two neighbours: merged into the streets between edge midpoints, as osmnx simplifies
    assert sorted(net.osmid.tolist()) == [2, 3, 4, 5, 6, 8]
    node = {int(o): i for i, o in enumerate(net.osmid)}
    assert shortest_path_lengths(net, [node[4]], [node[6]])[0] == pytest.approx(400, rel=0.01)  # two blocks
    assert shortest_path_lengths(net, [node[2]], [node[4]])[0] == pytest.approx(400, rel=0.01)  # round a corner


def test_chains_merge_and_one_way_streets(tmp_path: Path) -> None:
    # a two-way street 1-2-3 continued by a separate way 3-6-9: 2, 3 and 6 are pass-through (degree 2)
    # nodes once the rest of the grid is gone; plus a one-way loop back from 9 to 1 through 5
    path = tmp_path / "chain.osm.pbf"
    nodes = [(1 + r * 3 + c, LON0 + c * DLON, LAT0 + r * DLAT) for r in range(3) for c in range(3)]
    ways = [([1, 2, 3], {"highway": "primary"}), ([3, 6, 9], {"highway": "primary"}),
            ([9, 5, 1], {"highway": "residential", "oneway": "yes"})]
    with osmium.SimpleWriter(str(path)) as writer:
        for nid, lon, lat in nodes:
            writer.add_node(mutable.Node(id=nid, location=(lon, lat)))
        for k, (refs, tags) in enumerate(ways, start=1):
            writer.add_way(mutable.Way(id=k, nodes=refs, tags=tags))
    net = build_network(path, cache=False)
    # 1 and 9 are kept (3 neighbours' worth of arcs); 2, 3, 6 merge into 1 <-> 9, and 5 into 9 -> 1
    assert sorted(net.osmid.tolist()) == [1, 9]
    assert net.n_arcs == 3
    i1, i9 = (int(np.flatnonzero(net.osmid == k)[0]) for k in (1, 9))
    assert shortest_path_lengths(net, [i1], [i9])[0] == pytest.approx(800, rel=0.01)
    # 9 -> 1 takes the one-way diagonal (2 × 283 m), not the 800 m street
    assert shortest_path_lengths(net, [i9], [i1])[0] == pytest.approx(2 * 200 * np.sqrt(2), rel=0.01)
    speeds = net.length_m / net.time_s * 3.6
    assert sorted(np.round(speeds).tolist()) == [40.0, 80.0, 80.0]  # class defaults: residential, primary


def test_unreadable_and_roadless_pbf(mirror: Path, tmp_path: Path) -> None:
    data = (mirror / "roads" / "rutland-2022-07.osm.pbf").read_bytes()
    cut = tmp_path / "cut.osm.pbf"
    cut.write_bytes(data[: len(data) // 2])
    with pytest.raises(NetworkError, match=r"^cut\.osm\.pbf: not a readable OpenStreetMap file \(PBF error"):
        build_network(cut, cache=False)
    flipped = bytearray(data)
    mid = len(data) // 3
    flipped[mid:mid + 2000] = bytes(b ^ 0x5A for b in flipped[mid:mid + 2000])
    bad = tmp_path / "flipped.osm.pbf"
    bad.write_bytes(bytes(flipped))
    with pytest.raises(NetworkError, match="flipped.osm.pbf: not a readable OpenStreetMap file"):
        build_network(bad, cache=False)
    with pytest.raises(NetworkError, match="no drivable road"):
        build_network(_grid_pbf(tmp_path / "buildings.osm.pbf", roads=False), cache=False)
    lost = tmp_path / "lost.osm.pbf"
    with osmium.SimpleWriter(str(lost)) as writer:
        writer.add_way(mutable.Way(id=1, nodes=[5, 6], tags={"highway": "primary"}))
    with pytest.raises(NetworkError, match="none of the 2 nodes its drivable ways use is in the file"):
        build_network(lost, cache=False)


def test_progress_callback(tmp_path: Path) -> None:
    seen: list[tuple[str, int]] = []
    build_network(_grid_pbf(tmp_path / "g.osm.pbf"), cache=False, progress=lambda s, n: seen.append((s, n)))
    assert ("ways", 6) in seen and seen[-1] == ("nodes", 9)


def test_parallel_one_way_ways_are_both_kept(tmp_path: Path) -> None:
    """Two one-way ways 1 → 2 → 3 side by side (a dual carriageway drawn twice) and a way back 3 → 4 → 1."""
    path = tmp_path / "parallel.osm.pbf"
    nodes = [(1, LON0, LAT0), (2, LON0 + DLON, LAT0), (3, LON0 + 2 * DLON, LAT0), (4, LON0 + DLON, LAT0 + DLAT)]
    ways = [([1, 2, 3], {"highway": "primary", "oneway": "yes"}),
            ([1, 2, 3], {"highway": "residential", "oneway": "yes"}),
            ([3, 4, 1], {"highway": "residential", "oneway": "yes"})]
    with osmium.SimpleWriter(str(path)) as writer:
        for nid, lon, lat in nodes:
            writer.add_node(mutable.Node(id=nid, location=(lon, lat)))
        for k, (refs, tags) in enumerate(ways, start=1):
            writer.add_way(mutable.Way(id=k, nodes=refs, tags=tags))
    net = build_network(path, cache=False)
    assert net.report["ring_arcs_dropped"] == 0
    assert (net.n_nodes, net.n_arcs) == (3, 5)  # 1 → 2 and 2 → 3 twice each; 3 → 4 → 1 merged into one arc
    assert net.report["length_km"] == pytest.approx((2 * 400 + 2 * 283) / 1000, rel=0.01)
    i1, i3 = (int(np.flatnonzero(net.osmid == k)[0]) for k in (1, 3))
    fast = shortest_path_lengths(net, [i1], [i3], weight="travel_time")[0]
    assert fast == pytest.approx(400 / (80 / 3.6), rel=0.01)  # the primary carriageway, not the residential one
