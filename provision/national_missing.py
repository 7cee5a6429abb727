"""England's missing incidents from placements inside and outside the council boundary, with their denominators.

Loads the inputs of :func:`distance.national.missing_rate_ratios` from DfE's national tables (2024 release,
2020-2024): incidents by placement type and by placement locality (the missing table) and placements by type and
locality (the during-year table). Placement types are brought to one set of six keys (:data:`PLACEMENT_TYPES`).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from geo import years
from geo.errors import InputError
from geo.quality import quality_table
from provision import demand
from provision._readers import to_number, unknown_year

logger = logging.getLogger(__name__)

__all__ = ["YEARS", "PLACEMENT_TYPES", "NationalMissingInputs", "load_national_missing"]

_FIRST_COMPARABLE = 2020  # reader mapping: the 2023 release's 2019 groups semi-independent with children's homes
YEARS = years.live(lambda: [y for y in years.years("national_missing") if y in years.years("national_during_year")
                            and y >= _FIRST_COMPARABLE], label="national missing and during-year tables")
"""Years (ending 31 March) with incidents and placements by type and locality on one set of placement types: the
catalogued national tables (:mod:`geo.years`) from 2020, when their placement types first match."""

PLACEMENT_TYPES = {
    "foster": "Foster placements",
    "adoption": "Placed for adoption",
    "parents": "Placed with parents or others with parental responsibility",
    "chomes": "Secure homes and children's homes",
    "independent": "Independent and semi-independent living / supported accommodation",
    "other": "Other placements (other residential settings, residential schools, other)",
}
"""The placement types both tables share (key → label)."""

_DURING_YEAR_TYPES = {
    "foster placements": "foster", "placed for adoption": "adoption",
    "placed with parents or other persons with parental responsibility": "parents",
    "secure homes and children's homes": "chomes",
    "independent and semi-independent living arrangements/ supported accommodation": "independent",
    "other placement": "other", "other residential settings": "other", "residential schools": "other",
}
_MISSING_TYPES = {
    "1: foster placements": "foster", "2: adoption": "adoption", "3: placed with parents": "parents",
    "4: secure homes and children's homes": "chomes",
    "5: independent and semi-independent living arrangements/supported accommodation": "independent",
    "6: other placements": "other",
}
_LOCALITY = {"1.i": "inside", "2.i": "inside", "1.ii": "outside", "2.ii": "outside", "distance": "not known"}
_KEY_DURING, _KEY_MISSING = "during_year_2024", "national_missing_2024"


@dataclass
class NationalMissingInputs:
    """The national aggregates behind the inside/outside comparison, one row per year and category.

    Attributes
    ----------
    placements
        ``year``, ``placement_type`` (a :data:`PLACEMENT_TYPES` key), ``locality`` ("inside", "outside", "not
        known": the during-year table gives locality only where the distance is known), ``placements``.
    incidents_by_type
        ``year``, ``placement_type``, ``incidents`` (missing incidents from placements of that type).
    incidents_by_locality
        ``year``, ``locality`` ("inside" / "outside" the council boundary), ``incidents``.
    incidents_per_missing_child
        DfE's average number of incidents per child who went missing, by ``year``.
    data_quality
        Cells left out (suppressed ``c``), by source and reason.
    sources
        The files read.
    """

    placements: pd.DataFrame
    incidents_by_type: pd.DataFrame
    incidents_by_locality: pd.DataFrame
    incidents_per_missing_child: pd.Series
    data_quality: pd.DataFrame
    sources: list[str] = field(default_factory=list)


def load_national_missing(year_from: int | None = None, year_to: int | None = None) -> NationalMissingInputs:
    """Read England's missing incidents and placements by type and locality for ``year_from``-``year_to``.

    Default: every year of :data:`YEARS`.

    Raises
    ------
    InputError
        For years outside :data:`YEARS` (before 2020 the 2023 release groups semi-independent accommodation with
        children's homes, so the types of the two tables do not match).
    MissingColumnsError, DataUnavailableError, ChecksumError
        From the readers, naming the file.
    """
    year_from = YEARS[0] if year_from is None else year_from
    year_to = YEARS[-1] if year_to is None else year_to
    for y in (year_from, year_to):
        if y not in YEARS:
            raise unknown_year("national missing incidents by placement type and locality", y, list(YEARS))
    if year_from > year_to:
        raise InputError(f"years {year_from}-{year_to}: --from must not be after --to")
    years = range(year_from, year_to + 1)
    issues: list[dict[str, Any]] = []
    placements = _placements(years, issues)
    by_type, by_locality, per_child = _incidents(years, issues)
    return NationalMissingInputs(placements=placements, incidents_by_type=by_type,
                                 incidents_by_locality=by_locality, incidents_per_missing_child=per_child,
                                 data_quality=quality_table(issues),
                                 sources=[demand.FILES[_KEY_MISSING], demand.FILES[_KEY_DURING]])


def _placements(years: range, issues: list[dict[str, Any]]) -> pd.DataFrame:
    raw = demand.read_ees_la(_KEY_DURING, filter_column=["cla_group", "characteristic", "number"], national=True)
    raw = raw[pd.to_numeric(raw["time_period"]).isin(years)]
    group = raw["cla_group"].str.strip().str.lower()
    locality = raw["characteristic"].str.strip().str.split(" ").str[0].str.lower().map(_LOCALITY)
    ptype = group.map(_DURING_YEAR_TYPES)
    unknown = sorted(set(group[ptype.isna() & (group != "all new placements")]))
    if unknown:
        raise InputError(f"{demand.FILES[_KEY_DURING]}: unexpected placement type(s) {unknown}")
    keep = ptype.notna() & locality.notna()
    part = raw[keep]
    num = to_number(part["number"], source=demand.FILES[_KEY_DURING], column="number")
    out = pd.DataFrame({"year": pd.to_numeric(part["time_period"]).astype(int), "placement_type": ptype[keep],
                        "locality": locality[keep], "placements": num["value"]})
    for reason, n in num["reason"].dropna().value_counts().items():
        issues.append({"source": demand.FILES[_KEY_DURING], "reason": f"placement cell {reason}: left out of the "
                       "denominators (no value is guessed)", "rows": int(n),
                       "example": "; ".join((part["time_period"] + " " + part["cla_group"] + ", "
                                             + part["characteristic"])[num["reason"] == reason].head(3))})
    return out.groupby(["year", "placement_type", "locality"], as_index=False)["placements"].sum(min_count=1)


def _incidents(years: range, issues: list[dict[str, Any]]) -> tuple[pd.DataFrame, pd.DataFrame, pd.Series]:
    key = _KEY_MISSING
    raw = demand.read_ees_la(key, filter_column=["missing_status", "characteristic", "number"], national=True)
    raw = raw[pd.to_numeric(raw["time_period"]).isin(years)]
    status = raw["missing_status"].str.strip()
    char = raw["characteristic"].str.strip().str.lower()
    num = to_number(raw["number"], source=demand.FILES[key], column="number")
    raw = raw.assign(_value=num["value"], _year=pd.to_numeric(raw["time_period"]).astype(int), _char=char)
    types = raw[status == "Placements from which children were missing"]
    ptype = types["_char"].map(_MISSING_TYPES)
    bad = sorted(set(types["_char"][ptype.isna() & (types["_char"] != "total incidents")]))
    if bad:
        raise InputError(f"{demand.FILES[key]}: unexpected placement type(s) {bad}")
    by_type = pd.DataFrame({"year": types["_year"], "placement_type": ptype, "incidents": types["_value"]})
    by_type = by_type[by_type["placement_type"].notna()].reset_index(drop=True)
    loc = raw[status == "Placement locations from which children were missing"]
    where = loc["_char"].map({"missing from placement inside council boundary": "inside",
                              "missing from placement outside council boundary": "outside"})
    by_loc = pd.DataFrame({"year": loc["_year"], "locality": where, "incidents": loc["_value"]})
    by_loc = by_loc[by_loc["locality"].notna()].reset_index(drop=True)
    mean = raw[raw["_char"] == "average number of incidents per looked after child who was missing"]
    per_child = mean.set_index("_year")["_value"].rename("incidents_per_missing_child")
    for frame, what in ((by_type, "placement type"), (by_loc, "locality")):
        missing = frame["incidents"].isna()
        if missing.any():
            issues.append({"source": demand.FILES[key], "reason": f"incidents by {what} not published",
                           "rows": int(missing.sum())})
    got = sorted(set(by_loc["year"]))
    if got != list(years):
        raise InputError(f"{demand.FILES[key]}: incidents by locality for {got}, expected {list(years)}")
    return by_type, by_loc, per_child
