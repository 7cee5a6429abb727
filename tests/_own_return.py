"""A user's own SSDA903 return for tests: a synthetic return with the SYN marker taken off its child IDs.

``provision.synth`` marks every synthetic child ID with ``SYN``, and the tool treats a marked return as
synthetic. Taking the marker off makes the same rows read as a user's own return (published with disclosure
control, child-level values never echoed), which is what the privacy, fault and pipeline tests need.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import pandas as pd

TABLES = ("episodes", "header", "missing")


def own_tables(*, seed: int = 5, las: Sequence[str] = ("E08000007",), year: int = 2024,
               marker: str = "7") -> dict[str, pd.DataFrame]:
    """Generate a synthetic return (default: Stockport, 2023-24) and replace ``SYN`` in CHILD by ``marker``."""
    from provision import synth

    data = synth.generate(year=year, seed=seed, las=list(las))
    tables = {}
    for name in TABLES:
        frame = getattr(data, name).copy()
        frame["CHILD"] = frame["CHILD"].str.replace("SYN", marker, regex=False)
        tables[name] = frame
    return tables


def write_tables(tables: Mapping[str, pd.DataFrame], folder: Path) -> dict[str, Path]:
    """Write each table as ``<folder>/<name>.csv``; return the paths by name."""
    paths = {}
    for name, frame in tables.items():
        paths[name] = folder / f"{name}.csv"
        frame.to_csv(paths[name], index=False)
    return paths
