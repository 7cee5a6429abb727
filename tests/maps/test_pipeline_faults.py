"""Faults of the main job ('farfromhome run'): each fails with one line naming the file, or is a named, counted
finding; nothing is half-written."""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from geo.cli import app
from geo.disclosure import count_text, publish_count
from maps import pipeline
from maps.outputs import QUALITY_FILE_COLUMNS
from maps.pipeline import JobOptions, run_job
from maps.steps import StepOutput
from provision.returns import read_return

runner = CliRunner()
LAIT = Path("care/dfe_cla/lait/lait_cla_indicators_2016_2025.csv")




@pytest.fixture()
def quick_supply(monkeypatch: pytest.MonkeyPatch) -> None:
    """Leave out the supply, national and trends sections (real public data, tested elsewhere): runs take seconds."""
    steps = pipeline.replace_step("supply", lambda ctx: StepOutput(sentences=["supply"]))
    for name in ("trends", "national", "la_report"):
        steps = pipeline.replace_step(name, lambda ctx: StepOutput(), steps=steps)
    monkeypatch.setattr(pipeline, "STEPS", steps)


def _edit(own_files: Path, folder: Path, table: str, edit) -> dict[str, Path]:  # type: ignore[no-untyped-def]
    paths = {t: own_files / f"{t}.csv" for t in ("episodes", "header", "missing")}
    frame = edit(pd.read_csv(paths[table], dtype=str, keep_default_na=False))
    paths[table] = folder / f"{table}.csv"
    frame.to_csv(paths[table], index=False)
    return paths


def _args(paths: dict[str, Path], out: Path, *extra: str) -> list[str]:
    return ["run", "-e", str(paths["episodes"]), "--header", str(paths["header"]), "-m", str(paths["missing"]),
            "--la", "356", "--out", str(out), "--network", "none", *extra]


def _error_line(output: str) -> str:
    lines = [line for line in output.splitlines() if line.startswith("Error:")]
    assert len(lines) == 1 and "Traceback" not in output, output
    return lines[0]


@pytest.mark.slow  # a run each (about 20 s)
@pytest.mark.parametrize("edit, finding", [
    (lambda f: f.assign(DOB="2010/03/02"), "no placement has a known distance, exposure and covariates"),
    (lambda f: f.assign(HOME_POST="SK4 1AA", PL_POST="M1 1AE"), "every modelled placement is at the same distance"),
], ids=["dobs_yyyy_mm_dd", "all_distances_equal"])
def test_degenerate_designs_are_findings(own_files: Path, tmp_path: Path, quick_supply: None, edit,  # type: ignore[no-untyped-def]
                                         finding: str) -> None:
    table = "header" if "DOB" in finding or "exposure" in finding else "episodes"
    paths = _edit(own_files, tmp_path, table, edit)
    children = read_return(paths["episodes"], header=paths["header"], missing=paths["missing"], la="E08000007")
    result = run_job(children, out=tmp_path / "o", options=JobOptions(network="none"))
    reasons = {s.step: s.reason for s in result.skipped}
    assert finding in reasons["Child-level distance-and-missing models"]
    quality = pd.read_csv(tmp_path / "o" / "data_quality.csv", dtype=str)
    assert quality["reason"].str.contains("models not identified").any()
    assert (tmp_path / "o" / "index.html").is_file()


@pytest.mark.slow
def test_every_placement_inside_the_la_skips_the_flow_map_by_name(own_files: Path, tmp_path: Path,
                                                                 quick_supply: None) -> None:
    paths = _edit(own_files, tmp_path, "episodes", lambda f: f.assign(PL_POST="SK4 1AA"))  # all in Stockport
    children = read_return(paths["episodes"], header=paths["header"], missing=paths["missing"], la="E08000007")
    result = run_job(children, out=tmp_path / "o", options=JobOptions(network="none"))
    reason = {s.step: s.reason for s in result.skipped}["Flow map and figure"]
    assert "inside the child's home LA" in reason
    out = tmp_path / "o"
    assert not (out / "maps" / "flows.html").exists() and (out / "maps" / "distances.html").is_file()
    flows = pd.read_csv(out / "tables" / "flows.csv", dtype=str)
    assert (flows["home_la"] == flows["pl_la"]).all() and len(flows)


@pytest.mark.slow
def test_header_only_missing_file_is_no_child_went_missing(own_files: Path, tmp_path: Path,
                                                           quick_supply: None) -> None:
    paths = _edit(own_files, tmp_path, "missing", lambda f: f.iloc[0:0])
    children = read_return(paths["episodes"], header=paths["header"], missing=paths["missing"], la="E08000007")
    result = run_job(children, out=tmp_path / "o", options=JobOptions(network="none"))
    reason = {s.step: s.reason for s in result.skipped}["Child-level distance-and-missing models"]
    assert "no missing incident" in reason and "no missing file" not in reason
    assert "no child went missing" in (tmp_path / "o" / "index.html").read_text(encoding="utf-8")


@pytest.mark.slow
def test_colliding_columns_and_la_conflicts_are_counted(own_files: Path, tmp_path: Path, quick_supply: None) -> None:
    def edit(frame: pd.DataFrame) -> pd.DataFrame:
        frame["pl_post"] = frame["PL_POST"]
        frame.loc[frame.index[:7], "LA"] = "Manchester"
        return frame

    paths = _edit(own_files, tmp_path, "episodes", edit)
    res = runner.invoke(app, _args(paths, tmp_path / "o"))
    assert res.exit_code == 0, res.output
    quality = pd.read_csv(tmp_path / "o" / "data_quality.csv", dtype=str)
    assert list(quality.columns) == QUALITY_FILE_COLUMNS
    read = quality[quality["stage"].eq("read episodes.csv")].set_index("reason")
    assert read.loc["duplicate column", "rows_symbol"] == "c"  # fewer than 5: DfE's symbol beside an empty count
    assert read.loc["LA differs from --la", "rows"] == str(publish_count(7))  # as every published count (cell key)
    index = (tmp_path / "o" / "index.html").read_text(encoding="utf-8")
    said = f"--la E08000007 is used for every episode; {count_text(7, 'episodes')} had an LA column naming another LA"
    assert said in index


def test_garbage_network_fails_the_run(own_files: Path, tmp_path: Path, quick_supply: None) -> None:
    garbage = tmp_path / "garbage.npz"
    garbage.write_bytes(os.urandom(2048))
    paths = {t: own_files / f"{t}.csv" for t in ("episodes", "header", "missing")}
    args = _args(paths, tmp_path / "o")
    args[args.index("none")] = str(garbage)
    res = runner.invoke(app, args)
    assert res.exit_code == 1, res.output
    assert "garbage.npz" in _error_line(res.output)
    assert not (tmp_path / "o").exists() and not list(tmp_path.glob(".o.*"))


def test_corrupt_lait_fails_the_run_naming_the_file(own_files: Path, tmp_path: Path, mirror: Path,
                                                    quick_supply: None) -> None:
    """A corrupt LAIT file is a fault of the data, not an expected skip: the run fails and names it."""
    overlay = tmp_path / "mirror"
    for root, _dirs, files in os.walk(mirror):
        for name in files:
            src = Path(root) / name
            dst = overlay / src.relative_to(mirror)
            dst.parent.mkdir(parents=True, exist_ok=True)
            if src.relative_to(mirror) == LAIT:
                dst.write_bytes(src.read_bytes()[:5000] + b"\x00garbage")
            else:
                dst.symlink_to(src)
    paths = {t: own_files / f"{t}.csv" for t in ("episodes", "header", "missing")}
    res = runner.invoke(app, ["--mirror", str(overlay), *_args(paths, tmp_path / "o")])
    assert res.exit_code == 1, res.output
    line = _error_line(res.output)
    assert "lait_cla_indicators_2016_2025.csv" in line and "corrupt" in line
    assert not (tmp_path / "o").exists()


def test_out_that_is_a_file_or_cannot_be_written(own_files: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                 quick_supply: None) -> None:
    paths = {t: own_files / f"{t}.csv" for t in ("episodes", "header", "missing")}
    afile = tmp_path / "report"
    afile.write_text("x")
    res = runner.invoke(app, _args(paths, afile))
    assert res.exit_code == 1
    assert _error_line(res.output) == f"Error: --out {afile}: is a file; give a folder for the report"

    import filelock

    def read_only(self: object, *args: object, **kwargs: object) -> None:  # root ignores modes: act as read-only
        raise PermissionError(13, "Permission denied", str(tmp_path / ".ro.lock"))

    monkeypatch.setattr(filelock.FileLock, "acquire", read_only)
    res = runner.invoke(app, _args(paths, tmp_path / "ro"))
    assert res.exit_code == 1
    assert _error_line(res.output) == (f"Error: --out {tmp_path / 'ro'}: cannot write there (Permission denied); "
                                       "choose another folder")
