"""Issue 12: one set of distance bands counting one set of placements, figures that fit and are 300 dpi + PDF,
zero-centred supply-gap and net-gain figures, LISA figure, plain sentences, tidy CSV numbers, data-quality
denominators."""

from __future__ import annotations

import re
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure
from matplotlib.text import Text
from PIL import Image

from distance.straight import DISTANCE_BANDS
from geo.csvsafe import tidy_numbers, to_csv
from geo.disclosure import DFE, SECONDARY_LABEL, SUPPRESSED_LABEL, DisclosureMethod, publish_count, use_disclosure
from geo.errors import InputError
from maps import static
from maps.outputs import QUALITY_COLUMNS, quality_frame
from maps.static import DPI, fit_footer, lisa_figure, save_all, supply_figure
from maps.summary import TOTAL_ROW, _places_range, band_table
from provision.flows import distances_by_la
from provision.returns import QualityCount

HIDDEN = {SUPPRESSED_LABEL, SECONDARY_LABEL}
LONG = ("Contains OS data © Crown copyright and database right 2025. Contains public sector information licensed "
        "under the Open Government Licence v3.0. © OpenStreetMap contributors. ") * 3


def test_band_columns_count_the_same_placements(located: pd.DataFrame) -> None:
    loc = located.copy()
    loc.loc[loc.index[:7], "road_distance_km"] = np.nan  # 7 placements without a road distance
    _, bands = distances_by_la(loc, "E08000007")
    assert list(bands.index) == list(DISTANCE_BANDS)
    mine = loc[loc["responsible_la"] == "E08000007"]
    both = int((mine["road_distance_km"].notna() & mine["straight_distance_miles"].notna()).sum())
    assert int(bands["straight_line"].sum()) == int(bands["road"].sum()) == both
    assert "both" in bands.attrs["counts"] and "placements" in bands.attrs["counts"]


def test_band_table_totals_and_suppression() -> None:
    bands = pd.DataFrame({"straight_line": [500, 60, 30, 3, 1], "road": [480, 70, 38, 5, 1]},
                         index=list(DISTANCE_BANDS))
    bands.attrs["counts"] = "placements with both a straight-line and a road distance"
    with use_disclosure(DFE):  # the suppression rule, on exact counts (the cell key's: tests/maps/test_summary.py)
        t = band_table(bands)
    assert t["distance_band"].tolist() == [*DISTANCE_BANDS, TOTAL_ROW]
    total = t.set_index("distance_band").loc[TOTAL_ROW]
    assert total["straight_line"] == total["road"] == "594"
    assert (t["counts"] == bands.attrs["counts"]).all()
    body = t[t["distance_band"] != TOTAL_ROW]
    for col in ("straight_line", "road"):
        hidden = body[col].isin(HIDDEN)
        truth = bands[col].to_numpy()
        # the total minus the shown cells leaves at least two hidden cells, one of them 5 or more
        assert hidden.sum() >= 2, col
        assert truth[hidden.to_numpy()].max() >= 5, col
        shown = body.loc[~hidden, col].astype(int).to_numpy()
        assert (shown == truth[~hidden.to_numpy()]).all() and (shown >= 5).all()


def _fits(fig: Figure, text: str) -> bool:
    from maps.static import _renderer

    r = _renderer(fig)
    box = next(t for t in fig.texts if t.get_text().replace("\n", " ").startswith(text[:30])).get_window_extent(r)
    return box.x0 >= 0 and box.y0 >= 0 and box.x1 <= fig.bbox.width and box.y1 <= fig.bbox.height


def test_footer_is_wrapped_inside_the_figure() -> None:
    fig = Figure(figsize=(8, 5.5), layout="constrained")
    fig.add_subplot().plot([0, 1], [0, 1])
    t = fit_footer(fig, LONG)
    assert "\n" in t.get_text() and "OpenStreetMap contributors" in t.get_text().replace("\n", " ")
    assert _fits(fig, LONG)


@pytest.fixture(scope="module")
def dose_files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    from distance.child_models import child_effect
    from maps.effect_figures import write_child_outputs
    from provision.placement_frame import placement_frame
    from tests.distance.test_effect import simulate

    e, h, m = simulate(seed=7)
    e.attrs["synthetic"] = True
    frame, pq = placement_frame(e, header=h, missing=m)
    result = child_effect(frame)
    out = tmp_path_factory.mktemp("dose")
    paths = write_child_outputs(result, out, data_quality=pq, distances=frame["distance_miles"])
    files = {p.suffix.lstrip("."): p for p in paths if p.stem.endswith("dose_response") and p.parent.name == "figures"}
    files["csv"] = out / "tables" / "synthetic_effect_dose_response.csv"
    files["miles"] = out / "miles.npy"
    files["result"] = out / "result.pkl"
    import pickle

    files["result"].write_bytes(pickle.dumps(result))
    np.save(files["miles"], np.sort(frame["distance_miles"].dropna().to_numpy(float)))
    return files


def test_dose_response_png_300_dpi_pdf_and_svg(dose_files: dict[str, Path], tmp_path: Path) -> None:
    assert set(dose_files) >= {"png", "svg", "pdf"}
    assert dose_files["pdf"].read_bytes()[:5] == b"%PDF-"
    with Image.open(dose_files["png"]) as im:
        assert round(im.info["dpi"][0]) == DPI == 300
    svg = dose_files["svg"].read_text(encoding="utf-8")
    assert "OpenStreetMap" not in svg or "© OpenStreetMap contributors" in svg
    assert "Open Government Licence v3.0" in svg
    # log axis in plain numbers: no mathtext powers of ten
    assert not re.search(r"10\^|\\times|×10", svg)
    import shutil

    shots = Path("/tmp/shots-figs")
    if shots.is_dir():
        shutil.copy(dose_files["png"], shots / "test_dose_response.png")


def test_dose_response_starts_where_the_data_are_dense(dose_files: dict[str, Path]) -> None:
    dose = pd.read_csv(dose_files["csv"])
    miles = np.load(dose_files["miles"])
    assert len(dose)
    lo, hi = dose["distance_miles"].min(), dose["distance_miles"].max()
    assert lo >= max(1.0, np.quantile(miles, 0.05), miles[4]) and lo == round(lo)
    assert hi <= min(np.quantile(miles, 0.95), miles[-5])


@pytest.mark.parametrize("column", ["gap_index", "net_gain", "places_per_10k"])
def test_figure_classes_lie_within_the_data_and_are_the_maps(mirror: Path, regions: gpd.GeoDataFrame,
                                                              column: str) -> None:
    """Real 2025 data: every class range within the data's range, zero an edge only where the data spans zero,
    and the same classes (edges and colours) as the interactive map's layer for that year."""
    from matplotlib.colors import to_hex

    from maps._page import layer_classes
    from maps.interactive import SUPPLY_LAYERS
    from provision.measures import la_measures

    frame, _ = la_measures(2025)
    v = pd.to_numeric(frame[column], errors="coerce").dropna()
    ly = next(x for x in SUPPLY_LAYERS if x.column == column)
    classes, edges, colours = layer_classes(frame[column], cmap=ly.cmap, diverging=ly.diverging)
    assert edges[0] == v.min() and edges[-1] == v.max() and edges == sorted(edges)
    assert (0.0 in edges[1:-1]) == (ly.diverging and v.min() < 0 < v.max())  # zero an inner edge
    lo = np.asarray(edges)[classes[v.index].to_numpy()]
    hi = np.asarray(edges)[classes[v.index].to_numpy() + 1]
    assert ((lo <= v.to_numpy()) & (v.to_numpy() <= hi)).all()
    fig = supply_figure(frame, column=column, regions=regions, source="test source")
    legend = fig.axes[0].get_legend()
    fills = [to_hex(h.get_facecolor()) for h in legend.legend_handles][:len(colours)]
    assert fills == colours
    one_side = layer_classes(v.abs() + 1, cmap=ly.cmap, diverging=ly.diverging)[1]
    assert 0.0 not in one_side[1:-1] and one_side[0] == (v.abs() + 1).min()


def test_figure_text_is_at_least_7_pt_at_85_mm(mirror: Path, regions: gpd.GeoDataFrame, las: gpd.GeoDataFrame,
                                                located: pd.DataFrame) -> None:
    """A single-column (85 mm) figure: every text at least 7 pt, the title inside the figure's width."""
    from maps.static import FIGURE_WIDTHS_MM, MIN_FONT_PT, _renderer, distance_figure, flow_figure
    from provision.flows import placement_flows
    from provision.measures import la_measures

    frame, _ = la_measures(2025)
    by_la, bands = distances_by_la(located, "E08000007")
    flows = placement_flows(located)
    figs = [supply_figure(frame, column="gap_index", regions=regions, width="single",
                          title="A long title that must wrap inside a single column of an A4 page"),
            flow_figure(flows[flows["placement_type"] == "All placements"], las=las, width="single",
                        title="Where children are placed: home LA to placement LA over 20 miles away"),
            distance_figure(by_la, las=las, la="E08000007", bands=bands, width="single")]
    for fig in figs:
        assert fig.get_figwidth() == pytest.approx(FIGURE_WIDTHS_MM["single"] / 25.4)
        renderer = _renderer(fig)
        texts = [t for t in fig.findobj(Text) if t.get_text().strip() and t.get_visible()]
        assert texts
        small = [(t.get_text(), t.get_fontsize()) for t in texts if t.get_fontsize() < MIN_FONT_PT]
        assert not small
        for t in fig.texts:
            box = t.get_window_extent(renderer)
            assert box.x0 >= 0 and box.x1 <= fig.bbox.width + 0.5, t.get_text()[:40]
            assert box.y0 >= 0 and box.y1 <= fig.bbox.height + 0.5, t.get_text()[:40]
    with pytest.raises(InputError, match="figure width 'a5'"):
        supply_figure(frame, column="gap_index", width="a5")


def test_lisa_figure(supply_frame: gpd.GeoDataFrame, regions: gpd.GeoDataFrame, tmp_path: Path) -> None:
    frame = supply_frame.assign(lisa_cluster=supply_frame["lisa_cluster"].map(
        {"HH": "High-High", "LL": "Low-Low", "ns": "not significant", "HL": "High-Low", "LH": "Low-High"}))
    frame.loc[frame.index[0], "lisa_cluster"] = "no neighbours"
    fig = lisa_figure(frame, regions=regions, source="test")
    legend = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    n_hh = int((frame["lisa_cluster"] == "High-High").sum())
    assert f"Hot spot (high-high) ({n_hh} LAs)" in legend and any(t.startswith("No neighbours") for t in legend)
    png = save_all(fig, tmp_path / "lisa")[0]
    with Image.open(png) as im:
        assert round(im.info["dpi"][0]) == 300
    with pytest.raises(Exception, match="unknown cluster label"):
        lisa_figure(frame.assign(lisa_cluster="hot-ish"), regions=regions)


def test_places_range_names_every_la_without_places() -> None:
    frame = pd.DataFrame({"la_name": ["Rutland", "City of London", "Bury", "Leeds", "Kent"],
                          "places_per_10k": [0.0, 0.0, 3.2, 8.1, 20.5]})
    s = _places_range(frame)
    assert s.startswith("2 LAs have no children's-home places (City of London, Rutland)")
    assert "range from 3.2 (Bury) to 20.5 (Kent)" in s and "0.0" not in s


def test_child_sentence_in_percentage_points() -> None:
    from distance.child_models import ChildEffectResult
    from maps.summary import child_sentences

    rate = pd.DataFrame({"distance_band": list(DISTANCE_BANDS), "placements": [800, 200, 150, 60, 20],
                         "placements_with_missing": [64, 20, 20, 10, 6]})
    ratios = pd.DataFrame([{"model_id": "per10", "ratio": 1.10, "ci_low": 1.02, "ci_high": 1.19}])
    result = ChildEffectResult(rate_table=rate, rate_ratios=ratios, dose_response=pd.DataFrame(),
                               inside_outside=pd.DataFrame(), balance=pd.DataFrame(), synthetic=True,
                               distance_measure="road", n_placements=1230, n_children=900)
    with use_disclosure(DFE):  # exact published counts (under the cell key they are perturbed)
        first = child_sentences(result, synthetic=True)[0]
    # over 20: 36/230 = 15.7%; within 20: 84/1000 = 8.4%; difference 7.3 points
    assert "went missing more often" in first and "15.7%" in first and "8.4%" in first
    assert "+7.3 percentage points (95% CI" in first and "SYNTHETIC" in first
    assert "more incidents further away" in child_sentences(result, synthetic=True)[1]


def test_csv_numbers_are_tidy(tmp_path: Path) -> None:
    frame = pd.DataFrame({"placements": [336.0, 12.0], "rate": [0.5928574088556213, 12.345678],
                          "pct_went_missing": [9.808612440191387, 15.0], "home_easting": [390000.5, 1.5]})
    path = tmp_path / "t.csv"
    to_csv(frame, path, index=False)
    text = path.read_text()
    assert "336," in text and "336.0" not in text
    assert "0.5929" in text and "0.5928574" not in text and "9.8," in text
    assert "390000.5" in text  # coordinates keep their value
    assert tidy_numbers(frame["placements"]).dtype == "Int64"


def test_data_quality_denominators() -> None:
    stage = "locate (synthetic)"
    counts = [QualityCount(stage, "no distance: HOME_POST blank", 599, True, group=f"{stage}: episodes",
                           out_of="the 5,636 episodes"),
              QualityCount(stage, "both postcodes located (a distance is measured)", 5037, True,
                           group=f"{stage}: episodes", out_of="the 5,636 episodes"),
              QualityCount("road distance (synthetic)", "an end is too far from the road network", 37, True,
                           group="road", out_of="episodes with both postcodes located"),
              QualityCount("road distance (synthetic)", "road distance measured", 5000, True,
                           group="road", out_of="episodes with both postcodes located"),
              QualityCount("read episodes.csv", "bad date", 12, out_of="problems found in episodes.csv")]
    with use_disclosure("dfe"):  # exact counts: the layout itself
        q = quality_frame(counts)
    assert list(q.columns) == QUALITY_COLUMNS  # rows as published text; the file splits them (rows_symbol)
    assert q["rows_checked"].tolist()[:4] == ["5636", "5636", "5037", "5037"]
    assert q["unit"].tolist()[:4] == ["placement episode"] * 4
    assert q["counted_once"].iloc[0].startswith("yes") and q["counted_once"].iloc[4].startswith("no")
    assert q["rows_checked"].iloc[4] == ""


def test_data_quality_counts_and_totals_are_perturbed_under_cell_key() -> None:
    """Issue 24: 967 - 91 - 874 gave a hidden count of 2; under cell key no published number is the raw count."""
    stage = "locate (your data)"
    every = "the 967 episodes in episodes.csv"
    counts = [QualityCount(stage, "no distance: HOME_POST blank", 91, group=f"{stage}: episodes", out_of=every),
              QualityCount(stage, "no distance: PL_POST not found", 2, group=f"{stage}: episodes", out_of=every),
              QualityCount(stage, "both postcodes located (a distance is measured)", 874, group=f"{stage}: episodes",
                           out_of=every)]
    with use_disclosure(DisclosureMethod("cell-key", secret=b"a fixed key for this test")):
        q = quality_frame(counts)
        located = publish_count(874)
        total = publish_count(967)
    assert q["rows"].tolist() == [SECONDARY_LABEL, SUPPRESSED_LABEL, str(located)]  # one hidden part: two hidden
    assert q["rows_checked"].tolist() == [str(total)] * 3
    assert q["out_of"].tolist() == [f"the {total:,} episodes in episodes.csv"] * 3
    # the ptable moves these counts (a count of exactly 5 is the only one it never moves)
    assert [q["rows"].iloc[2], q["rows_checked"].iloc[0]] != ["874", "967"]


def _texts_inside(fig: Figure) -> list[str]:
    """The figure-level texts (title, subtitle, footer) that reach outside the figure."""
    from maps.static import _renderer

    r = _renderer(fig)
    out = []
    for t in fig.texts:
        if not t.get_text().strip() or t.get_text() == "SYNTHETIC":  # the rotated watermark is meant to spill
            continue
        b = t.get_window_extent(r)
        if b.x0 < 0 or b.y0 < 0 or b.x1 > fig.bbox.width + 0.5 or b.y1 > fig.bbox.height + 0.5:
            out.append(t.get_text()[:60])
    return out


def test_every_figure_footer_fits(located: pd.DataFrame, las: gpd.GeoDataFrame, supply_frame: gpd.GeoDataFrame,
                                  regions: gpd.GeoDataFrame, dose_files: dict[str, Path]) -> None:
    from maps.effect_figures import plot_dose_response
    from maps.static import distance_figure, flow_figure
    from provision.flows import placement_flows

    long_source = "Ofsted, DfE and ONS; a long source line to wrap " * 6
    flows = placement_flows(located)
    by_la, bands = distances_by_la(located, "E08000007")
    figures = {
        "supply": supply_figure(supply_frame, column="gap_index", regions=regions, source=long_source),
        "lisa": lisa_figure(supply_frame, regions=regions, source=long_source),
        "flows": flow_figure(flows[flows["placement_type"] == "All placements"], las=las, source=long_source),
        "distances": distance_figure(by_la, las=las, la="E08000007", bands=bands, roads=True, source=long_source),
    }
    import pickle

    figures["dose"] = plot_dose_response(pickle.loads(dose_files["result"].read_bytes()))
    for name, fig in figures.items():
        assert _texts_inside(fig) == [], name
        footer = max(fig.texts, key=lambda t: len(t.get_text()))
        assert "Contains" in footer.get_text() and "\n" in footer.get_text(), name


def test_distances_map_band_table_matches_the_csv(las: gpd.GeoDataFrame) -> None:
    """The map's band table, the CSV and the figure's bars hide the same cells: one suppression feeds all three."""
    from maps.distance_map import distance_map
    from maps.distance_tables import publish_distances
    from maps.interactive import render_html

    rng = np.random.default_rng(1)
    n = 60
    miles = np.r_[rng.uniform(0, 9, n - 4), 55.0, 60.0, 150.0, 20.5]  # bands of 1 and 2: two small cells
    pl_la = [*["E08000003"] * (n - 4), "E06000057", "E10000012", "E06000052", "E08000003"]
    loc = pd.DataFrame({"CHILD": [f"K{i}" for i in range(n)], "responsible_la": "E08000007", "pl_la": pl_la,
                        "straight_distance_miles": miles, "road_distance_km": miles * 1.609344 * 1.2})
    by_la, bands = distances_by_la(loc, "E08000007")
    html = render_html(distance_map(by_la, las=las, la="E08000007", bands=bands, roads=True), inline_assets=True)
    published = publish_distances(by_la, las=las, bands=bands).bands
    assert published is not None
    from .conftest import decoded

    page = decoded(html).replace('\\"', '"')
    found = re.search(r'<table class="ffh-bands">(.*?)</table>', page, re.S)
    assert found is not None
    rows = re.findall(r"<tr><td>([^<]+)</td><td>([^<]+)</td><td>([^<]+)</td></tr>", found.group(1))
    assert [list(r) for r in rows] == published[["distance_band", "straight_line", "road"]].values.tolist()
    assert rows[-1][0] == TOTAL_ROW and "placements" in found.group(0) + page[found.end():found.end() + 300]
    # the joint suppression hides at least what the band table alone would, and never a shown count differently
    alone = band_table(bands)
    for col in ("straight_line", "road"):
        joint, own = published[col], alone[col]
        assert (joint.isin(HIDDEN) | ~own.isin(HIDDEN)).all(), col
        assert (joint[~joint.isin(HIDDEN)] == own[~joint.isin(HIDDEN)]).all(), col
    assert published.set_index("distance_band").loc[TOTAL_ROW, "straight_line"] == str(publish_count(len(loc)))


def test_distances_figure_bars_follow_the_published_table(las: gpd.GeoDataFrame) -> None:
    from maps.distance_tables import publish_distances

    miles = np.r_[np.linspace(0.5, 9, 30), 12.0, 13.0, 25.0, 26.0, 27.0, 28.0, 60.0, 120.0]
    loc = pd.DataFrame({"CHILD": [f"K{i}" for i in range(len(miles))], "responsible_la": "E08000007",
                        "pl_la": "E08000003", "straight_distance_miles": miles})
    by_la, bands = distances_by_la(loc, "E08000007")
    fig = static.distance_figure(by_la, las=las, la="E08000007", bands=bands)
    published = publish_distances(by_la, las=las, bands=bands).bands
    assert published is not None
    body = published[published["distance_band"] != TOTAL_ROW]
    axes = [a for ax in fig.axes for a in (ax, *ax.child_axes)]
    marks = sorted(t.get_text() for ax in axes for t in ax.texts if t.get_text() in ("<5", "s"))
    expected = sorted("<5" if lab == SUPPRESSED_LABEL else "s" for lab in body["straight_line"] if lab in HIDDEN)
    assert marks == expected and marks


def test_figure_supply_command_draws_lisa_clusters(mirror: Path, tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from geo.cli import app

    out = tmp_path / "lisa.pdf"
    res = CliRunner().invoke(app, ["figure", "supply", "--column", "lisa_cluster", "--year", "2024", "--out", str(out)])
    assert res.exit_code == 0, res.output
    assert out.read_bytes()[:5] == b"%PDF-"


def test_design_sentences_give_a_verdict() -> None:
    from types import SimpleNamespace

    from maps.child_designs import design_sentences

    def within(lo: float, hi: float) -> SimpleNamespace:
        row = pd.Series({"ratio": (lo + hi) / 2, "ci_low": lo, "ci_high": hi})
        return SimpleNamespace(per_10_miles=lambda: row, distance_measure="road", n_children=150)

    more = design_sentences(None, within(1.05, 1.30), None, synthetic=False)[-1]  # type: ignore[arg-type]
    assert more.endswith("the same child went missing more in their further placements.")
    unclear = design_sentences(None, within(0.88, 1.07), None, synthetic=True)[-1]  # type: ignore[arg-type]
    assert "no clear difference (the interval includes 1)" in unclear and "SYNTHETIC" in unclear
