"""Flows as published: suppressed over the hierarchy, LA names beside codes, distances; the flows maps draw."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest

from geo.disclosure import SECONDARY_LABEL, SUPPRESSED_LABEL, publish_count
from geo.errors import MissingColumnsError
from provision.flows import ALL_PLACEMENTS, FLOW_DISTANCE_FILTERS, published_flows, select_flows

HIDDEN = {SUPPRESSED_LABEL, SECONDARY_LABEL}


@pytest.fixture(scope="module")
def las(mirror: Path) -> gpd.GeoDataFrame:
    import boundaries

    return boundaries.load_las(year=2024)


def _flows() -> pd.DataFrame:
    rows = [("E08000007", "E08000003", "All placements", 67), ("E08000007", "E08000003", "Children's homes", 4),
            ("E08000007", "E08000003", "Foster care", 49), ("E08000007", "E08000003", "Other placements", 14),
            ("E08000007", "E09000033", "All placements", 12), ("E08000007", "E09000033", "Foster care", 12),
            ("E08000007", "E08000006", "All placements", 30), ("E08000007", "E08000006", "Foster care", 30),
            ("E08000007", "E08000007", "All placements", 300), ("E08000007", "E08000007", "Foster care", 300)]
    return pd.DataFrame(rows, columns=["home_la", "pl_la", "placement_type", "children"])


def test_published_flows_cannot_be_subtracted_back(las: gpd.GeoDataFrame) -> None:
    out = published_flows(_flows(), las=las)
    assert list(out.columns[:4]) == ["home_la", "home_la_name", "pl_la", "pl_la_name"]
    assert out.loc[0, "home_la_name"] == "Stockport" and out.loc[0, "pl_la_name"] == "Manchester"
    assert out.loc[4, "pl_la_name"] == "Westminster"
    # every pair: All and its types never leave exactly one hidden count
    for _, part in out.groupby(["home_la", "pl_la"]):
        n_hidden = part["children_label"].isin(HIDDEN).sum()
        assert n_hidden != 1, part
    labels = out.set_index(["pl_la", "placement_type"])["children_label"]
    assert labels[("E08000003", "Children's homes")] == SUPPRESSED_LABEL
    assert labels[("E08000003", "Other placements")] == SECONDARY_LABEL
    # within Stockport's children's-home flows a hidden count has company too
    homes = out[out["placement_type"] == "Children's homes"]
    assert homes["children_label"].isin(HIDDEN).sum() != 1 or len(homes) == 1
    # straight-line miles between points inside the LAs: Westminster is far, Manchester next door
    miles = out.set_index("pl_la")["straight_distance_miles"]
    assert miles["E09000033"].iloc[0] > 150 and miles["E08000003"].iloc[0] < 10 and miles["E08000007"].iloc[0] == 0


def test_select_flows_starts_from_distance(las: gpd.GeoDataFrame) -> None:
    out = published_flows(_flows(), las=las)
    far = select_flows(out, min_miles=FLOW_DISTANCE_FILTERS["Over 20 miles"])
    assert set(far["pl_la"]) == {"E09000033"}  # the next-door Manchester and Salford flows are left out
    every = select_flows(out[out["placement_type"] == ALL_PLACEMENTS], min_miles=0)
    assert list(every["pl_la"]) == ["E08000003", "E08000006", "E09000033"]  # largest first, not inside the LA
    assert every["children"].notna().all()
    one = select_flows(out, min_miles=0, max_flows=1)
    assert len(one) == 1 and int(one["children"].iloc[0]) == publish_count(67)  # as published (cell key)
    with_hidden = select_flows(out, min_miles=0, include_suppressed=True)
    assert with_hidden["children"].isna().sum() == out.loc[out["home_la"] != out["pl_la"], "children"].isna().sum()
    with pytest.raises(MissingColumnsError, match="straight_distance_miles"):
        select_flows(published_flows(_flows()))


def test_synthetic_flows_hide_no_count_alone(mirror: Path, las: gpd.GeoDataFrame) -> None:
    """Stockport's synthetic flows: no home LA → placement LA pair, and no type within the LA, has one hidden count."""
    from provision import synth
    from provision.flows import placement_flows
    from provision.placements import locate

    data = synth.generate(year=2024, seed=5, las=["E08000007"])
    flows = placement_flows(locate(data.episodes, responsible_la="E08000007"))
    out = published_flows(flows, las=las)
    assert out["children_label"].eq(SUPPRESSED_LABEL).sum() >= 10
    for keys in (["home_la", "pl_la"], ["home_la", "placement_type"]):
        for _, part in out.groupby(keys):
            hidden = part["children_label"].isin(HIDDEN)
            visible_nonzero = (~hidden & (part["children"].fillna(0) > 0)).any()
            assert hidden.sum() != 1 or not visible_nonzero, part
    shown = pd.to_numeric(out["children_label"], errors="coerce")
    assert not shown.between(1, 4).any()
    assert np.array_equal(out["children"].notna(), shown.notna())
