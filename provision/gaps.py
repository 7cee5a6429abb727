"""Supply gaps: children's-home places against the need of each LA's and region's own children in care."""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd

from geo.settings import LA_VINTAGE
from provision import demand as _demand
from provision import homes as _homes

logger = logging.getLogger(__name__)

__all__ = ["supply_gaps", "region_gaps", "GAP_INDEX"]

GAP_INDEX = "supply_gap_per_10k_children"
"""Name of the one supply-gap index (see :func:`supply_gaps`)."""


def supply_gaps(year: int, *, to_year: int = LA_VINTAGE) -> pd.DataFrame:
    """Supply-gap measures per LA for ``year`` (supply from Ofsted, need from DfE).

    The supply-gap index
    --------------------
    ``supply_gap_per_10k_children = (children_in_childrens_homes − places) / population_0_17 × 10,000``

    i.e. how many more of the LA's *own* looked-after children live in secure and children's homes than
    there are registered children's-home places located in the LA, per 10,000 resident children aged 0-17.
    Positive = **deficit** (the LA must place children elsewhere even if every local place were its own),
    negative = **surplus** (more places than own need: the LA's homes serve other LAs' children). It is in
    children per 10,000, so LAs of different size compare directly, and it sums over LAs (numerator and
    denominator are counts). It assumes one child per place and ignores vacancies, secure/short-break
    places and homes not registered with Ofsted; 2014 supply is at September 2014.

    Parameters
    ----------
    year
        A year with an Ofsted list (:data:`provision.homes.YEARS`). DfE's figures (need, population) are NaN,
        with the reason in ``.attrs["demand_note"]``, for a year DfE has not published yet (Ofsted publishes
        first); population is missing for the years before LAIT, so the per-10,000 measures are NaN then.
    to_year
        LA code vintage (2024).

    Returns
    -------
    pandas.DataFrame
        Indexed by ``la_code`` (every LA of ``to_year``): ``la_name``, ``region_code``, ``region_name``,
        ``homes``, ``places``, ``population_0_17``, ``children_looked_after``, ``children_in_childrens_homes``,
        ``places_per_10k_children``, ``homes_per_10k_children``, ``self_sufficiency_ratio`` (places / own
        children in children's homes; 1 = exactly enough), ``chomes_net_gain`` (children's homes net import,
        positive = importer, FOI 2014-2024), ``net_gain`` (all placements), ``supply_gap_per_10k_children``
        (the index), ``gap_label`` ("deficit", "surplus" or "unknown"), ``rank_places_per_10k`` (1 = most
        places per child), ``rank_supply_gap`` (1 = largest deficit). Ranks are NaN where the measure is.
        ``.attrs``: ``sources`` and ``index_definition``.
    """
    supply = _homes.supply_by_la(year, to_year=to_year)
    out = supply[["la_name", "region_code", "region_name", "homes", "places"]].copy()
    need_cols = ("population_0_17", "children_looked_after", "children_in_childrens_homes", "chomes_net_gain",
                 "net_gain")
    if year in _demand.YEARS:
        need = _demand.demand_by_la(year, to_year=to_year)
        for col in need_cols:
            out[col] = need[col].reindex(out.index)
        out.attrs["demand_note"] = ""
    else:  # an Ofsted list of a year DfE has not published yet: supply only
        need = pd.DataFrame()
        for col in need_cols:
            out[col] = np.nan
        out.attrs["demand_note"] = (f"DfE's LA figures for {year} are not in the data catalogue (it has "
                                    f"{_demand.YEARS}): need, population and gaps are unknown")
        logger.warning("supply gaps %d: %s", year, out.attrs["demand_note"])
    places = out["places"].astype("Float64").astype(float)
    homes = out["homes"].astype("Float64").astype(float)
    pop = out["population_0_17"].astype(float)
    own = out["children_in_childrens_homes"].astype(float)
    out["places_per_10k_children"] = (places / pop * 10_000).round(2)
    out["homes_per_10k_children"] = (homes / pop * 10_000).round(3)
    out["self_sufficiency_ratio"] = (places / own.where(own > 0)).round(3)
    out[GAP_INDEX] = ((own - places) / pop * 10_000).round(2)
    out["gap_label"] = np.select([out[GAP_INDEX] > 0, out[GAP_INDEX] <= 0], ["deficit", "surplus"], "unknown")
    out["rank_places_per_10k"] = out["places_per_10k_children"].rank(ascending=False, method="min")
    out["rank_supply_gap"] = out[GAP_INDEX].rank(ascending=False, method="min")
    out.attrs["sources"] = {"supply": supply.attrs.get("source"), **need.attrs.get("sources", {})}
    out.attrs["index_definition"] = ("supply_gap_per_10k_children = (children_in_childrens_homes - places) / "
                                     "population_0_17 * 10,000; > 0 deficit, <= 0 surplus")
    out.attrs["year"] = year
    logger.info("supply gaps %d: %d deficit, %d surplus, %d unknown", year, (out["gap_label"] == "deficit").sum(),
                (out["gap_label"] == "surplus").sum(), (out["gap_label"] == "unknown").sum())
    return out


def region_gaps(year: int) -> pd.DataFrame:
    """Compute the measures of :func:`supply_gaps` per region, indexed by ``region_code``.

    Places come from every home in the region (complete even where an LA split); need is the sum over the
    region's LAs of own children in children's homes, except 2014–2020 where the FOI's regional total
    (``chomes_outside_la / chomes_outside_la_pct × 100``, rounded to 10) is used because LA values are
    often suppressed. ``las_without_need`` / ``las_without_population`` count LAs missing from those sums
    (so the per-10,000 measures of a region with such LAs are approximate).
    """
    la = supply_gaps(year)
    regions = _homes.supply_by_region(year)
    out = regions[["region_name", "homes", "places"]].copy()
    grouped = la.groupby("region_code")
    out["population_0_17"] = grouped["population_0_17"].sum(min_count=1)
    out["las_without_population"] = grouped["population_0_17"].apply(lambda s: int(s.isna().sum()))
    out["children_looked_after"] = grouped["children_looked_after"].sum(min_count=1)
    out["children_in_childrens_homes"] = grouped["children_in_childrens_homes"].sum(min_count=1)
    out["las_without_need"] = grouped["children_in_childrens_homes"].apply(lambda s: int(s.isna().sum()))
    if year not in _demand.CHARACTERISTICS_YEARS and year in _demand.FOI_YEARS:  # the FOI's regional figure
        foi = _demand.read_foi_chomes(year=year, level="Regional").reset_index("year", drop=True)
        out["children_in_childrens_homes"] = foi["children_in_childrens_homes"].reindex(out.index)
        out["las_without_need"] = 0
    net = _demand.read_foi_chomes_netgain(year=year, level="Regional") if year in _demand.FOI_YEARS else None
    out["chomes_net_gain"] = (net.reset_index("year", drop=True)["chomes_net_gain"].reindex(out.index)
                              if net is not None else np.nan)
    places = out["places"].astype("Float64").astype(float)
    pop = out["population_0_17"].astype(float)
    own = out["children_in_childrens_homes"].astype(float)
    out["places_per_10k_children"] = (places / pop * 10_000).round(2)
    out["self_sufficiency_ratio"] = (places / own).round(3)
    out[GAP_INDEX] = ((own - places) / pop * 10_000).round(2)
    out["gap_label"] = np.select([out[GAP_INDEX] > 0, out[GAP_INDEX] <= 0], ["deficit", "surplus"], "unknown")
    out["rank_places_per_10k"] = out["places_per_10k_children"].rank(ascending=False, method="min")
    out["rank_supply_gap"] = out[GAP_INDEX].rank(ascending=False, method="min")
    out.attrs.update(la.attrs)
    return out
