"""Tests for provision.gaps: supply-gap measures per LA and region on the real data."""

from __future__ import annotations

import numpy as np
import pytest

from geo.errors import InputError
from provision import gaps


@pytest.fixture(scope="module")
def g2024(mirror):
    return gaps.supply_gaps(2024)


def test_every_la_and_definitions(g2024):
    assert len(g2024) == 153 and g2024.index.name == "la_code"
    ok = g2024.dropna(subset=["places_per_10k_children", "children_in_childrens_homes"])
    assert len(ok) > 140
    # the index is exactly its documented formula
    expected = (ok["children_in_childrens_homes"] - ok["places"].astype(float)) / ok["population_0_17"] * 10_000
    assert np.allclose(ok[gaps.GAP_INDEX], expected, atol=0.006)
    assert "children_in_childrens_homes - places" in g2024.attrs["index_definition"]


def test_labels_and_ranks_agree(g2024):
    deficit = g2024["gap_label"] == "deficit"
    assert (g2024.loc[deficit, gaps.GAP_INDEX] > 0).all()
    assert (g2024.loc[g2024["gap_label"] == "surplus", gaps.GAP_INDEX] <= 0).all()
    assert (g2024.loc[g2024[gaps.GAP_INDEX].isna(), "gap_label"] == "unknown").all()
    top = g2024.sort_values("rank_supply_gap").iloc[0]
    assert top[gaps.GAP_INDEX] == g2024[gaps.GAP_INDEX].max()
    # City of London has no homes: self-sufficiency 0 or unknown, never positive
    assert not g2024.loc["E09000001", "self_sufficiency_ratio"] > 0


def test_region_frame_surplus_and_deficit_visible(mirror):
    r = gaps.region_gaps(2018)
    assert len(r) == 9 and r.index.name == "region_code"
    assert int(r["places"].sum()) == 9430
    # London has the fewest places per child and a deficit; the North West the most and a surplus
    assert r["places_per_10k_children"].idxmin() == "E12000007"
    assert r.loc["E12000007", "gap_label"] == "deficit"
    assert r.loc["E12000002", "gap_label"] == "surplus"
    assert r.loc["E12000007", "chomes_net_gain"] < 0  # London exports children to other regions' homes


def test_unknown_year():
    with pytest.raises(InputError, match="available years"):
        gaps.supply_gaps(2040)
