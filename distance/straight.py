"""Straight-line distance the DfE way: grid distance between two postcodes, in miles to one decimal place."""

from __future__ import annotations

import logging
from typing import Any

import numpy as np
import pandas as pd

from geo.errors import InputError, require_columns

logger = logging.getLogger(__name__)

__all__ = [
    "DFE_KM_PER_MILE", "KM_PER_MILE", "METRES_PER_MILE", "OVER_MILES", "DISTANCE_BAND_EDGES_MILES", "DISTANCE_BANDS",
    "distance_band", "dfe_miles", "dfe_miles_from_km", "straight_distance",
]

DFE_KM_PER_MILE = 1.6093
"""The conversion factor of DfE's SSDA903 guidance for ``PL_DISTANCE`` (not the exact mile): use it only where
DfE's method is meant (:func:`dfe_miles`, :func:`straight_distance`)."""

KM_PER_MILE = 1.609344
"""The exact international mile in kilometres: every other conversion (road distances, map scales)."""

METRES_PER_MILE = 1609.344
"""The exact international mile in metres."""

OVER_MILES = 20.0
"""DfE's threshold: children placed "more than 20 miles" from home."""

DISTANCE_BAND_EDGES_MILES: tuple[float, ...] = (0.0, 10.0, 20.0, 50.0, 100.0, float("inf"))
"""Edges (miles, left-closed) of the one set of distance bands every output uses."""

DISTANCE_BANDS: tuple[str, ...] = ("0–10 miles", "10–20 miles", "20–50 miles", "50–100 miles", "over 100 miles")
"""Labels of the distance bands, in order: 0 ≤ d < 10, 10 ≤ d < 20, 20 ≤ d < 50, 50 ≤ d < 100, d ≥ 100 miles."""


def distance_band(miles: Any) -> pd.Series:
    """Distance band (an ordered categorical of :data:`DISTANCE_BANDS`) of each distance in miles; NaN stays NaN.

    Works for straight-line and road miles alike: say which distance the bands are of where they are shown.
    """
    values = pd.Series(miles, dtype=float) if not isinstance(miles, pd.Series) else miles.astype(float)
    return pd.cut(values, list(DISTANCE_BAND_EDGES_MILES), right=False, labels=list(DISTANCE_BANDS), ordered=True)


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
    return dfe_miles_from_km(_km(e1, n1, e2, n2))


def dfe_miles_from_km(km: Any) -> np.ndarray:
    """Miles as DfE's ``PL_DISTANCE`` words them: ``round(km / 1.6093, 1)`` (halves to even), NaN kept."""
    return np.round(np.asarray(km, dtype=float) / DFE_KM_PER_MILE, 1)


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
    require_columns(frame, needed, "frame for straight_distance")
    coords = []
    for col in needed:
        values = frame[col]
        if not (pd.api.types.is_numeric_dtype(values) or values.isna().all()):
            raise InputError(f"column {col!r} must hold EPSG:27700 metres (numbers), got dtype {values.dtype}")
        coords.append(values.to_numpy(dtype=float, na_value=np.nan))
    km = _km(*coords)
    miles = np.round(km / DFE_KM_PER_MILE, 1)
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
