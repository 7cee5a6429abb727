"""The data catalogue: local mirror, cache, and downloads over real HTTP with checksum checks."""

from __future__ import annotations

import functools
import hashlib
import http.server
import json
import shutil
import sys
import threading
from pathlib import Path

import pytest

from geo.catalogue import Catalogue, all_datasets
from geo.errors import ChecksumError, DataUnavailableError, InputError
from geo.settings import Settings, get_settings

sys.path.insert(0, str(Path(__file__).resolve().parent))  # publishers.py: where the real originals are

SMALL = "lookups/dfe_regions.csv"  # 280 bytes, a byte-for-byte copy with an official URL


@pytest.fixture
def http_mirror(tmp_path: Path):
    """Serve a folder over real HTTP on 127.0.0.1; yields (folder, base_url)."""
    root = tmp_path / "served"
    root.mkdir()
    handler = functools.partial(_QuietHandler, directory=str(root))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield root, f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args: object) -> None:
        pass


def test_catalogue_lists_every_mirror_file_with_metadata(mirror):
    ds = all_datasets()
    files = {f.path for d in ds.values() for f in d.files}
    on_disk = {p.relative_to(mirror).as_posix() for p in mirror.rglob("*")
               if p.is_file() and not p.name.startswith("PROVENANCE")}
    assert files == on_disk
    assert len(ds["codepoint_open"].files) == 122
    for d in ds.values():
        assert d.publisher and d.licence and d.attribution and d.source, d.name
    topo = ds["ons_uk_topojson_2014_2025_bsc"]
    assert topo.downloadable and "ONSvisual/uk-topojson" in topo.source
    assert "Contains OS data © Crown copyright" in topo.attribution
    assert "© OpenStreetMap contributors" in ds["rutland_2022_07"].attribution


def test_mirror_is_used_and_verified(mirror, tmp_path):
    cat = Catalogue(Settings(cache_dir=tmp_path / "cache", mirror=mirror))
    p = cat.path("dfe_regions")
    assert p == mirror / SMALL
    assert cat.path(SMALL) == p
    assert not (tmp_path / "cache").exists()  # nothing copied


def test_fetch_over_http_into_cache(mirror, tmp_path, http_mirror):
    root, url = http_mirror
    (root / "lookups").mkdir()
    shutil.copy(mirror / SMALL, root / SMALL)
    cat = Catalogue(Settings(cache_dir=tmp_path / "cache", base_url=url))
    assert cat.locate(cat._file(SMALL))[0] == "absent"
    p = cat.path(SMALL)
    assert p == tmp_path / "cache" / SMALL
    assert hashlib.sha256(p.read_bytes()).hexdigest() == all_datasets()["dfe_regions"].first.sha256
    assert cat.status(["dfe_regions"])[0]["location"] == "cache"
    (root / SMALL).unlink()  # second call is served from the cache, not the network
    assert cat.path(SMALL) == p


def test_wrong_checksum_download_is_refused(mirror, tmp_path, http_mirror):
    root, url = http_mirror
    (root / "lookups").mkdir()
    (root / SMALL).write_bytes((mirror / SMALL).read_bytes().replace(b"London", b"Londinium"))
    cat = Catalogue(Settings(cache_dir=tmp_path / "cache", base_url=url))
    with pytest.raises(ChecksumError, match="dataset 'dfe_regions'"):
        cat.path(SMALL)
    assert not (tmp_path / "cache" / SMALL).exists()  # never left half-written or corrupt


def test_http_404_is_a_clear_error(tmp_path, http_mirror):
    _, url = http_mirror
    cat = Catalogue(Settings(cache_dir=tmp_path / "cache", base_url=url))
    with pytest.raises(DataUnavailableError, match="dataset 'dfe_regions': could not download"):
        cat.path(SMALL)


def test_corrupt_mirror_file_is_refused(mirror, tmp_path):
    fake = tmp_path / "mirror"
    (fake / "lookups").mkdir(parents=True)
    (fake / SMALL).write_text("region_code,region_name\nE12000001,North East\n")
    cat = Catalogue(Settings(cache_dir=tmp_path / "cache", mirror=fake))
    with pytest.raises(ChecksumError, match=r"dataset 'dfe_regions': .* is refused"):
        cat.path(SMALL)
    rows = {r["name"]: r for r in cat.status(["dfe_regions", "dfe_las"])}
    assert rows["dfe_regions"]["checksum"].startswith("bad")
    assert rows["dfe_las"]["location"] == "absent"


def test_derived_dataset_without_recipe_or_mirror_says_what_to_do(tmp_path):
    cat = Catalogue(Settings(cache_dir=tmp_path / "cache"))
    with pytest.raises(DataUnavailableError, match="has no download URL: it is derived.*no recipe.*--mirror"):
        cat.path("postcodes/sample_postcodes_codepoint_2025_4.csv")


def _publisher(root: Path, url: str, source: Path) -> None:
    target = root / url.split("://", 1)[1].split("?", 1)[0]
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy(source, target)


def test_copy_is_fetched_from_its_official_url_through_the_publisher_proxy(mirror, tmp_path, http_mirror):
    root, url = http_mirror
    f = all_datasets()["dfe_regions"].first
    _publisher(root, f.url, mirror / f.path)  # served at /raw.githubusercontent.com/<repo>/<commit>/<path>
    cat = Catalogue(Settings(cache_dir=tmp_path / "cache", publisher_url=url))
    assert cat.path(SMALL) == tmp_path / "cache" / SMALL


def test_lait_is_derived_from_dfe_original_and_verified(mirror, tmp_path, http_mirror, caplog):
    from publishers import ORIGINALS

    from geo.derive import all_originals

    root, url = http_mirror
    pin = all_originals()["dfe_lait_bds_long"]
    _publisher(root, pin.url, mirror / ORIGINALS["dfe_lait_bds_long"])  # the publisher's real file
    cat = Catalogue(Settings(cache_dir=tmp_path / "cache", publisher_url=url))
    rel = "care/dfe_cla/lait/lait_cla_indicators_2016_2025.csv"
    p = cat.path(rel)
    assert p == tmp_path / "cache" / rel and p.read_bytes() == (mirror / rel).read_bytes()
    manifest = json.loads((tmp_path / "cache" / "derived" / "recipes" / "dfe_lait_cla.json").read_text())
    assert manifest["inputs"] == {"dfe_lait_bds_long": pin.sha256}
    assert manifest["originals"]["dfe_lait_bds_long"]["sha256"] == pin.sha256
    assert manifest["outputs"][rel]["sha256"] == hashlib.sha256(p.read_bytes()).hexdigest()
    assert manifest["farfromhome"] and manifest["steps"]
    # a derived file changed after it was built is reported, then rebuilt with a warning
    p.write_bytes(p.read_bytes().replace(b"Camden,202", b"Camden,999"))
    assert cat.status(["lait_cla_indicators_2016_2025"])[0]["checksum"].startswith("bad")
    with caplog.at_level("WARNING", logger="geo.catalogue"):
        assert cat.path(rel).read_bytes() == (mirror / rel).read_bytes()
    assert "does not match its record" in caplog.text


def test_mismatching_original_is_refused(mirror, tmp_path, http_mirror):
    from publishers import ORIGINALS

    from geo.derive import all_originals

    root, url = http_mirror
    original = tmp_path / "bds_long_0.parquet"
    real = (mirror / ORIGINALS["dfe_lait_bds_long"]).read_bytes()
    original.write_bytes(real[:-100] + b"x" * 100)  # not the pinned file
    _publisher(root, all_originals()["dfe_lait_bds_long"].url, original)
    cat = Catalogue(Settings(cache_dir=tmp_path / "cache", publisher_url=url))
    with pytest.raises(ChecksumError, match=r"dataset 'dfe_lait_bds_long': the download from .* was refused: "
                                            r"SHA-256 \w+…, not the pinned 8277a891ae73…; not a readable parquet"):
        cat.path("care/dfe_cla/lait/lait_cla_indicators_2016_2025.csv")
    assert not (tmp_path / "cache" / "care").exists()
    assert not list((tmp_path / "cache").rglob("bds_long_0.parquet"))


def test_unknown_dataset_suggests_names(tmp_path):
    cat = Catalogue(Settings(cache_dir=tmp_path))
    with pytest.raises(InputError, match="unknown dataset 'dfe_region'; did you mean 'dfe_regions'"):
        cat.dataset("dfe_region")


def test_missing_mirror_folder(tmp_path):
    with pytest.raises(InputError, match="mirror folder .*nope' does not exist"):
        get_settings(mirror=tmp_path / "nope")
