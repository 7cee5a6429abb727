"""Shared file-reading helpers for provision: checked CSV reads, cached ODS sheets, suppression symbols."""

from __future__ import annotations

import logging
import re
from functools import lru_cache
from pathlib import Path

import pandas as pd

from geo.cache import read_verified_parquet, sha256_file
from geo.errors import InputError, require_columns

logger = logging.getLogger(__name__)

__all__ = [
    "SUPPRESSION_SYMBOLS", "check_columns", "read_csv_checked", "read_ods_sheet_cached", "to_number",
    "unknown_year",
]

SUPPRESSION_SYMBOLS: dict[str, str] = {
    "c": "suppressed (c)",
    "x": "not available (x)",
    "z": "not applicable (z)",
    "k": "under 0.5% (k)",
    "u": "low reliability (u)",
    "low": "low (under 0.5)",
    "-": "suppressed or not available (-)",
    ":": "not available (:)",
    "..": "not available (..)",
    "": "blank",
}
"""DfE/Ofsted symbols that stand for a missing value, with the reason kept beside the NaN."""


def unknown_year(what: str, year: object, available: list[int] | range) -> InputError:
    """Build the error for a year with no data, listing the years that have it."""
    years = list(available)
    contiguous = len(years) > 2 and years == list(range(years[0], years[-1] + 1))
    listed = f"{years[0]}–{years[-1]}" if contiguous else ", ".join(map(str, years))
    return InputError(f"no {what} for year {year!r}; available years: {listed}")


def check_columns(frame: pd.DataFrame, required: list[str], *, source: str) -> None:
    """Raise :class:`MissingColumnsError` naming ``source`` if any ``required`` column is absent."""
    require_columns(frame, required, source)


def read_csv_checked(
    path: Path, *, skiprows: int = 0, encoding: str = "utf-8-sig", required: list[str] | None = None,
    aliases: dict[str, str] | None = None,
) -> pd.DataFrame:
    """Read a published CSV as strings, strip column names, rename ``aliases`` and check ``required``.

    Parameters
    ----------
    path
        The file.
    skiprows
        Title/banner rows above the header (see PROVENANCE-care.md).
    encoding
        ``utf-8-sig`` (UTF-8 with or without BOM) or ``cp1252``.
    required
        Columns (after renaming) that must be present.
    aliases
        Old column name → canonical name (matched case-insensitively after stripping).

    Raises
    ------
    MissingColumnsError
        Naming the file and every missing column.
    InputError
        If the file cannot be decoded or parsed.
    """
    path = Path(path)
    st = path.stat()
    frame = _read_csv_cached(str(path.resolve()), st.st_size, st.st_mtime_ns, skiprows, encoding).copy()
    if aliases:
        folded = {k.lower(): v for k, v in aliases.items()}
        frame = frame.rename(columns={c: folded[c.lower()] for c in frame.columns if c.lower() in folded})
    check_columns(frame, required or [], source=path.name)
    return frame


def read_ods_sheet_cached(path: Path, sheet: str, *, header: int | None = 3) -> pd.DataFrame:
    """Read one sheet of an ODS workbook as strings, caching it as parquet keyed by the file's SHA-256.

    Parsing an Ofsted ODS sheet takes ~1-2 s with python-calamine and 40-100 s with odfpy (the fallback
    when calamine is not installed); the parquet copy lives in
    ``<cache_dir>/derived/`` and is reused while the workbook's bytes are unchanged.

    Raises
    ------
    InputError
        If the sheet is not in the workbook (the message lists the sheets).
    """
    from geo.catalogue import get_catalogue

    path = Path(path)
    digest = sha256_file(path)
    safe = re.sub(r"[^A-Za-z0-9_]+", "_", sheet)
    cache = get_catalogue().settings.cache_dir / "derived" / f"{path.stem}__{safe}__h{header}__{digest[:16]}.parquet"

    def build(target: Path) -> None:
        engine = _ods_engine()
        logger.info("parsing sheet %r of %s with %s; cached at %s", sheet, path.name, engine, target)
        try:
            frame = pd.read_excel(path, sheet_name=sheet, engine=engine, header=header, dtype=str)
        except ValueError as exc:
            if "not found" in str(exc).lower():
                sheets = pd.ExcelFile(path, engine=engine).sheet_names
                raise InputError(f"{path.name}: no sheet {sheet!r}; sheets are {', '.join(sheets)}") from exc
            raise InputError(f"{path.name}: cannot read sheet {sheet!r}: {exc}") from exc
        frame.columns = [_clean_header(c) for c in frame.columns]
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_suffix(".tmp")
        frame.to_parquet(tmp, index=False)
        tmp.replace(target)

    return read_verified_parquet(cache, build, what=f"parsed ODS sheet {sheet!r} of {path.name}",
                                 inputs={path.name: digest})


def to_number(values: pd.Series, *, source: str = "input", column: str = "value") -> pd.DataFrame:
    """Parse published numbers, turning suppression symbols into NaN with the reason kept.

    Parameters
    ----------
    values
        Strings as published ("1,234", "56.7", "c", "x", "z", "k", ...).

    Returns
    -------
    pandas.DataFrame
        Same index; ``value`` (float, NaN where missing) and ``reason`` (None where a number was read,
        else the symbol's meaning, e.g. ``"suppressed (c): ..."``).

    Raises
    ------
    InputError
        If a value is neither a number nor a known symbol (the message names the source and value).
    """
    text = values.astype("string").str.strip().str.replace(",", "", regex=False)
    num = pd.to_numeric(text, errors="coerce")
    reason = pd.Series(None, index=values.index, dtype=object)
    bad = num.isna()
    if bad.any():
        sym = text[bad].fillna("").str.lower()
        mapped = sym.map(SUPPRESSION_SYMBOLS)
        unknown = mapped.isna()
        if unknown.any():
            examples = ", ".join(repr(v) for v in pd.unique(text[bad][unknown].astype(str))[:5])
            raise InputError(f"{source}: column {column!r} has value(s) {examples} that are neither numbers nor "
                             f"known suppression symbols ({', '.join(repr(k) for k in SUPPRESSION_SYMBOLS if k)})")
        reason[bad] = mapped
    return pd.DataFrame({"value": num.astype(float), "reason": reason}, index=values.index)


@lru_cache(maxsize=32)
def _read_csv_cached(path: str, size: int, mtime_ns: int, skiprows: int, encoding: str) -> pd.DataFrame:
    """Parse a CSV once per (path, size, mtime): the same published files are read by several tables."""
    name = Path(path).name
    try:
        frame = pd.read_csv(path, skiprows=skiprows, encoding=encoding, dtype=str, keep_default_na=False,
                            na_values=[""], low_memory=False)
    except (UnicodeDecodeError, pd.errors.ParserError) as exc:
        raise InputError(f"{name}: cannot read as CSV (skiprows={skiprows}, encoding={encoding}): {exc}") from exc
    frame.columns = [_clean_header(c) for c in frame.columns]
    return frame


def _ods_engine() -> str:
    """python-calamine (Rust, ~1 s a sheet) when installed, else odfpy (~40-100 s a sheet)."""
    try:
        import python_calamine  # noqa: F401
    except ImportError:
        return "odf"
    return "calamine"


def _clean_header(name: object) -> str:
    return re.sub(r"\s+", " ", str(name)).strip()

