"""Every supply and demand measure of an LA for one year, on the LA polygons: the frame behind the supply map."""

from __future__ import annotations

import logging

import geopandas as gpd
import pandas as pd

import boundaries
from geo import years
from geo.settings import LA_VINTAGE
from provision import clustering, demand, gaps, homes
from provision._readers import unknown_year

logger = logging.getLogger(__name__)

__all__ = ["CLUSTERING_YEARS", "la_measures", "with_lisa_statistics", "supply_status_counts", "measure_symbols"]

CLUSTERING_YEARS = years.covered("ofsted_providers", "population_0_17")
"""Years with a provider list and the 0-17 population behind per-10,000 measures, so with LISA hot/cold spots
(:mod:`geo.years`)."""


def la_measures(year: int) -> tuple[gpd.GeoDataFrame, list[str]]:
    """Join the LA polygons (EPSG:27700, 2024 LAs) to the supply, demand, gap and clustering measures of ``year``.

    Columns: ``homes``, ``places`` (Ofsted), ``supply_status`` where the list has one, ``pct_outside_la``,
    ``net_gain``, ``children_looked_after`` (DfE), ``places_per_10k``, ``gap_index`` (supply gaps) and
    ``lisa_cluster`` (2016 onwards). A measure that the year cannot have is left out for that named reason,
    listed in the returned notes; any other failure is raised.

    Raises
    ------
    InputError
        For a year without a provider list (:data:`provision.homes.YEARS`).
    """
    if year not in homes.YEARS:
        raise unknown_year("supply and demand measures", year, list(homes.YEARS))
    notes: list[str] = []
    frame = boundaries.load_las(year=LA_VINTAGE)
    supply = homes.supply_by_la(year)
    frame = frame.join(supply[["homes", "places"] + [c for c in ("supply_status",) if c in supply.columns]])
    if year in demand.YEARS:
        d = demand.demand_by_la(year)
        frame["pct_outside_la"] = d["chomes_outside_la_pct"].reindex(frame.index)
        frame["net_gain"] = d["net_gain"].reindex(frame.index)
        frame["children_looked_after"] = d["children_looked_after"].reindex(frame.index)
    else:
        frame["pct_outside_la"] = frame["net_gain"] = frame["children_looked_after"] = float("nan")
        notes.append(f"DfE's LA figures for {year} are not in the data catalogue yet (it has {demand.YEARS}): "
                     "% outside the LA, net gain, children looked after and the supply gap are left empty.")
    g = gaps.supply_gaps(year)
    frame["places_per_10k"] = g["places_per_10k_children"].reindex(frame.index)
    frame["gap_index"] = g[gaps.GAP_INDEX].reindex(frame.index)
    if year in CLUSTERING_YEARS:
        frame["lisa_cluster"] = clustering.spatial_clustering(year)["lisa_cluster"].reindex(frame.index)
    else:
        notes.append("LISA hot/cold-spot layer left out: the 0-17 population behind per-10,000 measures is staged "
                     f"for {CLUSTERING_YEARS}, not for {year}.")
    return frame, notes


def with_lisa_statistics(frame: gpd.GeoDataFrame, year: int) -> gpd.GeoDataFrame:
    """Return ``frame`` (from :func:`la_measures`) with each LA's local Moran's I and pseudo p-value.

    Adds ``lisa_i`` and ``lisa_p`` for the interactive LISA layer; unchanged for a year without that layer.
    """
    if "lisa_cluster" not in frame.columns:
        return frame
    return frame.join(clustering.spatial_clustering(year)[["lisa_i", "lisa_p"]])


def supply_status_counts(frame: pd.DataFrame) -> pd.Series:
    """Count the LAs whose supply is not plainly known, by ``supply_status`` reason (empty without the column)."""
    if "supply_status" not in frame.columns:
        return pd.Series(dtype="int64")
    status = frame["supply_status"]
    counts = status[status != "ok"].value_counts()
    return counts[counts > 0].astype("int64")


_SOURCE_OF = {"pct_outside_la": ("chomes_outside_la_pct", "chomes_outside_la"), "net_gain": ("net_gain",),
              "children_looked_after": ("children_looked_after",),
              "places_per_10k": ("population_0_17", "children_looked_after"),
              "gap_index": ("population_0_17", "children_looked_after", "children_in_childrens_homes")}
"""The DfE figures each LA measure is computed from (the first one missing says why the measure is)."""


def measure_symbols(frame: pd.DataFrame, year: int) -> pd.DataFrame:
    """Say why each missing measure of :func:`la_measures` is missing, as DfE's open-data symbols.

    Returns one ``<measure>_symbol`` column per measure, indexed like ``frame``: ``"c"`` where DfE suppressed the
    figure it comes from, ``"z"`` where it does not apply, ``"x"`` where it is not available (not published for
    that year or LA, or not computable), empty where the measure has a value.
    """
    reasons = demand.demand_by_la(year)["missing_reasons"].reindex(frame.index)
    parsed = reasons.map(lambda text: dict(part.split(": ", 1) for part in str(text).split("; ") if ": " in part)
                         if isinstance(text, str) else {})
    out = pd.DataFrame(index=frame.index)
    for col in [c for c in frame.columns if c in _SOURCE_OF or c in ("homes", "places", "lisa_cluster")]:
        missing = frame[col].isna()
        why = [next((r[s] for s in _SOURCE_OF.get(col, ()) if s in r), "") for r in parsed]
        symbol = pd.Series([_symbol(w) for w in why], index=frame.index)
        out[f"{col}_symbol"] = symbol.where(missing, "")
    return out


def _symbol(reason: str) -> str:
    """DfE's symbol for a reason a figure is missing ("x", not available, when none is given)."""
    text = reason.lower()
    if "suppressed" in text:
        return "c"
    if "not applicable" in text:
        return "z"
    return "x"
