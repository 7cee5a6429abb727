"""Do children placed outside their LA go missing more? Rate ratios of national aggregates, crude and standardised.

Pure computation on the frames :func:`provision.national_missing.load_national_missing` returns (this module reads
no file and imports no ``provision``): missing incidents per placement inside and outside the council boundary,
crude and indirectly standardised for placement type, with intervals that say what they assume.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from geo.errors import InputError, require_columns

logger = logging.getLogger(__name__)

__all__ = ["CAVEAT_NATIONAL", "INTERVAL_ASSUMPTIONS", "NationalMissingResult", "missing_rate_ratios"]

CAVEAT_NATIONAL = (
    "Aggregates, not children: DfE counts missing incidents by where the placement was (inside or outside the "
    "council boundary) and, separately, placements by type and locality. The denominators are the placements in "
    "DfE's during-year table, not children or placement-days: a child placed both inside and outside the boundary "
    "during the year counts in both, a long placement counts once like a short one, and one child's repeated "
    "incidents all count. National counts are rounded to 10. A ratio above 1 says incidents per placement are "
    "higher outside the boundary, not that placing a child outside makes that child go missing."
)
INTERVAL_ASSUMPTIONS = (
    "95% intervals on the log scale with variance 1/O_outside + 1/O_inside (O = observed incidents): "
    "'Poisson' assumes incidents are independent events and treats the denominators and expected counts as "
    "fixed; 'clustered' multiplies that variance by DfE's mean number of incidents per missing child, since "
    "incidents come in runs from the same children (a lower bound on the extra width: children vary)."
)
PRO_RATA = ("placements whose distance (and so, in this table, locality) is not known are shared between inside "
            "and outside in the proportion of the known placements of the same type and year")
_Z = float(stats.norm.ppf(0.975))


@dataclass
class NationalMissingResult:
    """Per-year (and pooled) rates and rate ratios of missing incidents outside vs inside the council boundary.

    ``table`` has one row per ``year`` (and one ``"pooled"``): ``incidents_inside``, ``incidents_outside``,
    ``placements_inside``, ``placements_outside`` (after the pro-rata share of unknown locality),
    ``placements_not_known``, ``rate_inside_per_100``, ``rate_outside_per_100`` (incidents per 100 placements),
    ``crude_rr`` with ``crude_ci_low/high`` (Poisson) and ``crude_ci_low/high_clustered``,
    ``crude_rr_unknown_all_inside`` / ``_all_outside`` (bounds if every unknown placement were on one side),
    ``expected_inside`` / ``expected_outside`` (indirect standardisation), ``smr_inside`` / ``smr_outside``,
    ``standardised_rr`` with its intervals, ``dispersion`` (incidents per missing child).
    """

    table: pd.DataFrame
    by_type: pd.DataFrame
    caveat: str = CAVEAT_NATIONAL
    assumptions: str = INTERVAL_ASSUMPTIONS
    unknown_locality: str = PRO_RATA

    @property
    def pooled(self) -> pd.Series:
        """The row pooling every year."""
        return self.table.set_index("year").loc["pooled"]

    def summary(self) -> str:
        """Return a short plain-text account, one line per year, with the caveat and the assumptions."""
        lines = []
        for r in self.table.itertuples():
            lines.append(f"{r.year}: {r.rate_outside_per_100:.1f} incidents per 100 placements outside the "
                         f"boundary vs {r.rate_inside_per_100:.1f} inside; crude ratio {r.crude_rr:.2f} "
                         f"({r.crude_ci_low:.2f}-{r.crude_ci_high:.2f}; clustered {r.crude_ci_low_clustered:.2f}-"
                         f"{r.crude_ci_high_clustered:.2f}), standardised for placement type {r.standardised_rr:.2f}"
                         f" ({r.standardised_ci_low_clustered:.2f}-{r.standardised_ci_high_clustered:.2f} "
                         "clustered)")
        return "\n".join([*lines, f"Unknown locality: {self.unknown_locality}.", self.assumptions, self.caveat])


def missing_rate_ratios(placements: pd.DataFrame, *, incidents_by_type: pd.DataFrame,
                        incidents_by_locality: pd.DataFrame,
                        incidents_per_missing_child: pd.Series | None = None) -> NationalMissingResult:
    """Missing incidents per placement outside vs inside the council boundary, crude and standardised.

    Parameters
    ----------
    placements
        ``year``, ``placement_type``, ``locality`` ("inside", "outside", "not known"), ``placements``.
    incidents_by_type
        ``year``, ``placement_type``, ``incidents`` (every locality).
    incidents_by_locality
        ``year``, ``locality`` ("inside", "outside"), ``incidents``.
    incidents_per_missing_child
        By year: the dispersion factor of the clustered intervals (default 1: Poisson only).

    Returns
    -------
    NationalMissingResult
        Indirect standardisation: each type's national rate (its incidents / all its placements) times the
        placements of that type inside (outside) gives the expected incidents there; the standardised ratio is
        (observed / expected outside) / (observed / expected inside). When the type mix is the same inside and
        outside, it equals the crude ratio.

    Raises
    ------
    InputError
        Missing columns, or a year without incidents or placements on either side.
    """
    require_columns(placements, ["year", "placement_type", "locality", "placements"], "placements")
    require_columns(incidents_by_type, ["year", "placement_type", "incidents"], "incidents by placement type")
    require_columns(incidents_by_locality, ["year", "locality", "incidents"], "incidents by locality")
    years = sorted(set(incidents_by_locality["year"]))
    if not years:
        raise InputError("no year with missing incidents by locality")
    rows, type_rows = [], []
    for year in years:
        p = _shared_out(placements[placements["year"] == year])
        inc = incidents_by_type[incidents_by_type["year"] == year].set_index("placement_type")["incidents"]
        loc = incidents_by_locality[incidents_by_locality["year"] == year].set_index("locality")["incidents"]
        o_in, o_out = float(loc.get("inside", np.nan)), float(loc.get("outside", np.nan))
        if not (o_in > 0 and o_out > 0) or p["inside"].sum() <= 0 or p["outside"].sum() <= 0:
            raise InputError(f"{year}: incidents or placements are missing or zero on one side of the boundary")
        rate_t = (inc.reindex(p.index).astype(float) / p["total"]).where(p["total"] > 0)
        if rate_t.isna().any():
            raise InputError(f"{year}: no incidents or placements for type(s) {', '.join(rate_t.index[rate_t.isna()])}")
        e_in, e_out = float((rate_t * p["inside"]).sum()), float((rate_t * p["outside"]).sum())
        phi = float(incidents_per_missing_child.get(year, 1.0)) if incidents_per_missing_child is not None else 1.0
        rows.append({"year": str(year), "o_in": o_in, "o_out": o_out, "p_in": float(p["inside"].sum()),
                     "p_out": float(p["outside"].sum()), "p_in_known": float(p["inside_known"].sum()),
                     "p_out_known": float(p["outside_known"].sum()), "p_unk": float(p["not known"].sum()),
                     "e_in": e_in, "e_out": e_out, "phi": phi})
        type_rows.append(p.assign(year=year, incidents=inc.reindex(p.index), rate_per_100=rate_t * 100)
                         .reset_index())
    raw = pd.DataFrame(rows)
    pooled = raw.drop(columns="year").sum().to_dict()
    pooled["phi"] = float(np.average(raw["phi"], weights=raw["o_in"] + raw["o_out"]))
    raw = pd.concat([raw, pd.DataFrame([{"year": "pooled", **pooled}])], ignore_index=True)
    table = _ratios(raw)
    logger.info("national missing: pooled crude %.2f, standardised %.2f", table["crude_rr"].iloc[-1],
                table["standardised_rr"].iloc[-1])
    return NationalMissingResult(table=table, by_type=pd.concat(type_rows, ignore_index=True))


def _shared_out(p: pd.DataFrame) -> pd.DataFrame:
    """Placements by type: inside, outside, not known, and inside/outside after sharing out the unknown."""
    wide = p.pivot_table(index="placement_type", columns="locality", values="placements", aggfunc="sum")
    for col in ("inside", "outside", "not known"):
        if col not in wide.columns:
            wide[col] = 0.0
    wide = wide.fillna(0.0)
    known = wide["inside"] + wide["outside"]
    share_in = (wide["inside"] / known).where(known > 0, 0.5)
    out = pd.DataFrame({"inside_known": wide["inside"], "outside_known": wide["outside"],
                        "not known": wide["not known"]})
    out["inside"] = wide["inside"] + wide["not known"] * share_in
    out["outside"] = wide["outside"] + wide["not known"] * (1 - share_in)
    out["total"] = out["inside"] + out["outside"]
    return out


def _ratios(raw: pd.DataFrame) -> pd.DataFrame:
    se = np.sqrt(1 / raw["o_out"] + 1 / raw["o_in"])
    se_c = se * np.sqrt(raw["phi"])
    crude = (raw["o_out"] / raw["p_out"]) / (raw["o_in"] / raw["p_in"])
    smr_in, smr_out = raw["o_in"] / raw["e_in"], raw["o_out"] / raw["e_out"]
    srr = smr_out / smr_in
    all_in = (raw["o_out"] / raw["p_out_known"]) / (raw["o_in"] / (raw["p_in_known"] + raw["p_unk"]))
    all_out = (raw["o_out"] / (raw["p_out_known"] + raw["p_unk"])) / (raw["o_in"] / raw["p_in_known"])
    out = pd.DataFrame({
        "year": raw["year"], "incidents_inside": raw["o_in"], "incidents_outside": raw["o_out"],
        "placements_inside": raw["p_in"].round(1), "placements_outside": raw["p_out"].round(1),
        "placements_not_known": raw["p_unk"],
        "rate_inside_per_100": raw["o_in"] / raw["p_in"] * 100,
        "rate_outside_per_100": raw["o_out"] / raw["p_out"] * 100,
        "crude_rr": crude, "crude_ci_low": crude * np.exp(-_Z * se), "crude_ci_high": crude * np.exp(_Z * se),
        "crude_ci_low_clustered": crude * np.exp(-_Z * se_c), "crude_ci_high_clustered": crude * np.exp(_Z * se_c),
        "crude_rr_unknown_all_inside": all_in, "crude_rr_unknown_all_outside": all_out,
        "expected_inside": raw["e_in"], "expected_outside": raw["e_out"], "smr_inside": smr_in,
        "smr_outside": smr_out, "standardised_rr": srr, "standardised_ci_low": srr * np.exp(-_Z * se),
        "standardised_ci_high": srr * np.exp(_Z * se), "standardised_ci_low_clustered": srr * np.exp(-_Z * se_c),
        "standardised_ci_high_clustered": srr * np.exp(_Z * se_c), "dispersion": raw["phi"],
    })
    return out
