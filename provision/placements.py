"""Place SSDA903 episodes on the map: home and placement points, LAs, inside/outside and DfE distance."""

from __future__ import annotations

import logging
import os
from pathlib import Path

import numpy as np
import pandas as pd

from distance.straight import straight_distance
from geo.errors import InputError, MissingColumnsError, require_columns
from geo.postcodes import geocode
from geo.settings import LA_VINTAGE

logger = logging.getLogger(__name__)

__all__ = ["LOCATE_COLUMNS", "locate", "read_located"]

LOCATE_COLUMNS = [
    "home_easting", "home_northing", "pl_easting", "pl_northing", "home_precision", "pl_precision",
    "home_la", "pl_la", "responsible_la", "outside_la", "straight_distance_miles", "straight_distance_km",
    "over_20_miles", "locate_status",
]
"""Columns :func:`locate` adds, in order."""


def locate(episodes: pd.DataFrame, *, responsible_la: str | None = None, year: int = LA_VINTAGE) -> pd.DataFrame:
    """Geocode each episode's home and placement postcodes offline and measure the DfE distance.

    Postcodes are looked up in Code-Point Open on this machine (see :func:`geo.postcodes.geocode`): the unit
    postcode, else the sector centroid, else the district centroid. No postcode leaves the machine.

    Parameters
    ----------
    episodes
        SSDA903 episodes with ``HOME_POST`` and ``PL_POST`` (full, sector or district postcodes, any case and
        spacing), and optionally a column ``LA`` (the responsible LA of each row, as in combined files covering
        many LAs). The input is not changed and its index is kept.
    responsible_la
        The LA whose return this is: ONS code, DfE number ("356") or name. It wins over an ``LA`` column: rows
        whose ``LA`` names another LA are counted in ``attrs["la_conflicts"]`` (and logged). Without it, the
        ``LA`` column is used; a value that is not an English LA leaves that row's ``responsible_la`` <NA>
        (counted in ``attrs["unknown_la"]``; :func:`provision.ssda903.read_table` reports the rows).
    year
        Vintage of the LA codes returned (2023 to the latest ONS LA boundaries in the data; default
        ``geo.settings.LA_VINTAGE``).

    Returns
    -------
    pandas.DataFrame
        ``episodes`` with the columns of :data:`LOCATE_COLUMNS` appended:

        * ``home_easting``, ``home_northing``, ``pl_easting``, ``pl_northing``: EPSG:27700 metres;
        * ``home_precision``, ``pl_precision``: ``full``, ``sector``, ``district`` or ``none``;
        * ``home_la``, ``pl_la``: upper-tier LA codes of ``year`` (``WAL``/``SCO`` for Wales/Scotland);
        * ``responsible_la``; ``outside_la``: placement LA differs from the responsible LA (``<NA>`` if
          either is unknown);
        * ``straight_distance_miles`` (DfE: grid distance, miles to 1 dp), ``straight_distance_km``
          (unrounded), ``over_20_miles`` (``<NA>`` when the distance is unknown);
        * ``locate_status``: ``ok``, or the reasons a point is missing or less precise than given.

    Raises
    ------
    MissingColumnsError
        If ``HOME_POST`` or ``PL_POST`` is absent.
    UnknownAreaCodeError
        If ``responsible_la`` is not an English LA.
    InputError
        If ``episodes`` is empty.
    """
    require_columns(episodes, ("HOME_POST", "PL_POST"), "episodes")
    if len(episodes) == 0:
        raise InputError("episodes is empty: nothing to locate")
    n = len(episodes)
    both = pd.concat([episodes["HOME_POST"], episodes["PL_POST"]], ignore_index=True)
    points = geocode(both, year=year)
    home, place = points.iloc[:n], points.iloc[n:]

    out = episodes.copy()
    out["home_easting"] = home["easting"].to_numpy()
    out["home_northing"] = home["northing"].to_numpy()
    out["pl_easting"] = place["easting"].to_numpy()
    out["pl_northing"] = place["northing"].to_numpy()
    out["home_precision"] = home["precision"].array
    out["pl_precision"] = place["precision"].array
    out["home_la"] = home["ctyua_code"].to_numpy()
    out["pl_la"] = place["ctyua_code"].to_numpy()
    out["responsible_la"], conflicts, unknown = _responsible(episodes, responsible_la, year)
    out.attrs.update(la_conflicts=conflicts, unknown_la=unknown)
    outside = pd.array(out["pl_la"].fillna("").to_numpy(dtype=object)
                       != out["responsible_la"].fillna("").to_numpy(dtype=object), dtype="boolean")
    outside[(out["pl_la"].isna() | out["responsible_la"].isna()).to_numpy()] = pd.NA
    out["outside_la"] = outside
    dist = straight_distance(out)
    for col in dist.columns:
        out[col] = dist[col]
    out["locate_status"] = _status(home["geocode_status"], place["geocode_status"], out.index)
    logger.info("located %d episodes: %d with a distance, %d outside the responsible LA", n,
                int(dist["straight_distance_km"].notna().sum()), int(outside.sum()))
    return out


def read_located(path: str | os.PathLike[str]) -> pd.DataFrame:
    """Read located placements (CSV or Parquet from ``farfromhome placements locate``); raw episodes are located.

    Distance columns are made numeric. ``attrs['synthetic']`` says whether the records are synthetic
    (:func:`geo.disclosure.is_synthetic`, the file name included).

    Raises
    ------
    InputError
        The file is missing or has no rows.
    MissingColumnsError
        It has neither the located columns (``pl_la``) nor ``HOME_POST`` and ``PL_POST`` to locate.
    """
    from geo.disclosure import is_synthetic

    p = Path(path)
    if not p.is_file():
        raise InputError(f"{p}: file not found")
    if p.suffix.lower() in {".parquet", ".pq"}:
        frame = pd.read_parquet(p)
    else:
        frame = pd.read_csv(p, dtype=str, keep_default_na=False, na_values=[""], encoding="utf-8-sig")
    if frame.empty:
        raise InputError(f"{p}: no rows")
    if "pl_la" not in frame.columns and "straight_distance_miles" not in frame.columns:
        if "HOME_POST" not in frame.columns or "PL_POST" not in frame.columns:
            raise MissingColumnsError(str(p), ["pl_la", "home_la"], list(frame.columns))
        frame = locate(frame)
    for col in ("straight_distance_miles", "straight_distance_km", "road_distance_km"):
        if col in frame.columns:
            frame[col] = pd.to_numeric(frame[col], errors="coerce")
    frame.attrs["synthetic"] = is_synthetic(frame, path=p)
    return frame


def _responsible(episodes: pd.DataFrame, responsible_la: str | None, year: int) -> tuple[pd.Series, int, int]:
    """Each row's responsible LA (``responsible_la`` wins over the ``LA`` column), conflicts, unknown LA values."""
    import boundaries
    from geo.errors import UnknownAreaCodeError

    column = None
    unknown = 0
    if "LA" in episodes.columns:
        raw = episodes["LA"].astype("string").str.strip().replace("", pd.NA)
        codes, uniques = pd.factorize(raw, use_na_sentinel=True)
        resolved: list[str | None] = []
        for u in uniques:
            try:
                resolved.append(boundaries.resolve_la(u, year=year))
            except UnknownAreaCodeError:
                resolved.append(None)
        lookup = np.array(resolved + [None], dtype=object)
        column = pd.Series(lookup[np.where(codes < 0, len(uniques), codes)], index=episodes.index, dtype="string")
        unknown = int((raw.notna() & column.isna()).sum())
    if responsible_la is not None:
        value = boundaries.resolve_la(responsible_la, year=year)
        conflicts = int((column.notna() & column.ne(value)).sum()) if column is not None else 0
        if conflicts:
            logger.warning("%d episode(s) have an LA column naming another LA than %s; %s is used", conflicts,
                           value, value)
        return pd.Series(value, index=episodes.index, dtype="string"), conflicts, 0
    if column is not None:
        if unknown:
            logger.warning("%d episode(s) have an LA value that is not an English LA: responsible LA unknown",
                           unknown)
        return column, 0, unknown
    return pd.Series(pd.NA, index=episodes.index, dtype="string"), 0, 0


def _status(home: pd.Series, place: pd.Series, index: pd.Index) -> pd.Series:
    # few distinct (home, place) status pairs: build the message once per pair
    h = pd.Categorical(home)
    p = pd.Categorical(place)
    pair = h.codes.astype(np.int64) * (len(p.categories) + 1) + p.codes
    uniques, codes = np.unique(pair, return_inverse=True)
    labels = []
    for u in uniques:
        hc, pc = divmod(int(u), len(p.categories) + 1)
        parts = [f"{name} {cats[c]}" for name, cats, c in (("HOME_POST", h.categories, hc),
                                                           ("PL_POST", p.categories, pc)) if cats[c] != "ok"]
        labels.append("; ".join(parts) if parts else "ok")
    return pd.Series(pd.Categorical.from_codes(codes, categories=labels), index=index)
