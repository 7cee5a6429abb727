"""distance.within_child and distance.move_study: the within-child designs, on small in-code frames."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from distance.child_models import child_effect
from distance.move_study import move_event_study, move_windows
from distance.straight import distance_band
from distance.within_child import GROUPS, within_child_effect
from geo.disclosure import count_text
from geo.errors import ModelNotIdentifiedError

START = pd.Timestamp("2021-04-01")


def placements(seed: int = 0, n_children: int = 3000, rr10: float = 1.0, confounder: float = 4.0,
               after_far: float = 1.0) -> pd.DataFrame:
    """Children with 1-4 consecutive placements; risky children (x ``confounder``) are placed further away.

    The rate is ``rr10 ** (miles / 10)`` within a child, and ``after_far`` times higher in a placement reached by a
    move more than 20 miles further from home. Incidents are placed at uniform days of each placement.
    """
    rng = np.random.default_rng(seed)
    rows = []
    for i in range(n_children):
        risky = rng.random() < 0.25
        t = START + pd.Timedelta(days=int(rng.integers(0, 200)))
        age = rng.uniform(3, 16)
        previous = None
        for k in range(int(rng.choice([1, 2, 3, 4], p=[.4, .3, .2, .1]))):
            days = int(rng.integers(60, 400))
            miles = round(float(rng.gamma(1.5, 20 if risky else 5)), 1)
            far_move = previous is not None and miles - previous > 20
            rate = 0.004 * (confounder if risky else 1.0) * rr10 ** (miles / 10) * (after_far if far_move else 1.0)
            n = rng.poisson(rate * days)
            rows.append({"child": f"C{i}", "start": t, "end": t + pd.Timedelta(days=days),
                         "exposure_start": t, "exposure_end": t + pd.Timedelta(days=days), "exposure_days": float(days),
                         "missing_incidents": n, "missing_day_offsets": tuple(sorted(rng.integers(0, days, n))),
                         "distance_miles": miles, "age_at_start_years": age + (t - START).days / 365.25,
                         "placement_type": str(rng.choice(["foster", "children's home"])),
                         "days_in_care_at_start": k and (t - rows[-1]["start"]).days
                         + rows[-1]["days_in_care_at_start"],
                         "sex": "female" if i % 2 else "male", "uasc": False, "legal_status": "care order",
                         "previous_placements": k, "la": f"E0600000{i % 5}", "status": "ok"})
            previous = miles
            t += pd.Timedelta(days=days)
    frame = pd.DataFrame(rows)
    frame["distance_band"] = distance_band(frame["distance_miles"])
    frame["distance_measure"] = "straight-line"
    return frame


@pytest.fixture(scope="module")
def confounded() -> pd.DataFrame:
    return placements()


def test_within_child_removes_what_does_not_change_within_a_child(confounded):
    within = within_child_effect(confounded)
    row = within.per_10_miles()
    assert row["ci_low"] < 1.0 < row["ci_high"]  # no effect of distance within a child
    between = child_effect(confounded, covariates=("age_at_start_years", "placement_type", "la"),
                           models=("per10",)).per_10_miles()
    assert between["ci_low"] > 1.05  # comparing children finds the confounder
    assert row["design"] == "within child" and row["se"] == "clustered by child"


def test_within_child_recovers_a_planted_effect():
    row = within_child_effect(placements(seed=1, rr10=1.3)).per_10_miles()
    assert row["ci_low"] < 1.3 < row["ci_high"]


def test_within_child_says_which_children_it_rests_on(confounded):
    res = within_child_effect(confounded)
    t = res.contributions.set_index("contribution")
    assert list(t.index) == list(GROUPS)
    assert t["children"].sum() == confounded["child"].nunique()
    singles = confounded.groupby("child").size().eq(1).sum()
    assert t.loc["single placement", "children"] == singles
    assert t.loc["different distances, with a missing incident", "children"] == res.n_children
    said = f"{count_text(singles, 'children')} with a single placement"  # as published
    assert any(said in n and "contribute nothing" in n for n in res.notes)
    c = res.comparison.set_index("group")
    assert c.loc["children the within-child estimate rests on", "children"] == res.n_children
    assert c.loc["children the within-child estimate rests on", "placements_per_child"] >= 2
    assert c.loc["children the within-child estimate rests on", "pct_went_missing"] == 100


def test_every_child_at_one_distance_is_not_identified(confounded):
    one_distance = confounded.assign(distance_miles=confounded.groupby("child")["distance_miles"].transform("first"))
    with pytest.raises(ModelNotIdentifiedError, match=r"within-child design is not identified: no child has "
                                                      r"placements at different distances \((\d[\d,]*|fewer than 5) "
                                                      r"children with a single placement, (\d[\d,]*|fewer than 5) "
                                                      r"with every placement"):
        within_child_effect(one_distance)
    quiet = confounded.assign(missing_incidents=0)
    with pytest.raises(ModelNotIdentifiedError, match="none of the .* children with placements at different "
                                                      "distances had a missing incident"):
        within_child_effect(quiet)


def test_moves_are_classed_and_windows_stay_in_the_two_placements(confounded):
    win, moves = move_windows(confounded)
    n = dict(zip(moves["group"], moves["moves"], strict=True))
    pairs = int((confounded.groupby("child").size() - 1).sum())
    assert sum(n.values()) == pairs  # every move counted, in a class or with the reason it is left out
    assert {"further", "nearer", "same"} <= set(n)
    assert win["days"].between(1, 30).all() and set(win["bin"]) == set(range(-3, 3))
    per_move = win.groupby("move")["incidents"].sum().sum()
    assert per_move <= confounded["missing_incidents"].sum()


def test_event_study_finds_a_rise_after_moving_far():
    res = move_event_study(placements(seed=2, confounder=1.0, after_far=3.0))
    c = res.contrasts.set_index("model_id")
    assert c.loc["move_further_vs_same", "ci_low"] > 1.5
    assert c.loc["move_nearer_vs_same", "ci_low"] < 1 < c.loc["move_nearer_vs_same", "ci_high"]
    assert c.loc["move_same", "ci_low"] < 1 < c.loc["move_same", "ci_high"]
    assert (res.bins["ci_low"] <= res.bins["incidents_per_1000_days"]).all()
    assert set(res.bins["group"]) == {"further", "nearer", "same"}


def test_event_study_needs_far_moves_and_comparison_moves(confounded):
    same = confounded.assign(distance_miles=5.0)
    with pytest.raises(ModelNotIdentifiedError, match="needs moves more than 20 miles further .* 0 further, 0 nearer"):
        move_event_study(same)


def test_design_outputs_are_labelled_and_suppressed(confounded, tmp_path):
    from maps.effect_figures import write_design_outputs

    frame = confounded.copy()
    frame.attrs["synthetic"] = True
    within = within_child_effect(frame)
    within.contributions.loc[1, ["children", "placements", "missing_incidents"]] = [3, 6, 2]  # a small group
    paths = write_design_outputs(within, move_event_study(frame), tmp_path, synthetic=True)
    assert paths and all(p.name.startswith("synthetic_") for p in paths)
    table = pd.read_csv(tmp_path / "tables/synthetic_within_child_contributions.csv")  # DfE's open-data layout
    assert (table["data"].str.startswith("SYNTHETIC")).all()
    assert pd.isna(table.loc[1, "children"]) and table.loc[1, "children_symbol"] == "c"
    assert table["children_symbol"].eq("c").sum() == 2  # the next smallest too: the total is published
    assert pd.api.types.is_numeric_dtype(table["children"])
    rests = pd.read_csv(tmp_path / "tables/synthetic_within_child_who_it_rests_on.csv")
    assert rests["children"].isna().all() and set(rests["children_symbol"]) == {"c"}
    svg = (tmp_path / "figures/synthetic_effect_event_study.svg").read_text()
    assert "SYNTHETIC" in svg and "Crown copyright" in svg
