"""Fixtures for map and figure tests: real LA polygons, small in-code measures and located placements."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest

from tests._own_return import own_tables, write_tables

TEST_CHILD_IDS = [f"FFHKID{i:05d}" for i in range(400)]
"""Synthetic child IDs that must never appear in any HTML."""

TEST_POSTCODES = ["SK4 1QA", "M19 2DR", "OL6 7TQ", "LS11 5BD", "B13 9QZ", "NE6 3HL"]
TEST_DOB = "13/07/2009"


def decoded(html: str) -> str:
    """The HTML with JSON \\uXXXX escapes (as folium/jinja write strings into scripts) turned back into text."""
    import re

    return re.sub(r"\\u([0-9a-fA-F]{4})", lambda m: chr(int(m.group(1), 16)), html)


@pytest.fixture(scope="session")
def las(mirror: Path) -> gpd.GeoDataFrame:
    import boundaries

    return boundaries.load_las(year=2024)


@pytest.fixture(scope="session")
def regions(mirror: Path) -> gpd.GeoDataFrame:
    import boundaries

    return boundaries.load_regions(year=2024)


@pytest.fixture(scope="session")
def supply_frame(las: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Every supply layer filled with made-up values (two LAs without data), EPSG:27700."""
    rng = np.random.default_rng(3)
    f = las.copy()
    n = len(f)
    f["homes"] = rng.integers(0, 80, n)
    f["places"] = f["homes"] * 4
    f["places_per_10k"] = rng.gamma(2, 5, n)
    f["gap_index"] = rng.normal(0, 1, n)
    f["pct_outside_la"] = rng.uniform(20, 90, n)
    f["net_gain"] = rng.integers(-100, 100, n)
    f["lisa_cluster"] = rng.choice(["HH", "LL", "ns", "ns", "HL", "LH"], n)
    f.loc[f.index[:2], "places_per_10k"] = np.nan
    return f


@pytest.fixture(scope="session")
def located(las: gpd.GeoDataFrame) -> pd.DataFrame:
    """Located placements, as provision.placements.locate returns them (child-level, made up)."""
    rng = np.random.default_rng(11)
    codes = list(las.index)
    home = ["E08000007"] * 250 + list(rng.choice(codes[:20], 150))
    pl = [h if rng.random() < 0.3 else str(rng.choice(codes[1:60])) for h in home]  # not Hartlepool
    pl[:40] = ["E08000003"] * 40  # a big flow Stockport -> Manchester
    pl[40:43] = ["E06000001"] * 3  # a flow of 3 children: must be suppressed
    miles = rng.gamma(1.5, 15, len(home)).round(1)
    return pd.DataFrame({
        "CHILD": TEST_CHILD_IDS, "DOB": TEST_DOB, "PLACE": rng.choice(["K2", "U1", "U4", "P1"], len(home)),
        "HOME_POST": rng.choice(TEST_POSTCODES, len(home)), "PL_POST": rng.choice(TEST_POSTCODES, len(home)),
        "home_la": home, "responsible_la": home, "pl_la": pl, "straight_distance_miles": miles,
        "straight_distance_km": miles * 1.609344, "road_distance_km": miles * 1.609344 * 1.3,
        "home_easting": 390000.5, "home_northing": 390000.5,
    })


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Debian's chromium, headless, driven by playwright (one per test module)."""
    from ._browser import ARGS, CHROMIUM

    playwright = pytest.importorskip("playwright.sync_api", reason="the playwright package drives Chromium")
    with playwright.sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield b
        b.close()


@pytest.fixture(scope="module")
def own_files(mirror: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Stockport's synthetic return with the SYN marker taken off, standing in for a user's own files
    (one folder per test module)."""
    folder = tmp_path_factory.mktemp("own")
    write_tables(own_tables(), folder)
    return folder
