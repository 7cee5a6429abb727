"""Maintainer script: rebuild geo/catalogue.csv (paths, SHA-256, official URLs) from a data mirror.

Run ``python scripts/build_catalogue.py ../shared/data`` after the mirror changes. It reads the mirror's
PROVENANCE-*.md tables for the upstream repository, path and commit of every copied file. Derived files
get no URL; where farfromhome can rebuild one from the publisher's original, its ``recipe`` column names the
recipe (``geo.derive``) and the original is listed, with its URL and pinned SHA-256, in ``geo/originals.csv``
(kept by hand: see the README, "Updating a pinned checksum").
"""

from __future__ import annotations

import csv
import hashlib
import re
import sys
from pathlib import Path
from urllib.parse import quote

RAW = "https://raw.githubusercontent.com/{repo}/{commit}/{path}"

GEOGRAPHY = {
    "boundaries/ons_uk_topojson_2014_2025_bsc.topo.json": ("ONSvisual/uk-topojson", "b2fde50cb130908b897de10b65cdc392f9b4ff78", "output/topo.json"),
    "lookups/ons_uk_topojson_ltla14_lookup.csv": ("ONSvisual/uk-topojson", "b2fde50cb130908b897de10b65cdc392f9b4ff78", "input/ltla14-lookup.csv"),
    "lookups/ons_uk_topojson_la_changes_2014_2025.csv": ("ONSvisual/uk-topojson", "0471ca882d8608633926dea9d29ccf7656fb1c10", "input/changes.csv"),
    "lookups/dfe_las.csv": ("dfe-analytical-services/dfe-published-data-qa", "1ed4f5ebbdae6cdbcbe54f9e2d8c534d7403deb2", "data/las.csv"),
    "lookups/dfe_region_la_hierarchy.csv": ("dfe-analytical-services/dfe-published-data-qa", "1ed4f5ebbdae6cdbcbe54f9e2d8c534d7403deb2", "data/region_la_hierarchy.csv"),
    "lookups/dfe_regions.csv": ("dfe-analytical-services/dfe-published-data-qa", "cc3e8f30f9685736b34371a73b2bc3313b499370", "data/regions.csv"),
    "roads/rutland-2022-07.osm.pbf": ("mikeqfu/pydriosm", "da106fe1cc67587fe8f9bc7649aab2d94929d191", "tests/data/rutland/rutland-latest.osm.pbf"),
    "roads/rutland-2022-08-free.shp.zip": ("mikeqfu/pydriosm", "da106fe1cc67587fe8f9bc7649aab2d94929d191", "tests/data/rutland/rutland-latest-free.shp.zip"),
    "roads/manchester-levenshulme-2022-12.osm": ("a-b-street/osm2streets", "9ed9e00f2122d6f7fd00fdb4d10d9f552539a81a", "tests/src/levenshulme/input.osm"),
    "roads/manchester-kingsway-junction-2024-03.osm": ("a-b-street/osm2streets", "79ed2bb15b13039cf1c2a9ddd04440737328afcb", "tests/src/kingsway_junction/input.osm"),
    "roads/leeds-its-example.osm.pbf": ("ropensci/osmextract", "5380eb55683a3ee14ebfef3dcf0597a2a53ef659", "inst/its-example.osm.pbf"),
    "roads/england-srn-graph.csv": ("straint1/Highways_England_Network_Graph", "72cd18a2bc5d72bfe1f13e5e01fe1432bf997324", "SRN_region_graph.csv"),
    "roads/gb-motorways-osopenroads.fgb": ("tsl-imperial/roadbox", "f688666beeb58b3213ec35a90373423259d68ada", "data/motorways.fgb"),
    "lookups/statistical_neighbours/sn_model_2025_wide.csv": ("dfe-analytical-services/CSC_outcomes_and_enablers", "2f5d11a431050523dab58810083259d3313029ae", "data-raw/sn_model_2025_wide.csv"),
    "lookups/statistical_neighbours/sn_may_2025.xlsx": ("dfe-analytical-services/local-authority-interactive-tool", "2e30e3959a6ab8b2d22941b84764da41a40ac91b", "01_data/02_prod/sn_may_2025.xlsx"),
}

# the publishers' originals kept in the mirror (PROVENANCE-upstream.md): path -> (dataset name, repo, commit, path);
# the two DfE files are byte for byte what their commit-pinned URLs serve (the names are those of
# geo/originals.csv); OS's CSVs were zipped again, so that zip has no URL
UPSTREAM = {
    "upstream/dfe/lait/bds_long_0.parquet": ("dfe_lait_bds_long", "dfe-analytical-services/local-authority-interactive-tool", "2e30e3959a6ab8b2d22941b84764da41a40ac91b", "01_data/02_prod/bds_long_0.parquet"),
    "upstream/dfe/csc/combined_cla_31_march_data.rds": ("dfe_csc_combined_cla_31_march", "dfe-analytical-services/CSC_outcomes_and_enablers", "47c0a7745719ee2b50473a38c47a1808abca69e7", "data/combined_cla_31_march_data.rds"),
    "upstream/os/codepo_gb_2025_4_rezipped.zip": ("os_codepoint_open_2025_4_rezipped", "A-makarim/UCL-CSRI", "c356a23737e8e33008ddf3b3d9e5536da4d50384", "codepo_gb/"),
}

# derived files that farfromhome rebuilds locally (geo/derive_*.py), by path prefix -> recipe name
RECIPES = {
    "postcodes/codepoint_open_2025_4/": "codepoint_open_areas",
    "postcodes/postcode_sectors_gb_codepoint_2025_4.csv": "postcode_centroids",
    "postcodes/postcode_districts_gb_codepoint_2025_4.csv": "postcode_centroids",
    "boundaries/england_": "ons_bsc_boundaries",
    "care/dfe_cla/lait/lait_cla_indicators_2016_2025.csv": "dfe_lait_cla",
    "care/dfe_cla/ees_release_2025/derived_la_cla_on_31_march_by_characteristics_": "dfe_cla_characteristics",
}

OGL_ONS = ("Office for National Statistics", "Open Government Licence v3.0",
           "Source: Office for National Statistics licensed under the Open Government Licence v.3.0. "
           "Contains OS data © Crown copyright and database right 2016-2025.")
OGL_DFE = ("Department for Education", "Open Government Licence v3.0",
           "Contains public sector information licensed under the Open Government Licence v3.0 "
           "(Department for Education; Ofsted).")
OGL_OFSTED = ("Ofsted",) + OGL_DFE[1:]
OS_CODEPOINT = ("Ordnance Survey (Code-Point Open 2025.4)", "Open Government Licence v3.0",
                "Contains OS data © Crown copyright and database right 2025. Contains Royal Mail data © Royal Mail "
                "copyright and database right 2025. Contains National Statistics data © Crown copyright and "
                "database right 2025.")
OSM = ("OpenStreetMap contributors (Geofabrik/Overpass extracts)", "ODbL 1.0", "© OpenStreetMap contributors")
SRN = ("National Highways (HATRIS), graph by Strain, Wilson & Littleworth (2023)", "Open Government Licence v3.0 (citation required)",
       "Contains National Highways information licensed under the Open Government Licence v3.0. Graph: Strain, "
       "Wilson & Littleworth (2023), doi:10.1177/03611981221103243.")
OS_ROADS = ("Ordnance Survey (OS Open Roads)", "Open Government Licence v3.0", "Contains OS data © Crown copyright and database right 2024")
FAKE = ("data-to-insight / Social Finance (synthetic test data)", "MIT",
        "Synthetic test data from data-to-insight/csc-validator-be-903 and SocialFinanceDigitalLabs/liia-tools (MIT).")


def care_sources(mirror: Path) -> dict[str, tuple[str, str, str, str]]:
    """Parse the care provenance inventory: file -> (repo, commit, path, kind)."""
    out = {}
    row = re.compile(r"^\| `([^`]+)` \|[^|]*\|[^|]*\|[^|]*\| ([^|]+?) \| `([^`]+)` \| `([0-9a-f]{40})`[^|]*\| (\w+) \|")
    for line in (mirror / "PROVENANCE-care.md").read_text(encoding="utf-8").splitlines():
        m = row.match(line)
        if m:
            out["care/" + m.group(1)] = (m.group(2).strip(), m.group(4), m.group(3), m.group(5))
    return out


def dataset_name(rel: str) -> str:
    if rel.startswith("postcodes/codepoint_open_2025_4/"):
        return "codepoint_open"
    if rel in UPSTREAM:
        return UPSTREAM[rel][0]
    stem = Path(rel).name
    for suffix in (".csv.gz", ".osm.pbf", ".shp.zip", ".topo.json"):
        if stem.endswith(suffix):
            stem = stem[: -len(suffix)]
            break
    else:
        stem = Path(stem).stem
    release = re.search(r"ees_release_(\d{4})/", rel)
    if release:
        stem = f"ees{release.group(1)}_{stem}"
    if rel.startswith("lookups/statistical_neighbours/"):
        stem = f"statistical_neighbours_{stem}"
    return re.sub(r"[^a-z0-9]+", "_", stem.lower()).strip("_")


def meta(rel: str) -> tuple[str, str, str]:
    if rel.startswith("upstream/os/"):
        return OS_CODEPOINT
    if rel.startswith(("upstream/dfe/", "lookups/statistical_neighbours/")):
        return OGL_DFE
    if rel.startswith("boundaries/"):
        return OGL_ONS
    if rel.startswith("lookups/"):
        return OGL_ONS if "ons_" in rel or "england_" in rel else (("Department for Education",) + OGL_ONS[1:])
    if rel.startswith("postcodes/"):
        return OS_CODEPOINT
    if rel.startswith("care/ofsted/"):
        return OGL_OFSTED
    if rel.startswith("care/dfe_cla/"):
        return OGL_DFE
    if rel.startswith("care/ssda903/"):
        return FAKE
    if "srn" in rel:
        return SRN
    if "osopenroads" in rel:
        return OS_ROADS
    return OSM


def vintage(rel: str) -> str:
    years = re.findall(r"(?<!\d)(20\d\d)(?!\d)", rel)
    return "–".join(dict.fromkeys(years[:2])) if years else ""


def main(mirror: Path, out: Path) -> None:
    care = care_sources(mirror)
    rows = []
    for f in sorted(p for p in mirror.rglob("*") if p.is_file() and not p.name.startswith("PROVENANCE")):
        rel = f.relative_to(mirror).as_posix()
        sha = hashlib.sha256(f.read_bytes()).hexdigest()
        url = source = ""
        if rel in GEOGRAPHY:
            repo, commit, path = GEOGRAPHY[rel]
            url = RAW.format(repo=repo, commit=commit, path=quote(path))
            source = f"{repo}@{commit[:10]}:{path}"
        elif rel in UPSTREAM:
            _, repo, commit, path = UPSTREAM[rel]
            if rel.startswith("upstream/os/"):
                source = (f"original: OS Code-Point Open 2025.4.0 CSV release as extracted in {repo}@{commit[:10]}:{path}, "
                          "zipped again (see PROVENANCE-upstream.md)")
            else:
                url = RAW.format(repo=repo, commit=commit, path=quote(path))
                source = f"original: {repo}@{commit[:10]}:{path} (see PROVENANCE-upstream.md)"
        elif rel in care:
            repo, commit, path, kind = care[rel]
            source = f"{repo}@{commit[:10]}:{path} ({kind})"
            if kind == "copy":
                url = RAW.format(repo=repo, commit=commit, path=quote(path))
        else:
            source = "derived (see PROVENANCE-" + {"care": "care", "roads": "roads"}.get(rel.split("/")[0], "geography") + ".md)"
        publisher, licence, attribution = meta(rel)
        recipe = next((r for prefix, r in RECIPES.items() if rel.startswith(prefix)), "")
        rows.append({"name": dataset_name(rel), "path": rel, "sha256": sha, "bytes": f.stat().st_size,
                     "vintage": vintage(rel), "publisher": publisher, "licence": licence,
                     "attribution": attribution, "source": source, "url": url, "recipe": recipe})
    with out.open("w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    print(f"{len(rows)} files, {len({r['name'] for r in rows})} datasets, "
          f"{sum(bool(r['url']) for r in rows)} with a download URL, {sum(bool(r['recipe']) for r in rows)} "
          f"derived locally -> {out}")


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(__file__).resolve().parents[1] / "geo" / "catalogue.csv")
