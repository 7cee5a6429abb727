"""What-if for sufficiency: what N more children's-home places at an LA or postcode sector would change."""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
import pandas as pd

from distance.straight import KM_PER_MILE
from geo.errors import InputError, ModelNotIdentifiedError
from provision._sufficiency_geo import nearest_km, over_20_miles, resolve_at
from provision.plan_model import ASSIGNMENT_MODEL, ORDERS, assign
from provision.sufficiency import Excess

logger = logging.getLogger(__name__)

__all__ = ["ASSUMPTION", "WhatIf", "added_places", "whatif"]

ASSUMPTION = ("Assumption: the added places go to the children nearest to them first (one child a place, only "
              "children who would be placed nearer than they are), ignoring matching of needs; distances are "
              "straight-line.")
"""The what-if's stated assumption with the default order (``nearest``): :func:`provision.plan_model.assign`."""


@dataclass(frozen=True)
class WhatIf:
    """What adding places would change for one LA's children in children's homes (aggregates only).

    Attributes
    ----------
    la, la_name
        The LA whose children are counted.
    add_places, at
        How many places were added and where (``at`` in words; ``point`` EPSG:27700 metres).
    table
        Rows ``before``, ``after``, ``change``; columns ``placements`` (K2 placements with both points
        located), ``within_20_miles`` (placed within 20 miles, straight-line; suppressed as DfE),
        ``median_nearest_place_miles``, ``median_placement_miles`` (suppressed under 5 placements), with
        ``*_label`` columns giving the published text.
    assumption, rule
        The what-if's assumption (:data:`ASSUMPTION`) and how places were located.
    synthetic
        Built from synthetic children: every output says SYNTHETIC.
    """

    la: str
    la_name: str
    add_places: int
    at: str
    point: tuple[float, float]
    table: pd.DataFrame
    assumption: str = ASSUMPTION
    rule: str = ""
    synthetic: bool = False

    def summary(self) -> str:
        """One plain-English sentence (numbers already suppressed)."""
        t = self.table
        tag = "SYNTHETIC: " if self.synthetic else ""
        gain = t.loc["change", "within_20_miles_label"]
        after = t.loc["after", "within_20_miles_label"]
        med = t.loc["change", "median_placement_miles"]
        med_text = "not published (fewer than 5 placements)" if pd.isna(med) else f"{med:+.2f} miles"
        return (f"{tag}{self.add_places} more place(s) {self.at}: {gain} more of {self.la_name}'s children's-home "
                f"placements within 20 miles ({after} in all); median placement distance {med_text}. "
                f"{self.assumption}")


def added_places(excess: Excess, *, la: str, add_places: int, at: str | None = None,
                 order: str = "nearest") -> pd.DataFrame:
    """Per-placement distances before and after adding ``add_places`` places at one point (child level).

    The new places sit at ``at``: an LA (its postcode-weighted centroid, as the ``centroid`` rule) or a postcode
    sector's centroid; default the LA itself. Nearest-place distances are re-measured with the added point;
    the added places then go to the LA's children by the assignment model the plan uses too
    (:func:`provision.plan_model.assign`; with the default order, nearest children first, one child a place,
    among children who would be placed nearer than they are: :data:`ASSUMPTION`). Straight-line distances
    only. Adding 0 places changes nothing; no child's distance ever grows.

    Parameters
    ----------
    excess
        From :func:`excess_distance`, covering the LA's children.
    la
        The LA (ONS code, DfE number or name).
    add_places
        Places to add (0 or more).
    at
        LA or postcode sector (``"SK4 1"``); must be in England.
    order
        Order in which children take the places (:data:`provision.plan_model.ORDERS`).

    Returns
    -------
    pandas.DataFrame
        The LA's K2 placements with both points located, indexed like ``excess.placements``:
        ``nearest_before_km``, ``nearest_after_km``, ``placed_before_km``, ``placed_after_km`` (straight-line km)
        and ``allocated`` (took one of the new places). ``attrs`` holds ``la``, ``at`` (in words) and ``point``
        (EPSG:27700 metres).

    Raises
    ------
    InputError
        A negative or fractional number of places, ``at`` outside England or not found, or no located K2
        placement of the LA.
    """
    import boundaries

    code = boundaries.resolve_la(la)
    if int(add_places) != add_places or add_places < 0:
        raise InputError(f"--add-places must be a whole number of places, 0 or more; got {add_places!r}")
    point, where, at_la = resolve_at(at, default_la=code)
    rows = excess.placements[(excess.placements["responsible_la"] == code) & excess.placements["status"].eq("ok")]
    if rows.empty:
        raise ModelNotIdentifiedError(f"no children's-home (K2) placement with both points located for LA {code}")
    home = rows[["home_easting", "home_northing"]].to_numpy(float)
    actual = rows["actual_straight_km"].to_numpy(float)
    after_places = excess.places.with_added(point[0], point[1], int(add_places), la_code=at_la)
    new_km = np.hypot(home[:, 0] - point[0], home[:, 1] - point[1]) / 1000.0
    allocated = assign(actual, new_km[:, None], np.array([int(add_places)]), order=order) == 0
    out = pd.DataFrame({"nearest_before_km": rows["nearest_straight_km"].to_numpy(float),
                        "nearest_after_km": nearest_km(after_places.usable, home),
                        "placed_before_km": actual, "placed_after_km": np.where(allocated, new_km, actual),
                        "allocated": allocated}, index=rows.index)
    out.attrs.update({"la": code, "at": where, "point": point})
    return out


def whatif(excess: Excess, *, la: str, add_places: int, at: str | None = None, synthetic: bool = False,
           order: str = "nearest") -> WhatIf:
    """Report what ``add_places`` more places at ``at`` would change for one LA's children (aggregates only).

    See :func:`added_places` for where the places go and the assumption. The table gives, before and after,
    how many of the LA's K2 placements are within 20 miles (DfE method) and the median distances to the
    nearest place and of the placement, with the changes; counts are suppressed as DfE publishes.

    Raises
    ------
    InputError
        As :func:`added_places`.
    """
    import boundaries

    rows = added_places(excess, la=la, add_places=add_places, at=at, order=order)
    code = rows.attrs["la"]
    table = _whatif_table(*(rows[c].to_numpy(float) for c in ("nearest_before_km", "nearest_after_km",
                                                             "placed_before_km", "placed_after_km")))
    name = str(boundaries.la_lookup().drop_duplicates("la_code").set_index("la_code")["la_name"].get(code, code))
    assumption = ASSUMPTION if order == "nearest" else (
        ASSIGNMENT_MODEL.format(order=ORDERS[order]) + " Needs are not matched; distances are straight-line.")
    return WhatIf(code, name, int(add_places), rows.attrs["at"], rows.attrs["point"], table, assumption,
                  excess.places.rule, synthetic)


# -- private helpers ------------------------------------------------------------------------------------
def _whatif_table(before_nearest: np.ndarray, after_nearest: np.ndarray, before_actual: np.ndarray,
                  after_actual: np.ndarray) -> pd.DataFrame:
    """Before/after/change, with counts suppressed so that none of 1-4 can be read or worked out.

    ``within_before + gained = within_after`` and each row's within and over sum to the placements: a row is
    shown whole or not at all, and ``gained`` is hidden when it is 1-4 or when exactly one row is hidden.
    """
    from geo.disclosure import SECONDARY_LABEL, SUPPRESSED_LABEL, suppress_counts

    n = len(before_actual)
    within = {"before": int((~over_20_miles(before_actual)).sum()), "after": int((~over_20_miles(after_actual)).sum())}
    rows = pd.DataFrame({"within": list(within.values()), "over": [n - v for v in within.values()],
                         "placements": [n, n]}, index=list(within))
    safe = suppress_counts(rows, count_columns=["within", "over"], total="placements")
    hidden = {k: bool(pd.isna(safe.loc[k, "within"])) for k in within}
    gained = within["after"] - within["before"]
    labels = {k: str(safe.loc[k, "within_label"]) for k in within}
    small_gain = 1 <= gained < 5
    if small_gain and not any(hidden.values()):
        hidden["before"], labels["before"] = True, SECONDARY_LABEL  # else before + gain would be shown
    gain_hidden = small_gain or (hidden["before"] != hidden["after"])
    gain_label = SUPPRESSED_LABEL if small_gain else SECONDARY_LABEL if gain_hidden else str(gained)
    total = suppress_counts(pd.DataFrame({"placements": [n]}), count_columns=["placements"])

    def med(v: np.ndarray) -> float:
        return float(np.median(v) / KM_PER_MILE) if n >= 5 else float("nan")

    table = pd.DataFrame({
        "placements": pd.array([total["placements"].iloc[0]] * 3, dtype="Int64"),
        "within_20_miles": pd.array([pd.NA if hidden["before"] else within["before"],
                                     pd.NA if hidden["after"] else within["after"],
                                     pd.NA if gain_hidden else gained], dtype="Int64"),
        "median_nearest_place_miles": [med(before_nearest), med(after_nearest),
                                       med(after_nearest) - med(before_nearest)],
        "median_placement_miles": [med(before_actual), med(after_actual), med(after_actual) - med(before_actual)],
        "placements_label": [str(total["placements_label"].iloc[0])] * 3,
        "within_20_miles_label": [labels["before"], labels["after"], gain_label],
    }, index=pd.Index(["before", "after", "change"], name="scenario"))
    for c in ("median_nearest_place_miles", "median_placement_miles"):
        table[c] = table[c].round(2)
    return table
