"""The map, figure and demo commands, run in-process: exit codes, messages and what they write."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from geo.cli import app
from geo.disclosure import SYNTHETIC_LABEL
from maps.outputs import QUALITY_FILE_COLUMNS
from tests._own_return import own_tables, write_tables

from .conftest import TEST_CHILD_IDS, TEST_POSTCODES, decoded

runner = CliRunner()


@pytest.fixture(scope="module")
def placements_csv(located: pd.DataFrame, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("pl") / "synthetic_located.csv"
    located.to_csv(path, index=False)
    return path


def test_map_flows_and_distances(placements_csv: Path, tmp_path: Path) -> None:
    res = runner.invoke(app, ["map", "flows", "--placements", str(placements_csv), "--out", str(tmp_path / "f.html"),
                              "--inline-assets"])
    assert res.exit_code == 0, res.output
    assert "wrote" in res.output
    html = decoded((tmp_path / "f.html").read_text(encoding="utf-8"))
    assert "SYNTHETIC" in html  # from the file name
    res = runner.invoke(app, ["map", "distances", "-p", str(placements_csv), "--la", "356", "--out",
                              str(tmp_path / "d.html")])
    assert res.exit_code == 0, res.output
    html += decoded((tmp_path / "d.html").read_text(encoding="utf-8"))
    assert "Where Stockport" in html
    for secret in [*TEST_CHILD_IDS, *TEST_POSTCODES]:
        assert secret not in html


def test_figures(placements_csv: Path, tmp_path: Path) -> None:
    for kind, extra in (("flows", []), ("distances", ["--la", "Stockport"])):
        for fmt in ("png", "svg", "pdf"):
            out = tmp_path / f"{kind}.{fmt}"
            res = runner.invoke(app, ["figure", kind, "-p", str(placements_csv), *extra, "--format", fmt,
                                      "--out", str(out)])
            assert res.exit_code == 0, res.output
            assert out.stat().st_size > 10_000
    assert (tmp_path / "flows.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert (tmp_path / "flows.pdf").read_bytes()[:5] == b"%PDF-"


def test_map_supply_real_data(mirror: Path, tmp_path: Path) -> None:
    out = tmp_path / "supply.html"
    res = runner.invoke(app, ["map", "supply", "--year", "2024", "--out", str(out), "--scheme", "naturalbreaks",
                              "--inline-assets"])
    assert res.exit_code == 0, res.output
    html = decoded(out.read_text(encoding="utf-8"))
    assert out.stat().st_size < 5_000_000
    for label in ("Children's homes", "Registered places", "Places per 10,000 children", "Supply-gap index",
                  "% placed outside their LA", "Net gain of children", "LISA hot and cold spots"):
        assert label in html, label
    assert "natural breaks" in html and "Manchester" in html


def test_errors(placements_csv: Path, tmp_path: Path) -> None:
    res = runner.invoke(app, ["map", "distances", "-p", str(placements_csv), "--la", "Atlantis", "--out",
                              str(tmp_path / "d.html")])
    assert res.exit_code == 1 and "Error:" in res.output and "Atlantis" in res.output
    res = runner.invoke(app, ["map", "flows", "-p", str(tmp_path / "nope.csv"), "--out", str(tmp_path / "f.html")])
    assert res.exit_code == 1 and "nope.csv: file not found" in res.output
    bad = tmp_path / "bad.csv"
    pd.DataFrame({"CHILD": ["A"], "x": [1]}).to_csv(bad, index=False)
    res = runner.invoke(app, ["map", "flows", "-p", str(bad), "--out", str(tmp_path / "f.html")])
    assert res.exit_code == 1 and "missing column(s) 'pl_la'" in res.output
    res = runner.invoke(app, ["map", "supply", "--out", str(tmp_path / "s.html"), "--scheme", "userdefined"])
    assert res.exit_code == 1 and "needs bins" in res.output
    res = runner.invoke(app, ["map", "supply", "--out", str(tmp_path / "s.html"), "--scheme", "userdefined",
                              "--bins", "a,b"])
    assert res.exit_code == 1 and "--bins 'a,b': expected numbers" in res.output
    res = runner.invoke(app, ["figure", "flows", "-p", str(placements_csv), "--out", str(tmp_path / "x.gif")])
    assert res.exit_code == 1 and "cannot write a figure as 'gif'" in res.output


@pytest.mark.slow
def test_demo_bundle(mirror: Path, tmp_path: Path) -> None:
    import json
    import re

    out = tmp_path / "out"
    res = runner.invoke(app, ["demo", "--out", str(out), "--la", "Stockport", "--la", "Tameside", "--network", "none",
                              "--effect-children", "0"])
    assert res.exit_code == 0, res.output
    index = (out / "index.html").read_text(encoding="utf-8")
    links = re.findall(r'href="([^"#]+)"', index)
    assert {"maps/supply.html", "maps/flows.html", "maps/distances.html", "run.json", "data_quality.csv",
            "report/report.html", "report/report.pdf"} <= set(links)  # the focus LA's report is linked
    for link in links:
        if not link.startswith("http"):
            assert (out / link).is_file(), link
    assert any(link.endswith(".svg") for link in links) or (out / "figures" / "flows.svg").is_file()
    for ext in ("png", "svg", "pdf"):
        assert (out / "figures" / f"flows.{ext}").is_file() and (out / "figures" / f"distances.{ext}").is_file()
    assert SYNTHETIC_LABEL in index and "not real" in index.lower()
    assert "Summary" in index and "registered places" in index
    run = json.loads((out / "run.json").read_text(encoding="utf-8"))
    assert run["settings"]["seed"] == 7 and "folium" in run["versions"] and run["inputs"]
    assert all(len(h) == 64 for h in run["outputs_sha256"].values())
    quality = pd.read_csv(out / "data_quality.csv")
    assert list(quality.columns) == QUALITY_FILE_COLUMNS
    # no child-level record in any HTML: IDs, postcodes, dates of birth
    episodes = pd.read_csv(out / "synthetic" / "synthetic_episodes.csv", dtype=str)
    header = pd.read_csv(out / "synthetic" / "synthetic_header.csv", dtype=str)
    secrets = set(episodes["CHILD"]) | set(episodes["HOME_POST"].dropna()) | set(episodes["PL_POST"].dropna()) | \
        set(header["DOB"].dropna())
    for page in out.rglob("*.html"):
        text = decoded(page.read_text(encoding="utf-8"))
        found = [s for s in secrets if s in text]
        assert not found, f"{page.name}: {found[:5]}"
        if page.name in ("flows.html", "distances.html"):
            assert "SYNTHETIC" in text


@pytest.fixture(scope="module")
def own_return(mirror: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One LA's synthetic return with the SYN marker taken off, standing in for a user's real SSDA903 files."""
    folder = tmp_path_factory.mktemp("own")
    write_tables(own_tables(seed=3, marker="8"), folder)
    # a malformed postcode and a placement ending before it starts: counted, never dropped silently
    episodes = pd.read_csv(folder / "episodes.csv", dtype=str, keep_default_na=False)
    episodes.loc[0, "PL_POST"] = "NOT A POSTCODE"
    episodes.to_csv(folder / "episodes.csv", index=False)
    return folder


def test_run_on_own_return(own_return: Path, tmp_path: Path) -> None:
    out = tmp_path / "run"
    res = runner.invoke(app, ["run", "-e", str(own_return / "episodes.csv"), "--header",
                              str(own_return / "header.csv"), "-m", str(own_return / "missing.csv"), "--la", "356",
                              "--network", "none", "--out", str(out)])
    assert res.exit_code == 0, res.output
    index = (out / "index.html").read_text(encoding="utf-8")
    # the user's own data: not labelled synthetic, but every figure says which distance it is
    assert 'class="synthetic"' not in index and "SYNTHETIC" not in index
    assert "Stockport" in index and "miles from home (straight line, DfE method)" in index
    assert "In your data, the adjusted rate ratio of going missing per 10 miles" in index
    assert not (out / "synthetic").exists()
    quality = pd.read_csv(out / "data_quality.csv", dtype=str)
    assert (quality["stage"] == "read episodes.csv").any()
    assert quality["reason"].str.contains("postcode", case=False).any()
    flows = pd.read_csv(out / "tables" / "flows.csv", dtype=str)
    counts = pd.to_numeric(flows["children"], errors="coerce").dropna()
    assert len(counts) and not counts.between(1, 4).any()
    assert "data" not in flows.columns
    # nothing child-level in any output file: IDs, postcodes, dates of birth
    episodes = pd.read_csv(own_return / "episodes.csv", dtype=str)
    header = pd.read_csv(own_return / "header.csv", dtype=str)
    secrets = set(episodes["CHILD"]) | set(episodes["HOME_POST"].dropna()) | set(episodes["PL_POST"].dropna()) | \
        set(header["DOB"].dropna())
    for page in out.rglob("*"):
        if page.suffix in {".html", ".csv", ".json", ".txt", ".svg"}:
            text = decoded(page.read_text(encoding="utf-8"))
            found = [s for s in secrets if s in text]
            assert not found, f"{page.relative_to(out)}: {found[:5]}"


def test_run_refuses_synthetic_and_unreadable_input(mirror: Path, tmp_path: Path) -> None:
    from provision import synth

    data = synth.generate(year=2024, seed=3, las=["E06000017"])
    for name in ("episodes", "header"):
        getattr(data, name).to_csv(tmp_path / f"{name}.csv", index=False)
    res = runner.invoke(app, ["run", "-e", str(tmp_path / "episodes.csv"), "--header", str(tmp_path / "header.csv"),
                              "--network", "none", "--out", str(tmp_path / "o")])
    assert res.exit_code == 1 and "synthetic records" in res.output and "farfromhome demo" in res.output
    (tmp_path / "bad.csv").write_bytes(b"\x89PNG\r\n\x1a\n not a csv")
    res = runner.invoke(app, ["run", "-e", str(tmp_path / "bad.csv"), "--header", str(tmp_path / "header.csv"),
                              "--network", "none", "--out", str(tmp_path / "o2")])
    assert res.exit_code == 1 and "bad.csv" in res.output
    assert "Traceback" not in res.output
