"""Hostile workbooks: hidden sheets, formulas never calculated, a sparse sheet at XFD1048576 and a zip bomb are
refused (or passed over) with one line, checked with zipfile before calamine parses anything."""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from geo.errors import InputError
from provision import ssda903, ssda903_xlsx
from provision.returns import read_return
from provision.ssda903_xlsx import check_workbook, read_xlsx_return

EPISODES = ["CHILD", "DECOM", "RNE", "LS", "CIN", "PLACE", "PLACE_PROVIDER", "DEC", "REC", "REASON_PLACE_CHANGE",
            "HOME_POST", "PL_POST"]
REQUIRED = {t: [c.name for c in cols if c.required] for t, cols in ssda903.SCHEMA.items()}


def _rows(child: str) -> list[list[str]]:
    return [EPISODES, [child, "01/04/2023", "S", "C2", "N1", "U1", "PR1", "", "", "", "SK4 1AA", "SK5 7PS"]]


def _book(path: Path, sheets: dict[str, list[list[object]]], states: dict[str, str] | None = None) -> Path:
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for name, rows in sheets.items():
        ws = wb.create_sheet(name)
        for row in rows:
            ws.append(row)
        ws.sheet_state = (states or {}).get(name, "visible")
    wb.save(path)
    return path


@pytest.fixture()
def no_calamine(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fail if calamine is asked to open the workbook: a refused file must be refused before any parsing."""
    from python_calamine import CalamineWorkbook

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("calamine opened a workbook that should have been refused")

    monkeypatch.setattr(CalamineWorkbook, "from_path", refuse)


def test_a_very_hidden_sheet_placed_first_is_never_read(tmp_path: Path) -> None:
    book = _book(tmp_path / "r.xlsx", {"Old episodes": _rows("666"), "Episodes": _rows("101")},
                 states={"Old episodes": "veryHidden"})
    assert [(s.name, s.visible) for s in check_workbook(book)] == [("Old episodes", False), ("Episodes", True)]
    tables = read_xlsx_return(book, REQUIRED)
    assert tables["episodes"].file == "r.xlsx, sheet 'Episodes'"
    assert tables["episodes"].frame is not None and tables["episodes"].frame["CHILD"].tolist() == ["101"]


def test_a_table_only_in_a_hidden_sheet_is_a_missing_table(tmp_path: Path) -> None:
    book = _book(tmp_path / "r.xlsx", {"Episodes": _rows("101"), "Header": [["CHILD", "SEX", "DOB", "ETHNIC"]]},
                 states={"Header": "hidden"})
    data = ssda903.read_ssda903(episodes=book, check_postcodes=False)
    assert data.header is None
    row = data.quality.loc[data.quality["reason"] == "missing table"].iloc[0]
    assert row["message"] == ("r.xlsx: has no visible header sheet: sheet 'Header' is hidden, and hidden sheets are "
                              "never read; unhide it if it is the header table")
    with pytest.raises(InputError, match=r"no readable header rows \(r\.xlsx: has no visible header sheet"):
        read_return(book)


def test_a_sheet_is_matched_by_name_not_by_its_columns(tmp_path: Path) -> None:
    book = _book(tmp_path / "r.xlsx", {"Sheet1": _rows("101")})
    assert "episodes" not in read_xlsx_return(book, REQUIRED)


def test_a_formula_without_a_calculated_value_names_the_sheet_and_cell(tmp_path: Path) -> None:
    rows = _rows("101")
    rows[1][1] = "=DATE(2023,4,1)"  # openpyxl writes the formula and no value: nothing ever calculated it
    book = _book(tmp_path / "r.xlsx", {"Episodes": rows})
    data = ssda903.read_ssda903(episodes=book, check_postcodes=False)
    assert data.episodes is None
    assert data.quality["message"].tolist()[0] == (
        "r.xlsx, sheet 'Episodes': cell B2 holds a formula whose value was never calculated (the file was written by "
        "a program that does not calculate formulas); open it in Excel and save it, or save the sheet as CSV")
    with pytest.raises(InputError, match=r"^r\.xlsx, sheet 'Episodes': cell B2 holds a formula whose value"):
        ssda903.read_ssda903(episodes=book, check_postcodes=False, strict=True)


def test_a_sparse_sheet_with_one_cell_at_xfd1048576_is_refused_before_parsing(tmp_path: Path,
                                                                             no_calamine: None) -> None:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Episodes"
    for row in _rows("101"):
        ws.append(row)
    ws.cell(row=1_048_576, column=16_384, value=1)
    book = tmp_path / "sparse.xlsx"
    wb.save(book)
    assert book.stat().st_size < 50_000
    problems = ssda903.validate(episodes=book, check_postcodes=False)
    assert problems["message"].tolist() == [
        "sparse.xlsx, sheet 'Episodes': it declares 1,048,576 rows by 16,384 columns (at most 1,048,576 rows, "
        "1,000 columns and 30,000,000 cells); delete the cells far from the table, or save the sheet as CSV"]


def test_a_sheet_whose_dimension_lies_is_judged_by_the_cells_it_addresses(tmp_path: Path, no_calamine: None) -> None:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Episodes"
    ws.cell(row=1_048_576, column=16_384, value=1)
    honest = tmp_path / "honest.xlsx"
    wb.save(honest)
    lying = tmp_path / "lying.xlsx"
    with zipfile.ZipFile(honest) as src, zipfile.ZipFile(lying, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = src.read(info)
            if info.filename == "xl/worksheets/sheet1.xml":
                data = re.sub(rb'<dimension ref="[^"]*"/>', b'<dimension ref="A1"/>', data)
                assert b'<dimension ref="A1"/>' in data
            dst.writestr(info.filename, data)
    problems = ssda903.validate(episodes=lying, check_postcodes=False)
    assert problems["message"].tolist()[0].startswith("lying.xlsx, sheet 'Episodes': it addresses 1,048,576 rows by "
                                                      "16,384 columns")


def test_a_zip_bomb_is_refused_from_what_the_archive_declares(tmp_path: Path, no_calamine: None) -> None:
    good = _book(tmp_path / "good.xlsx", {"Episodes": _rows("101")})
    bomb = tmp_path / "bomb.xlsx"
    with zipfile.ZipFile(good) as src, zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            if info.filename != "xl/worksheets/sheet1.xml":
                dst.writestr(info.filename, src.read(info))
        with dst.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as part:
            for _ in range(300):
                part.write(b" " * (1 << 20))
    assert bomb.stat().st_size < 2_000_000
    with pytest.raises(InputError, match=r"^bomb\.xlsx: is refused: part xl/worksheets/sheet1\.xml is compressed "
                                         r"[\d,]+ to 1 \(at most 200 to 1\): a zip bomb, not a workbook$"):
        check_workbook(bomb)
    problems = ssda903.validate(episodes=bomb)
    assert problems["reason"].tolist() == ["workbook refused"]


def test_the_uncompressed_and_parts_limits(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    book = _book(tmp_path / "r.xlsx", {"Episodes": _rows("101")})
    monkeypatch.setattr(ssda903_xlsx, "MAX_UNCOMPRESSED_BYTES", 1_000)
    with pytest.raises(InputError, match=r"^r\.xlsx: is refused: its parts would take 0\.0 GiB uncompressed"):
        check_workbook(book)
    monkeypatch.setattr(ssda903_xlsx, "MAX_PARTS", 3)
    with pytest.raises(InputError, match=r"^r\.xlsx: is refused: \d+ parts in the archive \(at most 3\)$"):
        check_workbook(book)


def test_an_archive_that_is_not_a_workbook(tmp_path: Path) -> None:
    other = tmp_path / "r.xlsx"
    with zipfile.ZipFile(other, "w") as zf:
        zf.writestr("readme.txt", "hello")
    with pytest.raises(InputError, match=r"^r\.xlsx: cannot be opened as an Excel workbook \(no xl/workbook\.xml"):
        check_workbook(other)
    assert ssda903.validate(episodes=other)["reason"].tolist() == ["not a workbook"]


def test_a_good_workbook_still_reads_as_its_csv(tmp_path: Path) -> None:
    book = _book(tmp_path / "r.xlsx", {"SSDA903 Episodes": _rows("101")})
    frame = read_xlsx_return(book, REQUIRED)["episodes"].frame
    assert frame is not None
    assert frame.loc[2].tolist() == pd.Series(_rows("101")[1]).tolist()
