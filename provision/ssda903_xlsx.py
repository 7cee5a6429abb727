"""The SSDA903 return as an Excel workbook with one sheet per table (episodes, header, missing).

A sheet is found by its name (``Episodes``, ``episodes``, ``SSDA903 Episodes`` …: the table's name in any case), else
by its columns (the sheet that has every required column of the table). Cells are turned into the strings of the
CSV layout: dates as dd/mm/yyyy (a time part kept, so the validator can say so), whole numbers without ``.0``.
Rows keep their sheet row numbers (the column names on row 1), so messages name the sheet and the row as Excel
shows them. Read with python-calamine.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from provision.ssda903_csv import RawTable, problem, tidy_columns

logger = logging.getLogger(__name__)

__all__ = ["read_xlsx_return"]


def read_xlsx_return(path: Path, required: Mapping[str, Sequence[str]]) -> dict[str, RawTable]:
    """Read the ``episodes``, ``header`` and ``missing`` sheets of an SSDA903 workbook.

    Parameters
    ----------
    path
        The workbook (.xlsx, .xlsm).
    required
        The required columns of each table, used to find a sheet whose name does not say which table it holds.

    Returns
    -------
    dict
        One :class:`RawTable` per table found; a table with no sheet is left out. A workbook that cannot be opened
        gives ``episodes`` with the problem and no frame.
    """
    from python_calamine import CalamineError, CalamineWorkbook

    name = path.name
    try:
        book = CalamineWorkbook.from_path(str(path))
    except (CalamineError, ValueError, OSError) as exc:
        tables = {t: RawTable(None, name, [], layout="xlsx") for t in required}
        tables["episodes"].problems.append(problem(name, None, "", "", "not a workbook",
                                                   f"cannot be opened as an Excel workbook ({exc}); save it as "
                                                   ".xlsx, or each table as CSV"))
        return tables
    sheets: dict[str, list[Any]] = {}
    for sheet_name in book.sheet_names:
        sheets[sheet_name] = list(book.get_sheet_by_name(sheet_name).to_python(skip_empty_area=False))
    chosen: dict[str, str] = {}
    for table in required:
        by_name = [s for s in sheets if table in s.strip().lower()]
        if by_name:
            chosen[table] = by_name[0]
            continue
        for s, rows in sheets.items():
            columns = {str(c).strip().upper() for c in rows[0]} if rows else set()
            if s not in chosen.values() and set(required[table]) <= columns:
                chosen[table] = s
                break
    out = {}
    for table, sheet_name in chosen.items():
        out[table] = _table(sheets[sheet_name], f"{name}, sheet {sheet_name!r}")
    logger.info("%s: tables %s", name, {t: s for t, s in chosen.items()})
    return out


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
    frame = frame.astype(str).apply(lambda col: col.str.strip()) if len(frame) else frame
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
