"""Sufficiency maps: the excess choropleth and figure, the surface image layer and the report section."""

from __future__ import annotations

import base64
import io

import numpy as np
import pandas as pd
import pytest
import rasterio
from affine import Affine
from PIL import Image
from pypdf import PdfReader

from geo.errors import InputError, MissingColumnsError


@pytest.fixture(scope="module")
def la_table(las) -> pd.DataFrame:
    """An LA table as provision.sufficiency.summarise returns it (made-up medians; two LAs without data)."""
    rng = np.random.default_rng(4)
    t = pd.DataFrame(index=pd.Index(las.index[:40], name="la_code"))
    t["median_excess_straight_miles"] = rng.gamma(2, 5, len(t)).round(2)
    t["median_excess_road_miles"] = (t["median_excess_straight_miles"] * 1.3).round(2)
    t.iloc[:2, :] = np.nan
    return t


@pytest.fixture(scope="module")
def surface_tif(mirror, tmp_path_factory):
    from provision.sufficiency import public_places
    from provision.surface import nearest_place_surface, write_surface

    s = nearest_place_surface(public_places(2024), resolution_m=2000)
    return write_surface(s, tmp_path_factory.mktemp("surface") / "nearest.tif")


def test_choropleth_has_a_layer_per_measure_with_units_and_attribution(la_table, las, regions):
    from maps.interactive import render_html
    from maps.sufficiency import excess_map

    html = render_html(excess_map(la_table, las=las, regions=regions, synthetic=True, rule="test rule"))
    assert "Median excess distance, straight-line (miles)" in html and "Median excess distance, road (miles)" in html
    assert "SYNTHETIC" in html and "Places: test rule" in html and "no data" in html
    assert "Contains OS data" in html and "OpenStreetMap contributors" in html  # road layer: OSM attribution
    straight_only = render_html(excess_map(la_table[["median_excess_straight_miles"]], las=las))
    assert "OpenStreetMap" not in straight_only
    with pytest.raises(MissingColumnsError, match="median_excess_straight_miles"):
        excess_map(la_table.drop(columns=list(la_table.columns)), las=las)


def test_publication_figure_states_the_distance_units_and_sources(la_table, las, regions, tmp_path):
    from maps.static import save_figure
    from maps.sufficiency import excess_figure

    fig = excess_figure(la_table, las=las, regions=regions, synthetic=True, rule="each LA's places at its centroid")
    from .test_static import _svg_text

    svg = _svg_text(save_figure(fig, tmp_path / "f.svg"))
    for text in ("Median excess distance, straight-line (miles)", "SYNTHETIC", "Contains OS data",
                 "each LA", "Ofsted"):
        assert text in svg
    pdf = save_figure(fig, tmp_path / "f.pdf")
    assert "Contains OS data" in " ".join(" ".join(p.extract_text() for p in PdfReader(pdf).pages).split())
    road = excess_figure(la_table, las=las, measure="road")
    assert "OpenStreetMap" in road._ffh_source and "road (miles)" in save_figure(road, tmp_path / "r.svg").read_text()
    with pytest.raises(InputError, match="unknown measure 'walking'"):
        excess_figure(la_table, las=las, measure="walking")
    with pytest.raises(MissingColumnsError, match="median_excess_matched_straight_miles"):
        excess_figure(la_table, las=las, measure="matched")


def test_surface_becomes_an_inline_png_layer_with_a_legend_in_miles(surface_tif):
    from maps.sufficiency import surface_layer

    layer = surface_layer(surface_tif)
    url = layer.overlay.url
    assert url.startswith("data:image/png;base64,")
    img = Image.open(io.BytesIO(base64.b64decode(url.split(",", 1)[1])))
    assert img.mode == "RGBA" and max(img.size) <= 1500
    alpha = np.asarray(img)[..., 3]
    assert 0.3 < (alpha > 0).mean() < 0.9  # England opaque, the sea around it transparent
    (s, w), (n, e) = layer.overlay.bounds
    assert 49.5 < s < 50.5 and 55.5 < n < 56.2 and -7.5 < w < -6.0 and 1.5 < e < 2.2
    assert "0–5 miles" in layer.legend_html and "50+ miles" in layer.legend_html and "straight-line" in layer.name
    assert "Contains OS data" in layer.attribution
    places = surface_layer(surface_tif, band="places_within_20_miles")
    assert "places" in places.legend_html and "none" in places.legend_html
    small = surface_layer(surface_tif, max_bytes=4_000)
    assert small.png_bytes < layer.png_bytes
    with pytest.raises(InputError, match="no band 'walking_km'; bands are nearest_place_straight_km"):
        surface_layer(surface_tif, band="walking_km")


def test_a_geotiff_in_another_crs_is_refused(tmp_path):
    from maps.sufficiency import surface_layer

    path = tmp_path / "wgs84.tif"
    with rasterio.open(path, "w", driver="GTiff", width=4, height=4, count=1, dtype="float32", crs="EPSG:4326",
                       transform=Affine(0.1, 0, -2, 0, -0.1, 54)) as dst:
        dst.write(np.ones((1, 4, 4), np.float32))
    with pytest.raises(InputError, match="expected a surface GeoTIFF in EPSG:27700"):
        surface_layer(path)


def test_surface_map_is_offline_and_small(surface_tif, las, tmp_path):
    from maps.interactive import save_map
    from maps.sufficiency import surface_map

    path = save_map(surface_map(surface_tif, las=las), tmp_path / "s.html", inline_assets=True)
    html = path.read_text()
    assert path.stat().st_size < 5e6 and '<script src="http' not in html and "data:image/png;base64," in html


def test_report_section_in_one_call(mirror, las, regions):
    from maps.sufficiency import sufficiency_report
    from provision import placements, synth

    located = placements.locate(synth.generate(year=2024, seed=3, las=["356"]).episodes)
    rep = sufficiency_report(located, focus_la="356", las=las, regions=regions, network="backbone")
    tables = rep.tables()
    assert set(tables) == {"sufficiency_by_la", "sufficiency_by_region", "sufficiency_whatif"}
    assert all((t["data"] == "SYNTHETIC").all() for t in tables.values())
    assert rep.whatif.la == "E08000007" and rep.whatif.add_places == 4
    assert rep.summary[0].startswith("SYNTHETIC: the median children's-home placement was")
    assert any("postcode-weighted centroid" in n for n in rep.notes)
    assert any(n.startswith("Road excess not measured") for n in rep.notes)  # the job's default network
    assert rep.figure is not None and rep.map is not None


def _whatif(within: tuple[str, str, str], medians: tuple[float, float]) -> object:
    from provision.whatif import WhatIf

    table = pd.DataFrame({"placements": [104, 104, 104], "within_20_miles": [np.nan, 81.0, np.nan],
                          "median_placement_miles": [medians[0], medians[1], medians[1] - medians[0]],
                          "placements_label": ["104", "104", "104"], "within_20_miles_label": list(within)},
                         index=pd.Index(["before", "after", "change"], name="scenario"))
    return WhatIf("E08000007", "Stockport", 4, "in Stockport", (390000.0, 390000.0), table, synthetic=True)


def test_whatif_sentence_says_what_changes_not_a_total():
    from maps.sufficiency import whatif_sentence

    some = whatif_sentence(_whatif(("75", "81", "6"), (4.52, 4.44)))
    assert some.startswith("SYNTHETIC: Adding 4 more places in Stockport would bring 6 more of Stockport's 104 ")
    assert "81 instead of 75" in some and "would fall by 0.08 miles (4.52 to 4.44)" in some
    assert "in all" not in some
    none = whatif_sentence(_whatif(("81", "81", "0"), (4.52, 4.52)))
    assert "would bring none more" in none and "81 are within 20 miles already" in none
    assert "would not change (4.52 miles)" in none
    hidden = whatif_sentence(_whatif(("suppressed", "81", "fewer than 5"), (4.52, 4.44)))
    assert "fewer than 5 more" in hidden and "instead of" not in hidden  # no number the table does not publish
