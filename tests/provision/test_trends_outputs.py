"""The published Ofsted totals behind every sentence on homes, the latest complete list, and the trends outputs:
the figure (300 dpi PNG, SVG, PDF with title, units, source, OGL attribution and the inquiry's values) and the
'England over time' sentences written from the computed values."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from geo.attribution import OGL_ATTRIBUTION
from provision import headline, homes, trends


@pytest.fixture(scope="module")
def national(mirror) -> pd.DataFrame:
    return trends.trends()


@pytest.fixture(scope="module")
def claims(mirror) -> pd.DataFrame:
    return headline.claims_table()


def test_published_totals_beside_the_list(mirror):
    t24 = homes.published_totals(2024)
    assert (t24.homes, t24.places, t24.list_homes) == (3423, 12870, 3151)
    assert not t24.complete
    assert t24.describe_gap() == ("the list used (care/ofsted/provider_at_march_2024.csv) has 3,151 homes and 11,999 "
                                  "places; Ofsted published 3,423 homes and 12,870 places at 31 March 2024")
    t25 = homes.published_totals(2025)
    assert t25.complete and t25.describe_gap() == "" and t25.list_homes == t25.homes == 3946
    assert "[Providers+places_at_31_Mar_2025]" in t25.list_file


def test_latest_complete_year_is_the_default_of_the_main_job(mirror):
    from maps.job.context import JobOptions, resolve_year

    assert homes.latest_complete_year() == 2025
    assert JobOptions().year is None and resolve_year(JobOptions().year) == homes.latest_complete_year()
    assert homes.latest_complete_year(range(2021, 2025)) == 2023  # the demo's synthetic data stops at 2024
    with pytest.raises(Exception, match="no complete Ofsted provider list among years"):
        homes.latest_complete_year([2016, 2019])


def test_sentences_are_written_from_the_values(national, claims):
    from maps.trends_section import trends_sentences

    sentences = trends_sentences(national, claims, year=2024)
    text = " ".join(sentences)
    pct = national[national["measure"] == "chomes_outside_la_pct"].set_index("time_period")["value"]
    assert f"{pct[2014]:.0f}% of children in secure and children's homes were placed outside their own LA in 2014" \
        in text and f"{pct[2024]:.0f}% in 2024" in text
    assert "the inquiry quoted 46% for 2012 and 64% for 2018" in text
    # homes are quoted as Ofsted published them, with the list used named where it holds fewer
    assert "Ofsted published 1,984 children's homes with 9,282 places at 31 March 2012 and 3,946 with 14,275" in text
    assert "has 3,151 homes" in text and "Ofsted published 3,423 homes" in text
    complete = " ".join(trends_sentences(national, claims, year=2025))
    assert "3,151" not in complete and "holds all 3,946 homes Ofsted published for 2025" in complete
    changed = national.copy()
    changed.loc[(changed["measure"] == "chomes_outside_la_pct") & (changed["time_period"] == 2024), "value"] = 99.0
    assert "99% in 2024" in " ".join(trends_sentences(changed, claims, year=2024))


def test_steps_write_the_section(national, tmp_path: Path, mirror):
    from maps.trends_section import national_missing_step, trends_step

    for sub in ("tables", "figures"):
        (tmp_path / sub).mkdir()
    out = trends_step(tmp_path, year=2025)
    assert {i.path for i in out.items} >= {"figures/trends.png", "tables/trends_national.csv",
                                           "tables/trends_gaps.csv", "tables/inquiry_claims.csv"}
    assert all((tmp_path / i.path).is_file() for i in out.items)
    # the figure: 300 dpi PNG, SVG and PDF with title, units, source, OGL attribution and the inquiry's values
    from matplotlib.image import imread

    from maps.trends_figure import TITLE

    png = imread(tmp_path / "figures" / "trends.png")
    assert abs(png.shape[0] - 2480) <= 1 and abs(png.shape[1] - 3508) <= 1  # A4 (210 x 297 mm) at 300 dpi
    svg = (tmp_path / "figures" / "trends.svg").read_text(encoding="utf-8")
    for text in (TITLE, OGL_ATTRIBUTION, "2019 inquiry", "% of children", "children", "46%", "64%", "2,250",
                 "3,990", "55%", "20%", "year ending 31 March", "Source: DfE"):
        assert text in svg, text
    assert (tmp_path / "figures" / "trends.pdf").read_bytes()[:5] == b"%PDF-"
    assert out.sentences and out.sentences[0] == out.notes[0] and not out.quality
    written = pd.read_csv(tmp_path / "tables" / "trends_national.csv")
    assert list(written.columns) == trends.COLUMNS
    nat = national_missing_step(tmp_path)
    assert (tmp_path / "tables" / "national_missing_inside_outside.csv").is_file()
    assert "Real national data, 2020-2024" in nat.sentences[0] and "Aggregates, not children" in nat.sentences[0]
    assert any("a child placed both inside and outside" in n for n in nat.notes)
