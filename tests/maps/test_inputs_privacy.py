"""No published file quotes a raw input value: identifiers typed into the missing file's MISSING column reach only
the child-level validation report ('do not share'), never anything under --out."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from geo.cli import app
from maps import pipeline
from maps.steps import StepOutput
from tests._own_return import own_tables, write_tables

runner = CliRunner()

CHILD_ID, POSTCODE, DOB, NAME = "7356000001", "SK5 7PS", "29/10/2012", "JANE DOE"
"""What an auditor typed into MISSING: a child ID of the return, a postcode, a date of birth and a name."""


@pytest.fixture(scope="module")
def hostile(mirror: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Stockport's synthetic return without the SYN marker; four missing rows carry identifiers in MISSING."""
    tables = own_tables()
    missing = tables["missing"].astype({"MISSING": object})
    missing.loc[missing.index[:4], "MISSING"] = [CHILD_ID, POSTCODE, DOB, NAME]
    paths = write_tables({**tables, "missing": missing}, tmp_path_factory.mktemp("hostile"))
    assert CHILD_ID in set(pd.read_csv(paths["header"], dtype=str)["CHILD"])  # a real child of the return
    return paths


@pytest.fixture()
def quick_supply(monkeypatch: pytest.MonkeyPatch) -> None:
    """Leave out the supply, national and trends sections (real public data that holds no input value)."""
    steps = pipeline.replace_step("supply", lambda ctx: StepOutput(sentences=["supply"]))
    for name in ("trends", "national"):
        steps = pipeline.replace_step(name, lambda ctx: StepOutput(), steps=steps)
    monkeypatch.setattr(pipeline, "STEPS", steps)


def _leaks(folder: Path) -> dict[str, list[str]]:
    """Every file under ``folder`` (HTML, JSON, CSV, SVG ... read as bytes) that holds a typed value, any case."""
    needles = [CHILD_ID, POSTCODE, POSTCODE.replace(" ", ""), DOB, "2012-10-29", NAME]
    found: dict[str, list[str]] = {}
    for path in sorted(folder.rglob("*")):
        if path.is_file():
            text = path.read_bytes().decode("utf-8", errors="replace").upper()
            hits = [n for n in needles if n.upper() in text]
            if hits:
                found[path.relative_to(folder).as_posix()] = hits
    return found


@pytest.mark.slow  # one run with the child-level models (about 30 s)
def test_run_publishes_no_value_typed_into_missing(hostile: dict[str, Path], tmp_path: Path,
                                                   quick_supply: None) -> None:
    out = tmp_path / "out"
    result = runner.invoke(app, ["run", "-e", str(hostile["episodes"]), "--header", str(hostile["header"]), "-m",
                                 str(hostile["missing"]), "--la", "356", "--out", str(out), "--network", "none"])
    assert result.exit_code == 0, result.output
    written = [p for p in out.rglob("*") if p.is_file()]
    assert {"index.html", "run.json", "data_quality.csv"} <= {p.name for p in written} and len(written) > 10
    assert _leaks(out) == {}
    quality = pd.read_csv(out / "data_quality.csv", dtype=str)
    reason = "MISSING not a valid code (M or A): not counted as missing"
    assert quality["reason"].eq(reason).any()  # said, and counted, without the values
    effect = next(out.glob("tables/*effect_data_quality.csv"))
    assert pd.read_csv(effect, dtype=str)["reason"].eq(reason).any()


def test_the_values_are_quoted_only_in_the_child_level_validation_report(hostile: dict[str, Path],
                                                                        tmp_path: Path) -> None:
    out = tmp_path / "validation.csv"
    result = runner.invoke(app, ["placements", "validate", "-e", str(hostile["episodes"]), "--header",
                                 str(hostile["header"]), "--missing", str(hostile["missing"]), "--out", str(out)])
    assert "do not share" in result.output
    rows = out.read_text(encoding="utf-8")
    assert rows.startswith("# child-level: do not share")
    assert all(value in rows for value in (CHILD_ID, POSTCODE, DOB, NAME))
