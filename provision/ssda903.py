"""SSDA903 (children looked after) returns: schema, readers (CSV, XML, xlsx) and row-level validation."""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from geo.errors import InputError, MissingColumnsError
from provision import ssda903_checks as checks
from provision.ssda903_csv import RawTable, add_problems, per_value, problem, read_csv_table

logger = logging.getLogger(__name__)

__all__ = [
    "Column",
    "SCHEMA",
    "QUALITY_COLUMNS",
    "SSDA903",
    "parse_dates",
    "read_table",
    "read_ssda903",
    "validate",
    "summarise",
    "RETURN_FORMATS",
    "return_format",
    "CHILD_LEVEL_WARNING",
]

QUALITY_COLUMNS = ["file", "row", "column", "value", "reason", "severity", "message"]
"""Columns of the data-quality table. ``row`` is the line in the file as a spreadsheet shows it (the header
is line 1, so the first record is row 2); it is <NA> for problems with the whole file or a whole column."""


@dataclass(frozen=True)
class Column:
    """One column of an SSDA903 table.

    Attributes
    ----------
    name
        Column name in the DfE upload format.
    kind
        ``id`` (child identifier), ``date`` (dd/mm/yyyy), ``code`` (one of ``codes``), ``postcode``, ``upn``
        or ``text``.
    required
        Whether the column must be present in the file.
    blank_ok
        Whether a value may be blank.
    codes
        Allowed codes for ``kind == "code"``.
    """

    name: str
    kind: str
    required: bool = True
    blank_ok: bool = False
    codes: tuple[str, ...] = ()


def _codes(text: str) -> tuple[str, ...]:
    return tuple(text.split())


# DfE SSDA903 2024-25 code lists (the same as liia-tools' SSDA903_schema_2024; tests compare them)
SCHEMA: dict[str, tuple[Column, ...]] = {
    "episodes": (
        Column("CHILD", "id"),
        Column("DECOM", "date"),
        Column("RNE", "code", codes=_codes("S L P T B U")),
        Column("LS", "code", codes=_codes("C1 C2 D1 E1 V2 V3 V4 L1 L2 L3 J1 J2 J3")),
        Column("CIN", "code", codes=_codes("N1 N2 N3 N4 N5 N6 N7 N8")),
        Column("PLACE", "code", codes=_codes(
            "A3 A4 A5 A6 H5 K1 K2 P1 P2 P3 R1 R2 R3 R5 S1 T0 T1 T2 T3 T4 U1 U2 U3 U4 U5 U6 Z1")),
        Column("PLACE_PROVIDER", "code", blank_ok=True, codes=_codes("PR0 PR1 PR2 PR3 PR4 PR5")),
        Column("DEC", "date", blank_ok=True),
        Column("REC", "code", blank_ok=True, codes=_codes(
            "X1 E11 E12 E2 E3 E4A E4B E13 E41 E45 E46 E47 E48 E5 E6 E7 E9 E14 E15 E16 E17 E8")),
        Column("REASON_PLACE_CHANGE", "code", blank_ok=True, codes=_codes(
            "CARPL CLOSE ALLEG STAND APPRR CREQB CREQO CHILD LAREQ PLACE CUSTOD OTHER")),
        Column("HOME_POST", "postcode", blank_ok=True),
        Column("PL_POST", "postcode", blank_ok=True),
        Column("URN", "text", required=False, blank_ok=True),
    ),
    "header": (
        Column("CHILD", "id"),
        Column("SEX", "code", codes=_codes("1 2")),
        Column("DOB", "date"),
        Column("ETHNIC", "code", codes=_codes(
            "WBRI WIRI WOTH WIRT WROM MWBC MWBA MWAS MOTH AIND APKN ABAN AOTH BCRB BAFR BOTH CHNE OOTH REFU "
            "NOBT")),
        Column("UPN", "upn", required=False, blank_ok=True),
        Column("MOTHER", "code", required=False, blank_ok=True, codes=_codes("0 1")),
        Column("MC_DOB", "date", required=False, blank_ok=True),
    ),
    "missing": (
        Column("CHILD", "id"),
        Column("DOB", "date", required=False),
        Column("MISSING", "code", codes=_codes("M A")),
        Column("MIS_START", "date"),
        Column("MIS_END", "date", blank_ok=True),
    ),
}
"""Columns of the three tables this tool reads, in the DfE upload layout."""

RETURN_FORMATS = {".xml": "xml", ".xlsx": "xlsx", ".xlsm": "xlsx"}
"""File suffixes of the layouts that hold every table in one file (anything else is read as a CSV of one table)."""

CHILD_LEVEL_WARNING = ("child-level: do not share. This table holds child IDs, dates of birth and full postcodes "
                       "from the return, row by row")
"""The first line of every row-level data-quality table, and what the CLI says on screen when it writes one."""

_EXPECTED_DATE = "expected dd/mm/yyyy"
_UPN = r"^(?:[A-Z][0-9]{11}[0-9A-Z]|UN(?:[1-9]|10))$"


@dataclass
class SSDA903:
    """A parsed SSDA903 return.

    Attributes
    ----------
    episodes, header, missing
        Parsed tables indexed by file row (``row``: the line in the file, header = 1); dates are
        ``datetime64``, everything else strings. ``None`` when not given or unreadable.
    quality
        The data-quality table (:data:`QUALITY_COLUMNS`): every problem found, one row each.

    files
        Per table, how it is named in the quality table's ``file`` column ("episodes.csv", "return.xlsx, sheet
        'Episodes'", "return.xml").
    """

    episodes: pd.DataFrame | None
    header: pd.DataFrame | None = None
    missing: pd.DataFrame | None = None
    quality: pd.DataFrame = field(default_factory=lambda: _problems([]))
    files: dict[str, str] = field(default_factory=dict)


def parse_dates(values: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Read SSDA903 dates: dd/mm/yyyy, ISO yyyy-mm-dd, and the shapes Excel turns them into.

    Accepted silently: ``dd/mm/yyyy`` (``d/m/yyyy`` too) and ``yyyy-mm-dd``. Accepted with a warning:
    Excel serial numbers (``43831`` = 01/01/2020), a time part (``01/01/2020 00:00``), two-digit years
    (``01/01/20``), ``-`` or ``.`` separators, and US order where dd/mm is impossible but mm/dd is not
    (``02/13/2020``).

    Parameters
    ----------
    values
        Strings; the index is kept.

    Returns
    -------
    (dates, notes)
        ``dates``: ``datetime64`` (NaT for blank or unreadable); ``notes``: per value ``""`` when fine,
        ``"blank"``, ``"invalid"``, or a warning ending ``"read as"``.
    """
    s = values.astype("string").fillna("").str.strip()
    out = pd.Series(pd.NaT, index=s.index, dtype="datetime64[us]")
    note = pd.Series("invalid", index=s.index, dtype=object)
    note[s.eq("")] = "blank"
    todo = s.ne("")

    def take(mask: pd.Series, parsed: pd.Series, label: str) -> None:
        ok = mask & todo & parsed.notna()
        out[ok] = parsed[ok]
        note[ok] = label
        todo[ok] = False

    take(todo, pd.to_datetime(s.where(s.str.fullmatch(r"\d{1,2}/\d{1,2}/\d{4}")), format="%d/%m/%Y",
                              errors="coerce"), "")
    iso = s.str.fullmatch(r"\d{4}-\d{2}-\d{2}")
    take(iso, pd.to_datetime(s.where(iso), format="%Y-%m-%d", errors="coerce"), "")
    timed = s.str.extract(r"^(\d{1,2}/\d{1,2}/\d{4}|\d{4}-\d{2}-\d{2})[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?$")[0]
    take(timed.notna(), pd.to_datetime(timed.where(timed.str.contains("/", na=False)), format="%d/%m/%Y",
                                       errors="coerce").fillna(pd.to_datetime(
                                           timed.where(timed.str.contains("-", na=False)),
                                           format="%Y-%m-%d", errors="coerce")),
         "has a time part (Excel adds one); read as")
    serial = s.str.fullmatch(r"\d{5}(?:\.0+)?")
    number = pd.to_numeric(s.where(serial), errors="coerce")
    number = number.where((number >= 3000) & (number <= 80000))  # 1908-2119
    take(number.notna(), pd.Timestamp("1899-12-30") + pd.to_timedelta(number, unit="D"),
         "looks like an Excel serial date; read as")
    two = s.str.extract(r"^(\d{1,2})/(\d{1,2})/(\d{2})$")
    year2 = pd.to_numeric(two[2], errors="coerce").astype("float64")
    this_year = pd.Timestamp.now().year % 100
    full_year = (year2 + np.where(year2 <= this_year, 2000, 1900)).astype("Int64").astype("string")
    take(two[0].notna(), pd.to_datetime(two[0] + "/" + two[1] + "/" + full_year, format="%d/%m/%Y",
                                        errors="coerce"), "has a two-digit year; read as")
    other = s.str.extract(r"^(\d{1,2})[-.](\d{1,2})[-.](\d{4})$")
    take(other[0].notna(), pd.to_datetime(other[0] + "/" + other[1] + "/" + other[2], format="%d/%m/%Y",
                                          errors="coerce"), "uses '-' or '.' separators; read as")
    us = s.str.extract(r"^(\d{1,2})/(\d{1,2})/(\d{4})$")
    take(us[0].notna(), pd.to_datetime(us[1] + "/" + us[0] + "/" + us[2], format="%d/%m/%Y", errors="coerce"),
         "is in US month/day order (Excel); read as")
    return out, note


def return_format(path: str | os.PathLike[str]) -> str:
    """Say how a return file is laid out: ``"xml"`` or ``"xlsx"`` (every table in one file), else ``"csv"``."""
    return RETURN_FORMATS.get(Path(path).suffix.lower(), "csv")


def read_table(path: str | os.PathLike[str], *, table: str, strict: bool = False,
               check_postcodes: bool = True, la: str | None = None) -> tuple[pd.DataFrame | None, pd.DataFrame]:
    """Read one SSDA903 table and list its problems.

    Parameters
    ----------
    path
        A CSV file (UTF-8, with or without BOM, or Windows-1252) of the table; or an SSDA903 XML return or xlsx
        workbook, from which the table is taken.
    table
        ``episodes``, ``header`` or ``missing``.
    strict
        Raise :class:`InputError` on the first problem instead of listing it.
    check_postcodes
        Also look HOME_POST/PL_POST up in Code-Point Open (offline) and report those not found.
    la
        The responsible LA given by the user (ONS code): an episodes ``LA`` column is checked against it.

    Returns
    -------
    (frame, problems)
        ``frame`` indexed by ``row`` (the line in a CSV or in the XML file, the sheet row in a workbook), with
        parsed dates (``None`` if the table cannot be used: not readable, empty, or lacking required columns);
        ``problems`` in the :data:`QUALITY_COLUMNS` layout.

    Raises
    ------
    InputError
        Unknown ``table``; a file that does not exist; with ``strict``, any problem.
    MissingColumnsError
        With ``strict``, when required columns are absent.
    """
    if table not in SCHEMA:
        raise InputError(f"unknown SSDA903 table {table!r}; expected one of {', '.join(SCHEMA)}")
    raw = _raw_tables({table: Path(path)}, implicit=set())[table]
    assert raw is not None
    return _validate_table(raw, table=table, strict=strict, check_postcodes=check_postcodes, la=la)


def read_ssda903(*, episodes: str | os.PathLike[str] | None, header: str | os.PathLike[str] | None = None,
                 missing: str | os.PathLike[str] | None = None, strict: bool = False,
                 check_postcodes: bool = True, la: str | None = None) -> SSDA903:
    """Read and validate an SSDA903 return (episodes, and optionally header and missing).

    Parameters
    ----------
    episodes, header, missing
        CSV files in the DfE upload layout; or one SSDA903 XML return or xlsx workbook holding the tables. When
        ``episodes`` is such a file, ``header`` and ``missing`` default to it (a workbook without a missing sheet
        then has no missing table; an XML return always has one, empty when no child went missing).
    strict
        Raise on the first problem instead of listing it.
    check_postcodes
        Report HOME_POST/PL_POST values that Code-Point Open (offline) does not know.
    la
        The responsible LA given by the user (ONS code): it wins over an episodes ``LA`` column, and each row
        where the column names another LA is reported.

    Returns
    -------
    SSDA903
        Parsed tables and the data-quality table. Rows with problems are kept (nothing is dropped) but for rows
        whose fields do not fit the header, which are reported and set aside.

    Raises
    ------
    InputError
        With ``strict``, the first problem; a file that does not exist.
    """
    paths: dict[str, Path] = {}
    implicit: set[str] = set()
    for table, path in (("episodes", episodes), ("header", header), ("missing", missing)):
        if path is not None:
            paths[table] = Path(path)
        elif episodes is not None and return_format(episodes) != "csv":
            paths[table] = Path(episodes)
            implicit.add(table)
    raws = _raw_tables(paths, implicit=implicit)
    tables: dict[str, pd.DataFrame | None] = {t: None for t in SCHEMA}
    quality = []
    for table, raw in raws.items():
        if raw is None:
            continue
        frame, problems = _validate_table(raw, table=table, strict=strict, check_postcodes=check_postcodes, la=la)
        tables[table] = frame
        quality.append(problems)
    found = {t: r for t, r in raws.items() if r is not None}
    if tables["episodes"] is not None and tables["missing"] is not None:
        stray = checks.check_missing_in_episodes(tables["episodes"], tables["missing"], src=found["missing"],
                                                 episodes_file=found["episodes"].file)
        quality.append(_finish(None, stray, strict)[1])
    if "header" in found:
        cross = checks.cross_checks(tables, found)
        quality.append(_finish(None, cross, strict)[1])
    result = pd.concat([q for q in quality if len(q)], ignore_index=True) if any(len(q) for q in quality) \
        else _problems([])
    logger.info("SSDA903 read: %s problems", result["severity"].value_counts().to_dict() if len(result) else 0)
    return SSDA903(tables["episodes"], tables["header"], tables["missing"], result,
                   files={t: r.file for t, r in found.items()})


def validate(*, episodes: str | os.PathLike[str], header: str | os.PathLike[str] | None = None,
             missing: str | os.PathLike[str] | None = None, strict: bool = False,
             check_postcodes: bool = True, la: str | None = None) -> pd.DataFrame:
    """Validate an SSDA903 return and return its data-quality table (see :func:`read_ssda903`)."""
    return read_ssda903(episodes=episodes, header=header, missing=missing, strict=strict,
                        check_postcodes=check_postcodes, la=la).quality


def summarise(quality: pd.DataFrame) -> pd.DataFrame:
    """Count problems by file, column, reason and severity (largest first)."""
    if quality.empty:
        return pd.DataFrame(columns=["file", "column", "reason", "severity", "problems"])
    return (quality.groupby(["file", "column", "reason", "severity"], dropna=False).size()
            .rename("problems").reset_index().sort_values("problems", ascending=False, kind="stable")
            .reset_index(drop=True))


# -- private helpers ------------------------------------------------------------------------------------
def _raw_tables(paths: dict[str, Path], *, implicit: set[str]) -> dict[str, RawTable | None]:
    """Read each table's file once (an XML return or a workbook holds all of them); None for an implicit absent one."""
    from provision.ssda903_xlsx import read_xlsx_return
    from provision.ssda903_xml import read_xml_return

    books: dict[Path, dict[str, RawTable]] = {}
    out: dict[str, RawTable | None] = {}
    for table, path in paths.items():
        layout = return_format(path)
        if layout == "csv":
            out[table] = read_csv_table(path)
            continue
        if not path.is_file():
            raise InputError(f"{path}: file not found")
        if path not in books:
            books[path] = read_xml_return(path) if layout == "xml" else read_xlsx_return(
                path, {t: [c.name for c in cols if c.required] for t, cols in SCHEMA.items()})
        book = books[path]
        if table in book:
            out[table] = book[table]
        elif table in implicit:
            out[table] = None
        else:
            out[table] = RawTable(None, path.name, [problem(path.name, None, "", "", "missing table",
                                                            f"has no visible {table} sheet (a sheet whose name holds "
                                                            f"'{table}'; hidden sheets are never read)")])
    return out


def _validate_table(raw: RawTable, *, table: str, strict: bool, check_postcodes: bool,
                    la: str | None) -> tuple[pd.DataFrame | None, pd.DataFrame]:
    """Check one table's columns and values; return the parsed frame (dates as datetimes) and its problems."""
    name = raw.file
    problems = list(raw.problems)
    if raw.frame is None:
        return _finish(None, problems, strict)
    frame_in = raw.frame
    if raw.layout == "xml":  # an element left out of the XML is a blank value
        absent = [c.name for c in SCHEMA[table] if c.name not in frame_in.columns]
        frame_in = frame_in.assign(**{c: "" for c in absent})
    found = list(frame_in.columns)
    missing_cols = [c.name for c in SCHEMA[table] if c.required and c.name not in frame_in.columns]
    if missing_cols:
        if strict:
            raise MissingColumnsError(name, missing_cols, found)
        for absent_col in missing_cols:
            problems.append(problem(name, None, absent_col, "", "missing column",
                                    f"required column {absent_col} is missing; found {', '.join(found[:20])}"))
        return _finish(None, problems, strict)
    if frame_in.empty and table != "missing":
        problems.append(problem(name, None, "", "", "no data rows", "has a header but no data rows"))
        return _finish(None, problems, strict)
    raw_values = frame_in
    frame = raw_values.copy()
    known = {c.name for c in SCHEMA[table]}
    extra = [c for c in raw_values.columns if c not in known]
    if extra:
        logger.info("%s: columns not in the SSDA903 %s layout kept as they are: %s", name, table, extra)
    for col in SCHEMA[table]:
        if col.name not in raw_values.columns:
            continue
        values = raw_values[col.name]
        blank = values.eq("")
        if not col.blank_ok:
            add_problems(problems, raw, raw_values.index[blank], col.name, values[blank], "blank",
                         f"{col.name} is blank; a value is required", severity="error")
        if col.kind == "date":
            dates, notes = parse_dates(values)
            bad = notes.eq("invalid")
            add_problems(problems, raw, raw_values.index[bad], col.name, values[bad], "invalid date",
                         f"{col.name} {{value!r}} is not a valid date ({_EXPECTED_DATE})")
            warn = notes.str.endswith("read as", na=False)
            if warn.any():
                shown = dates[warn].dt.strftime("%d/%m/%Y")
                add_problems(problems, raw, raw_values.index[warn], col.name, values[warn], "date reformatted",
                             f"{col.name} {{value!r}} {{note}} {{as_date}} ({_EXPECTED_DATE})", "warning",
                             extra={"note": notes[warn].to_numpy(), "as_date": shown.to_numpy()})
            implausible = checks.implausible_dates(problems, raw, col.name, values, dates)
            frame[col.name] = dates.mask(implausible)
        elif col.kind == "code":
            upper = per_value(values, str.upper)
            frame[col.name] = upper
            bad = ~blank & ~upper.isin(col.codes)
            allowed = ", ".join(col.codes) if len(col.codes) <= 30 else ", ".join(col.codes[:30]) + ", …"
            add_problems(problems, raw, raw_values.index[bad], col.name, values[bad], "unknown code",
                         f"{col.name} {{value!r}} is not a valid code; expected one of {allowed}")
        elif col.kind == "upn":
            bad = ~blank & ~values.str.upper().str.fullmatch(_UPN)
            add_problems(problems, raw, raw_values.index[bad], col.name, values[bad], "invalid UPN",
                         f"{col.name} {{value!r}} is not a UPN (a letter and 12 characters, or UN1-UN10)",
                         severity="warning")
        elif col.kind == "postcode":
            checks.check_postcodes(problems, raw, col.name, values, check_postcodes)
    if table == "episodes":
        checks.check_episodes(problems, raw, frame)
        if "LA" in frame.columns:
            checks.check_la_column(problems, raw, frame, la=la)
    elif table == "header":
        checks.check_header(problems, raw, frame)
    elif table == "missing":
        checks.check_missing(problems, raw, frame, raw_values)
    return _finish(frame, problems, strict)


def _problems(rows: list[dict[str, object]]) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=QUALITY_COLUMNS)
    frame["row"] = frame["row"].astype("Int64")
    return frame


def _finish(frame: pd.DataFrame | None, problems: list[dict[str, object]],
            strict: bool) -> tuple[pd.DataFrame | None, pd.DataFrame]:
    table = _problems(problems)
    if strict and len(table):
        first = table.sort_values("row", na_position="first", kind="stable").iloc[0]
        raise InputError(str(first["message"]))
    return frame, table
