"""The SSDA903 return as an Excel workbook with one sheet per table (episodes, header, missing).

A workbook is a zip archive of XML parts, and a hostile one can be a zip bomb or declare a sheet of 17 billion
cells. So before anything parses it, :func:`check_workbook` looks at it with :mod:`zipfile` alone: the number of
parts, their declared uncompressed size and compression ratio, the sheets' declared dimensions and, reading each
chosen sheet's XML as a stream (never more bytes than declared), the cells it really addresses and any formula
whose value was never calculated. Only then is the sheet read with python-calamine.

Only visible sheets are read, each found by its name (``Episodes``, ``episodes``, ``SSDA903 Episodes`` …: the
table's name in any case; an exact name wins); a hidden or very hidden sheet is never read, whatever its name or
place. Cells are turned into the strings of the CSV layout: dates as dd/mm/yyyy (a time part kept, so the
validator can say so), whole numbers without ``.0``. Rows keep their sheet row numbers (the column names on
row 1), so messages name the sheet and the row as Excel shows them.
"""

from __future__ import annotations

import datetime as dt
import logging
import posixpath
import re
import zipfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
from defusedxml import DefusedXmlException
from defusedxml.ElementTree import ParseError
from defusedxml.ElementTree import fromstring as xml_fromstring

from geo.errors import InputError
from provision.ssda903_csv import RawTable, per_value, problem, tidy_columns

logger = logging.getLogger(__name__)

__all__ = ["read_xlsx_return", "check_workbook", "Sheet", "MAX_UNCOMPRESSED_BYTES", "MAX_RATIO", "MAX_PARTS",
           "MAX_COLUMNS", "MAX_ROWS", "MAX_CELLS"]

MAX_UNCOMPRESSED_BYTES = 2 << 30
"""Largest total uncompressed size of a workbook's parts (2 GiB: ten years of an England-wide return is far less)."""
MAX_RATIO = 200
"""Largest compression ratio of a part over 1 MiB (XML of a real sheet compresses 5-50 times; a zip bomb 1,000)."""
MAX_PARTS = 10_000
"""Most parts (files) in the archive."""
MAX_COLUMNS = 1_000
"""Most columns a sheet may address (an SSDA903 table has about 15)."""
MAX_ROWS = 1_048_576
"""Most rows a sheet may address (Excel's own limit)."""
MAX_CELLS = 30_000_000
"""Most cells (rows × columns of what a sheet addresses) read into memory."""

_BIG_PART = 1 << 20
_CHUNK = 1 << 20
_CELL_REF = re.compile(rb'<(?:\w+:)?c\b[^>]*?\sr="([A-Z]{1,3})([0-9]{1,7})"')
_FORMULA_NO_VALUE = re.compile(
    rb'<(?:\w+:)?c\b([^>]*)>\s*<(?:\w+:)?f\b[^>]*(?:/>|>[^<]*</(?:\w+:)?f>)\s*'
    rb'(?:<(?:\w+:)?v\s*/>|<(?:\w+:)?v>\s*</(?:\w+:)?v>)?\s*</(?:\w+:)?c>')
_DIMENSION = re.compile(rb'<(?:\w+:)?dimension\b[^>]*\sref="([A-Z]{1,3})?([0-9]{1,7})?:?([A-Z]{1,3})?([0-9]{1,7})?"')
_R_ATTR = re.compile(rb'\sr="([A-Z]{1,3}[0-9]{1,7})"')
_REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"


@dataclass(frozen=True)
class Sheet:
    """A worksheet as the workbook declares it: its name, its XML part in the archive, and whether it is visible."""

    name: str
    part: str
    visible: bool


def read_xlsx_return(path: Path, required: Mapping[str, Sequence[str]]) -> dict[str, RawTable]:
    """Read the ``episodes``, ``header`` and ``missing`` sheets of an SSDA903 workbook.

    The archive is checked first (:func:`check_workbook`): a workbook over the limits, or whose chosen sheet holds
    a formula without a calculated value, gives ``episodes`` (or that table) with the problem and no frame, and
    nothing else of it is parsed.

    Parameters
    ----------
    path
        The workbook (.xlsx, .xlsm).
    required
        The tables to look for (its keys; the columns are not used to find a sheet: only its name is).

    Returns
    -------
    dict
        One :class:`RawTable` per table found in a visible sheet; a table with no such sheet is left out. A
        workbook that cannot be opened, or is refused, gives ``episodes`` with the problem and no frame.
    """
    from python_calamine import CalamineError, CalamineWorkbook

    name = path.name
    try:
        sheets = check_workbook(path)
    except InputError as exc:
        return _unusable(name, required, str(exc).removeprefix(f"{name}: "))
    visible = [s for s in sheets if s.visible]
    chosen: dict[str, Sheet] = {}
    for table in required:
        exact = [s for s in visible if s.name.strip().lower() == table]
        by_name = exact or [s for s in visible if table in s.name.strip().lower()]
        if by_name:
            chosen[table] = by_name[0]
    hidden = [s.name for s in sheets if not s.visible]
    if hidden:
        logger.info("%s: hidden sheets not read: %s", name, hidden)
    out: dict[str, RawTable] = {}
    try:
        for table, sheet in chosen.items():
            file = f"{name}, sheet {sheet.name!r}"
            refused = _scan_sheet(path, sheet)
            if refused:
                out[table] = RawTable(None, file, [problem(file, None, "", "", "workbook refused", refused)],
                                      layout="xlsx")
        todo = {t: s for t, s in chosen.items() if t not in out}
        if todo:
            book = CalamineWorkbook.from_path(str(path))
            for table, sheet in todo.items():
                rows = list(book.get_sheet_by_name(sheet.name).to_python(skip_empty_area=False))
                out[table] = _table(rows, f"{name}, sheet {sheet.name!r}")
    except (CalamineError, ValueError, OSError, zipfile.BadZipFile) as exc:
        return _unusable(name, required, f"cannot be opened as an Excel workbook ({exc}); save it as .xlsx, or "
                                         "each table as CSV")
    for table in required:
        shut = [h for h in hidden if table in h.strip().lower()]
        if table not in out and shut:
            out[table] = RawTable(None, name, [problem(name, None, "", "", "missing table",
                                                       f"has no visible {table} sheet: sheet {shut[0]!r} is hidden, "
                                                       "and hidden sheets are never read; unhide it if it is the "
                                                       f"{table} table")], layout="xlsx")
    logger.info("%s: tables %s", name, {t: s.name for t, s in chosen.items()})
    return out


def check_workbook(path: Path) -> list[Sheet]:
    """Check a workbook archive against the limits with :mod:`zipfile` alone, and list its worksheets.

    Nothing is decompressed but the small workbook part and its relationships: the limits are on what the
    archive declares (:data:`MAX_PARTS`, :data:`MAX_UNCOMPRESSED_BYTES`, :data:`MAX_RATIO`), so a zip bomb is
    refused at once. (A sheet's cells are checked later, as a stream, by the reader.)

    Returns
    -------
    list of Sheet
        In workbook order, with each sheet's visibility (``state`` not ``hidden`` or ``veryHidden``).

    Raises
    ------
    InputError
        "<file>: ..." naming the limit and the part, or why it is not a workbook.
    """
    name = path.name
    try:
        with zipfile.ZipFile(path) as zf:
            infos = zf.infolist()
            if len(infos) > MAX_PARTS:
                raise InputError(f"{name}: is refused: {len(infos):,} parts in the archive (at most {MAX_PARTS:,})")
            total = sum(i.file_size for i in infos)
            if total > MAX_UNCOMPRESSED_BYTES:
                raise InputError(f"{name}: is refused: its parts would take {total / 2**30:,.1f} GiB uncompressed "
                                 f"(at most {MAX_UNCOMPRESSED_BYTES / 2**30:,.0f} GiB): not a workbook to read")
            for info in infos:
                ratio = info.file_size / max(info.compress_size, 1)
                if info.file_size > _BIG_PART and ratio > MAX_RATIO:
                    raise InputError(f"{name}: is refused: part {info.filename} is compressed {ratio:,.0f} to 1 "
                                     f"(at most {MAX_RATIO} to 1): a zip bomb, not a workbook")
            names = {i.filename for i in infos}
            if "xl/workbook.xml" not in names:
                raise InputError(f"{name}: cannot be opened as an Excel workbook (no xl/workbook.xml part); save it "
                                 "as .xlsx, or each table as CSV")
            small = {i.filename: i.file_size for i in infos}
            for part in ("xl/workbook.xml", "xl/_rels/workbook.xml.rels"):
                if small.get(part, 0) > _BIG_PART * 16:
                    raise InputError(f"{name}: is refused: part {part} declares {small[part]:,} bytes (a workbook's "
                                     "list of sheets is a few kilobytes)")
            workbook = xml_fromstring(zf.read("xl/workbook.xml"))
            rels_part = "xl/_rels/workbook.xml.rels"
            rels = xml_fromstring(zf.read(rels_part)) if rels_part in names else None
    except zipfile.BadZipFile as exc:
        raise InputError(f"{name}: cannot be opened as an Excel workbook ({exc}); save it as .xlsx, or each table "
                         "as CSV") from exc
    except (ParseError, DefusedXmlException) as exc:
        raise InputError(f"{name}: cannot be opened as an Excel workbook (its workbook part is not plain XML: "
                         f"{type(exc).__name__})") from exc
    targets = {}
    for rel in (rels if rels is not None else []):
        target = rel.get("Target", "")
        targets[rel.get("Id")] = target.lstrip("/") if target.startswith("/") else posixpath.normpath(
            posixpath.join("xl", target))
    sheets = []
    for el in workbook.iter():
        if _local(el.tag) != "sheet":
            continue
        rid = next((v for k, v in el.attrib.items() if _local(k) == "id" and (k.startswith(f"{{{_REL_NS}}}")
                                                                              or "relationships" in k)), None)
        sheets.append(Sheet(name=el.get("name", ""), part=targets.get(rid, ""),
                            visible=el.get("state", "visible") not in {"hidden", "veryHidden"}))
    return sheets


# -- private helpers ------------------------------------------------------------------------------------
def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _unusable(name: str, required: Mapping[str, Sequence[str]], detail: str) -> dict[str, RawTable]:
    tables = {t: RawTable(None, name, [], layout="xlsx") for t in required}
    reason = "workbook refused" if detail.startswith("is refused") else "not a workbook"
    tables["episodes"].problems.append(problem(name, None, "", "", reason, detail))
    return tables


def _scan_sheet(path: Path, sheet: Sheet) -> str:
    """Check a sheet's XML as a stream: declared and addressed size, and formulas without a calculated value.

    Returns why the sheet is refused, or "" when it may be read. :mod:`zipfile` never returns more bytes than the
    part declares (and checks its CRC at the end), so this reads at most what :func:`check_workbook` allowed.
    """
    max_col = max_row = 0
    formulas: list[str] = []
    with zipfile.ZipFile(path) as zf:
        try:
            fh = zf.open(sheet.part)
        except KeyError:
            return f"its part {sheet.part or '(none)'} is not in the archive"
        with fh:
            carry = b""
            first = True
            while True:
                chunk = fh.read(_CHUNK)
                buf = carry + chunk
                if first:
                    first = False
                    dim = _DIMENSION.search(buf[:65536])
                    if dim and dim.group(3) and dim.group(4):
                        cols, rows = _column_number(dim.group(3).decode()), int(dim.group(4))
                        why = _too_big(cols, rows, "declares")
                        if why:
                            return why
                # cut after the last whole row, so no cell (nor a formula and its value) is split between chunks
                end = buf.rfind(b"row>")
                cut = len(buf) if not chunk else (end + 4 if end >= 0 else 0)
                body, carry = buf[:cut], buf[cut:]
                for m in _CELL_REF.finditer(body):
                    col = _column_number(m.group(1).decode())
                    max_col, max_row = max(max_col, col), max(max_row, int(m.group(2)))
                why = _too_big(max_col, max_row, "addresses")
                if why:
                    return why
                for m in _FORMULA_NO_VALUE.finditer(body):
                    ref = _R_ATTR.search(m.group(1))
                    formulas.append(ref.group(1).decode() if ref else "?")
                if not chunk:
                    break
                if len(carry) > 64 * _CHUNK:
                    return "it holds one XML element over 64 MiB: not a sheet of a return"
    if formulas:
        cells = f"cell {formulas[0]} holds" if len(formulas) == 1 else \
            f"cell {formulas[0]} and {len(formulas) - 1:,} other cell(s) hold"
        return (f"{cells} a formula whose value was never calculated (the file was written by "
                "a program that does not calculate formulas); open it in Excel and save it, or save the sheet as CSV")
    return ""


def _too_big(cols: int, rows: int, verb: str) -> str:
    if cols > MAX_COLUMNS or rows > MAX_ROWS or cols * rows > MAX_CELLS:
        return (f"it {verb} {rows:,} rows by {cols:,} columns (at most {MAX_ROWS:,} rows, {MAX_COLUMNS:,} columns "
                f"and {MAX_CELLS:,} cells); delete the cells far from the table, or save the sheet as CSV")
    return ""


def _column_number(letters: str) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + ord(ch) - 64
    return n


def _table(rows: list[Any], file: str) -> RawTable:
    """One sheet as a RawTable: the first row names the columns; blank rows are skipped; rows keep sheet numbers."""
    problems: list[dict[str, object]] = []
    if not rows or not any(str(c).strip() for c in rows[0]):
        problems.append(problem(file, None, "", "", "no data rows", "the sheet is empty or its row 1 is blank "
                                "(the column names must be on row 1)"))
        return RawTable(None, file, problems, layout="xlsx")
    names = [str(c) for c in rows[0]]
    width = len(names)
    values, index = [], []
    for i, row in enumerate(rows[1:], start=2):
        cells = [_cell(c) for c in row[:width]] + [""] * (width - len(row))
        if not any(cells):
            continue
        values.append(cells)
        index.append(i)
    frame = pd.DataFrame(values, columns=list(range(width)), index=pd.Index(index, name="row", dtype="int64"),
                         dtype=object)
    if frame.empty:
        frame = pd.DataFrame(columns=list(range(width)), index=pd.Index([], name="row", dtype="int64"), dtype=object)
    frame = tidy_columns(frame, names, file, problems)
    frame = frame.astype(str).apply(per_value, fn=str.strip) if len(frame) else frame
    frame.index.name = "row"
    where = pd.Series([f"{file}, row {i}" for i in frame.index], index=frame.index, dtype=object)
    return RawTable(frame, file, problems, where=where, layout="xlsx")


def _cell(value: object) -> str:
    """Return a cell as the CSV layout's text."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, dt.datetime):
        if value.time() == dt.time(0, 0):
            return value.strftime("%d/%m/%Y")
        return value.strftime("%d/%m/%Y %H:%M")
    if isinstance(value, dt.date):
        return value.strftime("%d/%m/%Y")
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)
    return str(value)
