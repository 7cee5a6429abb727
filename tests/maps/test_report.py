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
