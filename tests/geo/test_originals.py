"""The publishers' real originals: pinned checksums, recipes on the real files, and bad downloads refused.

The originals are the mirror's ``upstream/`` files (``PROVENANCE-upstream.md``). Bad input is served from a
publisher server on 127.0.0.1 in place of an original; ``farfromhome data fetch`` must stop with one line
naming the dataset and the problem, and leave the cache as it was.
"""

from __future__ import annotations

import hashlib
import io
import re
import sys
import zipfile
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from geo.catalogue import Catalogue, all_datasets
from geo.cli import app
from geo.derive import LATEST_RELEASE, PINNED_BY_PUBLISHER, all_originals, recipes
from geo.errors import InputError
from geo.settings import Settings

sys.path.insert(0, str(Path(__file__).resolve().parent))  # publishers.py

from publishers import ORIGINALS, publisher_tree, replace, serve, url_path  # noqa: E402

runner = CliRunner()

LAIT = "lait_cla_indicators_2016_2025"
CSC = "ees2025_derived_la_cla_on_31_march_by_characteristics_2021"


def test_dfe_originals_are_pinned_to_the_publishers_files(mirror):
    for name in ("dfe_lait_bds_long", "dfe_csc_combined_cla_31_march"):
        o, real = all_originals()[name], mirror / ORIGINALS[name]
        assert o.pinned == PINNED_BY_PUBLISHER
        assert (hashlib.sha256(real.read_bytes()).hexdigest(), real.stat().st_size) == (o.sha256, o.bytes), name
        assert all_datasets()[name].first.url == o.url  # the mirror's copy is catalogued as that original
    os_zip = all_originals()["os_codepoint_open"]
    assert os_zip.pinned == LATEST_RELEASE and not os_zip.sha256  # OS serves only its latest release


@pytest.mark.parametrize("recipe", ["dfe_lait_cla", "dfe_cla_characteristics"])
def test_dfe_recipes_on_the_real_originals_write_the_mirrors_bytes(mirror, tmp_path, recipe):
    r = recipes()[recipe]
    assert r.equality == "byte-identical"
    r.build({name: mirror / ORIGINALS[name] for name in r.originals}, tmp_path)
    outputs = [f for d in all_datasets().values() for f in d.files if f.recipe == recipe]
    assert outputs
    for f in outputs:
        assert hashlib.sha256((tmp_path / f.path).read_bytes()).hexdigest() == f.sha256, f.path


def test_content_checks_name_the_release_of_the_real_files(mirror):
    checks = {name: c for r in recipes().values() for name, c in r.checks.items()}
    assert set(checks) == set(all_originals())  # every original has a content check
    assert "Code-Point Open 2025.4.0 (copyright date 20251020)" in checks["os_codepoint_open"](
        mirror / ORIGINALS["os_codepoint_open"])
    assert "2021-2025" in checks["dfe_csc_combined_cla_31_march"](mirror / ORIGINALS["dfe_csc_combined_cla_31_march"])


def test_a_zip_whose_counts_differ_from_its_metadata_is_refused(mirror, tmp_path):
    bad = tmp_path / "codepo_gb.zip"
    with zipfile.ZipFile(mirror / ORIGINALS["os_codepoint_open"]) as src, zipfile.ZipFile(bad, "w") as out:
        for info in src.infolist():
            data = src.read(info)
            out.writestr(info, data[: data.index(b"\n", 1000) + 1] if info.filename == "Data/CSV/sk.csv" else data)
    check = recipes()["codepoint_open_areas"].checks["os_codepoint_open"]
    with pytest.raises(InputError, match=r"dataset 'os_codepoint_open' \(codepo_gb.zip\):Data/CSV/sk.csv: \d+ rows, "
                                         r"but Doc/metadata.txt gives 16675 for area SK"):
        check(bad)


# -- bad downloads, end to end through the CLI ------------------------------------------------------------
@pytest.fixture(scope="module")
def served(mirror, tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("publishers")
    publisher_tree(mirror, root)
    return root


def _html() -> bytes:
    return b"<!DOCTYPE html>\n<html><head><title>Sign in</title></head><body>Proxy login</body></html>\n" * 20


def _renamed_parquet(mirror: Path) -> bytes:
    frame = pd.read_parquet(mirror / ORIGINALS["dfe_lait_bds_long"]).rename(columns={"Short Desc": "short_desc"})
    buf = io.BytesIO()
    frame.to_parquet(buf, index=False)
    return buf.getvalue()


def _zip_without_csv(mirror: Path) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(mirror / ORIGINALS["os_codepoint_open"]) as src, zipfile.ZipFile(buf, "w") as out:
        for info in src.infolist():
            if not info.filename.startswith("Data/"):
                out.writestr(info, src.read(info))
    return buf.getvalue()


BAD = {  # case -> (dataset fetched, original replaced, the bytes served, what the one-line error must say)
    "html_instead_of_unpinned_zip": ("codepoint_open", "os_codepoint_open", lambda m: _html(),
                                     r"dataset 'os_codepoint_open': the download from .* was refused: the server "
                                     r"sent an HTML page instead of the file"),
    "html_instead_of_pinned_rds": (CSC, "dfe_csc_combined_cla_31_march", lambda m: _html(),
                                   r"dataset 'dfe_csc_combined_cla_31_march': .* refused: the server sent an HTML "
                                   r"page"),
    "truncated_file": (LAIT, "dfe_lait_bds_long",
                       lambda m: (m / ORIGINALS["dfe_lait_bds_long"]).read_bytes()[:500_000],
                       r"dataset 'dfe_lait_bds_long': .* refused: SHA-256 \w+…, not the pinned 8277a891ae73… "
                       r"\(500,000 bytes, not 1,795,878\); not a readable parquet file"),
    "parquet_with_a_renamed_column": (LAIT, "dfe_lait_bds_long", _renamed_parquet,
                                      r"dataset 'dfe_lait_bds_long': .* refused: SHA-256 \w+…, not the pinned "
                                      r"8277a891ae73… \(\d[\d,]+ bytes, not 1,795,878\); "
                                      r"missing column\(s\) 'Short Desc'"),
    "rds_that_is_not_r_data": (CSC, "dfe_csc_combined_cla_31_march",
                               lambda m: b"time_period,la_name\n2025,Stockport\n" * 40_000,
                               r"dataset 'dfe_csc_combined_cla_31_march': .* refused: SHA-256 \w+…, not the "
                               r"pinned 6eb15a33c7b2… \(\d[\d,]+ bytes, not 974,490\); not R data"),
    "zip_without_data_csv": ("codepoint_open", "os_codepoint_open", _zip_without_csv,
                             r"dataset 'os_codepoint_open' \(codepo_gb_latest.zip\): no Data/CSV/<area>.csv "
                             r"members; .* refused and the cache was not changed"),
}


def _snapshot(cache: Path) -> dict[str, str]:
    return {p.relative_to(cache).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(cache.rglob("*")) if p.is_file()}


def _one_line_error(output: str) -> str:
    """The error line of a failed command: its last line, the only one that says "Error", and no traceback."""
    lines = [line for line in output.splitlines() if line.strip()]
    assert lines and lines[-1].startswith("Error: "), output
    assert sum("error" in line.lower() for line in lines) == 1 and "Traceback" not in output, output
    progress = " ".join(lines[:-1])  # rich wraps a long progress line at the terminal's width
    assert not progress or progress.startswith("deriving "), output  # progress only
    return lines[-1]


def _fetch(cache: Path, url: str, *names: str):  # type: ignore[no-untyped-def]
    return runner.invoke(app, ["--cache-dir", str(cache), "data", "fetch", *names],
                         env={"FARFROMHOME_PUBLISHER_URL": url, "FARFROMHOME_MIRROR": "", "COLUMNS": "2000"})


@pytest.mark.parametrize("case", list(BAD))
def test_bad_download_is_one_line_and_leaves_the_cache_as_it_was(mirror, tmp_path, monkeypatch, case):
    monkeypatch.delenv("FARFROMHOME_MIRROR", raising=False)
    dataset, original, make, message = BAD[case]
    root = tmp_path / "served"
    publisher_tree(mirror, root)
    replace(root, all_originals()[original].url, make(mirror))
    cache = tmp_path / "cache"
    with serve(root) as url:
        assert _fetch(cache, url, "dfe_regions").exit_code == 0  # a cache with something in it
        before = _snapshot(cache)
        result = _fetch(cache, url, dataset)
    assert result.exit_code == 1, result.output
    error = _one_line_error(result.output)
    assert re.search(message, error), error
    assert _snapshot(cache) == before


def test_download_cut_short_is_one_line_and_leaves_the_cache_as_it_was(mirror, served, tmp_path, monkeypatch):
    monkeypatch.delenv("FARFROMHOME_MIRROR", raising=False)
    cache = tmp_path / "cache"
    cut = {url_path(all_originals()["dfe_lait_bds_long"].url): 300_000}
    with serve(served, cut=cut) as url:
        assert _fetch(cache, url, "dfe_regions").exit_code == 0
        before = _snapshot(cache)
        result = _fetch(cache, url, LAIT)
    assert result.exit_code == 1
    error = _one_line_error(result.output)
    assert "dataset 'dfe_lait_bds_long': the download from" in error and "was cut short (truncated" in error
    assert _snapshot(cache) == before


def test_pinned_original_in_the_mirror_is_used_without_download(mirror, tmp_path):
    empty = tmp_path / "empty-mirror"
    empty.mkdir()
    (empty / "upstream").symlink_to(mirror / "upstream", target_is_directory=True)  # the originals, nothing derived
    cat = Catalogue(Settings(cache_dir=tmp_path / "cache", mirror=empty, publisher_url="http://127.0.0.1:9"))
    written = cat.derive("dfe_lait_cla")  # port 9 refuses: nothing may be downloaded
    assert [hashlib.sha256(p.read_bytes()).hexdigest() for p in written] == [
        all_datasets()[LAIT].first.sha256]
    (used,) = cat.originals_used()
    assert used["original"] == "dfe_lait_bds_long" and used["sha256"] == all_originals()["dfe_lait_bds_long"].sha256
    assert used["pinned"] == PINNED_BY_PUBLISHER and used["release"].startswith("LAIT bds_long_0.parquet: 641,070")
    assert Catalogue(Settings(cache_dir=tmp_path / "cache", mirror=mirror)).originals_used() == []  # reads the mirror's


def _newer_release(mirror: Path, target: Path) -> Path:
    """OS's 2025.4.0 zip with its metadata saying 2026.1.0 (what a user gets after OS's next release)."""
    with zipfile.ZipFile(mirror / ORIGINALS["os_codepoint_open"]) as src, \
            zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as out:
        for info in src.infolist():
            data = src.read(info)
            if info.filename == "Doc/metadata.txt":
                data = data.replace(b"2025.4.0", b"2026.1.0").replace(b"COPYRIGHT DATE: 20251020",
                                                                      b"COPYRIGHT DATE: 20260119")
            out.writestr(info, data)
    return target


@pytest.mark.slow
def test_a_newer_os_release_is_accepted_recorded_and_trusted(mirror, tmp_path, monkeypatch, caplog):
    monkeypatch.delenv("FARFROMHOME_MIRROR", raising=False)
    root = tmp_path / "served"
    publisher_tree(mirror, root)
    newer = _newer_release(mirror, tmp_path / "codepo_gb_2026_1.zip")
    replace(root, all_originals()["os_codepoint_open"].url, newer.read_bytes())
    stale = tmp_path / "cache" / all_originals()["os_codepoint_open"].path  # a cached zip that no longer reads
    stale.parent.mkdir(parents=True)
    stale.write_bytes(b"PK\x03\x04 not a whole zip")
    with serve(root) as url:
        cat = Catalogue(Settings(cache_dir=tmp_path / "cache", publisher_url=url))
        with caplog.at_level("WARNING", logger="geo.catalogue"):
            sectors = cat.path("postcode_sectors_gb_codepoint_2025_4")  # derives the areas, then the centroids
    assert sectors.is_file()
    assert "fails its check" in caplog.text and "downloading it again" in caplog.text
    assert hashlib.sha256(stale.read_bytes()).hexdigest() == hashlib.sha256(newer.read_bytes()).hexdigest()
    (used,) = [u for u in cat.originals_used() if u["original"] == "os_codepoint_open"]
    assert used["release"].startswith("Code-Point Open 2026.1.0 (copyright date 20260119)")
    assert used["sha256"] == hashlib.sha256(newer.read_bytes()).hexdigest() and used["pinned"] == LATEST_RELEASE
    assert "using Code-Point Open 2026.1.0" in caplog.text
    rows = {r["name"]: r for r in cat.status(["codepoint_open", "postcode_sectors_gb_codepoint_2025_4"])}
    assert all(r["checksum"].startswith("ok") for r in rows.values()), rows  # trusted on their manifests
    metadata = tmp_path / "cache" / "postcodes" / "codepoint_open_2025_4" / "metadata-codepoint-open.txt"
    assert "2026.1.0" in metadata.read_text(encoding="utf-8")
