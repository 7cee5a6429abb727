"""geo.postcodes: normalising, parsing and offline geocoding (full → sector → district)."""

from __future__ import annotations

import socket

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from geo import postcodes
from geo.catalogue import get_catalogue
from geo.errors import InputError


@pytest.fixture(scope="module")
def sample(mirror) -> pd.DataFrame:
    return pd.read_csv(mirror / "postcodes" / "sample_postcodes_codepoint_2025_4.csv", dtype=str)


@pytest.mark.parametrize(("raw", "expected", "given_as"), [
    ("SK4 1AA", "SK4 1AA", "full"),
    ("sk41aa", "SK4 1AA", "full"),
    ("  sk4   1aa ", "SK4 1AA", "full"),
    ("sk4-1aa", "SK4 1AA", "full"),
    ("EC1A1BB", "EC1A 1BB", "full"),
    ("w1a 0ax", "W1A 0AX", "full"),
    ("SK4 1", "SK4 1", "sector"),
    ("sk4  1", "SK4 1", "sector"),
    ("SK4", "SK4", "district"),
    ("e20", "E20", "district"),
])
def test_normalise_and_parse(raw, expected, given_as):
    parsed = postcodes.parse(pd.Series([raw]))
    assert parsed.loc[0, "postcode"] == expected
    assert parsed.loc[0, "given"] == given_as
    assert postcodes.normalise(pd.Series([raw]))[0] == expected


@pytest.mark.parametrize(("raw", "given_as"), [
    ("SK4 XYZ", "invalid"), ("12345", "invalid"), ("SK4 1AAA", "invalid"), ("", "blank"), (None, "blank"),
    ("   ", "blank"),
])
def test_parse_rejects(raw, given_as):
    parsed = postcodes.parse(pd.Series([raw], dtype=object))
    assert parsed.loc[0, "given"] == given_as
    assert pd.isna(parsed.loc[0, "postcode"])


def test_parse_keeps_index_and_parts():
    s = pd.Series(["sk4 1aa", "SK4 1", "SK4"], index=[10, 20, 30])
    parsed = postcodes.parse(s)
    assert list(parsed.index) == [10, 20, 30]
    assert parsed["district"].tolist() == ["SK4", "SK4", "SK4"]
    assert parsed["sector"].tolist()[:2] == ["SK4 1", "SK4 1"] and pd.isna(parsed["sector"][30])


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet="ABCDEHKMNPRSTWXYZ0123456789 -abcsk", max_size=10))
def test_normalise_is_idempotent(text):
    once = postcodes.normalise(pd.Series([text]))
    twice = postcodes.normalise(once)
    assert once.equals(twice)


def test_geocode_sample_postcodes_exactly(sample):
    typical = sample[sample["note"].eq("typical postcode of LA")]
    got = postcodes.geocode(typical["postcode"], year=2025)
    assert (got["precision"] == "full").all()
    assert np.array_equal(got["easting"].to_numpy(), typical["easting"].astype(float).to_numpy())
    assert np.array_equal(got["northing"].to_numpy(), typical["northing"].astype(float).to_numpy())
    assert (got["ctyua_code"].to_numpy() == typical["ctyua_code"].to_numpy()).all()
    assert got["ctyua_code"].nunique() == 153


def test_geocode_2024_codes_for_barnsley_and_sheffield(sample):
    sheffield = sample[sample["ctyua_code"].eq("E08000039")]["postcode"]
    assert (postcodes.geocode(sheffield, year=2024)["ctyua_code"] == "E08000019").all()
    assert (postcodes.geocode(sheffield, year=2025)["ctyua_code"] == "E08000039").all()


def test_geocode_wales_and_scotland():
    got = postcodes.geocode(pd.Series(["CF10 1EP", "EH1 1YZ", "LL11 1AR"]))
    assert got["ctyua_code"].tolist() == ["WAL", "SCO", "WAL"]
    assert (got["precision"] == "full").all()


def test_geocode_fallbacks_and_status():
    s = pd.Series(["SK4 1", "SK4", "SK41", "SK4 9ZZ", "BD98 1GA", "ZZ99 9ZZ", "SK4 XYZ", None],
                  index=list("abcdefgh"))
    got = postcodes.geocode(s)
    assert list(got.index) == list("abcdefgh")
    assert got["precision"].tolist() == ["sector", "district", "sector", "sector", "district", "none", "none",
                                         "none"]
    sectors = postcodes.load_sectors()
    districts = postcodes.load_districts()
    assert got.loc["a", "easting"] == sectors.loc["SK4 1", "easting"]
    assert got.loc["b", "northing"] == districts.loc["SK4", "northing"]
    assert got.loc["c", "geocode_status"] == "a sector written without its space: read as that sector"  # no value
    assert got.loc["d", "geocode_status"] == "postcode not found; sector centroid used"
    assert got.loc["e", "geocode_status"] == "postcode not found; district centroid used"  # quality 90
    assert got.loc["f", "geocode_status"] == "not found"
    assert got.loc["g", "geocode_status"] == "invalid postcode"
    assert got.loc["h", "geocode_status"] == "blank"
    assert got.loc[["a", "b", "c", "d"], "ctyua_code"].eq("E08000007").all()
    assert np.isnan(got.loc["f", "easting"])


def test_geocode_quality_60_units_take_their_sector_la():
    units = postcodes.load_codepoint()
    q60 = units[units["positional_quality"].eq(60)].index[:20]
    got = postcodes.geocode(pd.Series(q60))
    assert got["ctyua_code"].notna().all()
    assert (got["precision"] == "full").all()


def test_unit_postcode_cache_is_parquet_in_cache_dir():
    postcodes.load_codepoint()
    derived = get_catalogue().settings.cache_dir / "derived"
    assert list(derived.glob("codepoint_open_*.parquet"))


def test_codepoint_is_complete():
    units = postcodes.load_codepoint()
    assert len(units) == 1_745_013
    assert units.index.is_unique


def test_geocode_year_checked():
    from geo import years

    last = years.latest("la_boundaries")  # the range follows the data, not a literal
    assert postcodes.geocode(pd.Series(["SK4 1AA"]), year=last)["ctyua_code"].notna().all()
    for bad in (2019, last + 1):
        with pytest.raises(InputError, match=f"available for 2023-{last} .*year={bad}"):
            postcodes.geocode(pd.Series(["SK4 1AA"]), year=bad)


def test_geocode_makes_no_network_call(monkeypatch):
    postcodes.load_codepoint()

    def refuse(*args, **kwargs):
        raise AssertionError("a network connection was attempted")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    got = postcodes.geocode(pd.Series(["SK4 1AA", "M1 1AE", "SK4 1", "ZZ99 9ZZ"]))
    assert got["precision"].tolist() == ["full", "full", "sector", "none"]
