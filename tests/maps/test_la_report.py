"""The LA report (``farfromhome report --la``): DfE's neighbours, a source and year on every number, offline HTML,
an A4 PDF with readable text, SYNTHETIC labels, a user's own return, and one-line errors."""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from bs4 import BeautifulSoup
from pypdf import PdfReader
from typer.testing import CliRunner

from geo.cli import app
from geo.disclosure import SYNTHETIC_LABEL
from geo.errors import InputError, UnknownAreaCodeError
from maps import la_report as la_report_module
from maps.la_report import REPORT_HTML, REPORT_PDF, la_report
from maps.la_report_data import Comparison, comparison

from ._browser import BROWSER_MARKS, open_offline

runner = CliRunner()

# DfE's sn_model_2025_wide.csv, Stockport (356), SN_1 … SN_10, read by hand
STOCKPORT_TEN = ["Solihull", "Trafford", "Cheshire West and Chester", "Gloucestershire", "Hertfordshire",
                 "West Sussex", "Warwickshire", "North Somerset", "South Gloucestershire", "Cambridgeshire"]
YEAR = re.compile(r"(19|20)\d\d")
A4_PT = (595.28, 841.89)


@pytest.fixture(scope="module")
def stockport_comparison(mirror: Path) -> Comparison:
    """The real public figures for Stockport, 2014-2025, computed once for the module."""
    return comparison("E08000007", year=2025)


@pytest.fixture(scope="module")
def cached(stockport_comparison: Comparison) -> Iterator[None]:
    """Every report of the module reuses the one comparison (the same real figures, computed once)."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(la_report_module, "comparison", lambda la, *, year, first_year: stockport_comparison)
        yield


@pytest.fixture(scope="module")
def report(cached: None, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Stockport's report at 2025 with SYNTHETIC child-level parts (no return given)."""
    return la_report("Stockport", year=2025, out=tmp_path_factory.mktemp("la") / "stockport")


def _soup(path: Path) -> BeautifulSoup:
    return BeautifulSoup(path.read_text(encoding="utf-8"), "lxml")


def _pdf_text(path: Path) -> str:
    return "\n".join(p.extract_text() for p in PdfReader(path).pages)


# ------------------------------------------------------------------------------------------------ fast errors
def test_wrong_la_name_is_a_one_line_error(tmp_path: Path) -> None:
    res = runner.invoke(app, ["report", "--la", "Stokport", "--out", str(tmp_path / "r")])
    assert res.exit_code == 1
    lines = res.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: unknown local authority 'Stokport'")
    assert not (tmp_path / "r").exists()
    with pytest.raises(UnknownAreaCodeError, match="unknown local authority 'Stokport'"):
        la_report("Stokport", year=2025, out=tmp_path / "r")


def test_year_outside_the_public_figures_is_refused(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"--year 2013: the report's public figures cover 2014-2025"):
        la_report("Stockport", year=2013, out=tmp_path / "r")


# ------------------------------------------------------------------------------------------------ the report
@pytest.mark.slow
def test_lists_dfes_ten_statistical_neighbours_in_order(report: Path) -> None:
    soup = _soup(report)
    rows = soup.select("#neighbours tbody tr")
    assert [r.find_all("td")[1].get_text(strip=True) for r in rows] == STOCKPORT_TEN
    compare = [th.contents[0].strip() for th in soup.select("#compare tbody th[scope=row]")]
    assert compare == ["Stockport", *STOCKPORT_TEN, "North West", "England"]
    pdf = _pdf_text(report.with_name(REPORT_PDF))
    assert all(name in pdf for name in STOCKPORT_TEN)


@pytest.mark.slow
def test_every_number_carries_source_and_year(report: Path) -> None:
    soup = _soup(report)
    cells = soup.find_all("data")
    assert len(cells) > 13 * 6  # the comparison table alone has 13 areas x 6 measures
    for d in cells:
        assert d.get("data-source", "").strip(), d
        assert YEAR.fullmatch(d.get("data-year", "")), d
        assert "Source:" in d["title"] and d["data-year"] in d["title"]
    for fig in soup.find_all("figure"):  # a figure's numbers are in its picture; its caption says where from
        prov = fig.select_one("figcaption .provenance")
        assert prov is not None and "Source:" in prov.get_text() and YEAR.search(prov.get_text()), fig.get("id")
    # anything else on the page that looks like a number is a year: no number comes without its source
    for tag in soup(["data", "svg", "style", "title", "thead", "code"]) + soup.select(".def, .key, .provenance"):
        tag.decompose()
    stray = [t for t in re.findall(r"\d[\d,.]*", soup.get_text(" ")) if not YEAR.fullmatch(t.rstrip(".,"))]
    assert stray == []


@pytest.mark.slow
def test_values_match_the_comparison_table(report: Path, stockport_comparison: Comparison) -> None:
    table = pd.read_csv(report.parent / "tables" / "comparison.csv")
    assert pd.api.types.is_float_dtype(table["value"])  # numbers stay numbers; symbols in their own column
    assert set(table.loc[table["value"].isna(), "symbol"]) <= {"c", "x", "z", "k"}
    t = stockport_comparison.at(2025)
    rate = float(t[(t["area_code"] == "E08000007") & (t["measure"] == "cla_rate_per_10k")]["value"].iloc[0])
    cell = _soup(report).select_one("#compare tr.me data")
    assert cell is not None and float(cell["value"]) == rate and cell["data-year"] == "2025"


@pytest.mark.slow
def test_synthetic_parts_are_labelled_and_hold_no_child_record(report: Path) -> None:
    html = report.read_text(encoding="utf-8")
    soup = _soup(report)
    assert SYNTHETIC_LABEL in html
    for section in ("placed", "bands", "sufficiency"):
        assert "SYNTHETIC" in soup.select_one(f"#{section}").get_text(), section
    assert SYNTHETIC_LABEL in _pdf_text(report.with_name(REPORT_PDF))
    tables = sorted((report.parent / "tables").glob("*.csv"))
    assert {p.name for p in tables} >= {"synthetic_flows_out.csv", "synthetic_flows_in.csv",
                                        "synthetic_distance_bands.csv", "comparison.csv"}
    text = html + "".join(p.read_text(encoding="utf-8") for p in tables)
    assert "SYN356" not in text  # no synthetic child ID, let alone a real one
    assert not re.search(r"\b[A-Z]{1,2}\d{1,2}[A-Z]? \d[A-Z]{2}\b", text)  # no unit postcode
    flows = pd.read_csv(report.parent / "tables" / "synthetic_flows_out.csv")
    assert pd.api.types.is_float_dtype(flows["children"]) or pd.api.types.is_integer_dtype(flows["children"])
    assert not flows["children"].between(1, 4).any()
    assert (flows["data"] == "SYNTHETIC").all()
    assert json.loads((report.parent / "run.json").read_text(encoding="utf-8"))["synthetic"].endswith("SYNTHETIC")


@pytest.mark.slow
def test_pdf_is_a4_with_no_text_under_7_points(report: Path) -> None:
    reader = PdfReader(report.with_name(REPORT_PDF))
    assert len(reader.pages) >= 6
    for page in reader.pages:
        assert (round(float(page.mediabox.width), 2), round(float(page.mediabox.height), 2)) == A4_PT
    sizes: list[tuple[str, float]] = []

    def visit(text: str, cm: list[float], tm: list[float], font: Any, size: float) -> None:
        if text.strip():
            scale = math.sqrt(abs(tm[0] * tm[3] - tm[1] * tm[2])) * math.sqrt(abs(cm[0] * cm[3] - cm[1] * cm[2]))
            sizes.append((text.strip()[:40], size * scale))

    for page in reader.pages:
        page.extract_text(visitor_text=visit)
    assert len(sizes) > 500
    small = [(t, round(s, 2)) for t, s in sizes if s < 7.0 - 1e-6]
    assert small == []


def _in_browser(test: Any) -> Any:
    for mark in BROWSER_MARKS:
        test = mark(test)
    return test


@pytest.mark.slow
@_in_browser
def test_html_makes_no_network_request_and_fits_a_phone(report: Path, browser: Any) -> None:
    for width, height in ((1440, 900), (390, 844)):
        page, errors, requests = open_offline(browser, report, viewport={"width": width, "height": height},
                                              ready="document.readyState === 'complete'")
        assert requests == [] and errors == []
        assert page.evaluate("document.querySelectorAll('figure svg').length") >= 14
        assert page.evaluate("document.documentElement.scrollWidth") <= width  # tables scroll inside their box
        page.close()
    html = report.read_text(encoding="utf-8")
    assert "<script" not in html and not re.search(r"(src|href)=\"https?://", html)


# ----------------------------------------------------------------------------------- own return, or none at all


@pytest.mark.slow
def test_own_return_through_the_cli(cached: None, own_files: Path, tmp_path: Path) -> None:
    out = tmp_path / "mine"
    res = runner.invoke(app, ["report", "--la", "356", "--year", "2025", "-e", str(own_files / "episodes.csv"),
                              "--header", str(own_files / "header.csv"), "-m", str(own_files / "missing.csv"),
                              "--out", str(out)])
    assert res.exit_code == 0, res.output
    html = (out / REPORT_HTML).read_text(encoding="utf-8")
    assert "SYNTHETIC" not in html and "SYNTHETIC" not in _pdf_text(out / REPORT_PDF)
    assert "only the LA's own children" in _soup(out / REPORT_HTML).select_one("#placed").get_text()  # flows in
    ids = set(pd.read_csv(own_files / "episodes.csv", dtype=str)["CHILD"])
    written = html + "".join(p.read_text(encoding="utf-8") for p in (out / "tables").glob("*.csv"))
    assert not any(i in written for i in ids)
    assert (out / "tables" / "flows_out.csv").is_file()


@pytest.mark.slow
def test_without_a_return_the_child_parts_say_they_need_one(cached: None, tmp_path: Path) -> None:
    path = la_report("Stockport", year=2025, out=tmp_path / "none", synthetic=False)
    soup = _soup(path)
    assert "needs the LA's own SSDA903 return" in soup.select_one("#placed").get_text()
    assert "SYNTHETIC" not in path.read_text(encoding="utf-8")
    assert soup.select_one("#fig-surface") is not None  # public data: drawn either way
