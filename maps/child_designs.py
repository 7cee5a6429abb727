"""The within-child designs in the main job: their outputs, and sentences saying which design answers which question.

``maps.job.child`` calls :func:`design_outputs` after the between-child models and adds what it returns
to its step; a design the data cannot identify is skipped with its reason, never an error.
"""

from __future__ import annotations

import logging
from pathlib import Path

import pandas as pd

from distance.child_models import ChildEffectResult
from distance.move_study import EventStudyResult, move_event_study
from distance.within_child import WithinChildResult, within_child_effect
from geo.disclosure import SYNTHETIC_LABEL, count_text
from geo.errors import ModelNotIdentifiedError
from maps import report
from maps.effect_figures import write_design_outputs
from maps.steps import Skipped, StepOutput
from provision.returns import QualityCount

logger = logging.getLogger(__name__)

__all__ = ["design_outputs", "design_sentences"]


def design_outputs(frame: pd.DataFrame, *, between: ChildEffectResult | None, synthetic: bool, stage: Path,
                   kind: str) -> StepOutput:
    """Fit the within-child model and the event study on ``frame``, write their tables and figures into ``stage``."""
    out = StepOutput()
    within: WithinChildResult | None = None
    event: EventStudyResult | None = None
    try:
        within = within_child_effect(frame, synthetic=synthetic)
    except ModelNotIdentifiedError as exc:  # a finding about the data, not a fault
        out.skipped.append(Skipped("Within-child design", f"the data cannot identify it: {exc}"))
        out.quality.append(QualityCount(f"effect ({kind})", f"within-child design not identified: {exc}",
                                        int(frame["child"].nunique()), synthetic))
    try:
        event = move_event_study(frame, synthetic=synthetic)
    except ModelNotIdentifiedError as exc:
        out.skipped.append(Skipped("Event study around moves", f"the data cannot identify it: {exc}"))
    if within is not None:
        out.notes += within.notes
    if event is not None:
        out.notes += event.notes
    out.sentences += design_sentences(between, within, event, synthetic=synthetic)
    if within is None and event is None:
        return out
    for p in write_design_outputs(within, event, stage, between=between, synthetic=synthetic):
        rel = p.relative_to(stage).as_posix()
        out.items.append(report.Item(rel, rel, "child level: within-child design and event study",
                                     synthetic=synthetic))
    return out


def design_sentences(between: ChildEffectResult | None, within: WithinChildResult | None,
                     event: EventStudyResult | None, *, synthetic: bool) -> list[str]:
    """Say in plain words which design answers which question, and what each found."""
    tag = "SYNTHETIC: " if synthetic else ""
    sentences = [
        f"{tag}Two designs answer two different questions. Comparing children (the between-child models) asks "
        "whether children placed further from home go missing more than children placed nearer, once what the "
        "data records about them is taken into account; it cannot separate the effect of distance from the "
        "reasons children are placed far away (exploitation, earlier missing episodes). Comparing each child "
        "with themselves (the within-child design) asks whether the same child goes missing more often in their "
        "further placements than in their nearer ones; everything about a child that does not change between "
        "placements cancels out, but it speaks only for children who moved between placements at different "
        "distances and went missing at least once."]
    if within is not None:
        w = within.per_10_miles()
        words = (f"within children, the rate ratio of going missing per 10 miles further from home "
                 f"({within.distance_measure} distance) was {w['ratio']:.2f} (95% CI {w['ci_low']:.2f} to "
                 f"{w['ci_high']:.2f}), from {_count(within.n_children)} children")
        if between is not None:
            b = between.per_10_miles()
            words += f"; between children it was {b['ratio']:.2f} ({b['ci_low']:.2f} to {b['ci_high']:.2f})"
        verdict = _verdict(w["ci_low"], w["ci_high"], more="the same child went missing more in their further "
                           "placements", less="the same child went missing less in their further placements")
        sentences.append(f"{tag}In {'the synthetic data' if synthetic else 'your data'}, {words}: {verdict}.")
    if event is not None:
        c = event.contrasts.set_index("model_id")
        if "move_further_vs_same" in c.index and pd.notna(c.loc["move_further_vs_same", "ratio"]):
            r = c.loc["move_further_vs_same"]
            sentences.append(
                f"{tag}Around a move more than {event.threshold_miles:g} miles further from home, the missing rate "
                f"in the {event.window_days} days after, against the {event.window_days} days before, changed "
                f"{r['ratio']:.2f} times as much as around moves that kept the distance (95% CI {r['ci_low']:.2f} "
                f"to {r['ci_high']:.2f}; {_count(int(r['moves']))} such moves): "
                + _verdict(r["ci_low"], r["ci_high"], more="missing rose more after moves further away",
                           less="missing rose less after moves further away") + ".")
    if synthetic:
        sentences[-1] += f" {SYNTHETIC_LABEL}."
    return sentences


def _verdict(low: float, high: float, *, more: str, less: str) -> str:
    """Plain words for a ratio's 95% interval: above 1, below 1, or either side of it."""
    if low > 1:
        return more
    if high < 1:
        return less
    return "no clear difference (the interval includes 1)"


def _count(n: int) -> str:
    """Format a count as published (:func:`geo.disclosure.count_text`): suppressed below 5, else the method's value."""
    return count_text(n)
