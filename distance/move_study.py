"""Around a move: missing incidents in the 90 days before and after a child moves much further away (or nearer).

An event study. Each move from one placement to the next (no gap in care between them) is classed by how the
distance from home changed: ``further`` (more than 20 miles further), ``nearer`` (more than 20 miles nearer)
or ``same`` (within 5 miles of the previous distance: the comparison). Days from 90 before to 90 after the move,
in 30-day bins, are counted with the missing incidents that start in them; the before-window stays in the old
placement and the after-window in the new one. The rate in each bin is shown with an exact interval; a Poisson
model with a fixed effect per move (absorbed) and a ``log(days)`` offset gives, for each class, the rate in the 90
days after the move against the 90 days before, and the difference-in-differences: how much more the rate
changes after a move further away than after a move that keeps the distance. Standard errors are clustered by
child.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from distance.glm import Design, fit_poisson
from geo.disclosure import SYNTHETIC_LABEL, is_synthetic
from geo.errors import InputError, ModelNotIdentifiedError, require_columns

logger = logging.getLogger(__name__)

__all__ = ["MOVE_GROUPS", "EventStudyResult", "move_windows", "move_event_study"]

MOVE_GROUPS = ("further", "nearer", "same")
"""Classes of move: more than ``threshold`` miles further from home, more than that nearer, or about the same."""


@dataclass
class EventStudyResult:
    """Rates around moves by class and 30-day bin, with the difference-in-differences against ``same`` moves.

    Attributes
    ----------
    bins
        Per class and bin (``days_from``, ``days_to`` relative to the move): ``moves``, ``placement_days``,
        ``missing_incidents``, ``incidents_per_1000_days`` with an exact Poisson 95% interval (``ci_low``,
        ``ci_high``; it ignores clustering within child: a picture, the tests are in ``contrasts``).
    contrasts
        Per class: the after/before rate ratio (90 days after against 90 days before) and, for ``further`` and
        ``nearer``, its ratio to that of ``same`` moves (``model_id`` ``move_<class>_vs_same``).
    moves
        Moves by class and the moves left out, by reason.
    """

    bins: pd.DataFrame
    contrasts: pd.DataFrame
    moves: pd.DataFrame
    threshold_miles: float
    window_days: int
    synthetic: bool
    distance_measure: str
    notes: list[str] = field(default_factory=list)

    @property
    def label(self) -> str:
        return SYNTHETIC_LABEL if self.synthetic else "child-level data"


def move_windows(frame: pd.DataFrame, *, window_days: int = 90, bin_days: int = 30, threshold_miles: float = 20.0,
                 same_within_miles: float = 5.0) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Days and missing incidents in bins around each move (see the module docstring).

    Parameters
    ----------
    frame
        From :func:`provision.placement_frame.placement_frame` (with ``missing_day_offsets``).

    Returns
    -------
    windows
        One row per move and bin: ``move``, ``child``, ``group``, ``bin`` (..., -1, 0, ...: bin 0 starts on the
        day of the move), ``days_from``, ``days_to``, ``days`` observed, ``incidents``.
    moves
        ``group`` (a class of :data:`MOVE_GROUPS` or why the move is left out) and ``moves``.
    """
    require_columns(frame, ["child", "start", "exposure_start", "exposure_end", "distance_miles",
                            "missing_day_offsets"], "placement frame")
    if window_days % bin_days or window_days <= 0:
        raise InputError(f"window_days ({window_days}) must be a positive multiple of bin_days ({bin_days})")
    # each placement and the child's next one, as row numbers: no sorted copy of the frame (GBs at scale)
    child = pd.factorize(frame["child"], sort=True)[0]
    start = frame["start"].to_numpy()
    order = np.lexsort((start, child))  # by child, then start (stable)
    has_next = np.zeros(order.size, bool)
    has_next[:-1] = ((child[order[1:]] == child[order[:-1]]) & (child[order[1:]] >= 0)
                     & ~pd.isna(start[order[1:]]))  # a placement without a child id has no next one
    rows_prev, rows_new = order[has_next], order[np.flatnonzero(has_next) + 1]
    used = ["exposure_start", "exposure_end", "distance_miles", "missing_day_offsets"]
    prev = {c: frame[c].to_numpy()[rows_prev] for c in used}
    new = {c: frame[c].to_numpy()[rows_new] for c in used}
    change = (new["distance_miles"] - prev["distance_miles"]).astype(float)
    # each move's class as a code into these words (an array of the words themselves is 224 bytes a move)
    words = np.array([*MOVE_GROUPS, "distance not known for one of the placements",
                      f"distance changed by {same_within_miles:g}-{threshold_miles:g} miles (neither kind)",
                      "not a move: a gap in care, or outside the observed period"], dtype=object)
    code = np.select([np.isnan(change), change > threshold_miles, change < -threshold_miles,
                      np.abs(change) <= same_within_miles], [3, 0, 1, 2], 4)
    gap = prev["exposure_end"] != new["exposure_start"]
    code[gap & (code < len(MOVE_GROUPS))] = 5
    group = words[code]
    moves = pd.Series(group).value_counts().rename_axis("group").rename("moves").reset_index()
    use = code < len(MOVE_GROUPS)
    t = new["exposure_start"][use]
    lo = np.maximum(t - np.timedelta64(window_days, "D"), prev["exposure_start"][use])
    hi = np.minimum(t + np.timedelta64(window_days, "D"), new["exposure_end"][use])
    before = ((t - lo) / np.timedelta64(1, "D")).astype(int)  # days observed before the move
    after = ((hi - t) / np.timedelta64(1, "D")).astype(int)
    n_bins = window_days // bin_days
    bins = np.arange(-n_bins, n_bins)
    k = len(t)
    start_rel = bins * bin_days
    observed = np.clip(np.minimum(start_rel + bin_days, after[:, None]) - np.maximum(start_rel, -before[:, None]),
                       0, bin_days)
    windows = pd.DataFrame({"move": np.repeat(np.arange(k), len(bins)),
                            "child": np.repeat(frame["child"].take(rows_prev[use]).to_numpy(), len(bins)),
                            "group": np.repeat(group[use], len(bins)), "bin": np.tile(bins, k),
                            "days_from": np.tile(start_rel, k), "days_to": np.tile(start_rel + bin_days - 1, k),
                            "days": observed.ravel().astype(float)})
    counts = np.zeros((k, len(bins)))
    for side in (prev, new):
        offsets = side["missing_day_offsets"][use]
        base = side["exposure_start"][use]
        lengths = np.fromiter((len(o) for o in offsets), int, k)
        if not lengths.sum():
            continue
        which = np.repeat(np.arange(k), lengths)
        day = base[which] + np.concatenate([np.asarray(o, int) for o in offsets if len(o)]).astype("timedelta64[D]")
        rel = ((day - t[which]) / np.timedelta64(1, "D")).astype(int)
        inside = (rel >= -before[which]) & (rel < after[which])
        b = np.floor_divide(rel[inside], bin_days) + n_bins
        np.add.at(counts, (which[inside], b), 1)
    windows["incidents"] = counts.ravel()
    return windows.loc[windows["days"] > 0].reset_index(drop=True), moves


def move_event_study(frame: pd.DataFrame, *, window_days: int = 90, bin_days: int = 30,
                     threshold_miles: float = 20.0, same_within_miles: float = 5.0,
                     synthetic: bool | None = None) -> EventStudyResult:
    """Event study of missing incidents around moves further away, nearer, and keeping the distance.

    Raises
    ------
    ModelNotIdentifiedError
        No move further away (or no comparison move), or no missing incident around the moves.
    """
    synthetic = is_synthetic(frame) if synthetic is None else synthetic
    measure = str(frame["distance_measure"].iloc[0]) if "distance_measure" in frame and len(frame) else "straight-line"
    data = frame.loc[frame["status"].eq("ok")] if "status" in frame else frame
    win, moves = move_windows(data, window_days=window_days, bin_days=bin_days, threshold_miles=threshold_miles,
                              same_within_miles=same_within_miles)
    notes: list[str] = []
    present = set(win["group"])
    if "same" not in present or not present & {"further", "nearer"}:
        n = dict(zip(moves["group"], moves["moves"], strict=True))
        raise ModelNotIdentifiedError(
            f"the event study needs moves more than {threshold_miles:g} miles further (or nearer) and moves that "
            f"keep the distance: {n.get('further', 0)} further, {n.get('nearer', 0)} nearer, {n.get('same', 0)} "
            "the same")
    if win["incidents"].sum() == 0:
        raise ModelNotIdentifiedError("no missing incident in the days around any move: nothing to model")
    groups = [g for g in MOVE_GROUPS if g in present]
    after = (win["bin"] >= 0).to_numpy()
    cluster = pd.factorize(win["child"])[0]
    offset = np.log(win["days"].to_numpy())
    y = win["incidents"].to_numpy(float)
    fe = win["move"].to_numpy(np.uint64)[:, None]
    levels = [int(win["move"].max()) + 1]
    # after vs before within each class, the level of each move absorbed
    cols, names = [], []
    for g in groups:
        cols.append(((win["group"] == g).to_numpy() & after).astype(float))
        names.append(f"after:{g}")
    pooled = fit_poisson(Design(np.column_stack(cols), names, fe, ["move"], levels), y, offset=offset,
                         cluster=cluster, notes=notes, name="event study (before/after)",
                         unit="30-day window(s)")
    agg = win.groupby(["group", "bin", "days_from", "days_to"], sort=False).agg(
        moves=("move", "nunique"), placement_days=("days", "sum"), missing_incidents=("incidents", "sum")).reset_index()
    days = agg["placement_days"].to_numpy(float)
    k = agg["missing_incidents"].to_numpy(float)
    agg["incidents_per_1000_days"] = 1000 * k / days
    agg["ci_low"] = 1000 * np.where(k > 0, stats.chi2.ppf(0.025, 2 * k) / 2, 0.0) / days  # exact (Garwood)
    agg["ci_high"] = 1000 * stats.chi2.ppf(0.975, 2 * k + 2) / 2 / days
    agg["interval"] = "exact Poisson 95% (ignores clustering within child)"
    agg["group"] = pd.Categorical(agg["group"], categories=list(MOVE_GROUPS))
    agg = agg.sort_values(["group", "bin"]).reset_index(drop=True)
    agg["group"] = agg["group"].astype(str)
    side = win.assign(after=after).groupby(["group", "after"])["incidents"].sum()
    empty = {g for g in groups if side.get((g, True), 0) == 0 or side.get((g, False), 0) == 0}
    rows = []
    for g in groups:
        words = _words(g, threshold_miles, same_within_miles)
        rows.append(_contrast(pooled, [f"after:{g}"], [1.0], f"move_{g}", f"after vs before, {g}",
                              f"{window_days} days after vs {window_days} days before, moves {words}"))
        if g != "same" and "same" in groups:
            rows.append(_contrast(pooled, [f"after:{g}", "after:same"], [1.0, -1.0], f"move_{g}_vs_same",
                                  f"{g} vs same (difference in differences)",
                                  f"change after a move {_words(g, threshold_miles, same_within_miles)}, relative to "
                                  f"the change after a move {_words('same', threshold_miles, same_within_miles)}"))
    contrasts = pd.DataFrame(rows)
    for g in empty:
        hit = contrasts["model_id"].str.startswith(f"move_{g}") | (
            contrasts["model_id"].str.endswith("_vs_same") & (g == "same"))
        contrasts.loc[hit, ["ratio", "ci_low", "ci_high", "p_value"]] = np.nan
        notes.append(f"event study: no missing incident before or after the {g} moves; their ratio is not estimable")
    contrasts["moves"] = contrasts["model_id"].map(lambda m: int(win.loc[win["group"].eq(m.split("_")[1]),
                                                                         "move"].nunique()))
    result = EventStudyResult(bins=agg, contrasts=contrasts, moves=moves, threshold_miles=threshold_miles,
                              window_days=window_days, synthetic=synthetic, distance_measure=measure, notes=notes)
    logger.info("event study on %d moves%s", win["move"].nunique(), " (SYNTHETIC)" if synthetic else "")
    return result


def _contrast(fit: Any, terms: list[str], weights: list[float], model_id: str, model: str,
              label: str) -> dict[str, Any]:
    w = np.asarray(weights)
    b = float(w @ fit.params[terms].to_numpy())
    se = float(np.sqrt(w @ fit.cov.loc[terms, terms].to_numpy() @ w))
    z = stats.norm.ppf(0.975)
    return {"model_id": model_id, "model": model, "term": label, "measure": "rate ratio", "ratio": np.exp(b),
            "ci_low": np.exp(b - z * se), "ci_high": np.exp(b + z * se),
            "p_value": float(2 * stats.norm.sf(abs(b / se))), "se": "clustered by child"}


def _words(group: str, threshold: float, same: float) -> str:
    return {"further": f"more than {threshold:g} miles further from home",
            "nearer": f"more than {threshold:g} miles nearer home",
            "same": f"keeping the distance (within {same:g} miles)"}[group]
