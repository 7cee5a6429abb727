"""Home and placement points of a placements frame (EPSG:27700 metres), shared by the road-distance modules."""

from __future__ import annotations

import numpy as np
import pandas as pd

from geo.errors import MissingColumnsError

__all__ = ["POINT_COLUMNS", "points"]

POINT_COLUMNS = ["home_easting", "home_northing", "pl_easting", "pl_northing"]
"""The four coordinate columns every road-distance function reads (BNG metres, NaN where unknown)."""


def points(placements: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Return (home easting, home northing, placement easting, placement northing) as float arrays.

    Raises :class:`~geo.errors.MissingColumnsError` when a column is absent; values that are not numbers
    become NaN (an unknown point).
    """
    missing = [c for c in POINT_COLUMNS if c not in placements.columns]
    if missing:
        raise MissingColumnsError("placements", missing, list(placements.columns))
    he, hn, pe, pn = (pd.to_numeric(placements[c], errors="coerce").to_numpy(float) for c in POINT_COLUMNS)
    return he, hn, pe, pn
