"""Geography behind the sufficiency measures: LA points, the public location rules, ``--at`` and road nearest."""

from __future__ import annotations

import logging
from functools import lru_cache
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from scipy.spatial import cKDTree

from distance.straight import OVER_MILES, dfe_miles_from_km
from geo.attribution import OGL_ATTRIBUTION, OS_ATTRIBUTION
from geo.errors import InputError, ModelNotIdentifiedError, UnknownAreaCodeError
from geo.settings import LA_VINTAGE

if TYPE_CHECKING:
    from distance.network import RoadNetwork
    from distance.profiles import Profile

logger = logging.getLogger(__name__)

__all__ = ["PLACES_ATTRIBUTION", "check_network", "la_points", "la_point", "public_points", "resolve_at",
           "nearest_by_road", "nearest_km", "over_20_miles"]

PLACES_ATTRIBUTION = (
    f"{OGL_ATTRIBUTION} (Ofsted; Department for Education). {OS_ATTRIBUTION} 2025; Royal Mail data © Royal Mail "
    "copyright and database right 2025 (Code-Point Open)."
)
"""Attribution for any output built from place locations (Ofsted lists located with Code-Point Open)."""

_LA_YEAR = LA_VINTAGE
_COUNTRY = {"W": "Wales", "S": "Scotland", "N": "Northern Ireland"}


def la_points() -> pd.DataFrame:
    """Each English LA's postcode-weighted centroid, moved to its nearest unit postcode of the LA.

    Returns
    -------
    pandas.DataFrame
        Indexed by LA code (2024), ``easting``/``northing`` (EPSG:27700 metres) of that postcode and
        ``n_postcodes`` (the LA's Code-Point Open unit postcodes).
    """
    return _la_points_cached().copy()


def la_point(code: str) -> tuple[float, float]:
    """Return the point of one LA (see :func:`la_points`)."""
    table = _la_points_cached()
    if code not in table.index:
        raise InputError(f"LA {code!r} has no postcodes in Code-Point Open; expected an English LA code")
    row = table.loc[code]
    return float(row["easting"]), float(row["northing"])


def public_points(homes: pd.DataFrame, *, rule: str, seed: int = 0) -> pd.DataFrame:
    """Points for the public (LA-level) homes list by ``rule`` (``centroid`` or ``sample``).

    ``homes`` has ``la_code`` and ``places``; returns ``easting``, ``northing``, ``places``, ``la_code``,
    ``needs_mask`` (all <NA>: the public list has no needs).
    """
    places = pd.to_numeric(homes["places"], errors="coerce").astype(float)
    if rule == "centroid":
        by_la = places.groupby(homes["la_code"].astype(str)).sum(min_count=1)
        pts = _la_points_cached().reindex(by_la.index)
        missing = pts["easting"].isna()
        if missing.any():
            raise InputError(f"LA(s) {', '.join(by_la.index[missing])} of the Ofsted list have no postcodes")
        return pd.DataFrame({"easting": pts["easting"].to_numpy(float), "northing": pts["northing"].to_numpy(float),
                             "places": by_la.to_numpy(float), "la_code": by_la.index.to_numpy(),
                             "needs_mask": pd.array([pd.NA] * len(by_la), dtype="Int64")},
                            index=pd.Index(by_la.index, name="la_code", dtype="string"))
    units = _english_units()
    rng = np.random.default_rng(seed)
    east = np.full(len(homes), np.nan)
    north = np.full(len(homes), np.nan)
    codes = homes["la_code"].astype(str).to_numpy()
    groups = units.groupby("la_code", observed=True).indices
    for code in pd.unique(codes):
        rows = np.flatnonzero(codes == code)
        pool = groups.get(code)
        if pool is None:
            raise InputError(f"LA {code} of the Ofsted list has no postcodes in Code-Point Open")
        pick = pool[rng.integers(0, len(pool), len(rows))]
        east[rows] = units["easting"].to_numpy(float)[pick]
        north[rows] = units["northing"].to_numpy(float)[pick]
    index = homes["urn"].astype("string") if "urn" in homes.columns else pd.RangeIndex(len(homes))
    return pd.DataFrame({"easting": east, "northing": north, "places": places.to_numpy(), "la_code": codes,
                         "needs_mask": pd.array([pd.NA] * len(homes), dtype="Int64")}, index=pd.Index(index))


def resolve_at(at: str | None, *, default_la: str) -> tuple[tuple[float, float], str, str]:
    """Where added places go: ``((easting, northing), description, la_code)``.

    ``at`` is an English LA (code, DfE number or name: its point as :func:`la_points`) or a postcode sector
    (``"SK4 1"``; a full postcode is cut to its sector, a district uses its centroid), default ``default_la``.

    Raises
    ------
    InputError
        A postcode not found, or outside England; an LA that is not an English LA.
    """
    import boundaries
    from geo.postcodes import geocode, parse

    names = boundaries.la_lookup().drop_duplicates("la_code").set_index("la_code")["la_name"]
    if at is None or not str(at).strip():
        return la_point(default_la), f"in {names.get(default_la, default_la)} (at its postcode-weighted centroid)", \
            default_la
    text = str(at).strip()
    parsed = parse(pd.Series([text])).iloc[0]
    if parsed["given"] in ("full", "sector", "district"):
        area = parsed["sector"] if pd.notna(parsed["sector"]) else parsed["district"]
        hit = geocode(pd.Series([area]), year=_LA_YEAR).iloc[0]
        if hit["precision"] == "none":
            raise InputError(f"--at {text!r}: postcode sector {area!r} is not in Code-Point Open")
        la = str(hit["ctyua_code"])
        if not la.startswith("E"):
            country = _COUNTRY.get(la[:1], "outside England")
            raise InputError(f"--at {text!r}: postcode sector {area!r} is in {country}, not England; places can be "
                             "added only in England")
        kind = "sector" if pd.notna(parsed["sector"]) else "district"
        return (float(hit["easting"]), float(hit["northing"])), f"at postcode {kind} {area} " \
            f"({names.get(la, la)})", la
    try:
        code = boundaries.resolve_la(text, year=_LA_YEAR)
    except UnknownAreaCodeError as exc:
        raise InputError(f"--at {text!r}: not an English LA nor a postcode sector in England ({exc})") from exc
    return la_point(code), f"in {names.get(code, code)} (at its postcode-weighted centroid)", code


def check_network(network: Any) -> None:
    """Refuse anything but a loaded :class:`~distance.network.RoadNetwork` or None (load a network once, upstream).

    Raises
    ------
    InputError
        ``network`` is a path, a name such as ``"backbone"``, or any other object.
    """
    if network is None:
        return
    from distance.network import RoadNetwork

    if not isinstance(network, RoadNetwork):
        raise InputError(f"network must be a loaded RoadNetwork or None, got {type(network).__name__} "
                         f"{network!r:.60}; load the file once with distance.network.build_network (the national "
                         "backbone measures given pairs, not the nearest place)")


def nearest_by_road(points: pd.DataFrame, xy: np.ndarray, *, network: RoadNetwork,
                    max_snap_m: float = 2000.0, profile: str | Profile | None = None) -> np.ndarray:
    """Road distance (metres) from each point of ``xy`` to the nearest of ``points``, by the quickest route.

    "Nearest by road" is the place whose quickest route is shortest in length: the minimum over places of
    the quickest route's length, under ``profile`` (None: :data:`distance.profiles.DEFAULT_PROFILE`,
    ``"typical"``), each end joined to the nearest point of the nearest road edge with its access leg, as
    ``road_distance_km`` of :func:`distance.road.road_distances` measures it (through
    :func:`distance.road.road_nearest`, which tries the nearest places by straight line first, then every
    place that could still be nearer). Points and places in EPSG:27700 metres.
    NaN where a point lies more than ``max_snap_m`` from the network or no place is reachable; places farther
    than ``max_snap_m`` from the network are not counted.

    Raises
    ------
    ModelNotIdentifiedError
        No place lies within ``max_snap_m`` of the network.
    InputError
        ``network`` is not a loaded RoadNetwork, an unknown profile.
    """
    from distance.profiles import DEFAULT_PROFILE
    from distance.road import road_nearest, within_reach

    check_network(network)
    place_xy = points[["easting", "northing"]].to_numpy(float)
    if not within_reach(place_xy, network=network, max_snap_m=max_snap_m).any():
        raise ModelNotIdentifiedError(f"no children's-home place lies within {max_snap_m:,.0f} m of the road "
                                      f"network ({network!r})")
    metres, _, _ = road_nearest(np.asarray(xy, float), place_xy, network=network, max_snap_m=max_snap_m,
                                profile=DEFAULT_PROFILE if profile is None else profile)
    return metres


def nearest_km(points: pd.DataFrame, xy: np.ndarray) -> np.ndarray:
    """Straight-line km from each point of ``xy`` (EPSG:27700 metres) to the nearest of ``points``; NaN if unknown."""
    tree = cKDTree(points[["easting", "northing"]].to_numpy(float))
    out = np.full(len(xy), np.nan)
    ok = np.isfinite(xy).all(axis=1)
    if ok.any():
        out[ok] = tree.query(xy[ok], workers=-1)[0] / 1000.0
    return out


def over_20_miles(km: np.ndarray) -> np.ndarray:
    """Tell which distances (km) are more than 20 miles by DfE's method (1.6093 km a mile, miles rounded to 1 dp)."""
    return dfe_miles_from_km(km) > OVER_MILES



# -- private helpers ------------------------------------------------------------------------------------
@lru_cache(maxsize=1)
def _english_units() -> pd.DataFrame:
    from geo.postcodes import ctyua_code_for_year, load_codepoint

    cp = load_codepoint()
    eng = cp[(cp["country"] == "E").to_numpy() & cp["ctyua_code"].notna().to_numpy()]
    codes = ctyua_code_for_year(eng["ctyua_code"].astype("string"), year=_LA_YEAR)
    return pd.DataFrame({"easting": eng["easting"].to_numpy(float), "northing": eng["northing"].to_numpy(float),
                         "la_code": pd.Categorical(codes.to_numpy())})


@lru_cache(maxsize=1)
def _la_points_cached() -> pd.DataFrame:
    units = _english_units()
    g = units.groupby("la_code", observed=True)
    mean = g[["easting", "northing"]].transform("mean")
    d2 = (units["easting"] - mean["easting"]) ** 2 + (units["northing"] - mean["northing"]) ** 2
    best = d2.groupby(units["la_code"], observed=True).idxmin()
    out = pd.DataFrame({"easting": units["easting"].to_numpy()[best.to_numpy()],
                        "northing": units["northing"].to_numpy()[best.to_numpy()],
                        "n_postcodes": g.size().reindex(best.index).to_numpy()},
                       index=pd.Index(best.index.astype(str), name="la_code"))
    return out
