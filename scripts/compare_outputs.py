"""Maintainer script: compare the tables of two report folders (e.g. the demo before and after a refactor).

Run ``python scripts/compare_outputs.py OLD_OUT NEW_OUT``. For every CSV under ``tables/`` and ``data_quality.csv``
in either folder it prints whether the file is only in one, equal, or how it differs (columns added or removed,
rows added or removed, cells changed), so that every change an intended fix makes can be named and every other
change caught. Exit status 1 if any table differs.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd


def tables(folder: Path) -> dict[str, Path]:
    found = {p.relative_to(folder).as_posix(): p for p in folder.glob("tables/*.csv")}
    if (folder / "data_quality.csv").is_file():
        found["data_quality.csv"] = folder / "data_quality.csv"
    return found


def compare(old: Path, new: Path) -> list[str]:
    a = pd.read_csv(old, dtype=str, keep_default_na=False)
    b = pd.read_csv(new, dtype=str, keep_default_na=False)
    notes = []
    gone, added = [c for c in a.columns if c not in b.columns], [c for c in b.columns if c not in a.columns]
    if gone:
        notes.append(f"columns removed: {gone}")
    if added:
        notes.append(f"columns added: {added}")
    common = [c for c in a.columns if c in b.columns]
    if len(a) != len(b):
        notes.append(f"rows {len(a)} -> {len(b)}")
    n = min(len(a), len(b))
    diff = (a[common].iloc[:n].reset_index(drop=True) != b[common].iloc[:n].reset_index(drop=True))
    changed = {c: int(diff[c].sum()) for c in common if diff[c].any()}
    if changed:
        notes.append(f"cells changed by column: {changed}")
    return notes


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print(__doc__)
        return 2
    old, new = (Path(a) for a in argv)
    ta, tb = tables(old), tables(new)
    status = 0
    for name in sorted(set(ta) | set(tb)):
        if name not in tb:
            print(f"{name}: only in {old}")
            status = 1
        elif name not in ta:
            print(f"{name}: only in {new}")
            status = 1
        else:
            notes = compare(ta[name], tb[name])
            print(f"{name}: {'equal' if not notes else '; '.join(notes)}")
            status |= bool(notes)
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
