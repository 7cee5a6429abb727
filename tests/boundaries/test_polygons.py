"""LA and region polygons on the real ONS boundaries."""

from __future__ import annotations

import pytest
import shapely

import boundaries
from geo.crs import BNG
from geo.errors import InputError


@pytest.fixture(scope="module")
def las_2024(mirror):
    return boundaries.load_las(year=2024)


def test_2024_has_153_valid_las_in_bng(las_2024):
    assert len(las_2024) == 153
    assert las_2024.index.is_unique and las_2024.index.name == "la_code"
    assert las_2024.crs == BNG
    assert las_2024.is_valid.all()
    assert not las_2024.geometry.is_empty.any()
    assert las_2024["dfe_la_number"].str.fullmatch(r"\d{3}").all()
    assert las_2024.loc["E08000007", ["la_name", "dfe_la_number", "region_name"]].tolist() == [
        "Stockport", "356", "North West"]


def test_england_area_is_130000_km2(las_2024):
    assert las_2024.area.sum() / 1e6 == pytest.approx(130_000, rel=0.02)


def test_regions_union_equals_las_union(las_2024):
    regions = boundaries.load_regions(year=2024)
    assert len(regions) == 9
    assert set(regions.index) == {f"E1200000{i}" for i in range(1, 10)}
    assert regions.is_valid.all()
    diff = shapely.symmetric_difference(regions.union_all(), las_2024.union_all())
    assert diff.area < 1e6  # under 1 km² of 130,000 km²
    assert regions.loc["E12000007", "region_name"] == "London"
    assert (las_2024["region_code"] == "E12000007").sum() == 33


@pytest.mark.parametrize(("year", "count"), [(2014, 152), (2018, 152), (2019, 151), (2020, 151), (2021, 152),
                                             (2023, 153), (2025, 153)])
def test_counts_follow_the_reorganisations(mirror, year, count):
    las = boundaries.load_las(year=year)
    assert len(las) == count
    assert las.geometry.notna().all()


def test_vintage_codes(mirror):
    assert "E10000021" in boundaries.load_las(year=2020).index
    assert "E06000061" in boundaries.load_las(year=2021).index
    assert "E08000038" in boundaries.load_las(year=2025).index
    assert "E08000016" not in boundaries.load_las(year=2025).index


@pytest.mark.parametrize("year", [2013, 2026, 1999])
def test_unknown_year_is_refused(mirror, year):
    with pytest.raises(InputError, match=f"no boundaries for year {year}; expected a year from 2014 to 2025"):
        boundaries.load_las(year=year)
