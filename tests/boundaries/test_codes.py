"""Codes, names and code changes of England's upper-tier LAs, 2014–2025."""

from __future__ import annotations

import pandas as pd
import pytest

import boundaries
from geo.errors import SplitAreaError, UnknownAreaCodeError

SPLIT_PREDECESSORS = {"E10000009", "E10000021", "E10000006"}  # Dorset county, Northamptonshire, Cumbria


def test_every_code_2014_2025_harmonises_to_2024_or_raises_split(mirror):
    valid_2024 = set(boundaries.load_las(year=2024).index)
    lookup = boundaries.la_lookup()
    assert len(lookup) == 163
    for code in lookup["la_code"]:
        if code in SPLIT_PREDECESSORS:
            with pytest.raises(SplitAreaError, match=r"split in 20\d\d into"):
                boundaries.harmonise_code(code, to_year=2024)
        else:
            assert boundaries.harmonise_code(code, to_year=2024) in valid_2024, code


def test_dfe_combined_codes_and_codes_in_dfe_files(mirror):
    dfe = pd.read_csv(mirror / "lookups" / "dfe_las.csv", dtype=str)
    combined = dfe.loc[dfe["new_la_code"].str.contains("/"), "new_la_code"]
    assert len(combined) == 3
    for code in combined:
        with pytest.raises(SplitAreaError, match="cannot be split one-to-one"):
            boundaries.harmonise_code(code, to_year=2024)
    assert boundaries.harmonise_code("E06000061 / E06000062", to_year=2020) == "E10000021"
    assert boundaries.harmonise_code("E06000063 / E06000064", to_year=2022) == "E10000006"


@pytest.mark.parametrize(("code", "year", "expected"), [
    ("E10000002", 2024, "E06000060"),   # Buckinghamshire 2020
    ("E10000023", 2024, "E06000065"),   # North Yorkshire 2023
    ("E10000027", 2024, "E06000066"),   # Somerset 2023
    ("E06000028", 2024, "E06000058"),   # Bournemouth into BCP 2019
    ("E08000016", 2025, "E08000038"),   # Barnsley recoded May 2025
    ("E08000039", 2024, "E08000019"),   # and back
    ("E06000065", 2018, "E10000023"),
    ("E06000062", 2019, "E10000021"),   # part of one predecessor maps back to it
])
def test_harmonise_code(mirror, code, year, expected):
    assert boundaries.harmonise_code(code, to_year=year) == expected


def test_backwards_across_a_merger_raises(mirror):
    with pytest.raises(SplitAreaError, match="E06000058 Bournemouth, Christchurch and Poole was formed in 2019"):
        boundaries.harmonise_code("E06000058", to_year=2018)


def test_split_message_says_what_to_do(mirror):
    with pytest.raises(SplitAreaError) as info:
        boundaries.harmonise_code("E10000021", to_year=2024)
    msg = str(info.value)
    assert "North Northamptonshire" in msg and "West Northamptonshire" in msg
    assert "Aggregate your data to the old geography" in msg and "apportion" in msg


def test_unknown_code(mirror):
    with pytest.raises(UnknownAreaCodeError, match="unknown LA code 'E06000999'"):
        boundaries.harmonise_code("E06000999")
    # terminated in 2013, before the period covered
    with pytest.raises(UnknownAreaCodeError, match="E06000048"):
        boundaries.harmonise_code("E06000048")


def test_harmonise_codes_sums_merged_las(mirror):
    frame = pd.DataFrame({"la_code": ["E06000028", "E06000029", "E08000007", "E09000001", "E09000012"],
                          "children": [10, 20, 5, 3, 100], "label": list("abcde")})
    out = boundaries.harmonise_codes(frame, to_year=2019, value_columns=["children"])
    assert out.loc["E06000058", "children"] == 30
    assert out.loc["E08000007", "children"] == 5
    assert len(out) == 4
    small = boundaries.harmonise_codes(frame, to_year=2024, value_columns=["children"], merge_small=True)
    assert small.loc["E09000012", "children"] == 103 and "E09000001" not in small.index
    kept = boundaries.harmonise_codes(frame, to_year=2019)
    assert kept.index.equals(frame.index)
    assert kept["la_code_original"].tolist() == frame["la_code"].tolist()
    assert frame["la_code"].iloc[0] == "E06000028"  # input not mutated


def test_harmonise_codes_lists_every_split(mirror):
    frame = pd.DataFrame({"la_code": ["E10000021", "E10000006", "E08000007"]})
    with pytest.raises(SplitAreaError, match=r"2 code\(s\) cannot be harmonised to 2024"):
        boundaries.harmonise_codes(frame)


@pytest.mark.parametrize(("name", "code"), [
    ("Bristol", "E06000023"), ("Durham", "E06000047"), ("Herefordshire", "E06000019"),
    ("Kingston upon Hull", "E06000010"), ("Southend on Sea", "E06000033"), ("St Helens", "E08000013"),
    ("Bournemouth, Christchurch & Poole", "E06000058"), ("Bristol, City of", "E06000023"),
    ("County Durham", "E06000047"), ("City of London", "E09000001"), ("  stockport ", "E08000007"),
    ("356", "E08000007"), ("e08000007", "E08000007"),
])
def test_resolve_la_accepts_dfe_ons_and_ofsted_spellings(mirror, name, code):
    assert boundaries.resolve_la(name, year=2024) == code


def test_names_depend_on_the_year(mirror):
    assert boundaries.resolve_la("Dorset", year=2018) == "E10000009"
    assert boundaries.resolve_la("Dorset", year=2024) == "E06000059"
    assert boundaries.resolve_la("Barnsley", year=2025) == "E08000038"
    assert boundaries.resolve_la("815", year=2022) == "E10000023"
    assert boundaries.resolve_la("815", year=2023) == "E06000065"


def test_codes_from_names_lists_every_unmatched_name(mirror):
    names = pd.Series(["Bristol", "Atlantis", "Stockport", "Atlantis", "Gondor"], index=[10, 11, 12, 13, 14])
    with pytest.raises(UnknownAreaCodeError, match=r"2 local authority name\(s\) match no LA of 2024: "
                       r"'Atlantis' \(2 rows\); 'Gondor' \(1 rows\)"):
        boundaries.codes_from_names(names, source="providers.csv")
    ok = boundaries.codes_from_names(names[names.isin(["Bristol", "Stockport"])])
    assert ok.to_dict() == {10: "E06000023", 12: "E08000007"}


def test_unknown_name_and_number(mirror):
    with pytest.raises(UnknownAreaCodeError, match="unknown local authority 'Atlantis' for 2024"):
        boundaries.resolve_la("Atlantis")
    with pytest.raises(UnknownAreaCodeError, match="unknown DfE LA number '999'"):
        boundaries.resolve_la("999")


@pytest.mark.parametrize(("name", "code"), [
    ("Bath & NE Somerset", "E06000022"), ("Bedford Borough", "E06000055"), ("Blackburn", "E06000008"),
    ("Leicester City", "E06000016"), ("Medway Towns", "E06000035"), ("Newcastle", "E08000021"),
    ("Nottingham City", "E06000018"), ("West Berkshire (Newbury)", "E06000037"),
])
def test_ofsted_2014_spellings(mirror, name, code):
    assert boundaries.resolve_la(name, year=2014) == code


def test_successors(mirror):
    assert boundaries.successors("E10000021") == (2021, ("E06000061", "E06000062"))
    assert boundaries.successors("E08000007") is None
