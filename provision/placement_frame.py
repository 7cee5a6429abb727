"""One row per placement for the distance-and-missing models, built from an SSDA903 return.

Episodes are joined into placements, each with its exposure days, the missing episodes during it, the distance
from home and the covariates.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd

from distance.straight import KM_PER_MILE, distance_band
from geo.disclosure import is_synthetic
from geo.errors import InputError, MissingColumnsError, require_columns
from geo.quality import quality_table
from provision.collection_years import YEAR_COLUMN, collection_year, combine_years, observation_window, return_year
from provision.ssda903 import parse_dates, read_ssda903

logger = logging.getLogger(__name__)

__all__ = ["placement_frame", "load_placement_frame", "placement_type", "legal_status"]

PathOrPaths = str | os.PathLike[str] | Sequence[str | os.PathLike[str]]


def placement_frame(episodes: pd.DataFrame, *, header: pd.DataFrame, missing: pd.DataFrame,
                    uasc: pd.DataFrame | None = None, reference_date: str | pd.Timestamp | None = None,
                    observation_start: str | pd.Timestamp | None = None,
                    window: tuple[pd.Timestamp, pd.Timestamp] | None = None,
                    distance: Literal["auto", "road", "straight"] = "auto", la_column: str | None = None,
                    missing_kinds: tuple[str, ...] = ("M",), source: str = "episodes") -> tuple[pd.DataFrame,
                                                                                               pd.DataFrame]:
    """One row per placement with exposure days, missing incidents during it, distance and covariates.

    Several collection years can be given at once, concatenated with a ``YEAR`` column (the year ending 31 March)
    in ``episodes`` (and in ``header`` and ``missing`` to tell apart ids reused for different children): an
    episode or missing episode in two years is kept once, and a ``YEAR`` that disagrees with the dates is
    counted and named (see :mod:`provision.collection_years`); the observation period is then the whole span.

    The observation period is never stretched by the data: it is ``window`` (or ``observation_start`` and
    ``reference_date``) as given, else the collection years declared by ``YEAR``, else the return's own collection
    year (:func:`provision.collection_years.return_year`: one stray DEC in 2026 or MIS_START in 2010 cannot move
    it). Placements and missing episodes outside it are counted in the data-quality table.

    Consecutive episodes of a child joined by a change of legal status only (``RNE == 'L'``, same placement
    postcode, no gap) form one placement. A placement is observed from ``max(DECOM, observation_start)`` to
    ``min(DEC, reference_date + 1 day)`` (end exclusive): that is its ``exposure_days``. Each missing episode
    (``MISSING`` in ``missing_kinds``) is counted in the placement whose observed ``[start, end)`` contains
    ``MIS_START``; the others are counted in the data-quality table with the reason.

    Parameters
    ----------
    episodes
        SSDA903 episodes (``CHILD, DECOM, RNE, LS, PLACE, DEC``; dates dd/mm/YYYY or datetimes), located by
        ``provision.placements.locate`` (``straight_distance_miles``, ``outside_la``, ``home_la``...) and
        optionally with ``road_distance_km`` from ``distance.road.road_distances``.
    header
        SSDA903 header (``CHILD, SEX, DOB``; a ``UASC`` column is used if present).
    missing
        SSDA903 missing (``CHILD, MISSING, MIS_START``).
    uasc
        Optional SSDA903 UASC table: a child listed there is unaccompanied asylum-seeking.
    reference_date
        Last day observed (``--to``), closing open placements (default: 31 March of the return's collection year,
        or of the last ``YEAR``; given alone, the period is the year ending on it).
    observation_start
        First day observed (``--from``; default: 1 April of the return's collection year, or of the first
        ``YEAR``): missing episodes are only recorded from then, so placement days before it are not exposure.
    window
        ``(observation_start, reference_date)`` at once, as :class:`provision.returns.ChildLevelData` carries
        it; it wins over the two.
    distance
        ``'road'`` (``road_distance_km``), ``'straight'`` (``straight_distance_miles``) or ``'auto'`` (road if
        the column is there, else straight-line). Distances are in miles in ``distance_miles``.
    la_column
        Column of ``episodes`` naming the responsible LA (default: first of ``responsible_la`` (added by
        ``locate``), ``LA``, ``la``, ``la_code``, ``home_la``).
    missing_kinds
        ``MISSING`` codes counted: ``'M'`` missing (default); add ``'A'`` for away without authorisation.
    source
        File name used in error messages.

    Returns
    -------
    frame
        Indexed by ``placement_id``: ``child``, ``start``, ``end`` (DEC; NaT while open), ``exposure_start``,
        ``exposure_end`` (exclusive), ``exposure_days``, ``missing_incidents``, ``missing_day_offsets`` (days from
        ``exposure_start`` to each incident's ``MIS_START``, for the event study around moves),
        ``any_missing``, ``distance_miles``, ``distance_measure``, ``distance_band``, ``outside_la``,
        ``age_at_start_years``, ``sex``, ``placement_type``, ``uasc``, ``legal_status``,
        ``previous_placements``, ``days_in_care_at_start`` (since the child's first placement start in the data),
        ``la``, ``year`` (collection year of ``exposure_start``), ``status`` (``'ok'`` or why the placement
        cannot enter the models).
        ``attrs['synthetic']`` is carried over.
    data_quality
        ``source``, ``reason``, ``rows``, ``examples``: the reasons quote no input value and may be published; the
        examples quote values (child-level detail: never publish them).
    """
    need = ["CHILD", "DECOM", "RNE", "LS", "PLACE", "DEC"]
    require_columns(episodes, need, source)
    require_columns(header, ["CHILD", "SEX", "DOB"], "header")
    require_columns(missing, ["CHILD", "MISSING", "MIS_START"], "missing")
    if episodes.empty:
        raise InputError(f"{source}: no episodes")
    issues: list[dict[str, Any]] = []
    measure, dist_col = _distance_column(episodes, distance, source)
    la_col = la_column or next((c for c in ("responsible_la", "LA", "la", "la_code", "home_la")
                                if c in episodes.columns), None)
    if la_col is None or la_col not in episodes.columns:
        raise MissingColumnsError(source, [la_column or "la"], list(episodes.columns))

    # only the columns used: a located return has ~30 (points, postcodes, statuses), the frame needs ~12
    used = dict.fromkeys([*need, "PL_POST", la_col, dist_col, "outside_la", "UASC", YEAR_COLUMN])
    ep = episodes[[c for c in used if c in episodes.columns]].copy()
    ep["CHILD"] = ep["CHILD"].astype(str).str.strip()
    ep["_start"] = _dates(ep["DECOM"], "DECOM", source, issues)
    ep["_end"] = _dates(ep["DEC"], "DEC", source, issues, blank_ok=True)
    bad = ep["_start"].isna()
    if bad.any():
        issues.append({"source": source, "reason": "episode with no valid DECOM (dropped)", "rows": int(bad.sum())})
        ep = ep.loc[~bad]
    synthetic = is_synthetic(episodes, header, missing)  # before the columns that may say so are left out
    mis = missing[[c for c in ("CHILD", "MISSING", "MIS_START", YEAR_COLUMN) if c in missing.columns]].copy()
    header = header[[c for c in ("CHILD", "SEX", "DOB", "UASC", "uasc", YEAR_COLUMN) if c in header.columns]]
    mis["CHILD"] = mis["CHILD"].astype(str).str.strip()
    mis["_start"] = _dates(mis["MIS_START"], "MIS_START", "missing", [], blank_ok=True)  # counted when assigned
    years: tuple[int, int] | None = None
    if YEAR_COLUMN in ep:
        ep, header, mis, years = combine_years(ep, header, mis, source=source, issues=issues)
    if window is not None:
        observation_start, reference_date = window
    obs_start, ref = observation_window(ep["_start"], ep["_end"], observation_start=observation_start,
                                        reference_date=reference_date, years=years)
    end_excl = ref + pd.Timedelta(days=1)
    ep = ep.sort_values(["CHILD", "_start"], kind="stable")

    # Placements: runs of episodes joined by a legal-status-only change with no gap and the same postcode.
    prev_end = ep.groupby("CHILD")["_end"].shift()
    same_child = ep["CHILD"].eq(ep["CHILD"].shift())
    cont = same_child & ep["RNE"].astype(str).str.strip().str.upper().eq("L") & prev_end.eq(ep["_start"])
    if "PL_POST" in ep:
        cont &= ep["PL_POST"].astype(str).eq(ep["PL_POST"].shift().astype(str))
    ep["_placement"] = (~cont).cumsum()
    g = ep.groupby("_placement", sort=False)
    first = g.head(1).set_index("_placement")
    pl = pd.DataFrame({
        "child": first["CHILD"],
        "start": first["_start"],
        "end": g["_end"].last(),
        "episodes": g.size(),
        "place_code": first["PLACE"].astype(str).str.strip().str.upper(),
        "ls_code": first["LS"].astype(str).str.strip().str.upper(),
        "la": first[la_col].astype(str),
        "distance_miles": pd.to_numeric(first[dist_col], errors="coerce") / (
            KM_PER_MILE if dist_col.endswith("_km") else 1.0),
        "outside_la": first["outside_la"] if "outside_la" in first else pd.Series(pd.NA, index=first.index),
    })
    if "UASC" in first:
        pl["_uasc_ep"] = first["UASC"]
    pl.index = pd.RangeIndex(1, len(pl) + 1, name="placement_id")
    ep["_pid"] = ep["_placement"].map(dict(zip(first.index, pl.index, strict=True)))
    pl["distance_measure"] = measure
    pl["exposure_start"] = pl["start"].clip(lower=obs_start)
    pl["exposure_end"] = pl["end"].fillna(end_excl).clip(upper=end_excl)
    pl["exposure_days"] = (pl["exposure_end"] - pl["exposure_start"]).dt.days.clip(lower=0).astype(float)
    pl["previous_placements"] = pl.groupby("child").cumcount()
    pl["days_in_care_at_start"] = (pl["start"] - pl.groupby("child")["start"].transform("min")).dt.days
    pl["year"] = collection_year(pl["exposure_start"])

    # Missing episodes → placements.
    counts, offsets, mis_issues = _assign_missing(mis, pl, obs_start, ref, missing_kinds)
    issues.extend(mis_issues)
    pl["missing_incidents"] = counts.reindex(pl.index, fill_value=0).astype(int)
    pl["missing_day_offsets"] = offsets.reindex(pl.index).map(lambda v: v if isinstance(v, tuple) else ())
    pl["any_missing"] = pl["missing_incidents"] > 0

    # Child-level covariates.
    hd = header.copy()
    hd["CHILD"] = hd["CHILD"].astype(str).str.strip()
    dup = hd["CHILD"].duplicated()
    if dup.any():
        issues.append({"source": "header", "reason": "duplicate CHILD in header (first row kept)",
                       "rows": int(dup.sum())})
        hd = hd.loc[~dup]
    hd = hd.set_index("CHILD")
    dob = _dates(hd["DOB"], "DOB", "header", issues).reindex(pl["child"].to_numpy())
    pl["age_at_start_years"] = ((pl["start"].to_numpy() - dob.to_numpy()) / np.timedelta64(1, "D")) / 365.25
    sex = hd["SEX"].astype(str).str.strip().map({"1": "male", "2": "female", "1.0": "male", "2.0": "female"})
    pl["sex"] = sex.reindex(pl["child"].to_numpy()).to_numpy()
    pl["placement_type"] = pl["place_code"].map(placement_type)
    pl["legal_status"] = pl["ls_code"].map(legal_status)
    pl["uasc"], uasc_invalid = _uasc_flags(pl, hd, uasc)
    pl = pl.drop(columns=[c for c in ("_uasc_ep",) if c in pl])
    pl["distance_band"] = distance_band(pl["distance_miles"])
    if pl["outside_la"].notna().any():
        pl["outside_la"] = pl["outside_la"].map(_truthy)

    # Why a placement cannot enter the models (kept, with the reason).
    status = pd.Series("ok", index=pl.index, dtype=object)
    checks = [
        (pl["start"] > ref, "placement starts after the observation period"),
        (pl["end"] <= obs_start, "placement ended before the observation period"),
        (pl["exposure_days"] <= 0, "placement of zero days (starts and ends the same day)"),
        (pl["distance_miles"].isna(), f"{measure} distance not known"),
        (pl["age_at_start_years"].isna(), "no date of birth (child not in header or DOB not a date)"),
        (pl["age_at_start_years"] < 0, "date of birth after placement start"),
        (pl["sex"].isna(), "SEX not 1 or 2 (or child not in header)"),
        (uasc_invalid, "UASC not 0 or 1 (a model covariate: not read as 'not UASC')"),
    ]
    for mask, reason in checks:
        hit = mask.fillna(False) & status.eq("ok")
        status[hit] = reason
    pl["status"] = status
    for reason, n in status[status != "ok"].value_counts().items():
        issues.append({"source": source, "reason": f"placement not modelled: {reason}", "rows": int(n)})
    pl.attrs["synthetic"] = synthetic
    pl.attrs["observation_period"] = (obs_start, ref)
    logger.info("observation period %s to %s", obs_start.date(), ref.date())
    logger.info("%d placements of %d children (%d modelable), %d missing incidents assigned",
                len(pl), pl["child"].nunique(), int(status.eq("ok").sum()), int(pl["missing_incidents"].sum()))
    return pl, quality_table(issues)


def load_placement_frame(episodes: PathOrPaths, *, header: PathOrPaths, missing: PathOrPaths,
                         uasc: str | os.PathLike[str] | None = None, la: str | None = None,
                         network: str | None = None, synthetic: bool = False,
                         reference_date: str | pd.Timestamp | None = None,
                         observation_start: str | pd.Timestamp | None = None,
                         strict: bool = False) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Read an SSDA903 return (CSV files) with the validator, locate it offline and build :func:`placement_frame`.

    Episodes already located (with ``straight_distance_miles``) are used as they are; with ``network`` (a
    network file or ``"backbone"``) road distances are added. The files are read by
    :func:`provision.ssda903.read_ssda903`, so bad rows are counted with their reason, not dropped silently.

    Several collection years: give one file per year for each of ``episodes``, ``header`` and ``missing`` (in the
    same order), or files holding many years with a ``YEAR`` column. A file without ``YEAR`` gets its own collection
    year (:func:`provision.collection_years.return_year`, which a stray date cannot move); the years are then
    merged by :func:`provision.collection_years.combine_years`.

    Returns
    -------
    frame, data_quality
        As :func:`placement_frame`; the validator's problems are counted into ``data_quality`` by file and
        reason. ``frame.attrs['synthetic']`` is set when ``synthetic`` or the files carry the generator's marker.
    """
    from provision.placements import locate, read_located

    eps_paths, hdr_paths, mis_paths = (_paths(p) for p in (episodes, header, missing))
    if not len(eps_paths) == len(hdr_paths) == len(mis_paths):
        raise InputError(f"give as many header and missing files as episodes files (one set per collection year): "
                         f"{len(eps_paths)} episodes, {len(hdr_paths)} header, {len(mis_paths)} missing")
    sets, read_issues = [], []
    for ep_path, hd_path, mi_path in zip(eps_paths, hdr_paths, mis_paths, strict=True):
        located_file = _is_located(ep_path)
        data = read_ssda903(episodes=None if located_file else ep_path, header=hd_path, missing=mi_path,
                            strict=strict)
        if located_file:  # written by 'farfromhome placements locate': its rows were validated then
            data.episodes = read_located(ep_path)
        for path, table in ((ep_path, data.episodes), (hd_path, data.header), (mi_path, data.missing)):
            if table is None:
                said = data.quality.loc[data.quality["file"] == path.name, "message"]
                raise InputError(f"{path}: cannot be used ({said.iloc[0] if len(said) else 'no readable rows'})")
        assert data.episodes is not None and data.header is not None and data.missing is not None
        sets.append((ep_path, data.episodes, data.header, data.missing))
        read_issues += [{"source": f"read {file}", "reason": reason, "rows": int(n)}
                        for (file, reason), n in data.quality.groupby(["file", "reason"]).size().items()]
    eps, hdr, mis = _stack_years(sets) if len(sets) > 1 else sets[0][1:]
    uasc_frame = _read_uasc(Path(uasc)) if uasc is not None else None
    is_synth = synthetic or is_synthetic(eps, hdr, mis) or any(
        is_synthetic(path=p) for p in (*eps_paths, *hdr_paths, *mis_paths))
    located = eps if "straight_distance_miles" in eps.columns else locate(eps, responsible_la=la)
    if network is not None and "road_distance_km" not in located.columns:
        from distance.road import road_distances

        located = road_distances(located, network=network)
    located.attrs["synthetic"] = is_synth
    source = eps_paths[0].name if len(eps_paths) == 1 else f"{len(eps_paths)} episodes files"
    frame, quality = placement_frame(located, header=hdr, missing=mis, uasc=uasc_frame, source=source,
                                     reference_date=reference_date, observation_start=observation_start)
    return frame, pd.concat([quality_table(read_issues), quality], ignore_index=True)


def _paths(value: PathOrPaths) -> list[Path]:
    return [Path(value)] if isinstance(value, str | os.PathLike) else [Path(v) for v in value]


def _stack_years(sets: list[tuple[Path, pd.DataFrame, pd.DataFrame, pd.DataFrame]]
                 ) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """One table each from one return per collection year; ``YEAR`` from the file, else from its latest date."""
    tables: list[list[pd.DataFrame]] = [[], [], []]
    for path, eps, hdr, mis in sets:
        if YEAR_COLUMN in eps:
            year = None
        else:
            start = _dates(eps["DECOM"], "DECOM", path.name, [])
            end = _dates(eps["DEC"], "DEC", path.name, [], blank_ok=True)
            year = return_year(start, end)
            logger.info("%s: collection year %d (the year most of its episodes end in)", path.name, year)
        for i, table in enumerate((eps, hdr, mis)):
            t = table if year is None or YEAR_COLUMN in table else table.assign(**{YEAR_COLUMN: year})
            tables[i].append(t.set_axis([f"{path.name if i == 0 else ''}:{r}" for r in t.index]) if i == 0 else t)
    return tuple(pd.concat(t, ignore_index=i > 0) for i, t in enumerate(tables))  # type: ignore[return-value]


def _is_located(path: Path) -> bool:
    """Tell whether an episodes file was written by ``placements locate`` (it has ``straight_distance_miles``)."""
    if path.suffix.lower() in {".parquet", ".pq"}:
        return True
    if not path.is_file():
        return False
    with path.open(encoding="utf-8-sig", errors="replace") as f:
        return "straight_distance_miles" in f.readline()


def _read_uasc(path: Path) -> pd.DataFrame:
    """Read the SSDA903 UASC table (children listed are unaccompanied asylum-seeking) as strings."""
    if not path.is_file():
        raise InputError(f"{path}: file not found")
    frame = pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""], encoding="utf-8-sig")
    require_columns(frame, ["CHILD"], path.name)
    return frame


def _distance_column(episodes: pd.DataFrame, distance: str, source: str) -> tuple[str, str]:
    if distance not in {"auto", "road", "straight"}:
        raise InputError(f"distance must be 'auto', 'road' or 'straight', not {distance!r}")
    if distance in {"auto", "road"} and "road_distance_km" in episodes:
        return "road", "road_distance_km"
    if distance == "road":
        raise MissingColumnsError(source, ["road_distance_km"], list(episodes.columns))
    for col in ("straight_distance_miles", "straight_distance_km"):
        if col in episodes:
            return "straight-line", col
    raise MissingColumnsError(source + " (located by provision.placements.locate)",
                              ["straight_distance_miles"], list(episodes.columns))


def _dates(values: pd.Series, column: str, source: str, issues: list[dict[str, Any]],
           blank_ok: bool = False) -> pd.Series:
    """SSDA903 dates through the one reader (``provision.ssda903.parse_dates``); problems counted by reason."""
    if pd.api.types.is_datetime64_any_dtype(values):
        return values
    out, note = parse_dates(values)
    bad = note.eq("invalid")
    if bad.any():
        first = note.index[bad.to_numpy()][0]
        issues.append({"source": source, "reason": f"{column} not a date (dd/mm/yyyy expected)",
                       "rows": int(bad.sum()), "example": f"row {first}: {str(values.loc[first])!r}"})
    for warning, n in note[note.str.endswith("read as")].value_counts().items():
        issues.append({"source": source, "reason": f"{column} {warning} a date", "rows": int(n)})
    if not blank_ok and note.eq("blank").any():
        issues.append({"source": source, "reason": f"{column} blank", "rows": int(note.eq("blank").sum())})
    return out


def _assign_missing(mis: pd.DataFrame, pl: pd.DataFrame, obs_start: pd.Timestamp, ref: pd.Timestamp,
                    kinds: tuple[str, ...]) -> tuple[pd.Series, pd.Series, list[dict[str, Any]]]:
    issues: list[dict[str, Any]] = []
    kind = mis["MISSING"].astype(str).str.strip().str.upper()
    other = ~kind.isin(kinds)
    away = kind.eq("A") & other
    if away.any():
        issues.append({"source": "missing", "reason": "away from placement without authorisation (A): not counted "
                       "as missing", "rows": int(away.sum())})
    unknown = other & ~kind.isin(("M", "A"))
    if unknown.any():  # the value is quoted only in the child-level detail: it may be anything a user typed
        first = kind.index[unknown.to_numpy()][0]
        issues.append({"source": "missing", "reason": "MISSING not a valid code (M or A): not counted as missing",
                       "rows": int(unknown.sum()), "example": f"row {first}: {str(mis.loc[first, 'MISSING'])!r}"})
    dropped = kind.eq("M") & other
    if dropped.any():
        issues.append({"source": "missing", "reason": "missing from placement (M): not counted (not asked for)",
                       "rows": int(dropped.sum())})
    m = mis.loc[~other, ["CHILD", "_start"]].reset_index(drop=True)
    m["_mid"] = m.index
    nodate = m["_start"].isna()
    if nodate.any():
        issues.append({"source": "missing", "reason": "MIS_START blank or not a date: not assigned",
                       "rows": int(nodate.sum())})
    m = m.loc[~nodate]
    cand = m.merge(pl[["child", "exposure_start", "exposure_end"]].reset_index(), left_on="CHILD",
                   right_on="child", how="left").rename(columns={"exposure_start": "start", "exposure_end": "end"})
    inside = (cand["start"] <= cand["_start"]) & (cand["_start"] < cand["end"])
    hit = cand.loc[inside].sort_values("start").drop_duplicates("_mid", keep="last")
    counts = hit.groupby("placement_id").size()
    offsets = (hit["_start"] - hit["start"]).dt.days.groupby(hit["placement_id"]).agg(lambda d: tuple(sorted(d)))
    lost = cand.loc[~cand["_mid"].isin(hit["_mid"])]
    if not lost.empty:
        per = lost.groupby("_mid").agg(known=("child", lambda s: s.notna().any()), first=("start", "min"),
                                       last=("end", "max"), when=("_start", "first"))

        def why(r: pd.Series) -> str:
            if not r["known"]:
                return "child not in episodes"
            if r["when"] > ref:
                return f"dated after the observation period (ends {ref.date()})"
            if r["when"] < obs_start:
                return f"dated before the observation period (starts {obs_start.date()})"
            if r["when"] < r["first"]:
                return "dated before the child's first placement"
            if r["when"] >= r["last"]:
                return "dated after the child's last placement ended"
            return "dated between placements (not looked after then)"

        for reason, n in per.apply(why, axis=1).value_counts().items():
            issues.append({"source": "missing", "reason": f"missing episode outside any placement: {reason}",
                           "rows": int(n)})
    return counts, offsets, issues


def placement_type(code: str) -> str:
    if code in {"K1", "K2"}:
        return "children's home"
    if code.startswith("U"):
        return "foster"
    if code in {"H5", "P2", "P3"}:
        return "independent or semi-independent"
    if code.startswith(("R", "S")):
        return "other residential"
    if code.startswith("A"):
        return "placed for adoption"
    if code == "P1":
        return "placed with parents"
    return "other"


def legal_status(code: str) -> str:
    if code in {"C1", "C2"}:
        return "care order"
    if code.startswith("V"):
        return "accommodated (s20)"
    if code == "E1":
        return "placement order"
    if code.startswith(("J", "L")):
        return "youth justice or police"
    return "other"


def _truthy(v: Any) -> Any:
    if pd.isna(v):
        return pd.NA
    if isinstance(v, str):
        return v.strip().upper() in {"TRUE", "1", "Y", "YES", "OUT"}
    return bool(v)


def _uasc_flags(pl: pd.DataFrame, hd: pd.DataFrame, uasc: pd.DataFrame | None) -> tuple[pd.Series, pd.Series]:
    """Each placement's UASC flag, and where a UASC value is neither 0/1 nor blank (e.g. ``-5``, ``1e308``)."""
    flag = pd.Series(False, index=pl.index)
    invalid = pd.Series(False, index=pl.index)
    if uasc is not None and "CHILD" in uasc:
        flag |= pl["child"].isin(set(uasc["CHILD"].astype(str).str.strip()))
    for values, key in ([(hd[c], "child") for c in ("UASC", "uasc") if c in hd]
                        + ([(pl["_uasc_ep"], None)] if "_uasc_ep" in pl else [])):
        parsed = values.map(_uasc_value)
        bad = parsed.eq("invalid")
        ok = parsed.where(~bad).fillna(False).astype(bool)
        if key is None:
            flag |= ok
            invalid |= bad
        else:
            flag |= pl[key].map(ok).fillna(False).astype(bool)
            invalid |= pl[key].map(bad).fillna(False).astype(bool)
    return flag, invalid


def _uasc_value(v: Any) -> Any:
    """``True``/``False`` for the UASC codes (0/1, Y/N, TRUE/FALSE), ``pd.NA`` for blank, else ``"invalid"``."""
    if pd.isna(v):
        return pd.NA
    text = str(v).strip().upper()
    if text == "":
        return pd.NA
    if text in {"1", "1.0", "Y", "YES", "TRUE"}:
        return True
    if text in {"0", "0.0", "N", "NO", "FALSE"}:
        return False
    return "invalid"
