"""Small-count disclosure control: suppress counts of 1–4 as DfE publishes, with secondary suppression."""

from __future__ import annotations

import logging
from collections.abc import Hashable, Sequence

import numpy as np
import pandas as pd

from geo.errors import DisclosureError, InputError, require_columns

logger = logging.getLogger(__name__)

__all__ = [
    "SUPPRESSION_RULE", "SUPPRESSED_LABEL", "SECONDARY_LABEL", "SYNTHETIC_LABEL", "SYNTHETIC_ID_PREFIX",
    "suppress_counts", "suppress_table", "suppress_cells", "suppress_hierarchy", "check_no_small_counts",
    "is_synthetic",
]

SYNTHETIC_LABEL = "SYNTHETIC data: generated records, not real children; not findings"
"""The one label on every output (map, figure, table, report) built from synthetic child-level data."""

SYNTHETIC_ID_PREFIX = "SYN"
"""Every child identifier made by ``provision.synth`` starts with this."""

SUPPRESSED_LABEL = "fewer than 5"
"""Label shown instead of a primary-suppressed count (the value is 1 to ``threshold - 1``)."""

SECONDARY_LABEL = "suppressed"
"""Label shown instead of a count hidden only so that a published total cannot reveal a small count."""

SUPPRESSION_RULE = (
    "Counts of children from 1 to 4 are suppressed and shown as 'fewer than 5' (DfE's rule for children "
    "looked after statistics); zeros are shown. Where a published total would let a reader work a suppressed "
    "count back out (a row total, or the total of a group such as all of one LA's placements), the next "
    "smallest count in that row or group is also suppressed (secondary suppression, shown as 'suppressed'), "
    "repeatedly until every row and group has either no suppressed count or at least two."
)
"""The documented rule, for report footers and map legends."""


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
        col = values[c].astype("Int64").mask(hidden[c])
        out[c] = col
        label = values[c].astype("Int64").astype(str)
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
        label = values[c].astype("Int64").astype(str)
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
    """Primary and secondary suppression over any set of linked counts; returns which cells are hidden.

    The general form of the hierarchy rule: every count published anywhere (a flow, a region, a band total) is
    one cell of ``values``, and each relation lists cells tied by one published equation (a total and its
    parts, or parts whose total is published elsewhere). Counts 1 to ``threshold - 1`` are hidden (primary);
    then, to a fixpoint, a relation holding a hidden non-zero cell has another cell hidden (the smallest count of
    at least ``threshold``, else the smallest; never a zero) until it holds at least
    two hidden non-zero cells that do not pin each other: small cells that are all 1 (1 + 1 = 2) or all
    ``threshold - 1`` (4 + 4 = 8) beside a published total are pinned, so a larger one is hidden too. So no
    hidden cell is the one unknown of any relation, nor fixed by its relation's bounds.

    Parameters
    ----------
    values
        Non-negative whole counts, one per cell.
    relations
        Positions (into ``values``) of the cells of each relation.
    hidden
        Cells withheld already, whatever their value (not published, or published only as "suppressed", never
        as "fewer than 5"); a reader cannot bound them, so they count as unknowns of any size.

    Returns
    -------
    numpy.ndarray
        Boolean mask: true where the cell must not be published.
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
        h[cell] = True
        for j in member[cell] + [k]:
            if j not in queued:
                queued.add(j)
                todo.append(j)
    return h


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
    hidden = suppress_cells(values, relations, threshold=threshold)
    primary = (values >= 1) & (values < threshold)
    out = frame.copy()
    counts = pd.Series(values, index=frame.index).astype("Int64")
    out[count] = counts.mask(hidden)
    out[f"{count}_label"] = counts.astype(str).mask(hidden & ~primary, SECONDARY_LABEL).mask(primary,
                                                                                               SUPPRESSED_LABEL)
    out["suppressed"] = hidden
    logger.info("suppressed %d count(s) below %d and %d more over the hierarchy", int(primary.sum()), threshold,
                int(hidden.sum() - primary.sum()))
    return out


def _next_to_hide(v: np.ndarray, h: np.ndarray, primary: np.ndarray, cells: np.ndarray,
                  threshold: int) -> int | None:
    """Return the cell of one relation to hide next (see :func:`suppress_cells`), or None when it is safe.

    Safe: no hidden non-zero cell; or at least two, and either one of them is at least ``threshold`` or the
    small ones (each 1 to ``threshold - 1``) are neither all 1 nor all ``threshold - 1`` (the only sums that
    pin every one of them: k cells adding to k, or to k times ``threshold - 1``).
    """
    hv, vv = h[cells], v[cells]
    nonzero = hv & (vv > 0)
    n_nonzero = int(nonzero.sum())
    if n_nonzero == 0:
        return None
    pv = primary[cells]
    big = bool((nonzero & ~pv).any())  # a hidden count the reader cannot bound by 1 to threshold - 1
    small = vv[nonzero & pv]
    pinned = not big and (small.sum() == len(small) or small.sum() == len(small) * (threshold - 1))
    if n_nonzero >= 2 and not pinned:
        return None
    free = ~hv
    # never a zero: a hidden zero is pinned by any other relation whose cells are shown, and beside k hidden
    # ones it stays zero (1 + 1 + 0 = 2)
    for ok in (free & (vv >= threshold), free & (vv > 0)):
        if ok.any():
            choice = np.flatnonzero(ok)
            return int(cells[choice[np.argmin(vv[choice])]])
    return None


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
    ``CHILD`` identifier starting with :data:`SYNTHETIC_ID_PREFIX`; or a file name containing "synthetic".
    """
    if path is not None and "synthetic" in str(path).lower().rsplit("/", 1)[-1]:
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
