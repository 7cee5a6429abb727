"""Data-quality tables: rows set aside or read with a warning, counted by source and reason (nothing silent)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pandas as pd

__all__ = ["QUALITY_COLUMNS", "quality_table"]

QUALITY_COLUMNS = ["source", "reason", "rows", "examples"]


def quality_table(issues: Sequence[dict[str, Any]]) -> pd.DataFrame:
    """Group issue records (``source``, ``reason``, optional ``rows`` (default 1) and ``example``) into a table.

    Returns
    -------
    pandas.DataFrame
        :data:`QUALITY_COLUMNS`: one row per source and reason, ``rows`` summed, up to five distinct
        ``examples`` joined with "; ". A ``reason`` never quotes an input value (it is published, counted); an
        example may (``row 5: 'JANE DOE'``): it is child-level detail, for the user's own screen and the
        validation report only, and every published table drops it.
    """
    if not issues:
        return pd.DataFrame(columns=QUALITY_COLUMNS)
    df = pd.DataFrame(list(issues))
    if "rows" not in df:
        df["rows"] = 1
    df["rows"] = df["rows"].fillna(1).astype(int)
    if "example" not in df:
        df["example"] = ""
    df["example"] = df["example"].fillna("").astype(str)
    out = df.groupby(["source", "reason"], sort=False).agg(
        rows=("rows", "sum"),
        examples=("example", lambda s: "; ".join(list(dict.fromkeys(x for x in s if x))[:5]))).reset_index()
    return out[QUALITY_COLUMNS]
