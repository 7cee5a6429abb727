"""The main job's steps, one module each, and the context they share (:mod:`maps.job.context`).

Each module has one ``run(ctx) -> StepOutput``; :data:`maps.pipeline.STEPS` declares them in order.
"""

from maps.job.common import SUPPLY_SOURCE, placements_source, save_figures
from maps.job.context import JobContext, JobOptions, resolve_context

__all__ = ["JobContext", "JobOptions", "resolve_context", "SUPPLY_SOURCE", "placements_source", "save_figures"]
