"""Recipes for the two DfE tables the mirror derives: LAIT's CLA indicators and CLA-at-31-March by characteristic.

Both are a filter of a DfE file published on GitHub (``geo/originals.csv``), as ``PROVENANCE-care.md``
describes: LAIT's ``bds_long_0.parquet`` (every LAIT indicator, long format) cut to the 16 children-looked-
after indicators for 2016-2025; and the CSC outcomes-and-enablers dashboard's
``combined_cla_31_march_data.rds`` cut to children looked after on 31 March, one CSV per year. Run on the
real originals (``upstream/`` in the mirror) both write files byte-identical to the mirror's.
"""

from __future__ import annotations

import logging
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from geo.derive import Recipe, register
from geo.errors import InputError, MissingColumnsError

logger = logging.getLogger(__name__)

__all__ = ["LAIT_INDICATORS", "CHARACTERISTIC_GROUPS", "check_lait", "check_characteristics"]

LAIT = "care/dfe_cla/lait/lait_cla_indicators_2016_2025.csv"
LAIT_INDICATORS = (
    "Children_Away", "Children_missing", "LAC", "LACDistance", "LACStable_2016on", "LAC_Foster_Placements",
    "LAC_Ind_SInd_Liv_Arr", "LAC_LongStable%", "LAC_Other_Place_Inc_Unreg", "LAC_Other_Res_Settings",
    "LAC_Parents_OR_Others", "LAC_SecHome_And_ChildHome", "LACnum", "LACnum_Start", "Unacc_Asylmn_Seek_Childn",
    "Unacc_Asylmn_Seek_Childn%",
)
LAIT_YEARS = (2016, 2025)
_LAIT_ORIGINAL = "dfe_lait_bds_long"
# the parquet's columns -> the mirror's; LAIT's long table has 'Data item' (the indicator's label) too, not kept
_LAIT_COLUMNS = {"Short Desc": "short_desc", "Years": "year", "LA and Regions": "area_name",
                 "LA Number": "la_number", "Region": "region", "Values": "value"}
_LAIT_READ = ["Short Desc", "Data item", "Years", "LA and Regions", "Values", "LA Number", "Region"]
_LAIT_MIN_ROWS = 100_000  # the 2e30e3959a release has 641,070 rows of 434 indicators
_NO_REGION = "NA"  # England and its regions have Region 'NA' (R's missing value, written as text): blank

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
_CHAR_READ = [c for c in _CHAR_COLUMNS if c != "number"] + ["population_count", "cla_31_march_number"]
_CSC_ORIGINAL = "dfe_csc_combined_cla_31_march"
_CSC_MIN_ROWS = 50_000  # the 47c0a77457 release has 327,474 rows
# the mirror's order: England, then regions, then LAs; within each by region, LA, group and characteristic
_LEVEL_ORDER = {"National": 0, "Regional": 1, "Local authority": 2}
_CHAR_ORDER = ["region_name", "la_name", "cla_group", "characteristic"]


def _label(name: str, source: Path) -> str:
    return f"dataset {name!r} ({source.name})"


def _text(frame: pd.DataFrame) -> pd.DataFrame:
    """Every column as text, as published: whole floats without '.0', missing as blank."""
    def one(s: pd.Series) -> pd.Series:
        if pd.api.types.is_float_dtype(s) and (s.dropna() % 1 == 0).all():
            s = s.astype("Int64")
        return s.astype("string").fillna("")
    return frame.apply(one)


def check_lait(source: Path) -> str:
    """Check that ``source`` is LAIT's long parquet: readable, with its columns and a plausible row count.

    Returns
    -------
    str
        One line describing it (rows, indicators' column), for the manifest and run.json.

    Raises
    ------
    InputError
        If it is not a parquet file, lacks a column, or has too few rows.
    """
    try:
        meta = pq.read_metadata(source)
    except (pa.ArrowInvalid, OSError) as exc:
        raise InputError(f"{_label(_LAIT_ORIGINAL, source)}: not a readable parquet file ({exc})") from exc
    names = meta.schema.names
    missing = [c for c in _LAIT_READ if c not in names]
    if missing:
        raise MissingColumnsError(_label(_LAIT_ORIGINAL, source), missing, names)
    if meta.num_rows < _LAIT_MIN_ROWS:
        raise InputError(f"{_label(_LAIT_ORIGINAL, source)}: {meta.num_rows:,} rows; LAIT's long table has at "
                         f"least {_LAIT_MIN_ROWS:,}, so this is not the whole file")
    return f"LAIT bds_long_0.parquet: {meta.num_rows:,} rows"


def _build_lait(inputs: dict[str, Path], out: Path) -> None:
    source = inputs[_LAIT_ORIGINAL]
    check_lait(source)
    frame = pd.read_parquet(source, columns=list(_LAIT_COLUMNS))
    frame = _text(frame).rename(columns=_LAIT_COLUMNS)
    frame["region"] = frame["region"].mask(frame["region"].eq(_NO_REGION), "")
    year = pd.to_numeric(frame["year"], errors="coerce")  # '2016-17' and '2014-16' are other indicators' periods
    keep = frame["short_desc"].isin(LAIT_INDICATORS) & year.between(*LAIT_YEARS)
    result = frame[keep]
    if result.empty:
        raise InputError(f"{_label(_LAIT_ORIGINAL, source)}: none of the {len(LAIT_INDICATORS)} CLA indicators "
                         f"for {LAIT_YEARS[0]}-{LAIT_YEARS[1]} found")
    number = pd.to_numeric(result["la_number"], errors="raise")
    result = (result.assign(_year=year[keep], _la=number)
              .sort_values(["short_desc", "_year", "_la"], kind="stable").drop(columns=["_year", "_la"]))
    (out / LAIT).parent.mkdir(parents=True, exist_ok=True)
    result.to_csv(out / LAIT, index=False, lineterminator="\n")
    logger.info("LAIT: %d of %d rows kept", len(result), len(frame))


def _read_rds(source: Path) -> pd.DataFrame:
    import pyreadr

    try:
        frames = pyreadr.read_r(str(source))
    except (pyreadr.custom_errors.PyreadrError, pyreadr.custom_errors.LibrdataError) as exc:
        raise InputError(f"{_label(_CSC_ORIGINAL, source)}: not R data ({exc})") from exc
    if not frames:
        raise InputError(f"{_label(_CSC_ORIGINAL, source)}: the R data file holds no table")
    return next(iter(frames.values()))


def check_characteristics(source: Path) -> str:
    """Check that ``source`` is the CSC dashboard's R table: R data, its columns, a plausible row count.

    Returns
    -------
    str
        One line describing it (rows and time periods), for the manifest and run.json.

    Raises
    ------
    InputError
        If it is not R data, lacks a column, has too few rows, or lacks a year of 2021-2025.
    """
    frame = _read_rds(source)
    _check_characteristics(frame, source)
    years = pd.to_numeric(frame["time_period"], errors="coerce")
    return f"CSC combined_cla_31_march_data.rds: {len(frame):,} rows, {int(years.min())}-{int(years.max())}"


def _check_characteristics(frame: pd.DataFrame, source: Path) -> None:
    missing = [c for c in _CHAR_READ if c not in frame.columns]
    if missing:
        raise MissingColumnsError(_label(_CSC_ORIGINAL, source), missing, [str(c) for c in frame.columns])
    if len(frame) < _CSC_MIN_ROWS:
        raise InputError(f"{_label(_CSC_ORIGINAL, source)}: {len(frame):,} rows; the CSC table has at least "
                         f"{_CSC_MIN_ROWS:,}, so this is not the whole file")


def _build_characteristics(inputs: dict[str, Path], out: Path) -> None:
    source = inputs[_CSC_ORIGINAL]
    frame = _read_rds(source)
    _check_characteristics(frame, source)
    frame = _text(frame.reset_index(drop=True)[_CHAR_READ])
    frame = frame[frame["population_count"].eq(_ON_31_MARCH)
                  & ~frame["geographic_level"].eq(_STAT_NEIGHBOURS) & ~frame["la_name"].eq(_STAT_NEIGHBOURS)
                  & frame["cla_group"].isin(CHARACTERISTIC_GROUPS)]
    frame = frame.rename(columns={"cla_31_march_number": "number"})[_CHAR_COLUMNS].drop_duplicates()
    level = frame["geographic_level"].map(_LEVEL_ORDER)
    if level.isna().any():
        raise InputError(f"{_label(_CSC_ORIGINAL, source)}: geographic_level "
                         f"{frame['geographic_level'][level.isna()].iloc[0]!r}; expected one of {list(_LEVEL_ORDER)}")
    frame = frame.assign(_level=level).sort_values(["_level", *_CHAR_ORDER], kind="stable").drop(columns="_level")
    for year in CHARACTERISTIC_YEARS:
        part = frame[frame["time_period"].eq(str(year))]
        if part.empty:
            raise InputError(f"{_label(_CSC_ORIGINAL, source)}: no children looked after on 31 March {year}")
        path = out / CHARACTERISTICS.format(year=year)
        path.parent.mkdir(parents=True, exist_ok=True)
        part.to_csv(path, index=False, lineterminator="\n")
        logger.info("CLA by characteristics %d: %d rows", year, len(part))


register(Recipe(
    name="dfe_lait_cla", originals=(_LAIT_ORIGINAL,), datasets=(),
    steps=("read LAIT's bds_long_0.parquet: columns " + ", ".join(f"{k!r} as {v}" for k, v in _LAIT_COLUMNS.items()),
           f"keep the {len(LAIT_INDICATORS)} children-looked-after indicators and the single years "
           f"{LAIT_YEARS[0]}-{LAIT_YEARS[1]}",
           f"values as text ('-', 'x', 'c' kept); LA Number as a whole number; Region {_NO_REGION!r} as blank",
           "sort by short_desc, year and LA number"),
    equality="byte-identical",
    build=_build_lait,
    checks={_LAIT_ORIGINAL: check_lait},
))

register(Recipe(
    name="dfe_cla_characteristics", originals=(_CSC_ORIGINAL,), datasets=(),
    steps=("read combined_cla_31_march_data.rds with pyreadr",
           f"keep population_count == '{_ON_31_MARCH}'; drop '{_STAT_NEIGHBOURS}' rows",
           "keep the cla_groups " + ", ".join(CHARACTERISTIC_GROUPS),
           "rename cla_31_march_number to number; de-duplicate",
           "sort National, Regional, Local authority, then by " + ", ".join(_CHAR_ORDER),
           "one CSV per time_period 2021-2025"),
    equality="byte-identical",
    build=_build_characteristics,
    checks={_CSC_ORIGINAL: check_characteristics},
))
