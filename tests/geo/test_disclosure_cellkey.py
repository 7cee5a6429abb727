"""Cell-key perturbation (ONS 2021 Census method) on top of DfE suppression, and DfE's open-data table layout."""

from __future__ import annotations

import io
import os
import stat
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from geo import disclosure
from geo.csvsafe import to_csv
from geo.disclosure import (
    CELL_KEY,
    DFE,
    SECONDARY_LABEL,
    SUPPRESSED_LABEL,
    DisclosureMethod,
    count_text,
    disclosure_record,
    method_named,
    open_data_columns,
    ptable,
    publish_count,
    publish_counts,
    publish_magnitude,
    suppress_counts,
    use_disclosure,
)
from geo.errors import DisclosureError, InputError

KEYED = DisclosureMethod("cell-key", secret=b"test key")


def test_ptable_is_unbiased_bounded_and_never_publishes_a_small_count() -> None:
    table = ptable(KEYED, up_to=40)
    for count, row in table.groupby("count"):
        assert row["probability"].sum() == pytest.approx(1.0)
        assert (row["probability"] * row["change"]).sum() == pytest.approx(0.0, abs=1e-9)  # unbiased
        assert row["change"].abs().max() <= KEYED.max_perturbation
        assert (row["published"] >= KEYED.threshold).all()
        if count >= KEYED.threshold + KEYED.max_perturbation:  # a whole row has the stated variance
            assert (row["probability"] * row["change"] ** 2).sum() == pytest.approx(KEYED.variance)
    assert table.loc[table["count"] == KEYED.threshold, "change"].tolist() == [0]


def test_counts_as_published() -> None:
    assert publish_count(0, method=KEYED) == 0
    assert [publish_count(n, method=KEYED) for n in range(1, 5)] == [None] * 4
    shown = np.array([publish_count(n, method=KEYED) for n in range(5, 400)])
    true = np.arange(5, 400)
    assert (np.abs(shown - true) <= KEYED.max_perturbation).all() and (shown >= 5).all()
    assert (shown != true).mean() > 0.5  # perturbed, not rounded away
    assert abs((shown - true).mean()) < 0.3  # unbiased on average
    # consistent: the same count is always published the same, wherever it appears
    again = publish_counts(true.astype(float), method=KEYED)
    assert np.array_equal(again, shown)
    # the key decides the draw: another key, other numbers
    other = np.array([publish_count(n, method=DisclosureMethod(secret=b"another key")) for n in range(5, 400)])
    assert (other != shown).mean() > 0.4
    # DfE's method: exact counts, small ones suppressed
    assert [publish_count(n, method=DFE) for n in (0, 3, 5, 12)] == [0, None, 5, 12]


def test_one_count_apart_a_reader_of_two_releases_cannot_pin_the_difference() -> None:
    """A reader knowing the ptable sees T and T - x published; every x they cannot rule out stays possible."""
    support = {n: set(g["published"]) for n, g in ptable(KEYED, up_to=300).groupby("count")}

    def could_publish(true: int) -> set[int | None]:
        return {0} if true == 0 else {None} if true < 5 else support[true]

    for t in range(5, 200):
        for x in range(1, min(8, t + 1)):
            a, b = publish_count(t, method=KEYED), publish_count(t - x, method=KEYED)
            possible = {x2 for t2 in range(0, t + 10) if a in could_publish(t2)
                        for x2 in range(0, t2 + 1) if b in could_publish(t2 - x2)}
            assert x in possible and len(possible) > 1, (t, x, a, b, possible)


def test_magnitudes_are_perturbed_and_rounded() -> None:
    days = [365.0, 1234.0, 50_000.0]
    shown = [publish_magnitude(d, method=KEYED) for d in days]
    assert all(v % KEYED.magnitude_rounding == 0 for v in shown)
    assert all(abs(v - d) <= KEYED.magnitude_noise + KEYED.magnitude_rounding / 2 for v, d in zip(shown, days,
                                                                                                 strict=True))
    assert publish_magnitude(0.0, method=KEYED) == 0.0 and publish_magnitude(1234.0, method=DFE) == 1234.0


def test_suppression_then_perturbation_in_the_tables() -> None:
    frame = pd.DataFrame({"g": ["A", "A", "A", "B"], "children": [3, 40, 7, 0]})
    with use_disclosure(KEYED):
        out = suppress_counts(frame, count_columns=["children"], group="g")
    assert out["children_label"].tolist() == [SUPPRESSED_LABEL, str(publish_count(40, method=KEYED)),
                                              SECONDARY_LABEL, "0"]
    assert out.loc[1, "children"] == publish_count(40, method=KEYED)


def test_words_and_record() -> None:
    assert count_text(2, "episodes", method=KEYED) == "fewer than 5 episodes"
    assert count_text(0, method=KEYED) == "0"
    assert count_text(874, method=DFE) == "874"
    rec = disclosure_record(KEYED)
    assert rec["method"] == "cell-key" and rec["threshold"] == 5 and rec["max_perturbation"] == 3
    assert rec["symbols"]["c"].startswith("confidential") and len(rec["ptable_sha256"]) == 64
    assert "test key" not in str(rec)
    assert "max_perturbation" not in disclosure_record(DFE)


def test_bad_methods() -> None:
    with pytest.raises(InputError, match="--disclosure 'ons' is not known; expected one of cell-key, dfe"):
        method_named("ons")
    with pytest.raises(InputError, match="variance 10 must be above 0 and at most max_perturbation squared"):
        DisclosureMethod(variance=10.0, max_perturbation=3)
    with pytest.raises(InputError, match="disclosure method 'random' is not known"):
        DisclosureMethod("random")
    with pytest.raises(InputError, match="a count must be a non-negative whole number; got -1"):
        publish_count(-1, method=KEYED)


def test_the_key_is_made_once_and_kept_private(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(disclosure.KEY_ENV, raising=False)
    monkeypatch.setenv("FARFROMHOME_CACHE", str(tmp_path))
    first = publish_count(1000, method=CELL_KEY)
    key = tmp_path / "disclosure.key"
    assert key.exists() and stat.S_IMODE(os.stat(key).st_mode) == 0o600
    assert publish_count(1000, method=CELL_KEY) == first
    monkeypatch.setenv(disclosure.KEY_ENV, "shared by two teams")
    assert publish_count(1000, method=CELL_KEY) == publish_count(1000, method=DisclosureMethod(
        secret=b"shared by two teams"))
    monkeypatch.delenv(disclosure.KEY_ENV)
    empty = tmp_path / "other"
    empty.mkdir()
    (empty / "disclosure.key").write_text("")
    monkeypatch.setenv("FARFROMHOME_CACHE", str(empty))
    with pytest.raises(DisclosureError, match=r"disclosure.key: the cell-key key file is empty"):
        publish_count(1000, method=CELL_KEY)


def test_open_data_layout_numbers_stay_numbers() -> None:
    table = pd.DataFrame({"la": ["A", "B", "C", "D"], "children": ["12", SUPPRESSED_LABEL, SECONDARY_LABEL, "0"],
                          "places": ["5", "not applicable", "not published", "7"], "name": ["x", "y", "z", "w"]})
    out = open_data_columns(table)
    assert list(out.columns) == ["la", "children", "children_symbol", "places", "places_symbol", "name"]
    assert out["children_symbol"].tolist() == ["", "c", "c", ""]
    assert out["places_symbol"].tolist() == ["", "z", "x", ""]
    buf = io.StringIO()
    to_csv(table, buf, index=False)
    back = pd.read_csv(io.StringIO(buf.getvalue()), keep_default_na=False, na_values=[""])
    assert pd.api.types.is_numeric_dtype(back["children"]) and pd.api.types.is_numeric_dtype(back["places"])
    assert back["children"].tolist()[0] == 12 and back["children"].isna().tolist() == [False, True, True, False]
    # a suppress_counts table: its _label becomes a _symbol beside the numeric column
    with use_disclosure(DFE):
        sup = suppress_counts(pd.DataFrame({"n": [2, 9, 11]}), count_columns=["n"])
    assert list(open_data_columns(sup).columns) == ["n", "n_symbol", "suppressed"]
