"""Bad SSDA903 input that used to crash or pass silently: each gives a row-level message or a counted status."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from geo.cli import app
from provision import ssda903
from provision.returns import read_return

runner = CliRunner()

COLS = "CHILD,DECOM,RNE,LS,CIN,PLACE,PLACE_PROVIDER,DEC,REC,REASON_PLACE_CHANGE,HOME_POST,PL_POST,URN"
ROWS = [
    "101,01/04/2023,S,C2,N1,U4,PR1,01/06/2023,X1,CARPL,SK4 1AA,SK4 1AE,",
    "101,01/06/2023,P,C2,N1,K2,PR4,,,,SK4 1AA,M1 1AE,SC123456",
    "102,15/05/2023,S,V2,N8,H5,PR4,,,,,M1 1AE,",
]
HEADER = ["CHILD,SEX,DOB,ETHNIC,UPN,MOTHER,MC_DOB", "101,1,02/03/2010,WBRI,A123456789012,,",
          "102,2,04/05/2007,BAFR,UN4,0,"]


def write(path: Path, lines: list[str]) -> Path:
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def read(path: Path, table: str = "episodes", **kw: object) -> tuple[pd.DataFrame | None, pd.DataFrame]:
    return ssda903.read_table(path, table=table, check_postcodes=False, **kw)  # type: ignore[arg-type]


def reasons(problems: pd.DataFrame, reason: str) -> pd.DataFrame:
    return problems[problems["reason"].eq(reason)]


def test_columns_colliding_after_upper_casing(tmp_path: Path) -> None:
    path = write(tmp_path / "episodes.csv", [COLS + ",pl_post", *(r + ",M1 1AE" for r in ROWS)])
    frame, found = read(path)
    dup = reasons(found, "duplicate column")
    assert len(dup) == 1 and dup.iloc[0]["severity"] == "error"
    assert dup.iloc[0]["message"] == (
        "episodes.csv: column 14 'pl_post' has the same name in upper case as column 12 'PL_POST'; column 12 is "
        "used and column 14 ignored (they differ in 1 row(s)); rename or remove one")
    assert frame is not None and frame["PL_POST"].tolist() == ["SK4 1AE", "M1 1AE", "M1 1AE"]


def test_duplicated_column_name(tmp_path: Path) -> None:
    path = write(tmp_path / "episodes.csv", [COLS + ",HOME_POST", *(r + ",XX1 1XX" for r in ROWS)])
    frame, found = read(path)
    row = reasons(found, "duplicate column").iloc[0]
    assert "column 14 'HOME_POST' has the same name as column 11 'HOME_POST'" in row["message"]
    assert "they differ in 3 row(s)" in row["message"]
    assert frame is not None and "HOME_POST.1" not in frame.columns


def test_implausible_dob_and_two_digit_year(tmp_path: Path) -> None:
    path = write(tmp_path / "header.csv", [HEADER[0], "101,1,02/03/1900,WBRI,,,", "102,2,25/11/30,BAFR,,,",
                                           "103,1,01/01/2999,WBRI,,,", "104,2,04/05/2007,BAFR,,,"])
    frame, found = read(path, "header")
    bad = reasons(found, "implausible date").set_index("row")["message"]
    assert bad[2] == ("header.csv row 2: DOB '02/03/1900' (read as 02/03/1900) is before 1980: not a plausible "
                      "date in an SSDA903 return, so it is not used; write the date in full as dd/mm/yyyy")
    assert bad[3].startswith("header.csv row 3: DOB '25/11/30' (read as 25/11/1930) is before 1980")
    assert "is in the future" in bad[4]
    assert 5 not in bad.index
    assert frame is not None and frame["DOB"].isna().tolist() == [True, True, True, False]


def test_child_under_two_responsible_las(tmp_path: Path, mirror: Path) -> None:
    path = write(tmp_path / "episodes.csv", [COLS + ",LA", ROWS[0] + ",356", ROWS[1] + ",Manchester",
                                             ROWS[2] + ",356"])
    row = reasons(read(path)[1], "CHILD under two LAs").iloc[0]
    assert row["message"] == ("episodes.csv row 3: CHILD '101' is under LA 'Manchester' here but under E08000007 at "
                              "row 2: one child has one responsible LA")


def test_unknown_la_names_the_file_and_row(tmp_path: Path, mirror: Path) -> None:
    path = write(tmp_path / "episodes.csv", [COLS + ",LA", ROWS[0] + ",356", ROWS[1] + ",356",
                                             ROWS[2] + ",E99999999"])
    row = reasons(read(path)[1], "unknown LA").iloc[0]
    assert row["message"].startswith("episodes.csv row 4: LA 'E99999999' is not an English LA")


def test_la_option_wins_and_conflicts_are_counted(tmp_path: Path, mirror: Path) -> None:
    path = write(tmp_path / "episodes.csv", [COLS + ",LA", ROWS[0] + ",Manchester", ROWS[1] + ",Manchester",
                                             ROWS[2] + ",356"])
    found = read(path, la="E08000007")[1]
    conflicts = reasons(found, "LA differs from --la")
    assert conflicts["row"].tolist() == [2, 3] and set(conflicts["severity"]) == {"warning"}
    assert conflicts.iloc[0]["message"] == ("episodes.csv row 2: LA 'Manchester' (E08000003) differs from --la "
                                            "E08000007; --la is used")


@pytest.mark.parametrize("value", ["-5", "1e308", "yes please"])
def test_uasc_values_that_are_not_0_or_1(tmp_path: Path, value: str) -> None:
    path = write(tmp_path / "header.csv", [HEADER[0] + ",UASC", HEADER[1] + ",0", HEADER[2] + f",{value}"])
    row = reasons(read(path, "header")[1], "unknown code").iloc[0]
    assert row["message"].startswith(f"header.csv row 3: UASC '{value}' is not 0 or 1")


def test_cp1252_byte_after_8_kb_is_found(tmp_path: Path) -> None:
    filler = [ROWS[2].replace("102", str(200 + i)) for i in range(200)]  # ~9 KB of ASCII first
    text = "\n".join([COLS, *filler, ROWS[1].replace("SC123456", "SC12345é")]) + "\n"
    assert len(text.encode("ascii", errors="ignore")) > 8192
    path = tmp_path / "episodes.csv"
    path.write_bytes(text.encode("cp1252"))
    frame, found = read(path)
    assert found.empty, found.to_string()
    assert frame is not None and frame["URN"].iloc[-1] == "SC12345é" and len(frame) == 201


def test_neither_utf8_nor_cp1252(tmp_path: Path) -> None:
    path = tmp_path / "episodes.csv"
    path.write_bytes((COLS + "\n" + ROWS[0] + "\n").encode() + b"101,\x81\x8d\n")
    row = reasons(read(path)[1], "not a CSV file").iloc[0]
    assert "cannot be decoded as text" in row["message"] and "line 3" in row["message"]


def test_ragged_rows_are_reported_and_the_rest_read(tmp_path: Path) -> None:
    path = write(tmp_path / "episodes.csv", [COLS, ROWS[0], ROWS[1] + ",stray", ROWS[2], "103,01/06/2023,S"])
    frame, found = read(path)
    ragged = reasons(found, "ragged row").set_index("row")
    assert ragged.loc[3, "message"] == ("episodes.csv row 3: has 14 fields but the header has 13 (a stray "
                                        "delimiter?); the row is set aside")
    assert ragged.loc[3, "severity"] == "error" and ragged.loc[5, "severity"] == "warning"
    assert frame is not None and frame.index.tolist() == [2, 4, 5]
    assert frame.loc[5, "PL_POST"] == ""


def test_header_only_missing_file_means_no_child_went_missing(tmp_path: Path, mirror: Path) -> None:
    ep = write(tmp_path / "episodes.csv", [COLS, *ROWS])
    hd = write(tmp_path / "header.csv", HEADER)
    ms = write(tmp_path / "missing.csv", ["CHILD,DOB,MISSING,MIS_START,MIS_END"])
    data = ssda903.read_ssda903(episodes=ep, header=hd, missing=ms, check_postcodes=False)
    assert data.missing is not None and data.missing.empty
    assert not data.quality["reason"].eq("no data rows").any()
    children = read_return(ep, header=hd, missing=ms, la="E08000007")
    assert children.missing is not None and "no child went missing" in children.description


def test_validate_exit_codes_and_out_folder(tmp_path: Path, mirror: Path) -> None:
    ep = write(tmp_path / "episodes.csv", [COLS, *ROWS])
    ok = runner.invoke(app, ["placements", "validate", "-e", str(ep), "--no-lookup"])
    assert ok.exit_code == 0, ok.output
    bad = write(tmp_path / "bad.csv", [COLS, ROWS[0].replace("U4", "U9")])
    res = runner.invoke(app, ["placements", "validate", "-e", str(bad), "--no-lookup"])
    assert res.exit_code == 1 and "1 error(s)" in res.output
    unreadable = tmp_path / "x.csv"
    unreadable.write_bytes(b"%PDF-1.7\n")
    res = runner.invoke(app, ["placements", "validate", "-e", str(unreadable)])
    assert res.exit_code == 1 and "is not a CSV file" in res.output
    res = runner.invoke(app, ["placements", "validate", "-e", str(ep), "--out", str(tmp_path)])
    assert res.exit_code == 1
    assert f"Error: --out {tmp_path}: is a folder; give a file name" in res.output


def test_validate_out_that_cannot_be_written(tmp_path: Path, mirror: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    ep = write(tmp_path / "episodes.csv", [COLS, *ROWS[:1]])
    out = tmp_path / "ro" / "dq.csv"
    real_open = Path.open

    def read_only(self: Path, mode: str = "r", *args: object, **kwargs: object):  # type: ignore[no-untyped-def]
        if self == out and "w" in mode:  # root ignores file modes: refuse as a read-only folder would
            raise PermissionError(13, "Permission denied", str(self))
        return real_open(self, mode, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(Path, "open", read_only)
    res = runner.invoke(app, ["placements", "validate", "-e", str(ep), "--no-lookup", "--out", str(out)])
    assert res.exit_code == 1 and "Traceback" not in res.output
    assert res.output.strip().splitlines()[-1] == (f"Error: {out}: Permission denied (check the path and its "
                                                   "permissions)")


def test_csv_outputs_escape_formulas(tmp_path: Path, mirror: Path) -> None:
    ep = write(tmp_path / "episodes.csv", [COLS, ROWS[0].replace("CARPL", "=HYPERLINK(\"x\")")])
    out = tmp_path / "dq.csv"
    runner.invoke(app, ["placements", "validate", "-e", str(ep), "--no-lookup", "--out", str(out)])
    table = pd.read_csv(out, skiprows=1, dtype=str)
    assert table.loc[0, "value"] == "'=HYPERLINK(\"x\")"
