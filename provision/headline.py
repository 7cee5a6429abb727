"""The 2019 inquiry's headline figures, each beside the value this tool computes from the published data."""

from __future__ import annotations

import logging

import pandas as pd

from provision import demand as _demand
from provision import homes as _homes
from provision._readers import unknown_year

logger = logging.getLogger(__name__)

__all__ = ["INQUIRY", "headline_figures"]

INQUIRY = ("APPG for Runaway and Missing Children and Adults / APPG for Looked After Children and Care Leavers, "
           "'No Place at Home' inquiry into children missing from out-of-area placements (2019)")
"""The inquiry whose figures are reproduced (it quotes DfE and Ofsted statistics at 31 March 2018)."""


def headline_figures(year: int = 2018) -> pd.DataFrame:
    """Each figure the 2019 inquiry quoted, the value the tool computes, the published source and the difference.

    Parameters
    ----------
    year
        The inquiry's reference year; only 2018 (figures at 31 March 2018 / year to 31 March 2018) exists.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``figure`` (a short id); columns ``description``, ``unit`` ("%" or "children" /
        "incidents"), ``published`` (as quoted), ``published_source``, ``computed``, ``computed_from`` (file
        and method), ``difference`` (computed − published, in the unit), ``tolerance`` (the rounding the
        published figure implies, or the revision documented for it) and ``within_tolerance``.

    Raises
    ------
    InputError
        For a year other than 2018.
    """
    if year != 2018:
        raise unknown_year("inquiry headline figures", year, [2018])
    homes18 = _homes.read_children_homes(2018)
    supply18 = _homes.supply_by_region(2018)
    share = supply18["homes"].astype(float) / supply18["homes"].sum() * 100
    top = supply18.set_index("region_name")["homes"].astype(float)
    three = top[["North West", "West Midlands", "South East"]].sum() / top.sum() * 100
    homes23 = _homes.read_children_homes(2023)
    foi = _demand.read_foi_chomes(level="National")
    missing = _demand.national_figures(2018)
    src18 = homes18.attrs["source"]
    rows = [
        ("chomes_outside_la_pct", "Children in children's homes placed outside their own LA (England, 31 March 2018)",
         "%", 64.0, "DfE SSDA903 as first published for 2018, quoted by the inquiry",
         float(foi.loc[2018, "chomes_outside_la_pct"]),
         f"{_demand.FILES['foi_outside']} (DfE FOI 2024-0040813, revised data)", 1.0,
         "the later revised DfE data gives 63 %"),
        ("chomes_outside_la", "Children in children's homes placed outside their own LA (number, 2018)",
         "children", 4090.0, "DfE FOI 2024-0040813 (revised), national figure rounded to 10",
         float(foi.loc[2018, "chomes_outside_la"]), _demand.FILES["foi_outside"], 10.0, "rounded to 10"),
        ("share_homes_nw_wm_se", "Share of children's homes in the North West, West Midlands and South East",
         "%", 55.0, "Ofsted, children's social care data in England at 31 March 2018, quoted by the inquiry",
         round(float(three), 2), src18, 1.0,
         "whole % quoted; the complete 2018 list gives 54.5 %, which the inquiry rounded up"),
        ("share_homes_london", "Share of children's homes in London (31 March 2018)", "%", 5.0,
         "Ofsted, 31 March 2018, quoted by the inquiry", round(float(share.loc["E12000007"]), 2), src18, 0.5,
         "published figure rounded to a whole %"),
        ("share_private_2018", "Share of children's homes privately run (31 March 2018)", "%", 75.0,
         "'about three quarters' (inquiry, from Ofsted 2018)",
         round(float(homes18["sector"].eq("private").mean() * 100), 2), src18, 2.5, "'about three quarters'"),
        ("share_private_2023", "Share of children's homes privately run (31 March 2023)", "%", 80.0,
         "Ofsted, children's social care in England 2023",
         round(float(homes23["sector"].eq("private").mean() * 100), 2), homes23.attrs["source"], 1.0,
         "published figure rounded to a whole %"),
        ("children_missing_2018", "Children looked after who went missing in the year to 31 March 2018",
         "children", 11530.0, "DfE 'Children looked after in England' 2018 (as first published)",
         float(missing["children_went_missing"]), f"{missing['source']} (2022 release, revised)", 50.0,
         "national figures rounded to 10 and revised in later releases"),
        ("missing_incidents_2018", "Missing incidents of children looked after, year to 31 March 2018",
         "incidents", 70250.0, "DfE 'Children looked after in England' 2018 (as first published)",
         float(missing["missing_incidents"]), f"{missing['source']} (2022 release, revised)", 150.0,
         "national figures rounded to 10 and revised in later releases"),
    ]
    out = pd.DataFrame(rows, columns=["figure", "description", "unit", "published", "published_source", "computed",
                                      "computed_from", "tolerance", "tolerance_reason"]).set_index("figure")
    out["difference"] = (out["computed"] - out["published"]).round(2)
    out["within_tolerance"] = out["difference"].abs() <= out["tolerance"]
    out = out[["description", "unit", "published", "computed", "difference", "tolerance", "within_tolerance",
               "published_source", "computed_from", "tolerance_reason"]]
    out.attrs["inquiry"] = INQUIRY
    out.attrs["attribution"] = ("Contains public sector information licensed under the Open Government Licence "
                                "v3.0 (Department for Education; Ofsted).")
    logger.info("headline figures: %d of %d within tolerance", int(out["within_tolerance"].sum()), len(out))
    return out
