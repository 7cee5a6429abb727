"""Download OpenStreetMap extracts of England and its parts (Geofabrik) into the cache, recording provenance.

Geofabrik rebuilds every extract daily, so no checksum can be pinned in the catalogue: instead each download's
SHA-256, size and date are recorded in a sidecar JSON beside the file, and :func:`provenance` hands them to
``RoadNetwork.report`` (and so to ``run.json``). Downloads go through pooch into a temporary file that replaces
the target only once complete, so an interrupted download never leaves a partial extract behind and running
the command again is always safe (it starts the file over; HTTP range resumption is not used).
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import tempfile
from pathlib import Path
from typing import Any

from geo.cache import sha256_file
from geo.errors import DataUnavailableError, InputError

logger = logging.getLogger(__name__)

__all__ = ["EXTRACTS", "OSM_BASE_URL_ENV", "DEFAULT_OSM_BASE_URL", "extract_url", "fetch_extract", "provenance"]

OSM_BASE_URL_ENV = "FARFROMHOME_OSM_BASE_URL"
"""Environment variable overriding :data:`DEFAULT_OSM_BASE_URL` (a mirror laid out like Geofabrik's server)."""

DEFAULT_OSM_BASE_URL = "https://download.geofabrik.de"

_UK = "europe/united-kingdom"
_ENGLAND_PARTS = [
    # the nine English regions
    "north-east", "north-west", "yorkshire-and-the-humber", "east-midlands", "west-midlands", "east-of-england",
    "greater-london", "south-east", "south-west",
    # counties that placements often cross into (Geofabrik's ceremonial-county extracts)
    "greater-manchester", "merseyside", "lancashire", "cheshire", "cumbria", "west-yorkshire",
    "south-yorkshire", "north-yorkshire", "tyne-and-wear", "derbyshire", "nottinghamshire", "leicestershire",
    "rutland", "lincolnshire", "staffordshire", "shropshire", "kent", "essex", "surrey",
    "hampshire", "devon", "cornwall", "norfolk",
]
EXTRACTS: dict[str, str] = {
    "england": f"{_UK}/england-latest.osm.pbf",
    "wales": f"{_UK}/wales-latest.osm.pbf",
    "scotland": f"{_UK}/scotland-latest.osm.pbf",
    **{name: f"{_UK}/england/{name}-latest.osm.pbf" for name in _ENGLAND_PARTS},
}
"""Extract name → path on Geofabrik's download server (``<base URL>/<path>``)."""

_PUBLISHER = "Geofabrik GmbH (extract of OpenStreetMap)"
_LICENCE = "ODbL 1.0"
_ATTRIBUTION = "© OpenStreetMap contributors"


def extract_url(name: str) -> str:
    """Download URL of extract ``name`` (:data:`EXTRACTS`), honouring ``FARFROMHOME_OSM_BASE_URL``."""
    if name not in EXTRACTS:
        raise InputError(f"unknown OpenStreetMap extract {name!r}; known: {', '.join(sorted(EXTRACTS))}")
    base = (os.environ.get(OSM_BASE_URL_ENV) or DEFAULT_OSM_BASE_URL).rstrip("/")
    return f"{base}/{EXTRACTS[name]}"


def fetch_extract(name: str, *, refresh: bool = False, cache_dir: str | os.PathLike[str] | None = None,
                  progressbar: Any = False) -> Path:
    """Download extract ``name`` into ``<cache>/osm/`` (once; ``refresh=True`` replaces it) and return its path.

    Parameters
    ----------
    name
        A key of :data:`EXTRACTS`, e.g. ``"england"``, ``"north-west"``, ``"greater-manchester"``.
    refresh
        Download again although the file is cached (the published file changes daily).
    cache_dir
        The farfromhome cache (default: ``geo.settings``).
    progressbar
        Passed to ``pooch.HTTPDownloader`` (``True`` for tqdm, or an object with tqdm's interface).

    Returns
    -------
    pathlib.Path
        The ``.osm.pbf`` file; beside it ``<file>.json`` records URL, SHA-256, bytes and download time (UTC).

    Raises
    ------
    InputError
        Unknown extract name.
    DataUnavailableError
        The download failed (no internet, server error): the message names the mirror alternative.
    """
    import pooch
    import requests

    url = extract_url(name)
    folder = _osm_dir(cache_dir)
    target = folder / Path(EXTRACTS[name]).name
    if target.is_file() and _sidecar(target).is_file() and not refresh:
        logger.info("extract %s already cached at %s", name, target)
        return target
    folder.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=".download-", dir=folder) as tmp:
        try:
            got = Path(pooch.retrieve(url, known_hash=None, fname=target.name, path=tmp,
                                      downloader=pooch.HTTPDownloader(progressbar=progressbar, timeout=60)))
        except requests.exceptions.RequestException as exc:
            raise DataUnavailableError(
                f"could not download the {name} extract from {url} ({type(exc).__name__}: {exc}); without "
                "internet, build from a local file instead: 'farfromhome network build --osm FILE.osm.pbf' (the "
                "data mirror's roads/ folder holds small extracts)") from exc
        record = {"name": name, "url": url, "file": target.name, "sha256": sha256_file(got),
                  "bytes": got.stat().st_size,
                  "downloaded": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"), "publisher": _PUBLISHER,
                  "licence": _LICENCE, "attribution": _ATTRIBUTION}
        os.replace(got, target)
    sidecar = _sidecar(target)
    tmp_json = sidecar.with_name(sidecar.name + ".tmp")
    tmp_json.write_text(json.dumps(record, indent=2), encoding="utf-8")
    os.replace(tmp_json, sidecar)
    logger.info("downloaded %s: %d bytes, sha256 %s", url, record["bytes"], record["sha256"])
    return target


def provenance(path: str | os.PathLike[str], *, sha256: str | None = None) -> dict[str, Any]:
    """Return what is known of an OSM file's origin: name, SHA-256, bytes, OSM data date, download record.

    ``sha256`` saves hashing the file again when the caller has it. The download record (URL, time) comes from
    the sidecar written by :func:`fetch_extract`, used only when its SHA-256 matches the file. The OSM data
    timestamp is the PBF header's ``osmosis_replication_timestamp`` where the publisher set one.
    """
    p = Path(path)
    digest = sha256 or sha256_file(p)
    out: dict[str, Any] = {"file": p.name, "sha256": digest, "bytes": p.stat().st_size,
                           "osm_data_timestamp": _osm_timestamp(p)}
    side = _sidecar(p)
    if side.is_file():
        record = json.loads(side.read_text(encoding="utf-8"))
        if record.get("sha256") == digest:
            out.update({k: record[k] for k in ("name", "url", "downloaded", "publisher", "licence") if k in record})
        else:
            logger.warning("%s: the download record %s is for another version of the file; ignored", p.name,
                           side.name)
    return out


def _osm_timestamp(p: Path) -> str | None:
    import osmium

    if not p.name.lower().endswith(".pbf"):
        return None
    try:
        reader = osmium.io.Reader(str(p), osmium.osm.NOTHING)
    except RuntimeError:  # not a readable PBF: the builder reports that itself, in one line
        return None
    try:
        stamp = reader.header().get("osmosis_replication_timestamp")
    finally:
        reader.close()
    return stamp or None


def _sidecar(p: Path) -> Path:
    return p.with_name(p.name + ".json")


def _osm_dir(cache_dir: str | os.PathLike[str] | None) -> Path:
    if cache_dir is not None:
        return Path(cache_dir) / "osm"
    from geo.settings import get_settings

    return get_settings().cache_dir / "osm"

