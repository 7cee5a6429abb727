"""The main job's vocabulary: a declared :class:`Step`, its :class:`StepOutput`, a named :class:`Skipped`.

Kept out of :mod:`maps.pipeline` so that the step modules (``maps.job.*``, ``maps.trends_section``) can return
them while the pipeline imports those modules: no import cycle. ``maps.pipeline`` re-exports them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from maps import report
from provision.returns import QualityCount

if TYPE_CHECKING:
    from maps.job.context import JobContext

__all__ = ["Section", "Skipped", "Step", "StepOutput"]


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
    context: dict[str, Any] = field(default_factory=dict)
    """Fields of the :class:`~maps.job.context.JobContext` this step changes for the steps after it (the roads
    step hands on the placements with their road distances); names are checked by the pipeline."""

    def extend(self, other: StepOutput) -> StepOutput:
        """Add ``other``'s items, notes, sentences, counts, skips and facts to this output (returned)."""
        self.items += other.items
        self.notes += other.notes
        self.sentences += other.sentences
        self.quality += other.quality
        self.skipped += other.skipped
        self.facts.update(other.facts)
        return self


@dataclass(frozen=True)
class Section:
    """A section of the report's index page, filled by the steps that name it, in the order of ``STEPS``.

    ``child_level``: the section shows child-level results (marked SYNTHETIC when the data is); ``lead``: notes
    that open the section, from the context (the description of the child-level input).
    """

    key: str
    title: str
    child_level: bool = False
    lead: Callable[[JobContext], list[str]] | None = None


@dataclass(frozen=True)
class Step:
    """One declared step of the main job.

    Its name (for ``run.json``, timings and selection), the report section it fills, the label shown as it runs,
    and the function that runs it on the context.
    """

    name: str
    section: str
    label: str
    run: Callable[[JobContext], StepOutput]
