"""--out is replaced only when it holds exactly what an earlier farfromhome run wrote there (its run.json's files)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from geo.errors import InputError
from maps.outputs import check_replaceable, staged_output, write_run_json


def _previous_report(out: Path) -> None:
    """A folder as a finished run leaves it: written in staging, listed in run.json, swapped in."""
    with staged_output(out) as stage:
        (stage / "tables").mkdir()
        (stage / "tables" / "flows.csv").write_text("from,to,children\n")
        (stage / "index.html").write_text("<html>report</html>")
        write_run_json(stage, settings={}, timings={}, synthetic=True)


def test_a_previous_report_is_replaced_whole(tmp_path: Path, mirror: Path) -> None:
    out = tmp_path / "out"
    _previous_report(out)
    assert set(json.loads((out / "run.json").read_text())["outputs_sha256"]) == {"tables/flows.csv", "index.html"}
    with staged_output(out) as stage:
        (stage / "index.html").write_text("<html>new</html>")
    assert (out / "index.html").read_text() == "<html>new</html>" and not (out / "tables").exists()


def test_run_json_beside_a_users_file_is_refused_and_the_file_survives(tmp_path: Path, mirror: Path) -> None:
    out = tmp_path / "out"
    _previous_report(out)
    (out / "notes.txt").write_text("my notes")
    with pytest.raises(InputError, match=r"--out .*out: .*notes\.txt was not written by the run that wrote run\.json"):
        with staged_output(out):
            pytest.fail("the run started")
    assert (out / "notes.txt").read_text() == "my notes" and (out / "index.html").is_file()


def test_a_file_added_while_the_run_works_stops_the_swap(tmp_path: Path, mirror: Path) -> None:
    out = tmp_path / "out"
    _previous_report(out)
    with pytest.raises(InputError, match=r"thesis\.docx was not written"):
        with staged_output(out) as stage:
            (stage / "index.html").write_text("new")
            (out / "tables" / "thesis.docx").write_text("precious")
    assert (out / "tables" / "thesis.docx").read_text() == "precious"
    assert (out / "index.html").read_text() == "<html>report</html>"


def test_a_changed_file_or_an_unreadable_manifest_is_refused(tmp_path: Path, mirror: Path) -> None:
    out = tmp_path / "out"
    _previous_report(out)
    (out / "index.html").write_text("edited by hand")
    with pytest.raises(InputError, match=r"index\.html has changed since that run wrote it"):
        check_replaceable(out)
    bare = tmp_path / "bare"
    bare.mkdir()
    (bare / "run.json").write_text("{}")
    (bare / "thesis.docx").write_text("precious")
    with pytest.raises(InputError, match=r"run\.json lists no outputs"):
        check_replaceable(bare)
    (bare / "run.json").write_text("not json")
    with pytest.raises(InputError, match=r"run\.json cannot be read: JSONDecodeError"):
        check_replaceable(bare)
    (bare / "run.json").unlink()
    with pytest.raises(InputError, match=r"holds no farfromhome report \(run\.json\)"):
        check_replaceable(bare)
    assert (bare / "thesis.docx").read_text() == "precious"


def test_a_link_inside_is_refused(tmp_path: Path, mirror: Path) -> None:
    out = tmp_path / "out"
    _previous_report(out)
    (tmp_path / "elsewhere").mkdir()
    (out / "data").symlink_to(tmp_path / "elsewhere")
    with pytest.raises(InputError, match=r"data is a link, which no run writes"):
        check_replaceable(out)
