"""The child-level input of the main job: a user's own SSDA903 return, or a synthetic one, read and located.

Both constructors do all their reading and checking before any long work starts, so a missing or unreadable
file fails in seconds with a one-line error naming it.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from geo.disclosure import is_synthetic
from geo.errors import InputError
from geo.settings import LA_VINTAGE
from provision import placements, ssda903, synth

logger = logging.getLogger(__name__)

__all__ = ["QualityCount", "ChildLevelData", "read_return", "synthetic_return"]


@dataclass(frozen=True)
class QualityCount:
    """Rows of one stage set aside or flagged for one reason (a line of ``data_quality.csv``)."""

    stage: str
    reason: str
    rows: int
    synthetic: bool = False


@dataclass
class ChildLevelData:
    """Located placement episodes with their header and missing tables, ready for the main job.

    Attributes
    ----------
    located
        Episodes from :func:`provision.placements.locate` (points in EPSG:27700, LAs, straight-line distance).
    header, missing
        SSDA903 header and missing tables; ``missing`` is None when no missing file was given.
    synthetic
        Whether the records are synthetic (every output is then labelled SYNTHETIC).
    description
        One sentence on where the records come from, for the report.
    quality
        Rows set aside or flagged while reading and locating, by reason.
    files
        Tables to write beside the outputs (the synthetic CSVs of the demo; never a user's own records).
    settings
        What the report's "Run settings" table should say about this input.
    """

    located: pd.DataFrame
    header: pd.DataFrame
    missing: pd.DataFrame | None
    synthetic: bool
    description: str
    quality: list[QualityCount] = field(default_factory=list)
    files: dict[str, pd.DataFrame] = field(default_factory=dict)
    settings: dict[str, object] = field(default_factory=dict)


def read_return(episodes: str | os.PathLike[str], *, header: str | os.PathLike[str],
                missing: str | os.PathLike[str] | None = None, la: str | None = None,
                strict: bool = False) -> ChildLevelData:
    """Read, validate and locate a user's own SSDA903 return (offline: no postcode leaves the machine).

    Parameters
    ----------
    episodes, header, missing
        The return's CSV files (``missing`` optional: without it the distance-and-missing models are skipped).
    la
        The responsible LA's ONS code (already resolved), or None: each child's home LA (or the ``LA`` column).
    strict
        Stop at the first data-quality problem.

    Raises
    ------
    InputError
        A file that is missing, unreadable or without usable rows (naming it); synthetic records (use the demo,
        so every output is labelled SYNTHETIC); a return with no known English LA and no ``la``.
    """
    paths = {"episodes": Path(episodes), "header": Path(header)} | ({"missing": Path(missing)} if missing else {})
    for name, path in paths.items():
        if not path.is_file():
            raise InputError(f"{path}: {name} file not found" if not path.exists()
                             else f"{path}: {name} is not a file")
    data = ssda903.read_ssda903(episodes=episodes, header=header, missing=missing, strict=strict)
    for path, table in ((paths["episodes"], data.episodes), (paths["header"], data.header)):
        if table is None or table.empty:
            said = data.quality.loc[data.quality["file"] == path.name, "message"]
            raise InputError(f"{path}: no readable rows ({said.iloc[0] if len(said) else 'empty file'})")
    assert data.episodes is not None and data.header is not None
    if is_synthetic(data.episodes, data.header):
        raise InputError(f"{episodes}: these are synthetic records (CHILD IDs start with SYN); use "
                         "'farfromhome demo' for synthetic data so every output is labelled SYNTHETIC")
    quality = [QualityCount(f"read {file}", str(reason), int(n))
               for (file, reason), n in data.quality.groupby(["file", "reason"]).size().items()]
    located = placements.locate(data.episodes, responsible_la=la, year=LA_VINTAGE)
    if la is None and not located["responsible_la"].astype(str).str.startswith("E").any():
        raise InputError(f"{episodes}: no episode has a known English home LA; give --la")
    quality += _locate_quality(located, synthetic=False)
    return ChildLevelData(
        located=located, header=data.header, missing=data.missing, synthetic=False,
        description=(f"{located['CHILD'].nunique():,} children and {len(located):,} placement episodes from "
                     f"{paths['episodes'].name}; located offline with Code-Point Open."),
        quality=quality,
        settings={"episodes": paths["episodes"].name, "header": paths["header"].name,
                  "missing": paths["missing"].name if missing else "not given", "responsible LA": la or "home LA"})


def synthetic_return(*, year: int = 2024, seed: int = 7, las: list[str] | None = None) -> ChildLevelData:
    """Generate a SYNTHETIC SSDA903 return from published LA figures (:func:`provision.synth.generate`), located."""
    data = synth.generate(year=year, seed=seed, las=las or None)
    located = placements.locate(data.episodes, year=LA_VINTAGE)
    located.attrs["synthetic"] = True
    where = "all English LAs" if not las else f"{len(las)} LAs"
    return ChildLevelData(
        located=located, header=data.header, missing=data.missing, synthetic=True,
        description=(f"{located['CHILD'].nunique():,} synthetic children and {len(located):,} placement episodes "
                     f"for {where} (seed {seed}); the CSVs are in synthetic/."),
        quality=_locate_quality(located, synthetic=True),
        files={"synthetic/synthetic_episodes.csv": data.episodes, "synthetic/synthetic_header.csv": data.header,
               "synthetic/synthetic_missing.csv": data.missing},
        settings={"seed": seed, "synthetic LAs": ", ".join(las or []) or "all English LAs"})


def _locate_quality(located: pd.DataFrame, *, synthetic: bool) -> list[QualityCount]:
    status = located["locate_status"].astype(str)
    kind = "synthetic" if synthetic else "your data"
    return [QualityCount(f"locate ({kind})", str(reason), int(n), synthetic)
            for reason, n in status[status != "ok"].value_counts().items()]
