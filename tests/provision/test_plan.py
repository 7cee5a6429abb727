"""The sufficiency planner: the shared assignment model, the siting solver, the plan on real geography, bad input."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from geo.disclosure import active_method, check_no_small_counts, publish_count
from geo.errors import InputError

FINER_THAN_DISTRICT = re.compile(r"\b[A-Z]{1,2}[0-9][A-Z0-9]? [0-9]\b|\b[A-Z]{1,2}[0-9][A-Z0-9]? ?[0-9][A-Z]{2}\b")
"""A postcode sector or unit postcode (``SK4 1``, ``SK4 1AB``): nothing in an output may match it."""
FAR_HOME = (430_000.0, 433_000.0)  # an existing children's home near Leeds, far from Greater Manchester


# -- the assignment model ------------------------------------------------------------------------------
def test_assign_respects_capacity_order_registration_and_never_lengthens_a_placement():
    from provision.plan_model import assign

    current = np.array([50.0, 40.0, 30.0, 5.0])
    sites = np.array([[10.0, 20.0], [12.0, 25.0], [1.0, 26.0], [9.0, 1.0]])
    # nearest first: child 2 (1 km) takes site 0's only place, then child 3 (1 km to site 1), then child 0 (20 km)
    assert assign(current, sites, np.array([1, 2]), order="nearest").tolist() == [1, -1, 0, 1]
    # farthest first: child 0 (50 km today) takes site 0, child 1 has only site 1 left, child 2 site 1
    assert assign(current, sites, np.array([1, 2]), order="farthest").tolist() == [0, 1, 1, -1]
    # child 3 (5 km today) never moves to a place farther away; nobody moves with no places
    assert (assign(current, sites, np.array([0, 0])) == -1).all()
    # a site registered for need 1 only cannot take a child with need 2
    out = assign(current, sites, np.array([4, 4]), child_needs=np.array([2, 0, 0, 0]),
                 site_registration=np.array([1, -1]))
    assert out[0] == 1


def test_assign_refuses_bad_arguments():
    from provision.plan_model import assign

    with pytest.raises(InputError, match="unknown order 'random'; expected one of nearest, farthest, gain, given"):
        assign(np.ones(2), np.ones((2, 1)), np.array([1]), order="random")
    with pytest.raises(InputError, match="site distances have 1 column"):
        assign(np.ones(2), np.ones((2, 1)), np.array([1, 1]))
    with pytest.raises(InputError, match="capacities must be whole numbers 0 or more; got -1"):
        assign(np.ones(2), np.ones((2, 1)), np.array([-1]))


def test_whatif_uses_the_shared_model(mirror):
    """The what-if's allocation equals the shared model with one site (nearest children first)."""
    from provision import placements, synth
    from provision.plan_model import assign
    from provision.sufficiency import excess_distance, public_places
    from provision.whatif import added_places

    located = placements.locate(synth.generate(year=2024, seed=3, las=["356"]).episodes)
    excess = excess_distance(located, places=public_places(2024))
    rows = added_places(excess, la="356", add_places=6, at="SK4 1")
    model = assign(rows["placed_before_km"].to_numpy(float),
                   np.hypot(*(excess.placements.loc[rows.index, ["home_easting", "home_northing"]].to_numpy(float)
                              - np.asarray(rows.attrs["point"])).T)[:, None] / 1000.0, np.array([6]))
    assert rows["allocated"].tolist() == (model == 0).tolist()
    assert rows["allocated"].sum() == 6
    far = added_places(excess, la="356", add_places=6, at="SK4 1", order="farthest")
    assert far["allocated"].sum() == 6
    assert far.loc[far["allocated"], "placed_before_km"].min() >= rows.loc[~far["allocated"] & rows["allocated"],
                                                                           "placed_before_km"].max()


# -- the solver -------------------------------------------------------------------------------------------
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(0, 10_000), st.integers(1, 6), st.integers(1, 3))
def test_more_places_never_increase_total_excess_and_greedy_stays_within_the_bound(seed, places, homes):
    from provision.plan import gains
    from provision.plan_model import assign
    from provision.plan_solve import solve

    rng = np.random.default_rng(seed)
    current = rng.uniform(1, 80, 25)
    dist = rng.uniform(0, 80, (25, 8))
    g = gains(current, dist)
    previous = 0.0
    for n in range(1, places + 1):
        sol = solve(g, add_places=n, homes=min(homes, n), method="mip")
        assert sol.places.sum() == n and (sol.places > 0).sum() <= min(homes, n)
        assert sol.greedy_objective <= sol.bound + 1e-6 and sol.objective <= sol.bound + 1e-6
        assert sol.objective >= previous - 1e-6  # the optimum never falls as places are added
        previous = sol.objective
        open_ = np.flatnonzero(sol.places)
        taken = assign(current, dist[:, open_], sol.places[open_], order="gain")
        after = np.where(taken >= 0, dist[np.arange(25), open_[np.maximum(taken, 0)]], current)
        assert (after <= current).all()


def test_solver_refuses_impossible_plans():
    from provision.plan_solve import solve

    g = np.ones((4, 2))
    with pytest.raises(InputError, match="--add-places must be at least 1; got 0"):
        solve(g, add_places=0, homes=1)
    with pytest.raises(InputError, match="--homes 3: more homes than the 2 candidate site"):
        solve(g, add_places=5, homes=3)
    with pytest.raises(InputError, match=r"--homes must be between 1 and the places added \(2\); got 3"):
        solve(g, add_places=2, homes=3)
    with pytest.raises(InputError, match="unknown method 'cplex'"):
        solve(g, add_places=2, homes=1, method="cplex")


# -- the plan on real geography --------------------------------------------------------------------------
@pytest.fixture(scope="module")
def manchester_group(mirror):
    from provision.plan_sites import plan_group

    return plan_group(["Stockport", "Manchester"])


def _district(code: str) -> tuple[float, float]:
    from geo.postcodes import load_districts

    row = load_districts().loc[code]
    return float(row["easting"]), float(row["northing"])


def _far_places():
    from provision.sufficiency import Places

    frame = pd.DataFrame({"easting": [FAR_HOME[0]], "northing": [FAR_HOME[1]], "places": [4.0],
                          "la_code": ["E08000035"], "needs_mask": pd.array([pd.NA], dtype="Int64")},
                         index=pd.Index(["far"], dtype="string"))
    return Places(frame, "one constructed home near Leeds", "postcode")


def _cluster_children(centres: list[tuple[float, float]], per: int, seed: int = 1) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    homes = np.vstack([np.asarray(c) + rng.uniform(-800, 800, (per, 2)) for c in centres])
    n = len(homes)
    return pd.DataFrame({"CHILD": [f"SYN{i}" for i in range(n)], "PLACE": "K2", "DECOM": "2023-06-01",
                         "home_easting": homes[:, 0], "home_northing": homes[:, 1],
                         "pl_easting": FAR_HOME[0], "pl_northing": FAR_HOME[1],
                         "responsible_la": np.where(np.arange(n) < per, "E08000007", "E08000003"),
                         "pl_la": "E08000035"})


def test_two_clusters_get_the_new_places(manchester_group):
    """Children in two clusters, the only home far away: the plan opens one home at each cluster."""
    from provision.plan import plan_places
    from provision.plan_sites import Candidates

    names = ["SK4", "M8", "SK12", "M22", "M1"]
    xy = np.array([_district(d) for d in names])
    cands = Candidates(pd.DataFrame({"easting": xy[:, 0], "northing": xy[:, 1],
                                     "la_code": ["E08000007", "E08000003", "E08000007", "E08000003", "E08000003"],
                                     "postcode_district": names}, index=pd.Index(names, name="site")), "constructed")
    located = _cluster_children([_district("SK4"), _district("M8")], per=6)
    plan = plan_places(located, places=_far_places(), group=manchester_group, add_places=12, homes=2,
                       candidates=cands, resamples=3, synthetic=True)
    assert set(plan.sites["postcode_district"]) == {"SK4", "M8"}
    assert plan.sites.set_index("postcode_district")["places"].to_dict() == {"SK4": 6, "M8": 6}
    assert plan.summary.loc["after", "total_excess_miles"] < plan.summary.loc["before", "total_excess_miles"]
    assert plan.summary.loc["after", "over_20_miles"] == 0  # every child comes home from Leeds
    assert plan.solver.loc[0, "gap_pct"] == pytest.approx(0.0, abs=1e-6)
    assert plan.sensitivity.loc[["SK4", "M8"], "pct_resamples"].min() > 0
    over = plan_places(located, places=_far_places(), group=manchester_group, add_places=12, homes=2,
                       candidates=cands, objective="over-20-miles", resamples=0)
    assert over.solver.loc[0, "objective_value"] == 12  # any site within 20 miles of both clusters will do
    assert over.summary.loc["after", "over_20_miles"] == 0


@pytest.fixture(scope="module")
def stockport_plan(mirror, manchester_group):
    from provision import placements, synth
    from provision.plan import plan_places
    from provision.sufficiency import public_places

    located = placements.locate(synth.generate(year=2024, seed=7, las=list(manchester_group.codes)).episodes)
    return plan_places(located, places=public_places(2024), group=manchester_group, add_places=10, homes=3,
                       resamples=3, synthetic=True)


def test_plan_on_synthetic_children_never_increases_excess_and_greedy_is_within_the_bound(stockport_plan):
    plan = stockport_plan
    s = plan.summary
    assert s.loc["change", "total_excess_miles"] < 0
    assert plan.sites["places"].sum() == 10 and len(plan.sites) <= 3
    curve = plan.curve["reduction_excess_miles"].dropna()
    assert len(curve) and (curve >= 0).all()  # whatever the number of places, total excess never rises
    solver = plan.solver.iloc[0]
    assert solver["greedy_objective_value"] <= solver["bound"] + 1e-6
    assert solver["objective_value"] <= solver["bound"] + 1e-6
    assert 0 <= solver["greedy_gap_pct"] < 100
    parts = plan.flows.drop(index="group")["children"]  # each count perturbed on its own (cell key): at most
    spread = active_method().max_perturbation * (len(parts) + 1)  # this far from adding up
    assert abs(plan.flows.loc["group", "children"] - parts.sum()) <= spread


def test_plan_outputs_show_no_site_finer_than_a_district_and_no_child(stockport_plan, tmp_path):
    import boundaries
    from maps.interactive import render_html
    from maps.plan_map import plan_map

    plan = stockport_plan
    for name, table in plan.tables().items():
        text = table.reset_index().to_csv(index=False)
        assert not FINER_THAN_DISTRICT.search(text), name
        assert "SYN" not in text.replace("SYNTHETIC", ""), name
        assert (table["data"] == "SYNTHETIC").all() and table["distance"].str.contains("straight-line").all()
    check_no_small_counts(plan.sites, count_columns=["children_served"], source="plan sites")
    check_no_small_counts(plan.flows, count_columns=["within_group_before", "out_of_group_before",
                                                     "moved_into_group", "within_group_after",
                                                     "out_of_group_after"], source="plan flows")
    hidden = plan.sites["children_served"].isna() | (plan.sites["children_served"] < 5)
    assert plan.sites.loc[hidden, "reduction_excess_miles"].isna().all()
    from geo.postcodes import load_districts

    assert plan.sites["postcode_district"].isin(load_districts().index).all()
    page = render_html(plan_map(plan, las=boundaries.load_las()), inline_assets=True)
    assert "SYNTHETIC" in page and "straight-line" in page
    assert not FINER_THAN_DISTRICT.search(re.sub(r"<script>.*?</script>", "", page, flags=re.S))
    for d in plan.sites["postcode_district"]:
        assert d in page


# -- bad input ---------------------------------------------------------------------------------------------
def test_candidate_file_outside_the_area_is_listed_and_counted(manchester_group, tmp_path):
    from provision.plan_sites import candidate_sites

    path = tmp_path / "land.csv"
    pd.DataFrame({"postcode": ["SK4 1AA", "M14 5", "LS1 4", "CF10 1", "SK4"]}).to_csv(path, index=False)
    cands = candidate_sites(manchester_group, candidates=path)
    assert len(cands.sites) == 3
    assert cands.outside["row"].tolist() == [4, 5]
    assert cands.outside["postcode_district"].tolist() == ["LS1", "CF10"]
    note = cands.notes()[0]
    assert note.startswith("candidates outside the group's area: 2 of land.csv not used: row 4 (LS1, E08000035)")
    assert set(cands.sites["postcode_district"]) == {"SK4", "M14"}


def test_bad_candidate_files_are_one_line_errors(manchester_group, tmp_path):
    from provision.plan_sites import candidate_sites

    bad = tmp_path / "bad.csv"
    pd.DataFrame({"postcode": ["SK4 1AA", "not a postcode"]}).to_csv(bad, index=False)
    with pytest.raises(InputError, match=r"bad.csv row 3: postcode 'not a postcode' is not a valid postcode"):
        candidate_sites(manchester_group, candidates=bad)
    unknown = tmp_path / "unknown.csv"
    pd.DataFrame({"postcode": ["ZZ9 9ZZ"]}).to_csv(unknown, index=False)
    with pytest.raises(InputError, match=r"unknown.csv row 2: postcode 'ZZ9 9ZZ' is not in Code-Point Open"):
        candidate_sites(manchester_group, candidates=unknown)
    nocol = tmp_path / "nocol.csv"
    pd.DataFrame({"site": ["SK4 1AA"]}).to_csv(nocol, index=False)
    with pytest.raises(InputError, match="nocol.csv: no 'postcode' column; columns are site"):
        candidate_sites(manchester_group, candidates=nocol)
    outside = tmp_path / "outside.csv"
    pd.DataFrame({"postcode": ["LS1 4"]}).to_csv(outside, index=False)
    with pytest.raises(InputError, match="outside.csv: none of its 1 candidate"):
        candidate_sites(manchester_group, candidates=outside)
    with pytest.raises(InputError, match="expected 'sectors', 'districts' or a CSV file; file not found"):
        candidate_sites(manchester_group, candidates=tmp_path / "missing.csv")


def test_more_homes_than_candidates_and_zero_places_are_errors(manchester_group, tmp_path):
    from provision.plan import plan_places
    from provision.plan_sites import candidate_sites

    path = tmp_path / "two.csv"
    pd.DataFrame({"postcode": ["SK4 1AA", "M14 5"]}).to_csv(path, index=False)
    cands = candidate_sites(manchester_group, candidates=path)
    located = _cluster_children([_district("SK4")], per=6)
    with pytest.raises(InputError, match=r"--homes 3: more homes than the 2 candidate site\(s\) in Stockport"):
        plan_places(located, places=_far_places(), group=manchester_group, add_places=6, homes=3, candidates=cands)
    with pytest.raises(InputError, match="--add-places must be a whole number of places, at least 1; got 0"):
        plan_places(located, places=_far_places(), group=manchester_group, add_places=0, candidates=cands)
    with pytest.raises(InputError, match="unknown objective 'distance'"):
        plan_places(located, places=_far_places(), group=manchester_group, add_places=2, candidates=cands,
                    objective="distance")
    with pytest.raises(InputError, match="network must be a loaded RoadNetwork or None, got str"):
        plan_places(located, places=_far_places(), group=manchester_group, add_places=2, candidates=cands,
                    network="backbone")  # type: ignore[arg-type]


def test_non_neighbour_las_are_allowed_and_noted(mirror):
    from provision.plan_sites import plan_group

    group = plan_group(["Stockport", "Cornwall", "Manchester"])
    assert group.codes == ("E08000007", "E06000052", "E08000003")
    assert group.notes == ("not neighbours: Cornwall border(s) no other LA of the group (allowed: the plan treats "
                           "the group as one area)",)
    assert plan_group(["Stockport", "Manchester"]).notes == ()
    region = plan_group(region="north-west")
    assert len(region.codes) == 24 and region.label == "North West (24 LAs)"
    with pytest.raises(InputError, match="--region 'north-by-northwest': not an English region; expected one of"):
        plan_group(region="north-by-northwest")
    with pytest.raises(InputError, match="give at least one --la or a --region"):
        plan_group([])


def test_road_distance_matrix_equals_pairwise_road_distances(mirror):
    from distance.network import build_network
    from distance.road import road_distances
    from provision.plan import site_distance_matrix

    net = build_network(mirror / "roads" / "rutland-2022-07.osm.pbf")
    rng = np.random.default_rng(2)
    nodes = rng.choice(net.n_nodes, 9, replace=False)
    xy = np.c_[net.x[nodes], net.y[nodes]] + 120.0
    homes, sites = xy[:6], xy[6:]
    matrix = site_distance_matrix(homes, sites, network=net)
    pairs = pd.DataFrame([{"home_easting": h[0], "home_northing": h[1], "pl_easting": s[0], "pl_northing": s[1]}
                          for h in homes for s in sites])
    brute = road_distances(pairs, network=net)["road_distance_km"].to_numpy().reshape(6, 3)
    np.testing.assert_allclose(matrix, brute, rtol=1e-9)
    assert (matrix >= site_distance_matrix(homes, sites) - 1e-9).all()  # road ≥ straight-line


def test_cli_plan_writes_tables_and_map(mirror, tmp_path):
    from typer.testing import CliRunner

    from geo.cli import app

    out = tmp_path / "plan"
    result = CliRunner().invoke(app, ["sufficiency", "plan", "--la", "Stockport", "--add-places", "4",
                                      "--resamples", "2", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "SYNTHETIC" in result.output and "straight-line" in result.output
    for name in ("sites", "summary", "curve", "sensitivity", "flows", "solver", "quality", "notes"):
        table = pd.read_csv(out / f"plan_{name}.csv")
        assert (table["data"] == "SYNTHETIC").all()
    assert (out / "plan_map.html").is_file()
    bad = CliRunner().invoke(app, ["sufficiency", "plan", "--la", "Stockport", "--add-places", "0", "--out",
                                   str(out)])
    assert bad.exit_code != 0
    assert "--add-places must be a whole number of places, at least 1; got 0" in bad.output


def test_plan_by_road_says_so_everywhere(mirror):
    """With a loaded network every distance is by road: the clustered children get the site beside them."""
    from distance.network import build_network
    from provision.plan import plan_places
    from provision.plan_sites import Candidates, plan_group
    from provision.sufficiency import Places

    net = build_network(mirror / "roads" / "rutland-2022-07.osm.pbf")
    west, east = int(np.argmin(net.x)), int(np.argmax(net.x))
    home_xy = (float(net.x[east]), float(net.y[east]))
    near_west = np.argsort(np.hypot(net.x - net.x[west], net.y - net.y[west]))[:8]  # the 8 westernmost nodes
    places = Places(pd.DataFrame({"easting": [home_xy[0]], "northing": [home_xy[1]], "places": [4.0],
                                  "la_code": ["E06000017"], "needs_mask": pd.array([pd.NA], dtype="Int64")},
                                 index=pd.Index(["east"], dtype="string")), "one constructed home", "postcode")
    located = pd.DataFrame({"CHILD": [f"SYN{i}" for i in range(len(near_west))], "PLACE": "K2",
                            "DECOM": "2023-06-01", "home_easting": net.x[near_west], "home_northing": net.y[near_west],
                            "pl_easting": home_xy[0], "pl_northing": home_xy[1], "responsible_la": "E06000017",
                            "pl_la": "E06000017"})
    sites = pd.DataFrame({"easting": [net.x[west], net.x[east]], "northing": [net.y[west], net.y[east]],
                          "la_code": "E06000017", "postcode_district": ["LE15", "PE9"]},
                         index=pd.Index(["west", "east"], name="site"))
    plan = plan_places(located, places=places, group=plan_group(["Rutland"]), add_places=8, homes=1,
                       candidates=Candidates(sites, "constructed"), network=net, resamples=0, synthetic=True)
    assert plan.distance == "road"
    assert plan.sites["postcode_district"].tolist() == ["LE15"]
    assert all(t["distance"].str.startswith("road distance").all() for t in plan.tables().values())
    assert plan.notes[1].startswith("Distances: road distance (length of the quickest route on the given network, "
                                    "typical travel-time profile), miles")
    assert plan.summary.loc["change", "total_excess_miles"] < 0
    assert plan.summary.loc["after", "children"] == publish_count(8)  # as published (cell key)


def test_plan_report_falls_back_to_straight_line_when_no_place_is_on_the_network(mirror):
    import boundaries
    from distance.network import build_network
    from maps.plan_map import plan_report
    from provision import placements, synth

    net = build_network(mirror / "roads" / "rutland-2022-07.osm.pbf")
    located = placements.locate(synth.generate(year=2024, seed=7, las=["Rutland"]).episodes)
    rep = plan_report(located, focus_la="Rutland", las=boundaries.load_las(), network=net, add_places=2,
                      resamples=0)
    assert rep.notes[0].startswith("Plan by road not possible: no children's-home place lies within 2,000 m")
    assert rep.plan.distance == "straight-line"
    assert set(rep.tables()) >= {"plan_sites", "plan_summary", "plan_curve", "plan_flows"}
    assert "SYNTHETIC" in rep.map.get_root().render()


def test_cli_whatif_takes_the_order_of_the_shared_model(mirror):
    from typer.testing import CliRunner

    from geo.cli import app

    result = CliRunner().invoke(app, ["sufficiency", "whatif", "--la", "Stockport", "--add-places", "4", "--at",
                                      "SK4 1", "--order", "farthest"])
    assert result.exit_code == 0, result.output
    assert "children placed farthest from home today choose first" in result.output.replace("\n", " ")


def test_many_sites_use_a_shortlist_mip_that_never_does_worse_than_the_greedy():
    from provision.plan_solve import SHORTLIST_SITES, solve

    rng = np.random.default_rng(4)
    n_sites = SHORTLIST_SITES + 150
    g = np.maximum(rng.normal(0, 10, (120, n_sites)), 0)
    sol = solve(g, add_places=12, homes=3, time_limit_s=10)
    assert sol.places.sum() == 12 and (sol.places > 0).sum() <= 3
    assert "MIP on the" in sol.status and "most promising sites" in sol.status
    assert sol.greedy_objective <= sol.objective <= sol.bound + 1e-6
    greedy_only = solve(g, add_places=12, homes=3, method="greedy")
    assert greedy_only.method == "greedy" and greedy_only.objective == pytest.approx(sol.greedy_objective)
