"""Children, episodes and header of the synthetic SSDA903 generator (SYNTHETIC)."""

from __future__ import annotations

import logging
from collections.abc import Sequence

import numpy as np
import pandas as pd

from distance.straight import dfe_miles
from geo.errors import InputError
from provision.synth_geography import Geography, cell_reach, place_children, residential_attraction
from provision.synth_targets import (
    AGE_RANGE,
    AGE_SEED,
    CAT_BAND,
    CAT_INSIDE,
    LEGAL_STATUSES,
    impute,
    impute_categories,
    integer_table,
    ipf,
    male_count,
    round_to,
)

logger = logging.getLogger(__name__)

_RESIDENTIAL = np.array([False, True, False, True, True, False, False, False])  # attracted by Ofsted places
_PLACE_CODES: dict[int, tuple[list[str], list[float]]] = {
    0: (["U1", "U2", "U3", "U4", "U5", "U6"], [8, 0.5, 11, 35, 0.5, 45]),
    1: (["K2", "K1"], [97, 3]),
    2: (["H5", "P2"], [85, 15]),
    3: (["R1", "R2", "R3", "R5"], [25, 15, 30, 30]),
    4: (["S1"], [1]),
    5: (["A3", "A4", "A5", "A6"], [10, 40, 10, 40]),
    6: (["P1"], [1]),
    7: (["Z1", "T0"], [60, 40]),
}
_PROVIDER: dict[str, tuple[list[str], list[float]]] = {
    "P1": (["PR0"], [1]), "U1": (["PR1"], [1]), "U2": (["PR1"], [1]), "U3": (["PR1"], [1]),
    "U4": (["PR1", "PR4", "PR5"], [60, 37, 3]), "U5": (["PR1", "PR4"], [70, 30]),
    "U6": (["PR1", "PR4", "PR5"], [55, 42, 3]), "K2": (["PR4", "PR1", "PR5"], [80, 15, 5]),
    "K1": (["PR2", "PR1"], [70, 30]), "H5": (["PR4", "PR1", "PR5"], [70, 20, 10]),
    "P2": (["PR1", "PR4"], [50, 50]), "R1": (["PR3", "PR4"], [60, 40]), "R2": (["PR3"], [1]),
    "R3": (["PR4", "PR1"], [60, 40]), "R5": (["PR3"], [1]), "S1": (["PR4", "PR5", "PR3"], [50, 30, 20]),
    "A3": (["PR1", "PR5"], [70, 30]), "A4": (["PR1", "PR5"], [70, 30]), "A5": (["PR1", "PR5"], [70, 30]),
    "A6": (["PR1", "PR5"], [70, 30]), "Z1": (["PR1"], [1]), "T0": (["PR1"], [1]),
}
_CIN = (["N1", "N2", "N3", "N4", "N5", "N6", "N7", "N8"], [65, 3, 3, 7, 14, 1, 0.3, 7])
_ETHNIC = (["WBRI", "WIRI", "WOTH", "WIRT", "WROM", "MWBC", "MWBA", "MWAS", "MOTH", "AIND", "APKN", "ABAN",
            "AOTH", "BCRB", "BAFR", "BOTH", "CHNE", "OOTH", "REFU", "NOBT"],
           [68, 0.3, 5, 0.3, 0.7, 2.5, 1.2, 1.3, 2.5, 0.4, 1.2, 0.4, 1.5, 1.4, 3.5, 1.6, 0.1, 4, 0.1, 0.2])
_CHANGE_REASON = (["CARPL", "CHILD", "LAREQ", "PLACE", "STAND", "ALLEG", "CLOSE", "APPRR", "CREQB", "CREQO",
                   "OTHER"], [30, 8, 20, 10, 8, 2, 2, 8, 4, 3, 5])
_REC_OLDER = (["E5", "E17", "E8", "E4A", "E13"], [35, 20, 20, 15, 10])
_REC_YOUNGER = (["E4A", "E11", "E45", "E46", "E41", "E8", "E13"], [35, 20, 10, 10, 5, 10, 10])
_MOVES = np.array([0.68, 0.22, 0.07, 0.03])


def _choice(rng: np.random.Generator, spec: tuple[Sequence[str], Sequence[float]], size: int) -> np.ndarray:
    codes, weights = spec
    p = np.asarray(weights, dtype=float)
    return np.asarray(codes, dtype=object)[rng.choice(len(codes), size=size, p=p / p.sum())]


def draw_cohort(targets: pd.DataFrame, geo: Geography, year: int, rng: np.random.Generator) -> pd.DataFrame:
    """One row per child looked after during the year (at 31 March, or left during the year)."""
    seed = targets.attrs["national_seed"]
    frames = []
    la_pos = {code: i for i, code in enumerate(geo.la_codes)}
    nat_place = seed.sum(axis=1)
    nat_age = AGE_SEED.sum(axis=0)
    nat_cat = seed.sum(axis=0)
    for la_code, t in targets.iterrows():
        n = int(t["children_looked_after"])
        if la_code not in la_pos:
            logger.warning("LA %s has no postcodes in Code-Point Open; skipped", la_code)
            continue
        place = round_to(impute(targets.attrs["placement"].loc[la_code].to_numpy(float), n, nat_place), n)
        cats_raw = targets.attrs["categories"].loc[la_code].to_numpy(float)
        cats = round_to(impute_categories(cats_raw, n, t, nat_cat), n)
        joint = integer_table(ipf(seed, place.astype(float), cats.astype(float)), place, cats)
        ages = round_to(impute(targets.attrs["age"].loc[la_code].to_numpy(float), n, nat_age), n)
        joint_age = integer_table(ipf(AGE_SEED, place.astype(float), ages.astype(float)), place, ages)
        group = np.repeat(np.arange(8), place)
        cat = np.concatenate([rng.permutation(np.repeat(np.arange(6), joint[g])) for g in range(8)])
        age = np.concatenate([rng.permutation(np.repeat(np.arange(5), joint_age[g])) for g in range(8)])
        # children who left care during the year: placement and category from the LA's joint shares
        leavers = int(t["children_during_year"]) - n
        p_joint = (joint + 0.05 * seed / seed.sum() * max(n, 1)).ravel()
        drawn = rng.choice(48, size=leavers, p=p_joint / p_joint.sum())
        age_share = (ages + 0.5) / (ages + 0.5).sum()
        frames.append(pd.DataFrame({
            "la": la_code, "la_i": la_pos[la_code], "dfe": str(t["dfe_la_number"]),
            "group": np.concatenate([group, drawn // 6]), "cat": np.concatenate([cat, drawn % 6]),
            "age_group": np.concatenate([age, rng.choice(5, size=leavers, p=age_share)]),
            "at_31_march": np.r_[np.ones(n, bool), np.zeros(leavers, bool)],
            "uasc_target": int(np.nan_to_num(t["uasc"], nan=0)),
            "male_target": male_count(targets.attrs["sex"].loc[la_code].to_numpy(float), n),
            "legal_row": [targets.attrs["legal"].loc[la_code].to_numpy(float)] * (n + leavers),
        }))
    if not frames:
        raise InputError("no LA left to generate: every requested LA has no children or no postcodes")
    kids = pd.concat(frames, ignore_index=True)
    kids["CHILD"] = "SYN" + kids["dfe"].str.zfill(3) + (kids.groupby("la").cumcount() + 1).astype(str).str.zfill(6)
    end = pd.Timestamp(year=year, month=3, day=31)
    start = pd.Timestamp(year=year - 1, month=4, day=1)
    now = kids["at_31_march"].to_numpy()
    # leavers' care ended on a uniform day of the year; their age group is their age then
    leave = start + pd.to_timedelta(rng.integers(0, (end - start).days, len(kids)), unit="D")
    kids["leave"] = pd.Series(leave).where(~now).to_numpy()
    ref = pd.Series(leave).where(~now, end)
    lo, hi = AGE_RANGE[kids["age_group"].to_numpy()].T
    age_years = lo + rng.random(len(kids)) * (hi - lo) * 0.999
    kids["DOB"] = (ref - pd.to_timedelta(np.round(age_years * 365.25), unit="D")).to_numpy()
    kids["age_years"] = age_years
    _assign_uasc_and_sex(kids, rng)
    # home: a real postcode of the LA (hidden for distance-not-known children; always hidden for UASC).
    # A child whose placement is "outside, <= 20 miles" lives where another English LA is within reach, and
    # "inside, > 20 miles" where the LA stretches that far: the home is drawn among cells where it can be.
    near_out, far_in = cell_reach(geo, np.concatenate([geo.la_cells[i] for i in kids["la_i"].unique()]))
    home_unit = np.empty(len(kids), dtype=np.int64)
    cats = kids["cat"].to_numpy()
    for la_i, idx in kids.groupby("la_i").indices.items():
        cells = geo.la_cells[la_i]
        lo_u = geo.cell_start[cells]
        cnt = geo.cell_count[cells].astype(float)
        for c in np.unique(cats[idx]):
            rows = idx[cats[idx] == c]
            w = cnt * (near_out[cells] if c == 1 else far_in[cells] if c == 2 else 1.0)
            if w.sum() <= 0:
                w = cnt
            pick = rng.choice(len(cells), size=len(rows), p=w / w.sum())
            home_unit[rows] = lo_u[pick] + np.floor(rng.random(len(rows)) * cnt[pick]).astype(np.int64)
    kids["home_unit"] = home_unit
    return kids


def _assign_uasc_and_sex(kids: pd.DataFrame, rng: np.random.Generator) -> None:
    uasc = np.zeros(len(kids), dtype=bool)
    male = np.zeros(len(kids), dtype=bool)
    for _, idx in kids.groupby("la").indices.items():
        sub = kids.iloc[idx]
        target = int(sub["uasc_target"].iloc[0])
        now = sub["at_31_march"].to_numpy()
        # UASC are older children with no home postcode: prefer "distance not known", then age 16+
        score = (sub["cat"].to_numpy() >= 4) * 2.0 + (sub["age_group"].to_numpy() == 4) * 1.0 + \
            (sub["age_group"].to_numpy() == 3) * 0.5 + rng.random(len(idx)) * 0.1
        score = np.where(now, score, -1)
        chosen = idx[np.argsort(-score, kind="stable")[:target]]
        uasc[chosen] = True
        n_now = int(now.sum())
        males = min(int(sub["male_target"].iloc[0]), n_now)
        # 95% of UASC are boys; the rest of the boys at random
        boys_uasc = [i for i in chosen if rng.random() < 0.95][:males]
        rest = np.setdiff1d(idx[now], boys_uasc)
        others = rng.choice(rest, size=max(males - len(boys_uasc), 0), replace=False)
        male[boys_uasc] = True
        male[others] = True
        left = idx[~now]
        male[left] = rng.random(len(left)) < 0.56
    kids["uasc"] = uasc
    kids["male"] = male


def draw_episodes(kids: pd.DataFrame, targets: pd.DataFrame, geo: Geography, year: int,
              rng: np.random.Generator) -> pd.DataFrame:
    start_y = pd.Timestamp(year=year - 1, month=4, day=1)
    end_y = pd.Timestamp(year=year, month=3, day=31)
    n = len(kids)
    now = kids["at_31_march"].to_numpy()
    dob = pd.to_datetime(kids["DOB"]).to_numpy()
    # when the period of care ended (leavers) and began
    leave = kids["leave"].to_numpy()
    ref = np.where(now, np.datetime64(end_y), leave)
    age_days = (ref - dob).astype("timedelta64[D]").astype(int)
    dur = rng.exponential(np.where(now, 2.5, 1.5) * 365.25, n).astype(int) + 1
    dur = np.minimum(dur, np.maximum(age_days, 1))
    period_start = ref - dur.astype("timedelta64[D]")
    period_start = np.maximum(period_start, dob)
    moves = rng.choice(4, size=n, p=_MOVES)
    # change dates inside the part of the collection year the child was in care
    first_day = np.maximum(period_start, np.datetime64(start_y))
    span = np.maximum((ref - first_day).astype("timedelta64[D]").astype(int), 1)
    moves = np.minimum(moves, span - 1).clip(0)
    n_eps = moves + 1
    child_of = np.repeat(np.arange(n), n_eps)
    pos = np.concatenate([np.arange(k) for k in n_eps])
    last = pos == n_eps[child_of] - 1
    # change points: sorted uniform offsets after first_day
    offs = rng.random(len(child_of))
    offs = np.where(pos == 0, 0.0, offs)
    order = np.lexsort((offs, child_of))
    offs = offs[order]
    decom_days = np.floor(offs * span[child_of]).astype(int)
    decom_days = np.where(pos == 0, 0, np.maximum(decom_days, 1))
    decom_days = _strictly_increasing(decom_days, pos, n_eps[child_of], span[child_of])
    decom = np.where(pos == 0, period_start[child_of], first_day[child_of] + decom_days.astype("timedelta64[D]"))
    dec = np.empty(len(child_of), dtype="datetime64[us]")
    dec[:-1] = decom[1:]
    dec[last] = np.where(now[child_of[last]], np.datetime64("NaT"), leave[child_of[last]])
    ep = pd.DataFrame({"child": child_of, "pos": pos, "last": last, "DECOM": decom, "DEC": dec})
    # placement type and locality x distance: the current episode uses the exact allocation
    group = kids["group"].to_numpy()[child_of]
    cat = kids["cat"].to_numpy()[child_of]
    earlier = ~last | ~now[child_of]
    la_i = kids["la_i"].to_numpy()[child_of]
    if earlier.any():
        re_grp, re_cat = _redraw(kids, child_of[earlier & ~last], targets, rng)
        idx = np.flatnonzero(earlier & ~last)
        group[idx], cat[idx] = re_grp, re_cat
    ep["group"] = group
    ep["cat"] = cat
    # geography
    home_unit = kids["home_unit"].to_numpy()[child_of]
    home_e, home_n = geo.east[home_unit], geo.north[home_unit]
    attract_res = residential_attraction(geo, targets)
    unit = place_children(geo, home_unit, la_i, CAT_INSIDE[cat], CAT_BAND[cat], _RESIDENTIAL[group],
                  attract_res, rng)
    ep["HOME_POST"] = np.where((CAT_BAND[cat] == 2) | kids["uasc"].to_numpy()[child_of], "",
                               geo.postcode[home_unit])
    ep["PL_POST"] = geo.postcode[unit]
    ep["true_miles"] = dfe_miles(geo.east[unit], geo.north[unit], home_e, home_n)
    # codes
    place = np.empty(len(ep), dtype=object)
    for g, spec in _PLACE_CODES.items():
        m = group == g
        place[m] = _choice(rng, spec, int(m.sum()))
    ep["PLACE"] = place
    provider = np.empty(len(ep), dtype=object)
    for code, spec in _PROVIDER.items():
        m = place == code
        provider[m] = _choice(rng, spec, int(m.sum()))
    ep["PLACE_PROVIDER"] = provider
    ep["URN"] = _urns(place, geo.cell_la[np.searchsorted(geo.cell_start, unit, side="right") - 1], geo, year, rng)
    ep["RNE"] = np.where(pos == 0, "S", "P")
    rec = np.where(last, "", "X1").astype(object)
    left = last & ~now[child_of]
    older = (((dec - dob[child_of]).astype("timedelta64[D]").astype("float") / 365.25) >= 16)
    rec[left & older] = _choice(rng, _REC_OLDER, int((left & older).sum()))
    rec[left & ~older] = _choice(rng, _REC_YOUNGER, int((left & ~older).sum()))
    ep["REC"] = rec
    reason = np.where(~last, _choice(rng, _CHANGE_REASON, len(ep)), "")
    ep["REASON_PLACE_CHANGE"] = reason
    legal = np.empty(len(kids), dtype=object)
    specs = list(LEGAL_STATUSES.values())
    for _, idx in kids.groupby("la").indices.items():
        row = kids["legal_row"].iloc[idx[0]]
        shares = np.nan_to_num(row, nan=2.0) + 0.01
        groups = rng.choice(len(LEGAL_STATUSES), size=len(idx), p=shares / shares.sum())
        for g, legal_spec in enumerate(specs):
            m = groups == g
            legal[idx[m]] = _choice(rng, legal_spec, int(m.sum()))
    ls = legal[child_of]
    ls = np.where(place == "A3", "E1", ls)
    ls = np.where(np.isin(place, ["A4", "A5", "A6"]), "E1", ls)
    ep["LS"] = ls
    cin = _choice(rng, _CIN, n)
    cin[kids["uasc"].to_numpy()] = "N8"
    ep["CIN"] = cin[child_of]
    ep["CHILD"] = kids["CHILD"].to_numpy()[child_of]
    ep["LA"] = kids["la"].to_numpy()[child_of]
    ep["DECOM"] = pd.to_datetime(ep["DECOM"]).dt.normalize()
    ep["DEC"] = pd.to_datetime(ep["DEC"]).dt.normalize()
    return ep


def _urns(place: np.ndarray, pl_la: np.ndarray, geo: Geography, year: int, rng: np.random.Generator) -> np.ndarray:
    """Ofsted URN per residential placement: a real children's home of the placement LA (by places) for K2.

    Other residential codes (K1, S1, R1) and LAs with no home on Ofsted's list get a made-up ``SC`` number.
    """
    urn = np.where(np.isin(place, ["K1", "K2", "S1", "R1"]),
                   "SC" + pd.Series(rng.integers(100000, 999999, len(place))).astype(str).to_numpy(), "")
    urn = urn.astype(object)
    try:
        from provision.homes import read_children_homes

        homes = read_children_homes(year)
    except Exception as exc:  # pragma: no cover - the Ofsted list is optional here
        logger.warning("no Ofsted children's homes list for %s (%s): URNs are made up", year, exc)
        return urn
    homes = homes[homes["la_code"].notna() & homes["urn"].notna()]
    weight = pd.to_numeric(homes["places"], errors="coerce").fillna(1.0).clip(lower=1.0)
    k2 = np.flatnonzero(place == "K2")
    la_codes = geo.la_codes[pl_la[k2]]
    for code, rows in pd.Series(k2).groupby(la_codes).groups.items():
        sub = homes["la_code"].eq(code).to_numpy()
        if not sub.any():
            continue
        w = weight.to_numpy()[sub]
        picks = rng.choice(int(sub.sum()), size=len(rows), p=w / w.sum())
        urn[k2[np.asarray(rows)]] = homes["urn"].astype(str).to_numpy()[sub][picks]
    return urn


def _strictly_increasing(days: np.ndarray, pos: np.ndarray, n_eps: np.ndarray, span: np.ndarray) -> np.ndarray:
    """Change days 1 <= d1 < d2 < ... <= span - 1 within each child (rows ordered by child, then pos)."""
    out = days.copy()
    top = int(pos.max(initial=0))
    for k in range(1, top + 1):  # forward: each change at least a day after the previous one
        idx = np.flatnonzero(pos == k)
        out[idx] = np.maximum(out[idx], np.where(k == 1, 1, out[idx - 1] + 1))
    for k in range(top, 0, -1):  # backward: each change at least a day before the next (or the end)
        idx = np.flatnonzero(pos == k)
        is_last = pos[idx] == n_eps[idx] - 1
        bound = np.where(is_last, span[idx] - 1, out[np.minimum(idx + 1, len(out) - 1)] - 1)
        out[idx] = np.minimum(out[idx], bound)
    return out


def _redraw(kids: pd.DataFrame, child_rows: np.ndarray, targets: pd.DataFrame,
            rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Placement group and category for earlier episodes, from each LA's generated joint shares."""
    now = kids[kids["at_31_march"]]
    joint = pd.crosstab(now["la"], now["group"] * 6 + now["cat"]).reindex(columns=range(48), fill_value=0)
    joint = joint.add(0.2)
    groups = np.empty(len(child_rows), dtype=int)
    cats = np.empty(len(child_rows), dtype=int)
    las = kids["la"].to_numpy()[child_rows]
    for la_code in np.unique(las):
        m = las == la_code
        p = joint.loc[la_code].to_numpy(float) if la_code in joint.index else np.ones(48)
        drawn = rng.choice(48, size=int(m.sum()), p=p / p.sum())
        groups[m], cats[m] = drawn // 6, drawn % 6
    return groups, cats


def draw_header(kids: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    n = len(kids)
    ethnic = _choice(rng, _ETHNIC, n)
    uasc = kids["uasc"].to_numpy()
    ethnic[uasc] = _choice(rng, (["OOTH", "BAFR", "AOTH", "BOTH"], [40, 35, 20, 5]), int(uasc.sum()))
    dob = pd.to_datetime(kids["DOB"]).dt.normalize()
    female = ~kids["male"].to_numpy()
    mother = np.where(female & (kids["age_years"].to_numpy() >= 12), "0", "")
    upn = ("X" + kids["dfe"].str.zfill(3) + pd.Series(rng.integers(0, 10**9, n)).astype(str).str.zfill(9)).to_numpy()
    upn = np.where(uasc, "UN4", upn)
    return pd.DataFrame({"CHILD": kids["CHILD"].to_numpy(), "SEX": np.where(kids["male"], "1", "2"),
                         "DOB": dob.to_numpy(), "ETHNIC": ethnic, "UPN": upn, "MOTHER": mother,
                         "MC_DOB": pd.NaT, "UASC": uasc.astype(int)})
