"""Recipes for the postcode datasets: Ordnance Survey's Code-Point Open zip → per-area CSVs → centroids.

``codepoint_open_areas`` reads OS's own zip (``Data/CSV/<area>.csv`` without a header, the column names in
``Doc/Code-Point_Open_Column_Headers.csv``, ``Doc/licence.txt`` and ``Doc/metadata.txt`` in Latin-1) and
writes the per-area gzip CSVs of ``postcodes/codepoint_open_2025_4/``. ``postcode_centroids`` averages them
into the postcode sector and district centroids. The steps are those of ``PROVENANCE-geography.md``.
"""

from __future__ import annotations

import gzip
import io
import json
import logging
import re
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
from pyproj import Transformer

from geo.derive import Recipe, register
from geo.errors import InputError

logger = logging.getLogger(__name__)

__all__ = ["AREAS_DIR", "TOPOJSON", "check_codepoint"]

AREAS_DIR = "postcodes/codepoint_open_2025_4"
TOPOJSON = "boundaries/ons_uk_topojson_2014_2025_bsc.topo.json"
SECTORS = "postcodes/postcode_sectors_gb_codepoint_2025_4.csv"
DISTRICTS = "postcodes/postcode_districts_gb_codepoint_2025_4.csv"
_ZIP = "os_codepoint_open"
_METADATA = "Doc/metadata.txt"
_MIN_UNITS = 1_000_000  # GB has about 1.7 million unit postcodes (2025.4.0: 1,745,849)
_MIN_AREAS = 100  # and 120 postcode areas
_HEADERS = "Doc/Code-Point_Open_Column_Headers.csv"
_COLUMNS = ["Postcode", "Positional_quality_indicator", "Eastings", "Northings", "Country_code",
            "NHS_regional_HA_code", "NHS_HA_code", "Admin_county_code", "Admin_district_code", "Admin_ward_code"]
_CODES_BEFORE_2025 = {"E08000038": "E08000016", "E08000039": "E08000019"}


def write_gzip_csv(text: str, path: Path) -> None:
    """Write ``text`` gzip-compressed with no file name and time 0, so equal text gives equal bytes."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as raw, gzip.GzipFile(filename="", mode="wb", fileobj=raw, compresslevel=9, mtime=0) as gz:
        gz.write(text.encode("utf-8"))


def _label(source: Path) -> str:
    return f"dataset {_ZIP!r} ({source.name})"


def _open_zip(source: Path) -> zipfile.ZipFile:
    try:
        return zipfile.ZipFile(source)
    except zipfile.BadZipFile as exc:
        raise InputError(f"{_label(source)}: not a zip file ({exc}); is it the Code-Point Open CSV zip?") from exc


def _area_members(names: list[str], source: Path) -> list[str]:
    csvs = sorted(n for n in names if re.fullmatch(r"(?:.*/)?Data/CSV/[a-z]{1,2}\.csv", n))
    if not csvs:
        raise InputError(f"{_label(source)}: no Data/CSV/<area>.csv members; is it the Code-Point Open "
                         "CSV zip (not the GeoPackage or vector one)?")
    return csvs


def _release(archive: zipfile.ZipFile, names: list[str], source: Path) -> tuple[str, dict[str, int]]:
    """Return the release named in Doc/metadata.txt (version, copyright date) and its unit count per area."""
    text = archive.read(_member(names, _METADATA, source)).decode("latin-1")
    fields = dict(re.findall(r"^([A-Z][A-Z ]+):\s*(\S+)\s*$", text, flags=re.MULTILINE))
    version = fields.get("DATASET VERSION NUMBER")
    if not version:
        raise InputError(f"{_label(source)}:{_METADATA}: no 'DATASET VERSION NUMBER'; is it Code-Point Open?")
    counts = {a.lower(): int(n) for a, n in re.findall(r"^\s+([A-Z]{1,2})\t(\d+)\s*$", text, flags=re.MULTILINE)}
    return f"Code-Point Open {version} (copyright date {fields.get('COPYRIGHT DATE', 'not given')})", counts


def check_codepoint(source: Path) -> str:
    """Check that ``source`` is an OS Code-Point Open CSV release, whichever release OS now serves.

    The zip must hold ``Doc/Code-Point_Open_Column_Headers.csv`` with Code-Point Open's ten columns,
    ``Doc/metadata.txt`` naming the release and the number of units per postcode area, and one
    ``Data/CSV/<area>.csv`` per area with exactly that many rows; in all at least a million units in at least
    100 areas.

    Returns
    -------
    str
        The release, e.g. ``"Code-Point Open 2025.4.0 (copyright date 20251020), 1,745,849 units in 120 areas"``.

    Raises
    ------
    InputError
        Naming the file and what is wrong (not a zip, a member or column missing, a count that differs).
    """
    with _open_zip(source) as archive:
        names = archive.namelist()
        csvs = _area_members(names, source)
        _columns(archive, names, source)
        release, counts = _release(archive, names, source)
        total = 0
        for member in csvs:
            area = Path(member).stem
            try:
                rows = archive.read(member).count(b"\n")
            except (zipfile.BadZipFile, EOFError) as exc:  # a damaged or truncated member
                raise InputError(f"{_label(source)}:{member}: cannot be read ({exc})") from exc
            if counts.get(area) != rows:
                raise InputError(f"{_label(source)}:{member}: {rows:,} rows, but {_METADATA} gives "
                                 f"{counts.get(area, 'no count')} for area {area.upper()}")
            total += rows
    if total < _MIN_UNITS or len(csvs) < _MIN_AREAS:
        raise InputError(f"{_label(source)}: {total:,} units in {len(csvs)} areas; Code-Point Open has at "
                         f"least {_MIN_UNITS:,} in {_MIN_AREAS}")
    return f"{release}, {total:,} units in {len(csvs)} areas"


def _columns(archive: zipfile.ZipFile, names: list[str], source: Path) -> None:
    headers = _member(names, _HEADERS, source)
    columns = archive.read(headers).decode("latin-1").splitlines()
    long_names = columns[1].split(",") if len(columns) > 1 else []
    if [c.strip() for c in long_names] != _COLUMNS:
        raise InputError(f"{_label(source)}:{headers}: columns {long_names!r} are not Code-Point Open's "
                         f"{_COLUMNS!r}")


def _build_areas(inputs: dict[str, Path], out: Path) -> None:
    source = inputs[_ZIP]
    with _open_zip(source) as archive:
        names = archive.namelist()
        csvs = _area_members(names, source)
        _columns(archive, names, source)
        kept = dropped = 0
        for member in csvs:
            area = Path(member).stem
            frame = pd.read_csv(io.BytesIO(archive.read(member)), header=None, names=_COLUMNS, dtype=str,
                                keep_default_na=False, encoding="latin-1")
            usable = frame["Positional_quality_indicator"] != "90"  # 90: no coordinates
            dropped += int((~usable).sum())
            frame = frame[usable]
            kept += len(frame)
            text = _area_table(frame).to_csv(index=False, lineterminator="\n")
            write_gzip_csv(text, out / AREAS_DIR / f"{area}.csv.gz")
        for doc, name in (("Doc/licence.txt", "LICENCE-codepoint-open.txt"),
                          (_METADATA, "metadata-codepoint-open.txt")):
            text = archive.read(_member(names, doc, source)).decode("latin-1")
            (out / AREAS_DIR / name).write_text(text, encoding="utf-8", newline="")
    logger.info("Code-Point Open: %d unit postcodes in %d areas (%d without coordinates dropped)",
                kept, len(csvs), dropped)


def _member(names: list[str], suffix: str, source: Path) -> str:
    found = [n for n in names if n == suffix or n.endswith("/" + suffix)]
    if not found:
        raise InputError(f"{_label(source)}: member {suffix!r} not found; is it the Code-Point Open CSV zip?")
    return found[0]


def _area_table(frame: pd.DataFrame) -> pd.DataFrame:
    pc = frame["Postcode"].str.upper().str.replace(r"\s+", "", regex=True)
    county, district = frame["Admin_county_code"], frame["Admin_district_code"]
    return pd.DataFrame({
        "postcode": pc.str[:-3] + " " + pc.str[-3:],
        "easting": frame["Eastings"], "northing": frame["Northings"],
        "positional_quality": frame["Positional_quality_indicator"],
        "country_code": frame["Country_code"], "lad_code": district,
        "ctyua_code": county.where(county != "", district),
    })


def _natural_key(code: str) -> tuple[str, int, str, str]:
    m = re.fullmatch(r"([A-Z]+)(\d+)([A-Z]?)(?: (\d))?", code)
    if m is None:
        return (code, 0, "", "")
    return (m[1], int(m[2]), m[3], m[4] or "")


def _build_centroids(inputs: dict[str, Path], out: Path) -> None:
    areas = sorted(p for key, p in inputs.items() if key.startswith(AREAS_DIR + "/") and key.endswith(".csv.gz"))
    units = pd.concat([pd.read_csv(p, dtype=str, keep_default_na=False) for p in areas], ignore_index=True)
    units = units[(units["positional_quality"] != "60") & (units["lad_code"] != "")]
    units = units.assign(easting=units["easting"].astype(int), northing=units["northing"].astype(int))
    topo = json.loads(inputs[TOPOJSON].read_text(encoding="utf-8"))
    names = {g["properties"]["areacd"]: g["properties"]["areanm"] for g in topo["objects"]["utla"]["geometries"]}
    to_wgs84 = Transformer.from_crs(27700, 4326, always_xy=True)
    for path, key, part in ((SECTORS, "postcode_sector", units["postcode"].str[:-2]),
                            (DISTRICTS, "postcode_district", units["postcode"].str.split(" ").str[0])):
        table = _centroids(units.assign(**{key: part}), key, names, to_wgs84)
        (out / path).parent.mkdir(parents=True, exist_ok=True)
        table.to_csv(out / path, lineterminator="\n")
        logger.info("%s: %d centroids", path, len(table))


def _mode(units: pd.DataFrame, key: str, col: str) -> tuple[pd.Series, pd.Series]:
    """Modal value of ``col`` per ``key`` (ties go to the smallest value) and how many rows have it."""
    counts = units.groupby([key, col], sort=False).size().rename("n").reset_index()
    counts = counts.sort_values(["n", col], ascending=[False, True], kind="stable").drop_duplicates(key)
    counts = counts.set_index(key)
    return counts[col], counts["n"]


def _centroids(units: pd.DataFrame, key: str, names: dict[str, str], to_wgs84: Transformer) -> pd.DataFrame:
    g = units.groupby(key, sort=False)
    out = pd.DataFrame({"n_postcodes": g.size(),
                        "easting": np.round(g["easting"].mean()).astype(int),
                        "northing": np.round(g["northing"].mean()).astype(int)})
    lon, lat = to_wgs84.transform(out["easting"].to_numpy(float), out["northing"].to_numpy(float))
    out["latitude"], out["longitude"] = np.round(lat, 5), np.round(lon, 5)
    for col in ("country_code", "lad_code", "ctyua_code"):
        out[col], top = _mode(units, key, col)
    out["ctyua_name"] = out["ctyua_code"].map(names)
    out["ctyua_code_2024"] = out["ctyua_code"].replace(_CODES_BEFORE_2025)
    out["ctyua_share"] = np.round(top / out["n_postcodes"], 3)
    out["n_ctyua"] = g["ctyua_code"].nunique()
    out = out.loc[sorted(out.index, key=_natural_key)]
    out.index.name = key
    return out


register(Recipe(
    name="codepoint_open_areas", originals=(_ZIP,), datasets=(),
    steps=("read OS Code-Point Open's Data/CSV/<area>.csv with the column names of "
           "Doc/Code-Point_Open_Column_Headers.csv",
           "drop units of positional quality 90 (no coordinates)",
           "postcode in standard form (outward code, one space, inward code); lad_code = Admin_district_code; "
           "ctyua_code = Admin_county_code where there is one, else Admin_district_code",
           "write one gzip CSV per postcode area; copy Doc/licence.txt and Doc/metadata.txt from Latin-1 to UTF-8"),
    equality=("equal as data: from release 2025.4.0 the decompressed CSVs, licence and metadata are "
              "byte-identical to the mirror's; the gzip wrapper differs (the mirror's was written by another "
              "deflate implementation, with a file name and time); a later release gives that release's data"),
    build=_build_areas,
    checks={_ZIP: check_codepoint},
))

register(Recipe(
    name="postcode_centroids", originals=(), datasets=("codepoint_open", TOPOJSON),
    steps=("unit postcodes of the per-area Code-Point Open CSVs, without quality 60 (no admin codes)",
           "per sector and district: count, unweighted mean easting/northing rounded to the metre, WGS84 "
           "latitude/longitude of that point (pyproj, 5 dp)",
           "modal country, LAD and CTYUA code; CTYUA name from ONS uk-topojson; ctyua_share (3 dp) and n_ctyua",
           "natural order of the codes (AL9 before AL10)"),
    equality="byte-identical",
    build=_build_centroids,
))
