"""The observation window is the return's collection year or --from/--to: one stray MIS_START in 2010 and a DEC in
2026 change neither the placement days nor the rate; they are counted, and validate names the stray MIS_START."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from geo.cli import app
from geo.errors import InputError
from provision import ssda903
from provision.collection_years import observation_window, return_year
from provision.placement_frame import load_placement_frame
from provision.returns import read_return
from tests._own_return import own_tables, write_tables

runner = CliRunner()


@pytest.fixture(scope="module")
def own(mirror: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Stockport's synthetic 2023-24 return without the SYN marker, and the same return with two stray dates."""
    folder = tmp_path_factory.mktemp("window")
    tables = own_tables()
    write_tables(tables, folder)
    eps, mis = tables["episodes"].copy(), tables["missing"].copy()
    open_row = eps.index[eps["DEC"].isna()][0]
    eps.loc[open_row, "DEC"] = pd.Timestamp("2026-06-30")  # a DEC typed years late
    eps.loc[open_row, "REC"] = "E8"
    stray = mis.iloc[[0]].copy()
    stray["MIS_START"], stray["MIS_END"] = pd.Timestamp("2010-06-01"), pd.Timestamp("2010-06-02")  # years early
    mis = pd.concat([mis, stray], ignore_index=True)
    eps.to_csv(folder / "episodes_stray.csv", index=False)
    mis.to_csv(folder / "missing_stray.csv", index=False)
    return {"episodes": folder / "episodes.csv", "header": folder / "header.csv", "missing": folder / "missing.csv",
            "episodes_stray": folder / "episodes_stray.csv", "missing_stray": folder / "missing_stray.csv"}


def _rate(frame: pd.DataFrame) -> float:
    ok = frame[frame["status"].eq("ok")]
    return 1000 * ok["missing_incidents"].sum() / ok["exposure_days"].sum()


def test_stray_dates_change_neither_placement_days_nor_the_rate(own: dict[str, Path]) -> None:
    clean, _ = load_placement_frame(own["episodes"], header=own["header"], missing=own["missing"], la="E08000007")
    stray, quality = load_placement_frame(own["episodes_stray"], header=own["header"], missing=own["missing_stray"],
                                          la="E08000007")
    window = (pd.Timestamp("2023-04-01"), pd.Timestamp("2024-03-31"))
    assert clean.attrs["observation_period"] == stray.attrs["observation_period"] == window
    assert stray["exposure_days"].sum() == clean["exposure_days"].sum()
    assert stray["missing_incidents"].sum() == clean["missing_incidents"].sum()
    assert _rate(stray) == _rate(clean)
    before = quality[quality["reason"].str.contains("dated before the observation period")]
    assert before["rows"].sum() == 1 and "2023-04-01" in before["reason"].iloc[0]


def test_the_window_given_wins_and_outside_rows_are_counted(own: dict[str, Path]) -> None:
    frame, quality = load_placement_frame(own["episodes"], header=own["header"], missing=own["missing"],
                                          la="E08000007", observation_start="2023-10-01", reference_date="2024-03-31")
    assert frame.attrs["observation_period"] == (pd.Timestamp("2023-10-01"), pd.Timestamp("2024-03-31"))
    assert frame["exposure_start"].min() >= pd.Timestamp("2023-10-01")
    assert quality["reason"].str.contains("dated before the observation period \\(starts 2023-10-01\\)").any()


def test_read_return_carries_the_window_and_counts_what_is_outside(own: dict[str, Path]) -> None:
    children = read_return(own["episodes_stray"], header=own["header"], missing=own["missing_stray"],
                           la="E08000007")
    assert children.window == (pd.Timestamp("2023-04-01"), pd.Timestamp("2024-03-31"))
    assert children.settings["observation window"] == "2023-04-01 to 2024-03-31 (the return's collection year)"
    counted = {q.reason: q.rows for q in children.quality if q.stage.startswith("observation window")}
    assert counted["missing episode before the window (not counted)"] == 1
    given = read_return(own["episodes"], header=own["header"], missing=own["missing"], la="E08000007",
                        window=(pd.Timestamp("2024-01-01"), None))
    assert given.window == (pd.Timestamp("2024-01-01"), pd.Timestamp("2024-03-31"))
    assert given.settings["observation window"].endswith("(given)")


def test_validate_names_a_mis_start_outside_every_episode_of_the_child(own: dict[str, Path]) -> None:
    problems = ssda903.validate(episodes=own["episodes"], header=own["header"], missing=own["missing_stray"],
                                check_postcodes=False)
    stray = problems[problems["reason"] == "MIS_START outside any episode"]
    assert len(stray) == 1 and stray["severity"].iloc[0] == "warning"
    assert stray["message"].iloc[0].startswith("missing_stray.csv row ")
    assert "MIS_START '01/06/2010' is inside no episode of CHILD '7" in stray["message"].iloc[0]
    clean = ssda903.validate(episodes=own["episodes"], header=own["header"], missing=own["missing"],
                             check_postcodes=False)
    assert "MIS_START outside any episode" not in set(clean["reason"])


def test_return_year_is_not_moved_by_strays_and_empty_windows_fail() -> None:
    start = pd.Series(pd.to_datetime(["2023-05-01", "2023-06-01", "2010-01-01", "2022-01-01"]))
    end = pd.Series(pd.to_datetime(["2023-09-01", pd.NaT, "2026-06-30", "2024-02-01"]))
    assert return_year(start, end) == 2024
    assert observation_window(start, end) == (pd.Timestamp("2023-04-01"), pd.Timestamp("2024-03-31"))
    with pytest.raises(InputError, match=r"observation period is empty: starts 2024-05-01 after it ends 2024-03-31"):
        observation_window(start, end, observation_start="2024-05-01", reference_date="2024-03-31")
    with pytest.raises(InputError, match=r"no episode has a DECOM or DEC date: .* give the observation window"):
        return_year(pd.Series(pd.NaT, index=[0, 1]), pd.Series(pd.NaT, index=[0, 1]))


def test_effect_child_from_after_to_is_one_line(own: dict[str, Path]) -> None:
    result = runner.invoke(app, ["effect", "child", "-e", str(own["episodes"]), "--header", str(own["header"]),
                                 "-m", str(own["missing"]), "--la", "356", "--from", "2024-05-01",
                                 "--to", "2024-03-31"])
    assert result.exit_code != 0
    assert "Error: observation period is empty: starts 2024-05-01 after it ends 2024-03-31" in result.output
    assert "Traceback" not in result.output
