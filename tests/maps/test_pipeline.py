"""maps.pipeline.run_job, the main job, called directly and through 'run': skips are named, failures fail,
inputs are checked before any work, and --out is never left half-written or taken from someone else."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from geo.cli import app
from geo.errors import InputError
from maps import pipeline
from maps.outputs import QUALITY_FILE_COLUMNS
from maps.pipeline import JobOptions, StepOutput, run_job
from provision.returns import ChildLevelData, read_return

runner = CliRunner()




@pytest.fixture(scope="module")
def own(own_files: Path) -> ChildLevelData:
    return read_return(own_files / "episodes.csv", header=own_files / "header.csv",
                       missing=own_files / "missing.csv", la="E08000007")


@pytest.fixture()
def quick_supply(monkeypatch: pytest.MonkeyPatch) -> None:
    """Leave out the supply maps and nine figures and the LA report (tested elsewhere): runs take seconds."""
    steps = pipeline.replace_step("supply", lambda ctx: StepOutput(sentences=["supply"]))
    steps = pipeline.replace_step("la_report", lambda ctx: StepOutput(), steps=steps)  # tests/maps/test_la_report.py
    monkeypatch.setattr(pipeline, "STEPS", steps)


def _run_args(files: Path, out: Path, *extra: str) -> list[str]:
    return ["run", "-e", str(files / "episodes.csv"), "--header", str(files / "header.csv"), "-m",
            str(files / "missing.csv"), "--la", "356", "--out", str(out), *extra]


def test_run_job_is_a_library_call(own: ChildLevelData, tmp_path: Path, quick_supply: None) -> None:
    steps: list[str] = []
    result = run_job(own, out=tmp_path / "out", options=JobOptions(network="none"), on_step=steps.append)
    assert result.index == tmp_path / "out" / "index.html" and result.index.is_file()
    assert result.focus == "E08000007"
    assert steps[0].startswith("Supply") and steps[-1].startswith("Distance and going missing by child")
    assert [s.step for s in result.skipped][0] == "Road distances"
    # one LA's children are too few for the within-child designs: named skips, not errors
    assert {s.step for s in result.skipped[1:]} <= {"Within-child design", "Event study around moves"}
    assert "--network none" in result.skipped[0].reason
    index = result.index.read_text(encoding="utf-8")
    assert "Left out, and why" in index and "--network none" in index
    run = json.loads((tmp_path / "out" / "run.json").read_text(encoding="utf-8"))
    assert run["skipped"][0] == {"step": "Road distances", "reason": result.skipped[0].reason}
    assert set(result.timings) == {*pipeline.STEP_NAMES, "total"}
    assert [s["name"] for s in run["steps"]] == list(pipeline.STEP_NAMES)
    assert any(s.startswith("In your data, the adjusted rate ratio") for s in result.summary)
    assert list(result.data_quality.columns) == QUALITY_FILE_COLUMNS
    _assert_tidy_csvs(tmp_path / "out")
    assert not list(tmp_path.glob(".out.*"))  # no staging folder or lock left behind


def _assert_tidy_csvs(out: Path) -> None:
    """Every CSV of the run: no whole number written as a float (336.0), no float of more than 4 significant
    figures outside coordinates, percentages to 1 decimal place; the distance bands are the one set."""
    import re

    from distance.straight import DISTANCE_BANDS

    csvs = sorted(out.rglob("*.csv"))
    assert csvs
    for path in csvs:
        if path.parts[-2] == "synthetic":
            continue  # the synthetic SSDA903 input files, written as the return's own columns
        frame = pd.read_csv(path, dtype=str, keep_default_na=False)
        for col in frame.columns:
            cells = frame[col]
            floats = cells[cells.str.fullmatch(r"-?\d+\.\d+")]
            if len(floats) and len(floats) == int(cells.ne("").sum()):
                assert not floats.str.fullmatch(r"-?\d+\.0").all(), (path.name, col, "whole numbers as floats")
            if any(k in col.lower() for k in ("easting", "northing", "lat", "lon")):
                continue
            digits = floats.str.replace(r"^-?0*\.?0*", "", regex=True).str.replace(".", "", regex=False)
            assert (digits.str.rstrip("0").str.len() <= 5).all(), (path.name, col, floats[digits.str.len() > 5][:3])
            if col.startswith("pct"):
                assert floats.str.fullmatch(r"-?\d+\.\d").all(), (path.name, col)
            if "band" in col:
                bands = {b for b in cells if re.search(r"\bmiles\b", b) and "beyond" not in b}
                assert bands <= set(DISTANCE_BANDS) | {"Total"}, (path.name, col, bands - set(DISTANCE_BANDS))


def test_no_missing_file_is_a_named_skip(own_files: Path, tmp_path: Path, quick_supply: None) -> None:
    children = read_return(own_files / "episodes.csv", header=own_files / "header.csv", la="E08000007")
    result = run_job(children, out=tmp_path / "o", options=JobOptions(network="none"))
    reasons = {s.step: s.reason for s in result.skipped}
    assert reasons["Child-level distance-and-missing models"] == "no missing file given (--missing)"


def test_a_broken_step_fails_the_run(own_files: Path, tmp_path: Path, quick_supply: None,
                                     monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "index.html").write_text("the previous report")
    digest = hashlib.sha256(b"the previous report").hexdigest()
    (out / "run.json").write_text(json.dumps({"outputs_sha256": {"index.html": digest}}))

    def broken(*args: object, **kwargs: object) -> StepOutput:
        raise KeyError("pl_la")

    monkeypatch.setattr(pipeline, "STEPS", pipeline.replace_step("placements", broken))
    res = runner.invoke(app, _run_args(own_files, out, "--network", "none"))
    assert res.exit_code != 0
    lines = [line for line in res.output.splitlines() if line.startswith("Error:")]
    assert len(lines) == 1 and "KeyError" in lines[0] and "bug" in lines[0]
    assert "Traceback" not in res.output
    # the previous report is untouched and nothing half-written is left beside it
    assert (out / "index.html").read_text() == "the previous report"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"] or not list(tmp_path.glob(".out.partial"))


def test_inputs_are_checked_before_any_work(own_files: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def no_work(*args: object, **kwargs: object) -> None:
        raise AssertionError("long work started before the inputs were checked")

    monkeypatch.setattr(pipeline, "STEPS", pipeline.replace_step("supply", no_work))
    monkeypatch.setattr("provision.placements.locate", no_work)
    res = runner.invoke(app, ["run", "-e", str(tmp_path / "nope.csv"), "--header", str(own_files / "header.csv"),
                              "--out", str(tmp_path / "o")])
    assert res.exit_code == 1 and "nope.csv: episodes file not found" in res.output
    res = runner.invoke(app, ["run", "-e", str(tmp_path), "--out", str(tmp_path / "o")])
    assert res.exit_code == 1 and f"{tmp_path}: episodes is a folder, not a file" in res.output
    res = runner.invoke(app, _run_args(own_files, tmp_path / "o", "--focus", "Nowhereshire"))
    assert res.exit_code == 1 and "Nowhereshire" in res.output


def test_bad_options_fail_before_work(own: ChildLevelData, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pipeline, "STEPS", pipeline.replace_step("supply", lambda ctx: pytest.fail("work started")))
    with pytest.raises(InputError, match="--network 'garbage.npz': not 'backbone', 'none' or an existing"):
        run_job(own, out=tmp_path / "o", options=JobOptions(network="garbage.npz"))
    with pytest.raises(InputError, match="year 2031"):
        run_job(own, out=tmp_path / "o", options=JobOptions(year=2031))
    with pytest.raises(InputError, match="focus LA E06000017: no placement"):
        run_job(own, out=tmp_path / "o", options=JobOptions(focus="E06000017"))


def test_out_that_is_not_a_report_is_refused(own: ChildLevelData, tmp_path: Path) -> None:
    mine = tmp_path / "thesis"
    mine.mkdir()
    (mine / "chapter1.docx").write_text("precious")
    with pytest.raises(InputError, match="not empty and holds no farfromhome report"):
        run_job(own, out=mine, options=JobOptions(network="none"))
    assert (mine / "chapter1.docx").read_text() == "precious"
    (tmp_path / "afile").write_text("x")
    with pytest.raises(InputError, match="is a file"):
        run_job(own, out=tmp_path / "afile", options=JobOptions(network="none"))


def test_unidentified_model_is_a_finding_not_a_crash(own_files: Path, tmp_path: Path, quick_supply: None) -> None:
    """A return whose HOME_POST is all blank has no distance: the models are skipped with the reason."""
    eps = pd.read_csv(own_files / "episodes.csv", dtype=str, keep_default_na=False)
    eps["HOME_POST"] = ""
    eps.to_csv(tmp_path / "episodes.csv", index=False)
    children = read_return(tmp_path / "episodes.csv", header=own_files / "header.csv",
                           missing=own_files / "missing.csv", la="E08000007")
    result = run_job(children, out=tmp_path / "o", options=JobOptions(network="none"))
    reasons = {s.step: s.reason for s in result.skipped}
    assert "cannot identify the models" in reasons["Child-level distance-and-missing models"]
    quality = pd.read_csv(tmp_path / "o" / "data_quality.csv", dtype=str)
    assert quality["reason"].str.contains("models not identified").any()


def test_regional_network_falls_back_to_the_backbone(mirror: Path, tmp_path: Path, quick_supply: None) -> None:
    """Rutland's network answers for trips inside it; every other row uses the backbone, counted and said."""
    from provision.returns import synthetic_return

    children = synthetic_return(year=2024, seed=2, las=["E06000017"])
    network = mirror / "roads" / "rutland-2022-07.osm.pbf"
    result = run_job(children, out=tmp_path / "o", options=JobOptions(network=str(network), focus="E06000017",
                                                                       compare_backbone=True))
    run = json.loads((tmp_path / "o" / "run.json").read_text(encoding="utf-8"))
    facts = run["road_network"]
    assert facts["sha256"] and facts["road_sources"]["network"] > 0 and facts["road_sources"]["backbone"] > 0
    assert 0 < facts["backbone_agreement"]["median_rel_diff"] < 0.5
    index = result.index.read_text(encoding="utf-8")
    assert "on the OpenStreetMap network" in index and "on the approximate backbone" in index
    quality = pd.read_csv(tmp_path / "o" / "data_quality.csv", dtype=str)
    assert quality["reason"].str.contains("approximate backbone used").any()


def test_run_observes_the_window_it_is_given(own_files: Path, tmp_path: Path, quick_supply: None) -> None:
    res = runner.invoke(app, _run_args(own_files, tmp_path / "bad", "--network", "none", "--to", "31/03/2024"))
    assert res.exit_code == 1 and "--to '31/03/2024': expected a date as YYYY-MM-DD" in res.output
    res = runner.invoke(app, _run_args(own_files, tmp_path / "o", "--network", "none", "--from", "2023-04-01",
                                       "--to", "2024-03-31"))
    assert res.exit_code == 0, res.output
    run = json.loads((tmp_path / "o" / "run.json").read_text(encoding="utf-8"))
    assert run["settings"]["observation window"] == "2023-04-01 to 2024-03-31 (given)"
