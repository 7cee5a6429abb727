"""England local authority and region boundaries, codes, names and code changes."""

from boundaries.codes import (
    SMALL_LA_MERGES,
    codes_from_names,
    harmonise_code,
    harmonise_codes,
    la_lookup,
    normalise_name,
    resolve_la,
    successors,
)
from boundaries.neighbours import statistical_neighbours, statistical_neighbours_closeness
from boundaries.polygons import load_las, load_regions
from geo.settings import LA_VINTAGE

__all__ = [
    "LA_VINTAGE",
    "SMALL_LA_MERGES", "codes_from_names", "harmonise_code", "harmonise_codes", "la_lookup",
    "load_las", "load_regions", "normalise_name", "resolve_la", "statistical_neighbours",
    "statistical_neighbours_closeness", "successors",
]
