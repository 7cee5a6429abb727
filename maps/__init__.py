"""Outputs: interactive maps, publication figures, the report, and the main job (``run_job``)."""

from __future__ import annotations

import importlib
from typing import Any

# public name -> module that defines it; imported on first use, so 'farfromhome --help' stays fast
_API = {
    "run_job": "maps.pipeline",
    "JobOptions": "maps.pipeline",
    "JobResult": "maps.pipeline",
    "supply_map": "maps.interactive",
    "flow_map": "maps.interactive",
    "distance_map": "maps.interactive",
    "save_map": "maps.interactive",
    "supply_figure": "maps.static",
    "flow_figure": "maps.static",
    "distance_figure": "maps.static",
    "save_figure": "maps.static",
    "write_index": "maps.report",
    "plot_ecological": "maps.effect_figures",
    "plot_dose_response": "maps.effect_figures",
    "write_ecological_outputs": "maps.effect_figures",
    "write_child_outputs": "maps.effect_figures",
}

__all__ = sorted(_API)


def __getattr__(name: str) -> Any:
    if name in _API:
        value = getattr(importlib.import_module(_API[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_API))
