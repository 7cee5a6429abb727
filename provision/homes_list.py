"""Ofsted's full provider list (confidential: it holds home addresses): children's homes, places, needs, points.

Every LA receives from Ofsted the provider list with addresses that the public lists redact. Two layouts are
read: the "Provider information" sheet of the children's homes workbook (``Max Users``, ``Setting Address
Postcode``) and the "Providers" sheet of the combined social care providers workbook (``Number of registered
places``, ``Setting address postcode`` or ``Provider postcode``). Column names are matched ignoring case and
spacing. Homes are located offline from their postcode (Code-Point Open: full postcode, else sector, else
district).

**Home locations are confidential.** The list is read straight from the workbook (never cached on disk); the
returned frame keeps each home's postcode *district* only, and data-quality rows show postcodes cut to their
district. Nothing in this module writes a file.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from python_calamine import CalamineError

from geo.errors import InputError, MissingColumnsError
from geo.postcodes import geocode
from geo.settings import LA_VINTAGE

logger = logging.getLogger(__name__)

__all__ = ["NEEDS", "LAYOUTS", "HomesList", "read_provider_rows", "read_homes_list"]

NEEDS: dict[str, str] = {
    "emotional_behavioural": "emotional and behavioural difficulties",
    "mental_disorders": "mental disorders",
    "sensory_impairment": "sensory impairment",
    "alcohol_problems": "present alcohol problems",
    "drug_problems": "present drug problems",
    "learning_difficulty": "learning difficulty",
    "physical_disabilities": "physical disabilities",
}
"""The needs a children's home is registered for (Ofsted's columns), as ``need_<key>`` booleans; bit ``i`` of
``needs_mask`` is the ``i``-th need here."""

LAYOUTS: dict[str, dict[str, tuple[str, ...]]] = {
    "provider information": {  # children's homes workbook
        "urn": ("urn",), "postcode": ("setting address postcode",), "places": ("max users",),
        "la": ("local authority",), "type": ("provider type",), "subtype": ("provider subtype",),
        "status": ("provider status", "registration status"),
        "placement_code": ("provider placement code", "placement code"),
    },
    "providers": {  # combined social care providers workbook
        "urn": ("urn",), "postcode": ("setting address postcode", "provider postcode"),
        "places": ("number of registered places",), "la": ("local authority",), "type": ("provider type",),
        "subtype": ("provider subtype",), "status": ("registration status", "provider status"),
        "placement_code": ("placement code",),
    },
}
"""Sheet name (lower case) → canonical field → accepted column names (lower case, single spaces)."""

_REQUIRED = ("urn", "postcode", "places", "la", "type")
_LAYOUT_NAMES = {"provider information": "Ofsted children's homes workbook, sheet 'Provider information'",
                 "providers": "Ofsted social care providers workbook, sheet 'Providers'"}
_REGISTERED = {"active", "registered", "suspended", ""}
_NO = {"", "-", "no", "n", "none", "0", "false", "n/a", "na", "not applicable", "nan"}
_QUALITY_COLUMNS = ["file", "row", "column", "value", "reason", "severity", "message"]


@dataclass(frozen=True, repr=False)
class HomesList:
    """Children's homes from a confidential Ofsted provider list.

    Attributes
    ----------
    homes
        Indexed by ``urn`` (string): ``la_name`` (as listed), ``la_code`` (the LA of the home's postcode, 2024
        codes), ``postcode_district``, ``places`` (registered places, ``Int64``; ``<NA>`` when not given),
        ``needs_mask`` (``Int64`` bit mask over :data:`NEEDS`; ``<NA>`` when the sheet has no needs columns),
        one ``need_<key>`` boolean per need, ``easting``/``northing`` (EPSG:27700 metres, NaN when the postcode
        does not geocode) and ``precision`` (``full``, ``sector``, ``district`` or ``none``).
        **Confidential**: never write the coordinates out.
    quality
        One row per problem or row left out: ``file``, ``row`` (spreadsheet row), ``column``, ``value``
        (postcodes cut to their district), ``reason``, ``severity`` (``error``, ``warning``, ``info``),
        ``message``.
    source
        ``file [sheet]``.
    layout
        Which Ofsted layout was read.
    """

    homes: pd.DataFrame
    quality: pd.DataFrame
    source: str
    layout: str

    @property
    def located(self) -> pd.DataFrame:
        """The homes whose postcode geocoded (these are the ones distances are measured to)."""
        return self.homes[self.homes["precision"].astype(str) != "none"]

    @property
    def has_needs(self) -> bool:
        """Whether the sheet says which needs each home is registered for."""
        return bool(self.homes["needs_mask"].notna().any())

    def __repr__(self) -> str:  # never print locations
        return (f"HomesList({len(self.homes):,} children's homes, {len(self.located):,} located, from "
                f"{self.source}; locations confidential)")


def read_provider_rows(path: str | Path) -> tuple[pd.DataFrame, str, str]:
    """Read every row of an Ofsted provider sheet with canonical column names (no filtering, no geocoding).

    Parameters
    ----------
    path
        An ``.xlsx``, ``.xls`` or ``.ods`` workbook in either Ofsted layout (see :data:`LAYOUTS`).

    Returns
    -------
    (rows, source, layout)
        ``rows`` indexed by spreadsheet row number (the header is row 1 when it is the first line) with the
        fields ``urn``, ``postcode``, ``places``, ``la``, ``type`` and, where present, ``subtype``, ``status``,
        ``placement_code`` and ``need_<key>`` (raw cell text); ``source`` is ``"file [sheet]"``; ``layout``
        says which layout was recognised.

    Raises
    ------
    InputError
        The file does not exist, is not a workbook, or has neither a "Provider information" nor a
        "Providers" sheet (the message names the file and lists its sheets).
    MissingColumnsError
        The sheet lacks a required column (URN, postcode, places, local authority, provider type).
    """
    path = Path(path)
    if not path.is_file():
        raise InputError(f"homes list {str(path)!r}: file not found")
    try:
        with pd.ExcelFile(path, engine="calamine") as book:
            sheets = [str(s) for s in book.sheet_names]
    except (ValueError, OSError, CalamineError) as exc:  # calamine: "Cannot detect file format"
        raise InputError(f"{path.name}: not a readable workbook (.xlsx, .xls or .ods): {exc}") from exc
    by_key = {_norm(s): s for s in sheets}
    key = next((k for k in LAYOUTS if k in by_key), None)
    if key is None:
        raise InputError(f"{path.name}: neither an Ofsted children's homes workbook (sheet 'Provider information') "
                         f"nor a social care providers workbook (sheet 'Providers'); its sheets are "
                         f"{', '.join(repr(s) for s in sheets)}")
    sheet = by_key[key]
    source = f"{path.name} [{sheet}]"
    raw = pd.read_excel(path, sheet_name=sheet, header=None, dtype=object, engine="calamine")
    header_row = _header_row(raw, source)
    frame = raw.iloc[header_row + 1:].copy()
    frame.columns = [_norm(c) for c in raw.iloc[header_row]]
    frame.index = pd.RangeIndex(header_row + 2, header_row + 2 + len(frame), name="row")
    fields = LAYOUTS[key]
    out = pd.DataFrame(index=frame.index)
    missing = []
    for name, spellings in fields.items():
        col = next((s for s in spellings if s in frame.columns), None)
        if col is not None:
            out[name] = frame[col]
        elif name in _REQUIRED:
            missing.append(spellings[0])
    if missing:
        raise MissingColumnsError(source, missing, [str(c) for c in frame.columns])
    for need, col in NEEDS.items():
        if col in frame.columns:
            out[f"need_{need}"] = frame[col]
    out = out.dropna(how="all")
    return out, source, _LAYOUT_NAMES[key]


def read_homes_list(path: str | Path, *, year: int = LA_VINTAGE) -> HomesList:
    """Read a confidential Ofsted provider list: registered children's homes with places, needs and points.

    Rows kept: ``Provider type`` "Children's home" (any case or apostrophe), not a secure unit (subtype
    "secure" or placement code K1: those are not ``PLACE`` K2 places), with a registration status of active,
    registered or suspended (or none given). Every other row is listed in ``quality`` (severity ``info``)
    with its reason. A home's needs are the needs columns holding anything but blank, "-", "No", "0" or
    "None" (a number of places, "Yes", or the name of the need). Places that are blank or "-" are unknown:
    such a home still counts as a home, but adds no places to place counts.

    Parameters
    ----------
    path
        The workbook (see :func:`read_provider_rows`).
    year
        Vintage of the LA codes (2023 to the latest ONS LA boundaries in the data; default ``geo.settings.LA_VINTAGE``).

    Returns
    -------
    HomesList

    Raises
    ------
    InputError
        As :func:`read_provider_rows`; or when no registered children's home in the sheet has a postcode
        that geocodes (the message counts the rows left out by reason).
    """
    rows, source, layout = read_provider_rows(path)
    name = Path(path).name
    problems: list[dict[str, object]] = []

    kind = rows["type"].astype("string").fillna("").map(_norm).str.replace("'", "", regex=False) \
        .str.replace("\u2019", "", regex=False)
    is_home = kind.eq("childrens home")
    subtype = rows.get("subtype", pd.Series("", index=rows.index)).astype("string").fillna("").str.lower()
    code = rows.get("placement_code", pd.Series("", index=rows.index)).astype("string").fillna("").str.upper()
    secure = subtype.str.contains("secure") | code.str.strip().eq("K1")
    status = rows.get("status", pd.Series("", index=rows.index)).astype("string").fillna("").map(_norm)
    registered = status.isin(_REGISTERED)
    urn = rows["urn"].map(_text)
    for mask, column, values, reason in (
            (~is_home, "Provider type", rows["type"], "not a children's home"),
            (is_home & secure, "Provider subtype", subtype, "secure children's home (PLACE K1, not K2)"),
            (is_home & ~secure & ~registered, "Registration status", status, "not registered"),
            (is_home & ~secure & registered & urn.eq(""), "URN", urn, "URN blank")):
        _add(problems, name, rows.index[mask.to_numpy()], column, values[mask], reason, "info" if reason !=
             "URN blank" else "error")
    keep = is_home & ~secure & registered & urn.ne("")
    dup = keep & urn.where(keep).duplicated(keep="first")
    _add(problems, name, rows.index[dup.to_numpy()], "URN", urn[dup], "duplicate URN (first row kept)", "error")
    keep &= ~dup
    homes = rows[keep]

    places = _places(homes["places"], name, problems)
    needs = pd.DataFrame(index=homes.index)
    need_cols = [c for c in homes.columns if c.startswith("need_")]
    for col in need_cols:
        needs[col] = homes[col].map(_registered_for)
    mask = pd.Series(pd.NA, index=homes.index, dtype="Int64")
    if need_cols:
        bits = [1 << i for i, k in enumerate(NEEDS) if f"need_{k}" in need_cols]
        mask = pd.Series(np.sum([needs[c].to_numpy(int) * b for c, b in zip(need_cols, bits, strict=True)],
                                axis=0), index=homes.index, dtype="Int64")
    points = geocode(homes["postcode"].map(_text), year=year)
    district = points["postcode"].astype("string").str.split(" ").str[0]
    precision = points["precision"].astype(str)
    for label, rows_mask, severity in (
            ("postcode does not geocode", precision.eq("none"), "error"),
            ("postcode not found as a unit; located at its sector or district centroid",
             precision.ne("none") & precision.ne("full"), "warning")):
        shown = homes["postcode"].map(_masked)
        _add(problems, name, homes.index[rows_mask.to_numpy()], "postcode", shown[rows_mask], label, severity)

    out = pd.DataFrame({
        "la_name": homes["la"].map(_text).to_numpy(),
        "la_code": points["ctyua_code"].astype("string").to_numpy(),
        "postcode_district": district.to_numpy(),
        "places": places.to_numpy(),
        "needs_mask": mask.to_numpy(),
        **{c: needs[c].to_numpy() for c in need_cols},
        "easting": points["easting"].to_numpy(),
        "northing": points["northing"].to_numpy(),
        "precision": precision.to_numpy(),
    }, index=pd.Index(urn[keep].to_numpy(), name="urn", dtype="string"))
    out["places"] = out["places"].astype("Int64")
    out["needs_mask"] = out["needs_mask"].astype("Int64")
    quality = pd.DataFrame(problems, columns=_QUALITY_COLUMNS)
    result = HomesList(out, quality, source, layout)
    if result.located.empty:
        counts = quality["reason"].value_counts()
        why = "; ".join(f"{n} {r}" for r, n in counts.items()) or "the sheet has no data rows"
        raise InputError(f"{source}: no registered children's home with a postcode that geocodes among "
                         f"{len(rows):,} row(s) ({why})")
    logger.info("%s: %d children's homes (%d located), %d rows left out or with problems", source, len(out),
                len(result.located), len(quality))
    return result


# -- private helpers ------------------------------------------------------------------------------------
def _norm(value: object) -> str:
    return re.sub(r"\s+", " ", str(value)).strip().lower()


def _text(value: object) -> str:
    if value is None or (isinstance(value, float) and np.isnan(value)) or value is pd.NA:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _masked(value: object) -> str:
    """Cut a postcode to its outward code (district): home locations are confidential."""
    text = re.sub(r"\s+", " ", _text(value).upper())
    if not text:
        return "(blank)"
    outward = text.split(" ")[0] if " " in text else text[:-3] if len(text) > 4 else text
    return f"{outward} ***"


def _header_row(raw: pd.DataFrame, source: str) -> int:
    for i in range(min(len(raw), 15)):
        if any(_norm(v) == "urn" for v in raw.iloc[i].tolist()):
            return i
    raise MissingColumnsError(source, ["URN"], [str(v) for v in raw.iloc[0].tolist()] if len(raw) else [])


def _registered_for(value: object) -> bool:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return bool(np.isfinite(value) and value > 0)
    return _norm(_text(value)) not in _NO


def _places(values: pd.Series, name: str, problems: list[dict[str, object]]) -> pd.Series:
    text = values.map(_text)
    num = pd.to_numeric(text.str.replace(",", "", regex=False), errors="coerce")
    blank = text.isin(["", "-"])
    bad = num.isna() & ~blank | (num < 0) | (num.notna() & (num != np.round(num)))
    _add(problems, name, values.index[blank.to_numpy()], "places", text[blank], "registered places not given "
         "(the home counts, its places do not)", "warning")
    _add(problems, name, values.index[bad.to_numpy()], "places", text[bad], "not a whole number of places "
         "(the home counts, its places do not)", "warning")
    return num.mask(bad | blank).astype("Int64")


def _add(problems: list[dict[str, object]], file: str, rows: pd.Index, column: str, values: pd.Series,
         reason: str, severity: str) -> None:
    for row, value in zip(rows, values.reindex(rows), strict=True):
        shown = _text(value)
        problems.append({"file": file, "row": int(row), "column": column, "value": shown, "reason": reason,
                         "severity": severity,
                         "message": f"{file} row {int(row)}: {column} {shown!r}: {reason}"})
