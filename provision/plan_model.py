"""The one model of which child takes which new children's-home place, shared by the what-if and the plan.

**Assignment model.** Every child keeps the placement they have unless a new place is nearer to their home.
Children are taken one at a time in a user-chosen order (:data:`ORDERS`); each takes the nearest new place
that still has a free place (capacity respected) and is registered for the child's needs (a child with no
known needs may take any place), provided it is nearer than their current placement; otherwise the child
stays. One child takes one place. Distances are whatever the caller measured (straight-line or road, km):
the caller says which on its outputs.
"""

from __future__ import annotations

import logging

import numpy as np

from geo.errors import InputError

logger = logging.getLogger(__name__)

__all__ = ["ORDERS", "ASSIGNMENT_MODEL", "assign"]

ORDERS: dict[str, str] = {
    "nearest": "children nearest to a new place choose first",
    "farthest": "children placed farthest from home today choose first",
    "gain": "children who would come nearest home by the most choose first",
    "given": "children choose in the order of the return",
}
"""Orders in which children take the new places (the what-if defaults to ``nearest``, the plan to ``gain``)."""

ASSIGNMENT_MODEL = ("Assignment model: each child keeps today's placement unless a new place is nearer home; "
                    "children choose one at a time ({order}), each taking the nearest new place with a free place "
                    "that is registered for their needs; one child a place, capacity respected.")
"""The model in words; ``.format(order=ORDERS[order])`` gives the sentence every output states."""


def assign(current_km: np.ndarray, site_km: np.ndarray, capacity: np.ndarray, *, order: str = "nearest",
           child_needs: np.ndarray | None = None, site_registration: np.ndarray | None = None) -> np.ndarray:
    """Which new site, if any, each child takes under the assignment model (see the module docstring).

    Parameters
    ----------
    current_km
        Distance (km) from each child's home to today's placement, shape ``(n_children,)``; NaN rows never move.
    site_km
        Distance (km) from each child's home to each new site, shape ``(n_children, n_sites)``; NaN where
        unknown (not reachable): that site is not taken.
    capacity
        New places at each site, shape ``(n_sites,)``, whole numbers 0 or more.
    order
        A key of :data:`ORDERS`.
    child_needs
        Bit mask of each child's needs (0 = none known), shape ``(n_children,)``; default none.
    site_registration
        Bit mask of the needs each site is registered for (-1 = all), shape ``(n_sites,)``; default all.

    Returns
    -------
    numpy.ndarray
        ``int64``, the site each child takes, ``-1`` for a child who keeps today's placement.

    Raises
    ------
    InputError
        Unknown order, shapes that do not match, or a negative or fractional capacity.
    """
    if order not in ORDERS:
        raise InputError(f"unknown order {order!r}; expected one of {', '.join(ORDERS)}")
    current = np.asarray(current_km, float)
    dist = np.asarray(site_km, float).reshape(len(current), -1)
    cap = np.asarray(capacity, float).reshape(-1)
    if dist.shape[1] != cap.size:
        raise InputError(f"site distances have {dist.shape[1]} column(s) but {cap.size} capacities were given")
    if (cap < 0).any() or (cap != np.round(cap)).any():
        bad = cap[(cap < 0) | (cap != np.round(cap))][0]
        raise InputError(f"capacities must be whole numbers 0 or more; got {bad:g}")
    left = cap.astype(np.int64)
    eligible = np.isfinite(dist) & (dist < np.where(np.isfinite(current), current, -np.inf)[:, None])
    if child_needs is not None or site_registration is not None:
        needs = np.zeros(len(current), np.int64) if child_needs is None else np.asarray(child_needs, np.int64)
        reg = np.full(cap.size, -1, np.int64) if site_registration is None else np.asarray(site_registration, np.int64)
        eligible &= (reg[None, :] & needs[:, None]) == needs[:, None]
    out = np.full(len(current), -1, np.int64)
    if not left.any() or not eligible.any():
        return out
    masked = np.where(eligible, dist, np.inf)
    if order == "nearest":
        rank = np.argsort(masked.min(axis=1), kind="stable")
    elif order == "farthest":
        rank = np.argsort(-np.nan_to_num(current, nan=-np.inf), kind="stable")
    elif order == "gain":
        rank = np.argsort(masked.min(axis=1) - np.nan_to_num(current, nan=np.inf), kind="stable")
    else:
        rank = np.arange(len(current))
    rank = rank[eligible[rank].any(axis=1)]
    for i in rank:
        row = np.where(left > 0, masked[i], np.inf)
        j = int(np.argmin(row))
        if np.isfinite(row[j]):
            out[i] = j
            left[j] -= 1
            if not left.any():
                break
    logger.debug("assignment (%s): %d of %d children take a new place", order, int((out >= 0).sum()), len(out))
    return out
