"""Where the plan may put new places: the group of LAs (one LA, several, a region) and its candidate sites."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from geo.errors import InputError

logger = logging.getLogger(__name__)

__all__ = ["CANDIDATE_KINDS", "Group", "Candidates", "plan_group", "candidate_sites"]

CANDIDATE_KINDS = ("sectors", "districts")
"""Built-in candidate sets: the centroids of the group's postcode sectors or postcode districts (Code-Point Open)."""

_VINTAGE = 2024


@dataclass(frozen=True)
class Group:
    """The LAs planning together (a single LA, several, or a regional care cooperative).

    Attributes
    ----------
    codes
        ONS codes (2024) of the LAs, in the order given.
    names
        LA names, same order.
    label
        How outputs name the group (``"Stockport"``, ``"North West (24 LAs)"``, ``"Stockport, Manchester"``).
    notes
        Named notes about the group (``"not neighbours: …"``), shown on every output.
    """

    codes: tuple[str, ...]
    names: tuple[str, ...]
    label: str
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class Candidates:
    """Candidate sites inside the group's area (EPSG:27700 metres).

    Attributes
    ----------
    sites
        Indexed by site id (a sector ``"SK4 1"``, a district ``"SK4"``, or ``"row N"`` of a file): ``easting``,
        ``northing``, ``la_code`` and ``postcode_district`` (the finest geography any output shows).
    kind
        ``"sectors"``, ``"districts"`` or the file name.
    outside
        Candidates of a file outside the group's area, listed and not used: ``row``, ``postcode_district``,
        ``la_code`` (``"not in England"`` where none).
    """

    sites: pd.DataFrame
    kind: str
    outside: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=["row", "postcode_district",
                                                                                "la_code"]))

    def notes(self) -> list[str]:
        """Named notes: candidates outside the group's area, counted and listed by district."""
        if self.outside.empty:
            return []
        rows = ", ".join(f"row {r} ({d}, {la})" for r, d, la in self.outside[["row", "postcode_district",
                                                                              "la_code"]].itertuples(index=False))
        return [f"candidates outside the group's area: {len(self.outside)} of {self.kind} not used: {rows}"]


def plan_group(las: Sequence[str] = (), *, region: str | None = None) -> Group:
    """Resolve the LAs planning together; notes LAs that border none of the others (allowed).

    Parameters
    ----------
    las
        LAs by ONS code, DfE number or name.
    region
        A region by code (``E12000002``), name (``"North West"``) or slug (``north-west``): all its LAs join.

    Raises
    ------
    InputError
        No LA and no region, or an unknown region.
    """
    import boundaries

    codes: list[str] = []
    for la in las:
        code = boundaries.resolve_la(str(la), year=_VINTAGE)
        if code not in codes:
            codes.append(code)
    polygons = boundaries.load_las(year=_VINTAGE)
    label_parts: list[str] = []
    if region is not None:
        key = _slug(region)
        names = polygons["region_name"].astype(str)
        hit = polygons[(names.map(_slug) == key) | (polygons["region_code"].astype(str).str.lower() == key)]
        if hit.empty:
            known = ", ".join(sorted(names.map(_slug).unique()))
            raise InputError(f"--region {region!r}: not an English region; expected one of {known}")
        codes += [c for c in hit.index.astype(str) if c not in codes]
        label_parts.append(f"{hit['region_name'].iloc[0]}")
    if not codes:
        raise InputError("give at least one --la or a --region: the LAs planning together")
    names_of = polygons["la_name"].astype(str)
    named = tuple(str(names_of.get(c, c)) for c in codes)
    label = (f"{label_parts[0]} ({len(codes)} LAs)" if label_parts else ", ".join(named) if len(codes) <= 4
             else f"{len(codes)} LAs")
    notes = []
    if len(codes) > 1:
        shapes = polygons.reindex(codes).geometry
        near = shapes.buffer(250.0)  # BSC boundaries are generalised: neighbours may not touch exactly
        alone = [named[i] for i, g in enumerate(near) if not any(g.intersects(shapes.iloc[k])
                                                                  for k in range(len(codes)) if k != i)]
        if alone:
            notes.append(f"not neighbours: {', '.join(alone)} border(s) no other LA of the group (allowed: the plan "
                         "treats the group as one area)")
    logger.info("plan group %s: %d LAs", label, len(codes))
    return Group(tuple(codes), named, label, tuple(notes))


def candidate_sites(group: Group, *, candidates: str | Path = "sectors") -> Candidates:
    """Candidate sites in the group's area: its postcode sectors or districts, or the postcodes of a file.

    A sector or district belongs to the LA holding most of its postcodes (Code-Point Open 2025.4). A file is
    a CSV with a ``postcode`` column (full postcodes, sectors or districts, e.g. land the council owns); each
    site sits at its postcode's point, and outputs show only its district. File rows outside the group's
    area are listed and counted (:attr:`Candidates.outside`) and not used.

    Raises
    ------
    InputError
        An unknown kind, a missing or empty file, a file without a ``postcode`` column, a postcode that is
        invalid or not in Code-Point Open (``file row N: postcode 'X' ...``), or no candidate in the area.
    """
    from geo.postcodes import geocode, load_districts, load_sectors, parse

    if isinstance(candidates, str) and candidates in CANDIDATE_KINDS:
        table = load_sectors() if candidates == "sectors" else load_districts()
        mine = table[table["ctyua_code_2024"].astype(str).isin(group.codes).to_numpy()]
        ids = mine.index.astype(str)
        sites = pd.DataFrame({"easting": mine["easting"].to_numpy(float), "northing": mine["northing"].to_numpy(float),
                              "la_code": mine["ctyua_code_2024"].astype(str).to_numpy(),
                              "postcode_district": ids.str.split(" ").str[0]}, index=pd.Index(ids, name="site"))
        if sites.empty:
            raise InputError(f"no postcode {candidates} in {group.label}")
        return Candidates(sites, str(candidates))
    path = Path(candidates)
    if not path.is_file():
        raise InputError(f"--candidates {str(path)!r}: expected 'sectors', 'districts' or a CSV file; file not found")
    frame = pd.read_csv(path, dtype=str, encoding="utf-8-sig")
    cols = {c.strip().lower(): c for c in frame.columns}
    if "postcode" not in cols:
        raise InputError(f"{path.name}: no 'postcode' column; columns are {', '.join(map(str, frame.columns))}")
    if frame.empty:
        raise InputError(f"{path.name}: no candidate rows")
    given = frame[cols["postcode"]].fillna("")
    parsed = parse(given)
    rows = np.arange(len(frame)) + 2  # spreadsheet rows: the header is row 1
    bad = ~parsed["given"].isin(["full", "sector", "district"]).to_numpy()
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise InputError(f"{path.name} row {rows[i]}: postcode {given.iloc[i]!r} is not a valid postcode, sector or "
                         "district")
    area = parsed["postcode"].fillna(parsed["sector"]).fillna(parsed["district"])
    hit = geocode(area.astype("string"), year=_VINTAGE)
    none = hit["precision"].eq("none").to_numpy()
    if none.any():
        i = int(np.flatnonzero(none)[0])
        raise InputError(f"{path.name} row {rows[i]}: postcode {given.iloc[i]!r} is not in Code-Point Open "
                         f"({int(none.sum())} row(s) not found)")
    la = hit["ctyua_code"].astype("string").fillna("not in England").to_numpy()
    inside = np.isin(la, group.codes)
    district = parsed["district"].astype(str).to_numpy()
    outside = pd.DataFrame({"row": rows[~inside], "postcode_district": district[~inside], "la_code": la[~inside]})
    ids = pd.Index([f"row {r}" for r in rows[inside]], name="site")
    sites = pd.DataFrame({"easting": hit["easting"].to_numpy(float)[inside],
                          "northing": hit["northing"].to_numpy(float)[inside], "la_code": la[inside],
                          "postcode_district": district[inside]}, index=ids)
    if len(outside):
        logger.warning("%s: %d candidate(s) outside %s not used", path.name, len(outside), group.label)
    if sites.empty:
        raise InputError(f"{path.name}: none of its {len(frame)} candidate(s) is inside {group.label}")
    return Candidates(sites, path.name, outside)


# -- private helpers ------------------------------------------------------------------------------------
def _slug(text: str) -> str:
    return "-".join(str(text).strip().lower().replace("&", "and").split()).replace("_", "-")
