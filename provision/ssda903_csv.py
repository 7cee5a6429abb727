"""SSDA903 tables as read from a file, before validation: CSV reading, column names, and where each row came from.

A :class:`RawTable` holds one table as strings (``""`` for blank) indexed by ``row`` and the problems found while
reading it, each in the layout of :data:`provision.ssda903.QUALITY_COLUMNS`. The CSV reader here detects the
encoding on the whole file (UTF-8 with or without BOM, else Windows-1252), reports a ragged row and goes on, and
reports columns whose names repeat (exactly, or after upper-casing); the XML and xlsx readers
(:mod:`provision.ssda903_xml`, :mod:`provision.ssda903_xlsx`) build the same tables from the other layouts.
"""

from __future__ import annotations

import codecs
import csv
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from geo.errors import InputError

logger = logging.getLogger(__name__)

__all__ = ["RawTable", "problem", "add_problems", "read_csv_table", "tidy_columns", "binary_kind", "per_value"]

_CHUNK = 1 << 20


@dataclass
class RawTable:
    """One SSDA903 table as read, before validation.

    Attributes
    ----------
    frame
        Every value a string (``""`` when blank), indexed by ``row``; None when the file cannot be used.
    file
        How the table is named in messages and in the ``file`` column ("episodes.csv", "return.xlsx, sheet
        'Episodes'", "return.xml").
    problems
        Problems found while reading (file-level ones have ``row`` None).
    where
        Per row, where it is ("return.xml, CHILD '101', EPISODE 2 (line 40)"); default "<file> row <row>".
    layout
        ``csv``, ``xlsx`` or ``xml``.
    """

    frame: pd.DataFrame | None
    file: str
    problems: list[dict[str, object]] = field(default_factory=list)
    where: pd.Series | None = None
    layout: str = "csv"

    def locate(self, row: object) -> str:
        """Return where ``row`` is, for a message."""
        if row is None:
            return self.file
        if self.where is not None and row in self.where.index:
            return str(self.where[row])
        return f"{self.file} row {row}"


def problem(file: str, row: object, column: str, value: object, reason: str, detail: str,
            severity: str = "error", where: str | None = None) -> dict[str, object]:
    """One problem in the data-quality layout; the message starts with where it is."""
    if where is None:
        where = f"{file} row {row}" if row is not None else file
    return {"file": file, "row": row, "column": column, "value": value, "reason": reason,
            "severity": severity, "message": f"{where}: {detail}"}


def tidy_columns(frame: pd.DataFrame, names: Sequence[object], file: str,
                 problems: list[dict[str, object]]) -> pd.DataFrame:
    """Name the columns of ``frame`` (positional) from ``names``, stripped and upper-cased; report repeats.

    A name that repeats (``PL_POST`` twice, or ``PL_POST`` and ``pl_post``) is an error: the first copy is
    used and the others are dropped, saying whether they held different values.
    """
    tidy = [str(n).strip().upper() for n in names]
    first: dict[str, int] = {}
    keep = []
    for i, name in enumerate(tidy):
        if name not in first:
            first[name] = i
            keep.append(i)
            continue
        j = first[name]
        differ = int((frame.iloc[:, i].fillna("") != frame.iloc[:, j].fillna("")).sum())
        same = "the same name" if str(names[i]) == str(names[j]) else "the same name in upper case"
        what = f"they differ in {differ:,} row(s)" if differ else "their values are the same"
        problems.append(problem(file, None, name, str(names[i]), "duplicate column",
                                f"column {i + 1} {str(names[i])!r} has {same} as column {j + 1} "
                                f"{str(names[j])!r}; column {j + 1} is used and column {i + 1} ignored ({what}); "
                                "rename or remove one"))
    out = frame.iloc[:, keep].copy()
    out.columns = [tidy[i] for i in keep]
    return out


def read_csv_table(path: Path) -> RawTable:
    """Read one SSDA903 CSV into a :class:`RawTable` (strings, index ``row``: the file line, header = 1).

    The encoding is found on the whole file: UTF-8 (with or without BOM), else Windows-1252. The delimiter is
    ``,`` unless the header line has none and has ``;``, a tab or ``|``. A row with more fields than the header
    is reported and set aside; one with fewer is reported and its missing fields read as blank.

    Raises
    ------
    InputError
        The file does not exist.
    """
    name = path.name
    if not path.is_file():
        raise InputError(f"{path}: file not found")
    with path.open("rb") as fh:
        head = fh.read(8192)
    if not head.strip():
        return RawTable(None, name, [problem(name, None, "", "", "empty file",
                                             "the file is empty (0 bytes or only blank lines)")])
    kind = binary_kind(head)
    if kind:
        return RawTable(None, name, [problem(name, None, "", "", "not a CSV file",
                                             f"is not a CSV file (it looks like {kind}); save it as CSV (UTF-8)")])
    encoding, bad = _encoding(path)
    if encoding is None:
        return RawTable(None, name, [problem(name, None, "", "", "not a CSV file",
                                             f"cannot be decoded as text: {bad}; save it as CSV (UTF-8)")])
    if bad:
        logger.info("%s: not UTF-8 (%s); read as %s", name, bad, encoding)
    lines = head.decode(encoding, errors="replace").lstrip("\ufeff").splitlines()
    skip = next((i for i, line in enumerate(lines) if line.strip()), 0)
    first_line = lines[skip] if lines else ""
    sep = ","
    if "," not in first_line:
        for cand in (";", "\t", "|"):
            if cand in first_line:
                sep = cand
                break
    names = next(csv.reader([first_line], delimiter=sep), [])
    problems: list[dict[str, object]] = []
    try:
        raw = pd.read_csv(path, dtype=str, keep_default_na=False, encoding=encoding, sep=sep, header=None,
                          skiprows=skip + 1, names=list(range(len(names))), skip_blank_lines=True, on_bad_lines="error")
        raw.index = pd.RangeIndex(2, len(raw) + 2, name="row")
    except pd.errors.ParserError:
        raw = _read_ragged(path, encoding=encoding, sep=sep, width=len(names), skip=skip, file=name,
                           problems=problems)
    except UnicodeDecodeError as exc:  # _encoding checked the whole file: only a race with a writer gets here
        return RawTable(None, name, [problem(name, None, "", "", "not a CSV file",
                                             f"cannot be decoded as text: {exc}")])
    short = raw.isna().any(axis=1)
    if short.any():
        for row in raw.index[short.to_numpy()]:
            have = int(raw.loc[row].notna().sum())
            problems.append(problem(name, int(row), "", "", "ragged row",
                                    f"has {have} field(s) but the header has {len(names)}; the missing "
                                    "fields are read as blank", "warning"))
        raw = raw.fillna("")
    raw = tidy_columns(raw, names, name, problems)
    raw = raw.apply(per_value, fn=str.strip)
    raw.index.name = "row"
    return RawTable(raw, name, problems)


def per_value(values: pd.Series, fn: Callable[[str], str]) -> pd.Series:
    """Apply a string function once per distinct value, every equal cell sharing one result (same index).

    ``values.str.strip()`` makes a new string object for every cell: on a return of 2,000,000 episodes that is
    about 100 MB per column, where the distinct codes, dates and LAs number a few thousand. Here each distinct
    value is transformed once and the cells point to the shared results.
    """
    codes, uniques = pd.factorize(values, use_na_sentinel=False)
    done = [fn(u) if isinstance(u, str) else u for u in uniques]
    if all(d is u for d, u in zip(done, uniques, strict=True)):
        return values
    return pd.Series(np.asarray(done, dtype=object)[codes], index=values.index, name=values.name, dtype=object)


def binary_kind(head: bytes) -> str | None:
    """Say what a file that is not text looks like, from its first bytes (None for text)."""
    if head.startswith(b"PK\x03\x04"):
        return "an Excel .xlsx workbook or a zip archive"
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        return "an old Excel .xls workbook"
    if head.startswith(b"%PDF"):
        return "a PDF"
    if head.startswith(b"PAR1"):
        return "a parquet file"
    if head[:2] == b"\x1f\x8b":
        return "a gzip archive"
    if head.startswith(b"\x89PNG") or head.startswith(b"\xff\xd8\xff"):
        return "an image (PNG or JPEG)"
    if any(b < 9 or 13 < b < 32 for b in head[:1024]):  # control characters never appear in a CSV
        return "a binary file"
    return None


# -- private helpers ------------------------------------------------------------------------------------
def _encoding(path: Path) -> tuple[str | None, str]:
    """Find the encoding of the whole file: ``utf-8-sig`` when it decodes as UTF-8, else ``cp1252``.

    Returns ``(encoding, note)``: the note says where the first byte that is not UTF-8 is (line and byte); the
    encoding is None when the file is neither UTF-8 nor Windows-1252.
    """
    note = ""
    for encoding in ("utf-8-sig", "cp1252"):
        decoder = codecs.getincrementaldecoder(encoding)()
        line, offset = 1, 0
        try:
            with path.open("rb") as fh:
                while chunk := fh.read(_CHUNK):
                    try:
                        decoder.decode(chunk)
                    except UnicodeDecodeError as exc:
                        at = offset + exc.start
                        where = line + chunk[:max(exc.start, 0)].count(b"\n")
                        raise UnicodeDecodeError(exc.encoding, exc.object, exc.start, exc.end,
                                                 f"byte 0x{chunk[exc.start]:02x} at line {where} "
                                                 f"(offset {at:,}) is not {encoding}") from exc
                    line += chunk.count(b"\n")
                    offset += len(chunk)
                decoder.decode(b"", final=True)
        except UnicodeDecodeError as exc:
            note = note or exc.reason
            continue
        return encoding, note
    return None, note


def _read_ragged(path: Path, *, encoding: str, sep: str, width: int, skip: int, file: str,
                 problems: list[dict[str, object]]) -> pd.DataFrame:
    """Read a CSV some of whose rows have more fields than the header: those rows are reported and set aside."""
    rows: list[list[str]] = []
    index: list[int] = []
    with open(path, encoding=encoding, newline="") as fh:
        reader = csv.reader(fh, delimiter=sep)
        for _ in range(skip + 1):
            next(reader, None)
        n = 1
        for fields in reader:
            if not fields:
                continue  # a blank line, as pandas skips it
            n += 1
            if len(fields) > width:
                extra = [f for f in fields[width:] if f.strip()]
                problems.append(problem(file, n, "", ",".join(extra)[:60], "ragged row",
                                        f"has {len(fields)} fields but the header has {width} (a stray "
                                        f"delimiter?); the row is set aside", "error"))
                continue
            rows.append(fields + [None] * (width - len(fields)))  # type: ignore[list-item]
            index.append(n)
    frame = pd.DataFrame(rows, columns=list(range(width)), index=pd.Index(index, name="row"), dtype=object)
    return frame


def add_problems(problems: list[dict[str, object]], src: RawTable, rows: pd.Index, column: str, values: object,
                 reason: str, template: str, severity: str = "error",
                 extra: dict[str, object] | None = None) -> None:
    """Add one problem per row of ``rows``; ``template`` is formatted with ``value`` and the ``extra`` arrays."""
    if len(rows) == 0:
        return
    vals = np.asarray(values, dtype=object)
    extra_arrays = {k: np.asarray(v, dtype=object) for k, v in (extra or {}).items()}
    for i, row in enumerate(rows):
        fields = {k: v[i] for k, v in extra_arrays.items()}
        value = "" if pd.isna(vals[i]) else str(vals[i])
        problems.append(problem(src.file, int(row), column, value, reason, template.format(value=value, **fields),
                                severity, where=src.locate(int(row))))
