"""Recipes for the two DfE tables the mirror derives: LAIT's CLA indicators and CLA-at-31-March by characteristic.

Both are a filter of a DfE file published on GitHub (``geo/originals.csv``), as ``PROVENANCE-care.md``
describes: LAIT's ``bds_long_0.parquet`` (every LAIT indicator, long format) cut to the 16 children-looked-
after indicators for 2016-2025; and the CSC outcomes-and-enablers dashboard's
``combined_cla_31_march_data.rds`` cut to children looked after on 31 March, one CSV per year.
"""

from __future__ import annotations

import logging
from pathlib import Path

import pandas as pd

from geo.derive import Recipe, register
from geo.errors import InputError, MissingColumnsError

logger = logging.getLogger(__name__)

__all__ = ["LAIT_INDICATORS", "CHARACTERISTIC_GROUPS"]

LAIT = "care/dfe_cla/lait/lait_cla_indicators_2016_2025.csv"
LAIT_INDICATORS = (
    "Children_Away", "Children_missing", "LAC", "LACDistance", "LACStable_2016on", "LAC_Foster_Placements",
    "LAC_Ind_SInd_Liv_Arr", "LAC_LongStable%", "LAC_Other_Place_Inc_Unreg", "LAC_Other_Res_Settings",
    "LAC_Parents_OR_Others", "LAC_SecHome_And_ChildHome", "LACnum", "LACnum_Start", "Unacc_Asylmn_Seek_Childn",
    "Unacc_Asylmn_Seek_Childn%",
)
_LAIT_COLUMNS = ["short_desc", "year", "area_name", "la_number", "region", "value"]

CHARACTERISTICS = "care/dfe_cla/ees_release_2025/derived_la_cla_on_31_march_by_characteristics_{year}.csv"
CHARACTERISTIC_YEARS = (2021, 2022, 2023, 2024, 2025)
CHARACTERISTIC_GROUPS = (
    "Age group", "Distance between home and placement",
    "Distance between home and placement and locality of placement", "LA of placement", "Legal status",
    "Locality of placement", "Place providers", "Placement", "Sex", "Unaccompanied asylum-seeking children",
)
_ON_31_MARCH = "Children looked after on 31 March each year"
_STAT_NEIGHBOURS = "Statistical neighbours (median)"
_CHAR_COLUMNS = ["time_period", "geographic_level", "region_code", "region_name", "new_la_code", "old_la_code",
                 "la_name", "cla_group", "characteristic", "number", "percentage"]


def _text(frame: pd.DataFrame) -> pd.DataFrame:
    """Every column as text, as published: whole floats without '.0', missing as blank."""
    def one(s: pd.Series) -> pd.Series:
        if pd.api.types.is_float_dtype(s) and (s.dropna() % 1 == 0).all():
            s = s.astype("Int64")
        return s.astype("string").fillna("")
    return frame.apply(one)


def _build_lait(inputs: dict[str, Path], out: Path) -> None:
    source = inputs["dfe_lait_bds_long"]
    frame = pd.read_parquet(source)
    missing = [c for c in _LAIT_COLUMNS if c not in frame.columns]
    if missing:
        raise MissingColumnsError(str(source), missing, list(frame.columns))
    frame = _text(frame[_LAIT_COLUMNS])
    year = pd.to_numeric(frame["year"], errors="coerce")
    keep = frame["short_desc"].isin(LAIT_INDICATORS) & year.between(2016, 2025)
    result = frame[keep]
    if result.empty:
        raise InputError(f"{source}: none of the {len(LAIT_INDICATORS)} CLA indicators for 2016-2025 found")
    (out / LAIT).parent.mkdir(parents=True, exist_ok=True)
    result.to_csv(out / LAIT, index=False, lineterminator="\n")
    logger.info("LAIT: %d of %d rows kept", len(result), len(frame))


def _build_characteristics(inputs: dict[str, Path], out: Path) -> None:
    import pyreadr

    source = inputs["dfe_csc_combined_cla_31_march"]
    try:
        frame = next(iter(pyreadr.read_r(str(source)).values()))
    except pyreadr.custom_errors.PyreadrError as exc:
        raise InputError(f"{source}: not a readable R data file ({exc})") from exc
    need = [c for c in _CHAR_COLUMNS if c != "number"] + ["population_count", "cla_31_march_number"]
    missing = [c for c in need if c not in frame.columns]
    if missing:
        raise MissingColumnsError(str(source), missing, list(frame.columns))
    frame = _text(frame.reset_index(drop=True)[need])
    frame = frame[frame["population_count"].eq(_ON_31_MARCH)
                  & ~frame["geographic_level"].eq(_STAT_NEIGHBOURS) & ~frame["la_name"].eq(_STAT_NEIGHBOURS)
                  & frame["cla_group"].isin(CHARACTERISTIC_GROUPS)]
    frame = frame.rename(columns={"cla_31_march_number": "number"})[_CHAR_COLUMNS].drop_duplicates()
    for year in CHARACTERISTIC_YEARS:
        part = frame[frame["time_period"].eq(str(year))]
        if part.empty:
            raise InputError(f"{source}: no children looked after on 31 March {year}")
        path = out / CHARACTERISTICS.format(year=year)
        path.parent.mkdir(parents=True, exist_ok=True)
        part.to_csv(path, index=False, lineterminator="\n")
        logger.info("CLA by characteristics %d: %d rows", year, len(part))


register(Recipe(
    name="dfe_lait_cla", originals=("dfe_lait_bds_long",), datasets=(),
    steps=("read LAIT's bds_long_0.parquet (columns short_desc, year, area_name, la_number, region, value)",
           f"keep the {len(LAIT_INDICATORS)} children-looked-after indicators and the years 2016-2025",
           "write the rows in their published order, values as text ('-', 'x', 'c' kept)"),
    equality="byte-identical",
    build=_build_lait,
))

register(Recipe(
    name="dfe_cla_characteristics", originals=("dfe_csc_combined_cla_31_march",), datasets=(),
    steps=("read combined_cla_31_march_data.rds with pyreadr",
           f"keep population_count == '{_ON_31_MARCH}'; drop '{_STAT_NEIGHBOURS}' rows",
           "keep the cla_groups " + ", ".join(CHARACTERISTIC_GROUPS),
           "rename cla_31_march_number to number; de-duplicate; one CSV per time_period 2021-2025"),
    equality="byte-identical",
    build=_build_characteristics,
))
