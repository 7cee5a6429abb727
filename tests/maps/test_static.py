"""Publication figures: valid PNG/SVG/PDF of the expected size whose text includes the attribution."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
from PIL import Image

from distance.straight import DISTANCE_BANDS
from geo.errors import CRSError, InputError, MissingColumnsError
from maps.static import DPI, FIGURE_WIDTHS_MM, distance_figure, flow_figure, save_figure, supply_figure

OS = "Contains OS data © Crown copyright and database right"
OGL = "Open Government Licence v3.0"


@pytest.fixture(scope="module")
def supply_files(supply_frame: gpd.GeoDataFrame, regions: gpd.GeoDataFrame,
                 tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    fig = supply_figure(supply_frame, column="places_per_10k", regions=regions, subtitle="2024",
                        source="Ofsted providers and places at 31 March 2024")
    out = tmp_path_factory.mktemp("fig")
    return {ext: save_figure(fig, out / f"supply.{ext}") for ext in ("png", "svg", "pdf")}


def test_png_is_300_dpi_of_expected_size(supply_files: dict[str, Path]) -> None:
    with Image.open(supply_files["png"]) as im:
        im.verify()
    with Image.open(supply_files["png"]) as im:
        assert im.format == "PNG"
        assert abs(im.size[0] - FIGURE_WIDTHS_MM["double"] / 25.4 * DPI) <= 1  # 180 mm: A4 double column
        assert 1.0 < im.size[1] / im.size[0] < 1.4  # England is taller than wide; the height follows the map
        assert round(im.info["dpi"][0]) == 300
        assert len(im.convert("RGB").getcolors(1 << 20) or []) > 20  # not blank


def test_svg_is_vector_with_attribution_text(supply_files: dict[str, Path]) -> None:
    root = ET.parse(supply_files["svg"]).getroot()
    assert root.tag.endswith("svg")
    assert root.get("width") == f"{FIGURE_WIDTHS_MM['double'] / 25.4 * 72:.5f}pt"
    text = _svg_text(supply_files["svg"])
    for needle in ("Places per 10,000 children", "London", "100 km", "N", "Contains OS data", OGL):
        assert needle in text, needle
    assert "©" in text and "Source: Ofsted providers and places at 31 March 2024" in text


def test_pdf_has_attribution_text(supply_files: dict[str, Path]) -> None:
    pypdf = pytest.importorskip("pypdf", reason="pypdf reads the PDF's text layer (test extra)")
    reader = pypdf.PdfReader(supply_files["pdf"])
    assert len(reader.pages) == 1
    box = reader.pages[0].mediabox
    assert float(box.width) == pytest.approx(FIGURE_WIDTHS_MM["double"] / 25.4 * 72)
    text = " ".join(reader.pages[0].extract_text().split())
    assert OS in text and OGL in text and "London" in text


def test_flow_and_distance_figures(located: pd.DataFrame, las: gpd.GeoDataFrame, tmp_path: Path) -> None:
    from provision.flows import distances_by_la as _distances
    from provision.flows import placement_flows as _flows

    flows = _flows(located)
    fig = flow_figure(flows[flows["placement_type"] == "All placements"], las=las, subtitle="SYNTHETIC data")
    svg = _svg_text(save_figure(fig, tmp_path / "flows.svg"))
    assert "SYNTHETIC data" in svg and OS in svg and "are not drawn" in svg
    by_la, bands = _distances(located, "E08000007")
    fig = distance_figure(by_la, las=las, la="E08000007", bands=bands, roads=True, subtitle="SYNTHETIC")
    svg = _svg_text(save_figure(fig, tmp_path / "d.svg"))
    assert "© OpenStreetMap contributors" in svg and "Stockport" in svg and "Straight line" in svg
    for secret in ("FFHKID00001", "SK4 1QA", "13/07/2009"):
        assert secret not in svg


def test_figure_errors(supply_frame: gpd.GeoDataFrame, las: gpd.GeoDataFrame, tmp_path: Path) -> None:
    with pytest.raises(MissingColumnsError, match="'spend'"):
        supply_figure(supply_frame, column="spend")
    with pytest.raises(CRSError, match="EPSG:27700"):
        supply_figure(supply_frame.to_crs(4326))
    flows = pd.DataFrame({"home_la": ["E08000007"], "pl_la": ["E08000003"], "children": [0]})
    with pytest.raises(InputError, match="nothing to draw"):
        flow_figure(flows, las=las)
    with pytest.raises(InputError, match="has no polygon"):
        distance_figure(pd.DataFrame({"children": [5]}, index=["E08000003"]), las=las, la="XX")
    fig = supply_figure(supply_frame, column="homes")
    with pytest.raises(InputError, match="cannot write a figure as 'jpg'"):
        save_figure(fig, tmp_path / "a.jpg")
    assert list(DISTANCE_BANDS)[-1] == "over 100 miles"


def _svg_text(path: Path) -> str:
    """All text of an SVG, whitespace normalised (wrapped lines joined)."""
    root = ET.parse(path).getroot()
    return " ".join(" ".join("".join(t.itertext()) for t in root.iter() if t.tag.endswith("text")).split())
