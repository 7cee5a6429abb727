"""Verified derived files: record each file's SHA-256 when it is built, check it when it is read.

Two kinds of derived file live in the user cache. Catalogued datasets derived locally from a publisher's
original (``geo.derive``) get one manifest per recipe, ``<cache>/derived/recipes/<recipe>.json``, naming
its inputs' checksums, the farfromhome version, the steps and every output's checksum. Working caches (the
unit-postcode parquet of ``geo.postcodes``, the synthetic generator's geography) get a sidecar
``<file>.json`` with the same fields. A file whose bytes no longer match its record is rebuilt with a
logged warning; a parquet that cannot be read (truncated, overwritten) is treated the same way.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
from collections.abc import Callable
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa

from geo.errors import ChecksumError

logger = logging.getLogger(__name__)

__all__ = [
    "sha256_file", "write_record", "read_record", "record_problems", "read_verified_parquet",
    "cache_records", "SIDECAR_SUFFIX",
]

SIDECAR_SUFFIX = ".json"


@lru_cache(maxsize=4096)
def _sha256(path: Path, size: int, mtime_ns: int) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def sha256_file(path: Path) -> str:
    """SHA-256 of a file (memoised on path, size and modification time)."""
    st = path.stat()
    return _sha256(Path(path), st.st_size, st.st_mtime_ns)


def write_record(record_path: Path, *, what: str, outputs: dict[str, Path], inputs: dict[str, str],
                 steps: list[str], originals: dict[str, dict[str, Any]] | None = None) -> dict[str, Any]:
    """Write the JSON record of a derivation: inputs' and outputs' SHA-256, version and steps (atomically).

    Parameters
    ----------
    record_path
        Where the record goes (a manifest, or a sidecar ``<file>.json``).
    what
        Name of the recipe or cache.
    outputs
        Output name (a catalogue path or a file name) → the file now written.
    inputs
        Input name → its SHA-256.
    steps
        Human-readable steps, in order.
    originals
        Publisher's original's name → what was used: ``url``, ``sha256``, ``bytes``, ``pinned`` and the
        ``release`` its content check found (a recipe's manifest only).
    """
    from geo import __version__

    record = {
        "what": what, "farfromhome": __version__, "built": datetime.now(UTC).isoformat(timespec="seconds"),
        "steps": steps, "inputs": dict(sorted(inputs.items())),
        **({"originals": dict(sorted(originals.items()))} if originals else {}),
        "outputs": {name: {"sha256": sha256_file(p), "bytes": p.stat().st_size} for name, p in sorted(outputs.items())},
    }
    record_path.parent.mkdir(parents=True, exist_ok=True)
    tmp = record_path.with_name(f".{record_path.name}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps(record, indent=1) + "\n", encoding="utf-8")
    os.replace(tmp, record_path)
    return record


def read_record(record_path: Path) -> dict[str, Any] | None:
    """Return the record at ``record_path``, or ``None`` if absent or unreadable (its files are then rebuilt)."""
    try:
        record = json.loads(record_path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        logger.warning("the record %s is unreadable (%s); its files will be rebuilt", record_path, exc)
        return None
    return record if isinstance(record, dict) and isinstance(record.get("outputs"), dict) else None


def record_problems(record: dict[str, Any] | None, files: dict[str, Path]) -> list[str]:
    """List what is wrong with ``files`` (output name → path) against ``record``; empty when all match."""
    if record is None:
        return ["no checksum record"]
    problems = []
    for name, path in files.items():
        want = record["outputs"].get(name)
        if want is None:
            problems.append(f"{name}: not in the record")
        elif not path.is_file():
            problems.append(f"{name}: missing")
        elif sha256_file(path) != want.get("sha256"):
            problems.append(f"{name}: SHA-256 {sha256_file(path)[:12]}… differs from the recorded "
                            f"{str(want.get('sha256'))[:12]}…")
    return problems


def read_verified_parquet(target: Path, build: Callable[[Path], None], *, what: str,
                          inputs: dict[str, str] | None = None) -> pd.DataFrame:
    """Read a derived parquet cache, checked against the SHA-256 recorded when it was built.

    A cache that is absent is built; one whose bytes differ from its record, that has no record, or that
    cannot be read as parquet (truncated, overwritten) is rebuilt with a logged warning.

    Parameters
    ----------
    target
        The parquet file, e.g. ``<cache>/derived/codepoint_open_<digest>.parquet``.
    build
        ``build(target)`` writes the file at ``target`` (atomically).
    what
        What the cache is, for messages ("unit-postcode cache").
    inputs
        Input name → SHA-256, stored in the record.

    Raises
    ------
    ChecksumError
        If the file still cannot be read right after it was rebuilt, or cannot be rebuilt because the
        cache folder is not writable; the message names the path and what to do.
    """
    sidecar = target.with_name(target.name + SIDECAR_SUFFIX)
    problems = record_problems(read_record(sidecar), {target.name: target}) if target.is_file() else ["absent"]
    if problems == ["absent"]:
        logger.info("building the %s %s", what, target)
    elif problems:
        logger.warning("the %s %s does not match its checksum record (%s); rebuilding it", what, target,
                       "; ".join(problems))
    else:
        try:
            return pd.read_parquet(target)
        except (pa.ArrowInvalid, OSError) as exc:  # recorded but unreadable: rebuild below
            logger.warning("the %s %s cannot be read (%s); rebuilding it", what, target, exc)
    try:
        build(target)
        write_record(sidecar, what=what, outputs={target.name: target}, inputs=inputs or {},
                     steps=[f"built by farfromhome as its {what}"])
    except PermissionError as exc:
        raise ChecksumError(f"the {what} {target} is missing or corrupt and cannot be rebuilt ({exc.strerror}); "
                            "make the cache folder writable or point --cache-dir elsewhere") from exc
    try:
        return pd.read_parquet(target)
    except (pa.ArrowInvalid, OSError) as exc:
        raise ChecksumError(f"the {what} {target} cannot be read even after it was rebuilt ({exc}); "
                            "delete it and check the disk") from exc


def cache_records(cache_dir: Path) -> list[dict[str, Any]]:
    """Every working cache under ``<cache>/derived/`` with a sidecar record, and whether it still matches.

    Returns
    -------
    list of dict
        ``path``, ``what``, ``recorded`` (False for a parquet kept there without a record, which cannot
        be checked) and ``problems`` (empty when the file matches its record).
    """
    out = []
    folder = cache_dir / "derived"
    for sidecar in sorted(folder.glob(f"*.parquet{SIDECAR_SUFFIX}")) if folder.is_dir() else []:
        target = sidecar.with_name(sidecar.name[: -len(SIDECAR_SUFFIX)])
        record = read_record(sidecar)
        out.append({"path": target, "what": (record or {}).get("what", "cache"), "recorded": True,
                    "problems": record_problems(record, {target.name: target})})
    for stray in sorted(folder.glob("*.parquet")) if folder.is_dir() else []:
        if not stray.with_name(stray.name + SIDECAR_SUFFIX).is_file():  # a cache kept without a record
            out.append({"path": stray, "what": "cache", "recorded": False, "problems": []})
    return out
