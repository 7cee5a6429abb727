"""Tests for distance.network: building drive networks from real OSM extracts, caching, bad inputs."""

from __future__ import annotations

from pathlib import Path

import networkx as nx
import numpy as np
import pytest
from typer.testing import CliRunner

import geo.cli
from distance import network as netmod
from distance.network import DRIVE_HIGHWAYS, RoadNetwork, build_network, load_network, network_from_graph, save_network
from geo.errors import InputError, NetworkError


@pytest.fixture(scope="module")
def net_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.getbasetemp() / "networks"


@pytest.fixture(scope="module")
def rutland(mirror: Path, net_cache: Path) -> RoadNetwork:
    return build_network(mirror / "roads" / "rutland-2022-07.osm.pbf", cache_dir=net_cache)


def test_rutland_drive_network(rutland: RoadNetwork) -> None:
    r = rutland.report
    assert 2500 < rutland.n_nodes < 3000
    assert rutland.crs == "EPSG:27700"
    # BNG metres of Rutland (east of the central meridian, around Oakham)
    assert 470_000 < rutland.x.min() < rutland.x.max() < 510_000
    assert 290_000 < rutland.y.min() < rutland.y.max() < 330_000
    assert r["nodes_dropped"] > 0 and r["edges_dropped"] > 0  # counted, not silent
    assert r["nodes"] == rutland.n_nodes
    classes = {c for key in r["highway_counts"] for c in key.split("|")}
    assert classes <= DRIVE_HIGHWAYS and "trunk" in classes and "residential" in classes
    assert (rutland.length_m > 0).all() and (rutland.time_s > 0).all()
    # every arc's length is at least the straight line between its ends
    t, h = rutland.tail, rutland.head
    chord = np.hypot(rutland.x[t] - rutland.x[h], rutland.y[t] - rutland.y[h])
    assert (rutland.length_m >= chord - 1e-3).all()
    # travel times come from speeds between 5 mph (a tagged 5 mph lane) and 70 mph
    speed = rutland.length_m / rutland.time_s * 3.6
    assert 7.5 < speed.min() and speed.max() < 115


def test_one_way_streets_are_single_arcs(rutland: RoadNetwork) -> None:
    pairs = set(zip(rutland.tail.tolist(), rutland.head.tolist(), strict=False))
    one_way = [(u, v) for u, v in pairs if (v, u) not in pairs]
    assert len(one_way) > 20  # dual carriageways of the A1 and roundabouts
    assert len(one_way) < len(pairs) / 2


def test_cache_and_roundtrip(mirror: Path, rutland: RoadNetwork, net_cache: Path, tmp_path: Path,
                             caplog: pytest.LogCaptureFixture) -> None:
    key = rutland.report["cache_key"]
    assert (net_cache / f"{key}.npz").is_file()
    with caplog.at_level("INFO", logger="distance.network"):
        again = build_network(mirror / "roads" / "rutland-2022-07.osm.pbf", cache_dir=net_cache)
    assert "cached build" in caplog.text
    np.testing.assert_array_equal(again.length_m, rutland.length_m)
    path = save_network(rutland, tmp_path / "rutland")
    assert path.suffix == ".npz"
    back = load_network(path)
    np.testing.assert_array_equal(back.tail, rutland.tail)
    np.testing.assert_array_equal(back.time_s, rutland.time_s)
    assert build_network(path).n_arcs == rutland.n_arcs  # a saved .npz is accepted as a source


def test_xml_extract_with_buildings_and_footways(mirror: Path, net_cache: Path, tmp_path: Path) -> None:
    import bz2

    source = mirror / "roads" / "manchester-levenshulme-2022-12.osm"
    net = build_network(source, cache_dir=net_cache)
    assert 150 < net.n_nodes < 260
    assert set(net.report["highway_counts"]) <= DRIVE_HIGHWAYS | {"unclassified|residential"}
    assert net.report["nodes_dropped"] > 0
    packed = tmp_path / "levenshulme.osm.bz2"
    packed.write_bytes(bz2.compress(source.read_bytes()))
    np.testing.assert_array_equal(build_network(packed, cache=False).length_m, net.length_m)


def test_graphml_input_keeps_drivable_edges_only(tmp_path: Path) -> None:
    import osmnx as ox

    graph = ox.graph_from_xml(_small_xml(tmp_path), simplify=False, retain_all=True)
    graphml = tmp_path / "small.graphml"
    ox.save_graphml(graph, graphml)
    net = build_network(graphml, cache=False)
    assert net.n_nodes == 3  # the footway and its node are gone
    assert set(net.report["highway_counts"]) == {"residential"}


def test_not_a_road_network(tmp_path: Path) -> None:
    no_roads = tmp_path / "buildings.osm"
    no_roads.write_text(
        '<?xml version="1.0"?><osm version="0.6"><node id="1" lat="52.6" lon="-0.7"/>'
        '<node id="2" lat="52.61" lon="-0.7"/><way id="9"><nd ref="1"/><nd ref="2"/>'
        '<tag k="building" v="yes"/></way></osm>')
    with pytest.raises(NetworkError, match="no drivable road"):
        build_network(no_roads, cache=False)
    junk = tmp_path / "junk.osm.pbf"
    junk.write_bytes(b"this is not a protobuf file at all" * 10)
    with pytest.raises(NetworkError, match="not a readable OpenStreetMap file"):
        build_network(junk, cache=False)
    csv = tmp_path / "roads.csv"
    csv.write_text("a,b\n1,2\n")
    with pytest.raises(InputError, match="unknown road network format"):
        build_network(csv)
    with pytest.raises(InputError, match="does not exist"):
        build_network(tmp_path / "missing.osm.pbf")
    bogus = tmp_path / "bogus.npz"
    np.savez(bogus, a=np.arange(3))
    with pytest.raises(NetworkError, match="not a farfromhome road network"):
        load_network(bogus)


def test_damaged_or_foreign_network_files(rutland: RoadNetwork, tmp_path: Path) -> None:
    import json

    good = save_network(rutland, tmp_path / "rutland.npz")
    data = good.read_bytes()
    truncated = tmp_path / "truncated.npz"
    truncated.write_bytes(data[: len(data) // 2])
    with pytest.raises(NetworkError, match=r"^truncated\.npz: damaged road network file .*rebuild it with "
                                           r"'farfromhome network build"):
        load_network(truncated)
    flipped = bytearray(data)
    flipped[len(data) // 3] ^= 0xFF
    bad = tmp_path / "flipped.npz"
    bad.write_bytes(bytes(flipped))
    with pytest.raises(NetworkError, match="flipped.npz: damaged road network file .*rebuild it"):
        load_network(bad)
    with np.load(good) as z:
        arrays = {k: z[k] for k in z.files}
    meta = json.loads(str(arrays["meta"]))
    meta["version"] = 99
    arrays["meta"] = np.array(json.dumps(meta))
    future = tmp_path / "future.npz"
    np.savez_compressed(future, **arrays)
    with pytest.raises(NetworkError, match="future.npz: road network file format version 99; this farfromhome "
                                           "reads version 2: rebuild it with 'farfromhome network build"):
        load_network(future)
    with pytest.raises(NetworkError, match="not a farfromhome road network"):
        load_network(_text_npz(tmp_path))


def _text_npz(tmp_path: Path) -> Path:
    path = tmp_path / "text.npz"
    path.write_text("not a zip archive at all")
    return path


def test_builders_can_be_chosen(mirror: Path, rutland: RoadNetwork, net_cache: Path, tmp_path: Path) -> None:
    pbf = mirror / "roads" / "rutland-2022-07.osm.pbf"
    assert rutland.report["builder"] == "streaming"  # .osm.pbf goes through the streaming reader by default
    old = build_network(pbf, builder="osmnx", cache_dir=net_cache)
    assert old.report["builder"] == "osmnx" and old.report["cache_key"] != rutland.report["cache_key"]
    assert old.report["source_sha256"] == rutland.report["source_sha256"]
    prov = rutland.report["source_provenance"]
    assert prov["sha256"] == rutland.report["source_sha256"] and prov["bytes"] == pbf.stat().st_size
    assert prov["osm_data_timestamp"] == "2022-07-20T20:21:45Z"  # from the PBF header
    with pytest.raises(InputError, match="unknown builder 'fast'"):
        build_network(pbf, builder="fast")  # type: ignore[arg-type]
    graphml = tmp_path / "g.graphml"
    graphml.write_text("<graphml/>")
    with pytest.raises(InputError, match="only go through builder='osmnx'"):
        build_network(graphml, builder="streaming")


def test_empty_graph_and_graph_without_crs() -> None:
    with pytest.raises(NetworkError, match="empty"):
        network_from_graph(nx.MultiDiGraph(crs="EPSG:4326"))
    g = nx.MultiDiGraph()
    g.add_edge(1, 2, length=10.0)
    with pytest.raises(NetworkError, match="no 'crs'"):
        network_from_graph(g)


def test_download_is_wired_without_internet(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    import osmnx as ox

    small = ox.graph_from_xml(_small_xml(tmp_path), simplify=False, retain_all=True)
    calls: dict[str, object] = {}

    def fake_place(place: str, **kw: object) -> nx.MultiDiGraph:
        calls["place"], calls["kw"] = place, kw
        return small

    def offline(*a: object, **kw: object) -> nx.MultiDiGraph:
        raise ConnectionError("no internet here")

    monkeypatch.setattr(ox, "graph_from_place", fake_place)
    monkeypatch.setattr(ox, "graph_from_bbox", offline)
    net = netmod.download_network(place="Stockport, UK")
    assert calls["place"] == "Stockport, UK" and calls["kw"]["network_type"] == "drive"  # type: ignore[index]
    assert net.n_nodes == 3
    with pytest.raises(NetworkError, match="could not download.*no internet"):
        netmod.download_network(bbox=(-2.2, 53.4, -2.1, 53.5))
    with pytest.raises(InputError, match="exactly one"):
        netmod.download_network()
    with pytest.raises(InputError, match="west<east"):
        netmod.download_network(bbox=(1.0, 53.0, 0.0, 54.0))

    runner = CliRunner()
    out = tmp_path / "stockport.npz"
    res = runner.invoke(geo.cli.app, ["network", "build", "--place", "Stockport, UK", "--out", str(out)])
    assert res.exit_code == 0, res.output
    assert "3 nodes" in res.output and out.is_file()
    res = runner.invoke(geo.cli.app, ["network", "build", "--bbox", "-2.2,53.4,-2.1", "--out", str(out)])
    assert res.exit_code == 1 and "expected four numbers" in res.output
    res = runner.invoke(geo.cli.app, ["network", "build", "--bbox", "-2.2,53.4,-2.1,53.5", "--out", str(out)])
    assert res.exit_code == 1 and "could not download" in res.output


def test_cli_build(mirror: Path, tmp_path: Path) -> None:
    runner = CliRunner()
    out = tmp_path / "levenshulme.npz"
    res = runner.invoke(geo.cli.app, ["network", "build", "--osm",
                                      str(mirror / "roads" / "manchester-levenshulme-2022-12.osm"), "--out", str(out),
                                      "--no-cache"])
    assert res.exit_code == 0, res.output
    assert "strongly connected" in res.output and "dropped" in res.output
    assert load_network(out).n_nodes > 150
    assert "osmnx builder" in res.output
    pbf_out = tmp_path / "rutland.npz"
    res = runner.invoke(geo.cli.app, ["network", "build", "--osm", str(mirror / "roads" / "rutland-2022-07.osm.pbf"),
                                      "--out", str(pbf_out), "--no-cache"])
    assert res.exit_code == 0, res.output
    assert "2,663 nodes" in res.output and "streaming builder" in res.output
    assert "11 ways left out (access/motor_vehicle no or private)" in res.output
    assert load_network(pbf_out).report["builder"] == "streaming"
    res = runner.invoke(geo.cli.app, ["network", "build", "--osm", str(pbf_out), "--out", str(out), "--builder", "x"])
    assert res.exit_code == 1 and "--builder 'x': expected auto, streaming or osmnx" in res.output
    res = runner.invoke(geo.cli.app, ["network", "build", "--out", str(out)])
    assert res.exit_code == 1 and "exactly one of --osm" in res.output
    res = runner.invoke(geo.cli.app, ["network", "build", "--osm", str(tmp_path / "nope.osm"), "--out", str(out)])
    assert res.exit_code == 1 and "does not exist" in res.output


def _small_xml(tmp_path: Path) -> Path:
    """Three residential nodes in a two-way street plus a footway: a tiny hand-made OSM file (WGS84)."""
    path = tmp_path / "small.osm"
    path.write_text(
        '<?xml version="1.0"?><osm version="0.6">'
        '<node id="1" lat="52.6700" lon="-0.7300"/><node id="2" lat="52.6710" lon="-0.7300"/>'
        '<node id="3" lat="52.6720" lon="-0.7290"/><node id="4" lat="52.6730" lon="-0.7280"/>'
        '<way id="10"><nd ref="1"/><nd ref="2"/><nd ref="3"/><tag k="highway" v="residential"/></way>'
        '<way id="11"><nd ref="3"/><nd ref="4"/><tag k="highway" v="footway"/></way></osm>')
    return path
