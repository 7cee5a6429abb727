"""Stand-ins for the publishers' originals, built from the mirror, and a folder laid out like their hosts.

``build_originals(mirror, folder)`` writes, deterministically (same mirror → same bytes, so the SHA-256s
pinned in ``geo/originals.csv`` are those of these files):

* Ordnance Survey's Code-Point Open zip in OS's own layout: ``Data/CSV/<area>.csv`` without a header,
  10 quoted columns, 7-character postcodes (``AB101AA``, ``SK4 1AA``, ``B1  1AA``), plus ``Doc/`` with the
  column headers, licence and metadata in Latin-1. The NHS and ward columns, and OS's code-list
  spreadsheets, are not in the mirror: they are left blank or out. Two units of quality 90 (no
  coordinates; BD98 1GA/1GB) are added, as OS publishes them.
* LAIT's ``bds_long_0.parquet`` and the CSC dashboard's ``combined_cla_31_march_data.rds``: the mirror's
  rows plus rows the recipes must drop (other indicators, years, populations, statistical neighbours,
  duplicates).

``publisher_tree(mirror, originals, root)`` lays out ``root/HOST/PATH`` for every official URL (the
originals and every catalogued copy), as ``FARFROMHOME_PUBLISHER_URL`` expects; derived files are absent.

Run ``python tests/geo/publishers.py ../shared/data`` to print the SHA-256 of each built original (a
maintainer re-pins ``geo/originals.csv`` with it after changing this builder).
"""

from __future__ import annotations

import hashlib
import os
import sys
import zipfile
from pathlib import Path
from urllib.parse import unquote

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

AREAS = "postcodes/codepoint_open_2025_4"
LAIT = "care/dfe_cla/lait/lait_cla_indicators_2016_2025.csv"
CHARS = "care/dfe_cla/ees_release_2025/derived_la_cla_on_31_march_by_characteristics_{}.csv"
_ZIP_TIME = (2025, 10, 20, 0, 0, 0)


def build_originals(mirror: Path, folder: Path) -> dict[str, Path]:
    """Build the three originals under ``folder``; return name → path."""
    folder.mkdir(parents=True, exist_ok=True)
    return {
        "os_codepoint_open_2025_4": _codepoint_zip(mirror, folder / "codepo_gb.zip"),
        "dfe_lait_bds_long": _lait_parquet(mirror, folder / "bds_long_0.parquet"),
        "dfe_csc_combined_cla_31_march": _csc_rds(mirror, folder / "combined_cla_31_march_data.rds"),
    }


def publisher_tree(mirror: Path, originals: dict[str, Path], root: Path) -> None:
    """Lay out ``root/HOST/PATH`` (symlinks) for the originals and every catalogued file with a URL."""
    from geo.catalogue import all_datasets
    from geo.derive import all_originals

    def place(url: str, source: Path) -> None:
        target = root / unquote(url.split("://", 1)[1].split("?", 1)[0])  # the server decodes %20 and the like
        target.parent.mkdir(parents=True, exist_ok=True)
        if not target.exists():
            os.symlink(source.resolve(), target)

    for name, path in originals.items():
        place(all_originals()[name].url, path)
    for d in all_datasets().values():
        for f in d.files:
            if f.url:
                place(f.url, mirror / f.path)


def _codepoint_zip(mirror: Path, target: Path) -> Path:
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=6) as z:
        for area in sorted((mirror / AREAS).glob("*.csv.gz")):
            rows = pd.read_csv(area, dtype=str, keep_default_na=False)
            name = area.name.removesuffix(".csv.gz")
            lines = _os_rows(rows)
            if name == "bd":  # OS lists units without coordinates with quality 90 and no codes
                lines += [f'"BD981G{u}",90,0,0,"E92000001","","","","",""\n' for u in "AB"]
            _write(z, f"Data/CSV/{name}.csv", "".join(lines).encode("latin-1"))
        _write(z, "Doc/Code-Point_Open_Column_Headers.csv",
               b"PC,PQ,EA,NO,CY,RH,LH,CC,DC,WC\r\nPostcode,Positional_quality_indicator,Eastings,Northings,"
               b"Country_code,NHS_regional_HA_code,NHS_HA_code,Admin_county_code,Admin_district_code,"
               b"Admin_ward_code\r\n")
        for doc, name in (("Doc/licence.txt", "LICENCE-codepoint-open.txt"),
                          ("Doc/metadata.txt", "metadata-codepoint-open.txt")):
            text = (mirror / AREAS / name).read_bytes().decode("utf-8")
            _write(z, doc, text.encode("latin-1"))
    return target


def _os_rows(rows: pd.DataFrame) -> list[str]:
    outward = rows["postcode"].str.split(" ").str[0]
    inward = rows["postcode"].str.split(" ").str[1]
    seven = outward.str.ljust(4).where(outward.str.len() < 4, outward) + inward
    county = rows["ctyua_code"].where(rows["ctyua_code"].str.startswith("E10"), "")
    q = '"'
    line = (q + seven + q + "," + rows["positional_quality"] + "," + rows["easting"] + "," + rows["northing"]
            + ',"' + rows["country_code"] + '","","","' + county + '","' + rows["lad_code"] + '",""\n')
    return line.tolist()


def _write(z: zipfile.ZipFile, name: str, data: bytes) -> None:
    info = zipfile.ZipInfo(name, date_time=_ZIP_TIME)
    info.compress_type = zipfile.ZIP_DEFLATED
    info.external_attr = 0o644 << 16
    z.writestr(info, data, compresslevel=6)


def _lait_parquet(mirror: Path, target: Path) -> Path:
    lait = pd.read_csv(mirror / LAIT, dtype=str, keep_default_na=False)
    other = lait.head(3).assign(short_desc="KS2_RWM_Expected")  # an indicator outside children in care
    early = lait.head(3).assign(year="2015")  # a year before the range
    frame = pd.concat([other, lait, early], ignore_index=True)
    pq.write_table(pa.Table.from_pandas(frame, preserve_index=False), target)
    return target


def _csc_rds(mirror: Path, target: Path) -> Path:
    import pyreadr

    years = [pd.read_csv(mirror / CHARS.format(y), dtype=str, keep_default_na=False) for y in range(2021, 2026)]
    frame = pd.concat(years, ignore_index=True).rename(columns={"number": "cla_31_march_number"})
    frame.insert(7, "population_count", "Children looked after on 31 March each year")
    starting = frame.head(4).assign(population_count="Children starting to be looked after each year")
    neighbours = frame.head(2).assign(geographic_level="Statistical neighbours (median)",
                                      la_name="Statistical neighbours (median)")
    ethnicity = frame.head(2).assign(cla_group="Ethnicity")
    frame = pd.concat([starting, frame.iloc[:1], frame, neighbours, ethnicity], ignore_index=True)  # + a duplicate
    pyreadr.write_rds(str(target), frame)
    return target


if __name__ == "__main__":
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        for name, path in build_originals(Path(sys.argv[1]), Path(tmp)).items():
            print(name, hashlib.sha256(path.read_bytes()).hexdigest(), path.stat().st_size)
