"""Small-count suppression: primary (1-4), zeros kept, secondary suppression where totals would reveal a cell."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from geo.disclosure import (
    DFE,
    SECONDARY_LABEL,
    SUPPRESSED_LABEL,
    SUPPRESSION_RULE,
    check_no_small_counts,
    suppress_counts,
    use_disclosure,
)
from geo.errors import DisclosureError, InputError, MissingColumnsError


@pytest.fixture(autouse=True)
def _suppression_only() -> object:
    """These tests are of the suppression rule: exact counts shown (DfE's method); perturbation has its own tests."""
    with use_disclosure(DFE):
        yield


@pytest.mark.parametrize("n", [1, 2, 3, 4])
def test_counts_one_to_four_are_suppressed(n: int) -> None:
    frame = pd.DataFrame({"children": [n, 5, 0, 12]}, index=["a", "b", "c", "d"])
    out = suppress_counts(frame, count_columns=["children"])
    assert out["children"].isna().tolist() == [True, False, False, False]
    assert out["children_label"].tolist() == [SUPPRESSED_LABEL, "5", "0", "12"]
    assert out["suppressed"].tolist() == [True, False, False, False]
    assert out.index.tolist() == ["a", "b", "c", "d"]
    assert frame["children"].tolist() == [n, 5, 0, 12]  # input untouched


def test_row_total_would_reveal_a_suppressed_cell() -> None:
    # row total 19 = 3 + 10 + 6: with only the 3 hidden, 19 - 10 - 6 reveals it
    frame = pd.DataFrame({"a": [3, 10], "b": [10, 20], "c": [6, 7]})
    frame["total"] = frame[["a", "b", "c"]].sum(axis=1)
    out = suppress_counts(frame, count_columns=["a", "b", "c"], total="total")
    assert out.loc[0, "a_label"] == SUPPRESSED_LABEL
    assert out.loc[0, "c_label"] == SECONDARY_LABEL  # next smallest in the row
    assert out.loc[0, "b"] == 10 and out.loc[0, "total"] == 19
    assert not out.loc[1, "suppressed"]
    # the revealing arithmetic is no longer possible: at least two unknowns in every row with a hidden cell
    hidden = out[["a", "b", "c"]].isna().sum(axis=1)
    assert ((hidden == 0) | (hidden >= 2)).all()


def test_group_total_would_reveal_a_suppressed_cell() -> None:
    # LA A sends 3, 10 and 7 children: its published total 20 would reveal the 3
    frame = pd.DataFrame({"home_la": ["A", "A", "A", "B", "B"], "pl_la": ["X", "Y", "Z", "X", "Y"],
                          "children": [3, 10, 7, 12, 0]})
    out = suppress_counts(frame, count_columns=["children"], group="home_la")
    assert out["children_label"].tolist() == [SUPPRESSED_LABEL, "10", SECONDARY_LABEL, "12", "0"]


def test_secondary_suppression_prefers_non_zero_then_zero() -> None:
    frame = pd.DataFrame({"g": ["A", "A", "A"], "n": [2, 0, 9]})
    out = suppress_counts(frame, count_columns=["n"], group="g")
    assert out["n_label"].tolist() == [SUPPRESSED_LABEL, "0", SECONDARY_LABEL]
    only_zero = suppress_counts(pd.DataFrame({"g": ["A", "A"], "n": [2, 0]}), count_columns=["n"], group="g")
    assert only_zero["n"].isna().all()


def test_total_hidden_when_no_other_cell_left() -> None:
    frame = pd.DataFrame({"a": [3], "total": [3]})
    out = suppress_counts(frame, count_columns=["a"], total="total")
    assert out[["a", "total"]].isna().all(axis=None)


def test_threshold_can_be_changed() -> None:
    out = suppress_counts(pd.DataFrame({"n": [5, 9, 10]}), count_columns=["n"], threshold=10)
    assert out["n_label"].tolist() == ["fewer than 5", "fewer than 5", "10"]


def test_bad_input() -> None:
    with pytest.raises(MissingColumnsError, match="missing column.*'kids'"):
        suppress_counts(pd.DataFrame({"n": [1]}), count_columns=["kids"])
    with pytest.raises(InputError, match="row 1, column 'n': -2 is not a non-negative whole count"):
        suppress_counts(pd.DataFrame({"n": [1, -2]}), count_columns=["n"])
    with pytest.raises(InputError, match="2.5 is not a non-negative whole count"):
        suppress_counts(pd.DataFrame({"n": [2.5]}), count_columns=["n"])


def test_check_no_small_counts() -> None:
    ok = pd.DataFrame({"n": [0, 5, None, 100]})
    check_no_small_counts(ok, count_columns=["n"])
    bad = pd.DataFrame({"n": [0, 3, 4]}, index=["E1", "E2", "E3"])
    with pytest.raises(DisclosureError, match=r"flows row 'E2', column 'n': count 3 is below 5 \(and 1 more\)"):
        check_no_small_counts(bad, count_columns=["n"], source="flows")
    with pytest.raises(MissingColumnsError, match="'m'"):
        check_no_small_counts(bad, count_columns=["m"])
    check_no_small_counts(suppress_counts(bad, count_columns=["n"]), count_columns=["n"])


def test_rule_is_documented() -> None:
    assert "1 to 4" in SUPPRESSION_RULE and "fewer than 5" in SUPPRESSION_RULE and "secondary" in SUPPRESSION_RULE


@settings(max_examples=60, deadline=None)
@given(st.lists(st.lists(st.integers(0, 30), min_size=3, max_size=3), min_size=1, max_size=12))
def test_no_small_count_survives_and_no_single_hidden_cell(rows: list[list[int]]) -> None:
    frame = pd.DataFrame(rows, columns=["a", "b", "c"])
    frame["g"] = np.arange(len(frame)) % 3
    frame["total"] = frame[["a", "b", "c"]].sum(axis=1)
    out = suppress_counts(frame, count_columns=["a", "b", "c"], total="total", group="g")
    check_no_small_counts(out, count_columns=["a", "b", "c", "total"])
    shown = out[["a", "b", "c"]]
    assert ((shown == frame[["a", "b", "c"]]) | shown.isna()).all(axis=None)  # shown values are the true ones
    hidden_in_row = out[["a", "b", "c", "total"]].isna().sum(axis=1)
    assert ((hidden_in_row == 0) | (hidden_in_row >= 2)).all()
    for _, part in out.groupby("g"):
        if len(part) > 1:
            per_col = part[["a", "b", "c"]].isna().sum()
            assert ((per_col == 0) | (per_col >= 2)).all()
