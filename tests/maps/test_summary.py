"""maps.summary: the report's sentences quote published totals and never contradict them."""

from __future__ import annotations

from pathlib import Path

from maps.summary import supply_sentences
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
