"""CLI tests for supply, demand, gaps, clustering and headline, run in-process on the real data."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from typer.testing import CliRunner

import geo.cli

runner = CliRunner()


def _run(*args: str):
    return runner.invoke(geo.cli.app, list(args))


def test_supply_csv_has_la_region_england_rows(mirror, tmp_path):
    out = tmp_path / "supply.csv"
    res = _run("supply", "--year", "2018", "--out", str(out))
    assert res.exit_code == 0, res.output
    table = pd.read_csv(out, index_col="area_code")
    assert (table["level"] == "la").sum() == 153
    assert (table["level"] == "region").sum() == 9
    assert table.loc["E92000001", "homes"] == 2124
    assert table.loc["E92000001", "places"] == 9430
    assert table.loc["E12000007", "homes_share_england_pct"] == pytest.approx(5.32, abs=0.05)  # CSVs give % to 1 dp


def test_demand_parquet_and_json(mirror, tmp_path):
    pq, js = tmp_path / "d.parquet", tmp_path / "d.json"
    assert _run("demand", "--year", "2024", "--out", str(pq)).exit_code == 0
    assert _run("demand", "--year", "2024", "--format", "json", "--out", str(js)).exit_code == 0
    frame = pd.read_parquet(pq)
    assert len(frame) == 153 and "cla_rate_per_10k" in frame.columns
    records = json.loads(js.read_text())
    assert len(records) == 153 and records[0]["la_code"].startswith("E0")


def test_gaps_regions_prints_labels(mirror):
    res = _run("gaps", "--year", "2018", "--regions")
    assert res.exit_code == 0, res.output
    assert "London" in res.output and "deficit" in res.output and "surplus" in res.output


def test_headline_prints_each_figure(mirror):
    res = _run("headline", "--year", "2018")
    assert res.exit_code == 0, res.output
    assert "published 64 %" in res.output and "computed 63" in res.output
    assert "DIFFERS" not in res.output


def test_clustering_series_writes_rows(mirror, tmp_path):
    out = tmp_path / "c.csv"
    res = _run("clustering", "--from", "2023", "--to", "2024", "--permutations", "99", "--out", str(out))
    assert res.exit_code == 0, res.output
    table = pd.read_csv(out, index_col="year")
    assert list(table.index) == [2023, 2024]
    assert (table["morans_i"] > 0).all()


def test_errors_are_one_line(mirror):
    res = _run("supply", "--year", "2013")
    assert res.exit_code == 1
    assert "Error: no Ofsted provider list for year 2013; available years: 2014–2025" in res.output
    res = _run("clustering", "--from", "2016")
    assert res.exit_code == 1 and "give both --from and --to" in res.output
    res = _run("headline", "--year", "2011")  # every year 2012-2025 has figures (issue 11)
    assert res.exit_code == 1 and "available years: 2012–2025" in res.output
