"""provision.placements.locate: offline geocoding of episodes, LAs, inside/outside and the DfE distance."""

from __future__ import annotations

import socket

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from geo.cli import app
from geo.errors import InputError, MissingColumnsError, UnknownAreaCodeError
from provision.placements import LOCATE_COLUMNS, locate

runner = CliRunner()


@pytest.fixture
def episodes() -> pd.DataFrame:
    return pd.DataFrame({
        "CHILD": ["a", "b", "c", "d", "e"],
        "HOME_POST": ["SK4 1AA", "sk41aa", None, "SK4 1", "SK4 1AA"],
        "PL_POST": ["M1 1AE", "CF10 1EP", "M1 1AE", "ZZ9 9ZZ", "SK4 1AE"],
    }, index=pd.Index([50, 51, 52, 53, 54], name="row"))


def test_locate_columns_values_and_index(episodes):
    before = episodes.copy()
    out = locate(episodes, responsible_la="Stockport")
    pd.testing.assert_frame_equal(episodes, before)  # the input is not changed
    assert list(out.index) == [50, 51, 52, 53, 54]
    assert list(out.columns) == ["CHILD", "HOME_POST", "PL_POST", *LOCATE_COLUMNS]
    a = out.loc[50]
    assert (a["home_easting"], a["home_northing"], a["pl_easting"], a["pl_northing"]) == (
        389341, 390235, 384756, 398553)
    assert a["straight_distance_miles"] == pytest.approx(5.9)
    assert a["straight_distance_km"] == pytest.approx(9.498, abs=1e-3)
    assert (a["home_la"], a["pl_la"], a["responsible_la"]) == ("E08000007", "E08000003", "E08000007")
    assert a["outside_la"] and not a["over_20_miles"] and a["locate_status"] == "ok"
    b = out.loc[51]
    assert b["pl_la"] == "WAL" and b["outside_la"] and b["over_20_miles"]
    assert b["straight_distance_miles"] == pytest.approx(140.4)
    c = out.loc[52]
    assert c["home_precision"] == "none" and np.isnan(c["straight_distance_miles"])
    assert pd.isna(c["over_20_miles"]) and c["outside_la"] and c["locate_status"] == "HOME_POST blank"
    d = out.loc[53]
    assert d["home_precision"] == "sector" and d["pl_precision"] == "none"
    assert pd.isna(d["outside_la"]) and d["locate_status"] == "PL_POST not found"
    e = out.loc[54]
    assert not e["outside_la"] and e["straight_distance_miles"] == 0.0


def test_responsible_la_forms(episodes):
    for value in ("E08000007", "356", "Stockport"):
        assert (locate(episodes, responsible_la=value)["responsible_la"] == "E08000007").all()


def test_la_column_without_la(episodes):
    frame = episodes.assign(LA=["E08000003", "E08000003", "356", "E08000007", "Manchester"])
    out = locate(frame)
    assert out["responsible_la"].tolist() == ["E08000003", "E08000003", "E08000007", "E08000007", "E08000003"]
    assert not out.loc[50, "outside_la"]
    assert out.attrs["la_conflicts"] == 0 and out.attrs["unknown_la"] == 0


def test_la_option_wins_over_the_column_and_conflicts_are_counted(episodes):
    frame = episodes.assign(LA=["E08000003", "E08000003", "356", "E08000007", "Manchester"])
    out = locate(frame, responsible_la="Stockport")
    assert (out["responsible_la"] == "E08000007").all()
    assert out.attrs["la_conflicts"] == 3  # rows 50, 51 and 54 name Manchester


def test_unknown_la_value_leaves_the_row_unknown(episodes):
    out = locate(episodes.assign(LA=["E99999999", "356", "356", "356", "356"]))
    assert pd.isna(out.loc[50, "responsible_la"]) and out.loc[51, "responsible_la"] == "E08000007"
    assert out.attrs["unknown_la"] == 1


def test_unknown_responsible_la(episodes):
    with pytest.raises(UnknownAreaCodeError, match="Atlantis"):
        locate(episodes, responsible_la="Atlantis")


def test_no_responsible_la_gives_na(episodes):
    out = locate(episodes)
    assert out["responsible_la"].isna().all() and out["outside_la"].isna().all()
    assert out["straight_distance_miles"].notna().sum() == 3


def test_missing_columns_and_empty(episodes):
    with pytest.raises(MissingColumnsError, match="'PL_POST'"):
        locate(episodes.drop(columns="PL_POST"))
    with pytest.raises(InputError, match="empty"):
        locate(episodes.iloc[:0])


def test_year_2025_codes():
    frame = pd.DataFrame({"HOME_POST": ["S1 1AA"], "PL_POST": ["S1 1AA"]})
    assert locate(frame, year=2025)["pl_la"][0] == "E08000039"
    assert locate(frame)["pl_la"][0] == "E08000019"


def test_locate_sends_nothing_over_the_network(episodes, monkeypatch):
    locate(episodes.iloc[:1], responsible_la="Stockport")  # warm the caches (local files only)

    def refuse(*args, **kwargs):
        raise AssertionError("a network connection was attempted")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    out = locate(episodes, responsible_la="Stockport")
    assert out["straight_distance_miles"].notna().sum() == 3


def test_cli_locate(tmp_path, mirror):
    path = tmp_path / "episodes.csv"
    path.write_text("CHILD,DECOM,RNE,LS,CIN,PLACE,PLACE_PROVIDER,DEC,REC,REASON_PLACE_CHANGE,HOME_POST,PL_POST,URN\n"
                    "101,01/04/2023,S,C2,N1,U4,PR1,,,,SK4 1AA,M1 1AE,\n"
                    "102,01/05/2023,S,C2,N1,K2,PR4,,,,sk4 1,CF10 1EP,SC123456\n", encoding="utf-8")
    out = tmp_path / "located.csv"
    result = runner.invoke(app, ["--mirror", str(mirror), "placements", "locate", "--episodes", str(path),
                                 "--la", "356", "--out", str(out)], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    assert "2 episodes: 2 with a straight-line distance" in result.output
    table = pd.read_csv(out)
    assert table["pl_la"].tolist() == ["E08000003", "WAL"]
    assert table["home_precision"].tolist() == ["full", "sector"]


def test_cli_locate_bad_file(tmp_path, mirror):
    path = tmp_path / "episodes.csv"
    path.write_bytes(b"PK\x03\x04" + b"\x00" * 30)
    result = runner.invoke(app, ["--mirror", str(mirror), "placements", "locate", "--episodes", str(path),
                                 "--out", str(tmp_path / "o.csv")])
    assert result.exit_code == 1
    assert "Error: episodes.csv: is not a CSV file" in result.output
