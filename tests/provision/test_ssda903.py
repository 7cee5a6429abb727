"""provision.ssda903: reading and validating SSDA903 returns, row by row."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from geo.cli import app
from geo.errors import InputError, MissingColumnsError
from provision import ssda903

runner = CliRunner()

EPISODE_COLS = "CHILD,DECOM,RNE,LS,CIN,PLACE,PLACE_PROVIDER,DEC,REC,REASON_PLACE_CHANGE,HOME_POST,PL_POST,URN"
GOOD = [
    "101,01/04/2023,S,C2,N1,U4,PR1,01/06/2023,X1,CARPL,SK4 1AA,SK4 1AE,",
    "101,01/06/2023,P,C2,N1,K2,PR4,,,,SK4 1AA,M1 1AE,SC123456",
    "102,15/05/2023,S,V2,N8,H5,PR4,,,,,M1 1AE,",
]
HEADER = ["CHILD,SEX,DOB,ETHNIC,UPN,MOTHER,MC_DOB", "101,1,02/03/2010,WBRI,A123456789012,,",
          "102,2,04/05/2007,BAFR,UN4,0,"]


def write(folder: Path, name: str, lines: list[str] | str | bytes) -> Path:
    path = folder / name
    if isinstance(lines, bytes):
        path.write_bytes(lines)
    else:
        path.write_text(lines if isinstance(lines, str) else "\n".join(lines) + "\n", encoding="utf-8")
    return path


def episodes_with(tmp_path: Path, *rows: str, header: str = EPISODE_COLS) -> Path:
    return write(tmp_path, "episodes.csv", [header, *rows])


def problems(path: Path, table: str = "episodes", **kw) -> pd.DataFrame:
    return ssda903.read_table(path, table=table, check_postcodes=kw.pop("check_postcodes", False), **kw)[1]


def only(problems: pd.DataFrame, reason: str) -> pd.Series:
    rows = problems[problems["reason"].eq(reason)]
    assert len(rows) == 1, problems.to_string()
    return rows.iloc[0]


# -- the D2I validator's fake return: deliberate errors ------------------------------------------------------
@pytest.fixture(scope="module")
def d2i(mirror) -> ssda903.SSDA903:
    folder = mirror / "care" / "ssda903" / "d2i_validator_fake"
    return ssda903.read_ssda903(episodes=folder / "episodes.csv", header=folder / "header.csv",
                                missing=folder / "missing.csv")


def test_d2i_fake_overlapping_episodes(d2i):
    q = d2i.quality
    overlaps = q[q["reason"].eq("overlapping episodes")]
    assert len(overlaps) == 72
    row = overlaps[overlaps["row"].eq(789)].iloc[0]
    assert (row["file"], row["column"], row["value"]) == ("episodes.csv", "DEC", "17/01/2018")
    assert row["message"] == ("episodes.csv row 789: DEC '17/01/2018' is after the start of the next episode "
                              "of CHILD '104558' (DECOM '09/12/2017', row 790): episodes overlap")


def test_d2i_fake_rec_on_open_episodes(d2i):
    q = d2i.quality
    rec = q[q["reason"].eq("REC without DEC")]
    assert len(rec) == 1413
    first = rec[rec["row"].eq(3)].iloc[0]
    assert (first["column"], first["value"]) == ("REC", "X1")


def test_d2i_fake_bad_mother_code(d2i):
    row = only(d2i.quality[d2i.quality["file"].eq("header.csv")], "unknown code")
    assert (row["row"], row["column"], row["value"]) == (1273, "MOTHER", "1.0")
    assert row["message"].startswith("header.csv row 1273: MOTHER '1.0' is not a valid code")


def test_d2i_fake_random_postcodes_not_found(d2i):
    q = d2i.quality
    notfound = q[q["reason"].eq("postcode not found")]
    assert len(notfound) > 9000  # the fake postcodes are random strings: ~98% do not exist
    row = notfound[(notfound["row"] == 4) & notfound["column"].eq("HOME_POST")].iloc[0]
    assert row["value"] == "EH14 8EC" and row["severity"] == "warning"


def test_d2i_fake_nothing_dropped(d2i):
    assert len(d2i.episodes) == 5050 and len(d2i.header) == 2675 and len(d2i.missing) == 43
    assert d2i.episodes.index[0] == 2  # file rows: header is line 1
    assert pd.api.types.is_datetime64_any_dtype(d2i.episodes["DECOM"])
    summary = ssda903.summarise(d2i.quality)
    assert summary["problems"].sum() == len(d2i.quality)


# -- every bad-input case of the issue, with a row-level message ---------------------------------------------
def test_clean_file_has_no_problems(tmp_path):
    path = episodes_with(tmp_path, *GOOD)
    frame, found = ssda903.read_table(path, table="episodes", check_postcodes=True)
    assert found.empty, found.to_string()
    assert frame is not None and len(frame) == 3


def test_malformed_postcode(tmp_path):
    path = episodes_with(tmp_path, GOOD[0].replace("SK4 1AE", "SK4 XYZ"))
    row = only(problems(path), "invalid postcode")
    assert (row["row"], row["column"], row["value"]) == (2, "PL_POST", "SK4 XYZ")
    assert row["message"].startswith("episodes.csv row 2: PL_POST 'SK4 XYZ' is not a valid postcode")


def test_partial_postcodes_are_accepted(tmp_path):
    path = episodes_with(tmp_path, GOOD[2].replace(",,M1 1AE", ",sk4 1,M1"))
    assert problems(path, check_postcodes=True).empty


def test_postcode_not_in_codepoint(tmp_path):
    path = episodes_with(tmp_path, GOOD[2].replace("M1 1AE", "SK4 9ZZ"))
    row = only(problems(path, check_postcodes=True), "postcode not found")
    assert row["message"] == ("episodes.csv row 2: PL_POST 'SK4 9ZZ' is not in Code-Point Open 2025.4; "
                              "sector centroid used")


def test_dec_before_decom(tmp_path):
    path = episodes_with(tmp_path, "101,01/06/2023,S,C2,N1,U4,PR1,01/05/2023,E4A,,SK4 1AA,SK4 1AE,")
    row = only(problems(path), "DEC before DECOM")
    assert row["message"] == "episodes.csv row 2: DEC '01/05/2023' is before DECOM '01/06/2023'"


def test_overlapping_episodes(tmp_path):
    path = episodes_with(tmp_path, "101,01/04/2023,S,C2,N1,U4,PR1,01/07/2023,X1,CARPL,SK4 1AA,SK4 1AE,",
                         "101,01/06/2023,P,C2,N1,K2,PR4,,,,SK4 1AA,M1 1AE,")
    row = only(problems(path), "overlapping episodes")
    assert (row["row"], row["column"], row["value"]) == (2, "DEC", "01/07/2023")
    assert "next episode of CHILD '101' (DECOM '01/06/2023', row 3)" in row["message"]


def test_open_episode_followed_by_another(tmp_path):
    path = episodes_with(tmp_path, "101,01/04/2023,S,C2,N1,U4,PR1,,,,SK4 1AA,SK4 1AE,",
                         "101,01/06/2023,P,C2,N1,K2,PR4,,,,SK4 1AA,M1 1AE,")
    row = only(problems(path), "overlapping episodes")
    assert row["row"] == 2 and "DEC is blank (episode open)" in row["message"]


def test_unknown_place_and_ls_codes(tmp_path):
    path = episodes_with(tmp_path, "101,01/04/2023,S,C9,N1,K9,PR1,,,,SK4 1AA,SK4 1AE,")
    found = problems(path)
    place = found[found["column"].eq("PLACE")].iloc[0]
    ls = found[found["column"].eq("LS")].iloc[0]
    assert place["message"].startswith("episodes.csv row 2: PLACE 'K9' is not a valid code; expected one of A3")
    assert ls["message"].startswith("episodes.csv row 2: LS 'C9' is not a valid code; expected one of C1, C2")
    assert set(found["reason"]) == {"unknown code"}


def test_lower_case_codes_are_read(tmp_path):
    path = episodes_with(tmp_path, GOOD[2].replace("V2", "v2").replace("H5", "h5"))
    frame, found = ssda903.read_table(path, table="episodes", check_postcodes=False)
    assert found.empty and frame["PLACE"].iloc[0] == "H5"


def test_missing_columns(tmp_path):
    path = episodes_with(tmp_path, "101,01/04/2023,S", header="CHILD,DECOM,RNE")
    frame, found = ssda903.read_table(path, table="episodes")
    assert frame is None
    assert set(found["column"]) == {"LS", "CIN", "PLACE", "PLACE_PROVIDER", "DEC", "REC", "REASON_PLACE_CHANGE",
                                    "HOME_POST", "PL_POST"}
    assert found["message"].iloc[0].startswith("episodes.csv: required column LS is missing; found CHILD, DECOM")
    with pytest.raises(MissingColumnsError, match="episodes.csv: missing column"):
        ssda903.read_table(path, table="episodes", strict=True)


def test_duplicate_child_and_decom(tmp_path):
    path = episodes_with(tmp_path, GOOD[2], GOOD[2].replace("H5", "K2"))
    row = only(problems(path), "duplicate CHILD+DECOM")
    assert row["message"] == ("episodes.csv row 3: CHILD '102' has another episode starting DECOM '15/05/2023' "
                              "(row 2)")


def test_empty_file(tmp_path):
    row = only(problems(write(tmp_path, "episodes.csv", b"")), "empty file")
    assert row["message"] == "episodes.csv: the file is empty (0 bytes or only blank lines)"
    assert pd.isna(row["row"])


def test_header_only_file(tmp_path):
    row = only(problems(episodes_with(tmp_path)), "no data rows")
    assert row["message"] == "episodes.csv: has a header but no data rows"


def test_excel_mangled_dates(tmp_path):
    path = episodes_with(tmp_path, "101,45017,S,C2,N1,U4,PR1,2023-06-13 00:00:00,X1,CARPL,SK4 1AA,SK4 1AE,",
                         "101,06/13/2023,P,C2,N1,K2,PR4,,,,SK4 1AA,M1 1AE,",
                         "102,01/07/23,S,V2,N8,H5,PR4,,,,,M1 1AE,")
    frame, found = ssda903.read_table(path, table="episodes", check_postcodes=False)
    msgs = found.set_index(["row", "column"])["message"]
    assert msgs[(2, "DECOM")] == ("episodes.csv row 2: DECOM '45017' looks like an Excel serial date; read as "
                                  "01/04/2023 (expected dd/mm/yyyy)")
    assert "has a time part" in msgs[(2, "DEC")]
    assert msgs[(3, "DECOM")].endswith("is in US month/day order (Excel); read as 13/06/2023 (expected dd/mm/yyyy)")
    assert "two-digit year; read as 01/07/2023" in msgs[(4, "DECOM")]
    assert set(found["severity"]) == {"warning"}
    assert frame["DECOM"].tolist() == [pd.Timestamp("2023-04-01"), pd.Timestamp("2023-06-13"),
                                       pd.Timestamp("2023-07-01")]


def test_invalid_date(tmp_path):
    path = episodes_with(tmp_path, GOOD[2].replace("15/05/2023", "31/02/2023"))
    row = only(problems(path), "invalid date")
    assert row["message"] == "episodes.csv row 2: DECOM '31/02/2023' is not a valid date (expected dd/mm/yyyy)"


def test_blank_required_value(tmp_path):
    path = episodes_with(tmp_path, GOOD[2].replace(",S,", ",,"))
    row = only(problems(path), "blank")
    assert row["message"] == "episodes.csv row 2: RNE is blank; a value is required"


@pytest.mark.parametrize(("content", "looks_like"), [
    (b"PK\x03\x04\x14\x00\x06\x00" + b"\x00" * 40, "an Excel .xlsx workbook"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 40, "an old Excel .xls workbook"),
    (b"%PDF-1.7\n", "a PDF"),
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\x0dIHDR", "an image (PNG or JPEG)"),
    (b"\x01\x02plain\x03 binary", "a binary file"),
])
def test_not_a_csv(tmp_path, content, looks_like):
    row = only(problems(write(tmp_path, "episodes.csv", content)), "not a CSV file")
    assert row["message"].startswith(f"episodes.csv: is not a CSV file (it looks like {looks_like}")


def test_windows_encoding_and_semicolons(tmp_path):
    text = "\n".join([EPISODE_COLS.replace(",", ";")] + [g.replace(",", ";") for g in GOOD]) + "\n"
    path = tmp_path / "episodes.csv"
    path.write_bytes(text.replace("SC123456", "SC12345é").encode("cp1252"))
    frame, found = ssda903.read_table(path, table="episodes", check_postcodes=False)
    assert found.empty and frame["URN"].iloc[1] == "SC12345é"


def test_strict_fails_on_first_problem(tmp_path):
    path = episodes_with(tmp_path, GOOD[0], GOOD[1].replace("K2", "K9"), GOOD[2].replace("V2", "X7"))
    with pytest.raises(InputError, match=r"^episodes.csv row 3: PLACE 'K9' is not a valid code"):
        ssda903.read_table(path, table="episodes", strict=True, check_postcodes=False)


def test_cross_file_checks(tmp_path):
    ep = episodes_with(tmp_path, *GOOD, "999,01/05/2023,S,C2,N1,U4,PR1,,,,SK4 1AA,SK4 1AE,",
                       "102,15/05/2006,S,V2,N8,H5,PR4,15/05/2023,E8,,,M1 1AE,")
    head = write(tmp_path, "header.csv", HEADER)
    miss = write(tmp_path, "missing.csv", ["CHILD,DOB,MISSING,MIS_START,MIS_END",
                                           "101,02/03/2010,M,05/05/2023,04/05/2023",
                                           "555,02/03/2010,Z,05/05/2023,"])
    q = ssda903.validate(episodes=ep, header=head, missing=miss, check_postcodes=False)
    msgs = set(q["message"])
    assert "episodes.csv row 5: CHILD '999' has episodes but no row in header.csv" in msgs
    assert "episodes.csv row 6: DECOM '15/05/2006' is before the child's DOB '04/05/2007' in header.csv" in msgs
    assert "missing.csv row 2: MIS_END '04/05/2023' is before MIS_START '05/05/2023'" in msgs
    assert "missing.csv row 3: MISSING 'Z' is not a valid code; expected one of M, A" in msgs
    assert "missing.csv row 3: CHILD '555' has missing episodes but no row in header.csv" in msgs


def test_header_checks(tmp_path):
    head = write(tmp_path, "header.csv", [*HEADER, "101,3,02/03/2010,XXXX,123,,"])
    q = problems(head, table="header")
    msgs = set(q["message"])
    assert "header.csv row 4: SEX '3' is not a valid code; expected one of 1, 2" in msgs
    assert "header.csv row 4: CHILD '101' appears more than once (first at row 2)" in msgs
    assert any(m.startswith("header.csv row 4: ETHNIC 'XXXX' is not a valid code") for m in msgs)
    assert "header.csv row 4: UPN '123' is not a UPN (a letter and 12 characters, or UN1-UN10)" in msgs


def test_unknown_table_and_file(tmp_path):
    with pytest.raises(InputError, match="unknown SSDA903 table 'reviews'"):
        ssda903.read_table(tmp_path / "x.csv", table="reviews")
    with pytest.raises(InputError, match="file not found"):
        ssda903.read_table(tmp_path / "absent.csv", table="episodes")


def test_schema_matches_liia_codes(mirror):
    liia = pd.read_csv(mirror / "care" / "ssda903" / "schema" / "ssda903_columns_2024_liia.csv",
                       dtype=str, keep_default_na=False)
    for table, name in (("episodes", "Episodes"), ("header", "Header"), ("missing", "Missing")):
        ours = {c.name: c for c in ssda903.SCHEMA[table]}
        theirs = liia[liia["table"].eq(name)]
        assert set(theirs["column"]) == set(ours)
        for _, row in theirs[theirs["type"].eq("category")].iterrows():
            codes = {c.split("=")[0] for c in row["codes"].split(";")}
            assert set(ours[row["column"]].codes) == codes, row["column"]
            assert ours[row["column"]].blank_ok == (row["canbeblank"] == "True"), row["column"]


@settings(max_examples=100, deadline=None)
@given(st.dates(min_value=dt.date(1990, 1, 1), max_value=dt.date(2035, 12, 31)))
def test_dates_round_trip(day):
    values = pd.Series([day.strftime("%d/%m/%Y"), day.isoformat(), f"{day.day}/{day.month}/{day.year}"])
    parsed, notes = ssda903.parse_dates(values)
    assert (parsed == pd.Timestamp(day)).all()
    assert (notes == "").all()


# -- CLI -------------------------------------------------------------------------------------------------------
def test_cli_validate(tmp_path, mirror):
    ep = episodes_with(tmp_path, GOOD[0].replace("SK4 1AE", "SK4 XYZ"), GOOD[1], GOOD[2])
    head = write(tmp_path, "header.csv", HEADER)
    out = tmp_path / "dq.csv"
    result = runner.invoke(app, ["--mirror", str(mirror), "placements", "validate", "--episodes", str(ep),
                                 "--header", str(head), "--la", "356", "--out", str(out)],
                           env={"COLUMNS": "200"})
    assert result.exit_code == 1, result.output  # errors found: exit 1, as linters do
    assert "1 problem(s) (responsible LA E08000007): 1 error(s), 0 warning(s)" in result.output
    assert "child-level: do not share" in result.output
    assert out.read_text(encoding="utf-8").startswith("# child-level: do not share")
    table = pd.read_csv(out, skiprows=1)
    assert table.loc[0, "message"].startswith("episodes.csv row 2: PL_POST 'SK4 XYZ' is not a valid postcode")
    clean = episodes_with(tmp_path, *GOOD)
    result = runner.invoke(app, ["--mirror", str(mirror), "placements", "validate", "--episodes", str(clean),
                                 "--header", str(head), "--no-lookup"])
    assert result.exit_code == 0, result.output


def test_cli_validate_strict_exits_1(tmp_path, mirror):
    ep = episodes_with(tmp_path, GOOD[0], GOOD[1].replace("K2", "K9"))
    result = runner.invoke(app, ["--mirror", str(mirror), "placements", "validate", "--episodes", str(ep),
                                 "--strict", "--no-lookup"])
    assert result.exit_code == 1
    assert "Error: episodes.csv row 3: PLACE 'K9' is not a valid code" in result.output


def test_cli_validate_unknown_la(tmp_path, mirror):
    ep = episodes_with(tmp_path, *GOOD)
    result = runner.invoke(app, ["--mirror", str(mirror), "placements", "validate", "--episodes", str(ep),
                                 "--la", "Atlantis"])
    assert result.exit_code == 1 and "Atlantis" in result.output
