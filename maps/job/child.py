"""Step "child": child-level models of missing incidents by distance, and the within-child designs."""

from __future__ import annotations

from distance.child_models import ChildEffectResult, child_effect
from distance.glm import release_memory
from geo.errors import ModelNotIdentifiedError
from maps import report, summary
from maps.child_designs import design_outputs
from maps.effect_figures import write_child_outputs
from maps.job.context import JobContext
from maps.steps import Skipped, StepOutput
from provision.placement_frame import placement_frame
from provision.returns import QualityCount, sample_children

__all__ = ["run"]

WHAT = "Child-level distance-and-missing models"


def run(ctx: JobContext) -> StepOutput:
    """Between-child models and the within-child designs; skipped (named) without a missing file."""
    out = StepOutput()
    if ctx.children.missing is None:
        out.skipped.append(Skipped(WHAT, "no missing file given (--missing)"))
        return out
    kind, synthetic = ctx.kind, ctx.synthetic
    release_memory()  # what reading and the earlier steps freed, before the largest step of the run
    children, note = sample_children(ctx.children, ctx.options.effect_children, seed=ctx.options.seed)
    if note is not None:
        out.notes.append(note)
    located = ctx.located  # with road distances when measured
    if note is not None:  # a sample (--effect-children): its children only
        located = located.loc[located["CHILD"].isin(set(children.located["CHILD"]))]
    located = located.copy(deep=False)  # attrs of its own; copy-on-write: no column is copied (2 GB at scale)
    located.attrs["synthetic"] = synthetic
    frame, pq = placement_frame(located, header=children.header, missing=children.missing, source=kind,
                                window=children.window)
    out.quality += [QualityCount(f"effect ({kind})", str(r.reason), int(r.rows), synthetic) for r in pq.itertuples()]
    release_memory()
    try:
        result: ChildEffectResult = child_effect(frame, synthetic=synthetic)
    except ModelNotIdentifiedError as exc:  # a finding about the data, not a fault
        out.skipped.append(Skipped(WHAT, f"the data cannot identify the models: {exc}"))
        out.quality.append(QualityCount(f"effect ({kind})", f"models not identified: {exc}", int(len(frame)),
                                        synthetic))
        return out
    out.sentences += summary.child_sentences(result, synthetic=synthetic)
    modelled = frame["status"].eq("ok") if "status" in frame.columns else None
    distances = frame["distance_miles"] if modelled is None else frame.loc[modelled, "distance_miles"]
    for p in write_child_outputs(result, ctx.stage, data_quality=pq, distances=distances):
        rel = p.relative_to(ctx.stage).as_posix()
        out.items.append(report.Item(rel, rel, "child level", synthetic=synthetic))
    return out.extend(design_outputs(frame, between=result, synthetic=synthetic, stage=ctx.stage, kind=kind))

