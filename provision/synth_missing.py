"""Missing incidents of the synthetic SSDA903 generator: the planted distance effect and a confounder (SYNTHETIC).

The distance effect is planted *within* children: each episode's rate is multiplied by ``rr ** (miles / step)``,
so the same child's risk rises with each placement's distance. The confounder (``confounder=4``) marks children
with prior missing episodes (a latent trait, not in the SSDA903 tables): they are more often placed far away
(:data:`PRIOR_MISSING_SHARE` by the distance of their last placement, the one DfE counts at 31 March) and go
missing ``confounder`` times as often in every placement, with no effect of distance. Comparing children then
finds a relation that comparing each child with themselves does not.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

from distance.straight import DFE_KM_PER_MILE
from geo.errors import InputError
from provision.synth_targets import CAT_BAND

logger = logging.getLogger(__name__)

__all__ = ["MissingEffect", "parse_effect", "PRIOR_MISSING_SHARE"]

PRIOR_MISSING_SHARE = (0.05, 0.60, 0.20)
"""Share of children with prior missing episodes whose last placement is <= 20 miles, > 20 miles, not known."""


@dataclass(frozen=True)
class MissingEffect:
    """A planted relation between distance and missing incidents (see the module docstring).

    Attributes
    ----------
    rr
        Rate ratio of missing incidents per ``per_miles`` of DfE straight-line distance, within each child.
    per_miles
        Distance step of ``rr`` in miles (``10`` for ``rr=1.5/10mi``; ``/16km`` is 16/1.6093 miles).
    k
        Gamma frailty shape (``None``: no frailty, pure Poisson).
    confounder
        Rate ratio of missing incidents of children with prior missing episodes, who are placed further away
        (``None``: no confounder).
    """

    rr: float = 1.0
    per_miles: float = 10.0
    k: float | None = None
    confounder: float | None = None

    @property
    def log_rr_per_mile(self) -> float:
        return float(np.log(self.rr) / self.per_miles)

    @property
    def formula(self) -> str:
        frailty = f" * G[i], G ~ Gamma(shape={self.k}, scale=1/{self.k})" if self.k else ""
        prior = (f" * {self.confounder:g} ** prior_missing[i], P(prior_missing | last placement <= 20, > 20 miles, "
                 f"not known) = {PRIOR_MISSING_SHARE}") if self.confounder else ""
        return (f"incidents[e] ~ Poisson(base[LA] * {self.rr:g} ** (straight_distance_miles[e] / "
                f"{self.per_miles:g}) * days_in_year[e] / 365{frailty}{prior})")


def parse_effect(spec: str | None) -> MissingEffect:
    """Read an effect spec: ``"missing:rr=1.5/10mi"``, ``"missing:rr=2/16km,k=0.5"``, ``"missing:rr=1,confounder=4"``.

    Raises
    ------
    InputError
        If the spec is not of that form.
    """
    if spec is None or spec == "":
        return MissingEffect()
    m = re.fullmatch(r"\s*missing\s*:\s*rr\s*=\s*([0-9.]+)\s*(?:/\s*([0-9.]+)\s*(mi|miles?|km))?"
                     r"(?:\s*,\s*k\s*=\s*([0-9.]+))?(?:\s*,\s*confounder\s*=\s*([0-9.]+))?\s*", spec)
    if not m:
        raise InputError(f"effect {spec!r} is not understood; expected e.g. 'missing:rr=1.5/10mi' "
                         "(rate ratio of missing incidents per 10 miles), optionally ',k=0.5' for frailty and "
                         "',confounder=4' for children with prior missing episodes placed further away")
    rr = float(m.group(1))
    step = float(m.group(2) or 10)
    if m.group(3) == "km":
        step = step / DFE_KM_PER_MILE
    k = float(m.group(4)) if m.group(4) else None
    confounder = float(m.group(5)) if m.group(5) else None
    if rr <= 0 or step <= 0 or (k is not None and k <= 0) or (confounder is not None and confounder <= 0):
        raise InputError(f"effect {spec!r}: rate ratio, distance step, k and confounder must be positive")
    return MissingEffect(rr=rr, per_miles=step, k=k, confounder=confounder)


def draw_missing(kids: pd.DataFrame, ep: pd.DataFrame, targets: pd.DataFrame, eff: MissingEffect, year: int,
             rng: np.random.Generator) -> tuple[pd.DataFrame, pd.Series, pd.DataFrame]:
    """Missing incidents per episode (module docstring of :mod:`provision.synth`), the base rates and latent risks."""
    start_y = np.datetime64(pd.Timestamp(year=year - 1, month=4, day=1))
    end_excl = np.datetime64(pd.Timestamp(year=year, month=4, day=1))
    a = np.maximum(ep["DECOM"].to_numpy(), start_y)
    b = np.minimum(ep["DEC"].fillna(pd.Timestamp(end_excl)).to_numpy(), end_excl)
    days = np.maximum((b - a).astype("timedelta64[D]").astype(float), 0.0)
    factor = np.exp(eff.log_rr_per_mile * ep["true_miles"].to_numpy())
    w_ep = factor * days / 365.0
    child = ep["child"].to_numpy()
    w = np.bincount(child, weights=w_ep, minlength=len(kids))
    frail = rng.gamma(eff.k, 1.0 / eff.k, len(kids)) if eff.k else np.ones(len(kids))
    prior = np.zeros(len(kids), dtype=bool)
    w_fit = w
    if eff.confounder:  # drawn only when asked for, so the data without it stay exactly as they were
        last = ep["last"].to_numpy()
        p = np.array(PRIOR_MISSING_SHARE)[CAT_BAND[ep["cat"].to_numpy()[last]]]  # each child's last placement
        prior[ep["child"].to_numpy()[last]] = rng.random(len(p)) < p
        conf = np.where(prior, eff.confounder, 1.0)
        w_fit = w * conf  # the confounder enters the base-rate fit; the frailty is integrated out below
        frail = frail * conf
    la_codes, la_of = np.unique(kids["la"].to_numpy(), return_inverse=True)
    target = (targets["pct_went_missing"].reindex(la_codes).to_numpy() / 100).clip(1e-4, 0.95)
    lo = np.full(len(la_codes), 1e-6)
    hi = np.full(len(la_codes), 50.0)
    counts = np.bincount(la_of, minlength=len(la_codes))
    for _ in range(60):  # bisection on log(base) per LA: E[share with >=1 incident] = published share
        mid = np.sqrt(lo * hi)
        if eff.k:
            p_any = 1 - (1 + mid[la_of] * w_fit / eff.k) ** (-eff.k)
        else:
            p_any = 1 - np.exp(-mid[la_of] * w_fit)
        share = np.bincount(la_of, weights=p_any, minlength=len(la_codes)) / counts
        too_high = share > target
        hi = np.where(too_high, mid, hi)
        lo = np.where(too_high, lo, mid)
    base = np.sqrt(lo * hi)
    lam = base[la_of[child]] * frail[child] * w_ep
    n_inc = rng.poisson(lam)
    rows = np.repeat(np.arange(len(ep)), n_inc)
    span = days[rows]
    start = a[rows] + np.floor(rng.random(len(rows)) * span).astype("timedelta64[D]")
    length = rng.integers(0, 7, len(rows)).astype("timedelta64[D]")
    finish = np.minimum(start + length, b[rows] - np.timedelta64(1, "D"))
    finish = np.maximum(finish, start)
    dob = pd.to_datetime(kids["DOB"]).to_numpy()[child[rows]]
    missing = pd.DataFrame({"CHILD": ep["CHILD"].to_numpy()[rows], "DOB": dob, "MISSING": "M",
                            "MIS_START": start, "MIS_END": finish})
    for col in ("DOB", "MIS_START", "MIS_END"):
        missing[col] = pd.to_datetime(missing[col]).dt.normalize()
    missing = missing.sort_values(["CHILD", "MIS_START"], kind="stable").reset_index(drop=True)
    latent = pd.DataFrame({"CHILD": kids["CHILD"].to_numpy(), "prior_missing": prior, "risk": frail})
    return missing, pd.Series(base, index=la_codes).reindex(targets.index), latent
