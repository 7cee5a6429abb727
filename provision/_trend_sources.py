"""The sources behind :mod:`provision.trends`: one reader call per staged file, each giving long tidy rows.

Every function here takes the file override (or None) and returns rows with the columns of :data:`ROW`. The
file is read through the readers of :mod:`provision.demand` / :mod:`provision.homes` (one reader per file);
DfE symbols become NaN with the reason in ``note`` through :func:`provision._readers.to_number`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from geo import catalogue, years
from provision import demand, homes
from provision._readers import to_number

logger = logging.getLogger(__name__)

__all__ = ["ROW", "SOURCES", "Source", "all_years", "INQUIRY_FIRST_YEAR", "ratio_rows", "recode", "ENGLAND",
           "REGION_NAMES", "THREE_REGIONS", "LONDON"]

ROW = ["time_period", "geographic_level", "area_code", "area_name", "measure", "value", "published_or_computed",
       "source", "note", "rank"]
"""Columns of the rows a source gives; ``rank`` orders releases (higher = newer) and is dropped later."""

ENGLAND = ("E92000001", "England")
LONDON = "E12000007"
THREE_REGIONS = ("E12000002", "E12000005", "E12000008")
"""North West, West Midlands and South East: the inquiry's 'three regions'."""
NATIONAL, REGIONAL, LA = "National", "Regional", "Local authority"


def _region_names() -> dict[str, str]:
    import boundaries

    lk = boundaries.la_lookup().drop_duplicates("region_code")
    return dict(zip(lk["region_code"], lk["region_name"], strict=True))


REGION_NAMES: dict[str, str] = {}
"""Region code → name (filled on first use from the boundaries lookup)."""


@dataclass(frozen=True)
class Source:
    """One staged file (or one year of a family of files) and the measures and years it can give."""

    key: str
    path: str                 # mirror-relative path, for the gap table
    measures: tuple[str, ...]
    years: tuple[int, ...]
    read: Callable[[Path | None], pd.DataFrame]
    dataset: str = ""         # catalogue name, where ``path`` is not a catalogued path yet (a newly added year)


# -------------------------------------------------------------------------------------------------- helpers
def region_names() -> dict[str, str]:
    """Return region code → name (England's nine regions, from the boundaries lookup; read once)."""
    if not REGION_NAMES:
        REGION_NAMES.update(_region_names())
    return REGION_NAMES


def _areas(raw: pd.DataFrame) -> pd.DataFrame:
    """``geographic_level``, ``area_code``, ``area_name`` of EES tidy rows (National / Regional / LA)."""
    level = raw["geographic_level"].astype("string").str.strip()
    code = pd.Series(ENGLAND[0], index=raw.index, dtype=object)
    name = pd.Series(ENGLAND[1], index=raw.index, dtype=object)
    if "region_code" in raw.columns:
        reg = level == REGIONAL
        code[reg], name[reg] = raw.loc[reg, "region_code"], raw.loc[reg, "region_name"]
    if "new_la_code" in raw.columns:
        la = level == LA
        code[la], name[la] = raw.loc[la, "new_la_code"], raw.loc[la, "la_name"]
    return pd.DataFrame({"geographic_level": level, "area_code": code, "area_name": name}, index=raw.index)


def _rows(raw: pd.DataFrame, values: pd.Series, *, measure: str, source: str, rank: float,
          published: bool = True, note: str | None = None) -> pd.DataFrame:
    """Long rows for one measure from EES-like rows; symbols become NaN with the reason as the note."""
    if raw.empty:
        return pd.DataFrame(columns=ROW)
    parsed = to_number(values, source=Path(source).name, column=measure)
    areas = _areas(raw)
    reason = parsed["reason"].astype(object)
    notes = reason.where(reason.isna(), "value " + reason.astype(str))
    if note:
        notes = notes.where(notes.isna(), notes + "; " + note).fillna(note)
    out = pd.DataFrame({
        "time_period": pd.to_numeric(raw["time_period"], errors="raise").astype(int),
        **{c: areas[c] for c in ("geographic_level", "area_code", "area_name")},
        "measure": measure, "value": parsed["value"],
        "published_or_computed": "published" if published else "computed", "source": source,
        "note": notes, "rank": rank,
    })
    return out[ROW]


def recode(code: str) -> str:
    """Return the latest code of an LA whose code changed but whose area did not.

    Northumberland and Gateshead 2013, Buckinghamshire 2020, North Yorkshire and Somerset 2023: DfE's newer
    releases use the new code for earlier years too. Merged or split LAs keep their own code (their rows are not
    the same area).
    """
    import boundaries
    from geo.errors import UnknownAreaCodeError

    current = demand.PRE_2014_CODES.get(code, code)
    while True:
        change = boundaries.successors(current)
        if change is None or len(change[1]) != 1:
            return current
        new = change[1][0]
        try:
            same = boundaries.harmonise_code(new, to_year=change[0] - 1) == current
        except UnknownAreaCodeError:  # SplitAreaError too: the new LA took in other areas
            return current
        if not same:
            return current
        current = new


def _concat(parts: list[pd.DataFrame]) -> pd.DataFrame:
    parts = [p for p in parts if len(p)]
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=ROW)


def ratio_rows(num: pd.DataFrame, den: pd.DataFrame, *, measure: str, source: str, rank: float,
               scale: float = 100.0, note: str | None = None, cite: bool = False) -> pd.DataFrame:
    """Rows of ``num / den × scale`` for the keys both have (computed; NaN with the reason where either is).

    ``cite`` appends the two input files to ``source``.
    """
    keys = ["time_period", "geographic_level", "area_code"]
    m = num.merge(den[[*keys, "value", "note", "source"]], on=keys, suffixes=("", "_den"))
    if m.empty:
        return pd.DataFrame(columns=ROW)
    num_v, den_v = m["value"].astype(float), m["value_den"].astype(float)
    value = (num_v / den_v.where(den_v > 0) * scale)
    why = m["note"].where(m["value"].isna()).fillna(m["note_den"].where(m["value_den"].isna()))
    why = why.where(value.notna() | why.notna(), "the denominator is 0")
    if note:
        why = why.where(why.isna(), why.astype(str) + "; " + note).fillna(note)
    cited = (source + " (" + m["source"] + "; " + m["source_den"] + ")") if cite else source
    out = m.assign(measure=measure, value=value, published_or_computed="computed", source=cited, note=why,
                   rank=rank)
    return out[ROW]


def _select(raw: pd.DataFrame, column: str, mapping: dict[str, str]) -> pd.DataFrame:
    """Rows whose ``column`` is one of ``mapping``'s keys, with the measure name in ``_measure``."""
    hit = raw[column].astype("string").str.strip().map(mapping)
    return raw.assign(_measure=hit)[hit.notna()]


def _emit(raw: pd.DataFrame, value_col: str, *, source: str, rank: float, published: bool = True,
          note: str | None = None) -> pd.DataFrame:
    return _concat([_rows(part, part[value_col], measure=str(m), source=source, rank=rank, published=published,
                          note=note) for m, part in raw.groupby("_measure")])


# ------------------------------------------------------------------------------------------------ DfE: CLA
def read_time_series(path: Path | None) -> pd.DataFrame:
    """``children_looked_after`` (England, 1994-2024) from the 2024 release's national time series."""
    key = "time_series_2024"
    raw = demand.read_ees_la(key, filter_column="population_count", path=path, national=True)
    raw = _select(raw, "population_count", {"Children looked after at 31 March": "children_looked_after"})
    return _emit(raw, "number", source=demand.FILES[key], rank=2024)


def read_rates(key: str) -> Callable[[Path | None], pd.DataFrame]:
    """``children_looked_after`` and ``cla_rate_per_10k`` at every level from an EES rate file."""
    def read(path: Path | None) -> pd.DataFrame:
        pop = "population_type" if key == "rate_2025" else "population_count"
        count = "children_count" if key == "rate_2025" else "number"
        raw = demand.read_ees_la(key, filter_column=[pop, count, "rate_per_10000"], path=path)
        raw = raw[raw[pop].str.contains("looked after (?:at|on) 31 March", na=False)]
        rank = int(key[-4:])
        return _concat([_rows(raw, raw[count], measure="children_looked_after", source=demand.FILES[key], rank=rank),
                        _rows(raw, raw["rate_per_10000"], measure="cla_rate_per_10k", source=demand.FILES[key],
                              rank=rank)])
    return read


def read_lait(path: Path | None) -> pd.DataFrame:
    """``children_looked_after`` (LACnum) and ``cla_rate_per_10k`` (LAC) from LAIT, 2016-2025.

    Ranked above the SFR first publications and below every EES file: used only where no EES release gives the
    figure (2016-2018 rates; regions and LAs 2016-2018).
    """
    import boundaries

    file = Path(path) if path is not None else None
    raw = demand.lait_raw(path=file)
    raw = raw[raw["short_desc"].isin(["LACnum", "LAC"])]
    number = raw["la_number"].astype("string").str.strip().str.zfill(3)
    year = pd.to_numeric(raw["year"], errors="raise").astype(int)
    regions = {boundaries.normalise_name(n): c for c, n in region_names().items()}
    lk = boundaries.la_lookup()
    by_number: dict[str, list[tuple[str, int, int]]] = {}
    for c, n, a, b in zip(lk["la_code"], lk["dfe_la_number"], lk["first_year"], lk["last_year"], strict=True):
        by_number.setdefault(str(n), []).append((str(c), int(a), int(b)))

    def la_code(num: str, y: int) -> str | None:
        """Return the LA with that DfE number in force the year before (a 31 March figure), else that year."""
        for when in (max(y - 1, 2014), y):  # LAIT lists later LAs with '-' before they existed: not an LA-year
            hits = [c for c, a, b in by_number.get(num, []) if a <= when <= b]
            if hits:
                return hits[0]
        return None

    areas: dict[tuple[str, int, str], tuple[str, str | None]] = {}
    for num, y, area in set(zip(number, year, raw["area_name"].astype(str), strict=True)):
        if num == "970":
            areas[(num, y, area)] = (NATIONAL, ENGLAND[0])
        elif num.startswith("98") or num == "990":
            rc = regions.get(boundaries.normalise_name(area))
            areas[(num, y, area)] = (REGIONAL, rc) if rc else ("other", None)
        else:
            found_code = la_code(num, int(y))
            areas[(num, y, area)] = (LA, found_code) if found_code else ("other", None)
    found = [areas[k] for k in zip(number, year, raw["area_name"].astype(str), strict=True)]
    level = [f[0] for f in found]
    code = [f[1] for f in found]
    name = raw["area_name"].astype(str).tolist()
    tidy = pd.DataFrame({"time_period": year, "geographic_level": level, "new_la_code": code, "la_name": name,
                         "region_code": code, "region_name": name, "short_desc": raw["short_desc"].to_numpy(),
                         "value": raw["value"].to_numpy()}, index=raw.index)
    tidy = tidy[tidy["geographic_level"] != "other"]  # London (Inner)/(Outer); LAs not yet formed
    tidy = _select(tidy, "short_desc", {"LACnum": "children_looked_after", "LAC": "cla_rate_per_10k"})
    return _emit(tidy, "value", source=demand.FILES["lait"] + " (LACnum, LAC)", rank=2018.5)


def read_sfr_cla(year: int) -> Callable[[Path | None], pd.DataFrame]:
    """CLA, placed outside the LA and (2017) over 20 miles, at every level, from one SFR table (first published)."""
    def read(path: Path | None) -> pd.DataFrame:
        cla = f"CLA_Mar{year}"
        dist = ["CLA_InLA_GT20", "CLA_OutLA_GT20"] if year == 2017 else []
        raw = _sfr_regions_only(demand.read_sfr(year, required=[cla, "CLA_Outbound", *dist], path=path))
        source = raw.attrs["source"]
        tidy = _sfr_tidy(raw, year)
        rank = year  # the first publication: every later release of the year outranks it
        note = "first published (SFR)"
        parts = [_rows(tidy, raw[cla], measure="children_looked_after", source=source, rank=rank, note=note),
                 _rows(tidy, raw["CLA_Outbound"], measure="cla_outside_la", source=source, rank=rank, note=note)]
        if dist:
            over = _rows(tidy, raw["CLA_InLA_GT20"], measure="x", source=source, rank=rank)
            out = _rows(tidy, raw["CLA_OutLA_GT20"], measure="x", source=source, rank=rank)
            over = over.assign(value=over["value"] + out["value"].to_numpy(),
                               note=over["note"].fillna(out["note"]))
            parts.append(ratio_rows(over, parts[0], measure="cla_over_20_miles_pct", rank=rank,
                                     source=f"computed: (CLA_InLA_GT20 + CLA_OutLA_GT20) / {cla} × 100 ({source})"))
        return _concat(parts)
    return read


def read_sfr_missing(year: int) -> Callable[[Path | None], pd.DataFrame]:
    """``children_missing`` and ``missing_incidents`` at every level from an SFR missing table (first published)."""
    def read(path: Path | None) -> pd.DataFrame:
        kids, incs = ("Miss_Miss_DuringYear", "Miss_Miss_Incs") if year == 2017 else ("CLA_MissDuringYear",
                                                                                       "CLA_MissIncs")
        raw = _sfr_regions_only(demand.read_sfr(year, kind="missing", required=[kids, incs], path=path))
        tidy = _sfr_tidy(raw, year)
        src = raw.attrs["source"]
        note = "first published (SFR)"
        return _concat([_rows(tidy, raw[kids], measure="children_missing", source=src, rank=year, note=note),
                        _rows(tidy, raw[incs], measure="missing_incidents", source=src, rank=year, note=note)])
    return read


def _sfr_regions_only(raw: pd.DataFrame) -> pd.DataFrame:
    """Drop the SFR's Inner and Outer London rows: they are filed as regions under London's code."""
    part = raw["geog_n"].astype("string").str.strip().str.upper().isin(["INNER LONDON", "OUTER LONDON"])
    return raw[~part]


def _sfr_tidy(raw: pd.DataFrame, year: int) -> pd.DataFrame:
    level = raw["geog_l"].map({"NATIONAL": NATIONAL, "REGION": REGIONAL, "LA": LA})
    code = raw["New_geog_code"]
    name = raw["geog_n"].astype("string").str.strip()
    reg = level == REGIONAL
    name = name.where(~reg, code.map(region_names()))
    return pd.DataFrame({"time_period": year, "geographic_level": level, "region_code": code, "region_name": name,
                         "new_la_code": code, "la_name": name}, index=raw.index)


def read_netgain(key: str) -> Callable[[Path | None], pd.DataFrame]:
    """``cla_outside_la`` (this LA's children placed outside its boundary) at every level, from a net-gain file."""
    def read(path: Path | None) -> pd.DataFrame:
        raw = demand.read_ees_la(key, filter_column=["characteristic", "number"], path=path)
        raw = raw[raw["characteristic"].str.startswith("2.", na=False)].assign(_measure="cla_outside_la")
        return _emit(raw, "number", source=demand.FILES[key], rank=int(key[-4:]))
    return read


_CHARACTERISTICS = {
    ("Placement", "Secure homes and children's homes"): ("children_in_childrens_homes", "number"),
    ("Placement", "Independent and semi-independent living arrangements/supported accommodation"):
        ("cla_independent_semi_independent", "number"),
    ("Locality of placement", "Placed outside the local authority boundary"): ("cla_outside_la", "number"),
    ("Locality of placement", "Placed outside the local authority boundary "): ("cla_outside_la", "number"),
    ("Distance between home and placement", "Placed more than 20 miles from home"): ("cla_over_20_miles_pct",
                                                                                    "percentage"),
}


def read_characteristics(year: int) -> Callable[[Path | None], pd.DataFrame]:
    """Children's homes, independent living, outside the LA and over 20 miles, every level, from the 2025 release."""
    def read(path: Path | None) -> pd.DataFrame:
        key = f"characteristics_{year}"
        raw = demand.read_ees_la(key, filter_column=["cla_group", "characteristic", "number", "percentage"],
                                 path=path)
        pick = [_CHARACTERISTICS.get((g, c)) for g, c in zip(raw["cla_group"], raw["characteristic"], strict=True)]
        parts = []
        src = demand.FILES[key]
        for measure, col in {p for p in pick if p}:
            sub = raw[[p == (measure, col) for p in pick]]
            parts.append(_rows(sub, sub[col], measure=measure, source=src, rank=2025))
            if measure == "cla_outside_la":
                parts.append(_rows(sub, sub["percentage"], measure="cla_outside_la_pct", source=src, rank=2025))
        return _concat(parts)
    return read


def read_foi(path: Path | None) -> pd.DataFrame:
    """``chomes_outside_la`` and ``_pct`` (published) and ``children_in_childrens_homes`` (derived), FOI 2014-2024."""
    src = demand.FILES["foi_outside"]
    parts = []
    for level in (NATIONAL, REGIONAL, LA):
        foi = demand.read_foi_chomes(level=level, path=path)
        frame = foi.reset_index()
        code = (frame["la_code"] if level == LA else frame["region_code"] if level == REGIONAL
                else pd.Series(ENGLAND[0], index=frame.index))
        name = frame["la_name"] if "la_name" in frame.columns else pd.Series(ENGLAND[1], index=frame.index)
        for col, measure, published, rank in (
                ("chomes_outside_la", "chomes_outside_la", True, 2024),
                ("chomes_outside_la_pct", "chomes_outside_la_pct", True, 2024),
                ("children_in_childrens_homes", "children_in_childrens_homes", False, 1000)):
            reason = frame[f"{col}__reason"]
            note = reason.where(reason.isna(), "value " + reason.astype(str))
            if measure == "children_in_childrens_homes":
                note = note.fillna("derived as number / percentage × 100; the percentage is rounded, so ±1 %")
            parts.append(pd.DataFrame({
                "time_period": frame["year"].astype(int), "geographic_level": level, "area_code": code,
                "area_name": name, "measure": measure, "value": frame[col].astype(float),
                "published_or_computed": "published" if published else "computed",
                "source": src if published else f"computed: number / percentage × 100 ({src})", "note": note,
                "rank": rank})[ROW])
    return _concat(parts)


_DISTANCE_GROUPS = {  # (cla_group, characteristic), lower case: the 2023 release writes "2. over 20 miles"
    ("all children", "2. over 20 miles"): ("cla_over_20_miles_pct", "percentage"),
    ("secure homes and children's homes", "2. over 20 miles"): ("chomes_over_20_miles_pct", "percentage"),
    ("secure homes and children's homes", "total"): ("children_in_childrens_homes", "number"),
    ("independent and semi-independent living arrangements/ supported accommodation", "total"):
        ("cla_independent_semi_independent", "number"),
    ("independent and semi-independent living arrangements/ supported accommodation", "2. over 20 miles"):
        ("cla_independent_semi_independent_over_20_miles_pct", "percentage"),
}


def read_distance(key: str) -> Callable[[Path | None], pd.DataFrame]:
    """Over 20 miles by placement type (straight line, DfE), and group totals, from a national distance table."""
    def read(path: Path | None) -> pd.DataFrame:
        raw = demand.read_ees_la(key, filter_column=["cla_group", "characteristic", "number", "percentage"],
                                 path=path, national=True)
        groups = _DISTANCE_GROUPS if key.endswith("2024") else {("all children", "2. over 20 miles"):
                                                               ("cla_over_20_miles_pct", "percentage")}
        pick = [groups.get((g.strip().lower(), c.strip().lower()))
                for g, c in zip(raw["cla_group"], raw["characteristic"], strict=True)]
        parts = []
        for measure, col in {p for p in pick if p}:
            sub = raw[[p == (measure, col) for p in pick]]
            parts.append(_rows(sub, sub[col], measure=measure, source=demand.FILES[key], rank=int(key[-4:])))
        return _concat(parts)
    return read


def read_provider(path: Path | None) -> pd.DataFrame:
    """``cla_independent_semi_independent_outside_la_pct`` = outside / (inside + outside), 2020-2024 (computed)."""
    key = "provider_2024"
    raw = demand.read_ees_la(key, filter_column=["placement_type", "placement_provider", "number"], path=path,
                             national=True)
    raw = raw[raw["placement_provider"].str.strip() == "All children"]
    label = "Independent and semi-independent living arrangements/supported accommodation"
    inside = raw[raw["placement_type"].str.strip() == f"2c. {label}"].assign(_measure="x")
    outside = raw[raw["placement_type"].str.strip() == f"3c. {label}"].assign(_measure="x")
    src = demand.FILES[key]
    num = _emit(outside, "number", source=src, rank=2024)
    ins = _emit(inside, "number", source=src, rank=2024)
    keys = ["time_period", "geographic_level", "area_code"]
    total = num.merge(ins[[*keys, "value"]], on=keys, suffixes=("", "_in"))
    total = total.assign(value=total["value"] + total["value_in"])[ROW]
    return ratio_rows(num, total, measure="cla_independent_semi_independent_outside_la_pct", rank=2024,
                       source=f"computed: 3c / (2c + 3c) × 100 ({src})",
                       note="of those placed inside or outside the council boundary (locality known)")


# -------------------------------------------------------------------------------------------- DfE: missing
_NATIONAL_MISSING = {
    "Total children who were missing during the year": "children_missing",
    "Total number of missing incidents during the year": "missing_incidents",
    "Missing from placement inside council boundary": "missing_incidents_inside_la",
    "Missing from placement outside council boundary": "missing_incidents_outside_la",
}


def read_national_missing(key: str) -> Callable[[Path | None], pd.DataFrame]:
    """Children who went missing, incidents, and incidents inside / outside the council boundary (England)."""
    def read(path: Path | None) -> pd.DataFrame:
        raw = demand.read_ees_la(key, filter_column=["missing_status", "characteristic", "number"], path=path,
                                 national=True)
        raw = raw[raw["missing_status"].str.strip() != "Children missing from placement by ethnic origin"]
        raw = _select(raw, "characteristic", _NATIONAL_MISSING)
        return _emit(raw, "number", source=demand.FILES[key], rank=int(key[-4:]))
    return read


_LA_MISSING = {"Children who had a missing incident during the year": "children_missing",
               "Number of missing incidents during the year": "missing_incidents"}


def read_la_missing(key: str) -> Callable[[Path | None], pd.DataFrame]:
    """Children who went missing and missing incidents at every level, from an EES LA missing file."""
    def read(path: Path | None) -> pd.DataFrame:
        raw = demand.read_ees_la(key, filter_column=["cla_group", "number"], path=path)
        raw = _select(raw, "cla_group", _LA_MISSING)
        return _emit(raw, "number", source=demand.FILES[key], rank=int(key[-4:]))
    return read


# ------------------------------------------------------------------------------------------------- Ofsted
def read_published_totals(path: Path | None) -> pd.DataFrame:
    """``homes`` and ``places``: Ofsted's published national totals of children's homes (the latest workbook)."""
    totals = homes.published_national_totals(path=path)
    src = homes.published_source()
    parts = []
    for col in ("homes", "places"):
        parts.append(pd.DataFrame({
            "time_period": totals.index.astype(int), "geographic_level": NATIONAL, "area_code": ENGLAND[0],
            "area_name": ENGLAND[1], "measure": col, "value": totals[col].astype(float).to_numpy(),
            "published_or_computed": "published", "source": src,
            "note": "children's homes only: secure children's homes and residential special schools registered "
                    "as children's homes are not counted",
            "rank": years.latest("ofsted_published_totals")})[ROW])
    return _concat(parts)


def read_provider_list(year: int) -> Callable[[Path | None], pd.DataFrame]:
    """Homes and places in the list used, sector and region shares, LAs without an LA-run home (one year)."""
    def read(path: Path | None) -> pd.DataFrame:
        import boundaries

        first, last = years.span("la_boundaries")
        vintage = min(max(year - 1, first), last)  # a list at 31 March Y names the LAs in force until then
        h = homes.read_children_homes(year, path=path, to_year=vintage)
        src = homes.source_for(year)["file"]
        if homes.source_for(year)["sheet"]:
            src = f"{src} [{homes.source_for(year)['sheet']}]"
        published = homes.published_totals(year, homes_list=h)
        note = None if published.complete else published.describe_gap()
        lk = boundaries.la_lookup()
        las = lk[(lk["first_year"] <= vintage) & (lk["last_year"] >= vintage)].set_index("la_code")
        h = h.assign(region_code=h["la_code"].map(las["region_code"]).fillna(h["region_code"]))
        rows: list[dict[str, object]] = []

        def add(level: str, code: str, name: str, measure: str, value: float, extra: str | None = None) -> None:
            text = "; ".join(t for t in (extra, note) if t) or None
            rows.append({"time_period": year, "geographic_level": level, "area_code": code, "area_name": name,
                         "measure": measure, "value": float(value), "published_or_computed": "computed",
                         "source": f"computed from the Ofsted provider list {src}", "note": text, "rank": year})

        has_places = bool(h["places"].notna().any())
        frame = h.assign(country=ENGLAND[0], private=h["sector"].eq("private"),
                         la_run=h["sector"].eq("local_authority"), places=h["places"].astype("Float64"))
        levels = ((NATIONAL, "country", {ENGLAND[0]: ENGLAND[1]}), (REGIONAL, "region_code", region_names()),
                  (LA, "la_code", las["la_name"].astype(str).to_dict()))
        for level, key, names in levels:
            g = frame.groupby(key).agg(n=("urn", "size"), places=("places", "sum"), private=("private", "sum"),
                                       la_run=("la_run", "sum")).reindex(list(names), fill_value=0)
            for code, r in g.iterrows():
                name = names[code]
                add(level, code, name, "homes_in_list", r["n"])
                if has_places:
                    add(level, code, name, "places_in_list", r["places"])
                if level != LA or r["n"]:
                    pct = 100 / r["n"] if r["n"] else np.nan
                    add(level, code, name, "homes_private_pct", r["private"] * pct)
                    add(level, code, name, "homes_la_run_pct", r["la_run"] * pct)
                if level == REGIONAL:
                    add(level, code, name, "homes_share_pct", r["n"] / len(h) * 100)
                    if has_places:
                        add(level, code, name, "places_share_pct", r["places"] / h["places"].sum() * 100)
        regions = h["region_code"]
        add(NATIONAL, *ENGLAND, "homes_share_nw_wm_se_pct", regions.isin(THREE_REGIONS).mean() * 100)
        add(NATIONAL, *ENGLAND, "homes_share_london_pct", regions.eq(LONDON).mean() * 100)
        la_run = h.loc[h["sector"] == "local_authority", "la_code"].dropna()
        without = [c for c in las.index if c not in set(la_run)]
        unresolved = int(h["la_code"].isna().sum())
        extra = (f"of the {len(las)} LAs in force at 31 March {year} (City of London and the Isles of Scilly "
                 "included)" + (f"; {unresolved} home(s) could not be placed in an LA" if unresolved else ""))
        add(NATIONAL, *ENGLAND, "las_without_la_run_home", len(without), extra)
        for rc in sorted(region_names()):
            n = sum(1 for c in without if las.at[c, "region_code"] == rc)
            add(REGIONAL, rc, region_names()[rc], "las_without_la_run_home", n, extra)
        out = pd.DataFrame(rows, columns=ROW)
        out.loc[out["value"].isna(), "note"] = "no children's homes in the list"
        return out
    return read


# -------------------------------------------------------------------------------------------- the registry
_OFSTED_MEASURES = ("homes_in_list", "places_in_list", "homes_private_pct", "homes_la_run_pct", "homes_share_pct",
                    "places_share_pct", "homes_share_nw_wm_se_pct", "homes_share_london_pct",
                    "las_without_la_run_home")
_CHAR = ("children_in_childrens_homes", "cla_independent_semi_independent", "cla_outside_la", "cla_outside_la_pct",
         "cla_over_20_miles_pct")
_F = demand.FILES


INQUIRY_FIRST_YEAR = 2012
"""The earliest year the 2019 inquiry quoted: the national time series (from 1994) is read from it."""


def _released(key: str) -> tuple[int, ...]:
    """Years the catalogued file of :data:`provision.demand.FILES` ``key`` holds (:func:`geo.years.dataset_years`)."""
    name = next(n for n, d in catalogue.all_datasets().items() if d.first.path == _F[key])
    return years.dataset_years(name)


def _sfr_path(name: str) -> str:
    return "care/dfe_cla/sfr_2011_2017/" + name


_DFE_SOURCES: tuple[Source, ...] = (  # the reader table of the staged DfE files; years from the catalogue
    Source("time_series_2024", _F["time_series_2024"], ("children_looked_after",),
           tuple(y for y in _released("time_series_2024") if y >= INQUIRY_FIRST_YEAR),
           read_time_series),
    Source("rate_2025", _F["rate_2025"], ("children_looked_after", "cla_rate_per_10k"), _released("rate_2025"),
           read_rates("rate_2025")),
    Source("rate_2023", _F["rate_2023"], ("children_looked_after", "cla_rate_per_10k"), _released("rate_2023"),
           read_rates("rate_2023")),
    Source("lait", _F["lait"], ("children_looked_after", "cla_rate_per_10k"), _released("lait"), read_lait),
    *(Source(f"sfr_{y}", _sfr_path(demand.SFR_FILES[y]),
             ("children_looked_after", "cla_outside_la") + (("cla_over_20_miles_pct",) if y == 2017 else ()),
             (y,), read_sfr_cla(y)) for y in demand.SFR_FILES if isinstance(y, int)),
    *(Source(f"sfr_missing_{y}", _sfr_path(demand.SFR_FILES[f"missing_{y}"]),
             ("children_missing", "missing_incidents"), (y,), read_sfr_missing(y))
      for y in (int(k.split("_")[1]) for k in demand.SFR_FILES if isinstance(k, str))),
    Source("netgain_2022", _F["netgain_2022"], ("cla_outside_la",), _released("netgain_2022"),
           read_netgain("netgain_2022")),
    Source("netgain_2024", _F["netgain_2024"], ("cla_outside_la",), _released("netgain_2024"),
           read_netgain("netgain_2024")),
    *(Source(f"characteristics_{y}", _F[f"characteristics_{y}"], _CHAR, (y,), read_characteristics(y))
      for y in years.years("characteristics")),
    Source("foi_outside", _F["foi_outside"], ("chomes_outside_la", "chomes_outside_la_pct",
                                              "children_in_childrens_homes"), _released("foi_outside"), read_foi),
    Source("distance_2023", _F["distance_2023"], ("cla_over_20_miles_pct",), _released("distance_2023"),
           read_distance("distance_2023")),
    Source("distance_2024", _F["distance_2024"], tuple(m for m, _ in _DISTANCE_GROUPS.values()),
           _released("distance_2024"),
           read_distance("distance_2024")),
    Source("provider_2024", _F["provider_2024"], ("cla_independent_semi_independent_outside_la_pct",),
           _released("provider_2024"), read_provider),
    Source("national_missing_2023", _F["national_missing_2023"], tuple(_NATIONAL_MISSING.values()),
           _released("national_missing_2023"), read_national_missing("national_missing_2023")),
    Source("national_missing_2024", _F["national_missing_2024"], tuple(_NATIONAL_MISSING.values()),
           _released("national_missing_2024"), read_national_missing("national_missing_2024")),
    Source("missing_2022", _F["missing_2022"], tuple(_LA_MISSING.values()), _released("missing_2022"),
           read_la_missing("missing_2022")),
    Source("missing_2024", _F["missing_2024"], tuple(_LA_MISSING.values()), _released("missing_2024"),
           read_la_missing("missing_2024")),
)
"""The staged DfE files the trends table reads, with the measures and years each can give."""


def _ofsted_sources() -> tuple[Source, ...]:
    """Ofsted's published totals and one provider list per catalogued year (read from the catalogue now)."""
    return (Source("ofsted_published", homes.published_totals_file(), ("homes", "places"),
                   years.years("ofsted_published_totals"), read_published_totals),
            *(Source(f"ofsted_{y}", str(homes.source_for(y)["file"]), _OFSTED_MEASURES, (y,), read_provider_list(y),
                     str(homes.source_for(y)["dataset"] or "")) for y in homes.YEARS))


def all_years() -> tuple[int, ...]:
    """Every year some source gives (read from the reader table and the catalogue now; reads no file)."""
    return tuple(sorted({y for s in _DFE_SOURCES + _ofsted_sources() for y in s.years}))


class _Sources(Sequence[Source]):
    """The DfE reader table and the Ofsted sources of the catalogue as it is when used (a live view)."""

    def _now(self) -> tuple[Source, ...]:
        return _DFE_SOURCES + _ofsted_sources()

    def __getitem__(self, index):  # type: ignore[no-untyped-def]  # Sequence's int/slice overloads
        return self._now()[index]

    def __len__(self) -> int:
        return len(self._now())

    def __iter__(self) -> Iterator[Source]:
        return iter(self._now())


SOURCES: Sequence[Source] = _Sources()
"""Every staged file the trends table reads, with the measures and years it can give (an Ofsted list or workbook
catalogued later is in it: no code change)."""
