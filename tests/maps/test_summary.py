"""maps.summary: the report's sentences quote published totals and never contradict them."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest

from distance.child_models import ChildEffectResult
from distance.straight import DISTANCE_BANDS
from geo.disclosure import DFE, DisclosureMethod, publish_count, suppress_table, use_disclosure
from geo.errors import InputError
from maps.summary import band_table, child_sentences, supply_sentences
from provision.homes import published_totals
from provision.measures import la_measures


def test_homes_sentence_quotes_ofsteds_published_total(mirror: Path) -> None:
    frame, _ = la_measures(2024)
    first = supply_sentences(frame, 2024, published_totals(2024))[0]
    # the 2024 provider list omits homes: the sentence gives Ofsted's total and names the list behind the LAs
    assert first.startswith("At 31 March 2024 Ofsted published 3,423 children's homes in England with 12,870")
    assert "provider_at_march_2024.csv, which lists 3,151 homes" in first
    frame, _ = la_measures(2025)
    first = supply_sentences(frame, 2025, published_totals(2025))[0]
    assert first == (f"At 31 March 2025 Ofsted published {int(frame['homes'].sum()):,} children's homes in England "
                     f"with {int(frame['places'].sum()):,} registered places.")  # a complete list: the totals agree


def _result(far_with_missing: int, *, band_10_20: int = 10) -> ChildEffectResult:
    """A rate table like the audit's: the far bands small, so some of their counts are hidden."""
    rows = [("0–10 miles", 700, 500, 60, 90, 120_000.0), ("10–20 miles", 150, 120, band_10_20, 14, 25_000.0),
            ("20–50 miles", 46, 40, 12, 16, 7_000.0), ("50–100 miles", 17, 15, far_with_missing, 4, 2_800.0),
            ("over 100 miles", 11, 9, 1, 1, 2_300.0)]
    table = pd.DataFrame(rows, columns=["distance_band", "placements", "children", "placements_with_missing",
                                        "missing_incidents", "placement_days"])
    empty = pd.DataFrame()
    ratios = pd.DataFrame([{"model_id": "per10", "term": "per 10 miles", "ratio": 1.1, "ci_low": 0.9,
                            "ci_high": 1.3}])
    return ChildEffectResult(rate_table=table, rate_ratios=ratios, dose_response=empty, inside_outside=empty,
                             balance=empty, synthetic=False, distance_measure="straight-line",
                             n_placements=int(table["placements"].sum()), n_children=int(table["children"].sum()))


@pytest.mark.parametrize("method", [DFE, DisclosureMethod("cell-key", secret=b"summary test")],
                         ids=["dfe", "cell-key"])
def test_over_20_percentages_come_from_published_counts(method: DisclosureMethod) -> None:
    """The audit's attack: the summary's percentages with the published denominators gave a hidden band back."""
    with use_disclosure(method):
        sentence = child_sentences(_result(4), synthetic=False)[0]
        published = suppress_table(_result(4).rate_table, column_totals=True)
        # a hidden count can be anything from 1 to 4: the sentence must not depend on it
        for other in (1, 2, 3):
            assert child_sentences(_result(other), synthetic=False)[0] == sentence
    m = re.search(r"([\d.]+)% of their placements had a missing episode against ([\d.]+)%", sentence)
    assert m is not None, sentence
    shown = published[["placements", "placements_with_missing"]].apply(pd.to_numeric, errors="coerce")
    visible = shown.notna().all(axis=1)
    far = published["distance_band"].isin(["20–50 miles", "50–100 miles", "over 100 miles"])
    k1, n1 = shown.loc[far & visible].sum()[["placements_with_missing", "placements"]]
    k0, n0 = shown.loc[~far & visible].sum()[["placements_with_missing", "placements"]]
    assert float(m.group(1)) == round(100 * k1 / n1, 1) and float(m.group(2)) == round(100 * k0 / n0, 1)
    hidden = published.loc[~visible, "distance_band"].tolist()
    assert hidden and f"left out: {', '.join(sorted(hidden))}" in sentence


def test_the_band_tables_total_is_published_like_its_cells() -> None:
    bands = pd.DataFrame({"straight_line": [600, 120, 3, 9, 11]}, index=list(DISTANCE_BANDS))
    keyed = DisclosureMethod("cell-key", secret=b"summary test")
    with use_disclosure(keyed):
        table = band_table(bands)
    assert table.iloc[-1]["straight_line"] == str(publish_count(743, method=keyed))
    with use_disclosure(DFE):
        assert band_table(bands).iloc[-1]["straight_line"] == "743"
    with pytest.raises(InputError, match="band table: no distance column"):
        band_table(bands.rename(columns={"straight_line": "miles"}))
