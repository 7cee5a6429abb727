"""Tests for distance.engine: exact against networkx on a real graph, unreachable pairs, bad input."""

from __future__ import annotations

from pathlib import Path

import networkx as nx
import numpy as np
import pytest
import scipy.sparse as sp

from distance.engine import cch_available, shortest_path_lengths
from distance.network import RoadNetwork, build_network, to_networkx
from geo.errors import InputError

METHODS = ["scipy", pytest.param("cch", marks=pytest.mark.skipif(not cch_available(), reason="pyroutingkit absent"))]


@pytest.fixture(scope="module")
def rutland(mirror: Path, tmp_path_factory: pytest.TempPathFactory) -> RoadNetwork:
    return build_network(mirror / "roads" / "rutland-2022-07.osm.pbf",
                         cache_dir=tmp_path_factory.getbasetemp() / "networks")


@pytest.fixture(scope="module")
def rutland_nx(rutland: RoadNetwork) -> nx.MultiDiGraph:
    return to_networkx(rutland)


def _two_islands() -> RoadNetwork:
    """Two strongly connected triangles with no road between them (EPSG:27700 metres)."""
    x = np.array([0.0, 100, 50, 5000, 5100, 5050])
    y = np.array([0.0, 0, 80, 0, 0, 80])
    tail = np.array([0, 1, 2, 3, 4, 5])
    head = np.array([1, 2, 0, 4, 5, 3])
    length = np.hypot(x[tail] - x[head], y[tail] - y[head]) * 1.1
    return RoadNetwork(x=x, y=y, osmid=np.arange(6), tail=tail, head=head, length_m=length,
                       time_s=length / 10, report={"source": "two islands"})


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("weight", ["length", "travel_time"])
def test_equals_networkx_on_rutland(rutland: RoadNetwork, rutland_nx: nx.MultiDiGraph, method: str,
                                    weight: str) -> None:
    rng = np.random.default_rng(42)
    o = rng.integers(0, rutland.n_nodes, 150)
    d = rng.integers(0, rutland.n_nodes, 150)
    o[:5] = o[5]  # some repeated origins, as with placements grouped by home
    got = shortest_path_lengths(rutland, o, d, weight=weight, method=method)
    want = np.array([nx.shortest_path_length(rutland_nx, int(a), int(b), weight=weight) for a, b in
                     zip(o, d, strict=True)])
    np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-9)
    assert (got[o != d] > 0).all()


@pytest.mark.parametrize("method", METHODS)
def test_same_node_is_zero_and_unreachable_is_nan(method: str) -> None:
    net = _two_islands()
    got = shortest_path_lengths(net, [0, 0, 0, 4, 3], [0, 2, 4, 1, 5], method=method)
    assert got[0] == 0
    assert got[1] == pytest.approx((100 + np.hypot(50, 80)) * 1.1, abs=1e-3)  # arcs stored to 1 mm
    assert np.isnan(got[2]) and np.isnan(got[3])  # NaN, never 0 or inf
    assert np.isfinite(got[4])
    # one-way: 1 -> 0 must go round the triangle
    assert shortest_path_lengths(net, [1], [0], method=method)[0] == pytest.approx(
        (np.hypot(50, 80) * 2) * 1.1, abs=1e-3)


def test_sparse_matrix_input_and_auto() -> None:
    m = sp.csr_matrix(([1.0, 2.0, 5.0], ([0, 1, 0], [1, 2, 2])), shape=(4, 4))
    got = shortest_path_lengths(m, [0, 0, 2], [2, 1, 0])
    np.testing.assert_allclose(got, [3.0, 1.0, np.nan])
    assert shortest_path_lengths(m, [], []).size == 0


def test_auto_matches_exact_on_many_origins(rutland: RoadNetwork) -> None:
    rng = np.random.default_rng(7)
    o = rng.integers(0, rutland.n_nodes, 400)
    d = rng.integers(0, rutland.n_nodes, 400)
    np.testing.assert_allclose(shortest_path_lengths(rutland, o, d),
                               shortest_path_lengths(rutland, o, d, method="scipy"), rtol=1e-9)


def test_bad_input() -> None:
    net = _two_islands()
    with pytest.raises(InputError, match="same length"):
        shortest_path_lengths(net, [0, 1], [2])
    with pytest.raises(InputError, match=r"node indices must be in 0\.\.5"):
        shortest_path_lengths(net, [0], [6])
    with pytest.raises(InputError, match="unknown method 'dijkstra'"):
        shortest_path_lengths(net, [0], [1], method="dijkstra")  # type: ignore[arg-type]
    with pytest.raises(InputError, match="unknown weight 'speed'"):
        shortest_path_lengths(net, [0], [1], weight="speed")
    with pytest.raises(InputError, match="integer node indices"):
        shortest_path_lengths(net, [0.5], [1])
    with pytest.raises(InputError, match="RoadNetwork or a square"):
        shortest_path_lengths(sp.csr_matrix(np.ones((2, 3))), [0], [1])
    with pytest.raises(InputError, match="needs a RoadNetwork"):
        shortest_path_lengths(sp.csr_matrix(np.ones((2, 2))), [0], [1], method="cch")


@pytest.mark.skipif(not cch_available(), reason="pyroutingkit absent")
def test_paths_beyond_the_millimetre_range() -> None:
    """A 3,000 km path overflows 32-bit millimetres: the CCH engine answers in metres instead, not NaN."""
    x = np.array([0.0, 1e6, 2e6, 3e6])
    y = np.zeros(4)
    tail, head = np.array([0, 1, 2, 1, 2, 3]), np.array([1, 2, 3, 0, 1, 2])
    length = np.full(6, 1e6)
    net = RoadNetwork(x=x, y=y, osmid=np.arange(4), tail=tail, head=head, length_m=length, time_s=length / 30)
    got = shortest_path_lengths(net, [0, 3, 0], [3, 0, 1], method="cch")
    np.testing.assert_allclose(got, [3e6, 3e6, 1e6])


@pytest.mark.skipif(not cch_available(), reason="pyroutingkit absent")
def test_cch_ordering_is_cached_beside_the_network(mirror: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    from distance.engine import prepare, topology_cache_path

    monkeypatch.setenv("FARFROMHOME_CACHE", str(tmp_path / "cache"))  # no order cached by an earlier test
    pbf = mirror / "roads" / "leeds-its-example.osm.pbf"
    first = build_network(pbf, cache_dir=tmp_path)
    with caplog.at_level("INFO", logger="distance.engine"):
        prepare(first)
    assert "CCH topology built" in caplog.text
    saved = topology_cache_path(first)
    assert saved is not None and (saved / "done").is_file()
    caplog.clear()
    again = build_network(pbf, cache_dir=tmp_path)  # a second run: only customization is paid
    with caplog.at_level("INFO", logger="distance.engine"):
        prepare(again)
    assert "CCH node order loaded" in caplog.text and "built" not in caplog.text
    o, d = np.arange(again.n_nodes), np.arange(again.n_nodes)[::-1]
    np.testing.assert_allclose(shortest_path_lengths(again, o, d, method="cch"),
                               shortest_path_lengths(again, o, d, method="scipy"))
    # a network with the same nodes but one arc fewer (as a rebuild with other rules gives) never loads it
    other = RoadNetwork(x=again.x, y=again.y, osmid=again.osmid, tail=again.tail[1:], head=again.head[1:],
                        length_m=again.length_m[1:], time_s=again.time_s[1:], report=dict(again.report))
    assert topology_cache_path(other) != saved
    caplog.clear()
    with caplog.at_level("INFO", logger="distance.engine"):
        prepare(other)
    assert "CCH topology built" in caplog.text


def test_repeated_pairs_are_answered_in_place(rutland: RoadNetwork) -> None:
    o = np.array([5, 9, 5, 5, 9])
    d = np.array([100, 7, 100, 3, 7])
    got = shortest_path_lengths(rutland, o, d, method="scipy")
    np.testing.assert_array_equal(got[[0, 2]], got[0])
    np.testing.assert_array_equal(got[[1, 4]], got[1])
    np.testing.assert_allclose(got, [shortest_path_lengths(rutland, [a], [b])[0] for a, b in zip(o, d, strict=True)])


@pytest.mark.skipif(not cch_available(), reason="pyroutingkit absent")
@pytest.mark.parametrize("threads", [2, 3])
def test_threaded_queries_are_exact(rutland: RoadNetwork, monkeypatch: pytest.MonkeyPatch, threads: int) -> None:
    """Large batches are split over threads, each with its own metric: same answers as scipy, in pair order."""
    import distance.engine as engine

    monkeypatch.setattr(engine, "_threads", lambda n_origins: threads)
    rng = np.random.default_rng(threads)
    o = rng.integers(0, rutland.n_nodes, 6000)
    d = rng.integers(0, rutland.n_nodes, 6000)
    for weight in ("length", "travel_time"):
        got = shortest_path_lengths(rutland, o, d, weight=weight, method="cch")
        np.testing.assert_allclose(got, shortest_path_lengths(rutland, o, d, weight=weight, method="scipy"),
                                   rtol=1e-9)
    assert f"cch_metric:length:1000:{threads - 1}" in rutland._cache


def test_threads_follow_the_batch_size() -> None:
    from distance.engine import _MIN_ORIGINS_PER_THREAD, _threads

    assert _threads(10) == 1
    assert _threads(_MIN_ORIGINS_PER_THREAD - 1) == 1
    assert 1 <= _threads(100 * _MIN_ORIGINS_PER_THREAD) <= 8
