"""Sufficiency: the confidential homes-list reader, excess distance, summaries and the what-if."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from geo.disclosure import active_method, check_no_small_counts, publish_count
from geo.errors import InputError, MissingColumnsError, ModelNotIdentifiedError

FAKE = Path("care/ssda903/d2i_validator_fake")
NEED_COLUMNS = ["Emotional and behavioural difficulties", "Mental disorders", "Sensory impairment",
                "Present alcohol problems", "Present drug problems", "Learning difficulty", "Physical disabilities"]


def write_workbook(path: Path, rows: list[dict], *, layout: str = "providers", extra_sheet: bool = True) -> Path:
    """An Ofsted provider workbook (ODS) in either layout, from rows of canonical fields."""
    if layout == "providers":
        names = {"urn": "URN", "type": "Provider type", "subtype": "Provider subtype", "status": "Registration status",
                 "code": "Placement code", "la": "Local authority", "postcode": "Setting address postcode",
                 "places": "Number of registered places"}
        sheet = "Providers"
    else:
        names = {"urn": "URN", "type": "Provider Type", "subtype": "Provider Subtype", "status": "Provider Status",
                 "code": "Provider Placement Code", "la": "Local Authority", "postcode": "Setting Address Postcode",
                 "places": "Max Users"}
        sheet = "Provider information"
    table = pd.DataFrame([{names[k]: v for k, v in r.items() if k in names} | {
        c if layout == "providers" else c.title(): r.get("needs", {}).get(c, "No") for c in NEED_COLUMNS}
        for r in rows])
    with pd.ExcelWriter(path, engine="odf") as writer:
        table.to_excel(writer, sheet_name=sheet, index=False)
        if extra_sheet:
            pd.DataFrame({"note": ["other sheet"]}).to_excel(writer, sheet_name="SA Providers", index=False)
    return path


def home(urn: str, postcode: str, places: object = 4, needs: dict | None = None, **kw: object) -> dict:
    return {"urn": urn, "type": "Children's home", "subtype": "Children's home", "status": "Active", "code": "K2",
            "la": "Stockport", "postcode": postcode, "places": places, "needs": needs or {}} | kw


def places_frame(points: list[tuple[float, float]], needs: list[int] | None = None, places: list[float] | None = None):
    from provision.sufficiency import Places

    frame = pd.DataFrame({"easting": [p[0] for p in points], "northing": [p[1] for p in points],
                          "places": places or [4.0] * len(points), "la_code": "E08000007",
                          "needs_mask": pd.array(needs if needs is not None else [pd.NA] * len(points), dtype="Int64"),
                          "postcode_district": "SK4"},
                         index=pd.Index([f"SC{i}" for i in range(len(points))], dtype="string"))
    return Places(frame, "constructed test places", "postcode", confidential=needs is not None)


def placements_frame(homes: list[tuple[float, float]], placed: list[tuple[float, float]], urns: list[str] | None = None,
                     la: str = "E08000007") -> pd.DataFrame:
    return pd.DataFrame({"CHILD": [f"SYN{i}" for i in range(len(homes))], "PLACE": "K2",
                         "home_easting": [h[0] for h in homes], "home_northing": [h[1] for h in homes],
                         "pl_easting": [p[0] for p in placed], "pl_northing": [p[1] for p in placed],
                         "responsible_la": la, "URN": urns or [""] * len(homes)})


@pytest.fixture(scope="module")
def stockport(mirror):
    from provision import placements, synth

    return placements.locate(synth.generate(year=2024, seed=7, las=["356"]).episodes)


@pytest.fixture(scope="module")
def public(mirror):
    from provision.sufficiency import public_places

    return public_places(2024)


@pytest.fixture(scope="module")
def stockport_excess(stockport, public):
    from provision.sufficiency import excess_distance

    return excess_distance(stockport, places=public)


# -- the homes list ------------------------------------------------------------------------------------------
def test_both_fake_ofsted_layouts_are_recognised(mirror):
    from provision.homes_list import read_homes_list, read_provider_rows

    rows, source, layout = read_provider_rows(mirror / FAKE / "ch_fake.xlsx")
    assert source == "ch_fake.xlsx [Provider information]" and "children's homes workbook" in layout
    assert rows.loc[2, ["urn", "postcode", "places", "la"]].tolist() == ["njascn", "bn20 8jx", "-", "East Sussex"]
    rows, source, layout = read_provider_rows(mirror / FAKE / "scp_ch_2025_fake.xlsx")
    assert source == "scp_ch_2025_fake.xlsx [Providers]" and "social care providers workbook" in layout
    assert rows.loc[2, ["urn", "postcode", "places", "need_sensory_impairment"]].tolist() == [1, "RT1 4RT", 10, "Blind"]

    homes = read_homes_list(mirror / FAKE / "ch_fake.xlsx")
    assert list(homes.homes.index) == ["njascn"]
    h = homes.homes.iloc[0]
    assert h["postcode_district"] == "BN20" and h["precision"] == "full" and pd.isna(h["places"])
    assert h["la_code"] == "E10000011"  # East Sussex, from the postcode
    assert homes.quality["reason"].tolist() == ["registered places not given (the home counts, its places do not)"]
    assert "bn20 8jx" not in repr(homes).lower()


def test_workbook_in_neither_layout_is_a_one_line_error(mirror, tmp_path):
    from provision.homes_list import read_homes_list

    with pytest.raises(InputError, match=r"^scp_fake.xlsx: neither an Ofsted children's homes workbook .* its sheets "
                                         r"are 'Current providers', 'Providers closed in 2022-23'$"):
        read_homes_list(mirror / FAKE / "scp_fake.xlsx")
    not_a_book = tmp_path / "homes.xlsx"
    not_a_book.write_text("URN,Postcode\n1,SK4 1AA\n")
    with pytest.raises(InputError, match="homes.xlsx: not a readable workbook"):
        read_homes_list(not_a_book)
    with pytest.raises(InputError, match="file not found"):
        read_homes_list(tmp_path / "nope.xlsx")


def test_a_sheet_without_places_names_the_file_sheet_and_column(tmp_path):
    book = tmp_path / "list.ods"
    with pd.ExcelWriter(book, engine="odf") as writer:
        pd.DataFrame({"URN": ["SC1"], "Provider type": ["Children's home"], "Local authority": ["Stockport"],
                      "Setting address postcode": ["SK4 1AA"]}).to_excel(writer, sheet_name="Providers", index=False)
    with pytest.raises(MissingColumnsError, match=r"list.ods \[Providers\]: missing column\(s\) 'number of "
                                                  r"registered places'"):
        from provision.homes_list import read_homes_list

        read_homes_list(book)


def test_no_children_s_home_at_all_is_an_error(mirror):
    from provision.homes_list import read_homes_list

    with pytest.raises(InputError, match=r"scp_ch_2025_fake.xlsx \[Providers\]: no registered children's home .* "
                                         r"\(1 not a children's home\)"):
        read_homes_list(mirror / FAKE / "scp_ch_2025_fake.xlsx")


@pytest.mark.parametrize("layout", ["providers", "provider information"])
def test_constructed_list_rows_kept_left_out_and_counted(mirror, tmp_path, layout):
    from provision.homes_list import NEEDS, read_homes_list

    rows = [
        home("SC001", "SK4 1QA", 4, {"Emotional and behavioural difficulties": 4, "Learning difficulty": "Yes"}),
        home("SC002", "sk2 6yj", "-", {"Mental disorders": "Yes", "Physical disabilities": "0"}),
        home("SC003", "ZZ99 9ZZ", 2),                              # does not geocode
        home("SC004", "SK4 9ZZ", 3),                               # not a unit: sector centroid
        home("SC001", "SK1 2HA", 5),                               # duplicate URN
        home("SC005", "SK6 5PZ", 6, type="Independent Fostering Agency"),
        home("SC006", "SK7 1RL", 6, subtype="Secure unit", code="K1"),
        home("SC007", "SK8 7RE", 6, status="Closed"),
    ]
    homes = read_homes_list(write_workbook(tmp_path / "homes.ods", rows, layout=layout))
    assert list(homes.homes.index) == ["SC001", "SC002", "SC003", "SC004"]
    assert list(homes.located.index) == ["SC001", "SC002", "SC004"]
    bits = {k: 1 << i for i, k in enumerate(NEEDS)}
    assert homes.homes.loc["SC001", "needs_mask"] == bits["emotional_behavioural"] | bits["learning_difficulty"]
    assert homes.homes.loc["SC002", "needs_mask"] == bits["mental_disorders"]
    assert homes.homes["places"].tolist()[:1] == [4] and pd.isna(homes.homes.loc["SC002", "places"])
    assert homes.homes.loc["SC004", "precision"] == "sector"
    q = homes.quality.set_index("row")
    assert q.loc[4, ["reason", "severity", "value"]].tolist() == ["postcode does not geocode", "error", "ZZ99 ***"]
    assert "sector or district centroid" in q.loc[5, "reason"] and q.loc[5, "value"] == "SK4 ***"
    assert q.loc[6, "reason"] == "duplicate URN (first row kept)"
    assert q.loc[7, "reason"] == "not a children's home" and q.loc[8, "reason"].startswith("secure")
    assert q.loc[9, "reason"] == "not registered"
    assert q.loc[4, "message"] == "homes.ods row 4: postcode 'ZZ99 ***': postcode does not geocode"
    # confidential: no full postcode or sector is kept or shown
    text = homes.homes.to_csv() + homes.quality.to_csv() + repr(homes)
    for r in rows:
        assert r["postcode"].upper() not in text.upper() and r["postcode"].upper()[:-2].strip() + " " not in \
            text.upper().replace("***", "")


def test_no_postcode_that_geocodes_is_an_error(tmp_path):
    from provision.homes_list import read_homes_list

    book = write_workbook(tmp_path / "homes.ods", [home("SC1", "ZZ99 9ZZ"), home("SC2", "")])
    with pytest.raises(InputError, match=r"no registered children's home with a postcode that geocodes among 2 row"
                                         r"\(s\) \(2 postcode does not geocode\)"):
        read_homes_list(book)


# -- excess distance ---------------------------------------------------------------------------------------
def test_constructed_case_excess_is_actual_minus_nearest_exactly(mirror):
    from provision.sufficiency import excess_distance

    home_xy = (400_000.0, 300_000.0)
    places = places_frame([home_xy])
    homes = [(403_000.0, 304_000.0), (406_000.0, 308_000.0), (400_000.0, 300_000.0), (400_000.0, 340_000.0)]
    placed = [(408_000.0, 316_000.0), (406_000.0, 308_000.0), (400_000.0, 300_000.0), (400_000.0, 390_000.0)]
    out = excess_distance(placements_frame(homes, placed), places=places).placements
    np.testing.assert_array_equal(out["nearest_straight_km"], [5.0, 10.0, 0.0, 40.0])
    np.testing.assert_array_equal(out["actual_straight_km"], [13.0, 0.0, 0.0, 50.0])
    np.testing.assert_array_equal(out["excess_straight_km"], out["actual_straight_km"] - out["nearest_straight_km"])
    np.testing.assert_array_equal(out["excess_straight_km"], [8.0, -10.0, 0.0, 10.0])
    assert out["over_20_miles_beyond"].tolist() == [False, False, False, False]
    far = excess_distance(placements_frame([homes[0]], [(403_000.0, 344_000.0)]), places=places).placements
    assert far["excess_straight_km"].iloc[0] == 35.0 and bool(far["over_20_miles_beyond"].iloc[0])  # 21.7 miles


def test_needs_matched_nearest_home(mirror):
    from provision.sufficiency import excess_distance

    ebd, ld = 1, 32
    places = places_frame([(400_000.0, 300_000.0), (410_000.0, 300_000.0)], needs=[ebd, ebd | ld])
    child = (401_000.0, 300_000.0)
    frame = placements_frame([child, child, child, child], [(410_000.0, 300_000.0), (400_000.0, 300_000.0)] * 2,
                             urns=["SC1", "SC0", "SC9", ""])
    out = excess_distance(frame, places=places).placements
    assert out["nearest_straight_km"].tolist() == [1.0] * 4
    assert out["matched_status"].tolist() == ["ok", "ok", "URN not in the homes list", "no URN"]
    assert out["nearest_matched_straight_km"].tolist()[:2] == [9.0, 1.0]  # SC1 needs EBD+LD: only SC1 has both
    assert out["excess_matched_straight_km"].tolist()[:2] == [0.0, 0.0]


def test_no_children_s_home_placement_and_no_place_are_errors(stockport, public):
    from provision.sufficiency import excess_distance

    with pytest.raises(InputError, match=r"placements: no children's-home placement \(PLACE K2\) among"):
        excess_distance(stockport[stockport["PLACE"] != "K2"], places=public)
    with pytest.raises(InputError, match="no children's-home place to measure to"):
        excess_distance(stockport, places=places_frame([(4e5, 3e5)], places=[0.0]))
    with pytest.raises(MissingColumnsError, match="responsible_la"):
        excess_distance(stockport.drop(columns="responsible_la"), places=public)
    with pytest.raises(InputError, match="network must be a loaded RoadNetwork or None, got str 'backbone'"):
        excess_distance(stockport, places=public, network="backbone")  # type: ignore[arg-type]
    with pytest.raises(InputError, match="network must be a loaded RoadNetwork or None, got PosixPath"):
        excess_distance(stockport, places=public, network=Path("rutland.npz"))  # type: ignore[arg-type]


def test_summaries_suppress_counts_and_small_medians(stockport_excess):
    from provision.sufficiency import excess_distance, summarise

    by_la = summarise(stockport_excess)
    row = by_la.loc["E08000007"]
    ok = stockport_excess.placements["status"].eq("ok")
    assert row["placements"] == publish_count(int(ok.sum())) and row["la_name"] == "Stockport"  # as published
    assert row["median_excess_straight_miles"] == pytest.approx(
        stockport_excess.placements.loc[ok, "excess_straight_miles"].median(), abs=0.005)
    over = stockport_excess.placements.loc[ok, "over_20_miles_beyond"].astype(bool)
    if row["over_20_miles_beyond_label"] not in ("fewer than 5", "suppressed"):
        # from the published counts (cell key), to 1 dp: within the perturbation of the exact share
        shown = row["over_20_miles_beyond"] / (row["over_20_miles_beyond"] + row["within_20_miles_beyond"]) * 100
        assert row["pct_over_20_miles_beyond"] == pytest.approx(shown, abs=0.05 + 1e-9)
        assert abs(row["over_20_miles_beyond"] - over.sum()) <= active_method().max_perturbation
    assert "postcode-weighted centroid" in row["rule"] and "straight-line" in row["distance"]
    check_no_small_counts(by_la, count_columns=["placements", "over_20_miles_beyond", "within_20_miles_beyond"])
    assert summarise(stockport_excess, by="region").index.tolist() == ["E12000002"]
    # three placements in one LA: its counts and medians are not published
    small = excess_distance(placements_frame([(4e5, 3e5)] * 3, [(4.1e5, 3e5)] * 3, la="E06000017"),
                            places=places_frame([(4e5, 3.01e5)]))
    t = summarise(small)
    assert t.loc["E06000017", "placements_label"] == "fewer than 5"
    assert t.filter(like="median_").isna().all(axis=None) and pd.isna(t.loc["E06000017", "pct_over_20_miles_beyond"])


def test_public_rules_locate_every_place_inside_england(public, mirror):
    import boundaries
    from provision.homes import read_children_homes
    from provision.sufficiency import public_places

    homes = read_children_homes(2024)
    assert public.points["places"].sum() == homes.loc[homes["la_code"].notna(), "places"].sum()
    assert public.points.index.is_unique and public.geography == "la" and not public.confidential
    las = boundaries.load_las(year=2024)
    import geopandas as gpd

    pts = gpd.GeoSeries(gpd.points_from_xy(public.points["easting"], public.points["northing"]), crs=las.crs,
                        index=public.points.index.astype(str))
    inside = las.geometry.reindex(pts.index).contains(pts, align=True)
    assert inside.mean() > 0.97  # postcodes on the 200 m generalised coast can fall just outside
    sample = public_places(2024, rule="sample", seed=3)
    assert len(sample.points) == len(homes[homes["la_code"].notna()]) and "randomly drawn" in sample.rule
    again = public_places(2024, rule="sample", seed=3)
    assert sample.points[["easting", "northing"]].equals(again.points[["easting", "northing"]])
    with pytest.raises(InputError, match="unknown rule 'nearest'"):
        public_places(2024, rule="nearest")


def test_road_nearest_equals_the_closest_pairwise_road_distance(mirror):
    from distance.network import build_network
    from distance.road import road_distances
    from provision._sufficiency_geo import nearest_by_road
    from provision.sufficiency import excess_distance

    net = build_network(mirror / "roads" / "rutland-2022-07.osm.pbf")
    rng = np.random.default_rng(5)
    nodes = rng.choice(net.n_nodes, 12, replace=False)
    xy = np.c_[net.x[nodes], net.y[nodes]] + 150.0
    places = places_frame([tuple(p) for p in xy[:4]])
    children = xy[4:]
    by_road = nearest_by_road(places.points, children, network=net) / 1000.0
    pairs = pd.DataFrame([{"home_easting": c[0], "home_northing": c[1], "pl_easting": p[0], "pl_northing": p[1],
                           "child": i} for i, c in enumerate(children) for p in xy[:4]])
    brute = road_distances(pairs, network=net).groupby("child")["road_distance_km"].min().to_numpy()
    np.testing.assert_allclose(by_road, brute, rtol=1e-9)
    out = excess_distance(placements_frame([tuple(c) for c in children], [tuple(xy[0])] * 8), places=places,
                          network=net).placements
    np.testing.assert_allclose(out["nearest_road_km"], brute, rtol=1e-9)
    assert (out["nearest_road_km"] >= out["nearest_straight_km"] - 1e-9).all()
    np.testing.assert_allclose(out["excess_road_km"], out["actual_road_km"] - out["nearest_road_km"])


def test_road_excess_is_measured_on_the_network_only(mirror):
    from distance.network import build_network
    from provision._sufficiency_geo import nearest_by_road
    from provision.sufficiency import excess_distance, summarise

    net = build_network(mirror / "roads" / "rutland-2022-07.osm.pbf")
    on = [(float(net.x[i]) + 80.0, float(net.y[i]) - 60.0) for i in (10, 900, 1700)]
    far = (390_000.0, 390_000.0)  # Stockport: tens of km beyond the Rutland extract
    # a child placed beyond the network gets no road excess (not the backbone's distance beside the network's)
    out = excess_distance(placements_frame([on[0], on[1], far], [on[2], far, on[2]]), places=places_frame(on[:2]),
                          network=net)
    assert out.placements["road_status"].tolist() == ["ok", "off_network", "off_network"]
    excess = out.placements["excess_road_km"]
    assert np.isfinite(excess.iloc[0]) and excess.iloc[1:].isna().all()
    q = out.quality.set_index(["stage", "reason"])["rows"]
    assert q[("road", "off_network")] == 2
    assert "length of the quickest route on the given network (typical travel-time profile)" in \
        summarise(out, by="region")["distance"].iloc[0]
    with pytest.raises(ModelNotIdentifiedError, match="no children's-home place lies within 2,000 m of the road"):
        nearest_by_road(places_frame([far]).points, np.array([on[0]]), network=net)


# -- the what-if ----------------------------------------------------------------------------------------
def test_whatif_with_no_places_changes_nothing(stockport_excess):
    from provision.whatif import added_places, whatif

    rows = added_places(stockport_excess, la="356", add_places=0)
    np.testing.assert_array_equal(rows["nearest_after_km"], rows["nearest_before_km"])
    np.testing.assert_array_equal(rows["placed_after_km"], rows["placed_before_km"])
    assert not rows["allocated"].any()
    t = whatif(stockport_excess, la="356", add_places=0).table
    assert t.loc["change", "median_nearest_place_miles"] == 0 and t.loc["change", "median_placement_miles"] == 0
    assert t.loc["before"].drop("within_20_miles_label").equals(t.loc["after"].drop("within_20_miles_label"))


def test_whatif_states_its_assumption_and_suppresses_counts(stockport_excess):
    from provision.whatif import whatif

    result = whatif(stockport_excess, la="Stockport", add_places=4, at="SK4 1", synthetic=True)
    text = result.summary()
    assert text.startswith("SYNTHETIC: 4 more place(s) at postcode sector SK4 1 (Stockport)")
    assert "nearest to them first" in text and "ignoring matching of needs" in text and "straight-line" in text
    t = result.table
    gained = t.loc["change", "within_20_miles"]
    assert pd.isna(gained) or gained == 0 or gained >= 5
    shown = t["within_20_miles"].dropna()
    assert ((shown == 0) | (shown >= 5)).all()
    if t["within_20_miles"].notna().all():  # before + change = after, so all three are shown only together
        assert t.loc["before", "within_20_miles"] + gained == t.loc["after", "within_20_miles"]


@pytest.fixture(scope="module")
def stockport_sectors(mirror):
    from geo.postcodes import load_sectors

    s = load_sectors()
    return sorted(s.index[(s["ctyua_code_2024"] == "E08000007").to_numpy()])


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(n=st.integers(0, 60), pick=st.integers(0, 10_000), at_la=st.booleans())
def test_adding_places_in_the_child_s_own_la_never_increases_a_distance(stockport_excess, stockport_sectors, n,
                                                                        pick, at_la):
    from provision.whatif import added_places

    at = None if at_la else stockport_sectors[pick % len(stockport_sectors)]
    rows = added_places(stockport_excess, la="E08000007", add_places=n, at=at)
    assert (rows["nearest_after_km"] <= rows["nearest_before_km"]).all()
    assert (rows["placed_after_km"] <= rows["placed_before_km"]).all()
    assert rows["allocated"].sum() <= n


def test_whatif_bad_places_and_places_outside_england(stockport_excess):
    from provision.whatif import added_places

    with pytest.raises(InputError, match=r"--at 'CF10 1': postcode sector 'CF10 1' is in Wales, not England"):
        added_places(stockport_excess, la="356", add_places=2, at="CF10 1")
    with pytest.raises(InputError, match=r"--at 'Cardiff': not an English LA nor a postcode sector in England"):
        added_places(stockport_excess, la="356", add_places=2, at="Cardiff")
    with pytest.raises(InputError, match=r"--at 'ZZ9 9': postcode sector 'ZZ9 9' is not in Code-Point Open"):
        added_places(stockport_excess, la="356", add_places=2, at="ZZ9 9")
    with pytest.raises(InputError, match="--add-places must be a whole number of places, 0 or more; got -1"):
        added_places(stockport_excess, la="356", add_places=-1)
    with pytest.raises(InputError, match=r"no children's-home \(K2\) placement with both points located for LA "
                                         "E08000003"):
        added_places(stockport_excess, la="Manchester", add_places=2)
