"""Supply and demand (Ofsted, DfE), SSDA903 placements read and located, synthetic returns, gaps and clustering."""

from __future__ import annotations

import importlib
from typing import Any

# public name -> module that defines it; imported on first use, so 'farfromhome --help' stays fast
_API = {
    "supply_by_la": "provision.homes",
    "demand_by_la": "provision.demand",
    "supply_gaps": "provision.gaps",
    "spatial_clustering": "provision.clustering",
    "la_measures": "provision.measures",
    "read_ssda903": "provision.ssda903",
    "validate": "provision.ssda903",
    "locate": "provision.placements",
    "read_located": "provision.placements",
    "placement_flows": "provision.flows",
    "distances_by_la": "provision.flows",
    "placement_frame": "provision.placement_frame",
    "load_placement_frame": "provision.placement_frame",
    "load_ecological": "provision.outcomes",
    "read_return": "provision.returns",
    "synthetic_return": "provision.returns",
    "ChildLevelData": "provision.returns",
    "generate": "provision.synth",
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
