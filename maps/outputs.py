"""The output folder of the main job: built in a staging folder, swapped in whole, locked; run.json; data quality.

A run never leaves a half-written report: everything is written into ``.<name>.partial`` beside ``--out`` and only
a finished run replaces ``--out`` (an interrupted run leaves the previous report as it was). A lock file stops two
runs writing the same folder. A folder that is not empty and is not a previous farfromhome report is refused,
so a mistyped ``--out`` never deletes someone's files.
"""

from __future__ import annotations

import hashlib
import json
import logging
import platform
import shutil
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from importlib import metadata
from pathlib import Path
from typing import Any

import pandas as pd
from filelock import FileLock, Timeout

from geo.catalogue import get_catalogue
from geo.disclosure import suppress_counts
from geo.errors import InputError
from provision.returns import QualityCount

logger = logging.getLogger(__name__)

__all__ = ["staged_output", "write_quality", "write_run_json", "REPORT_MARKER"]

REPORT_MARKER = "run.json"
"""The file that marks a folder as a farfromhome report (which a new run may replace)."""

_VERSIONED = ("farfromhome", "pandas", "geopandas", "shapely", "pyproj", "folium", "matplotlib", "mapclassify",
              "statsmodels", "esda", "libpysal", "scipy", "numpy", "osmium", "pyroutingkit")


@contextmanager
def staged_output(out: Path) -> Iterator[Path]:
    """Yield a fresh staging folder for a report that will replace ``out`` when the block finishes.

    Raises
    ------
    InputError
        ``out`` is a file, a non-empty folder that holds no farfromhome report, a place that cannot be written,
        or a folder another run is writing now.
    """
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise InputError(f"--out {out}: is a file; give a folder for the report")
    if out.is_dir() and any(out.iterdir()) and not (out / REPORT_MARKER).is_file():
        raise InputError(f"--out {out}: the folder is not empty and holds no farfromhome report ({REPORT_MARKER}); "
                         "give a new or empty folder")
    parent = out.parent if str(out.parent) else Path(".")
    lock_path = parent / f".{out.name}.lock"
    try:
        parent.mkdir(parents=True, exist_ok=True)
        lock = FileLock(str(lock_path))
        lock.acquire(timeout=0)
    except Timeout as exc:
        raise InputError(f"--out {out}: another farfromhome run is writing this folder now") from exc
    except OSError as exc:
        raise InputError(f"--out {out}: cannot write there ({exc.strerror or exc}); choose another folder") from exc
    staging = parent / f".{out.name}.partial"
    try:
        if staging.exists():
            shutil.rmtree(staging)  # left by an interrupted run
        staging.mkdir()
        yield staging
        old = parent / f".{out.name}.old"
        if old.exists():
            shutil.rmtree(old)
        if out.exists():
            out.rename(old)
        staging.rename(out)
        if old.exists():
            shutil.rmtree(old)
    finally:
        if staging.exists():
            shutil.rmtree(staging, ignore_errors=True)
        lock.release()
        # no waiter can hold this file: others try the lock once (timeout 0) and give up, so removing it is safe
        lock_path.unlink(missing_ok=True)


def write_quality(counts: Sequence[QualityCount], path: Path) -> pd.DataFrame:
    """Write the run's data-quality table (counts under 5 suppressed) and return what was written."""
    frame = pd.DataFrame([vars(c) for c in counts], columns=["stage", "reason", "rows", "synthetic"])
    if len(frame):
        frame = suppress_counts(frame, count_columns=["rows"]).drop(columns=["rows", "suppressed"]).rename(
            columns={"rows_label": "rows"})
    frame.to_csv(path, index=False)
    return frame


def write_run_json(out: Path, *, settings: dict[str, Any], timings: dict[str, float], synthetic: bool,
                   skipped: Sequence[tuple[str, str]] = (), extra: dict[str, Any] | None = None) -> Path:
    """Write ``run.json``: command, settings, timings, versions, the inputs used and every output's SHA-256."""
    cat = get_catalogue()
    inputs = []
    for row in cat.status(verify=False):
        if row["location"] == "absent":
            continue
        ds = cat.dataset(row["name"])
        inputs.append({"name": ds.name, "files": [{"path": f.path, "sha256": f.sha256} for f in ds.files][:3]
                       + ([{"more_files": len(ds.files) - 3}] if len(ds.files) > 3 else []),
                       "vintage": ds.vintage, "publisher": ds.publisher, "licence": ds.licence,
                       "location": row["location"]})
    outputs = {p.relative_to(out).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
               for p in sorted(out.rglob("*")) if p.is_file() and p.name != REPORT_MARKER}
    versions = {"python": platform.python_version()}
    for pkg in _VERSIONED:
        try:
            versions[pkg] = metadata.version(pkg)
        except metadata.PackageNotFoundError:
            continue
    doc = {"command": " ".join(["farfromhome", *sys.argv[1:]]), "settings": settings, "timings_s": timings,
           "skipped": [{"step": s, "reason": r} for s, r in skipped], "versions": versions,
           "inputs_note": "every catalogued dataset available locally for this run, with its catalogued SHA-256; "
                          "each file is verified against it when read",
           "inputs": inputs, **(extra or {}), "outputs_sha256": outputs,
           "synthetic": "child-level data in this run is SYNTHETIC" if synthetic
           else "child-level data in this run is the user's own; only aggregates are written"}
    path = out / REPORT_MARKER
    path.write_text(json.dumps(doc, indent=1, ensure_ascii=False, default=str), encoding="utf-8")
    return path
