"""Distances from home to placement: straight-line (DfE method), road networks, routing, and the distance models."""

from __future__ import annotations

import importlib
from typing import Any

# public name -> module that defines it; imported on first use, so 'farfromhome --help' stays fast
_API = {
    "DISTANCE_BANDS": "distance.straight",
    "DISTANCE_BAND_EDGES_MILES": "distance.straight",
    "KM_PER_MILE": "distance.straight",
    "DFE_KM_PER_MILE": "distance.straight",
    "distance_band": "distance.straight",
    "dfe_miles": "distance.straight",
    "straight_distance": "distance.straight",
    "RoadNetwork": "distance.network",
    "build_network": "distance.network",
    "load_network": "distance.network",
    "save_network": "distance.network",
    "shortest_path_lengths": "distance.engine",
    "road_distances": "distance.road",
    "snap": "distance.road",
    "backbone_distances": "distance.backbone",
    "child_effect": "distance.child_models",
    "ChildEffectResult": "distance.child_models",
    "ecological_effect": "distance.ecological",
    "EcologicalResult": "distance.ecological",
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
