"""Tests for distance.fetch and 'network fetch': real HTTP from 127.0.0.1 serving a mirror extract."""

from __future__ import annotations

import functools
import http.server
import json
import shutil
import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

import geo.cli
from distance import fetch
from distance.network import build_network
from geo.cache import sha256_file
from geo.errors import DataUnavailableError, InputError


class _Handler(http.server.SimpleHTTPRequestHandler):
    served: list[str] = []

    def log_message(self, *args: object) -> None:
        _Handler.served.append(self.path)


@pytest.fixture
def osm_server(mirror: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A Geofabrik-like server on 127.0.0.1 holding Rutland's extract; FARFROMHOME_OSM_BASE_URL points at it."""
    root = tmp_path / "served"
    target = root / fetch.EXTRACTS["rutland"]
    target.parent.mkdir(parents=True)
    shutil.copyfile(mirror / "roads" / "rutland-2022-07.osm.pbf", target)
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_Handler, directory=str(root)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    monkeypatch.setenv(fetch.OSM_BASE_URL_ENV, f"http://127.0.0.1:{server.server_address[1]}")
    _Handler.served.clear()
    try:
        yield target
    finally:
        server.shutdown()
        server.server_close()


def test_fetch_records_provenance_and_feeds_the_network(osm_server: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    path = fetch.fetch_extract("rutland", cache_dir=cache)
    assert path == cache / "osm" / "rutland-latest.osm.pbf"
    assert path.read_bytes() == osm_server.read_bytes()
    record = json.loads((path.parent / (path.name + ".json")).read_text())
    assert record["sha256"] == sha256_file(osm_server) and record["bytes"] == osm_server.stat().st_size
    assert record["url"].startswith("http://127.0.0.1:") and record["url"].endswith("england/rutland-latest.osm.pbf")
    assert record["downloaded"][:2] == "20" and "OpenStreetMap" in record["attribution"]
    assert not list(path.parent.glob(".download-*"))  # the temporary download folder is gone
    # cached: no second download; refresh downloads again
    n = len(_Handler.served)
    assert fetch.fetch_extract("rutland", cache_dir=cache) == path and len(_Handler.served) == n
    fetch.fetch_extract("rutland", cache_dir=cache, refresh=True)
    assert len(_Handler.served) == n + 1
    net = build_network(path, cache_dir=tmp_path / "networks")
    prov = net.report["source_provenance"]
    assert prov["name"] == "rutland" and prov["sha256"] == record["sha256"] and prov["bytes"] == record["bytes"]
    assert prov["downloaded"] == json.loads((path.parent / (path.name + ".json")).read_text())["downloaded"]
    assert prov["osm_data_timestamp"] == "2022-07-20T20:21:45Z"


def test_fetch_failures_are_one_line(osm_server: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(InputError, match="unknown OpenStreetMap extract 'atlantis'; known: cheshire"):
        fetch.fetch_extract("atlantis", cache_dir=tmp_path)
    with pytest.raises(DataUnavailableError, match=r"could not download the kent extract .*404.*network build "
                                                   r"--osm FILE\.osm\.pbf"):
        fetch.fetch_extract("kent", cache_dir=tmp_path)
    assert not (tmp_path / "osm" / "kent-latest.osm.pbf").exists()
    with socket.socket() as s:  # a port nothing listens on: as without internet
        s.bind(("127.0.0.1", 0))
        closed = s.getsockname()[1]
    monkeypatch.setenv(fetch.OSM_BASE_URL_ENV, f"http://127.0.0.1:{closed}")
    with pytest.raises(DataUnavailableError, match="could not download the england extract .*ConnectionError.*without "
                                                   "internet"):
        fetch.fetch_extract("england", cache_dir=tmp_path)


def test_provenance_ignores_a_record_of_another_file(osm_server: Path, tmp_path: Path) -> None:
    path = fetch.fetch_extract("rutland", cache_dir=tmp_path)
    path.write_bytes(path.read_bytes()[:-1])  # the file changed after its download
    prov = fetch.provenance(path)
    assert "url" not in prov and prov["bytes"] == osm_server.stat().st_size - 1


def test_cli_fetch(osm_server: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FARFROMHOME_CACHE", str(tmp_path / "cache"))
    runner = CliRunner()
    res = runner.invoke(geo.cli.app, ["network", "fetch", "rutland"])
    assert res.exit_code == 0, res.output
    shown = "".join(res.output.split())  # rich wraps long paths and hashes at the terminal's width
    assert "sha256" + sha256_file(osm_server) in shown and "OSMdata2022-07-20" in shown
    assert (tmp_path / "cache" / "osm" / "rutland-latest.osm.pbf").is_file()
    res = runner.invoke(geo.cli.app, ["network", "fetch", "--list"])
    assert res.exit_code == 0 and "greater-manchester" in res.output and "north-west" in res.output
    res = runner.invoke(geo.cli.app, ["network", "fetch", "atlantis"])
    assert res.exit_code == 1 and "unknown OpenStreetMap extract 'atlantis'" in res.output
    assert "Traceback" not in res.output
    res = runner.invoke(geo.cli.app, ["network", "fetch", "--help"])
    assert "no checksum can be pinned" in " ".join(res.output.split())
