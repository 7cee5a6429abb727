"""A region's total over LAs that are each "fewer than 5": the lower bound of a suppressed cell (1) must not pin it.

The audit's case: London's total "fewer than 5" over four London LAs each "fewer than 5" pinned each at exactly 1.
A reader who knows that a "fewer than 5" is 1 to 4 (and under the cell key, the ptable's range of every number
shown) solves, for each hidden cell, the least and greatest value the published relations allow (a linear
programme: scipy.optimize.linprog, then the integers between); the test fails when the two meet.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest
from scipy.optimize import linprog

from distance.straight import DISTANCE_BANDS
from geo.disclosure import (
    DFE,
    SECONDARY_LABEL,
    SUPPRESSED_LABEL,
    DisclosureMethod,
    ptable,
    use_disclosure,
)
from maps.distance_tables import publish_distances

KEYED = DisclosureMethod("cell-key", secret=b"regions test key")
LONDON = ["E09000004", "E09000011", "E09000023", "E09000006"]  # Bexley, Greenwich, Lewisham, Bromley


@pytest.fixture(scope="module")
def las(mirror: Any) -> Any:
    import boundaries

    return boundaries.load_las(year=2024)


def _placements() -> tuple[pd.DataFrame, pd.DataFrame]:
    """Stockport's children by placement LA and straight-line band: one child in each of four London LAs."""
    rows = {"E08000007": [260, 0, 0, 0, 0], "E08000003": [35, 12, 0, 0, 0], "E08000006": [20, 9, 0, 0, 0],
            "E08000008": [0, 14, 0, 0, 0], "E08000010": [0, 0, 11, 0, 0], "E06000008": [0, 0, 6, 2, 0],
            **{la: [0, 0, 0, 0, 1] for la in LONDON}}
    by_la = pd.DataFrame.from_dict(rows, orient="index", columns=list(DISTANCE_BANDS))
    by_la.insert(0, "children", by_la.sum(axis=1))
    by_la.index.name = "pl_la"
    bands = by_la[list(DISTANCE_BANDS)].sum().rename("straight_line").to_frame()
    bands.index.name = "distance_band"
    bands.attrs["counts"] = "placements with a straight-line distance"
    return by_la, bands


def _bounds(shown: str, method: DisclosureMethod) -> tuple[float, float | None]:
    if shown == SUPPRESSED_LABEL:
        return 1.0, 4.0
    if shown == SECONDARY_LABEL:
        return 0.0, None
    v = int(float(shown))
    if v == 0 or not method.perturbs:
        return float(v), float(v)
    table = ptable(method, up_to=v + 10)
    possible = table.loc[table["published"] == v, "count"]
    return float(possible.min()), float(possible.max())


def pinned(cells: dict[str, str], relations: list[tuple[str, list[str]]], method: DisclosureMethod) -> list[str]:
    """Hidden cells whose least and greatest feasible values meet, with every relation ``total = sum(parts)``."""
    names = list(cells)
    pos = {n: i for i, n in enumerate(names)}
    a_eq = []
    for total, parts in relations:
        row = np.zeros(len(names))
        row[pos[total]] += 1
        for p in parts:
            row[pos[p]] -= 1
        a_eq.append(row)
    bounds = [_bounds(cells[n], method) for n in names]
    found = []
    for n in names:
        if cells[n] not in (SUPPRESSED_LABEL, SECONDARY_LABEL):
            continue
        c = np.zeros(len(names))
        c[pos[n]] = 1
        lo = linprog(c, A_eq=a_eq, b_eq=np.zeros(len(a_eq)), bounds=bounds)
        hi = linprog(-c, A_eq=a_eq, b_eq=np.zeros(len(a_eq)), bounds=bounds)
        assert lo.status == 0 and hi.status in (0, 3), f"the published numbers are inconsistent ({n})"
        # a withheld cell pinned at 0 gives away a zero, which DfE's rules publish anyway
        if hi.status == 0 and np.ceil(lo.fun - 1e-6) >= np.floor(-hi.fun + 1e-6) and round(lo.fun) > 0:
            found.append(f"{n} = {round(lo.fun)}")
    return found


def _relations(pub: Any, by_la: pd.DataFrame, las: Any) -> tuple[dict[str, str], list[tuple[str, list[str]]]]:
    """Every cell the map and its band table publish, and the equations between them (one child, one placement)."""
    cells: dict[str, str] = {}
    relations: list[tuple[str, list[str]]] = []
    cols = ["children", *DISTANCE_BANDS]
    for la, row in pub.la_labels.iterrows():
        for c in cols:
            cells[f"{la}|{c}"] = str(row[c])
        relations.append((f"{la}|children", [f"{la}|{b}" for b in DISTANCE_BANDS]))
    region_of = las["region_name"].reindex(by_la.index)
    for region, row in pub.region_labels.iterrows():
        for c in cols:
            cells[f"{region}|{c}"] = str(row[c])
            relations.append((f"{region}|{c}", [f"{la}|{c}" for la in by_la.index[region_of == region]]))
        relations.append((f"{region}|children", [f"{region}|{b}" for b in DISTANCE_BANDS]))
    table = pub.bands.set_index("distance_band")
    for b in DISTANCE_BANDS:
        cells[f"band|{b}"] = str(table.loc[b, "straight_line"])
        relations.append((f"band|{b}", [f"{la}|{b}" for la in by_la.index]))
    cells["band|total"] = str(table.iloc[-1]["straight_line"])
    relations.append(("band|total", [f"band|{b}" for b in DISTANCE_BANDS]))
    return cells, relations


@pytest.mark.parametrize("method", [DFE, KEYED], ids=["dfe", "cell-key"])
def test_no_london_la_is_pinned_by_its_region(las: Any, method: DisclosureMethod) -> None:
    by_la, bands = _placements()
    with use_disclosure(method):
        pub = publish_distances(by_la, las=las, bands=bands)
    cells, relations = _relations(pub, by_la, las)
    hidden = [k for k, v in cells.items() if v in (SUPPRESSED_LABEL, SECONDARY_LABEL)]
    assert {f"{la}|children" for la in LONDON} <= set(hidden)  # the four London LAs are hidden ...
    found = pinned(cells, relations, method)
    assert not found, "pinned:\n" + "\n".join(found)  # ... and none is pinned, whatever the region shows


def test_the_attack_pins_the_audits_publication() -> None:
    """Primary suppression alone (the audit's map): London "fewer than 5" over four LAs "fewer than 5" pins each."""
    cells = {"London": SUPPRESSED_LABEL, **{la: SUPPRESSED_LABEL for la in LONDON}}
    found = pinned(cells, [("London", LONDON)], DFE)
    assert set(found) == {f"{la} = 1" for la in LONDON} | {"London = 4"}
