"""The CLI, run in-process: exit codes and messages."""

from __future__ import annotations

import geopandas as gpd
import pytest
from typer.testing import CliRunner

from geo.catalogue import all_datasets
from geo.cli import app

runner = CliRunner()


def test_help_lists_commands():
    result = runner.invoke(app, ["--help"])
    assert result.exit_code == 0
    for cmd in ("data", "boundaries"):
        assert cmd in result.output


def test_version():
    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0 and result.output.startswith("farfromhome ")


def test_data_list_and_verify(mirror):
    result = runner.invoke(app, ["--mirror", str(mirror), "data", "list"], env={"COLUMNS": "250"})
    assert result.exit_code == 0, result.output
    assert "dfe_regions" in result.output and "mirror" in result.output
    assert "no pinned checksum" in " ".join(result.output.split())  # the OSM extracts change daily
    result = runner.invoke(app, ["--mirror", str(mirror), "data", "verify"])
    assert result.exit_code == 0
    assert f"{len(all_datasets())} dataset(s) present, 0 with a bad checksum" in result.output


def test_data_list_to_csv_has_attribution(mirror, tmp_path):
    out = tmp_path / "datasets.csv"
    result = runner.invoke(app, ["--mirror", str(mirror), "data", "list", "--out", str(out)])
    assert result.exit_code == 0
    import pandas as pd

    table = pd.read_csv(out)
    assert {"name", "publisher", "licence", "attribution", "vintage", "source", "location", "checksum"} <= set(table)
    assert (table["location"] == "mirror").all()


def test_data_fetch_from_mirror(mirror):
    result = runner.invoke(app, ["--mirror", str(mirror), "data", "fetch", "dfe_regions", "dfe_las"])
    assert result.exit_code == 0, result.output
    assert "2 file(s) of 2 dataset(s) ready" in result.output


def test_data_fetch_unknown_dataset_is_one_line(mirror):
    result = runner.invoke(app, ["--mirror", str(mirror), "data", "fetch", "no_such_thing"])
    assert result.exit_code == 1
    assert result.output.strip().splitlines() == [
        f"Error: unknown dataset 'no_such_thing'. Run 'farfromhome data list' to see all {len(all_datasets())}."]


def test_missing_mirror_is_one_line(tmp_path):
    result = runner.invoke(app, ["--mirror", str(tmp_path / "nope"), "data", "list"])
    assert result.exit_code == 1
    assert len(result.output.strip().splitlines()) == 1
    assert "mirror folder" in result.output and "does not exist" in result.output


@pytest.mark.parametrize("suffix", ["gpkg", "geojson", "parquet"])
def test_boundaries_writes_153_las(mirror, tmp_path, suffix):
    out = tmp_path / f"la.{suffix}"
    result = runner.invoke(app, ["boundaries", "--year", "2024", "--out", str(out)])
    assert result.exit_code == 0, result.output
    frame = gpd.read_parquet(out) if suffix == "parquet" else gpd.read_file(out)
    assert len(frame) == 153
    assert {"la_code", "la_name", "dfe_la_number", "region_code", "region_name"} <= set(frame.reset_index().columns)
    assert frame.crs.to_epsg() == (4326 if suffix == "geojson" else 27700)


def test_boundaries_regions(mirror, tmp_path):
    out = tmp_path / "regions.gpkg"
    result = runner.invoke(app, ["boundaries", "--level", "region", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert len(gpd.read_file(out)) == 9


def test_boundaries_unknown_year(mirror, tmp_path):
    result = runner.invoke(app, ["boundaries", "--year", "2031", "--out", str(tmp_path / "x.gpkg")])
    assert result.exit_code == 1
    assert result.output.strip() == "Error: no boundaries for year 2031; expected a year from 2014 to 2025"


def test_boundaries_unknown_suffix(mirror, tmp_path):
    result = runner.invoke(app, ["boundaries", "--out", str(tmp_path / "x.shp")])
    assert result.exit_code == 1
    assert "cannot tell the format" in result.output and "Traceback" not in result.output


def test_usage_errors_stay_usage_errors():
    """A mistyped option is click's usage error (exit 2), never reported as an internal error."""
    result = runner.invoke(app, ["boundaries", "--out", "x.gpkg", "--no-such-option"])
    assert result.exit_code == 2
    assert "No such option" in result.output and "internal error" not in result.output


@pytest.mark.parametrize("total", [None, 10])
def test_progress_bar_counts_with_or_without_a_known_total(total: int | None,
                                                           capsys: pytest.CaptureFixture[str]) -> None:
    from geo.cli_common import progress

    with progress("reading ways", total, transient=False) as advance:
        advance(3)
    shown = capsys.readouterr().err
    assert "reading ways" in shown
    assert ("3/10" if total else "3") in shown
