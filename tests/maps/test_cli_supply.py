"""`farfromhome map supply --all-years`: the year control over every staged year, in-process on real data."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from geo.cli import app

from .conftest import decoded

runner = CliRunner()


@pytest.mark.slow  # twelve years of Ofsted and DfE figures: ~25 s
def test_map_supply_all_years(mirror: Path, tmp_path: Path) -> None:
    out = tmp_path / "supply.html"
    res = runner.invoke(app, ["map", "supply", "--year", "2024", "--all-years", "--out", str(out),
                              "--inline-assets"])
    assert res.exit_code == 0, res.output
    assert out.stat().st_size < 5_000_000
    html = decoded(out.read_text(encoding="utf-8"))
    years = json.loads(re.search(r'"years":(\[[0-9,]*\])', html).group(1))  # type: ignore[union-attr]
    assert years == list(range(2014, 2026))
    assert '"year":2024' in html and '"p":[0.' in html  # LISA p-values for the tooltips
