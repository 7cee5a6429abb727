"""geo.years: which years each source covers, read from the catalogue (no sibling package imported)."""

from __future__ import annotations

import dataclasses

import pytest

from geo import catalogue, years
from geo.errors import InputError


def test_every_series_has_years_from_the_catalogue():
    for name in years.SERIES:
        covered = years.years(name)
        assert covered == tuple(sorted(set(covered))) and covered, name
        for y in covered:  # each year comes from a catalogued file of the series
            assert years.datasets(name, y), (name, y)


def test_known_coverage_of_the_staged_files():
    """The staged files, by their names: Ofsted lists Sept 2014 and 2015-2025, LAIT 2016-2025, FOI 2014-2024."""
    assert years.years("ofsted_providers") == tuple(range(2014, 2026))
    assert years.span("lait") == (2016, 2025)
    assert years.span("foi_chomes") == (2014, 2024)
    assert years.years("characteristics") == tuple(range(2021, 2026))
    assert years.span("ees_cla_rates") == (2019, 2025)  # two releases of five years each
    assert "provider_at_march_2018_part2" in years.datasets("ofsted_providers", 2018)
    assert years.datasets("ofsted_providers", 2013) == ()


def test_latest_and_span_are_over_the_years_all_series_share():
    assert years.latest("ofsted_providers", "foi_chomes") == years.years("foi_chomes")[-1]
    assert years.span("ofsted_providers", "lait") == (years.years("lait")[0], years.years("lait")[-1])
    assert years.latest("ofsted_providers") == max(years.years("ofsted_providers"))


def test_check_returns_the_year_or_names_what_and_the_range():
    assert years.check(2020, "ofsted_providers", what="Ofsted provider list") == 2020
    with pytest.raises(InputError, match=r"^no Ofsted provider list for 2030: ofsted_providers cover 2014-2025$"):
        years.check(2030, "ofsted_providers", what="Ofsted provider list")
    with pytest.raises(InputError, match=r"no LAIT and FOI figures for 2025: lait and foi_chomes cover 2016-2024"):
        years.check(2025, "lait", "foi_chomes", what="LAIT and FOI figures")
    with pytest.raises(InputError, match="for '2020'"):
        years.check("2020", "lait", what="LAIT figures")  # type: ignore[arg-type]


def test_unknown_series_and_no_common_year():
    with pytest.raises(InputError, match=r"unknown year series 'ofsted'; known series: ofsted_providers"):
        years.years("ofsted")
    with pytest.raises(InputError, match=r"sfr_missing and characteristics share no year: sfr_missing 2015-2017; "
                                         r"characteristics 2021-2025"):
        years.latest("sfr_missing", "characteristics")
    with pytest.raises(InputError, match="name at least one year series"):
        years.latest()


def test_describe_lists_gaps():
    assert years.describe("ofsted_providers") == "2014-2025"
    assert years.describe("ofsted_joiners_leavers", "sfr_cla") == "2017"


def test_live_view_follows_a_catalogue_row_added_later(monkeypatch):
    """A module constant built with covered() sees a row added after it was made (a new year is a row)."""
    view = years.covered("ofsted_providers")
    assert view[-1] == 2025 and 2026 not in view and str(view) == "2014-2025"
    listed = catalogue.all_datasets()
    row = dataclasses.replace(listed["provider_at_march_2025"].first, name="provider_at_march_2026",
                              path="care/ofsted/provider_at_march_2026.csv")
    monkeypatch.setattr(catalogue, "all_datasets", lambda: {**listed, row.name: catalogue.Dataset(row.name, (row,))})
    assert view[-1] == 2026 and 2026 in view and len(view) == 13
    assert years.datasets("ofsted_providers", 2026) == ("provider_at_march_2026",)
    assert years.latest("ofsted_providers", "lait") == 2025  # LAIT has no 2026 yet


def test_a_publisher_range_in_the_name_is_read(monkeypatch):
    """A new LAIT extract named with its range extends the series with no code change."""
    listed = catalogue.all_datasets()
    row = dataclasses.replace(listed["lait_cla_indicators_2016_2025"].first, name="lait_cla_indicators_2017_2026")
    monkeypatch.setattr(catalogue, "all_datasets", lambda: {**listed, row.name: catalogue.Dataset(row.name, (row,))})
    assert years.span("lait") == (2016, 2026)
    assert years.datasets("lait", 2026) == ("lait_cla_indicators_2017_2026",)


def test_geo_imports_no_sibling():
    import ast
    from pathlib import Path

    tree = ast.parse(Path(years.__file__).read_text(encoding="utf-8"))
    imported = {n.module.split(".")[0] for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module}
    imported |= {a.name.split(".")[0] for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    assert not imported & {"boundaries", "provision", "distance", "maps"}
