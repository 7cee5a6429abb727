"""Secondary suppression over hierarchies: a total published beside its parts never gives a hidden part away."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from geo.disclosure import DFE, SECONDARY_LABEL, SUPPRESSED_LABEL, suppress_cells, suppress_hierarchy, use_disclosure
from geo.errors import InputError, MissingColumnsError


@pytest.fixture(autouse=True)
def _suppression_only() -> object:
    """These tests are of the suppression rule: exact counts shown (DfE's method); perturbation has its own tests."""
    with use_disclosure(DFE):
        yield


def _flows() -> pd.DataFrame:
    # issue 14: All 67 = children's homes 4 + foster 49 + other 14; the 4 came out by subtraction
    return pd.DataFrame({"home": ["A"] * 4 + ["B"] * 2, "pl": ["X"] * 4 + ["Y"] * 2,
                         "type": ["All", "homes", "foster", "other", "All", "foster"],
                         "children": [67, 4, 49, 14, 30, 30]})


def test_all_beside_its_types_hides_a_second_type() -> None:
    out = suppress_hierarchy(_flows(), count="children", level="type", total="All", within=["home", "pl"])
    assert out["children_label"].tolist() == ["67", SUPPRESSED_LABEL, "49", SECONDARY_LABEL, "30", "30"]
    assert out["children"].isna().tolist() == [False, True, False, True, False, False]
    assert out["suppressed"].tolist() == [False, True, False, True, False, False]
    assert _flows()["children"].tolist() == [67, 4, 49, 14, 30, 30]  # input untouched


def test_groups_add_a_second_level() -> None:
    # A's flows of one type add up to A's total of that type (published elsewhere)
    f = pd.DataFrame({"home": ["A", "A", "A", "A"], "pl": ["X", "X", "Y", "Y"], "type": ["All", "homes"] * 2,
                      "children": [3, 3, 20, 20]})
    out = suppress_hierarchy(f, count="children", level="type", total="All", within=["home", "pl"],
                             groups=[["type", "home"]])
    # X's 3 is hidden; within A's "All" flows the 20 must go too, and then Y's homes 20 with it
    assert out["children"].isna().all()


def _recoverable(values: np.ndarray, hidden: np.ndarray, relations: list[list[int]]) -> list[int]:
    """Cells that are the one hidden cell of a relation (subtraction), or hidden small cells all 1 or all 4."""
    found = []
    for r in relations:
        h = [c for c in r if hidden[c]]
        if len(h) == 1 and values[h[0]] > 0:
            found.append(h[0])
        small = [c for c in h if 1 <= values[c] < 5]
        if h and len(small) == len(h) and (sum(values[c] for c in small) in (len(small), 4 * len(small))):
            found += small
    return found


def test_band_of_ones_beside_its_total_is_protected() -> None:
    # issue 14: "over 100 miles: 10" beside 10 LAs each "fewer than 5" gave each LA = 1
    values = np.array([10] + [1] * 10, dtype=float)
    relations = [list(range(11))]
    hidden = suppress_cells(values, relations)
    assert hidden[0]  # the band total goes: nothing else is big enough
    withheld = suppress_cells(values, relations, hidden=np.array([False] + [True] * 10))
    assert not withheld[0]  # LAs withheld outright (not "fewer than 5"): the total may stay
    assert _recoverable(values, hidden, relations) == []


@settings(max_examples=60, deadline=None)
@given(st.lists(st.lists(st.integers(0, 30), min_size=2, max_size=6), min_size=1, max_size=6))
def test_no_relation_has_a_lone_hidden_count(rows: list[list[int]]) -> None:
    grid = np.array([r + [0] * (6 - len(r)) for r in rows], dtype=float)
    n, k = grid.shape
    values = np.concatenate([grid.ravel(), grid.sum(axis=1), grid.sum(axis=0)])  # cells, row and column totals
    relations = [[i * k + j for j in range(k)] + [n * k + i] for i in range(n)]
    relations += [[i * k + j for i in range(n)] + [n * k + n + j] for j in range(k)]
    hidden = suppress_cells(values, relations)
    small = (values >= 1) & (values < 5)
    assert hidden[small].all()
    for r in relations:
        lone = [c for c in r if hidden[c] and values[c] > 0]
        assert len(lone) != 1 or all(not (not hidden[c] and values[c] > 0) for c in r), (r, values[r], hidden[r])


def test_errors() -> None:
    with pytest.raises(InputError, match="non-negative whole"):
        suppress_cells([1.5, 3], [[0, 1]])
    with pytest.raises(MissingColumnsError, match="'type'"):
        suppress_hierarchy(_flows().drop(columns="type"), count="children", level="type", total="All",
                           within=["home", "pl"])
