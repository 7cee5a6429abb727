"""Disclosure control of every published number: DfE's suppression, and ONS's cell-key perturbation on top of it.

Two methods (:data:`METHODS`), chosen per run with ``--disclosure``:

* ``cell-key`` (the default): counts of 1 to 4 are suppressed ("c") with secondary suppression, as DfE does, and
  every other count is perturbed by a small amount drawn from a perturbation table (ptable) by a *cell key*, as
  the ONS did for the 2021 Census tables. The same count is always published as the same number (the cell key is
  a keyed hash of the count: consistent across tables, maps, figures and runs), and a count that changes by one
  child is published with a fresh draw, so the difference between two releases is noise, not the child.
  Magnitudes (placement days) get a bounded cell-key noise and are rounded. Rates and percentages are computed
  from the published numbers.
* ``dfe``: suppression only (the counts shown are exact). Two releases a child apart reveal that child.
"""

from __future__ import annotations

import logging
from collections.abc import Hashable, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from geo.disclosure_method import (
    CELL_KEY,
    DFE,
    KEY_ENV,
    METHODS,
    SECONDARY_LABEL,
    SUPPRESSED_LABEL,
    SUPPRESSION_RULE,
    SYMBOLS,
    DisclosureMethod,
    active_method,
    count_text,
    disclosure_record,
    method_named,
    open_data_columns,
    ptable,
    publish_count,
    publish_counts,
    publish_magnitude,
    published_label,
    symbol_of,
    use_disclosure,
)
from geo.errors import DisclosureError, InputError, require_columns

logger = logging.getLogger(__name__)

__all__ = [
    "SUPPRESSION_RULE", "SUPPRESSED_LABEL", "SECONDARY_LABEL", "SYNTHETIC_LABEL", "SYNTHETIC_ID_PREFIX",
    "SYNTHETIC_README",
    "suppress_counts", "suppress_table", "suppress_cells", "suppress_cells_detail", "suppress_hierarchy",
    "check_no_small_counts", "is_synthetic",
    "DisclosureMethod", "METHODS", "CELL_KEY", "DFE", "KEY_ENV", "SYMBOLS", "method_named", "use_disclosure",
    "active_method", "ptable", "publish_count", "publish_counts", "publish_magnitude", "count_text", "published_label",
    "disclosure_record", "open_data_columns", "symbol_of",
]

SYNTHETIC_LABEL = "SYNTHETIC data: generated records, not real children; not findings"
"""The one label on every output (map, figure, table, report) built from synthetic child-level data."""

SYNTHETIC_ID_PREFIX = "SYN"
"""Every child identifier made by ``provision.synth`` starts with this."""

SYNTHETIC_README = "README_SYNTHETIC.txt"
"""The notice ``farfromhome synth`` writes beside the files it generates (a folder of synthetic data)."""

def suppress_counts(
    frame: pd.DataFrame,
    *,
    count_columns: Sequence[Hashable],
    threshold: int = 5,
    group: Hashable | Sequence[Hashable] | None = None,
    total: Hashable | None = None,
) -> pd.DataFrame:
    """Return a copy of ``frame`` with small counts suppressed, as DfE publishes them.

    Primary suppression: every count ``1 <= n < threshold`` in ``count_columns`` becomes missing (``<NA>``).
    Zeros are kept. Secondary suppression then hides further counts wherever a published total would reveal
    a suppressed one:

    * across a row, when ``total`` names a column holding the row total of ``count_columns``: a row with
      exactly one suppressed count has its next smallest count suppressed too (or the total itself, when
      no other count is left);
    * down a column within each ``group`` (for example all flows out of one home LA, whose total number of
      children is published elsewhere): a group with exactly one suppressed count in a column has the next
      smallest count of that column in the group suppressed too.

    Both passes repeat until nothing changes.

    Parameters
    ----------
    frame
        Any table of non-negative integer counts (a GeoDataFrame keeps its geometry). Not modified.
    count_columns
        The columns holding counts of children (or of anything that could identify a child).
    threshold
        The smallest count that may be shown (5: counts 1–4 are suppressed).
    group
        Column name(s) defining groups whose column totals are published.
    total
        Name of a column holding each row's total of ``count_columns``; it is itself a count to protect.

    Returns
    -------
    pandas.DataFrame
        Same index and columns, the count columns (and ``total``) as nullable ``Int64`` with suppressed cells
        ``<NA>``; one ``<column>_label`` string column per protected column ("12", "fewer than 5",
        "suppressed"); and a boolean ``suppressed`` column, true where any cell of the row was suppressed.

    Raises
    ------
    MissingColumnsError
        A named column is not in ``frame``.
    geo.errors.InputError
        A count is negative or not a whole number.
    """
    cols = list(count_columns)
    protected = cols + ([total] if total is not None and total not in cols else [])
    groups = [] if group is None else ([group] if isinstance(group, str) or not isinstance(group, Sequence)
                                       else list(group))
    require_columns(frame, protected + groups, "table to suppress")
    if not cols:
        raise DisclosureError("suppress_counts needs at least one count column")
    values = _as_counts(frame, protected)
    primary = (values >= 1) & (values < threshold)
    hidden = primary.copy()

    pos_groups = None
    if groups:
        keys = frame[groups].astype(str).agg("\x1f".join, axis=1) if len(groups) > 1 else frame[groups[0]]
        pos_groups = [np.flatnonzero((keys == k).to_numpy()) for k in pd.unique(keys)]

    changed = True
    while changed:
        changed = False
        if total is not None:
            changed |= _secondary_rows(values, hidden, cols, total)
        if pos_groups is not None:
            for c in protected:
                for pos in pos_groups:
                    changed |= _secondary_cells(values, hidden, c, pos)

    out = frame.copy()
    n_primary = int(primary.to_numpy().sum())
    n_secondary = int(hidden.to_numpy().sum()) - n_primary
    for c in protected:
        shown = _shown(values[c], threshold)
        out[c] = shown.mask(hidden[c])
        label = shown.astype(str)
        label = label.mask(hidden[c] & ~primary[c], SECONDARY_LABEL).mask(primary[c], SUPPRESSED_LABEL)
        out[f"{c}_label"] = label
    out["suppressed"] = hidden.any(axis=1).to_numpy()
    logger.info("suppressed %d count(s) below %d and %d more by secondary suppression", n_primary, threshold,
                n_secondary)
    return out


def suppress_table(table: pd.DataFrame, *, min_count: int = 5, columns: Sequence[str] = (
        "placements", "children", "missing_incidents", "placements_with_missing"),
        size_columns: Sequence[str] = ("placements", "children"), column_totals: bool = False,
        group: str | None = None, decimals: dict[str, int] | None = None,
        also_hide: Sequence[bool] | np.ndarray | None = None) -> pd.DataFrame:
    """Suppress the count ``columns`` of a published table (as text labels) and every statistic of a small group.

    Counts 1..``min_count - 1``, and counts that would reveal them, become "fewer than 5" / "suppressed". A row
    whose group is small (any of its ``size_columns`` hidden: a distance band of fewer than 5 placements or
    children) has every count and every other number in it blanked too: its median distance, placement days,
    rates and intervals are statistics of a handful of children (one child's exact distance, when there is one).
    The rates and intervals derived from a hidden count (``incidents_per_1000_days``, ``ci_low``, ``ci_high``,
    ``pct_placements_with_missing``) are blanked with it.

    Parameters
    ----------
    column_totals
        The column totals over all rows are published elsewhere (the number of placements modelled, say): each
        count column then gets secondary suppression over the rows. A column with a small hidden count also has
        a count of at least ``min_count`` hidden: two hidden cells are not enough when the second is a zero or
        both are 1 (the total then pins them: 1 + 0 = 1), which a linear programme over the totals finds.
    group
        As ``column_totals``, within each value of this column (rows of one group add up to a published total).
    also_hide
        Rows whose counts are hidden too, whatever their size (the caller's own reason: a count that another
        table publishes a near-equal of, say); secondary suppression then accounts for them.
    decimals
        Round these columns of the visible rows (coarsen: a median of road distances is otherwise one child's
        distance to the metre); default ``median_distance_miles`` to 1 decimal.

    Returns
    -------
    pandas.DataFrame
        A copy with the count columns as text labels, blanked statistics, and a boolean ``suppressed`` column.
    """
    cols = [c for c in columns if c in table]
    if not cols or table.empty:
        return table.copy()
    t = table.copy()
    for c in cols:
        t[c] = pd.to_numeric(t[c], errors="coerce").fillna(0).round().astype(int)
    values = _as_counts(t, list(cols))
    primary = (values >= 1) & (values < min_count)
    hidden = primary.copy()
    if also_hide is not None:
        extra = np.asarray(also_hide, dtype=bool)
        for c in cols:
            hidden.loc[extra & (values[c] > 0).to_numpy(), c] = True
    sizes = [c for c in size_columns if c in cols]
    if column_totals:
        groups = [np.arange(len(t))]
    elif group is not None:
        groups = [np.flatnonzero((t[group] == k).to_numpy()) for k in pd.unique(t[group])]
    else:
        groups = []
    changed = True
    while changed:
        changed = False
        small = hidden[sizes].any(axis=1) if sizes else pd.Series(False, index=t.index)
        for c in cols:  # zeros too: "none of these 3 children went missing" is about those children
            extend = small & ~hidden[c]
            if extend.any():
                hidden.loc[extend, c] = True
                changed = True
        for c in cols:
            for pos in groups:
                changed |= _protect_group(values, hidden, c, pos, min_count)
    out = table.copy()
    for c in cols:
        label = _shown(values[c], min_count).astype(str)
        out[c] = label.mask(hidden[c] & ~primary[c], SECONDARY_LABEL).mask(primary[c], SUPPRESSED_LABEL)
    small = hidden[sizes].any(axis=1) if sizes else pd.Series(False, index=t.index)
    numeric = [c for c in out.columns if c not in cols and pd.api.types.is_numeric_dtype(out[c])
               and not pd.api.types.is_bool_dtype(out[c])]
    for c in numeric:
        out[c] = out[c].mask(small)
    if "missing_incidents" in cols:
        for c in ("incidents_per_1000_days", "ci_low", "ci_high"):
            if c in out:
                out[c] = out[c].mask(hidden["missing_incidents"])
    if "placements_with_missing" in cols and "pct_placements_with_missing" in out:
        out["pct_placements_with_missing"] = out["pct_placements_with_missing"].mask(hidden["placements_with_missing"])
    for c, d in (decimals if decimals is not None else {"median_distance_miles": 1}).items():
        if c in out:
            out[c] = out[c].round(d)
    out["suppressed"] = hidden.any(axis=1).to_numpy()
    return out


def suppress_cells(values: Sequence[float] | np.ndarray, relations: Sequence[Sequence[int] | np.ndarray], *,
                   threshold: int = 5, hidden: Sequence[bool] | np.ndarray | None = None) -> np.ndarray:
    """Return which cells must not be published (see :func:`suppress_cells_detail`, which also says how)."""
    return suppress_cells_detail(values, relations, threshold=threshold, hidden=hidden)[0]


def suppress_cells_detail(values: Sequence[float] | np.ndarray, relations: Sequence[Sequence[int] | np.ndarray],
                          *, threshold: int = 5, hidden: Sequence[bool] | np.ndarray | None = None,
                          exact: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """Primary and secondary suppression over any set of linked counts; returns which cells are hidden.

    The general form of the hierarchy rule: every count published anywhere (a flow, a region, a band total) is
    one cell of ``values``, and each relation lists cells tied by one published equation (a total and its
    parts, or parts whose total is published elsewhere). Counts 1 to ``threshold - 1`` are hidden (primary) and
    labelled "fewer than 5", which a reader knows to mean 1 to 4 (a suppressed count is at least 1). Then, to a
    fixpoint, a relation in which a reader could pin a hidden non-zero cell (the least and greatest values the
    equation allows, with every shown cell exact, a "fewer than 5" 1 to 4 and a "suppressed" cell 0 or more, meet:
    the one unknown of a relation; 1 + 1 = 2; London "fewer than 5" over four LAs each "fewer than 5") has another
    cell hidden: the smallest count of at least ``threshold``, else the smallest non-zero one; where none is left,
    the largest "fewer than 5" of the relation is withheld instead (labelled "suppressed": a reader can no longer
    bound it by 4). The orientation of each equation (which cell is the total) is found from the counts; a
    relation none of whose cells is the sum of the others is taken as parts whose total is published elsewhere.

    Parameters
    ----------
    values
        Non-negative whole counts, one per cell.
    relations
        Positions (into ``values``) of the cells of each relation.
    hidden
        Cells withheld already, whatever their value (not published, or published only as "suppressed", never
        as "fewer than 5"); a reader cannot bound them, so they count as unknowns of any size.
    exact
        Then check all the relations at once, as a reader would (a linear programme per hidden cell, HiGHS through
        :func:`scipy.optimize.linprog`: a "fewer than 5" is 1 to 4, a withheld cell 0 or more, a shown cell
        exact), and while a hidden cell is pinned, withhold the "fewer than 5" whose bound the reader leans on (at
        4, or at 1; the largest count first), else hide one more count of its relations. For tables of up to a
        few thousand cells (one LA's distances grid); the pairwise rules alone are used otherwise.

    Returns
    -------
    hidden : numpy.ndarray
        Boolean mask: true where the cell must not be published.
    small : numpy.ndarray
        Boolean mask: true where a hidden cell may be labelled "fewer than 5" (a primary count not withheld).
    """
    v = np.asarray(values, dtype=float)
    if ((v < 0) | (v != np.round(v))).any():
        bad = v[(v < 0) | (v != np.round(v))][0]
        raise InputError(f"suppress_cells: counts must be non-negative whole numbers; got {bad:g}")
    primary = (v >= 1) & (v < threshold)
    h = primary.copy()
    if hidden is not None:
        pre = np.asarray(hidden, dtype=bool)
        h |= pre
        primary &= ~pre  # withheld outright: published as "suppressed", a reader cannot bound them by 1-4
    rels = [np.asarray(r, dtype=int) for r in relations]
    member: dict[int, list[int]] = {}
    for k, r in enumerate(rels):
        for c in r.tolist():
            member.setdefault(c, []).append(k)
    todo = list(range(len(rels)))
    queued = set(todo)
    while todo:
        k = todo.pop()
        queued.discard(k)
        cell = _next_to_hide(v, h, primary, rels[k], threshold)
        if cell is None:
            continue
        if h[cell]:  # nothing left to hide: a "fewer than 5" of the relation is withheld instead
            primary[cell] = False
        h[cell] = True
        for j in member[cell] + [k]:
            if j not in queued:
                queued.add(j)
                todo.append(j)
    if exact:
        _repair_pins(v, h, primary, rels, threshold)
    return h, primary & h


def _repair_pins(v: np.ndarray, h: np.ndarray, primary: np.ndarray, rels: list[np.ndarray], threshold: int) -> None:
    """Withhold or hide cells until no hidden non-zero cell is pinned by all the relations together (in place).

    Hiding or withholding only widens what a reader can say, so a cell found free stays free: each cell is
    solved for once, and again only while it is pinned.
    """
    free_already: set[int] = set()
    for _ in range(2 * len(v) + 1):
        pin = _first_pin(v, h, primary, rels, threshold, skip=free_already)
        if pin is None:
            return
        cell, solutions = pin
        near = {int(c) for r in rels if cell in set(r.tolist()) for c in r.tolist()}
        leaned = {i for x in solutions for i in np.flatnonzero(h & primary & (v > 0) & (
            np.isclose(x, threshold - 1) | np.isclose(x, 1.0))).tolist()}
        if leaned:
            pick = max(leaned, key=lambda i: (i in near, v[i], -i))
            primary[pick] = False  # withheld: "suppressed", no longer bounded by 1 to 4
            continue
        free = [c for c in near if not h[c] and v[c] > 0]
        if not free:
            logger.warning("disclosure: cell %d stays pinned by the published totals; nothing left to hide", cell)
            return
        big = [c for c in free if v[c] >= threshold]
        h[min(big or free, key=lambda c: (v[c], c))] = True


def _first_pin(v: np.ndarray, h: np.ndarray, primary: np.ndarray, rels: list[np.ndarray],
               threshold: int, skip: set[int]) -> tuple[int, list[np.ndarray]] | None:
    """Return the first hidden non-zero cell whose least and greatest feasible values meet, and both solutions."""
    from scipy.optimize import linprog

    used = sorted({int(c) for r in rels for c in r.tolist()})
    if not used or not (h[used] & (v[used] > 0)).any():
        return None
    pos = {c: i for i, c in enumerate(used)}
    rows, rhs, ub = [], [], []
    for r in rels:
        vv = v[r]
        row = np.zeros(len(used))
        ks = np.flatnonzero(np.isclose(2 * vv, vv.sum())) if len(vv) > 1 else np.array([], dtype=int)
        if not len(ks) and len(vv) > 1 and vv[0] > vv[1:].sum():  # total >= its counted parts
            for c in r.tolist()[1:]:
                row[pos[c]] += 1.0
            row[pos[int(r[0])]] -= 1.0
            ub.append(row)
            continue
        if len(ks):
            for c in r.tolist():
                row[pos[c]] -= 1.0
            row[pos[int(r[ks[0]])]] += 2.0
            rhs.append(0.0)
        else:
            for c in r.tolist():
                row[pos[c]] += 1.0
            rhs.append(float(vv.sum()))
        rows.append(row)
    idx = np.asarray(used)
    lo = np.where(h[idx], np.where(primary[idx], 1.0, 0.0), v[idx])
    hi = np.where(h[idx], np.where(primary[idx], float(threshold - 1), np.inf), v[idx])
    bounds = [(a, None if not np.isfinite(b) else b) for a, b in zip(lo, hi, strict=True)]
    a_eq, b_eq = np.vstack(rows), np.asarray(rhs)
    a_ub = np.vstack(ub) if ub else None
    b_ub = np.zeros(len(ub)) if ub else None
    for i in np.flatnonzero(h[idx] & (v[idx] > 0)):
        if int(idx[i]) in skip:
            continue
        c = np.zeros(len(used))
        c[i] = 1.0
        least = linprog(c, A_ub=a_ub, b_ub=b_ub, A_eq=a_eq, b_eq=b_eq, bounds=bounds, method="highs")
        most = linprog(-c, A_ub=a_ub, b_ub=b_ub, A_eq=a_eq, b_eq=b_eq, bounds=bounds, method="highs")
        if least.status == 0 and most.status == 0 and np.ceil(least.fun - 1e-6) >= np.floor(-most.fun + 1e-6):
            full = [np.zeros(len(v)), np.zeros(len(v))]
            full[0][idx], full[1][idx] = least.x, most.x
            return int(idx[i]), full
        skip.add(int(idx[i]))
    return None


def suppress_hierarchy(
    frame: pd.DataFrame,
    *,
    count: Hashable,
    level: Hashable,
    total: object,
    within: Sequence[Hashable],
    groups: Sequence[Sequence[Hashable]] = (),
    threshold: int = 5,
) -> pd.DataFrame:
    """Suppress a count column of a table that publishes totals beside their parts (a hierarchy).

    Rows whose ``level`` is ``total`` (e.g. placement type "All placements") are the totals of the rows sharing
    their ``within`` values (e.g. the same home LA and placement LA): each such set is a relation. Each entry of
    ``groups`` names columns whose groups add up to a total published elsewhere (e.g. placement type and home
    LA: all of one LA's children of one type). Suppression is :func:`suppress_cells` over those relations.

    Returns
    -------
    pandas.DataFrame
        As :func:`suppress_counts`: ``count`` as nullable ``Int64`` with hidden cells ``<NA>``, ``<count>_label``
        ("12", "fewer than 5", "suppressed") and a boolean ``suppressed`` column; same index.
    """
    keys = list(within)
    require_columns(frame, [count, level, *keys, *[c for g in groups for c in g]], "table to suppress")
    values = _as_counts(frame, [count])[count].to_numpy()
    relations: list[np.ndarray] = []
    plain = frame.reset_index(drop=True)
    if keys:
        is_total = (plain[level] == total).to_numpy()
        for idx in plain.groupby(keys, sort=False, dropna=False).indices.values():
            if len(idx) > 1 and is_total[idx].any():
                relations.append(np.asarray(idx))
    for g in groups:
        for idx in plain.groupby(list(g), sort=False, dropna=False).indices.values():
            relations.append(np.asarray(idx))
    hidden, primary = suppress_cells_detail(values, relations, threshold=threshold)
    out = frame.copy()
    counts = _shown(pd.Series(values, index=frame.index), threshold)
    out[count] = counts.mask(hidden)
    out[f"{count}_label"] = counts.astype(str).mask(hidden & ~primary, SECONDARY_LABEL).mask(primary,
                                                                                               SUPPRESSED_LABEL)
    out["suppressed"] = hidden
    logger.info("suppressed %d count(s) below %d and %d more over the hierarchy", int(primary.sum()), threshold,
                int(hidden.sum() - primary.sum()))
    return out


def _next_to_hide(v: np.ndarray, h: np.ndarray, primary: np.ndarray, cells: np.ndarray,
                  threshold: int) -> int | None:
    """Return the cell of one relation to hide next (see :func:`suppress_cells_detail`), or None when it is safe.

    A hidden cell already (a "fewer than 5" to withhold) is returned when no shown cell is left to hide.
    """
    hv, vv = h[cells], v[cells]
    nonzero = hv & (vv > 0)
    if not nonzero.any() or not _relation_pins(vv, hv, primary[cells], threshold):
        return None
    free = ~hv
    # never a zero: a hidden zero is pinned by any other relation whose cells are shown, and beside k hidden
    # ones it stays zero (1 + 1 + 0 = 2)
    for ok in (free & (vv >= threshold), free & (vv > 0)):
        if ok.any():
            choice = np.flatnonzero(ok)
            return int(cells[choice[np.argmin(vv[choice])]])
    small = hv & primary[cells] & (vv > 0)
    if small.any() and int(nonzero.sum()) >= 2:  # withholding the only unknown would not unpin it
        choice = np.flatnonzero(small)
        return int(cells[choice[np.argmax(vv[choice])]])
    return None


def _relation_pins(vv: np.ndarray, hv: np.ndarray, pv: np.ndarray, threshold: int) -> bool:
    """Whether a reader pins a hidden non-zero cell of one relation from its equation and the cells' bounds.

    Bounds: a shown cell is exact; a "fewer than 5" (hidden, primary) is 1 to ``threshold - 1``; a withheld cell
    0 or more. For the equation ``total = sum(parts)`` (each orientation the counts satisfy; none: the parts of a
    total published elsewhere) the least and greatest value of each cell are those of interval propagation,
    exact for one equation; a hidden non-zero cell whose two meet is pinned.
    """
    lo = np.where(hv, np.where(pv, 1.0, 0.0), vv)
    hi = np.where(hv, np.where(pv, float(threshold - 1), np.inf), vv)
    total = vv.sum()
    orientations = [int(k) for k in np.flatnonzero(np.isclose(2 * vv, total))] if len(vv) > 1 else []
    signs = []
    for k in orientations:
        sign = -np.ones(len(vv))
        sign[k] = 1.0
        signs.append((sign, 0.0))
    if not signs:
        if len(vv) > 1 and vv[0] > vv[1:].sum():  # a total with parts not all counted (children beyond bands)
            return False
        signs.append((np.ones(len(vv)), total))  # the parts of a total published elsewhere
    target = hv & (vv > 0)
    for sign, rhs in signs:
        # sum(sign * x) = rhs; each x_i = (rhs - sum_{j != i} sign_j x_j) / sign_i
        term_lo = np.where(sign > 0, lo, -hi)
        term_hi = np.where(sign > 0, hi, -lo)
        inf_lo, inf_hi = ~np.isfinite(term_lo), ~np.isfinite(term_hi)
        sum_lo, sum_hi = term_lo[~inf_lo].sum(), term_hi[~inf_hi].sum()
        for i in np.flatnonzero(target):
            rest_lo = -np.inf if (inf_lo.sum() - inf_lo[i]) else sum_lo - (0.0 if inf_lo[i] else term_lo[i])
            rest_hi = np.inf if (inf_hi.sum() - inf_hi[i]) else sum_hi - (0.0 if inf_hi[i] else term_hi[i])
            a, b = rhs - rest_hi, rhs - rest_lo  # the range of sign_i * x_i
            if sign[i] < 0:
                a, b = -b, -a
            least, greatest = max(lo[i], a), min(hi[i], b)
            if np.isfinite(greatest) and np.ceil(least - 1e-9) >= np.floor(greatest + 1e-9):
                return True
    return False


def _protect_group(values: pd.DataFrame, hidden: pd.DataFrame, column: Hashable, pos: np.ndarray,
                   min_count: int) -> bool:
    """In a group whose total is published, keep at least two non-zero counts hidden, one of them >= ``min_count``.

    Returns whether a count was hidden (the caller repeats until nothing changes).
    """
    col = hidden.columns.get_loc(column)
    h = hidden.iloc[pos, col].to_numpy()
    v = values.iloc[pos, col].to_numpy()
    nonzero = h & (v > 0)
    big = (h & (v >= min_count)).any()
    if not nonzero.any() or (nonzero.sum() >= 2 and big):
        return False
    candidates = [i for i in range(len(pos)) if not h[i] and v[i] >= (1 if big else min_count)]
    if not candidates:
        return False  # nothing left to hide in the group
    hidden.iloc[pos[min(candidates, key=lambda i: v[i])], col] = True
    return True


def is_synthetic(*frames: pd.DataFrame | None, path: object = None) -> bool:
    """Tell whether child-level data is synthetic: the one test every command and the pipeline use.

    Markers: ``attrs['synthetic']``; a truthy ``synthetic`` column, or a ``data`` column saying SYNTHETIC; every
    ``CHILD`` identifier starting with :data:`SYNTHETIC_ID_PREFIX`; a file name containing "synthetic", or a file
    in a folder that ``farfromhome synth`` wrote (it holds ``README_SYNTHETIC.txt``).
    """
    if path is not None:
        p = Path(str(path))
        if "synthetic" in p.name.lower() or (p.parent / SYNTHETIC_README).is_file():
            return True
    for f in frames:
        if f is None:
            continue
        if bool(f.attrs.get("synthetic", False)):
            return True
        for col in ("synthetic", "SYNTHETIC", "is_synthetic"):
            if col in f.columns and f[col].astype(str).str.lower().isin({"true", "1", "yes", "y"}).any():
                return True
        if "data" in f.columns and f["data"].astype(str).str.upper().str.contains("SYNTHETIC").any():
            return True
        if "CHILD" in f.columns and len(f) and f["CHILD"].astype(str).str.startswith(SYNTHETIC_ID_PREFIX).all():
            return True
    return False


def check_no_small_counts(
    frame: pd.DataFrame,
    *,
    count_columns: Sequence[Hashable],
    threshold: int = 5,
    source: str = "table",
) -> None:
    """Raise :class:`DisclosureError` if any of ``count_columns`` holds a count from 1 to ``threshold - 1``.

    Missing values (already suppressed) and zeros pass. Call it just before anything is written or rendered.

    Raises
    ------
    DisclosureError
        Naming the row, column and value of the first small counts found, and how many there are.
    MissingColumnsError
        A named column is not in ``frame``.
    """
    cols = list(count_columns)
    require_columns(frame, cols, source)
    bad = []
    for c in cols:
        v = pd.to_numeric(frame[c], errors="coerce").astype(float)
        small = ((v >= 1) & (v < threshold)).fillna(False)
        bad += [(idx, c, v.loc[idx]) for idx in frame.index[small.to_numpy()]]
    if bad:
        idx, c, v = bad[0]
        more = f" (and {len(bad) - 1} more)" if len(bad) > 1 else ""
        raise DisclosureError(
            f"{source} row {idx!r}, column {c!r}: count {v:g} is below {threshold}{more}; small counts must be "
            "suppressed before output (geo.disclosure.suppress_counts)"
        )


def _shown(values: pd.Series, threshold: int) -> pd.Series:
    """Return the counts as the method in force publishes them (:func:`publish_counts`), as nullable ``Int64``.

    Small counts are kept (the caller hides them); same index.
    """
    m = active_method()
    if m.threshold != threshold:
        m = DisclosureMethod(m.name, threshold, m.max_perturbation, m.variance, m.magnitude_noise,
                             m.magnitude_rounding, m.secret)
    v = values.astype(float)
    pub = pd.Series(publish_counts(v.to_numpy(), method=m), index=values.index)
    return pub.fillna(v).round().astype("Int64")


def _as_counts(frame: pd.DataFrame, columns: list[Hashable]) -> pd.DataFrame:
    values = pd.DataFrame(index=frame.index)
    for c in columns:
        v = pd.to_numeric(frame[c], errors="coerce").astype(float).fillna(0.0)
        bad = (v < 0) | (v != np.round(v))
        if bad.any():
            idx = frame.index[bad.to_numpy()][0]
            raise InputError(f"table to suppress row {idx!r}, column {c!r}: {frame[c].loc[idx]} is not a "
                             "non-negative whole count")
        values[c] = v
    return values


def _secondary_rows(values: pd.DataFrame, hidden: pd.DataFrame, cols: list[Hashable], total: Hashable) -> bool:
    """Rows whose total is published and where exactly one cell is hidden: hide one more."""
    changed = False
    n_hidden = hidden[cols].sum(axis=1) + hidden[total].astype(int)
    for i in np.flatnonzero((n_hidden == 1).to_numpy()):
        row_hidden = hidden.iloc[i]
        candidates = [c for c in cols if not row_hidden[c]]
        if candidates:
            best = min(candidates, key=lambda c: (values.iloc[i][c] == 0, values.iloc[i][c]))
        else:
            best = total
        hidden.iloc[i, hidden.columns.get_loc(best)] = True
        changed = True
    return changed


def _secondary_cells(values: pd.DataFrame, hidden: pd.DataFrame, column: Hashable, pos: np.ndarray) -> bool:
    """Hide one more cell in a group whose column total is published and exactly one cell is hidden."""
    if len(pos) < 2:
        return False
    col_idx = hidden.columns.get_loc(column)
    h = hidden.iloc[pos, col_idx].to_numpy()
    if h.sum() != 1:
        return False
    v = values.iloc[pos, col_idx].to_numpy()
    # the next smallest non-zero count; a zero only if nothing else is left
    order = sorted((i for i in range(len(pos)) if not h[i]), key=lambda i: (v[i] == 0, v[i]))
    hidden.iloc[pos[order[0]], col_idx] = True
    return True
