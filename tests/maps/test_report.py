"""The report index: links, SYNTHETIC labels, missing outputs, escaping, attribution."""

from __future__ import annotations

from pathlib import Path

from maps.report import SYNTHETIC_NOTICE, Item, Section, write_index


def test_index_links_labels_and_escapes(tmp_path: Path) -> None:
    (tmp_path / "figures").mkdir()
    for name in ("a.png", "a.svg", "a.pdf"):
        (tmp_path / "figures" / name).write_bytes(b"x")
    sections = [
        Section("Real <data>", [Item("figures/a.png", "Figure A", "what it shows", also=("figures/a.svg",
                                                                                          "figures/a.pdf"))]),
        Section("Children", [Item("maps/flows.html", "Flow map", synthetic=True)], notes=["skipped: no network"],
                synthetic=True),
    ]
    path = write_index(tmp_path, title="Run & report", summary=["3 < 4 homes"], sections=sections, roads=True,
                       settings={"seed": 7})
    html = path.read_text(encoding="utf-8")
    assert path == tmp_path / "index.html"
    assert html.count(SYNTHETIC_NOTICE) == 2  # top and bottom of the page
    assert '<a href="figures/a.png">Figure A</a> · <a href="figures/a.svg">SVG</a> · <a href="figures/a.pdf">PDF</a>' \
        in html
    assert "Flow map" in html and "not produced" in html and 'href="maps/flows.html"' not in html
    assert "Real &lt;data&gt;" in html and "Run &amp; report" in html and "3 &lt; 4 homes" in html
    assert "skipped: no network" in html and "<th>seed</th><td>7</td>" in html
    assert "Contains OS data © Crown copyright and database right" in html and "© OpenStreetMap contributors" in html
    assert "fewer than 5" in html  # the disclosure rule
    assert 'href="run.json"' in html and 'href="data_quality.csv"' in html


def test_real_only_report_has_no_synthetic_banner(tmp_path: Path) -> None:
    html = write_index(tmp_path, title="t", summary=[], sections=[], synthetic=False).read_text(encoding="utf-8")
    assert SYNTHETIC_NOTICE not in html and "OpenStreetMap" not in html


def test_formats_of_one_figure_share_a_line_and_bare_paths_get_labels(tmp_path: Path) -> None:
    (tmp_path / "figures").mkdir()
    (tmp_path / "tables").mkdir()
    stems = ("figures/ecological_pct_went_missing.png", "figures/ecological_pct_went_missing.svg",
             "figures/ecological_pct_went_missing.pdf", "tables/synthetic_effect_rate_ratios.csv")
    for rel in stems:
        (tmp_path / rel).write_bytes(b"x")
    items = [Item(rel, rel, "LA-level") for rel in stems]
    html = write_index(tmp_path, title="t", summary=[], sections=[Section("Effect", items)]).read_text("utf-8")
    line = ('<a href="figures/ecological_pct_went_missing.png">Figure: ecological pct went missing (PNG, 300 dpi)</a>'
            ' · <a href="figures/ecological_pct_went_missing.svg">SVG</a> · '
            '<a href="figures/ecological_pct_went_missing.pdf">PDF</a>')
    assert line in html
    assert html.count("<li>") == 2  # one line for the figure's three files, one for the table
    assert ">Table: effect rate ratios</a>" in html
