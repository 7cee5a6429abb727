"""Synthetic SSDA903 returns built from DfE's published LA figures over real postcodes (SYNTHETIC data).

The model, for collection year ``year`` (1 April ``year-1`` to 31 March ``year``):

1. **Children looked after at 31 March.** Each LA gets exactly its published number. Its children are split
   by placement type (8 DfE groups), by locality × distance (DfE's six categories: inside/outside the LA ×
   ≤20 miles, >20 miles, distance not known) and by age group with *exact* LA margins: the joint tables
   come from iterative proportional fitting of national seeds (DfE's national placement × distance ×
   locality table; a fixed placement × age seed) to the LA margins, then controlled rounding. Suppressed
   cells (``c``) are imputed from national shares within the published totals. Sex and UASC counts are
   exact too; UASC children (and other "distance not known" children) have a blank ``HOME_POST``.
2. **Geography.** Home postcodes are real Code-Point Open unit postcodes of the LA, drawn uniformly. The
   placement postcode is drawn from (postcode district × LA) cells with weight *attraction × decay*, where
   the cell must lie in the LA (inside) or in another English LA (outside) and the unit postcode must be in
   the child's distance band (≤20 or >20 DfE miles; redrawn until it is). Attraction is Ofsted's registered
   children's-home places of the cell's LA (``provision.homes.supply_by_la``) shared by postcode count for
   children's homes, secure homes, residential schools and other residential settings, and the postcode
   count (a population proxy) otherwise. Decay is ``(1 + miles/5) ** -gamma``, gamma by distance band and
   residential or not (:data:`provision.synth_geography.DECAY_GAMMA`: 1.4 / 2.5 within 20 miles, 1.25 / 2.5
   beyond), calibrated so that England's distances follow DfE's published banding (31 March 2015: of the
   children over 20 miles, 51% at 21-40, 18% at 41-60, 10% at 61-80, 6% at 81-100, 14% over 100 miles; the
   median of all placements 5.9 miles; :mod:`provision.synth_calibration`). Because the category counts are
   fixed per LA, the generated % outside and % over 20 miles reproduce the published ones; the gravity model
   decides *where*.
3. **The year's history.** Each child's current period of care started an exponential time ago (mean 2.5
   years, not before birth); 0-3 placement moves in the year (probabilities .68/.22/.07/.03) give earlier
   episodes (``RNE`` P, ``REC`` X1). Children who left care during the year (published children looked
   after during the year minus those at 31 March) get 1-3 episodes ending on a uniform date with an
   age-appropriate ``REC``. Earlier episodes draw placement type and locality × distance from the LA's
   joint shares.
4. **Missing incidents** (the planted effect). For each episode *e* of child *i* in LA *a*, the number of
   missing incidents in the collection year is Poisson with mean::

       base[a] * G[i] * rr ** (d[e] / 10) * days[e] / 365

   where ``d[e]`` is the episode's DfE straight-line distance in miles (1 dp; for episodes with a blank
   ``HOME_POST`` the hidden true distance is used, so dropping them leaves the estimate unbiased),
   ``days[e] = min(DEC or 1 April year, 1 April year) - max(DECOM, 1 April year-1)`` the episode's days
   inside the collection year, ``rr`` the planted rate ratio per 10 miles
   (1 when no effect is asked for) and ``G[i]`` a child frailty, Gamma(k, 1/k) with mean 1 (``G = 1``,
   pure Poisson, unless the effect spec gives ``k``). ``base[a]`` is solved per LA so that the expected
   share of children looked after during the year with at least one incident equals the LA's published
   percentage (``truth["missing_base_rate"]``). An incident belongs to the episode it starts in: its
   ``MIS_START`` is uniform over the episode's days in the year; it lasts 0-6 days. With a strong effect
   the incident count grows fast with distance (rr=1.5 per 10 miles is 57x at 100 miles).
5. **A confounder** (``confounder=4`` in the effect spec; :mod:`provision.synth_missing`): children with prior
   missing episodes (latent, in :attr:`SyntheticSSDA903.latent` only) are placed further away and go missing
   4 times as often in every placement, with no effect of distance. The planted distance effect ``rr`` acts
   within each child, episode by episode; the confounder only between children.

Every table is SYNTHETIC: child IDs start with ``SYN`` and :meth:`SyntheticSSDA903.write` adds a README.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from geo import years
from geo.csvsafe import to_csv
from geo.disclosure import SYNTHETIC_LABEL, SYNTHETIC_README
from geo.errors import InputError
from geo.settings import LA_VINTAGE
from provision.synth_cohort import draw_cohort, draw_episodes, draw_header
from provision.synth_geography import DECAY_GAMMA, DECAY_SCALE_MILES, load_geography
from provision.synth_missing import MissingEffect, draw_missing, parse_effect
from provision.synth_targets import la_targets

logger = logging.getLogger(__name__)

__all__ = ["SyntheticSSDA903", "MissingEffect", "parse_effect", "generate", "SYNTHETIC_NOTICE", "YEARS", "SERIES"]

SERIES = "characteristics"
"""The :mod:`geo.years` series the generator needs for a year: DfE's LA table by characteristics (placement type,
locality × distance, age, sex, UASC at 31 March)."""
YEARS = years.covered(SERIES)
"""Collection years the generator covers: every year with DfE's LA figures by characteristics (a live view of
the catalogue). The LA missing figures of the year are used when published, else the nearest year's."""

SYNTHETIC_NOTICE = (
    f"{SYNTHETIC_LABEL}. Generated by farfromhome.provision.synth from DfE's published LA-level statistics "
    "over real Code-Point Open postcode geography. No record describes a real child."
)


@dataclass
class SyntheticSSDA903:
    """A synthetic SSDA903 return for one or more LAs (every record is SYNTHETIC).

    Attributes
    ----------
    episodes
        SSDA903 episodes (``CHILD, DECOM, RNE, LS, CIN, PLACE, PLACE_PROVIDER, DEC, REC,
        REASON_PLACE_CHANGE, HOME_POST, PL_POST, URN``) plus ``LA``, the responsible LA (ONS code).
        Dates are ``datetime64``.
    header
        ``CHILD, SEX, DOB, ETHNIC, UPN, MOTHER, MC_DOB, UASC`` (UASC: 1 for unaccompanied asylum-seeking).
    missing
        ``CHILD, DOB, MISSING, MIS_START, MIS_END``: one row per missing incident.
    truth
        Per LA (index ``la_code``): the published targets used and the fitted missing base rate.
    model
        The generating settings: year, seed, effect (rate ratio, formula), decay parameters.
    latent
        Per child, what the SSDA903 tables do not show: ``prior_missing`` (the confounder) and ``risk`` (frailty
        times the confounder's rate ratio). For validation only; :meth:`write` does not write it.
    """

    episodes: pd.DataFrame
    header: pd.DataFrame
    missing: pd.DataFrame
    truth: pd.DataFrame
    model: dict[str, Any] = field(default_factory=dict)
    latent: pd.DataFrame = field(default_factory=pd.DataFrame)

    def write(self, folder: str | os.PathLike[str]) -> Path:
        """Write episodes.csv, header.csv, missing.csv (dd/mm/yyyy dates), truth.csv and README_SYNTHETIC.txt."""
        out = Path(folder)
        out.mkdir(parents=True, exist_ok=True)
        for name, frame in (("episodes", self.episodes), ("header", self.header), ("missing", self.missing)):
            table = frame.copy()
            for col in table.columns:
                if pd.api.types.is_datetime64_any_dtype(table[col]):
                    table[col] = table[col].dt.strftime("%d/%m/%Y")
            to_csv(table, out / f"{name}.csv", index=False)
        to_csv(self.truth, out / "truth.csv")
        lines = [SYNTHETIC_NOTICE, "", f"year: {self.model.get('year')}  seed: {self.model.get('seed')}",
                 f"LAs: {len(self.truth)}  children: {len(self.header):,}  episodes: {len(self.episodes):,}  "
                 f"missing incidents: {len(self.missing):,}", "",
                 "Missing incidents model (planted):", f"  {self.model.get('formula')}", "",
                 "truth.csv holds the published LA figures each LA was generated from.",
                 "Contains OS data (c) Crown copyright and database right 2025; Royal Mail data (c) Royal Mail "
                 "copyright and database right 2025. Contains public sector information licensed under the "
                 "Open Government Licence v3.0 (Department for Education; Ofsted)."]
        (out / SYNTHETIC_README).write_text("\n".join(lines) + "\n", encoding="utf-8")
        logger.info("wrote synthetic SSDA903 to %s", out)
        return out


def generate(*, year: int | None = None, seed: int = 7, las: list[str] | None = None,
             effect: str | MissingEffect | None = None) -> SyntheticSSDA903:
    """Generate a synthetic SSDA903 return from the published LA figures (see the module docstring).

    Parameters
    ----------
    year
        Collection year ending 31 March, one of :data:`YEARS` (the years with LA-level placement and distance
        figures); default the latest. Missing rates come from the year's LA missing table, or the nearest year's
        when it is not published yet (``model["missing_year"]``).
    seed
        Random seed; the same arguments give the same data.
    las
        LAs to generate (ONS codes, DfE numbers or names); default every English LA with published figures.
    effect
        Planted distance effect on missing incidents, e.g. ``"missing:rr=1.5/10mi"``; default none (rr=1).

    Returns
    -------
    SyntheticSSDA903

    Raises
    ------
    InputError
        Bad year or effect; an LA with no published figures.
    """
    year = years.latest(SERIES) if year is None else years.check(
        year, SERIES, what="synthetic SSDA903 (it needs DfE's LA figures by characteristics)")
    eff = effect if isinstance(effect, MissingEffect) else parse_effect(effect)
    rng = np.random.default_rng(seed)
    targets = la_targets(year).copy()
    if las:
        import boundaries

        wanted = []
        for v in las:  # DfE's file may still use the previous vintage's code (Barnsley, Sheffield in 2025)
            vintages = dict.fromkeys((min(year, years.span("la_boundaries")[1]), LA_VINTAGE))
            codes = [boundaries.resolve_la(str(v), year=y) for y in vintages]
            wanted.append(next((c for c in codes if c in targets.index), codes[0]))
        unknown = [w for w in wanted if w not in targets.index]
        if unknown:
            raise InputError(f"no published {year} figures for LA(s) {', '.join(unknown)}")
        targets = targets.loc[list(dict.fromkeys(wanted))]
    targets = targets[targets["children_looked_after"] > 0]
    geo = load_geography(year, tuple(targets.index))
    children = draw_cohort(targets, geo, year, rng)
    episodes = draw_episodes(children, targets, geo, year, rng)
    missing, base, latent = draw_missing(children, episodes, targets, eff, year, rng)
    truth = targets.copy()
    truth.attrs = {}
    truth["missing_base_rate"] = base
    header = draw_header(children, rng)
    out_episodes = episodes[["CHILD", "DECOM", "RNE", "LS", "CIN", "PLACE", "PLACE_PROVIDER", "DEC", "REC",
                             "REASON_PLACE_CHANGE", "HOME_POST", "PL_POST", "URN", "LA"]].reset_index(drop=True)
    model = {"year": year, "seed": seed, "effect": eff, "rr": eff.rr, "per_miles": eff.per_miles, "k": eff.k,
             "confounder": eff.confounder,
             "formula": eff.formula,
             "decay": "(1 + miles/{:g}) ** -gamma; gamma (residential, other): {}".format(
                 DECAY_SCALE_MILES, "; ".join(f"band {b}: {DECAY_GAMMA[(b, True)]:g}, {DECAY_GAMMA[(b, False)]:g}"
                                              for b in (0, 1, 2))),
             "collection_year": (f"{year - 1}-04-01", f"{year}-03-31"), "notice": SYNTHETIC_NOTICE,
             "missing_year": targets.attrs.get("missing_year", year)}
    logger.info("synthetic SSDA903 %d: %d LAs, %d children, %d episodes, %d missing incidents", year,
                len(truth), len(header), len(out_episodes), len(missing))
    for frame in (out_episodes, header, missing):
        frame.attrs["synthetic"] = True
    return SyntheticSSDA903(out_episodes, header, missing, truth, model, latent)
