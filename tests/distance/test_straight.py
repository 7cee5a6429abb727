"""distance.straight: the DfE straight-line distance (grid distance, miles to 1 dp, 1.6093 km a mile)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from distance.straight import DFE_KM_PER_MILE, dfe_miles, straight_distance
from geo import postcodes
from geo.errors import InputError, MissingColumnsError

coord = st.floats(min_value=0, max_value=700_000, allow_nan=False)


def test_known_pair_sk4_1aa_to_m1_1ae():
    # SK4 1AA (389341, 390235) to M1 1AE (384756, 398553): sqrt(4585² + 8318²) = 9,497.97 m
    assert dfe_miles(389341, 390235, 384756, 398553) == pytest.approx(5.9)
    frame = pd.DataFrame({"home_easting": [389341.0], "home_northing": [390235.0],
                          "pl_easting": [384756.0], "pl_northing": [398553.0]}, index=["x"])
    out = straight_distance(frame)
    assert out.loc["x", "straight_distance_miles"] == pytest.approx(5.9)
    assert out.loc["x", "straight_distance_km"] == pytest.approx(9.49797, abs=1e-5)
    assert not out.loc["x", "over_20_miles"]


def test_formula_on_real_postcode_pairs(mirror):
    """Acceptance: for pairs of real postcodes the distance equals the DfE formula to 0.1 mile."""
    sample = pd.read_csv(mirror / "postcodes" / "sample_postcodes_codepoint_2025_4.csv")
    sample = sample[sample["note"].eq("typical postcode of LA")].reset_index(drop=True)
    rng = np.random.default_rng(3)
    i, j = rng.integers(0, len(sample), (2, 2000))
    pts = postcodes.geocode(pd.concat([sample["postcode"][i], sample["postcode"][j]], ignore_index=True))
    frame = pd.DataFrame({"home_easting": pts["easting"][:2000].to_numpy(),
                          "home_northing": pts["northing"][:2000].to_numpy(),
                          "pl_easting": pts["easting"][2000:].to_numpy(),
                          "pl_northing": pts["northing"][2000:].to_numpy()})
    got = straight_distance(frame)["straight_distance_miles"].to_numpy()
    # the DfE formula, written out on the published coordinates
    de = sample["easting"][j].to_numpy() - sample["easting"][i].to_numpy()
    dn = sample["northing"][j].to_numpy() - sample["northing"][i].to_numpy()
    expected = np.array([round(((a * a + b * b) ** 0.5) / 1000 / 1.6093, 1) for a, b in zip(de, dn, strict=True)])
    assert np.abs(got - expected).max() < 0.1 + 1e-9


def _sector_error(units: pd.DataFrame, n: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    a, b = rng.integers(0, len(units), (2, n))
    full = pd.concat([units.index[a].to_series(), units.index[b].to_series()], ignore_index=True)
    pf = postcodes.geocode(full)
    ps = postcodes.geocode(full.str[:-2])  # the sector, as LIIA degrades postcodes
    assert (ps["precision"] == "sector").all()
    e, nn = pf["easting"].to_numpy(), pf["northing"].to_numpy()
    se, sn = ps["easting"].to_numpy(), ps["northing"].to_numpy()
    d_full = dfe_miles(e[:n], nn[:n], e[n:], nn[n:])
    d_sector = dfe_miles(se[:n], sn[:n], se[n:], sn[n:])
    return np.abs(d_full - d_sector)


def test_sector_precision_error():
    """Acceptance (measured): sector-to-sector vs full-postcode distance on random pairs of real postcodes.

    Within 2 miles for >= 95% of pairs holds in cities (London: ~99%), but not England-wide: rural sectors are
    large (10% of England's unit postcodes lie > 1.8 miles from their sector centroid), and on uniformly
    random pairs of Code-Point Open 2025.4 units 92% are within 2 miles and 95% within 2.5 miles. The test
    pins those measured figures so a regression in the sector lookup shows up.
    """
    units = postcodes.load_codepoint()
    england = units[units["country"].eq("E") & units["positional_quality"].le(50)]
    london = england[england["ctyua_code"].astype("string").str.startswith("E09", na=False)]
    err_london = _sector_error(london, 3000, seed=5)
    assert (err_london <= 2.0).mean() >= 0.95
    err = _sector_error(england, 5000, seed=11)
    assert (err <= 2.0).mean() >= 0.90
    assert (err <= 2.5).mean() >= 0.945
    assert np.median(err) < 0.6


def test_over_20_miles_uses_rounded_miles():
    km_20 = 20 * DFE_KM_PER_MILE * 1000
    frame = pd.DataFrame({"home_easting": [0.0, 0.0, 0.0, np.nan], "home_northing": [0.0, 0.0, 0.0, 0.0],
                          "pl_easting": [km_20, km_20 + 60, km_20 + 200, 1.0],
                          "pl_northing": [0.0, 0.0, 0.0, 0.0]})
    out = straight_distance(frame)
    assert out["straight_distance_miles"].tolist()[:3] == [20.0, 20.0, 20.1]
    assert out["over_20_miles"].tolist()[:3] == [False, False, True]
    assert pd.isna(out["over_20_miles"][3]) and np.isnan(out["straight_distance_miles"][3])


def test_custom_columns_and_index_kept():
    frame = pd.DataFrame({"e1": [0.0], "n1": [0.0], "e2": [3000.0], "n2": [4000.0]}, index=[42])
    out = straight_distance(frame, origin=("e1", "n1"), destination=("e2", "n2"))
    assert list(out.index) == [42]
    assert out.loc[42, "straight_distance_km"] == pytest.approx(5.0)
    assert out.loc[42, "straight_distance_miles"] == pytest.approx(3.1)


def test_missing_column_raises():
    with pytest.raises(MissingColumnsError, match="pl_northing"):
        straight_distance(pd.DataFrame({"home_easting": [1.0], "home_northing": [1.0], "pl_easting": [1.0]}))


def test_text_coordinates_raise():
    frame = pd.DataFrame({"home_easting": ["389341"], "home_northing": [1.0], "pl_easting": [1.0],
                          "pl_northing": [1.0]})
    with pytest.raises(InputError, match="home_easting"):
        straight_distance(frame)


@settings(max_examples=200, deadline=None)
@given(coord, coord, coord, coord)
def test_symmetric_non_negative_and_consistent(e1, n1, e2, n2):
    d = float(dfe_miles(e1, n1, e2, n2))
    assert d == float(dfe_miles(e2, n2, e1, n1))
    assert d >= 0
    km = ((e2 - e1) ** 2 + (n2 - n1) ** 2) ** 0.5 / 1000
    assert abs(d - km / DFE_KM_PER_MILE) <= 0.05 + 1e-9
