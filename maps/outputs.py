"""The output folder of the main job: built in a staging folder, swapped in whole, locked; run.json; data quality.

A run never leaves a half-written report: everything is written into ``.<name>.partial`` beside ``--out`` and only
a finished run replaces ``--out`` (an interrupted run leaves the previous report as it was). A lock file stops two
runs writing the same folder. A folder that is not empty and is not a previous farfromhome report is refused,
so a mistyped ``--out`` never deletes someone's files: a folder is replaced only when it holds exactly the files its
``run.json`` lists (:func:`check_replaceable`).
"""

from __future__ import annotations

import json
import logging
import platform
import re
import shutil
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from filelock import FileLock, Timeout

from geo.cache import sha256_file
from geo.catalogue import get_catalogue
from geo.csvsafe import to_csv
from geo.disclosure import (
    SECONDARY_LABEL,
    SUPPRESSED_LABEL,
    count_text,
    open_data_columns,
    published_label,
    suppress_table,
)
from geo.errors import InputError
from provision.returns import QualityCount

logger = logging.getLogger(__name__)

__all__ = ["staged_output", "check_replaceable", "write_quality", "quality_frame", "road_quality", "write_run_json",
           "REPORT_MARKER", "QUALITY_FILE_COLUMNS", "QUALITY_COLUMNS"]

QUALITY_FILE_COLUMNS = ["stage", "reason", "rows", "rows_symbol", "out_of", "rows_checked", "unit", "counted_once",
                        "synthetic"]
"""Columns of ``data_quality.csv``: ``rows`` (``unit``s; DfE's symbol in ``rows_symbol`` where a count is not
published) counted among ``out_of``, of which there are
``rows_checked``; ``counted_once`` says whether the lines of that denominator exclude each other (small counts
suppressed)."""
QUALITY_COLUMNS = [c for c in QUALITY_FILE_COLUMNS if c != "rows_symbol"]
"""Columns of :func:`quality_frame` (``rows`` as published text: a count or its label)."""

_ROAD_REASONS = {"off_network": "an end is too far from the road network (no road distance)",
                 "same_node": "both ends snap to the same road junction (straight-line distance used)",
                 "unreachable": "no road route between the ends (no road distance)"}

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
    if out.is_dir() and any(out.iterdir()):
        check_replaceable(out)
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
            if out.is_dir() and any(out.iterdir()):
                check_replaceable(out)  # again: a file may have been put there while the run worked
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


def check_replaceable(out: Path) -> None:
    """Check that the folder ``out`` holds exactly what an earlier farfromhome run wrote there, and nothing else.

    Its ``run.json`` lists every file that run wrote (``outputs_sha256``): each must be there with the same
    SHA-256, and no other file may be. Empty folders are allowed (they hold nothing to lose). A symbolic link is
    never part of a report.

    Raises
    ------
    InputError
        ``out`` has no readable ``run.json`` listing its outputs, or holds a file the run did not write (a user's
        own, or one changed since): nothing in it is touched.
    """
    marker = out / REPORT_MARKER
    refuse = f"--out {out}: the folder is not empty and holds no farfromhome report only"
    if not marker.is_file() or marker.is_symlink():
        raise InputError(f"--out {out}: the folder is not empty and holds no farfromhome report ({REPORT_MARKER}); "
                         "give a new or empty folder")
    try:
        doc = json.loads(marker.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError(f"{refuse} ({REPORT_MARKER} cannot be read: {type(exc).__name__}); give a new or empty "
                         "folder") from exc
    listed = doc.get("outputs_sha256") if isinstance(doc, dict) else None  # a run.json is a JSON object
    if not isinstance(listed, dict):
        raise InputError(f"{refuse} ({REPORT_MARKER} lists no outputs); give a new or empty folder")
    for path in sorted(out.rglob("*")):
        rel = path.relative_to(out).as_posix()
        if path.is_symlink():
            raise InputError(f"{refuse}: {rel} is a link, which no run writes; move it, or give another folder")
        if path.is_dir() or rel == REPORT_MARKER:
            continue
        if rel not in listed:
            raise InputError(f"{refuse}: {rel} was not written by the run that wrote {REPORT_MARKER}; move it, or "
                             "give another folder")
        if sha256_file(path) != listed[rel]:
            raise InputError(f"{refuse}: {rel} has changed since that run wrote it; move it, or give another "
                             "folder")


def write_quality(counts: Sequence[QualityCount], path: Path) -> pd.DataFrame:
    """Write the run's data-quality table (:func:`quality_frame`, in DfE's open-data layout) and return it."""
    frame = quality_frame(counts)
    written = open_data_columns(frame)  # DfE's open-data layout: numeric rows, the symbol beside them
    if "rows_symbol" not in written.columns:
        written.insert(written.columns.get_loc("rows") + 1, "rows_symbol", "")
    to_csv(written, path, index=False)
    return written


def quality_frame(counts: Sequence[QualityCount]) -> pd.DataFrame:
    """Build the data-quality table: each count with its denominator, suppressed so that none can be worked out.

    Counts 1-4 become "fewer than 5". Counts of one group (the parts of a published total, see
    :class:`provision.returns.QualityCount`) then get secondary suppression, so that no group has exactly one
    hidden part; and no two counts left visible in different groups differ by 1 to 4 (the same rows counted at
    two stages, where the difference would be a small count): the smaller is hidden too. Both rules repeat until
    nothing changes. Counts from the child-level models without a group are grouped by what they count
    (placements not modelled, missing episodes not counted).

    Every count left visible, every denominator in ``rows_checked`` and every total quoted in ``out_of`` ("the
    967 episodes") is then published through :func:`geo.disclosure.publish_count`: under the default cell-key
    method each is perturbed (the same count always the same way), so neither arithmetic between lines nor two
    runs a child apart pins a count; under ``dfe`` they are exact.
    """
    frame = pd.DataFrame([vars(c) for c in counts], columns=["stage", "reason", "rows", "synthetic", "group",
                                                             "out_of"])
    if frame.empty:
        return pd.DataFrame(columns=QUALITY_COLUMNS)
    frame["rows"] = frame["rows"].astype(int)
    frame["group"], frame["out_of"] = zip(*(_group_of(r) for r in frame.itertuples()), strict=True)
    hidden = _hide(frame)
    small = (frame["rows"] >= 1) & (frame["rows"] < 5)
    labels = frame["rows"].map(published_label).mask(hidden & ~small, SECONDARY_LABEL).mask(small, SUPPRESSED_LABEL)
    checked, once = _denominators(frame, labels)
    return frame.assign(rows=labels, rows_checked=checked, unit=frame["out_of"].map(_unit),
                        counted_once=once, out_of=frame["out_of"].map(_published_totals))[QUALITY_COLUMNS]


def road_quality(located: pd.DataFrame, *, synthetic: bool) -> list[QualityCount]:
    """Road-distance counts among the episodes with both postcodes located (the others are counted at locate)."""
    kind = "synthetic" if synthetic else "your data"
    stage = f"road distance ({kind})"
    both = located["home_precision"].astype(str).ne("none") & located["pl_precision"].astype(str).ne("none")
    status = located.loc[both.to_numpy(), "road_status"].astype(str)
    among = "episodes with both postcodes located"
    out = [QualityCount(stage, _ROAD_REASONS.get(reason, reason), int(n), synthetic, group=stage, out_of=among)
           for reason, n in status[status != "ok"].value_counts().items()]
    out.append(QualityCount(stage, "road distance measured", int(status.eq("ok").sum()), synthetic, group=stage,
                            out_of=among))
    return out


def _group_of(row: Any) -> tuple[str, str]:
    """Return a count's group and denominator: as given, else from what a child-level models' count counts."""
    if row.group:
        return row.group, row.out_of
    reason = str(row.reason)
    if str(row.stage).startswith("effect"):
        if reason.startswith("placement not modelled"):
            return f"{row.stage}: placements", row.out_of or "placements built from the episodes"
        if "missing" in reason.lower() and ("not counted" in reason or "not assigned" in reason
                                            or "outside any placement" in reason):
            return f"{row.stage}: missing episodes", row.out_of or "missing episodes in the missing table"
    if not row.out_of and str(row.stage) == "supply":
        return f"_{row.Index}", "English LAs (real public data)"
    return f"_{row.Index}", row.out_of or f"rows of the {row.stage} stage"  # a part of no published total


def _denominators(frame: pd.DataFrame, labels: pd.Series) -> tuple[list[str], list[str]]:
    """``rows_checked`` and ``counted_once`` of each line: the size of its denominator, when that is published.

    The lines of one group exclude each other and add up to the group's denominator. That number is given only
    where it is already published (in ``out_of``, or as a line's own count, shown with that line's label, so a
    hidden line stays hidden); otherwise, and for lines of no group, it is left blank.
    """
    values = frame["rows"].to_numpy()
    checked, once = [], []
    for row in frame.itertuples():
        if str(row.group).startswith("_"):
            checked.append("")
            once.append("no: a row can be counted under more than one reason and at more than one stage")
            continue
        total = int(values[(frame["group"] == row.group).to_numpy()].sum())
        same = [i for i in range(len(frame)) if values[i] == total and frame["group"].iloc[i] != row.group]
        if f"{total:,}" in str(row.out_of):
            checked.append(published_label(total))
        elif same:
            checked.append(str(labels.iloc[same[0]]))
        else:
            checked.append("")
        once.append("yes: the reasons with this denominator exclude each other and add up to rows_checked"
                    if checked[-1] else "yes: the reasons with this denominator exclude each other (each row under "
                    "the first that applies)")
    return checked, once


_TOTAL_IN_WORDS = re.compile(r"\bthe (\d{1,3}(?:,\d{3})+|\d+) ")


def _published_totals(out_of: str) -> str:
    """Return ``out_of`` with each total it quotes ("the 967 episodes") as published (perturbed under cell key)."""
    return _TOTAL_IN_WORDS.sub(lambda m: f"the {count_text(int(m.group(1).replace(',', '')))} ", str(out_of))


def _unit(out_of: str) -> str:
    """Return what one of ``rows`` is, from its denominator's words."""
    text = str(out_of)
    for words, unit in (("missing episodes", "missing episode"), ("episodes", "placement episode"),
                        ("placements", "placement"), ("LAs", "local authority"), ("problems", "problem in a row")):
        if words in text:
            return unit
    return "row"


def _hide(frame: pd.DataFrame) -> pd.Series:
    """Suppressed counts: :func:`geo.disclosure.suppress_table` by group, then near-equal counts, to a fixpoint."""
    values = frame["rows"].to_numpy()
    group = frame["group"].to_numpy()
    extra = np.zeros(len(frame), dtype=bool)
    while True:
        safe = suppress_table(frame[["group", "rows"]], columns=("rows",), size_columns=(), group="group",
                              also_hide=extra)
        hidden = ~safe["rows"].str.isdigit().to_numpy()
        more = extra.copy()
        shown = np.flatnonzero(~hidden & (values > 0))
        for a in shown:
            for b in shown:
                if group[a] != group[b] and 1 <= int(values[a]) - int(values[b]) < 5:
                    more[b] = True
        if (more == extra).all():
            return pd.Series(hidden, index=frame.index)
        extra = more


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
    outputs = {p.relative_to(out).as_posix(): sha256_file(p)
               for p in sorted(out.rglob("*")) if p.is_file() and p.relative_to(out).as_posix() != REPORT_MARKER}
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

