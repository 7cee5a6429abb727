"""The return as LAs hold it: the SSDA903 XML submitted to DfE and an xlsx workbook give what the CSVs give.

Both are built here from D2I's fake CSVs (data-to-insight/csc-validator-be-903, MIT, in the mirror): the XML in the
layout D2I's validator reads (CHILD > HEADER with AMISSING inside, EPISODE; CHILDID for CHILD, PL for PLACE), the
workbook with one sheet per table, dates as Excel dates and IDs as numbers.
"""

from __future__ import annotations

from pathlib import Path
from xml.sax.saxutils import escape

import pandas as pd
import pytest
from typer.testing import CliRunner

from geo.cli import app
from provision import ssda903
from provision.placements import LOCATE_COLUMNS, locate
from tests._own_return import own_tables, write_tables

runner = CliRunner()


@pytest.fixture(scope="module")
def d2i(mirror: Path) -> dict[str, pd.DataFrame]:
    folder = mirror / "care" / "ssda903" / "d2i_validator_fake"
    return {t: pd.read_csv(folder / f"{t}.csv", dtype=str, keep_default_na=False)
            for t in ("episodes", "header", "missing")}


@pytest.fixture(scope="module")
def csv_files(mirror: Path) -> dict[str, Path]:
    folder = mirror / "care" / "ssda903" / "d2i_validator_fake"
    return {t: folder / f"{t}.csv" for t in ("episodes", "header", "missing")}


def _element(tag: str, fields: dict[str, str], rename: dict[str, str], inner: str = "") -> str:
    body = "".join(f"<{rename.get(k, k)}>{escape(v)}</{rename.get(k, k)}>" if v else f"<{rename.get(k, k)} />"
                   for k, v in fields.items())
    return f"<{tag}>{body}{inner}</{tag}>"


def write_xml(tables: dict[str, pd.DataFrame], path: Path) -> Path:
    """An SSDA903 XML return of these tables: one CHILD per child, one element per line."""
    header = tables["header"].drop_duplicates("CHILD").set_index("CHILD", drop=False)
    episodes = tables["episodes"].groupby("CHILD", sort=False)
    missing = tables["missing"].drop(columns="DOB").groupby("CHILD", sort=False)
    children = list(dict.fromkeys([*header.index, *tables["episodes"]["CHILD"]]))
    lines = ["<?xml version='1.0' encoding='utf-8'?>", "<EXPSSDA903>"]
    for child in children:
        head = header.loc[child].to_dict() if child in header.index else {"CHILD": child}
        amissing = "".join(_element("AMISSING", r, {}) for r in missing.get_group(child).drop(columns="CHILD")
                           .to_dict("records")) if child in missing.groups else ""
        lines.append("<CHILD>")
        lines.append(_element("HEADER", head, {"CHILD": "CHILDID"}, amissing))
        if child in episodes.groups:
            for r in episodes.get_group(child).drop(columns="CHILD").to_dict("records"):
                lines.append(_element("EPISODE", r, {"PLACE": "PL"}))
        lines.append("</CHILD>")
    lines.append("</EXPSSDA903>")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def xml_return(d2i: dict[str, pd.DataFrame], tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The D2I fake return as an SSDA903 XML file."""
    return write_xml(d2i, tmp_path_factory.mktemp("xml") / "d2i_return.xml")


@pytest.fixture(scope="module")
def xlsx_return(d2i: dict[str, pd.DataFrame], tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The D2I fake return as a workbook: sheets Episodes, Header, Missing; dates as dates, CHILD as a number."""
    path = tmp_path_factory.mktemp("xlsx") / "d2i_return.xlsx"
    dates = {"episodes": ["DECOM", "DEC"], "header": ["DOB", "MC_DOB"], "missing": ["DOB", "MIS_START", "MIS_END"]}
    with pd.ExcelWriter(path, engine="openpyxl") as book:
        for table, frame in d2i.items():
            sheet = frame.copy()
            for col in dates[table]:
                parsed = pd.to_datetime(sheet[col], format="%d/%m/%Y", errors="coerce")
                sheet[col] = parsed.dt.date.where(parsed.notna(), sheet[col].where(sheet[col].ne(""), None))
            sheet["CHILD"] = pd.to_numeric(sheet["CHILD"])
            sheet.to_excel(book, sheet_name=table.capitalize(), index=False)
    return path


def _located(frame: pd.DataFrame) -> pd.DataFrame:
    cols = ["CHILD", "DECOM", "DEC", "PLACE", "HOME_POST", "PL_POST", *LOCATE_COLUMNS]
    out = locate(frame, responsible_la="E08000007")[cols]
    return out.sort_values(["CHILD", "DECOM", "PLACE", "PL_POST"], kind="stable").reset_index(drop=True)


def test_xml_and_xlsx_give_the_csvs_located_episodes(csv_files: dict[str, Path], xml_return: Path,
                                                     xlsx_return: Path) -> None:
    kw = {"check_postcodes": False}
    from_csv = ssda903.read_ssda903(**csv_files, **kw)  # type: ignore[arg-type]
    from_xml = ssda903.read_ssda903(episodes=xml_return, **kw)
    from_xlsx = ssda903.read_ssda903(episodes=xlsx_return, **kw)
    expected = _located(from_csv.episodes)
    assert len(expected) == 5050
    for got in (from_xml, from_xlsx):
        assert got.episodes is not None and got.header is not None and got.missing is not None
        pd.testing.assert_frame_equal(_located(got.episodes), expected, check_dtype=False, check_index_type=False)
        assert len(got.missing) == len(from_csv.missing)
    assert from_xlsx.episodes.index.tolist() == from_csv.episodes.index.tolist()  # sheet rows are CSV rows


def test_same_row_level_messages_naming_child_and_element_or_sheet_and_row(
        csv_files: dict[str, Path], xml_return: Path, xlsx_return: Path) -> None:
    kw = {"check_postcodes": False}
    by_reason = {}
    for name, data in (("csv", ssda903.read_ssda903(**csv_files, **kw)),  # type: ignore[arg-type]
                       ("xml", ssda903.read_ssda903(episodes=xml_return, **kw)),
                       ("xlsx", ssda903.read_ssda903(episodes=xlsx_return, **kw))):
        q = data.quality
        by_reason[name] = q[q["reason"].isin(["overlapping episodes", "REC without DEC"])].groupby(
            "reason").size().to_dict()
        overlap = q[q["reason"].eq("overlapping episodes") & q["value"].eq("17/01/2018")]["message"]
        by_reason[f"{name}_message"] = overlap.iloc[0]
    assert by_reason["csv"] == by_reason["xml"] == by_reason["xlsx"] == {"REC without DEC": 1413,
                                                                         "overlapping episodes": 72}
    assert by_reason["csv_message"].startswith("episodes.csv row 789: DEC '17/01/2018'")
    assert by_reason["xlsx_message"].startswith("d2i_return.xlsx, sheet 'Episodes', row 789: DEC '17/01/2018' is "
                                                "after the start of the next episode of CHILD '104558'")
    assert by_reason["xml_message"].startswith("d2i_return.xml, CHILD '104558', EPISODE ")
    assert "(line " in by_reason["xml_message"] and "DEC '17/01/2018'" in by_reason["xml_message"]


def test_cli_validate_and_locate_read_one_file_returns(xml_return: Path, xlsx_return: Path, tmp_path: Path,
                                                      mirror: Path) -> None:
    for path in (xml_return, xlsx_return):
        res = runner.invoke(app, ["placements", "validate", "-e", str(path), "--no-lookup"])
        assert res.exit_code == 1 and "1,486 error(s)" in res.output, res.output  # the fake return's errors
        out = tmp_path / f"{path.suffix[1:]}.parquet"
        res = runner.invoke(app, ["placements", "locate", "-e", str(path), "--la", "356", "--out", str(out)])
        assert res.exit_code == 0, res.output
        assert len(pd.read_parquet(out)) == 5050


def test_broken_xml_and_workbook(tmp_path: Path) -> None:
    bad = tmp_path / "r.xml"
    bad.write_text("<EXPSSDA903><CHILD><HEADER><CHILDID>1</CHILDID></HEADER>", encoding="utf-8")
    row = ssda903.validate(episodes=bad).iloc[0]
    assert row["message"].startswith("r.xml: is not well-formed XML (line 1")
    bomb = tmp_path / "bomb.xml"
    bomb.write_text('<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]><EXPSSDA903>&a;</EXPSSDA903>')
    assert "declares entities" in ssda903.validate(episodes=bomb).iloc[0]["message"]
    other = tmp_path / "other.xml"
    other.write_text("<Message><Children/></Message>")
    assert "has no CHILD element (its root is <Message>)" in ssda903.validate(episodes=other).iloc[0]["message"]
    wrapped = tmp_path / "wrapped.xml"  # episodes inside a wrapper element are read, not dropped
    wrapped.write_text("<EXPSSDA903><CHILD><HEADER><CHILDID>1</CHILDID></HEADER><EPISODES><EPISODE><DECOM>01/04/2023"
                       "</DECOM><PL>U4</PL></EPISODE></EPISODES></CHILD></EXPSSDA903>")
    data = ssda903.read_ssda903(episodes=wrapped, check_postcodes=False)
    assert data.episodes is not None and data.episodes["PLACE"].tolist() == ["U4"]
    assert data.episodes["CHILD"].tolist() == ["1"] and data.missing is not None and data.missing.empty
    book = tmp_path / "r.xlsx"
    book.write_bytes(b"PK\x03\x04" + b"\x00" * 60)
    assert "cannot be opened as an Excel workbook" in ssda903.validate(episodes=book).iloc[0]["message"]


@pytest.fixture(scope="module")
def stockport(mirror: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Stockport's synthetic return (SYN marker taken off) as CSVs and as an XML return."""
    folder = tmp_path_factory.mktemp("stockport")
    paths = write_tables(own_tables(), folder)
    tables = {t: pd.read_csv(p, dtype=str, keep_default_na=False) for t, p in paths.items()}
    paths["xml"] = write_xml(tables, folder / "return.xml")
    return paths


def test_run_reads_an_xml_return_as_its_csvs(stockport: dict[str, Path]) -> None:
    from provision.returns import read_return

    csv = read_return(stockport["episodes"], header=stockport["header"], missing=stockport["missing"],
                      la="E08000007")
    xml = read_return(stockport["xml"], la="E08000007")
    pd.testing.assert_frame_equal(_located(xml.located), _located(csv.located), check_dtype=False)
    assert xml.missing is not None and len(xml.missing) == len(csv.missing)
    assert xml.settings["episodes"] == "return.xml"


@pytest.mark.slow  # the child-level models twice (about 30 s)
def test_effect_child_reads_an_xml_return(stockport: dict[str, Path], tmp_path: Path) -> None:
    out = {}
    for name, args in (("csv", ["-e", str(stockport["episodes"]), "--header", str(stockport["header"]), "-m",
                                str(stockport["missing"])]), ("xml", ["-e", str(stockport["xml"])])):
        res = runner.invoke(app, ["effect", "child", *args, "--la", "356", "--out", str(tmp_path / name)])
        assert res.exit_code == 0, res.output
        out[name] = pd.read_csv(tmp_path / name / "tables" / "effect_rate_by_distance_band.csv", dtype=str)
    pd.testing.assert_frame_equal(out["xml"], out["csv"])
