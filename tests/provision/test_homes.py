"""Tests for provision.homes: Ofsted children's homes supply by LA, region and sector, on the real lists."""

from __future__ import annotations

import pandas as pd
import pytest

from geo.errors import InputError, MissingColumnsError, UnknownAreaCodeError
from provision import homes


@pytest.fixture(scope="module")
def supply_2018(mirror):
    return homes.supply_by_la(2018)


def test_2018_totals_equal_ofsted_published(supply_2018):
    assert int(supply_2018["homes"].sum()) == 2124
    assert int(supply_2018["places"].sum()) == 9430
    assert "provider_at_march_2018_part2.csv" in supply_2018.attrs["source"]


def test_every_2024_la_present_and_integer(supply_2018):
    assert len(supply_2018) == 153
    assert supply_2018.index.name == "la_code"
    assert supply_2018.index.is_unique
    for col in ["homes", "places", "homes_private", "homes_local_authority", "homes_voluntary",
                "places_private", "places_local_authority", "places_voluntary"]:
        assert str(supply_2018[col].dtype) == "Int64", col
    # sectors add up to the totals (Health Authority is in *_other)
    sectors = supply_2018[["homes_private", "homes_local_authority", "homes_voluntary", "homes_other"]].sum(axis=1)
    assert (sectors == supply_2018["homes"]).all()
    assert (supply_2018["homes"] == 0).sum() > 0  # some LAs (e.g. City of London) truly have none
    assert supply_2018.loc["E09000001", "homes"] == 0


def test_2018_inquiry_shares(supply_2018):
    by_region = supply_2018.groupby("region_name")["homes"].sum()
    share = by_region / by_region.sum() * 100
    assert share[["North West", "West Midlands", "South East"]].sum() == pytest.approx(54.5, abs=0.1)
    assert share["London"] == pytest.approx(5.3, abs=0.1)
    assert supply_2018["homes_private"].sum() / 2124 * 100 == pytest.approx(73.5, abs=0.1)


@pytest.mark.parametrize("year", [2014, 2015, 2016, 2017, 2019, 2020, 2021, 2022, 2024])
def test_every_year_has_153_las(mirror, year):
    s = homes.supply_by_la(year)
    assert len(s) == 153
    unresolved = s["supply_status"] != "ok"
    if year <= 2016:  # Cumbria, Northamptonshire and Dorset county cannot be split without constituencies
        assert set(s.index[unresolved]) == {"E06000058", "E06000059", "E06000061", "E06000062",
                                            "E06000063", "E06000064"}
        assert s.loc[unresolved, "homes"].isna().all()
    else:
        assert not unresolved.any()
        assert int(s["homes"].sum()) == s.attrs["england_homes"]
    if year == 2015:
        assert s["places"].isna().all()  # 2015 publishes no places
    else:
        assert s["places"].notna().sum() >= 147


def test_complete_lists_match_published_totals(mirror):
    """2021-2023 and 2025 equal Ofsted's national time series (2021/2022 CSVs happen to be complete)."""
    published = {2021: (2624, 10708), 2022: (2798, 11095), 2023: (3050, 11857), 2025: (3946, 14275)}
    for year, (n_homes, n_places) in published.items():
        s = homes.supply_by_la(year)
        assert (int(s["homes"].sum()), int(s["places"].sum())) == (n_homes, n_places), year


def test_split_predecessor_placed_by_constituency(mirror):
    h = homes.read_children_homes(2021)  # still 'Northamptonshire' at 31 March 2021
    nh = h[h["la_name_ofsted"] == "Northamptonshire"]
    assert len(nh) == 46
    assert set(nh["la_code"]) == {"E06000061", "E06000062"}
    assert (nh["la_code_status"] == "split: by constituency").all()


def test_read_children_homes_columns(mirror):
    h = homes.read_children_homes(2018)
    assert len(h) == 2124
    assert {"urn", "la_code", "region_code", "sector", "places"} <= set(h.columns)
    assert h["urn"].is_unique
    assert set(h["sector"]) == {"private", "local_authority", "voluntary", "health_authority"}


def test_unknown_year_lists_available():
    with pytest.raises(InputError, match=r"no Ofsted provider list for year 2013; available years: 2014–2025"):
        homes.supply_by_la(2013)


def test_malformed_copy_names_file_and_missing_columns(mirror, tmp_path):
    from geo.catalogue import data_path

    raw = pd.read_csv(data_path("care/ofsted/provider_at_march_2018_part2.csv"), dtype=str, encoding="utf-8-sig")
    bad = tmp_path / "broken_2018.csv"
    raw.drop(columns=["Places", "Sector"]).to_csv(bad, index=False)
    with pytest.raises(MissingColumnsError, match=r"broken_2018.csv: missing column\(s\) 'Sector', 'Places'"):
        homes.read_children_homes(2018, path=bad)


def test_unmatched_la_name_is_listed(mirror, tmp_path):
    from geo.catalogue import data_path

    raw = pd.read_csv(data_path("care/ofsted/provider_at_march_2018_part2.csv"), dtype=str, encoding="utf-8-sig")
    raw.loc[raw["Local authority"] == "Rutland", "Local authority"] = "Atlantis"
    bad = tmp_path / "renamed.csv"
    raw.to_csv(bad, index=False)
    with pytest.raises(UnknownAreaCodeError, match=r"renamed.csv: 1 local authority name.*'Atlantis'"):
        homes.supply_by_la(2018, path=bad)


def test_bad_places_value_names_row_and_value(mirror, tmp_path):
    from geo.catalogue import data_path

    raw = pd.read_csv(data_path("care/ofsted/provider_at_march_2018_part2.csv"), dtype=str, encoding="utf-8-sig")
    first = raw.index[(raw["Provision type"] == "Children's home")][0]
    raw.loc[first, "Places"] = "six"
    bad = tmp_path / "places.csv"
    raw.to_csv(bad, index=False)
    with pytest.raises(InputError, match=rf"places.csv row {first + 2}: Places 'six' is not a whole number"):
        homes.read_children_homes(2018, path=bad)


def test_published_totals_and_coverage(mirror):
    pub = homes.published_national_totals()
    assert pub.loc[2018, "homes"] == 2124 and pub.loc[2018, "places"] == 9430
    assert pub.loc[2025, "homes"] == 3946
    assert list(pub.index) == list(range(2012, 2026))
    s = homes.supply_by_la(2024)  # provider-level list: undercounts, and says so
    assert s.attrs["published_england_homes"] == 3423
    assert s.attrs["england_homes"] < s.attrs["published_england_homes"]
    assert not s.attrs["complete_list"]


# -- a new year is a catalogue row ----------------------------------------------------------------------------


@pytest.fixture
def ofsted_2026(mirror, tmp_path, monkeypatch):
    """Register a fake Ofsted list at 31 March 2026 (the 2025 provider-level CSV less one home) as a catalogue row.

    A temporary mirror links every file of the real one and adds the new file; the catalogue gets the row the
    publisher's new file would get. No code is changed. Returns the number of registered children's homes in it.
    """
    import dataclasses
    import hashlib

    from geo import catalogue

    root = tmp_path / "mirror"
    ofsted = root / "care" / "ofsted"
    ofsted.mkdir(parents=True)
    for item in mirror.iterdir():
        if item.name != "care":
            (root / item.name).symlink_to(item)
    for item in (mirror / "care").iterdir():
        if item.name != "ofsted":
            (root / "care" / item.name).symlink_to(item)
    for item in (mirror / "care" / "ofsted").iterdir():
        (ofsted / item.name).symlink_to(item)
    lines = (mirror / "care" / "ofsted" / "provider_at_march_2025.csv").read_text(encoding="utf-8-sig").splitlines()
    lines[0] = lines[0].replace("2025", "2026")
    first_home = next(i for i, line in enumerate(lines) if ",Children's home," in line and ",Active," in line)
    del lines[first_home]
    new = ofsted / "provider_at_march_2026.csv"
    new.write_text("\ufeff" + "\n".join(lines) + "\n", encoding="utf-8")
    raw = pd.read_csv(new, skiprows=3, dtype=str)
    expected = int((raw["Provision type"].str.strip().str.lower().eq("children's home")
                    & raw["Registration status"].str.strip().str.lower().isin(homes.REGISTERED_STATUSES)).sum())

    listed = catalogue.all_datasets()
    row = dataclasses.replace(listed["provider_at_march_2025"].first, name="provider_at_march_2026",
                              path="care/ofsted/provider_at_march_2026.csv",
                              sha256=hashlib.sha256(new.read_bytes()).hexdigest(), bytes=new.stat().st_size,
                              vintage="2026", url="", source="test: the 2025 list less one home")
    with_2026 = {**listed, row.name: catalogue.Dataset(row.name, (row,))}
    monkeypatch.setattr(catalogue, "all_datasets", lambda: with_2026)
    monkeypatch.setenv("FARFROMHOME_MIRROR", str(root))
    catalogue.configure(mirror=root)
    return expected


def test_new_ofsted_year_is_read_from_its_catalogue_row(ofsted_2026):
    from geo import years

    assert homes.YEARS[-1] == 2026 and years.latest("ofsted_providers") == 2026
    assert homes.source_for(2026)["file"] == "care/ofsted/provider_at_march_2026.csv"
    listed = homes.read_children_homes(2026)
    assert len(listed) == ofsted_2026
    assert listed["la_code"].notna().all()  # 2026's LA names resolve (against the latest boundaries)
    totals = homes.published_totals(2026, homes_list=listed)
    assert totals.homes is None and "no national total for 2026" in totals.describe_gap()


def test_supply_and_trends_commands_pick_up_the_new_year(ofsted_2026, tmp_path):
    from typer.testing import CliRunner

    from geo.cli import app
    from provision import trends

    runner = CliRunner()
    out = tmp_path / "supply.csv"
    result = runner.invoke(app, ["supply", "--out", str(out)], env={"COLUMNS": "200"})  # default: the latest
    assert result.exit_code == 0, result.output
    table = pd.read_csv(out, index_col="area_code")
    assert table.loc["E92000001", "homes"] == ofsted_2026
    assert "provider_at_march_2026.csv" in result.output

    assert trends.YEARS[-1] == 2026
    assert "ofsted_2026" in trends.SOURCE_KEYS
    t = trends.trends(2025, 2026, "national", ["homes_in_list"])
    assert t.set_index("time_period").loc[2026, "value"] == ofsted_2026
    out = tmp_path / "trends.csv"
    result = runner.invoke(app, ["trends", "--from", "2025", "--measure", "homes_in_list", "--out", str(out)],
                           env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    assert pd.read_csv(out)["time_period"].max() == 2026  # --to defaults to the latest year


def test_supply_map_year_control_picks_up_the_new_year(ofsted_2026):
    """The map's year control is built from provision.homes.YEARS; 2026 has supply while DfE's figures wait."""
    from maps import interactive
    from provision import demand, gaps

    assert 2026 in homes.YEARS and 2026 not in demand.YEARS
    series = interactive.supply_series(y for y in homes.YEARS if y >= 2025)
    assert sorted(series) == [2025, 2026]
    assert series[2026]["homes"].sum() == ofsted_2026
    assert series[2026]["gap_index"].isna().all()  # no DfE need yet: unknown, not zero
    assert "not in the data catalogue" in gaps.supply_gaps(2026).attrs["demand_note"]
