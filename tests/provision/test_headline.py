"""Tests for provision.headline: the 2019 inquiry's figures reproduced from the real files."""

from __future__ import annotations

import pytest

from geo.errors import InputError
from provision import headline


@pytest.fixture(scope="module")
def figures(mirror):
    return headline.headline_figures(2018)


def test_every_figure_within_its_stated_difference(figures):
    assert figures["within_tolerance"].all(), figures.loc[~figures["within_tolerance"], ["published", "computed"]]
    assert len(figures) >= 8


@pytest.mark.parametrize(("figure", "computed", "abs_"), [
    ("chomes_outside_la_pct", 63.0, 0.0),      # revised DfE data: 63 %
    ("chomes_outside_la", 4090.0, 0.0),        # 4,090 children
    ("share_homes_nw_wm_se", 54.5, 0.05),      # 55 % quoted
    ("share_homes_london", 5.3, 0.05),         # 5 % quoted
    ("share_private_2018", 73.5, 0.05),        # about three quarters
    ("share_private_2023", 80.85, 0.05),       # 80 % (complete 2023 list)
    ("children_missing_2018", 11520.0, 0.0),   # about 11,530 first published
    ("missing_incidents_2018", 70170.0, 0.0),  # 70,250 first published
])
def test_computed_values(figures, figure, computed, abs_):
    assert figures.loc[figure, "computed"] == pytest.approx(computed, abs=abs_)
    assert figures.loc[figure, "difference"] == pytest.approx(
        figures.loc[figure, "computed"] - figures.loc[figure, "published"])


def test_sources_named(figures):
    assert figures["published_source"].str.len().gt(10).all()
    assert figures.loc["share_homes_london", "computed_from"].startswith("Ofsted provider_at_march_2018_part2.csv")
    assert "Open Government Licence" in figures.attrs["attribution"]


def test_other_year_is_refused():
    with pytest.raises(InputError, match="no inquiry headline figures for year 2019; available years: 2018$"):
        headline.headline_figures(2019)
