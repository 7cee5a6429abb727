"""Published LA-level targets of the synthetic SSDA903 generator and the exact-margin tables (SYNTHETIC)."""

from __future__ import annotations

import logging
from functools import lru_cache

import numpy as np
import pandas as pd

from geo import years
from geo.catalogue import data_path
from geo.errors import DataUnavailableError

logger = logging.getLogger(__name__)

PLACEMENT_GROUPS = [
    "Foster placements",
    "Secure homes and children's homes",
    "Independent and semi-independent living arrangements/supported accommodation",
    "Other residential settings",
    "Residential schools",
    "Placed for adoption",
    "Placed with parents or other person with parental responsibility",
    "Other placements",
]
CATEGORIES = [  # DfE's "Distance between home and placement and locality of placement"
    "1. Placed inside the LA boundary, 20 miles or less from home",
    "2. Placed outside the LA boundary, 20 miles or less from home",
    "3. Placed inside the LA boundary, more than 20 miles from home",
    "4. Placed outside the LA boundary, more than 20 miles from home",
    "5. Placed inside the LA boundary, distance not known or not recorded",
    "6. Placed outside the LA boundary, distance not known or not recorded",
]
CAT_INSIDE = np.array([True, False, True, False, True, False])
CAT_BAND = np.array([0, 0, 1, 1, 2, 2])  # 0: <=20 miles, 1: >20 miles, 2: not known
AGE_GROUPS = ["Under 1 year", "1 to 4 years", "5 to 9 years", "10 to 15 years", "16 years and over"]
AGE_RANGE = np.array([[0, 1], [1, 5], [5, 10], [10, 16], [16, 18]], dtype=float)
# placement × age seed (rows PLACEMENT_GROUPS, columns AGE_GROUPS), roughly DfE's national pattern
AGE_SEED = np.array([
    [4, 14, 22, 40, 20], [0.1, 0.1, 2, 58, 40], [0.1, 0.1, 0.1, 2, 98], [8, 4, 4, 34, 50],
    [0.1, 0.1, 12, 60, 28], [20, 70, 10, 0.1, 0.1], [8, 25, 27, 30, 10], [5, 10, 15, 40, 30],
]) + 0.01
# national joint seed fallback (rows PLACEMENT_GROUPS, columns CATEGORIES) if the national file lacks a year
_NATIONAL_SEED_2024 = np.array([
    [29000, 13810, 2560, 8090, 2200, 730], [2350, 1960, 400, 3830, 50, 50],
    [1580, 890, 130, 360, 2200, 1090], [700, 400, 80, 500, 400, 250], [300, 250, 50, 300, 100, 100],
    [260, 490, 120, 840, 100, 90], [4230, 620, 50, 380, 10, 10], [640, 280, 50, 300, 200, 150],
], dtype=float)
LEGAL_STATUSES = {  # DfE legal status group -> SSDA903 LS codes
    "Full care order": (["C2"], [1]), "Interim care order": (["C1"], [1]),
    "Placement order granted": (["E1"], [1]), "Voluntary agreements under S20 CA 1989": (["V2"], [1]),
    "Detained for child protection": (["L1", "L2", "L3"], [40, 55, 5]),
    "Youth justice legal statuses": (["J1", "J2", "J3"], [30, 60, 10]),
}


# -- published targets -----------------------------------------------------------------------------------
@lru_cache(maxsize=4)
def la_targets(year: int) -> pd.DataFrame:
    chars = pd.read_csv(data_path(years.datasets("characteristics", year)[-1]), dtype=str)
    chars = chars[chars["geographic_level"].eq("Local authority")]
    num = pd.to_numeric(chars["number"], errors="coerce")
    chars = chars.assign(n=num)

    def block(group: str, cats: list[str]) -> tuple[pd.DataFrame, pd.Series]:
        sub = chars[chars["cla_group"].eq(group)]
        wide = sub.pivot_table(index="new_la_code", columns="characteristic", values="n", aggfunc="first",
                               dropna=False)
        total = wide["Total"] if "Total" in wide else wide.sum(axis=1)
        return wide.reindex(columns=cats), total

    place, total = block("Placement", PLACEMENT_GROUPS)
    cats, _ = block("Distance between home and placement and locality of placement", CATEGORIES)
    loc, _ = block("Locality of placement", ["Placed inside the local authority boundary",
                                             "Placed outside the local authority boundary"])
    dist, _ = block("Distance between home and placement", ["Placed 20 miles or less from home",
                                                            "Placed more than 20 miles from home",
                                                            "Distance not known or not recorded"])
    age, _ = block("Age group", AGE_GROUPS)
    sex, _ = block("Sex", ["Male", "Female"])
    uasc, _ = block("Unaccompanied asylum-seeking children", ["UASC"])
    legal, _ = block("Legal status", list(LEGAL_STATUSES))
    names = chars.drop_duplicates("new_la_code").set_index("new_la_code")[["la_name", "old_la_code"]]
    out = pd.DataFrame(index=pd.Index(sorted(total.dropna().index), name="la_code"))
    out["la_name"] = names["la_name"]
    out["dfe_la_number"] = names["old_la_code"]
    out["children_looked_after"] = total.reindex(out.index).fillna(0).astype(int)
    n = out["children_looked_after"]
    out["published_outside_la"] = loc["Placed outside the local authority boundary"].reindex(out.index)
    out["published_over_20_miles"] = dist["Placed more than 20 miles from home"].reindex(out.index)
    out["published_distance_not_known"] = dist["Distance not known or not recorded"].reindex(out.index)
    out["pct_outside_la"] = 100 * out["published_outside_la"] / n
    out["pct_over_20_miles"] = 100 * out["published_over_20_miles"] / n
    nat = _national_seed(year)
    out.attrs["placement"] = place.reindex(out.index)
    out.attrs["categories"] = cats.reindex(out.index)
    out.attrs["locality"] = loc.reindex(out.index)
    out.attrs["distance"] = dist.reindex(out.index)
    out.attrs["age"] = age.reindex(out.index)
    out.attrs["sex"] = sex.reindex(out.index)
    out.attrs["legal"] = legal.reindex(out.index)
    out["uasc"] = uasc["UASC"].reindex(out.index)
    out.attrs["national_seed"] = nat
    # children looked after during the year and who went missing: the year's figures, or the nearest year's
    # (DfE publishes the LA missing tables later than the figures at 31 March)
    missing_year = nearest_year("ees_la_missing", year)
    miss = pd.read_csv(data_path(years.datasets("ees_la_missing", missing_year)[-1]), dtype=str)
    miss = miss[miss["time_period"].eq(str(missing_year)) & miss["geographic_level"].eq("Local authority")]
    out.attrs["missing_year"] = missing_year
    wide = miss.pivot_table(index="new_la_code", columns="CLA_group", values="number", aggfunc="first")
    during = pd.to_numeric(wide.get("Children looked after during the year"), errors="coerce")
    went = pd.to_numeric(wide.get("Children who had a missing incident during the year"), errors="coerce")
    incidents = pd.to_numeric(wide.get("Number of missing incidents during the year"), errors="coerce")
    out["children_during_year"] = np.maximum(during.reindex(out.index).fillna(np.round(n * 1.37)), n).astype(int)
    rate = (went / during).reindex(out.index)
    national = float((went / during).median())
    out["pct_went_missing"] = 100 * rate.fillna(national)
    out["published_missing_children"] = went.reindex(out.index)
    out["published_missing_incidents"] = incidents.reindex(out.index)
    try:
        from provision.homes import supply_by_la

        supply = supply_by_la(year)
        out["homes"] = supply["homes"].reindex(out.index).fillna(0).astype(float)
        out["places"] = supply["places"].reindex(out.index).fillna(0).astype(float)
        out.attrs["supply_places"] = supply["places"].astype(float).fillna(0.0)
    except (ImportError, DataUnavailableError) as exc:  # pragma: no cover - only without provision.homes
        logger.warning("Ofsted supply unavailable (%s): residential placements follow population", exc)
        out["homes"] = np.nan
        out["places"] = np.nan
    return out


def nearest_year(series: str, year: int) -> int:
    """Return ``year`` if ``series`` covers it, else the nearest year it covers (the later one on a tie)."""
    covered = years.years(series)
    return min(covered, key=lambda y: (abs(y - year), -y))


def _national_seed(year: int) -> np.ndarray:
    seed_year = nearest_year("national_distance", year)
    try:
        nat = pd.read_csv(data_path(years.datasets("national_distance", seed_year)[-1]), dtype=str)
    except DataUnavailableError:  # pragma: no cover
        return _NATIONAL_SEED_2024
    nat = nat[nat["time_period"].eq(str(seed_year))]
    if nat.empty:
        return _NATIONAL_SEED_2024
    nat = nat.assign(n=pd.to_numeric(nat["number"], errors="coerce").fillna(0.0),
                     grp=nat["cla_group"].str.replace("/ ", "/", regex=False))
    key = {"1.i 20 miles or less inside LA boundary": 0, "1.ii 20 miles or less outside LA boundary": 1,
           "2.i Over 20 miles inside LA boundary": 2, "2.ii Over 20 miles outside LA boundary": 3,
           "Distance not known or not recorded": 4}
    rows = {g: i for i, g in enumerate(PLACEMENT_GROUPS)}
    seed = _NATIONAL_SEED_2024.copy()
    for grp, sub in nat.groupby("grp"):
        targets = [rows[grp]] if grp in rows else ([3, 4, 7] if grp == "Other placements" else [])
        vals = np.zeros(6)
        for ch, v in zip(sub["characteristic"], sub["n"], strict=True):
            if ch in key:
                j = key[ch]
                if j == 4:  # not known: split inside/outside 60/40 like the LA totals
                    vals[4] += 0.6 * v
                    vals[5] += 0.4 * v
                else:
                    vals[j] += v
        for r in targets:
            seed[r] = vals / len(targets) if vals.sum() else seed[r]
    return seed + 1.0


def impute(values: np.ndarray, total: int, prior: np.ndarray, cap: float = 4.0) -> np.ndarray:
    """Fill suppressed (NaN) counts so the row sums to ``total``, proportional to ``prior``, each <= cap."""
    vals = values.astype(float).copy()
    gaps = np.isnan(vals)
    known = np.nansum(vals)
    rest = max(total - known, 0.0)
    if gaps.any():
        share = prior[gaps] / prior[gaps].sum() if prior[gaps].sum() > 0 else np.full(gaps.sum(), 1 / gaps.sum())
        fill = np.minimum(share * rest, max(cap, rest / gaps.sum()))
        if fill.sum() > 0:
            fill *= rest / fill.sum()
        vals[gaps] = fill
    elif vals.sum() > 0 and vals.sum() != total:
        vals *= total / vals.sum()
    return vals


def round_to(values: np.ndarray, total: int) -> np.ndarray:
    """Largest-remainder rounding of non-negative ``values`` to integers summing to ``total``."""
    if total <= 0 or values.sum() <= 0:
        out = np.zeros(len(values), dtype=int)
        if total > 0:
            out[0] = total
        return out
    scaled = values / values.sum() * total
    base = np.floor(scaled).astype(int)
    short = total - base.sum()
    order = np.argsort(-(scaled - base), kind="stable")
    base[order[:short]] += 1
    return base


def ipf(seed: np.ndarray, rows: np.ndarray, cols: np.ndarray, iters: int = 60) -> np.ndarray:
    table = seed.astype(float).copy()
    for _ in range(iters):
        rs = table.sum(axis=1)
        table *= np.divide(rows, rs, out=np.zeros_like(rs), where=rs > 0)[:, None]
        cs = table.sum(axis=0)
        table *= np.divide(cols, cs, out=np.zeros_like(cs), where=cs > 0)[None, :]
    return table


def integer_table(table: np.ndarray, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
    """Round a fractional table to integers with exactly the given row and column totals."""
    out = np.floor(table).astype(int)
    frac = table - out
    row_def = rows - out.sum(axis=1)
    col_def = cols - out.sum(axis=0)
    while row_def.sum() > 0 and col_def.sum() > 0:
        ok = (row_def > 0)[:, None] & (col_def > 0)[None, :]
        score = np.where(ok, frac, -np.inf)
        i, j = np.unravel_index(np.argmax(score), score.shape)
        out[i, j] += 1
        frac[i, j] -= 1
        row_def[i] -= 1
        col_def[j] -= 1
    return out

def impute_categories(raw: np.ndarray, n: int, t: pd.Series, prior: np.ndarray) -> np.ndarray:
    """Fill suppressed locality × distance cells consistently with the published locality and distance totals."""
    vals = raw.copy()
    if not np.isnan(vals).any():
        return vals
    out_total = t["published_outside_la"]
    over_total = t["published_over_20_miles"]
    nk_total = t["published_distance_not_known"]
    gaps = np.isnan(vals)
    fill = np.where(gaps, prior / prior.sum() * n, 0.0)
    for _ in range(50):  # scale the unknown cells to the known margins (known cells stay fixed)
        for mask, total in ((~CAT_INSIDE, out_total), (CAT_INSIDE, n - out_total if pd.notna(out_total) else np.nan),
                            (CAT_BAND == 1, over_total), (CAT_BAND == 2, nk_total),
                            (CAT_BAND == 0, np.nan)):
            if pd.isna(total):
                continue
            known = np.nansum(np.where(mask & ~gaps, vals, 0.0))
            unknown = fill[mask & gaps].sum()
            if unknown > 0:
                fill[mask & gaps] *= max(total - known, 0.0) / unknown
        s = fill[gaps].sum()
        rest = max(n - np.nansum(vals), 0.0)
        if s > 0:
            fill[gaps] *= rest / s
    vals[gaps] = fill[gaps]
    return vals


def male_count(sex: np.ndarray, n: int) -> int:
    male, female = sex
    if not np.isnan(male):
        return int(male)
    if not np.isnan(female):
        return max(n - int(female), 0)
    return int(round(0.56 * n))
