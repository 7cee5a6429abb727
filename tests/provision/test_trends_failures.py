"""provision.trends when a staged file is malformed, refused or absent: the documented error is recorded, the gap
is named, and every other measure still comes out."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from geo.catalogue import data_path
from provision import demand, trends


def _broken_foi(tmp_path: Path) -> Path:
    lines = data_path(demand.FILES["foi_outside"]).read_text(encoding="utf-8-sig").splitlines()
    lines[13] = lines[13].replace(",percentage", ",pct")  # the header row, after 13 title rows
    bad = tmp_path / "foi_broken.csv"
    bad.write_text("\n".join(lines), encoding="utf-8")
    return bad


def test_malformed_file_is_named_and_the_rest_comes_out(mirror, tmp_path):
    table = trends.trends(measures=["chomes_outside_la", "children_looked_after", "homes"],
                          sources={"foi_outside": _broken_foi(tmp_path)})
    failures = table.attrs["failures"]
    assert failures["key"].tolist() == ["foi_outside"]
    assert failures["error"].iloc[0] == "MissingColumnsError"
    assert "foi_broken.csv: missing column(s) 'percentage'" in failures["message"].iloc[0]
    assert "chomes_outside_la" not in set(table["measure"])
    gaps = table.attrs["gaps"].set_index(["measure", "years"])["reason"]
    assert gaps[("chomes_outside_la", "2014-2024")].startswith(f"{tmp_path / 'foi_broken.csv'} could not be read "
                                                               "(MissingColumnsError")
    assert "FOI 2024-0040813 starts in 2014" in gaps[("chomes_outside_la", "2012-2013")]  # still documented
    for measure, years in (("children_looked_after", 14), ("homes", 14)):
        assert table.loc[table["measure"] == measure, "time_period"].nunique() == years


def test_a_missing_replacement_file_is_a_named_gap(mirror, tmp_path):
    table = trends.trends(measures=["children_looked_after", "missing_incidents_outside_la"],
                          sources={"national_missing_2024": tmp_path / "nope.csv"})
    f = table.attrs["failures"].set_index("key")
    assert f.loc["national_missing_2024", "error"] == "DataUnavailableError"
    assert "nope.csv: no such file" in f.loc["national_missing_2024", "message"]
    outside = table[table["measure"] == "missing_incidents_outside_la"]
    assert outside["time_period"].tolist() == [2019, 2020, 2021, 2022, 2023]  # the 2023 release still gives these
    gap = table.attrs["gaps"].set_index(["measure", "years"])["reason"]
    assert "nope.csv could not be read (DataUnavailableError" in gap[("missing_incidents_outside_la", "2024")]
    assert table[table["measure"] == "children_looked_after"]["time_period"].nunique() == 14


@pytest.fixture()
def patched_mirror(mirror: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A mirror of symlinks to the real one, with the FOI folder real: its files can be corrupted or removed."""
    import geo.catalogue as catalogue

    root = tmp_path / "mirror"
    for top in mirror.iterdir():
        if top.name != "care":
            (root / top.name).parent.mkdir(parents=True, exist_ok=True)
            (root / top.name).symlink_to(top)
    for sub in (mirror / "care").iterdir():
        if sub.name != "dfe_cla":
            (root / "care" / sub.name).parent.mkdir(parents=True, exist_ok=True)
            (root / "care" / sub.name).symlink_to(sub)
    for sub in (mirror / "care" / "dfe_cla").iterdir():
        target = root / "care" / "dfe_cla" / sub.name
        target.parent.mkdir(parents=True, exist_ok=True)
        if sub.name == "foi_2024_0040813":
            target.mkdir()
            for f in sub.iterdir():
                (target / f.name).symlink_to(f)
        else:
            target.symlink_to(sub)
    monkeypatch.setenv("FARFROMHOME_MIRROR", str(root))
    monkeypatch.setattr(catalogue, "_current", None)
    monkeypatch.setattr(catalogue.Catalogue, "_url", lambda self, f: "")  # no download: the test is offline
    return root


def test_a_corrupt_catalogued_file_is_refused_and_named(patched_mirror):
    foi = patched_mirror / demand.FILES["foi_outside"]
    text = foi.read_text(encoding="utf-8-sig")
    foi.unlink()
    foi.write_text(text.replace("5760", "5761"), encoding="utf-8")  # one figure changed: not the catalogued file
    table = trends.trends(measures=["chomes_outside_la_pct", "homes"])
    f = table.attrs["failures"]
    assert f["error"].tolist() == ["ChecksumError"] and "is refused" in f["message"].iloc[0]
    assert table[table["measure"] == "homes"]["time_period"].nunique() == 14
    assert "ChecksumError" in table.attrs["gaps"].set_index("measure").loc["chomes_outside_la_pct", "reason"].iloc[1]


def test_an_absent_catalogued_file_is_named(patched_mirror):
    (patched_mirror / demand.FILES["foi_outside"]).unlink()
    table = trends.trends(2014, 2016, measures=["chomes_outside_la", "children_looked_after"])
    f = table.attrs["failures"]
    assert f["error"].tolist() == ["DataUnavailableError"]
    assert "chomes_outside_la_by_la_2014_2024" in f["message"].iloc[0]
    assert isinstance(table, pd.DataFrame) and table["measure"].unique().tolist() == ["children_looked_after"]
