"""``farfromhome sufficiency``: excess, surface and whatif run in-process through the root command."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
import rasterio
from typer.testing import CliRunner

from geo.cli import app

runner = CliRunner()
FAKE = Path("care/ssda903/d2i_validator_fake")


@pytest.fixture(scope="module")
def episodes(mirror, tmp_path_factory) -> Path:
    from provision import synth

    folder = tmp_path_factory.mktemp("synthetic")
    synth.generate(year=2024, seed=7, las=["356"]).write(folder)
    return folder / "episodes.csv"


@pytest.fixture(scope="module")
def own_return(episodes, tmp_path_factory) -> Path:
    """The same episodes as if they were a real return (IDs without the SYN marker, no LA column)."""
    frame = pd.read_csv(episodes, dtype=str)
    frame["CHILD"] = frame["CHILD"].str.replace("SYN", "C", regex=False)
    path = tmp_path_factory.mktemp("own") / "episodes.csv"
    frame.drop(columns="LA").to_csv(path, index=False)
    return path


def run(*args: str):
    return runner.invoke(app, ["sufficiency", *args])


def one_line_error(result) -> str:
    assert result.exit_code == 1, result.output
    lines = [x for x in result.output.strip().splitlines() if x.startswith("Error:")]
    assert len(lines) == 1, result.output
    return lines[0]


def test_help_teaches_the_three_commands():
    result = run("--help")
    assert result.exit_code == 0
    for word in ("excess", "surface", "whatif", "confidential", "postcode district"):
        assert word in result.output
    assert "nearest children first" in run("whatif", "--help").output


def test_excess_on_synthetic_placements_writes_tables_figure_and_map(episodes, tmp_path):
    out = tmp_path / "excess.csv"
    result = run("excess", "-p", str(episodes), "--out", str(out), "--figure", str(tmp_path / "excess.png"),
                 "--map", str(tmp_path / "excess.html"), "--placements-out", str(tmp_path / "rows.csv"))
    assert result.exit_code == 0, result.output
    table = pd.read_csv(out, index_col="la_code")
    assert list(table.index) == ["E08000007"] and (table["data"] == "SYNTHETIC").all()
    assert table.loc["E08000007", "median_excess_straight_miles"] == table.loc["E08000007",
                                                                              "median_excess_straight_miles"]
    assert "postcode-weighted centroid" in table.loc["E08000007", "rule"]
    assert (tmp_path / "excess_regions.csv").is_file() and (tmp_path / "excess_quality.csv").is_file()
    assert (tmp_path / "excess.png").stat().st_size > 100_000
    html = (tmp_path / "excess.html").read_text()
    assert "SYNTHETIC" in html and "straight-line" in html and "Contains OS data" in html
    assert (tmp_path / "excess.html").stat().st_size < 5e6
    rows = pd.read_csv(tmp_path / "rows.csv")
    assert (rows["data"] == "SYNTHETIC").all() and rows["CHILD"].str.startswith("SYN").all()
    assert "SYNTHETIC" in result.output


def test_own_return_gets_aggregates_only(own_return, tmp_path):
    out = tmp_path / "excess.csv"
    result = run("excess", "-p", str(own_return), "--la", "356", "--out", str(out))
    assert result.exit_code == 0, result.output
    table = pd.read_csv(out, index_col="la_code")
    assert "data" not in table.columns and "CHILD" not in table.columns and len(table) == 1
    assert not any(c.endswith(("easting", "northing")) for c in table.columns)
    error = one_line_error(run("excess", "-p", str(own_return), "--la", "356", "--out", str(out),
                               "--placements-out", str(tmp_path / "rows.csv")))
    assert error == "Error: --placements-out is refused for your own return: only aggregates are written"
    assert not (tmp_path / "rows.csv").exists()


def test_whatif_reports_before_after_and_the_assumption(episodes, tmp_path):
    out = tmp_path / "whatif.csv"
    result = run("whatif", "--la", "356", "--add-places", "6", "--at", "SK4 1", "-p", str(episodes), "--out", str(out))
    assert result.exit_code == 0, result.output
    assert "SYNTHETIC" in result.output and "ignoring matching of needs" in result.output
    table = pd.read_csv(out, index_col="scenario")
    assert list(table.index) == ["before", "after", "change"] and (table["added_places"] == 6).all()


def test_surface_writes_a_geotiff_and_a_map(tmp_path):
    out = tmp_path / "nearest.tif"
    result = run("surface", "--resolution", "10000", "--out", str(out), "--map", str(tmp_path / "surface.html"))
    assert result.exit_code == 0, result.output
    with rasterio.open(out) as src:
        assert src.crs.to_epsg() == 27700 and src.res == (10_000.0, 10_000.0) and src.count == 2
    html = (tmp_path / "surface.html").read_text()
    assert "data:image/png;base64," in html and "miles" in html and '<script src="http' not in html


@pytest.mark.parametrize(("args", "message"), [
    (["surface", "--resolution", "50", "--out", "x.tif"], "Error: --resolution 50: cells must be 100 m to 10,000 m"),
    (["surface", "--resolution", "20000", "--out", "x.tif"], "Error: --resolution 20000: cells must be 100 m"),
    (["surface", "--resolution", "1000", "--out", "x.tif", "--homes-list", "{fake}/ch_fake.xlsx"],
     "Error: --resolution 1000: a surface built from a confidential homes list must have cells of at least 5,000 m"),
    (["surface", "--out", "x.png"], "Error: x.png: the surface is written as a GeoTIFF; use a .tif file name"),
    (["excess", "--la", "356", "--out", "x.csv", "--homes-list", "{fake}/scp_fake.xlsx"],
     "Error: scp_fake.xlsx: neither an Ofsted children's homes workbook (sheet 'Provider information') nor a social "
     "care providers workbook (sheet 'Providers'); its sheets are 'Current providers', 'Providers closed in 2022-23'"),
    (["excess", "--la", "356", "--out", "x.csv", "--homes-list", "{fake}/scp_ch_2025_fake.xlsx"],
     "Error: scp_ch_2025_fake.xlsx [Providers]: no registered children's home with a postcode that geocodes"),
    (["excess", "--out", "x.csv"], "Error: give --placements FILE, or --la to measure SYNTHETIC placements"),
    (["whatif", "--la", "356", "--add-places", "2", "--at", "CF10 1"],
     "Error: --at 'CF10 1': postcode sector 'CF10 1' is in Wales, not England; places can be added only in England"),
    (["whatif", "--la", "356", "--add-places", "2", "--at", "Cardiff"],
     "Error: --at 'Cardiff': not an English LA nor a postcode sector in England"),
])
def test_bad_input_is_a_one_line_error_before_the_long_work(mirror, args, message):
    line = one_line_error(run(*[a.format(fake=mirror / FAKE) for a in args]))
    assert line.startswith(message)


def test_an_la_without_children_s_home_placements_is_a_one_line_error(episodes, tmp_path):
    line = one_line_error(run("excess", "-p", str(episodes), "--la", "Manchester", "--out", str(tmp_path / "x.csv")))
    assert line == "Error: episodes.csv: no placements of LA E08000003"
