"""distance.national: rate ratios of missing incidents outside vs inside the council boundary (aggregates)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from distance.national import missing_rate_ratios
from geo.errors import InputError


def _inputs(inside: dict[str, float], outside: dict[str, float], rates: dict[str, float], *,
            unknown: dict[str, float] | None = None, excess_outside: float = 1.0, year: int = 2022):
    """Placements by type and locality, incidents by type at ``rates`` per placement, with an extra factor on
    incidents outside the boundary."""
    rows = [(year, t, "inside", n) for t, n in inside.items()] + [(year, t, "outside", n) for t, n in outside.items()]
    rows += [(year, t, "not known", n) for t, n in (unknown or {}).items()]
    placements = pd.DataFrame(rows, columns=["year", "placement_type", "locality", "placements"])
    o_in = sum(rates[t] * inside[t] for t in inside)
    o_out = sum(rates[t] * outside[t] for t in outside) * excess_outside
    by_type = pd.DataFrame({"year": year, "placement_type": list(rates),
                            "incidents": [rates[t] * (inside[t] + outside[t]) for t in rates]})
    by_loc = pd.DataFrame({"year": year, "locality": ["inside", "outside"], "incidents": [o_in, o_out]})
    return placements, by_type, by_loc


def test_standardised_equals_crude_when_the_mix_is_the_same():
    inside = {"foster": 30_000.0, "chomes": 2_000.0, "independent": 4_000.0}
    outside = {t: n * 0.6 for t, n in inside.items()}  # the same mix, 60 % as many placements
    rates = {"foster": 0.3, "chomes": 4.0, "independent": 2.0}
    placements, by_type, by_loc = _inputs(inside, outside, rates, excess_outside=1.3)
    by_loc.loc[by_loc["locality"] == "outside", "incidents"] += 0  # observed incidents as constructed
    res = missing_rate_ratios(placements, incidents_by_type=by_type, incidents_by_locality=by_loc)
    row = res.table.iloc[0]
    assert row["crude_rr"] == pytest.approx(1.3)
    assert row["standardised_rr"] == pytest.approx(row["crude_rr"], rel=1e-12)
    assert row["standardised_ci_low"] == pytest.approx(row["crude_ci_low"])


def test_standardisation_removes_a_difference_of_mix():
    inside = {"foster": 30_000.0, "chomes": 1_000.0}
    outside = {"foster": 15_000.0, "chomes": 4_000.0}  # children's homes placements are mostly outside
    rates = {"foster": 0.3, "chomes": 4.0}
    placements, by_type, by_loc = _inputs(inside, outside, rates)  # no excess outside beyond the mix
    res = missing_rate_ratios(placements, incidents_by_type=by_type, incidents_by_locality=by_loc)
    row = res.table.iloc[0]
    assert row["crude_rr"] > 2  # the mix alone makes outside look worse
    assert row["standardised_rr"] == pytest.approx(1.0, rel=1e-9)


def test_intervals_say_what_they_assume():
    inside = {"foster": 30_000.0, "chomes": 2_000.0}
    outside = {"foster": 20_000.0, "chomes": 3_000.0}
    rates = {"foster": 0.3, "chomes": 4.0}
    placements, by_type, by_loc = _inputs(inside, outside, rates, excess_outside=1.1)
    res = missing_rate_ratios(placements, incidents_by_type=by_type, incidents_by_locality=by_loc,
                              incidents_per_missing_child=pd.Series({2022: 6.5}))
    r = res.table.iloc[0]
    o_in, o_out = r["incidents_inside"], r["incidents_outside"]
    se = np.sqrt(1 / o_in + 1 / o_out)
    assert r["crude_ci_high"] == pytest.approx(r["crude_rr"] * np.exp(1.959964 * se), rel=1e-5)
    assert r["crude_ci_low_clustered"] < r["crude_ci_low"] < r["crude_rr"] < r["crude_ci_high"]
    assert np.log(r["crude_ci_high_clustered"] / r["crude_rr"]) == pytest.approx(np.sqrt(6.5) * 1.959964 * se)
    assert "independent" in res.assumptions and "a child placed both inside and outside" in res.caveat


def test_unknown_locality_is_shared_pro_rata_and_bounded():
    inside = {"foster": 30_000.0, "independent": 2_000.0}
    outside = {"foster": 10_000.0, "independent": 2_000.0}
    rates = {"foster": 0.3, "independent": 2.0}
    placements, by_type, by_loc = _inputs(inside, outside, rates, unknown={"independent": 4_000.0})
    by_type.loc[by_type["placement_type"] == "independent", "incidents"] = 2.0 * 8_000  # incidents of all 8,000
    res = missing_rate_ratios(placements, incidents_by_type=by_type, incidents_by_locality=by_loc)
    r = res.table.iloc[0]
    assert r["placements_inside"] == 30_000 + 4_000 and r["placements_outside"] == 10_000 + 4_000
    assert r["crude_rr_unknown_all_outside"] < r["crude_rr"] < r["crude_rr_unknown_all_inside"]
    assert res.table["year"].tolist() == ["2022", "pooled"]


def test_a_side_without_incidents_is_refused():
    placements, by_type, by_loc = _inputs({"foster": 100.0}, {"foster": 50.0}, {"foster": 0.5})
    by_loc.loc[by_loc["locality"] == "outside", "incidents"] = 0
    with pytest.raises(InputError, match="2022: incidents or placements are missing or zero"):
        missing_rate_ratios(placements, incidents_by_type=by_type, incidents_by_locality=by_loc)
    with pytest.raises(InputError, match="missing column"):
        missing_rate_ratios(placements.drop(columns="locality"), incidents_by_type=by_type,
                            incidents_by_locality=by_loc)


def test_real_national_tables_2020_2024(mirror):
    from provision.national_missing import load_national_missing

    inputs = load_national_missing()
    loc = inputs.incidents_by_locality.groupby("year")["incidents"].sum()
    types = inputs.incidents_by_type.groupby("year")["incidents"].sum()
    assert loc[2024] == 83_920 and types[2024] == 83_920  # DfE's total incidents, 2024 release
    assert set(inputs.placements["placement_type"]) == {"foster", "adoption", "parents", "chomes", "independent",
                                                        "other"}
    assert inputs.data_quality["reason"].str.contains(r"suppressed \(c\)").all()  # residential schools cells
    res = missing_rate_ratios(inputs.placements, incidents_by_type=inputs.incidents_by_type,
                              incidents_by_locality=inputs.incidents_by_locality,
                              incidents_per_missing_child=inputs.incidents_per_missing_child)
    assert res.table["year"].tolist() == ["2020", "2021", "2022", "2023", "2024", "pooled"]
    t = res.table.set_index("year")
    assert t.loc["2024", "incidents_outside"] == 38_780 and t.loc["2024", "incidents_inside"] == 45_140
    assert (t["crude_ci_low_clustered"] < t["crude_rr"]).all() and (t["crude_rr"] < t["crude_ci_high_clustered"]).all()
    # indirect standardisation: the expected incidents add up to the incidents by placement type (every placement
    # has a side once the unknown are shared out); by type and by locality differ only by DfE's rounding to 10
    expected = (t["expected_inside"] + t["expected_outside"]).drop("pooled")
    assert np.allclose(expected, types.reindex([int(y) for y in expected.index]), atol=0.5)
    assert np.allclose(types, loc, atol=30)
    with pytest.raises(InputError, match="available years: 2020–2024"):
        load_national_missing(2019, 2024)
