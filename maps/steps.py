"""What a step of the main job gives back (:class:`StepOutput`, :class:`Skipped`), apart from the job itself.

Kept out of :mod:`maps.pipeline` so that step functions in their own modules (``maps.trends_section``) can return
them while the pipeline imports those modules: no import cycle. ``maps.pipeline`` re-exports both.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from maps import report
from provision.returns import QualityCount

__all__ = ["Skipped", "StepOutput"]


@dataclass(frozen=True)
class Skipped:
    """A step left out for a named, expected reason."""

    step: str
    reason: str


@dataclass
class StepOutput:
    """What a step adds to the report: linked files, notes, summary sentences and data-quality counts."""

    items: list[report.Item] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    sentences: list[str] = field(default_factory=list)
    quality: list[QualityCount] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    facts: dict[str, Any] = field(default_factory=dict)
    """Named facts for ``run.json`` (e.g. the road network's provenance)."""
