"""UK postcodes: normalise, parse (full, sector, district) and geocode offline from Code-Point Open."""

from __future__ import annotations

import hashlib
import logging
import os
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from geo import years
from geo.cache import read_verified_parquet
from geo.catalogue import DataFile, get_catalogue
from geo.errors import InputError
from geo.settings import LA_VINTAGE

logger = logging.getLogger(__name__)

__all__ = [
    "PRECISIONS",
    "normalise",
    "parse",
    "geocode",
    "load_codepoint",
    "load_sectors",
    "load_districts",
    "ctyua_code_for_year",
]

PRECISIONS = ("full", "sector", "district", "none")
"""Geocoding precisions, best first: unit postcode, postcode sector centroid, postcode district centroid."""

_OUTWARD = r"[A-Z]{1,2}[0-9][A-Z0-9]?"
_FULL = rf"^(?P<out>{_OUTWARD}) ?(?P<digit>[0-9])(?P<unit>[A-Z]{{2}})$"
_SECTOR = rf"^(?P<out>{_OUTWARD}) (?P<digit>[0-9])$"
_DISTRICT = rf"^(?P<out>{_OUTWARD})$"

# Code-Point Open 2025.4 gives the May 2025 codes; DfE data up to March 2025 uses the earlier ones.
_CODES_BEFORE_2025 = {"E08000038": "E08000016", "E08000039": "E08000019"}
_COUNTRY_LA = {"W": "WAL", "S": "SCO", "N": "NIR"}


def normalise(postcodes: pd.Series) -> pd.Series:
    """Return postcodes in standard form, or ``<NA>`` where blank or malformed.

    Full postcodes become ``"SK4 1AA"`` (outward code, one space, inward code), sectors ``"SK4 1"`` and
    districts ``"SK4"``. Case, surrounding and repeated spaces and punctuation are ignored; a full postcode
    may be written without its space, a sector may not (``"SK41"`` is read as the district ``SK41``).
    Normalising twice gives the same result.

    Parameters
    ----------
    postcodes
        Any strings; the index is kept.

    Returns
    -------
    pandas.Series
        String dtype, indexed like ``postcodes``.
    """
    return parse(postcodes)["postcode"]


def parse(postcodes: pd.Series) -> pd.DataFrame:
    """Split postcodes into their parts and say how precise each one is.

    Parameters
    ----------
    postcodes
        Any strings (full postcodes, sectors such as ``"SK4 1"``, districts such as ``"SK4"``); the index
        is kept. Work is done once per distinct value, so long columns with repeats are cheap.

    Returns
    -------
    pandas.DataFrame
        Indexed like ``postcodes``, with columns ``postcode`` (standard form, ``<NA>`` if blank or invalid),
        ``district`` (outward code), ``sector`` (``"SK4 1"``, ``<NA>`` for a district),
        ``given`` (``full``, ``sector``, ``district``, ``blank`` or ``invalid``).
    """
    series = pd.Series(postcodes, copy=False)
    codes, uniques = pd.factorize(series.astype("string"), use_na_sentinel=True)
    parsed = _parse_unique(pd.Index(uniques, dtype="string"))
    # one extra row for NA (code -1) so take() maps blanks too
    blank = pd.DataFrame({"postcode": [pd.NA], "district": [pd.NA], "sector": [pd.NA], "given": ["blank"]})
    table = pd.concat([parsed, blank], ignore_index=True).astype("string")
    out = table.take(np.where(codes < 0, len(parsed), codes))
    out.index = series.index
    return out


def geocode(postcodes: pd.Series, *, year: int = LA_VINTAGE) -> pd.DataFrame:
    """Locate postcodes offline: the unit postcode, else the sector centroid, else the district centroid.

    Nothing leaves the machine: the lookup tables are Ordnance Survey Code-Point Open 2025.4 (unit
    postcodes) and the sector and district centroids derived from it, read through the data catalogue.

    Parameters
    ----------
    postcodes
        Full, sector or district postcodes in any case and spacing; the index is kept.
    year
        Boundary vintage of the returned LA codes: 2023 or 2024 (Barnsley E08000016, Sheffield
        E08000019) or 2025 (E08000038, E08000039).

    Returns
    -------
    pandas.DataFrame
        Indexed like ``postcodes``, with columns

        * ``postcode``: standard form (``<NA>`` if blank or invalid);
        * ``easting``, ``northing``: EPSG:27700 metres (float, NaN when not found);
        * ``precision``: ``full``, ``sector``, ``district`` or ``none`` (categorical);
        * ``ctyua_code``: upper-tier LA (children's services) code of that vintage, or ``WAL``/``SCO``
          for Wales and Scotland; ``<NA>`` when not found. For a sector or district this is the LA of most
          of its postcodes;
        * ``geocode_status``: ``ok``, or why the precision is lower than given or the point is missing
          (``blank``, ``invalid postcode``, ``postcode not found; sector centroid used``, ``not found``...;
          categorical).

    Raises
    ------
    InputError
        If ``year`` is not 2023 to the latest ONS LA boundaries in the data.
    """
    _check_year(year)
    series = pd.Series(postcodes, copy=False)
    codes, uniques = pd.factorize(series.astype("string"), use_na_sentinel=True)
    located = _geocode_unique(pd.Index(uniques, dtype="string"), year=year)
    blank = pd.DataFrame({"postcode": pd.array([pd.NA], dtype="string"), "easting": [np.nan],
                          "northing": [np.nan], "precision": ["none"],
                          "ctyua_code": pd.array([pd.NA], dtype="string"), "geocode_status": ["blank"]})
    table = pd.concat([located, blank], ignore_index=True)
    pos = np.where(codes < 0, len(located), codes)
    # numbers by numpy take; few-valued text through category codes (much cheaper than string takes)
    out = pd.DataFrame({
        "postcode": table["postcode"].take(pos).to_numpy(),
        "easting": table["easting"].to_numpy()[pos],
        "northing": table["northing"].to_numpy()[pos],
        "precision": _take_category(table["precision"], pos, categories=list(PRECISIONS)),
        "ctyua_code": _take_category(table["ctyua_code"], pos).astype("string"),
        "geocode_status": _take_category(table["geocode_status"], pos),
    }, index=series.index)
    logger.info("geocoded %d postcodes (%d distinct): %s", len(out), len(uniques),
                out["precision"].value_counts().to_dict())
    return out


def ctyua_code_for_year(codes: pd.Series, *, year: int = LA_VINTAGE) -> pd.Series:
    """Map Code-Point Open 2025.4 LA codes to the vintage ``year`` (only Barnsley/Sheffield differ)."""
    _check_year(year)
    if year >= 2025:
        return codes
    return codes.replace(_CODES_BEFORE_2025)


def _take_category(values: pd.Series, pos: np.ndarray, categories: list[str] | None = None) -> pd.Categorical:
    cat = pd.Categorical(values, categories=categories)
    return pd.Categorical.from_codes(cat.codes[pos], categories=cat.categories)


@lru_cache(maxsize=2)
def _codepoint_cached(path: str) -> pd.DataFrame:
    cat = get_catalogue()
    files = _codepoint_files()
    frame = read_verified_parquet(
        Path(path), lambda target: _build_codepoint_parquet([cat.path(f.path) for f in files], target),
        what="unit-postcode cache", inputs={f.path: f.sha256 for f in files})
    return frame.set_index("postcode")


def _codepoint_files() -> list[DataFile]:
    return [f for f in get_catalogue().dataset("codepoint_open").files if f.path.endswith(".csv.gz")]


def load_codepoint() -> pd.DataFrame:
    """Every GB unit postcode with coordinates (Code-Point Open 2025.4), indexed by standard postcode.

    The 120 gzip CSVs are read once and cached as parquet under ``<cache>/derived/``, with its SHA-256
    recorded beside it; a cache that no longer matches its record, or cannot be read, is rebuilt with a
    warning. Later calls in the same process reuse the frame in memory.

    Returns
    -------
    pandas.DataFrame
        Index ``postcode`` (``"SK4 1AA"``); columns ``easting``, ``northing`` (EPSG:27700 metres, int32),
        ``positional_quality`` (10 best … 60 = sector mean), ``country`` (``E``, ``W``, ``S``),
        ``ctyua_code`` (as published, May 2025 codes; ``<NA>`` where Code-Point gives none).
    """
    files = _codepoint_files()
    digest = hashlib.sha256("".join(f.sha256 for f in files).encode()).hexdigest()[:12]
    target = get_catalogue().settings.cache_dir / "derived" / f"codepoint_open_{digest}.parquet"
    return _codepoint_cached(str(target))


def load_sectors() -> pd.DataFrame:
    """Postcode sector centroids (unweighted mean of unit postcodes), indexed by sector (``"SK4 1"``)."""
    return _centroids("postcode_sectors_gb_codepoint_2025_4", "postcode_sector")


def load_districts() -> pd.DataFrame:
    """Postcode district centroids (unweighted mean of unit postcodes), indexed by district (``"SK4"``)."""
    return _centroids("postcode_districts_gb_codepoint_2025_4", "postcode_district")


# -- private helpers ------------------------------------------------------------------------------------
_FIRST_CODE_YEAR = 2023
"""The first year whose LA codes today's postcodes can give: April 2023 created Cumberland, Westmorland and
Furness, North Yorkshire and Somerset, whose earlier codes no postcode lookup can restore."""


def _check_year(year: int) -> None:
    """Refuse a year before :data:`_FIRST_CODE_YEAR` or after the latest ONS boundaries in the data."""
    last = years.latest("la_boundaries")
    if not _FIRST_CODE_YEAR <= int(year) <= last:
        raise InputError(f"postcode LA codes are available for {_FIRST_CODE_YEAR}-{last} (the ONS LA boundaries in "
                         f"the data), got year={year!r}; map older codes with boundaries.harmonise_codes")


def _parse_unique(values: pd.Index) -> pd.DataFrame:
    # pyarrow's RE2 kernels: ~1 s per million strings (pandas' str.extract loops in Python)
    raw = pa.array(pd.Series(values, dtype="string").to_numpy(dtype=object, na_value=None), type=pa.string())
    clean = pc.utf8_upper(raw)
    clean = pc.replace_substring_regex(clean, r"[^A-Z0-9 ]", " ")
    clean = pc.utf8_trim_whitespace(pc.replace_substring_regex(clean, r"\s+", " "))

    def parts(pattern: str) -> tuple[np.ndarray, dict[str, pa.Array]]:
        found = pc.extract_regex(clean, pattern)
        ok = pc.fill_null(found.is_valid(), False).to_numpy(zero_copy_only=False)
        return ok, {field.name: pc.struct_field(found, field.name) for field in found.type}

    is_full, full = parts(_FULL)
    is_sector, sector = parts(_SECTOR)
    is_district, district = parts(_DISTRICT)
    is_sector &= ~is_full
    is_district &= ~is_full & ~is_sector
    blank = pc.fill_null(pc.equal(clean, ""), True).to_numpy(zero_copy_only=False)
    full_sector = pc.binary_join_element_wise(full["out"], full["digit"], " ")
    sector_sector = pc.binary_join_element_wise(sector["out"], sector["digit"], " ")
    unit = pc.utf8_slice_codeunits(clean, -2)
    full_code = pc.binary_join_element_wise(full_sector, unit, "")

    def pick(*choices: tuple[np.ndarray, pa.Array]) -> pd.Series:
        out = pd.Series(pd.NA, index=range(len(values)), dtype="string")
        for mask, arr in choices:
            if mask.any():
                out[mask] = pd.Series(arr, dtype="string").to_numpy()[mask]
        return out

    return pd.DataFrame({
        "postcode": pick((is_full, full_code), (is_sector, sector_sector), (is_district, district["out"])),
        "district": pick((is_full, full["out"]), (is_sector, sector["out"]), (is_district, district["out"])),
        "sector": pick((is_full, full_sector), (is_sector, sector_sector)),
        "given": pd.Series(np.select([is_full, is_sector, is_district, blank],
                                     ["full", "sector", "district", "blank"], "invalid"), dtype="string"),
    })


def _geocode_unique(values: pd.Index, *, year: int) -> pd.DataFrame:
    # fast path: values already in standard form need no parsing (their sector is only needed rarely)
    units = load_codepoint()
    direct = units.index.get_indexer(values) >= 0
    parsed = pd.DataFrame({"postcode": pd.array(values, dtype="string"),
                           "district": pd.array([pd.NA] * len(values), dtype="string"),
                           "sector": pd.array([pd.NA] * len(values), dtype="string"),
                           "given": pd.array(["full"] * len(values), dtype="string")})
    if (~direct).any():
        slow = _parse_unique(values[~direct])
        parsed.loc[~direct, list(slow.columns)] = slow.to_numpy()
    n = len(parsed)
    east = np.full(n, np.nan)
    north = np.full(n, np.nan)
    precision = np.full(n, "none", dtype=object)
    la = pd.array([pd.NA] * n, dtype="string")
    status = np.where(parsed["given"].eq("blank"), "blank",
                      np.where(parsed["given"].eq("invalid"), "invalid postcode", "not found")).astype(object)
    todo = parsed["given"].isin(["full", "sector", "district"]).to_numpy().copy()

    # 1. unit postcodes
    full_rows = np.flatnonzero(parsed["given"].eq("full").to_numpy())
    if len(full_rows):
        pos = units.index.get_indexer(parsed["postcode"].to_numpy()[full_rows])
        hit = full_rows[pos >= 0]
        pos = pos[pos >= 0]
        east[hit] = units["easting"].to_numpy()[pos]
        north[hit] = units["northing"].to_numpy()[pos]
        unit_la = _la_labels(units["ctyua_code"].take(pos).to_numpy(), units["country"].take(pos).to_numpy(), year)
        la[hit] = unit_la
        precision[hit] = "full"
        status[hit] = "ok"
        todo[hit] = False
        # quality-60 units have no admin codes: take the LA from their sector (below)
        missing_la = hit[pd.isna(unit_la)]
    else:
        missing_la = np.array([], dtype=int)

    # 2. sector centroids (for sectors given, full postcodes not found, and LA of quality-60 units)
    sectors = load_sectors()
    sec_rows = np.flatnonzero(todo & parsed["sector"].notna().to_numpy())
    pos = sectors.index.get_indexer(parsed["sector"].to_numpy()[sec_rows])
    hit = sec_rows[pos >= 0]
    pos = pos[pos >= 0]
    east[hit] = sectors["easting"].to_numpy()[pos]
    north[hit] = sectors["northing"].to_numpy()[pos]
    la[hit] = _centroid_la(sectors, pos, year)
    fell_back = parsed["given"].to_numpy()[hit] == "full"
    status[hit] = np.where(fell_back, "postcode not found; sector centroid used", "ok")
    precision[hit] = "sector"
    todo[hit] = False
    if len(missing_la):
        pos = sectors.index.get_indexer(parsed["postcode"].iloc[missing_la].str[:-2].to_numpy())
        ok = pos >= 0
        la[missing_la[ok]] = _centroid_la(sectors, pos[ok], year)

    # 3. district centroids; a spaceless sector ("SK41") was parsed as a district: retry it as a sector
    districts = load_districts()
    dis_rows = np.flatnonzero(todo & parsed["district"].notna().to_numpy())
    pos = districts.index.get_indexer(parsed["district"].to_numpy()[dis_rows])
    hit = dis_rows[pos >= 0]
    pos_hit = pos[pos >= 0]
    east[hit] = districts["easting"].to_numpy()[pos_hit]
    north[hit] = districts["northing"].to_numpy()[pos_hit]
    la[hit] = _centroid_la(districts, pos_hit, year)
    given_hit = parsed["given"].to_numpy()[hit]
    status[hit] = np.where(given_hit == "district", "ok",
                           "postcode not found; district centroid used")
    precision[hit] = "district"
    todo[hit] = False
    retry = dis_rows[(pos < 0) & (parsed["given"].to_numpy()[dis_rows] == "district")]
    if len(retry):
        out = parsed["district"].to_numpy()[retry].astype(str)
        guess = pd.Series([o[:-1] + " " + o[-1] if len(o) >= 3 and o[-1].isdigit() else "" for o in out])
        pos = sectors.index.get_indexer(guess.to_numpy())
        hit = retry[pos >= 0]
        pos = pos[pos >= 0]
        east[hit] = sectors["easting"].to_numpy()[pos]
        north[hit] = sectors["northing"].to_numpy()[pos]
        la[hit] = _centroid_la(sectors, pos, year)
        precision[hit] = "sector"
        status[hit] = "a sector written without its space: read as that sector"
        parsed.loc[parsed.index[hit], "postcode"] = guess.to_numpy()[pos >= 0]
        todo[hit] = False
    return pd.DataFrame({
        "postcode": parsed["postcode"].to_numpy(),
        "easting": east, "northing": north,
        "precision": precision, "ctyua_code": la, "geocode_status": status,
    }).astype({"postcode": "string", "precision": "string", "ctyua_code": "string", "geocode_status": "string"})


def _la_labels(ctyua: np.ndarray, country: np.ndarray, year: int) -> np.ndarray:
    codes = pd.Series(ctyua, dtype="string")
    codes = ctyua_code_for_year(codes, year=year)
    country_s = pd.Series(country, dtype="string")
    label = country_s.map(_COUNTRY_LA)
    codes = codes.where(country_s.eq("E") | label.isna(), label)
    return codes.to_numpy()


def _centroid_la(table: pd.DataFrame, pos: np.ndarray, year: int) -> np.ndarray:
    column = "ctyua_code_2024" if year < 2025 else "ctyua_code"
    return _la_labels(table[column].to_numpy()[pos], table["country"].to_numpy()[pos], year=2025)


@lru_cache(maxsize=8)
def _centroids_cached(path: str, key: str) -> pd.DataFrame:
    frame = pd.read_csv(path, dtype={key: "string", "ctyua_code": "string", "ctyua_code_2024": "string",
                                     "country_code": "string", "lad_code": "string"})
    frame["country"] = frame["country_code"].str[0]
    return frame.set_index(key)


def _centroids(name: str, key: str) -> pd.DataFrame:
    return _centroids_cached(str(get_catalogue().path(name)), key)


def _build_codepoint_parquet(paths: list[Path], target: Path) -> None:
    logger.info("building the unit-postcode cache %s from %d Code-Point Open files", target, len(paths))
    parts = [pd.read_csv(p, dtype={"postcode": "string", "country_code": "string", "lad_code": "string",
                                   "ctyua_code": "string"},
                         usecols=["postcode", "easting", "northing", "positional_quality", "country_code",
                                  "ctyua_code"]) for p in paths]
    frame = pd.concat(parts, ignore_index=True)
    frame = pd.DataFrame({
        "postcode": frame["postcode"].str.upper().str.strip(),
        "easting": frame["easting"].astype("int32"),
        "northing": frame["northing"].astype("int32"),
        "positional_quality": frame["positional_quality"].astype("int8"),
        "country": frame["country_code"].str[0].astype("category"),
        "ctyua_code": frame["ctyua_code"].astype("category"),
    })
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    frame.to_parquet(tmp, index=False)
    os.replace(tmp, target)
