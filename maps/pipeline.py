"""The main job as one library call: public supply and demand data + child-level placements → a report folder.

``run_job`` is what ``farfromhome demo`` (synthetic children) and ``farfromhome run`` (a user's own SSDA903 return)
call, and what the tests call directly. It resolves the options and the input once into a typed context
(:func:`maps.job.context.resolve_context`), then runs the declared :data:`STEPS` in order; from that one tuple
come the progress count, the report's sections, ``run.json`` and the tests' step selection. It computes nothing
itself: each step (one module of :mod:`maps.job`) calls ``provision`` and ``distance`` for the numbers and
``maps`` for the drawing. A new map or section is one module and one line in ``STEPS``.

A step is skipped only for a named, expected reason (``--network none``; no missing file; a model the data cannot
identify; a step not requested), and every skip is listed in the report and in ``run.json``. Any other error
fails the run: nothing is written to ``--out`` (see :func:`maps.outputs.staged_output`) and the caller gets the
exception.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from pathlib import Path

import pandas as pd

from geo.catalogue import originals_used
from geo.csvsafe import to_csv
from geo.disclosure import disclosure_record, use_disclosure
from geo.errors import InputError
from maps import report
from maps.job import child, ecological, la_report, national, placements, plan, roads, sufficiency, supply, trends
from maps.job.common import SUPPLY_SOURCE, placements_source
from maps.job.context import JobContext, JobOptions, resolve_context
from maps.outputs import staged_output, write_quality, write_run_json
from maps.steps import Section, Skipped, Step, StepOutput
from provision.returns import ChildLevelData

logger = logging.getLogger(__name__)

__all__ = ["JobOptions", "JobContext", "JobResult", "Section", "Skipped", "Step", "StepOutput", "SECTIONS",
           "STEPS", "STEP_NAMES", "planned_steps", "select_steps", "replace_step", "run_job", "SUPPLY_SOURCE",
           "placements_source"]

SECTIONS: tuple[Section, ...] = (
    Section("supply", "Children's homes and places (real public data)"),
    Section("placed", "Where children are placed", child_level=True, lead=lambda ctx: [ctx.children.description]),
    Section("sufficiency", "Sufficiency: how much further than the nearest place", child_level=True),
    Section("my_la", "The focus LA beside its statistical neighbours", child_level=True),
    Section("difference", "Does distance make a difference?"),
    Section("over_time", "England over time (real public data)"),
)
"""The report's sections, in page order; each step names the one it fills."""

STEPS: tuple[Step, ...] = (
    Step("supply", "supply", "Supply map, figures and tables (real data)", supply.run),
    Step("roads", "placed", "Road distances", roads.run),
    Step("placements", "placed", "Flow and distance maps", placements.run),
    Step("sufficiency", "sufficiency", "Sufficiency: distance beyond the nearest place", sufficiency.run),
    Step("plan", "sufficiency", "Where new places would go (sufficiency plan)", plan.run),
    Step("la_report", "my_la", "The focus LA's report beside its statistical neighbours", la_report.run),
    Step("ecological", "difference", "Distance and going missing between LAs (real data)", ecological.run),
    Step("national", "difference", "Going missing inside and outside the LA, England (real data)", national.run),
    Step("trends", "over_time", "England over time (real data)", trends.run),
    Step("child", "difference", "Distance and going missing by child", child.run),
)
"""The main job, in order: name, report section, progress label, and ``run(ctx) -> StepOutput``."""

STEP_NAMES = tuple(s.name for s in STEPS)


@dataclass
class JobResult:
    """A finished run: the report folder, its index, the summary, what was skipped and the step timings (s)."""

    out: Path
    index: Path
    summary: list[str]
    skipped: list[Skipped]
    timings: dict[str, float]
    focus: str
    data_quality: pd.DataFrame


def select_steps(names: Iterable[str], *, steps: tuple[Step, ...] | None = None) -> tuple[Step, ...]:
    """Return the declared steps named in ``names``, in the declared order.

    Raises
    ------
    InputError
        A name that is not a step (the message lists the steps).
    """
    steps = STEPS if steps is None else steps
    wanted = list(names)
    known = {s.name for s in steps}
    unknown = [n for n in wanted if n not in known]
    if unknown:
        raise InputError(f"unknown step(s) {', '.join(map(repr, unknown))}: the main job's steps are "
                         f"{', '.join(s.name for s in steps)}")
    return tuple(s for s in steps if s.name in wanted)


def replace_step(name: str, run: Callable[[JobContext], StepOutput], *,
                 steps: tuple[Step, ...] | None = None) -> tuple[Step, ...]:
    """Return the steps with step ``name``'s function replaced (an unknown name raises :class:`InputError`)."""
    steps = STEPS if steps is None else steps
    select_steps([name], steps=steps)
    return tuple(replace(s, run=run) if s.name == name else s for s in steps)


def run_job(children: ChildLevelData, *, out: str | Path, options: JobOptions | None = None,
            on_step: Callable[[str], None] | None = None) -> JobResult:
    """Run the main job into the folder ``out`` and return what it did.

    Parameters
    ----------
    children
        The child-level input, already read and located (:func:`provision.returns.read_return` or
        :func:`provision.returns.synthetic_return`).
    out
        The report folder: created, or replaced whole when it holds a previous report (never half-written).
    options
        See :class:`~maps.job.context.JobOptions`; ``options.steps`` runs only the named steps.
    on_step
        Called with each step's label as it starts (the CLI prints progress from it; ``len(planned_steps())``
        steps in all).

    Raises
    ------
    InputError
        Bad options (checked before any work, the network file read once) or an unusable ``out``; any error of
        a step propagates.
    """
    options = options if options is not None else JobOptions()
    planned = planned_steps(options)
    ctx = resolve_context(children, options)
    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    with use_disclosure(options.disclosure), staged_output(Path(out)) as stage:
        for sub in ("maps", "figures", "tables"):
            (stage / sub).mkdir()
        for rel, frame in children.files.items():
            (stage / rel).parent.mkdir(parents=True, exist_ok=True)
            to_csv(frame, stage / rel, index=False)
        ctx = replace(ctx, stage=stage)
        outputs: dict[str, StepOutput] = {}
        for step in planned:
            if on_step is not None:
                on_step(step.label)
            logger.info("%s: %s", options.label, step.label)
            t = time.perf_counter()
            result = step.run(ctx)
            timings[step.name] = round(time.perf_counter() - t, 1)
            ctx = ctx.with_changes(result.context)
            outputs[step.name] = result
        not_run = [Skipped(s.label, "not requested (JobOptions.steps)") for s in STEPS if s not in planned]
        skipped = [s for o in outputs.values() for s in o.skipped] + not_run
        sections = _sections(ctx, planned, outputs, skipped)
        sentences = [s for o in outputs.values() for s in o.sentences]
        quality = write_quality(children.quality + [q for o in outputs.values() for q in o.quality],
                                stage / "data_quality.csv")
        settings = ctx.settings()
        index = report.write_index(stage, title=f"farfromhome: children in care, placements and distance "
                                   f"({ctx.year})", summary=sentences, sections=sections,
                                   synthetic=ctx.synthetic, roads=ctx.roads, settings=settings)
        timings["total"] = round(time.perf_counter() - t0, 1)
        facts = {k: v for o in outputs.values() for k, v in o.facts.items()}
        steps_run = [{"name": s.name, "label": s.label, "section": s.section, "seconds": timings[s.name]}
                     for s in planned]
        write_run_json(stage, settings=settings, timings=timings, synthetic=ctx.synthetic,
                       skipped=[(s.step, s.reason) for s in skipped],
                       extra={"steps": steps_run, "originals": originals_used(),
                              "disclosure": disclosure_record(), **facts})
    out = Path(out)
    return JobResult(out=out, index=out / index.name, summary=sentences, skipped=skipped, timings=timings,
                     focus=ctx.focus, data_quality=quality)


def planned_steps(options: JobOptions) -> tuple[Step, ...]:
    """Return the steps a run with ``options`` performs (all of :data:`STEPS`, or those ``options.steps`` names)."""
    return select_steps(options.steps) if options.steps else STEPS


def _sections(ctx: JobContext, planned: tuple[Step, ...], outputs: dict[str, StepOutput],
              skipped: list[Skipped]) -> list[report.Section]:
    """Return the report's sections in :data:`SECTIONS` order, each filled by its steps in :data:`STEPS` order."""
    sections = []
    for sec in SECTIONS:
        mine = [outputs[s.name] for s in planned if s.section == sec.key]
        if not mine:
            continue
        notes = (sec.lead(ctx) if sec.lead is not None else []) + [n for o in mine for n in o.notes]
        sections.append(report.Section(sec.title, items=[i for o in mine for i in o.items], notes=notes,
                                       synthetic=ctx.synthetic if sec.child_level else False))
    if skipped:
        sections.append(report.Section("Left out, and why", notes=[f"{s.step}: {s.reason}" for s in skipped]))
    return sections
