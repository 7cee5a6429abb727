"""Step "roads": road distances on the chosen network, falling back row by row to the backbone beyond it."""

from __future__ import annotations

from distance.road import road_distances
from distance.road_summary import backbone_agreement, road_source_summary
from maps.job.context import JobContext
from maps.outputs import road_quality
from maps.steps import Skipped, StepOutput
from provision.returns import QualityCount

__all__ = ["run"]


def run(ctx: JobContext) -> StepOutput:
    """Road distances for every placement; hands the placements with road distances on to the later steps.

    Skipped (named) with ``--network none``. With a network file, the rows whose ends lie beyond the network
    (a regional extract; Wales, Scotland) use the approximate backbone; the shares go into the summary, the
    data-quality table and ``run.json`` with the network's provenance and its agreement with the backbone.
    """
    out = StepOutput()
    if ctx.network is None:
        out.skipped.append(Skipped("Road distances", "not measured (--network none): straight-line only"))
        return out
    located = road_distances(ctx.children.located, network=ctx.network)
    out.context = {"located": located, "roads": True}
    out.quality += road_quality(located, synthetic=ctx.synthetic)
    network = ctx.road_network
    if network is None:
        out.notes.append("Road distances on the approximate national backbone (Strategic Road Network plus "
                         "access legs), not a full road network.")
        return out
    sources = road_source_summary(located)
    out.notes.append(sources["sentence"][0].upper() + sources["sentence"][1:] + ".")
    if sources["counts"]["backbone"]:
        out.quality.append(QualityCount(f"road distance ({ctx.kind})", "beyond the road network: approximate "
                                        "backbone used", sources["counts"]["backbone"], ctx.synthetic,
                                        out_of="episodes with a road distance, by network used"))
    agreement = (backbone_agreement(located) if ctx.options.compare_backbone
                 else "not measured (compare_backbone=False, 'farfromhome run --compare-backbone')")
    out.facts["road_network"] = {**network.report.get("source_provenance", {}), "road_sources": sources["counts"],
                                 "backbone_agreement": agreement}
    return out
