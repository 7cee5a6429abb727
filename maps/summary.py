"""The plain-English sentences of the report's summary, written from computed (and publishable) values."""

from __future__ import annotations

import math

import pandas as pd

from distance.child_models import ChildEffectResult
from distance.ecological import EcologicalResult
from distance.straight import DISTANCE_BANDS, KM_PER_MILE, OVER_MILES
from geo.disclosure import (
    SYNTHETIC_LABEL,
    active_method,
    published_label,
    suppress_table,
)
from geo.errors import InputError
from provision.homes import PublishedTotals

__all__ = ["supply_sentences", "placement_sentences", "ecological_sentences", "child_sentences", "band_table",
           "BAND_COLUMNS", "TOTAL_ROW"]

BAND_COLUMNS = {"straight_line": "straight-line distance", "road": "road distance"}
"""The distance columns of a band table and what each band is of."""

TOTAL_ROW = "Total"
"""Label of the band table's total row."""

_OUTCOMES = {"pct_went_missing": "the percentage of children who went missing",
             "missing_incidents_per_child": "missing incidents per child"}
_MIN_GROUP = 5  # no statistic is quoted for fewer placements than this (a median of 3 is one child's value)


def band_table(bands: pd.DataFrame, *, min_count: int = 5, labels: pd.DataFrame | None = None) -> pd.DataFrame:
    """Return the publishable distance-band table: suppressed counts as text, and totals that reveal none of them.

    Parameters
    ----------
    bands
        From :func:`provision.flows.distances_by_la`: indexed by distance band
        (:data:`distance.straight.DISTANCE_BANDS`), ``straight_line`` and optionally ``road`` counts of
        placements; ``bands.attrs["counts"]`` says which placements.
    labels
        The band cells as published by a suppression that also covers other outputs
        (:func:`maps.distance_tables.publish_distances`, which the distances map, its figure and the run's CSV
        use): indexed by band, one text column per distance. Without it the table is suppressed on its own.

    Returns
    -------
    pandas.DataFrame
        ``distance_band``, one text column per distance (``straight_line``, ``road``: "12", "fewer than 5",
        "suppressed"), ``counts`` (the unit and set counted, the same on every row) and a last row
        :data:`TOTAL_ROW` with each column's total. The totals are published, so each column gets secondary
        suppression over the bands (:func:`geo.disclosure.suppress_table` with ``column_totals``): no hidden
        band can be worked out by subtracting the others from the total.
    """
    cols = [c for c in BAND_COLUMNS if c in bands.columns]
    if not cols:
        raise InputError(f"band table: no distance column; expected {list(BAND_COLUMNS)}, got {list(bands.columns)}")
    counts = str(bands.attrs.get("counts", "placements"))
    t = bands[cols].astype(int).reset_index()
    t.columns = ["distance_band", *cols]
    if labels is None:
        safe = suppress_table(t, min_count=min_count, columns=tuple(cols), size_columns=(), column_totals=True)
    else:
        safe = labels.reindex(index=t["distance_band"].astype(str), columns=cols).reset_index(drop=True)
        if safe.isna().any().any():
            raise InputError("band table: the published labels do not cover every band and distance")
        safe.insert(0, "distance_band", t["distance_band"].to_numpy())
    total = {"distance_band": TOTAL_ROW, **{c: published_label(int(t[c].sum())) for c in cols}}
    out = pd.concat([safe[["distance_band", *cols]], pd.DataFrame([total])], ignore_index=True)
    return out.assign(counts=counts)


def supply_sentences(frame: pd.DataFrame, year: int, totals: PublishedTotals | None = None) -> list[str]:
    """Homes and places in England, the regions with most places, places per 10,000 children, % outside.

    With ``totals`` (``provision.homes.published_totals``), the national numbers are Ofsted's published ones,
    and the provider list behind the LA figures is named wherever its totals differ.
    """
    if totals is not None and totals.homes is not None:
        first = (f"At 31 March {year} Ofsted published {totals.homes:,} children's homes in England"
                 + (f" with {totals.places:,} registered places" if totals.places is not None else ""))
        gap = (f"; the LA and regional figures come from {totals.list_file}, which lists {totals.list_homes:,} homes"
               + (f" and {totals.list_places:,} places" if totals.list_places is not None else ""))
        out = [first + (f"{gap}." if not totals.complete else ".")]
    else:
        out = [f"At 31 March {year} Ofsted listed {int(frame['homes'].sum()):,} active children's homes in England "
               f"with {int(frame['places'].sum()):,} registered places."]
    by_region = frame.groupby("region_name")["places"].sum().sort_values(ascending=False)
    share = by_region / by_region.sum() * 100
    out.append("The regions with most places: " + ", ".join(
        f"{r} ({share[r]:.0f}%)" for r in by_region.index[:3]) + f"; London has {share.get('London', 0):.0f}%.")
    if "places_per_10k" in frame.columns and frame["places_per_10k"].notna().any():
        out.append(_places_range(frame))
    if "pct_outside_la" in frame.columns and frame["pct_outside_la"].notna().any():
        v = frame["pct_outside_la"].dropna()
        out.append(f"In the median LA, {v.median():.0f}% of its children in children's homes were placed outside "
                   f"the LA (DfE; {len(v)} LAs with a published figure).")
    return out


def placement_sentences(located: pd.DataFrame, name: str, *, synthetic: bool, road_note: str = "") -> list[str]:
    """Share of placement episodes over 20 miles (straight line), road/straight ratio, where the map looks."""
    out = []
    tag, kind = ("SYNTHETIC: ", "synthetic ") if synthetic else ("", "")
    miles = located["straight_distance_miles"].astype(float)
    known = miles.notna()
    if int(known.sum()) >= _MIN_GROUP:
        over = (miles[known] > OVER_MILES).mean() * 100
        out.append(f"{tag}{over:.0f}% of {kind}placement episodes were more than 20 miles from home "
                   f"(straight line, DfE method); median {miles[known].median():.1f} miles.")
    if "road_distance_km" in located.columns:
        road = located["road_distance_km"].astype(float)
        both = known & road.notna()
        if int(both.sum()) >= _MIN_GROUP:
            ratio = (road[both] / (miles[both] * KM_PER_MILE)).replace([float("inf")], float("nan")).median()
            out.append(f"{tag}where both were measured, road distance was typically {ratio:.2f}× the "
                       "straight-line distance.")
    if road_note:
        out.append(f"{tag}{road_note}")
    out.append(f"{tag}the distances map shows where {name}'s {kind}children are placed.")
    return out


def ecological_sentences(result: EcologicalResult) -> list[str]:
    """One sentence per outcome from the LA and year fixed-effects panel (real published data), with a verdict."""
    out = []
    for row in result.fixed_effects.itertuples():
        unit = " percentage points" if row.outcome.startswith("pct_") else ""
        verdict = _verdict(row.ci_low, row.ci_high, null=0.0, more="LAs placing more children far away had more",
                           less="LAs placing more children far away had less")
        verdict = ("no clear association between placing children over 20 miles away (outside the LA) and "
                   if verdict == "no clear difference" else f"{verdict} ") + _OUTCOMES.get(row.outcome, row.outcome)
        out.append(f"Real LA-level data: {verdict}: "
                   f"each extra percentage point placed that far goes with {row.coef:+.3f}{unit} in "
                   f"{_OUTCOMES.get(row.outcome, row.outcome)} (95% CI {row.ci_low:+.3f} to {row.ci_high:+.3f}; "
                   f"{row.n_las} LAs, LA and year fixed effects). An association between LAs, not children.")
    return out


def child_sentences(result: ChildEffectResult, *, synthetic: bool) -> list[str]:
    """Word the share going missing over 20 miles against nearer (percentage points) and the adjusted rate ratio."""
    rr = result.per_10_miles()
    verdict = _verdict(rr["ci_low"], rr["ci_high"], null=1.0, more="more", less="fewer")
    words = (f"the adjusted rate ratio of going missing per 10 miles further from home ({result.distance_measure} "
             f"distance) was {rr['ratio']:.2f} (95% CI {rr['ci_low']:.2f} to {rr['ci_high']:.2f}): "
             + ("no clear difference" if verdict == "no clear difference" else f"{verdict} incidents further away"))
    out = [x for x in [_over_20_sentence(result)] if x]
    if synthetic:
        out = [f"SYNTHETIC: {x} {SYNTHETIC_LABEL}." for x in out]
        return out + [f"SYNTHETIC: in the synthetic data (no planted effect), {words} — a check that the method "
                      f"finds nothing where nothing was planted. {SYNTHETIC_LABEL}."]
    return out + [f"In your data, {words}, adjusted for age, sex, placement type, UASC status, legal status, "
                  "previous placements and LA. An association: see the notes before reading it as an effect."]


def _over_20_sentence(result: ChildEffectResult) -> str:
    """Share of placements with a missing episode over 20 miles from home against within 20, in percentage points.

    Computed from the rate table **as published** (:func:`geo.disclosure.suppress_table` with the column totals,
    under the disclosure method in force): the sums of the visible bands' counts, bands with hidden counts left
    out (and said to be), so that the percentages and their denominators give back no hidden band. Empty when
    either side has fewer than 5 published placements or placements with a missing episode. The interval is a
    normal approximation for a difference of two proportions, ignoring that one child has several placements.
    """
    t = result.rate_table
    if t.empty or not {"distance_band", "placements", "placements_with_missing"} <= set(t.columns):
        return ""
    pub = suppress_table(t, min_count=_MIN_GROUP, column_totals=True)
    placements = pd.to_numeric(pub["placements"], errors="coerce")
    with_missing = pd.to_numeric(pub["placements_with_missing"], errors="coerce")
    shown = placements.notna() & with_missing.notna()
    far = t["distance_band"].astype(str).isin(DISTANCE_BANDS[2:])  # 20 miles and over: the DfE threshold
    n1, k1 = float(placements[far & shown].sum()), float(with_missing[far & shown].sum())
    n0, k0 = float(placements[~far & shown].sum()), float(with_missing[~far & shown].sum())
    if min(n1, n0, k1, k0) < _MIN_GROUP:
        return ""
    p1, p0 = k1 / n1, k0 / n0
    diff = (p1 - p0) * 100
    half = 1.96 * math.sqrt(p1 * (1 - p1) / n1 + p0 * (1 - p0) / n0) * 100
    lo, hi = diff - half, diff + half
    measure = f"{result.distance_measure} distance"
    if lo > 0:
        head = "Children placed over 20 miles away went missing more often"
    elif hi < 0:
        head = "Children placed over 20 miles away went missing less often"
    else:
        head = "Children placed over 20 miles away went missing about as often as those placed nearer"
    left_out = sorted(t.loc[~shown, "distance_band"].astype(str))
    note = (f"; bands with fewer than {_MIN_GROUP} placements or children left out: {', '.join(left_out)}"
            if left_out else "")
    counted = "published counts, perturbed" if active_method().perturbs else "published counts"
    return (f"{head} ({measure}): {p1 * 100:.1f}% of their placements had a missing episode against {p0 * 100:.1f}% "
            f"within 20 miles, a difference of {diff:+.1f} percentage points (95% CI {lo:+.1f} to {hi:+.1f}; "
            f"unadjusted; from the {counted}{note}).")


def _verdict(low: float, high: float, *, null: float, more: str, less: str) -> str:
    """``more`` when the interval lies above ``null``, ``less`` when below, else "no clear difference"."""
    if low > null:
        return more
    if high < null:
        return less
    return "no clear difference"


def _places_range(frame: pd.DataFrame) -> str:
    """Name the LAs with no places, then the range of places per 10,000 children among the rest."""
    v = frame["places_per_10k"].dropna()
    names = frame["la_name"] if "la_name" in frame.columns else pd.Series(frame.index, index=frame.index)
    none = v[v == 0]
    rest = v[v > 0]
    parts = []
    if len(none):
        listed = sorted(str(names[i]) for i in none.index)
        shown = ", ".join(listed[:6]) + (f" and {len(listed) - 6} more" if len(listed) > 6 else "")
        parts.append(f"{len(none)} LA{'s have' if len(none) > 1 else ' has'} no children's-home places ({shown})")
    if len(rest):
        among = "among the rest, places" if len(none) else "Places"
        parts.append(f"{among} per 10,000 children range from {rest.min():.1f} ({names[rest.idxmin()]}) to "
                     f"{rest.max():.1f} ({names[rest.idxmax()]}); the median of these LAs is {rest.median():.1f}")
    text = "; ".join(parts)
    return text[0].upper() + text[1:] + "."


