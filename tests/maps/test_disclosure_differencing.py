"""Two releases a child apart: what a reader learns by differencing them (issue 24, part B, item 3).

A return (Stockport's synthetic children, the SYN marker taken off) is published, then again without one child,
for 30 children one at a time. The published numbers are those of the library calls the run makes: the flows
(``provision.flows.published_flows``), the focus LA's distances by LA, region and band
(``maps.distance_tables.publish_distances``) and the rate table by distance band
(``geo.disclosure.suppress_table`` then ``maps.effect_figures.protect_rate_table``). A reader who knows the method
and its ptable works out, from each pair, every value of the removed child's missing incidents and placement days
that the two releases allow; the test fails if only one is left. Under DfE's suppression alone (exact counts) the
same attack pins the days (the test can fail). It prints the share of children whose placement LA or
straight-line distance band can be read from where the published cells changed (no method that publishes a cell
consistently can hide *where* a cell changed).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import pytest

from geo.disclosure import (
    DFE,
    SECONDARY_LABEL,
    SUPPRESSED_LABEL,
    DisclosureMethod,
    ptable,
    suppress_table,
    use_disclosure,
)
from maps.summary import TOTAL_ROW
from tests._own_return import own_tables

pytestmark = pytest.mark.slow  # 31 model fits of ~600 children and 62 publications (about 5 min on a busy machine)

FOCUS = "E08000007"
KEYED = DisclosureMethod("cell-key", secret=b"differencing test key")
N_REMOVED = 30


@dataclass
class Data:
    located: pd.DataFrame
    header: pd.DataFrame
    missing: pd.DataFrame
    las: Any


@pytest.fixture(scope="module")
def data(mirror: Any) -> Data:
    import boundaries
    from provision.placements import locate

    episodes, header, missing = own_tables(las=[FOCUS]).values()
    return Data(locate(episodes, responsible_la=FOCUS), header, missing, boundaries.load_las(year=2024))


def _truth(data: Data, drop: str | None) -> dict[str, Any]:
    """The unprotected inputs of every published table, with child ``drop`` left out."""
    from distance.child_models import child_effect
    from provision.flows import distances_by_la, placement_flows
    from provision.placement_frame import placement_frame

    keep = (lambda f: f[f["CHILD"] != drop]) if drop is not None else (lambda f: f)
    located = keep(data.located)
    frame, _ = placement_frame(located, header=keep(data.header), missing=keep(data.missing))
    result = child_effect(frame, synthetic=False)
    by_la, bands = distances_by_la(located, FOCUS)
    return {"flows": placement_flows(located), "by_la": by_la, "bands": bands, "rate": result.rate_table,
            "frame": frame}


def _publish(truth: dict[str, Any], data: Data, method: DisclosureMethod) -> dict[str, dict[Any, str]]:
    """Every published cell, as text, keyed by what it counts."""
    from maps.distance_tables import publish_distances
    from maps.effect_figures import protect_rate_table
    from provision.flows import published_flows

    with use_disclosure(method):
        flows = published_flows(truth["flows"], las=data.las)
        dist = publish_distances(truth["by_la"], las=data.las, bands=truth["bands"])
        rate = protect_rate_table(suppress_table(truth["rate"], column_totals=True)).set_index("distance_band")
    out: dict[str, dict[Any, str]] = {
        "flows": {(r.pl_la, r.placement_type): str(r.children_label) for r in flows.itertuples()},
        "la_bands": {(la, c): str(v) for la, row in dist.la_labels.iterrows() for c, v in row.items()},
    }
    assert dist.bands is not None
    out["bands"] = {r.distance_band: str(r.straight_line) for r in dist.bands.itertuples()}
    for col in ("missing_incidents", "placement_days"):
        out[col] = {b: ("" if pd.isna(v) else str(v)) for b, v in rate[col].items()}
    return out


@pytest.fixture(scope="module")
def releases(data: Data) -> list[dict[str, Any]]:
    full = _truth(data, None)
    children = full["frame"]["child"].astype(str)
    with_missing = sorted(set(children[full["frame"]["missing_incidents"] > 0]))[: N_REMOVED // 2]
    others = [c for c in sorted(set(children)) if c not in with_missing][: N_REMOVED - len(with_missing)]
    out = []
    for child in with_missing + others:
        rows = full["frame"][children == child]
        mine = data.located[data.located["CHILD"] == child]
        out.append({"child": child, "truth": _truth(data, child),
                    "went_missing": bool(rows["missing_incidents"].sum() > 0),
                    "incidents": rows.groupby("distance_band", observed=True)["missing_incidents"].sum(),
                    "days": rows.groupby("distance_band", observed=True)["exposure_days"].sum(),
                    "pl_las": set(mine["pl_la"].dropna()),
                    "bands": set(pd.Series(mine["straight_distance_miles"]).dropna().map(_band))})
    return [{"full": full, **r} for r in out]


def _band(miles: float) -> str:
    from distance.straight import distance_band

    return str(distance_band(pd.Series([miles])).iloc[0])


class Reader:
    """What a reader who knows the method can say about a true count from its published text."""

    def __init__(self, method: DisclosureMethod) -> None:
        self.method = method
        table = ptable(method, up_to=4000) if method.perturbs else None
        self.support = ({} if table is None else
                        {int(n): set(g["published"].astype(int)) for n, g in table.groupby("count")})

    def counts(self, shown: str) -> tuple[int, float]:
        """The least and greatest true count behind a published count."""
        if shown == SUPPRESSED_LABEL:
            return 1, self.method.threshold - 1
        if shown in (SECONDARY_LABEL, ""):
            return 0, float("inf")
        v = int(float(shown))
        if v == 0 or not self.method.perturbs:
            return v, v
        possible = [n for n, s in self.support.items() if v in s]
        return min(possible), max(possible)

    def days(self, shown: str) -> tuple[float, float]:
        """The least and greatest true number of days behind published days."""
        if shown == "":
            return 0.0, float("inf")
        v = float(shown)
        if not self.method.perturbs or v == 0:
            return v, v
        slack = self.method.magnitude_noise + self.method.magnitude_rounding / 2
        return max(0.0, v - slack), v + slack


def _pinned(reader: Reader, full: str, less: str, kind: str) -> int | None:
    """The change in one band's cell between the releases, when they leave one whole value only; else None."""
    bound = reader.counts if kind == "count" else reader.days
    a_lo, a_hi = bound(full)
    b_lo, b_hi = bound(less)
    lo, hi = max(0.0, a_lo - b_hi), a_hi - b_lo
    if np.isfinite(hi) and np.floor(hi + 1e-9) == np.ceil(lo - 1e-9):
        return int(round(lo))
    return None


def _attack(releases: list[dict[str, Any]], data: Data, method: DisclosureMethod) -> tuple[list[str], float, float]:
    reader = Reader(method)
    full = _publish(releases[0]["full"], data, method)
    found, la_read, band_read = [], 0, 0
    for r in releases:
        less = _publish(r["truth"], data, method)
        for col, kind, true in (("missing_incidents", "count", r["incidents"]), ("placement_days", "days", r["days"])):
            for band, value in true.items():  # the child's own bands: a reader learns them from the placements
                got = _pinned(reader, full[col][str(band)], less[col][str(band)], kind)
                if got is not None and got == int(value):
                    found.append(f"child {r['child']}: {col} in {band} = {got} exactly")
        changed_las = {la for (la, _t), v in full["flows"].items() if less["flows"].get((la, _t)) != v}
        la_read += bool(r["pl_las"]) and changed_las == r["pl_las"]
        changed_bands = {b for b, v in full["bands"].items() if less["bands"].get(b) != v and b != TOTAL_ROW}
        band_read += bool(r["bands"]) and changed_bands == r["bands"]
    return found, la_read / len(releases), band_read / len(releases)


def test_two_releases_a_child_apart_do_not_reveal_the_child(releases: list[dict[str, Any]], data: Data) -> None:
    assert len(releases) == N_REMOVED
    assert sum(r["went_missing"] for r in releases) >= N_REMOVED // 2  # (some without a distance band)
    found, la_share, band_share = _attack(releases, data, KEYED)
    print(f"\ncell-key: of {N_REMOVED} children removed one at a time, the placement LA can be read from the "
          f"flows that changed for {la_share:.0%}, the straight-line band from the band counts for {band_share:.0%}")
    assert not found, "revealed:\n" + "\n".join(found)


def test_the_attack_finds_children_under_exact_counts(releases: list[dict[str, Any]], data: Data) -> None:
    """DfE's suppression alone publishes exact counts: the same attack pins the children (the test can fail)."""
    found, la_share, band_share = _attack(releases, data, DFE)
    print(f"\ndfe: {len(found)} exact values found; placement LA readable for {la_share:.0%}, band for "
          f"{band_share:.0%}")
    assert any("placement_days" in f for f in found), found
    # missing incidents: here DfE's secondary suppression hides the big band (the far bands are small); where a
    # band's count is shown in both releases, exact counts give the child's incidents away
    assert _pinned(Reader(DFE), "12", "9", "count") == 3 and _pinned(Reader(KEYED), "12", "9", "count") is None
