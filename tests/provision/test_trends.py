"""Tests for provision.trends on the real staged files: the FOI figures, units and signs, shares, revisions, gaps."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from geo.errors import InputError
from provision import demand, trends


@pytest.fixture(scope="module")
def national(mirror) -> pd.DataFrame:
    return trends.trends()


@pytest.fixture(scope="module")
def regional(mirror) -> pd.DataFrame:
    return trends.trends(level="region", measures=["homes_share_pct", "places_share_pct", "cla_share_pct",
                                                   "chomes_outside_la"])


def _value(table: pd.DataFrame, measure: str, year: int) -> float:
    row = table[(table["measure"] == measure) & (table["time_period"] == year)]
    assert len(row) == 1, (measure, year, len(row))
    return float(row["value"].iloc[0])


def test_dfe_open_data_layout(national):
    assert list(national.columns) == trends.COLUMNS
    assert set(national["geographic_level"]) == {"National"}
    assert set(national["area_code"]) == {"E92000001"}
    assert set(national["published_or_computed"]) == {"published", "computed"}
    assert not national.duplicated(["measure", "time_period", "area_code"]).any()
    assert national["time_period"].between(2012, 2025).all()
    assert national["source"].str.len().gt(10).all()


@pytest.mark.parametrize("year", [2014, 2024])
def test_chomes_outside_la_equals_the_foi_table(national, year):
    foi = demand.read_foi_chomes(level="National")
    assert _value(national, "chomes_outside_la", year) == foi.loc[year, "chomes_outside_la"]
    assert _value(national, "chomes_outside_la_pct", year) == foi.loc[year, "chomes_outside_la_pct"]
    row = national[(national["measure"] == "chomes_outside_la") & (national["time_period"] == year)]
    assert row["source"].iloc[0] == demand.FILES["foi_outside"]


def test_every_measure_has_its_documented_unit_and_sign(national, regional):
    for table in (national, regional):
        spec = table["measure"].map(trends.MEASURES)
        assert (table["unit"] == spec.map(lambda m: m.unit)).all()
        kind = spec.map(lambda m: m.kind)
        v = table["value"]
        assert (v.dropna() >= 0).all()
        pct = v[kind == "pct"].dropna()
        assert pct.le(100).all() and len(pct) > 50
        counts = v[kind == "count"].dropna()
        assert np.allclose(counts, counts.round()), "counts are whole numbers"
    # every measure of the national table is documented and has at least one year
    assert set(national["measure"]) <= set(trends.MEASURES)
    for name, spec in trends.MEASURES.items():
        if "National" in spec.levels and name != "cla_independent_semi_independent_aged_16_17_pct":
            assert name in set(national["measure"]), name


def test_each_regions_share_sums_to_100_within_rounding(regional):
    for measure in ("homes_share_pct", "places_share_pct", "cla_share_pct"):
        part = regional[regional["measure"] == measure]
        assert part["area_code"].nunique() == 9, measure
        sums = part.groupby("time_period")["value"].sum()
        assert len(sums) >= 10, measure
        # homes and places: exact shares of one list; children: regions rounded to 10 against England's total
        assert np.allclose(sums, 100, atol=0.05), (measure, sums[~np.isclose(sums, 100, atol=0.05)])


def test_the_regions_add_up_to_england(regional, national):
    part = regional[(regional["measure"] == "chomes_outside_la")].groupby("time_period")["value"].sum()
    eng = national[national["measure"] == "chomes_outside_la"].set_index("time_period")["value"]
    both = part.index.intersection(eng.index)
    assert len(both) == 11
    assert np.allclose(part[both], eng[both], atol=50)  # each of 9 regions and England rounded to 10


def test_revised_figures_name_the_first_publication(national):
    cla = national[national["measure"] == "children_looked_after"].set_index("time_period")
    assert cla.loc[2012, "value"] == 67_070  # 2024 release time series (revised)
    assert "67,050 in care/dfe_cla/sfr_2011_2017/SFR20_CLA2012.csv (first published (SFR))" in cla.loc[2012, "note"]
    assert cla.loc[2016, "value"] == 70_400 and "70,440" in cla.loc[2016, "note"]
    missing = national[national["measure"] == "children_missing"].set_index("time_period")
    assert missing.loc[2019, "value"] == 11_930 and "11,880 in care/dfe_cla/ees_release_2022" in missing.loc[
        2019, "note"]


def test_ofsted_published_totals_beside_the_list(national):
    assert _value(national, "homes", 2012) == 1984 and _value(national, "places", 2025) == 14_275
    assert _value(national, "homes", 2024) == 3423 and _value(national, "homes_in_list", 2024) == 3151
    note = national[(national["measure"] == "homes_in_list") & (national["time_period"] == 2024)]["note"].iloc[0]
    assert "Ofsted published 3,423 homes" in note
    assert _value(national, "homes_in_list", 2018) == _value(national, "homes", 2018) == 2124
    assert _value(national, "las_without_la_run_home", 2018) == 44  # the inquiry's 44


def test_every_missing_year_is_named_with_its_reason(national):
    gaps = national.attrs["gaps"]
    assert list(gaps.columns) == ["measure", "geographic_level", "years", "n_years", "reason"]
    assert not gaps["reason"].str.contains("not in the staged files").any(), gaps[["measure", "years"]]
    have = set(zip(national["measure"], national["time_period"], strict=True))
    for m in trends.MEASURES:
        if "National" not in trends.MEASURES[m].levels:
            continue
        missing = [y for y in trends.YEARS if (m, y) not in have]
        listed = gaps.loc[gaps["measure"] == m, "n_years"].sum()
        assert listed == len(missing), m
    chomes = gaps[gaps["measure"] == "chomes_outside_la"].set_index("years")["reason"]
    assert "FOI 2024-0040813 starts in 2014" in chomes["2012-2013"]
    assert national.attrs["failures"].empty


def test_one_year_agrees_with_the_whole_span(national):
    """A single year (one staged release, nothing to compare) gives that year's rows of the full table."""
    one = trends.trends(2025, 2025)
    full = national[national["time_period"] == 2025].reset_index(drop=True)
    cols = ["measure", "area_code", "value"]
    assert len(one) and one[cols].reset_index(drop=True).equals(full[cols])


def test_a_year_no_file_holds_is_an_empty_table_with_its_reason(mirror):
    table = trends.trends(2012, 2012, measures=["cla_over_20_miles_pct"])
    assert table.empty and list(table.columns) == trends.COLUMNS
    gaps = table.attrs["gaps"]
    assert gaps["years"].tolist() == ["2012"] and "first published in the 2017" in gaps["reason"].iloc[0]


def test_suppressed_values_stay_missing_with_the_symbol(mirror):
    la = trends.trends(2024, 2024, level="la", measures=["chomes_outside_la"])
    foi = demand.read_foi_chomes(year=2024)
    suppressed = foi.index[foi["chomes_outside_la__reason"].eq("suppressed (c)")].get_level_values(0)
    assert len(suppressed) > 10
    rows = la[la["area_code"].isin(suppressed)]
    assert len(rows) == len(suppressed)
    assert rows["value"].isna().all() and rows["note"].str.contains(r"suppressed \(c\)").all()
    assert not (la["value"] == 0).any() or (la.loc[la["value"] == 0, "note"].isna()).all()


def test_bad_arguments_fail_before_any_file_is_read(monkeypatch):
    from provision import _trend_sources

    monkeypatch.setattr(_trend_sources, "SOURCES", ())  # nothing may be read
    with pytest.raises(InputError, match="no trends data for year 2011; available years: 2012–2025"):
        trends.trends(2011, 2020)
    with pytest.raises(InputError, match="--from must not be after --to"):
        trends.trends(2020, 2014)
    with pytest.raises(InputError, match="level 'county': expected one of national, region, la"):
        trends.trends(level="county")
    with pytest.raises(InputError, match="unknown measure.*'nope'"):
        trends.trends(measures=["nope"])
    with pytest.raises(InputError, match="homes exist only at level.*National, not at 'la'"):
        trends.trends(level="la", measures=["homes"])
    with pytest.raises(InputError, match="unknown source key.*foo"):
        trends.trends(sources={"foo": "x.csv"})
