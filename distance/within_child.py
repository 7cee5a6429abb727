"""Does distance make a difference *to the same child*? A conditional (child fixed-effects) Poisson model.

Children are placed far away because of their needs and risks, so comparing children (the between-child models
of :mod:`distance.child_models`) mixes the effect of distance with the reasons for it. This design compares
each child with themselves: the rate of missing incidents per placement day in their nearer and their further
placements. Everything about a child that does not change between placements (prior missing episodes,
exploitation, family, the responsible LA) cancels out, measured or not. What it cannot remove is what changes
with the placement (a crisis that prompts both a distant move and going missing).

Only children with two or more placements at different distances carry information, and of those only the ones
with at least one missing incident (the conditional likelihood of a child with no incident is constant).
The estimate speaks for them: :class:`WithinChildResult` says how many they are and how they differ from the
other children.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from distance.glm import build_design, check_design, drop_collinear, fit_poisson, ratio_row
from distance.straight import OVER_MILES
from geo.disclosure import SYNTHETIC_LABEL, count_text, is_synthetic
from geo.errors import ModelNotIdentifiedError, require_columns

logger = logging.getLogger(__name__)

__all__ = ["WITHIN_COVARIATES", "TIME_IN_CARE_BANDS", "WithinChildResult", "within_child_effect"]

WITHIN_COVARIATES: tuple[str, ...] = ("age_at_start_years", "placement_type", "time_in_care")
"""Adjustment set: what changes between a child's placements (the child fixed effect takes everything else)."""

TIME_IN_CARE_BANDS = ("under 6 months", "6-12 months", "1-2 years", "2 years or more")
"""Time in care at the placement start, from the child's first placement start in the data. In bands: a child's
age and time in care grow day for day together, so both as straight lines would be collinear within a child."""

_TIME_EDGES_DAYS = (0, 183, 365, 730, np.inf)

GROUPS = ("single placement", "placements all at one distance", "different distances, no missing incident",
          "different distances, with a missing incident")
"""How each child contributes to the within-child design (only the last group carries information)."""


@dataclass
class WithinChildResult:
    """Rate ratios of the within-child design, the children it rests on and how they differ from the rest.

    Attributes
    ----------
    rate_ratios
        Rows like :attr:`distance.child_models.ChildEffectResult.rate_ratios` (``model_id`` ``within_per10`` and
        ``within_log``), with ``design = 'within child'`` and the children they rest on.
    contributions
        Children and placements by how they contribute (:data:`GROUPS`).
    comparison
        The children the estimate rests on against all the others: placements per child, age, sex, UASC,
        children's homes, distance, missing (counts to suppress in outputs: ``children``).
    """

    rate_ratios: pd.DataFrame
    contributions: pd.DataFrame
    comparison: pd.DataFrame
    synthetic: bool
    distance_measure: str
    n_children: int
    n_placements: int
    notes: list[str] = field(default_factory=list)
    models: dict[str, Any] = field(default_factory=dict, repr=False)

    @property
    def label(self) -> str:
        return SYNTHETIC_LABEL if self.synthetic else "child-level data"

    def per_10_miles(self) -> pd.Series:
        """Return the within-child rate ratio per 10 miles (a row of ``rate_ratios``)."""
        return self.rate_ratios.loc[self.rate_ratios["model_id"].eq("within_per10")].iloc[0]


def within_child_effect(frame: pd.DataFrame, *, covariates: tuple[str, ...] | list[str] = WITHIN_COVARIATES,
                        synthetic: bool | None = None, min_level: int = 20) -> WithinChildResult:
    """Estimate the rate ratio of missing incidents per 10 miles within children (child fixed effects).

    Poisson model of missing incidents with a ``log(exposure_days)`` offset and a fixed effect per child,
    absorbed (pyfixest's demeaner; equivalent to the conditional Poisson likelihood), adjusted for ``covariates``
    (default: age at placement start, placement type, time in care in :data:`TIME_IN_CARE_BANDS`); standard
    errors clustered by child. Distance is the frame's (road or straight-line), in miles.

    Parameters
    ----------
    frame
        From :func:`provision.placement_frame.placement_frame`; rows whose ``status`` is not ``'ok'`` are left out.
    covariates
        Columns that change between a child's placements (``time_in_care`` is derived from
        ``days_in_care_at_start``).
    synthetic
        Label outputs synthetic; default from ``frame.attrs['synthetic']``.
    min_level
        Placement types held by fewer placements (among the children modelled) are pooled (noted).

    Raises
    ------
    ModelNotIdentifiedError
        No child has placements at different distances (the design is not identified), none of those that do
        went missing, or too few placements for the adjustment.
    """
    covariates = list(covariates)
    need = ["child", "start", "exposure_days", "missing_incidents", "distance_miles"]
    need += ["days_in_care_at_start" if c == "time_in_care" else c for c in covariates]
    require_columns(frame, need, "placement frame")
    synthetic = is_synthetic(frame) if synthetic is None else synthetic
    notes: list[str] = []
    # the columns the design and its comparison table read, never a copy of every column (GBs at scale)
    used = list(dict.fromkeys([*need, *(c for c in _COMPARED if c in frame)]))
    ok = frame["status"].eq("ok").to_numpy() if "status" in frame else np.ones(len(frame), dtype=bool)
    ok = ok & frame[need].notna().all(axis=1).to_numpy() & frame["exposure_days"].gt(0).fillna(False).to_numpy(bool)
    data = frame.loc[ok, used]
    measure = str(frame["distance_measure"].to_numpy()[np.flatnonzero(ok)[0]]) \
        if "distance_measure" in frame and ok.any() else "straight-line"
    if "time_in_care" in covariates:
        data["time_in_care"] = pd.Categorical(
            pd.cut(data["days_in_care_at_start"], _TIME_EDGES_DAYS, right=False, labels=list(TIME_IN_CARE_BANDS)),
            categories=list(TIME_IN_CARE_BANDS))
    group = _contribution(data)
    data["contribution"] = group.reindex(data["child"]).to_numpy()
    contributions = _contributions_table(data)
    varied = data.loc[data["contribution"].isin(GROUPS[2:])]
    n_single, n_same = (int(contributions.loc[contributions["contribution"].eq(g), "children"].iloc[0])
                        for g in GROUPS[:2])
    if varied.empty:
        raise ModelNotIdentifiedError(
            f"the within-child design is not identified: no child has placements at different distances "
            f"({count_text(n_single, 'children')} with a single placement, {count_text(n_same)} with every placement "
            "at one distance), "
            "so distance never changes within a child")
    if int(varied["missing_incidents"].sum()) == 0:
        raise ModelNotIdentifiedError(
            "the within-child design is not identified: none of the "
            f"{count_text(varied['child'].nunique(), 'children')} with placements at different distances had a "
            "missing incident")
    n_quiet = int(contributions.loc[contributions["contribution"].eq(GROUPS[2]), "children"].iloc[0])
    notes.append(f"{count_text(n_single, 'children')} with a single placement and {count_text(n_same)} with every "
                 "placement at one "
                 f"distance contribute nothing to the within-child design (counted, not an error); nor do the "
                 f"{count_text(n_quiet)} with placements at different distances but no missing incident (their "
                 "conditional likelihood does not depend on distance).")
    varied = varied.loc[varied["contribution"].eq(GROUPS[3])].copy()  # the children it rests on
    for c in covariates:
        if c == "placement_type":
            counts = varied[c].astype(str).value_counts()
            rare = counts.index[counts < min_level]
            if len(rare):
                varied[c] = varied[c].astype(str).where(~varied[c].astype(str).isin(rare), "other (pooled)")
                notes.append(f"{c}: {len(rare)} level(s) with fewer than {min_level} placements pooled")
    varied["distance_per_10_miles"] = varied["distance_miles"] / 10.0
    varied["log1p_distance"] = np.log1p(varied["distance_miles"])
    offset = np.log(varied["exposure_days"].to_numpy())
    cluster = pd.factorize(varied["child"])[0]
    y = varied["missing_incidents"].to_numpy(float)
    fits: dict[str, Any] = {}
    rows = []
    for model_id, term, label in (("within_per10", "distance_per_10_miles", f"per 10 miles ({measure})"),
                                  ("within_log", "log1p_distance", "per doubling of (1 + miles)")):
        design = build_design(varied, [term, *covariates], fixed_effects=["child"])
        design = drop_collinear(design, keep=[term], notes=notes, what="within-child model")
        check_design(design, what="within-child model", count_fixed_effects=False)
        fit = fit_poisson(design, y, offset=offset, cluster=cluster, notes=notes, name="within-child")
        fits[model_id] = fit
        row = ratio_row(fit, term, model_id, "incidents, within child (child fixed effects)", "rate ratio", label)
        if model_id == "within_log":
            for k in ("ratio", "ci_low", "ci_high"):
                row[k] = row[k] ** np.log(2)
        row.update(design="within child", children=int(varied["child"].nunique()), n_placements=len(varied))
        rows.append(row)
    result = WithinChildResult(
        rate_ratios=pd.DataFrame(rows), contributions=contributions, comparison=_comparison(data),
        synthetic=synthetic, distance_measure=measure, n_children=int(rows[0]["children"]),
        n_placements=int(rows[0]["n_placements"]), notes=notes, models=fits)
    logger.info("within-child model on %d placements of %d children%s", result.n_placements, result.n_children,
                " (SYNTHETIC)" if synthetic else "")
    return result


_COMPARED = ("age_at_start_years", "sex", "uasc", "placement_type")
"""Columns :func:`_comparison` describes the children by (when the frame has them)."""


def _contribution(data: pd.DataFrame) -> pd.Series:
    """Each child's group in :data:`GROUPS` (indexed by child)."""
    g = data.groupby("child", sort=False)
    placements = g.size()
    spread = g["distance_miles"].max() - g["distance_miles"].min()
    incidents = g["missing_incidents"].sum()
    out = pd.Series(GROUPS[3], index=placements.index, dtype=object)
    out[incidents == 0] = GROUPS[2]
    out[spread <= 0] = GROUPS[1]
    out[placements < 2] = GROUPS[0]
    return out


def _contributions_table(data: pd.DataFrame) -> pd.DataFrame:
    g = data.groupby("contribution")
    t = pd.DataFrame({"children": g["child"].nunique(), "placements": g.size(),
                      "missing_incidents": g["missing_incidents"].sum()}).reindex(list(GROUPS), fill_value=0)
    t["carries_information"] = [False, False, False, True]
    return t.rename_axis("contribution").reset_index()


def _comparison(data: pd.DataFrame) -> pd.DataFrame:
    """Compare the children the within-child estimate rests on with the others, child by child."""
    d = data.assign(rests_on=data["contribution"].eq(GROUPS[3]),
                    home=data.get("placement_type", pd.Series("", index=data.index)).astype(str).eq("children's home"),
                    far=data["distance_miles"] > OVER_MILES)
    g = d.groupby("child")
    per_child = pd.DataFrame({
        "rests_on": g["rests_on"].first(), "placements": g.size(),
        "age": g["age_at_start_years"].min() if "age_at_start_years" in d else np.nan,
        "female": g["sex"].first().eq("female") if "sex" in d else np.nan,
        "uasc": g["uasc"].first().astype(bool) if "uasc" in d else np.nan,
        "home": g["home"].any(), "far": g["far"].any(), "miles": g["distance_miles"].median(),
        "incidents": g["missing_incidents"].sum(), "days": g["exposure_days"].sum()})
    rows = []
    for who, sub in (("children the within-child estimate rests on", per_child[per_child["rests_on"]]),
                     ("all other children", per_child[~per_child["rests_on"]])):
        rows.append({"children": len(sub), "placements_per_child": sub["placements"].mean(),
                     "mean_age_at_first_placement": sub["age"].mean(), "pct_female": 100 * sub["female"].mean(),
                     "pct_uasc": 100 * sub["uasc"].mean(), "pct_ever_in_a_childrens_home": 100 * sub["home"].mean(),
                     "pct_ever_over_20_miles": 100 * sub["far"].mean(), "median_distance_miles": sub["miles"].median(),
                     "pct_went_missing": 100 * (sub["incidents"] > 0).mean(),
                     "incidents_per_1000_days": 1000 * sub["incidents"].sum() / max(sub["days"].sum(), 1.0),
                     "group": who})
    out = pd.DataFrame(rows)
    return out[["group", *[c for c in out.columns if c != "group"]]]
