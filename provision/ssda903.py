"""SSDA903 (children looked after) returns: schema, CSV readers and row-level validation."""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from geo.errors import InputError, MissingColumnsError

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
    """

    episodes: pd.DataFrame | None
    header: pd.DataFrame | None = None
    missing: pd.DataFrame | None = None
    quality: pd.DataFrame = field(default_factory=lambda: _problems([]))


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


def read_table(path: str | os.PathLike[str], *, table: str, strict: bool = False,
               check_postcodes: bool = True) -> tuple[pd.DataFrame | None, pd.DataFrame]:
    """Read one SSDA903 CSV and list its problems.

    Parameters
    ----------
    path
        The CSV file (UTF-8, with or without BOM, or Windows-1252).
    table
        ``episodes``, ``header`` or ``missing``.
    strict
        Raise :class:`InputError` on the first problem instead of listing it.
    check_postcodes
        Also look HOME_POST/PL_POST up in Code-Point Open (offline) and report those not found.

    Returns
    -------
    (frame, problems)
        ``frame`` indexed by file row, with parsed dates (``None`` if the file cannot be used: not a CSV,
        empty, or lacking required columns); ``problems`` in the :data:`QUALITY_COLUMNS` layout.

    Raises
    ------
    InputError
        Unknown ``table``; with ``strict``, any problem.
    MissingColumnsError
        With ``strict``, when required columns are absent.
    """
    if table not in SCHEMA:
        raise InputError(f"unknown SSDA903 table {table!r}; expected one of {', '.join(SCHEMA)}")
    path = Path(path)
    name = path.name
    problems: list[dict[str, object]] = []
    raw, fatal = _read_csv(path)
    if fatal:
        problems.append(_problem(name, None, "", "", fatal[0], fatal[1]))
        return _finish(None, problems, strict)
    assert raw is not None
    found = list(raw.columns)
    missing_cols = [c.name for c in SCHEMA[table] if c.required and c.name not in raw.columns]
    if missing_cols:
        if strict:
            raise MissingColumnsError(name, missing_cols, found)
        for absent in missing_cols:
            problems.append(_problem(name, None, absent, "", "missing column",
                                     f"required column {absent} is missing; found {', '.join(found[:20])}"))
        return _finish(None, problems, strict)
    if raw.empty:
        problems.append(_problem(name, None, "", "", "no data rows", "has a header but no data rows"))
        return _finish(None, problems, strict)
    frame = raw.copy()
    known = {c.name for c in SCHEMA[table]}
    extra = [c for c in raw.columns if c not in known]
    if extra:
        logger.info("%s: columns not in the SSDA903 %s layout kept as they are: %s", name, table, extra)
    for col in SCHEMA[table]:
        if col.name not in raw.columns:
            continue
        values = raw[col.name]
        blank = values.eq("")
        if not col.blank_ok:
            _add(problems, name, raw.index[blank], col.name, values[blank], "blank",
                 f"{col.name} is blank; a value is required", severity="error")
        if col.kind == "date":
            dates, notes = parse_dates(values)
            frame[col.name] = dates
            bad = notes.eq("invalid")
            _add(problems, name, raw.index[bad], col.name, values[bad], "invalid date",
                 f"{col.name} {{value!r}} is not a valid date ({_EXPECTED_DATE})")
            warn = notes.str.endswith("read as", na=False)
            if warn.any():
                shown = dates[warn].dt.strftime("%d/%m/%Y")
                for idx, value, note, as_date in zip(raw.index[warn], values[warn], notes[warn], shown,
                                                     strict=True):
                    problems.append(_problem(name, idx, col.name, value, "date reformatted",
                                             f"{col.name} {value!r} {note} {as_date} "
                                             f"({_EXPECTED_DATE})", "warning"))
        elif col.kind == "code":
            upper = values.str.upper()
            frame[col.name] = upper
            bad = ~blank & ~upper.isin(col.codes)
            allowed = ", ".join(col.codes) if len(col.codes) <= 30 else ", ".join(col.codes[:30]) + ", …"
            _add(problems, name, raw.index[bad], col.name, values[bad], "unknown code",
                 f"{col.name} {{value!r}} is not a valid code; expected one of {allowed}")
        elif col.kind == "upn":
            bad = ~blank & ~values.str.upper().str.fullmatch(_UPN)
            _add(problems, name, raw.index[bad], col.name, values[bad], "invalid UPN",
                 f"{col.name} {{value!r}} is not a UPN (a letter and 12 characters, or UN1-UN10)",
                 severity="warning")
        elif col.kind == "postcode":
            _check_postcodes(problems, name, col.name, values, check_postcodes)
    if table == "episodes":
        _check_episodes(problems, name, frame)
    elif table == "header":
        dup = frame["CHILD"].duplicated(keep="first") & frame["CHILD"].ne("")
        first = frame.reset_index().drop_duplicates("CHILD").set_index("CHILD")["row"]
        _add(problems, name, frame.index[dup], "CHILD", frame["CHILD"][dup], "duplicate CHILD",
             "CHILD {value!r} appears more than once (first at row {first})",
             extra={"first": frame["CHILD"][dup].map(first).to_numpy()})
    elif table == "missing":
        end_before = frame["MIS_END"].notna() & (frame["MIS_END"] < frame["MIS_START"])
        _add(problems, name, frame.index[end_before], "MIS_END", raw["MIS_END"][end_before],
             "end before start", "MIS_END {value!r} is before MIS_START {start!r}",
             extra={"start": raw["MIS_START"][end_before].to_numpy()})
    return _finish(frame, problems, strict)


def read_ssda903(*, episodes: str | os.PathLike[str] | None, header: str | os.PathLike[str] | None = None,
                 missing: str | os.PathLike[str] | None = None, strict: bool = False,
                 check_postcodes: bool = True) -> SSDA903:
    """Read and validate an SSDA903 return (episodes, and optionally header and missing).

    Parameters
    ----------
    episodes, header, missing
        CSV files in the DfE upload layout.
    strict
        Raise on the first problem instead of listing it.
    check_postcodes
        Report HOME_POST/PL_POST values that Code-Point Open (offline) does not know.

    Returns
    -------
    SSDA903
        Parsed tables and the data-quality table. Rows with problems are kept (nothing is dropped).

    Raises
    ------
    InputError
        With ``strict``, the first problem.
    """
    tables: dict[str, pd.DataFrame | None] = {}
    quality = []
    for table, path in (("episodes", episodes), ("header", header), ("missing", missing)):
        if path is None:
            tables[table] = None
            continue
        frame, problems = read_table(path, table=table, strict=strict, check_postcodes=check_postcodes)
        tables[table] = frame
        quality.append(problems)
    cross = _cross_checks(tables, {"episodes": episodes, "header": header, "missing": missing})
    quality.append(_finish(None, cross, strict)[1])
    result = pd.concat([q for q in quality if len(q)], ignore_index=True) if any(len(q) for q in quality) \
        else _problems([])
    logger.info("SSDA903 read: %s problems", result["severity"].value_counts().to_dict() if len(result) else 0)
    return SSDA903(tables["episodes"], tables["header"], tables["missing"], result)


def validate(*, episodes: str | os.PathLike[str], header: str | os.PathLike[str] | None = None,
             missing: str | os.PathLike[str] | None = None, strict: bool = False,
             check_postcodes: bool = True) -> pd.DataFrame:
    """Validate an SSDA903 return and return its data-quality table (see :func:`read_ssda903`)."""
    return read_ssda903(episodes=episodes, header=header, missing=missing, strict=strict,
                        check_postcodes=check_postcodes).quality


def summarise(quality: pd.DataFrame) -> pd.DataFrame:
    """Count problems by file, column, reason and severity (largest first)."""
    if quality.empty:
        return pd.DataFrame(columns=["file", "column", "reason", "severity", "problems"])
    return (quality.groupby(["file", "column", "reason", "severity"], dropna=False).size()
            .rename("problems").reset_index().sort_values("problems", ascending=False, kind="stable")
            .reset_index(drop=True))


# -- private helpers ------------------------------------------------------------------------------------
def _read_csv(path: Path) -> tuple[pd.DataFrame | None, tuple[str, str] | None]:
    if not path.is_file():
        raise InputError(f"{path}: file not found")
    with path.open("rb") as fh:
        head = fh.read(8192)
    if not head.strip():
        return None, ("empty file", "the file is empty (0 bytes or only blank lines)")
    kind = _binary_kind(head)
    if kind:
        return None, ("not a CSV file", f"is not a CSV file (it looks like {kind}); save it as CSV (UTF-8)")
    encoding = "utf-8-sig"
    try:
        head.decode("utf-8")
    except UnicodeDecodeError:
        encoding = "cp1252"
    first = head.decode(encoding, errors="replace").lstrip("\ufeff").splitlines()[0]
    sep = ","
    if "," not in first:
        for cand in (";", "\t", "|"):
            if cand in first:
                sep = cand
    try:
        raw = pd.read_csv(path, dtype=str, keep_default_na=False, encoding=encoding, sep=sep,
                          skip_blank_lines=True, on_bad_lines="error")
    except pd.errors.ParserError as exc:
        return None, ("not a CSV file", f"cannot be read as CSV: {exc}")
    except UnicodeDecodeError as exc:
        return None, ("not a CSV file", f"cannot be decoded as text: {exc}")
    raw.columns = [str(c).strip().upper() for c in raw.columns]
    raw = raw.apply(lambda col: col.str.strip())
    raw.index = pd.RangeIndex(2, len(raw) + 2, name="row")
    return raw, None


def _binary_kind(head: bytes) -> str | None:
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


def _check_postcodes(problems: list[dict[str, object]], name: str, column: str, values: pd.Series,
                     lookup: bool) -> None:
    from geo.postcodes import geocode, parse

    parsed = parse(values)
    bad = parsed["given"].eq("invalid").to_numpy()
    _add(problems, name, values.index[bad], column, values[bad], "invalid postcode",
         f"{column} {{value!r}} is not a valid postcode (expected e.g. 'SK4 1AA', a sector 'SK4 1' "
         "or a district 'SK4')")
    if not lookup:
        return
    located = geocode(values)
    status = located["geocode_status"]
    fallback = status.str.startswith("postcode not found", na=False).to_numpy()
    _add(problems, name, values.index[fallback], column, values[fallback], "postcode not found",
         f"{column} {{value!r}} is not in Code-Point Open 2025.4; {{note}}", severity="warning",
         extra={"note": status[fallback].str.removeprefix("postcode not found; ").to_numpy()})
    gone = status.eq("not found").to_numpy()
    _add(problems, name, values.index[gone], column, values[gone], "postcode not found",
         f"{column} {{value!r}} is not in Code-Point Open 2025.4, nor its sector or district", "warning")


def _check_episodes(problems: list[dict[str, object]], name: str, frame: pd.DataFrame) -> None:
    raw_dec = frame["DEC"].dt.strftime("%d/%m/%Y")
    raw_decom = frame["DECOM"].dt.strftime("%d/%m/%Y")
    before = frame["DEC"].notna() & frame["DECOM"].notna() & (frame["DEC"] < frame["DECOM"])
    _add(problems, name, frame.index[before], "DEC", raw_dec[before], "DEC before DECOM",
         "DEC {value!r} is before DECOM {decom!r}", extra={"decom": raw_decom[before].to_numpy()})
    dup = frame.duplicated(["CHILD", "DECOM"], keep="first") & frame["DECOM"].notna()
    if dup.any():
        first_rows = frame.reset_index().drop_duplicates(["CHILD", "DECOM"]).set_index(["CHILD", "DECOM"])["row"]
        keys = pd.MultiIndex.from_frame(frame.loc[dup, ["CHILD", "DECOM"]])
        _add(problems, name, frame.index[dup], "DECOM", raw_decom[dup], "duplicate CHILD+DECOM",
             "CHILD {child!r} has another episode starting DECOM {value!r} (row {first})",
             extra={"child": frame["CHILD"][dup].to_numpy(), "first": first_rows.reindex(keys).to_numpy()})
    if "REC" in frame.columns:
        open_rec = frame["DEC"].isna() & frame["REC"].ne("") & frame["DECOM"].notna()
        _add(problems, name, frame.index[open_rec], "REC", frame["REC"][open_rec], "REC without DEC",
             "REC {value!r} is given but DEC is blank (an open episode has no reason for ending)")
        closed_norec = frame["DEC"].notna() & frame["REC"].eq("")
        _add(problems, name, frame.index[closed_norec], "REC", frame["REC"][closed_norec], "DEC without REC",
             "REC is blank but DEC {dec!r} is given (a closed episode needs a reason)",
             extra={"dec": raw_dec[closed_norec].to_numpy()})
    # overlaps: sort each child's episodes by start; the next one must not start before this one ends
    ok = frame[frame["DECOM"].notna() & ~dup].sort_values(["CHILD", "DECOM"], kind="stable")
    nxt_start = ok.groupby("CHILD", sort=False)["DECOM"].shift(-1)
    nxt_row = pd.Series(ok.index, index=ok.index).groupby(ok["CHILD"], sort=False).shift(-1)
    overlap = nxt_start.notna() & ok["DEC"].notna() & (ok["DEC"] > nxt_start)
    fmt = nxt_start.dt.strftime("%d/%m/%Y")
    _add(problems, name, ok.index[overlap], "DEC", ok["DEC"][overlap].dt.strftime("%d/%m/%Y"),
         "overlapping episodes", "DEC {value!r} is after the start of the next episode of CHILD {child!r} "
         "(DECOM {next!r}, row {nrow}): episodes overlap",
         extra={"child": ok["CHILD"][overlap].to_numpy(), "next": fmt[overlap].to_numpy(),
                "nrow": nxt_row[overlap].astype("Int64").to_numpy()})
    still_open = nxt_start.notna() & ok["DEC"].isna()
    _add(problems, name, ok.index[still_open], "DEC", ok["DEC"][still_open].astype("string").fillna(""),
         "overlapping episodes", "DEC is blank (episode open) but CHILD {child!r} has a later episode "
         "(DECOM {next!r}, row {nrow}): episodes overlap",
         extra={"child": ok["CHILD"][still_open].to_numpy(), "next": fmt[still_open].to_numpy(),
                "nrow": nxt_row[still_open].astype("Int64").to_numpy()})
    if "REC" in frame.columns:
        x1_last = ok["REC"].eq("X1") & ok["DEC"].notna() & nxt_start.isna()
        _add(problems, name, ok.index[x1_last], "REC", ok["REC"][x1_last], "X1 without next episode",
             "REC 'X1' (a new episode follows) but CHILD {child!r} has no episode starting on DEC {dec!r}",
             severity="warning", extra={"child": ok["CHILD"][x1_last].to_numpy(),
                                        "dec": ok["DEC"][x1_last].dt.strftime("%d/%m/%Y").to_numpy()})
        gap = nxt_start.notna() & ok["DEC"].notna() & (ok["DEC"] < nxt_start)
        nxt_rne = ok.groupby("CHILD", sort=False)["RNE"].shift(-1)
        gap_not_s = gap & nxt_rne.ne("S")
        _add(problems, name, ok.index[gap_not_s], "DEC", ok["DEC"][gap_not_s].dt.strftime("%d/%m/%Y"),
             "gap between episodes", "DEC {value!r} leaves a gap before the next episode of CHILD {child!r} "
             "(DECOM {next!r}, row {nrow}) whose RNE is not 'S' (a new period of care)", severity="warning",
             extra={"child": ok["CHILD"][gap_not_s].to_numpy(), "next": fmt[gap_not_s].to_numpy(),
                    "nrow": nxt_row[gap_not_s].astype("Int64").to_numpy()})


def _cross_checks(tables: dict[str, pd.DataFrame | None], paths: dict[str, object]) -> list[dict[str, object]]:
    problems: list[dict[str, object]] = []
    header = tables["header"]
    if header is None:
        return problems
    hname = Path(str(paths["header"])).name
    children = set(header["CHILD"])
    dob = header.drop_duplicates("CHILD").set_index("CHILD")["DOB"]
    episodes = tables["episodes"]
    if episodes is not None:
        name = Path(str(paths["episodes"])).name
        orphan = ~episodes["CHILD"].isin(children) & episodes["CHILD"].ne("")
        _add(problems, name, episodes.index[orphan], "CHILD", episodes["CHILD"][orphan], "CHILD not in header",
             f"CHILD {{value!r}} has episodes but no row in {hname}")
        born = episodes["CHILD"].map(dob)
        early = born.notna() & episodes["DECOM"].notna() & (episodes["DECOM"] < born)
        _add(problems, name, episodes.index[early], "DECOM", episodes["DECOM"][early].dt.strftime("%d/%m/%Y"),
             "DECOM before DOB", f"DECOM {{value!r}} is before the child's DOB {{dob!r}} in {hname}",
             extra={"dob": born[early].dt.strftime("%d/%m/%Y").to_numpy()})
    missing = tables["missing"]
    if missing is not None:
        name = Path(str(paths["missing"])).name
        orphan = ~missing["CHILD"].isin(children) & missing["CHILD"].ne("")
        _add(problems, name, missing.index[orphan], "CHILD", missing["CHILD"][orphan], "CHILD not in header",
             f"CHILD {{value!r}} has missing episodes but no row in {hname}", severity="warning")
    return problems


def _problem(file: str, row: object, column: str, value: object, reason: str, detail: str,
             severity: str = "error") -> dict[str, object]:
    where = f"{file} row {row}" if row is not None else file
    return {"file": file, "row": row, "column": column, "value": value, "reason": reason,
            "severity": severity, "message": f"{where}: {detail}"}


def _add(problems: list[dict[str, object]], file: str, rows: pd.Index, column: str, values: pd.Series,
         reason: str, template: str, severity: str = "error", extra: dict[str, object] | None = None) -> None:
    if len(rows) == 0:
        return
    vals = np.asarray(values, dtype=object)
    extra_arrays = {k: np.asarray(v, dtype=object) for k, v in (extra or {}).items()}
    for i, row in enumerate(rows):
        fields = {k: v[i] for k, v in extra_arrays.items()}
        value = "" if pd.isna(vals[i]) else str(vals[i])
        problems.append(_problem(file, int(row), column, value, reason,
                                 template.format(value=value, **fields), severity))


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
