"""Straight-line distance the DfE way: grid distance between two postcodes, in miles to one decimal place."""

from __future__ import annotations

import logging
from typing import Any

import numpy as np
import pandas as pd

from geo.errors import InputError, MissingColumnsError

logger = logging.getLogger(__name__)

__all__ = ["KM_PER_MILE", "OVER_MILES", "dfe_miles", "straight_distance"]

KM_PER_MILE = 1.6093
"""The conversion factor DfE's SSDA903 guidance uses (not the exact 1.609344)."""

OVER_MILES = 20.0
"""DfE's threshold: children placed "more than 20 miles" from home."""


def dfe_miles(e1: Any, n1: Any, e2: Any, n2: Any) -> np.ndarray:
    """DfE ``PL_DISTANCE``: ``round(sqrt(dE² + dN²) / 1000 / 1.6093, 1)`` miles.

    Parameters
    ----------
    e1, n1, e2, n2
        Eastings and northings in EPSG:27700 metres (scalars or arrays; NaN where unknown).

    Returns
    -------
    numpy.ndarray
        Miles rounded to one decimal place (NumPy rounds halves to even, as pandas and the D2I validator do);
        NaN where any coordinate is NaN.
    """
    km = _km(e1, n1, e2, n2)
    return np.round(km / KM_PER_MILE, 1)


def straight_distance(
    frame: pd.DataFrame,
    *,
    origin: tuple[str, str] = ("home_easting", "home_northing"),
    destination: tuple[str, str] = ("pl_easting", "pl_northing"),
) -> pd.DataFrame:
    """Straight-line (grid) distance between two points per row, by the DfE method.

    Parameters
    ----------
    frame
        Rows with origin and destination coordinates in EPSG:27700 metres; the index is kept.
    origin, destination
        Names of the (easting, northing) columns.

    Returns
    -------
    pandas.DataFrame
        Indexed like ``frame``, with ``straight_distance_miles`` (DfE: miles to 1 dp, using 1.6093 km a mile),
        ``straight_distance_km`` (unrounded kilometres) and ``over_20_miles`` (nullable boolean: the DfE
        rounded miles are more than 20; ``<NA>`` where either point is unknown).

    Raises
    ------
    MissingColumnsError
        If a coordinate column is absent.
    InputError
        If a coordinate column is not numeric.
    """
    needed = [*origin, *destination]
    missing = [c for c in needed if c not in frame.columns]
    if missing:
        raise MissingColumnsError("frame for straight_distance", missing, list(frame.columns))
    coords = []
    for col in needed:
        values = frame[col]
        if not (pd.api.types.is_numeric_dtype(values) or values.isna().all()):
            raise InputError(f"column {col!r} must hold EPSG:27700 metres (numbers), got dtype {values.dtype}")
        coords.append(values.to_numpy(dtype=float, na_value=np.nan))
    km = _km(*coords)
    miles = np.round(km / KM_PER_MILE, 1)
    over = pd.array(miles > OVER_MILES, dtype="boolean")
    over[np.isnan(miles)] = pd.NA
    out = pd.DataFrame({"straight_distance_miles": miles, "straight_distance_km": km, "over_20_miles": over},
                       index=frame.index)
    logger.debug("straight-line distances for %d rows (%d unknown)", len(out), int(np.isnan(km).sum()))
    return out


def _km(e1: Any, n1: Any, e2: Any, n2: Any) -> np.ndarray:
    de = np.asarray(e2, dtype=float) - np.asarray(e1, dtype=float)
    dn = np.asarray(n2, dtype=float) - np.asarray(n1, dtype=float)
    return np.sqrt(de * de + dn * dn) / 1000.0
