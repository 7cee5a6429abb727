"""Verified derived caches; 'data list' in 80 columns; and, end to end, a user with internet and no mirror.

The end-to-end tests serve the publishers' real originals (the mirror's ``upstream/``, laid out by
``publishers.py``) and every catalogued copy over real HTTP on 127.0.0.1, by host as the official URLs are,
with no derived file and no mirror: ``data fetch`` into an empty cache must rebuild every derived dataset as
its recipe's equality claim states (OS's zip accepted as an unpinned latest release, its SHA-256
recorded), and ``demo`` must then run.
"""

from __future__ import annotations

import gzip
import hashlib
import sys
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from geo.cache import read_verified_parquet
from geo.catalogue import all_datasets
from geo.cli import app
from geo.errors import ChecksumError

sys.path.insert(0, str(Path(__file__).resolve().parent))  # publishers.py

runner = CliRunner()


def _frame() -> pd.DataFrame:
    return pd.DataFrame({"postcode": ["SK4 1AA", "LE1 1AA"], "easting": [389_000, 459_318],
                         "northing": [390_000, 304_176]})


def _builder(calls: list[int]):
    def build(target: Path) -> None:
        calls.append(1)
        target.parent.mkdir(parents=True, exist_ok=True)
        _frame().to_parquet(target, index=False)
    return build


def test_derived_cache_is_checked_when_read_and_rebuilt_if_changed(tmp_path, caplog):
    target, calls = tmp_path / "derived" / "units.parquet", []
    assert read_verified_parquet(target, _builder(calls), what="test cache").equals(_frame())
    assert read_verified_parquet(target, _builder(calls), what="test cache").equals(_frame())
    assert len(calls) == 1  # the second read trusted the recorded checksum
    shifted = _frame().assign(easting=_frame()["easting"] + 30_000)  # the audit's attack: eastings moved
    shifted.to_parquet(target, index=False)
    with caplog.at_level("WARNING", logger="geo.cache"):
        assert read_verified_parquet(target, _builder(calls), what="test cache").equals(_frame())
    assert "does not match its checksum record" in caplog.text and len(calls) == 2


def test_truncated_derived_cache_is_rebuilt_not_arrowinvalid(tmp_path, caplog):
    target, calls = tmp_path / "derived" / "units.parquet", []
    read_verified_parquet(target, _builder(calls), what="test cache")
    target.write_bytes(target.read_bytes()[:200])
    (target.parent / "units.parquet.json").unlink()  # even without its record
    with caplog.at_level("WARNING", logger="geo.cache"):
        assert read_verified_parquet(target, _builder(calls), what="test cache").equals(_frame())
    assert "no checksum record" in caplog.text and len(calls) == 2


def test_derived_cache_that_cannot_be_rebuilt_is_one_line_error(tmp_path):
    target = tmp_path / "derived" / "units.parquet"

    def refuse(path: Path) -> None:
        raise PermissionError(13, "Permission denied", str(path))

    with pytest.raises(ChecksumError, match=r"test cache .*units.parquet is missing or corrupt and cannot be "
                                            r"rebuilt \(Permission denied\); make the cache folder writable"):
        read_verified_parquet(target, refuse, what="test cache")


@pytest.mark.slow
def test_tampered_postcode_cache_fails_verify_and_is_rebuilt(mirror, tmp_path, caplog):
    from geo import postcodes

    cache = tmp_path / "cache"
    args = ["--mirror", str(mirror), "--cache-dir", str(cache)]
    assert runner.invoke(app, [*args, "placements", "--help"]).exit_code in (0, 2)  # configure the catalogue
    postcodes._codepoint_cached.cache_clear()
    before = postcodes.load_codepoint()
    target = next((cache / "derived").glob("codepoint_open_*.parquet"))
    tampered = before.reset_index().assign(easting=lambda f: f["easting"] + 40_000)
    tampered.to_parquet(target, index=False)
    result = runner.invoke(app, [*args, "data", "verify"], env={"COLUMNS": "300"})
    assert result.exit_code == 1
    flat = "".join(result.output.split())  # rich wraps long cache paths whatever COLUMNS says
    assert "codepoint_open_" in flat and "differsfromtherecorded" in flat
    postcodes._codepoint_cached.cache_clear()
    with caplog.at_level("WARNING", logger="geo.cache"):
        after = postcodes.load_codepoint()
    assert after.equals(before) and "rebuilding it" in caplog.text
    assert runner.invoke(app, [*args, "data", "verify"]).exit_code == 0
    postcodes._codepoint_cached.cache_clear()


def test_data_list_is_readable_in_80_columns(mirror):
    result = runner.invoke(app, ["--mirror", str(mirror), "data", "list"], env={"COLUMNS": "80"})
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert max(len(line) for line in lines) <= 80
    header = next(line for line in lines if line.startswith("┃"))
    assert [w.strip() for w in header.strip("┃").split("┃")] == ["dataset", "vintage", "status", "origin"]
    rows = [line for line in lines if line.startswith("│")]
    for column in range(4):  # no column collapsed: each one shows text in some row
        assert any(r.strip("│").split("│")[column].strip() for r in rows), column
    cells = [[c.strip() for c in r.strip("│").split("│")] for r in rows]
    dataset, status, origin = ("".join(c[i] for c in cells) for i in (0, 2, 3))
    assert "dfe_regions" in dataset and "mirror ok" in status
    compact = origin.replace(" ", "")
    assert "derivedfromOrdnanceSurvey(Code-PointOpen)original" in compact  # what it is built from
    assert "mirroronly(norecipe)" in compact  # datasets without a recipe say so


# -- a user with internet and no mirror -------------------------------------------------------------------
@pytest.fixture(scope="module")
def publisher_server(mirror, tmp_path_factory):
    """The publishers' real originals and the catalogued copies on 127.0.0.1 by host; yields (url, originals)."""
    from publishers import publisher_tree, serve

    root = tmp_path_factory.mktemp("publishers") / "served"
    originals = publisher_tree(mirror, root)
    with serve(root) as url:
        yield url, originals


@pytest.fixture(scope="module")
def no_mirror_cache(tmp_path_factory):
    """One cache for the no-mirror tests: empty for the first (the fetch); the demo reuses what it derived."""
    return tmp_path_factory.mktemp("no-mirror") / "cache"


@pytest.fixture
def no_mirror(monkeypatch, publisher_server):
    monkeypatch.delenv("FARFROMHOME_MIRROR", raising=False)
    monkeypatch.setenv("FARFROMHOME_PUBLISHER_URL", publisher_server[0])


@pytest.mark.slow
def test_fetch_derives_every_recipe_as_its_equality_claim_states(no_mirror, mirror, publisher_server,
                                                                  no_mirror_cache, caplog):
    from geo.catalogue import Catalogue
    from geo.derive import LATEST_RELEASE, recipes
    from geo.settings import Settings

    cache = no_mirror_cache
    assert not cache.exists()
    derived = [d.name for d in all_datasets().values() if d.recipe]
    with caplog.at_level("WARNING", logger="geo.catalogue"):
        result = runner.invoke(app, ["--cache-dir", str(cache), "data", "fetch", *derived])
    assert result.exit_code == 0, result.output
    assert "derived locally" in result.output
    files = [f for d in all_datasets().values() if d.recipe for f in d.files]
    assert len(files) == 135
    for f in files:
        claim = recipes()[f.recipe].equality
        ours, theirs = (cache / f.path).read_bytes(), (mirror / f.path).read_bytes()
        if claim == "byte-identical" or not f.path.endswith(".gz"):  # the catalogue's own checksum holds
            assert hashlib.sha256(ours).hexdigest() == f.sha256, f.path
        else:  # equal as data: same CSV text, another gzip wrapper
            assert claim.startswith("equal as data"), f.recipe
            assert gzip.decompress(ours) == gzip.decompress(theirs), f.path
    # OS's zip is not pinned (OS serves only its latest release): accepted on its content, its SHA-256 recorded
    served_zip = publisher_server[1]["os_codepoint_open"]
    used = {u["original"]: u for u in Catalogue(Settings(cache_dir=cache)).originals_used()}
    assert set(used) == {"os_codepoint_open", "dfe_lait_bds_long", "dfe_csc_combined_cla_31_march"}
    assert used["os_codepoint_open"]["pinned"] == LATEST_RELEASE
    assert used["os_codepoint_open"]["sha256"] == hashlib.sha256(served_zip.read_bytes()).hexdigest()
    assert used["os_codepoint_open"]["release"].startswith("Code-Point Open 2025.4.0")
    notes = [r.getMessage() for r in caplog.records if "os_codepoint_open" in r.getMessage()]
    assert len(notes) == 1 and "using Code-Point Open 2025.4.0" in notes[0]  # said in one line, not silently
    result = runner.invoke(app, ["--cache-dir", str(cache), "data", "verify", *derived], env={"COLUMNS": "300"})
    assert result.exit_code == 0, result.output
    assert f"{len(derived)} dataset(s) present, 0 with a bad checksum" in result.output


@pytest.mark.slow
def test_demo_runs_without_a_mirror(no_mirror, no_mirror_cache, tmp_path):
    out = tmp_path / "out"
    result = runner.invoke(app, ["--cache-dir", str(no_mirror_cache), "demo", "--la", "Stockport", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert (out / "index.html").is_file()
    derived = {p.stem for p in (no_mirror_cache / "derived" / "recipes").glob("*.json")}
    assert {"codepoint_open_areas", "postcode_centroids", "dfe_lait_cla", "dfe_cla_characteristics"} <= derived
    assert (no_mirror_cache / "upstream" / "os" / "codepo_gb_latest.zip").is_file()
