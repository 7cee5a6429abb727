"""Tests for provision.demand on the real DfE files: CLA, rates, children's homes, flows, distance, missing."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from geo.errors import InputError, MissingColumnsError
from provision import demand
from provision._readers import to_number


@pytest.fixture(scope="module")
def d2024(mirror):
    return demand.demand_by_la(2024)


def test_columns_and_every_la(d2024):
    assert len(d2024) == 153 and d2024.index.name == "la_code"
    assert set(demand.COLUMNS) <= set(d2024.columns)
    # LA figures add up to England's published totals (LA numbers are unrounded; England rounded to 10)
    assert d2024["children_looked_after"].sum() == pytest.approx(83_530, abs=10)  # 2025 release, England row
    assert d2024["chomes_outside_la"].notna().sum() > 100


def test_net_gain_is_inflow_minus_outflow(d2024):
    ok = d2024[["inflow", "outflow", "net_gain"]].dropna()
    assert len(ok) > 140
    assert (ok["net_gain"] == ok["inflow"] - ok["outflow"]).all()


def test_suppressed_values_are_nan_with_reason_never_zero(d2024):
    sup = d2024["chomes_outside_la"].isna()
    assert sup.sum() > 10
    assert d2024.loc[sup, "missing_reasons"].str.contains("chomes_outside_la: suppressed \\(c\\)").any()
    assert d2024.loc[sup, "missing_reasons"].notna().all()


def test_rate_matches_number_over_population(d2024):
    ok = d2024[["children_looked_after", "population_0_17", "cla_rate_per_10k"]].dropna()
    rate = ok["children_looked_after"] / ok["population_0_17"] * 10_000
    assert np.allclose(rate, ok["cla_rate_per_10k"], atol=0.51)


def test_split_predecessor_gives_nan_with_reason(mirror):
    d = demand.demand_by_la(2018)  # Northamptonshire and Cumbria had not split yet
    for code in ("E06000061", "E06000062", "E06000063", "E06000064"):
        assert np.isnan(d.loc[code, "children_looked_after"])
        assert "split" in d.loc[code, "missing_reasons"]
    # BCP took part of Dorset county in 2019, so 2018 BCP is unknown too
    assert "split" in d.loc["E06000058", "missing_reasons"]
    assert np.isnan(d.loc["E06000058", "children_looked_after"])


def test_lait_indicators_long_by_la_and_year(mirror):
    x = demand.lait_indicators(["LACDistance", "Children_missing"], years=[2016, 2024])
    assert x.index.names == ["la_code", "year"]
    assert len(x) == 153 * 2
    assert x.loc[("E09000033", 2024), "LACDistance"] >= 0
    with pytest.raises(InputError, match="unknown LAIT indicator.*'Nope'"):
        demand.lait_indicators(["Nope"])
    with pytest.raises(InputError, match="available years: 2016–2025"):
        demand.lait_indicators(["LACDistance"], years=[2015])


def test_foi_national_64_percent_statistic(mirror):
    nat = demand.read_foi_chomes(level="National")
    assert nat.loc[2018, "chomes_outside_la"] == 4090
    assert nat.loc[2018, "chomes_outside_la_pct"] == 63
    assert nat.loc[2014, "chomes_outside_la"] == 3170


def test_unknown_year_lists_available():
    with pytest.raises(InputError, match="no children-looked-after demand data for year 2030; available years: 2014"):
        demand.demand_by_la(2030)


def test_malformed_foi_copy_names_file_and_columns(mirror, tmp_path):
    from geo.catalogue import data_path

    src = data_path(demand.FILES["foi_outside"])
    lines = src.read_text(encoding="utf-8-sig").splitlines()
    lines[13] = lines[13].replace(",percentage", ",pct")
    bad = tmp_path / "foi_broken.csv"
    bad.write_text("\n".join(lines), encoding="utf-8")
    with pytest.raises(MissingColumnsError, match=r"foi_broken.csv: missing column\(s\) 'percentage'"):
        demand.read_foi_chomes(path=bad)


def test_to_number_symbols():
    got = to_number(pd.Series(["12", "c", "x", "z", "k", "1,234"]))
    assert got["value"].isna().tolist() == [False, True, True, True, True, False]
    assert got["value"].iloc[5] == 1234
    assert got["reason"].iloc[1] == "suppressed (c)"
    with pytest.raises(InputError, match="'banana'"):
        to_number(pd.Series(["banana"]), source="f.csv")


@pytest.mark.parametrize("year", [2014, 2016, 2019, 2021, 2025])
def test_every_year_has_every_2024_la(mirror, year):
    d = demand.demand_by_la(year)
    assert len(d) == 153 and d.index.is_unique
    assert d["children_looked_after"].notna().sum() >= 140
    # every NaN carries its reason
    for col in demand.COLUMNS:
        nan = d[col].isna()
        assert d.loc[nan, "missing_reasons"].str.contains(col).all(), (year, col)
