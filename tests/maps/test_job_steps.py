"""The main job's declared shape: STEPS drives the run, the report's sections, run.json and the step selection;
the options (the road network above all) are read once into the context."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from distance.network import RoadNetwork
from geo.errors import InputError
from maps import pipeline
from maps.job.context import JobContext
from maps.pipeline import SECTIONS, STEP_NAMES, STEPS, JobOptions, StepOutput, run_job, select_steps
from provision.returns import ChildLevelData, read_return
from tests._own_return import own_tables, write_tables


@pytest.fixture(scope="module")
def own(mirror: Path, tmp_path_factory: pytest.TempPathFactory) -> ChildLevelData:
    """Stockport's synthetic return with the SYN marker taken off, standing in for a user's own files."""
    folder = tmp_path_factory.mktemp("own")
    write_tables(own_tables(seed=11), folder)
    return read_return(folder / "episodes.csv", header=folder / "header.csv", missing=folder / "missing.csv",
                       la="E08000007")


def test_steps_are_declared_once_with_their_sections() -> None:
    assert len(set(STEP_NAMES)) == len(STEPS) == len(STEP_NAMES)
    keys = [s.key for s in SECTIONS]
    assert {s.section for s in STEPS} == set(keys)  # every section is filled, every step's section exists
    assert STEP_NAMES[:3] == ("supply", "roads", "placements")  # the placements use the roads step's distances


def test_an_unknown_step_name_fails_loudly(own: ChildLevelData, tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"unknown step\(s\) 'maps': the main job's steps are supply, roads"):
        select_steps(["supply", "maps"])
    with pytest.raises(InputError, match="unknown step"):
        pipeline.replace_step("supply_step", lambda ctx: StepOutput())
    with pytest.raises(InputError, match=r"unknown step\(s\) 'flows'"):
        run_job(own, out=tmp_path / "o", options=JobOptions(network="none", steps=("flows",)))
    assert not (tmp_path / "o").exists()  # refused before any work


def test_a_step_that_changes_an_unknown_context_field_is_a_bug(own: ChildLevelData, tmp_path: Path,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pipeline, "STEPS", pipeline.replace_step("roads", lambda ctx: StepOutput(
        context={"placements_with_roads": ctx.located})))
    with pytest.raises(TypeError, match=r"unknown context field\(s\): \['placements_with_roads'\]"):
        run_job(own, out=tmp_path / "o", options=JobOptions(network="none", steps=("roads",)))
    assert not (tmp_path / "o").exists()


def test_selected_steps_write_the_same_tables_as_the_whole_run(own: ChildLevelData, tmp_path: Path) -> None:
    """The step selection the tests use changes nothing in what the selected steps write."""
    child_level = ("roads", "placements", "sufficiency", "child")
    whole = run_job(own, out=tmp_path / "whole", options=JobOptions(network="backbone", steps=child_level))
    part = run_job(own, out=tmp_path / "part", options=JobOptions(network="backbone", steps=("roads", "placements")))
    tables = sorted(p.name for p in (tmp_path / "part" / "tables").glob("*.csv"))
    assert tables == ["distance_bands.csv", "flows.csv"]
    for name in tables:
        pd.testing.assert_frame_equal(pd.read_csv(tmp_path / "whole" / "tables" / name),
                                      pd.read_csv(tmp_path / "part" / "tables" / name))
    assert set(part.timings) == {"roads", "placements", "total"}
    left_out = {s.step for s in part.skipped if s.reason.startswith("not requested")}
    assert left_out == {s.label for s in STEPS if s.name not in ("roads", "placements")}
    run = json.loads((tmp_path / "part" / "run.json").read_text(encoding="utf-8"))
    assert [s["name"] for s in run["steps"]] == ["roads", "placements"]
    assert run["originals"] == []  # the mirror's files were read as they are: no publisher's original behind them
    assert {s["step"] for s in run["skipped"]} >= left_out
    index = (tmp_path / "part" / "index.html").read_text(encoding="utf-8")
    assert "Where children are placed" in index and "Children's homes and places" not in index
    assert len(whole.summary) > len(part.summary)


def test_a_network_file_is_read_once_and_shared(own: ChildLevelData, mirror: Path, tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    """The roads and sufficiency steps take the one network the context loaded (it was built up to 3 times)."""
    import distance.network_option as option
    from maps.job import sufficiency

    built: list[Path] = []
    real_build = option.build_network

    def counting_build(path: Any, **kwargs: Any) -> RoadNetwork:
        built.append(Path(path))
        return real_build(path, **kwargs)

    given: list[Any] = []
    real_report = sufficiency.sufficiency_report

    def spy_report(located: pd.DataFrame, **kwargs: Any) -> Any:
        given.append(kwargs["network"])
        return real_report(located, **kwargs)

    monkeypatch.setattr(option, "build_network", counting_build)
    monkeypatch.setattr(sufficiency, "sufficiency_report", spy_report)
    seen: list[JobContext] = []
    steps = pipeline.replace_step("placements", lambda ctx: seen.append(ctx) or StepOutput())
    monkeypatch.setattr(pipeline, "STEPS", steps)
    osm = mirror / "roads" / "manchester-levenshulme-2022-12.osm"
    result = run_job(own, out=tmp_path / "o",
                     options=JobOptions(network=str(osm), steps=("roads", "placements", "sufficiency")))
    assert built == [osm]
    assert isinstance(given[0], RoadNetwork) and given[0] is seen[0].network
    assert seen[0].roads and "road_source" in seen[0].located.columns  # the roads step handed its distances on
    assert seen[0].network_option.path == osm
    run = json.loads((result.out / "run.json").read_text(encoding="utf-8"))
    assert run["settings"]["road network"] == str(osm)


@pytest.mark.parametrize("sample", [0, 150])
def test_the_child_step_models_the_sampled_children_and_leaves_the_input_as_it_was(
        own: ChildLevelData, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, sample: int) -> None:
    """The child step hands the models a frame of the chosen children only (all of them with no sample), built
    from the shared located table without copying it and without changing it (its attrs stay the input's)."""
    from maps.job import child

    seen: dict[str, Any] = {}
    real = child.child_effect

    def spy(frame: pd.DataFrame, **kwargs: Any) -> Any:
        seen["children"] = set(frame["child"])
        return real(frame, **kwargs)

    monkeypatch.setattr(child, "child_effect", spy)
    attrs = dict(own.located.attrs)
    columns = list(own.located.columns)
    run_job(own, out=tmp_path / "r", options=JobOptions(network="none", steps=("child",), effect_children=sample,
                                                         seed=3))
    everyone = set(own.located["CHILD"].astype(str).str.strip())
    assert seen["children"] <= everyone
    assert len(seen["children"]) == (sample or len(everyone))
    assert own.located.attrs == attrs and list(own.located.columns) == columns
