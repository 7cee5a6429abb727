"""The child-level input of the main job: a user's own SSDA903 return, or a synthetic one, read and located.

Both constructors do all their reading and checking before any long work starts, so a missing or unreadable
file fails in seconds with a one-line error naming it.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field, replace
from pathlib import Path

import pandas as pd

from geo.disclosure import count_text, is_synthetic
from geo.errors import InputError
from geo.settings import LA_VINTAGE
from provision import placements, ssda903, synth
from provision.collection_years import observation_window, year_window

logger = logging.getLogger(__name__)

__all__ = ["QualityCount", "ChildLevelData", "read_return", "synthetic_return", "sample_children"]


@dataclass(frozen=True)
class QualityCount:
    """Rows of one stage set aside or flagged for one reason (a line of ``data_quality.csv``).

    Attributes
    ----------
    group
        Counts that share a group are parts of one published total (their reasons exclude each other and,
        with the remainder line, add up to it): small-count suppression then hides at least two of them, so
        subtraction from the total reveals none. Blank: a count that is a part of no total.
    out_of
        What the count is counted among (its denominator), in words: "episodes in episodes.csv".
    """

    stage: str
    reason: str
    rows: int
    synthetic: bool = False
    group: str = ""
    out_of: str = ""


@dataclass
class ChildLevelData:
    """Located placement episodes with their header and missing tables, ready for the main job.

    Attributes
    ----------
    located
        Episodes from :func:`provision.placements.locate` (points in EPSG:27700, LAs, straight-line distance).
    header, missing
        SSDA903 header and missing tables; ``missing`` is None when no missing file was given.
    synthetic
        Whether the records are synthetic (every output is then labelled SYNTHETIC).
    description
        One sentence on where the records come from, for the report.
    quality
        Rows set aside or flagged while reading and locating, by reason.
    files
        Tables to write beside the outputs (the synthetic CSVs of the demo; never a user's own records).
    settings
        What the report's "Run settings" table should say about this input.
    window
        First and last day observed (``--from``/``--to``, else the return's collection year): pass it on to
        :func:`provision.placement_frame.placement_frame` (``window=``).
    """

    located: pd.DataFrame
    header: pd.DataFrame
    missing: pd.DataFrame | None
    synthetic: bool
    description: str
    quality: list[QualityCount] = field(default_factory=list)
    files: dict[str, pd.DataFrame] = field(default_factory=dict)
    settings: dict[str, object] = field(default_factory=dict)
    window: tuple[pd.Timestamp, pd.Timestamp] | None = None


def read_return(episodes: str | os.PathLike[str], *, header: str | os.PathLike[str] | None = None,
                missing: str | os.PathLike[str] | None = None, la: str | None = None,
                strict: bool = False, window: tuple[object, object] | None = None) -> ChildLevelData:
    """Read, validate and locate a user's own SSDA903 return (offline: no postcode leaves the machine).

    Parameters
    ----------
    episodes, header, missing
        The return's CSV files (``missing`` optional: without it the distance-and-missing models are skipped; a
        missing file with a header and no rows means no child went missing). Or one SSDA903 XML return or xlsx
        workbook as ``episodes``, holding the header (and missing) tables too.
    la
        The responsible LA's ONS code (already resolved), or None: the ``LA`` column, else unknown. Where both
        are given ``la`` wins and each row of the ``LA`` column naming another LA is counted.
    strict
        Stop at the first data-quality problem.
    window
        ``(from, to)``: the first and last day observed (either may be None), as the user gave them (``--from``,
        ``--to``); by default the return's collection year, 1 April to 31 March
        (:func:`provision.collection_years.observation_window`), never stretched by a stray date. Kept in
        ``window`` of the result, with the episodes and missing episodes outside it counted in ``quality``.

    Raises
    ------
    InputError
        A file that is missing, unreadable or without usable rows (naming it); synthetic records (use the demo,
        so every output is labelled SYNTHETIC); a return with no known English LA and no ``la``.
    """
    one_file = ssda903.return_format(episodes) != "csv"
    if header is None and not one_file:
        raise InputError(f"{episodes}: give the header file too (--header): the child's sex and date of birth "
                         "are in it")
    paths = {"episodes": Path(episodes), "header": Path(header or episodes)} | (
        {"missing": Path(missing)} if missing else {})
    for name, path in paths.items():
        if not path.is_file():
            raise InputError(f"{path}: {name} file not found" if not path.exists()
                             else f"{path}: {name} is not a file")
    data = ssda903.read_ssda903(episodes=episodes, header=header, missing=missing, strict=strict, la=la)
    for table, frame in (("episodes", data.episodes), ("header", data.header)):
        if frame is None or frame.empty:
            said = data.quality.loc[data.quality["file"] == data.files.get(table, ""), "message"]
            raise InputError(f"{paths[table]}: no readable {table} rows "
                             f"({said.iloc[0] if len(said) else 'empty file'})")
    assert data.episodes is not None and data.header is not None
    if is_synthetic(data.episodes, data.header):
        raise InputError(f"{episodes}: these are synthetic records (CHILD IDs start with SYN); use "
                         "'farfromhome demo' for synthetic data so every output is labelled SYNTHETIC")
    quality = [QualityCount(f"read {file}", str(reason), int(n),
                            out_of=f"problems found in {file} (one row may have several)")
               for (file, reason), n in data.quality.groupby(["file", "reason"]).size().items()]
    located = placements.locate(data.episodes, responsible_la=la, year=LA_VINTAGE)
    if la is None and not located["responsible_la"].astype(str).str.startswith("E").any():
        raise InputError(f"{episodes}: no episode has a known English responsible LA (no LA column, or none of "
                         "its values is an LA); give --la")
    quality += _locate_quality(located, synthetic=False)
    description = (f"{count_text(located['CHILD'].nunique(), 'children')} and "
                   f"{count_text(len(located), 'placement episodes')} from {paths['episodes'].name}; located offline "
                   "with Code-Point Open (counts as published: see the disclosure control in run.json).")
    if data.missing is not None and data.missing.empty:
        description += " The missing table has no rows: no child went missing."
    if la is not None and located.attrs.get("la_conflicts"):
        description += (f" --la {la} is used for every episode; {count_text(located.attrs['la_conflicts'], 'episodes')}"
                        " had an LA column naming another LA (counted in data_quality.csv).")
    missing_name = data.files.get("missing", "not given")
    given = window or (None, None)
    first, last = observation_window(data.episodes["DECOM"], data.episodes["DEC"], observation_start=given[0],
                                     reference_date=given[1])
    quality += _window_quality(data.episodes, data.missing, (first, last), files=data.files)
    return ChildLevelData(
        window=(first, last),
        located=located, header=data.header, missing=data.missing, synthetic=False, description=description,
        quality=quality,
        settings={"episodes": data.files["episodes"], "header": data.files["header"], "missing": missing_name,
                  "responsible LA": la or "the LA column",
                  "observation window": f"{first.date()} to {last.date()}" + (
                      " (given)" if window and any(w is not None for w in window) else
                      " (the return's collection year)")})


def synthetic_return(*, year: int | None = None, seed: int = 7, las: list[str] | None = None) -> ChildLevelData:
    """Generate a SYNTHETIC SSDA903 return from published LA figures (:func:`provision.synth.generate`), located.

    ``year``: one of :data:`provision.synth.YEARS` (default the latest).
    """
    year = year if year is not None else max(synth.YEARS)
    data = synth.generate(year=year, seed=seed, las=las or None)
    located = placements.locate(data.episodes, year=LA_VINTAGE)
    located.attrs["synthetic"] = True
    where = "all English LAs" if not las else f"{len(las)} LAs"
    return ChildLevelData(
        window=year_window(year), located=located, header=data.header, missing=data.missing, synthetic=True,
        description=(f"{count_text(located['CHILD'].nunique(), 'synthetic children')} and "
                     f"{count_text(len(located), 'placement episodes')} for {where} (seed {seed}); the CSVs are in "
                     "synthetic/."),
        quality=_locate_quality(located, synthetic=True),
        files={"synthetic/synthetic_episodes.csv": data.episodes, "synthetic/synthetic_header.csv": data.header,
               "synthetic/synthetic_missing.csv": data.missing},
        settings={"seed": seed, "synthetic LAs": ", ".join(las or []) or "all English LAs"})


def sample_children(children: ChildLevelData, n: int, *, seed: int) -> tuple[ChildLevelData, str | None]:
    """Return the input limited to ``n`` children drawn at random with ``seed``, and a note saying so.

    All children (and no note) when ``n`` is 0 or at least their number.
    """
    ids = children.located["CHILD"].drop_duplicates()
    if not 0 < n < len(ids):
        return children, None
    keep = set(ids.sample(n, random_state=seed))
    kind = "synthetic" if children.synthetic else "your data"
    sampled = replace(children, located=children.located[children.located["CHILD"].isin(keep)],
                      header=children.header[children.header["CHILD"].isin(keep)],
                      missing=None if children.missing is None else
                      children.missing[children.missing["CHILD"].isin(keep)])
    return sampled, (f"Child-level models use a random sample of {n:,} of the {len(ids):,} {kind} children "
                     "(--effect-children).")


def _window_quality(episodes: pd.DataFrame, missing: pd.DataFrame | None, window: tuple[pd.Timestamp, pd.Timestamp],
                    *, files: dict[str, str]) -> list[QualityCount]:
    """Count the episodes and missing episodes outside the observation window (not observed; never widening it)."""
    first, last = window
    span = f"{first.date()} to {last.date()}"
    start, end = episodes["DECOM"], episodes["DEC"]
    dated = start.notna()
    outside = dated & ((start > last) | (end.notna() & (end < first)))
    stage = f"observation window {span}"
    every = f"the {len(episodes):,} episodes in {files.get('episodes', 'the episodes')}"
    out = []
    if outside.any():  # the parts of the episodes' total, said only when some are outside
        out += [QualityCount(stage, reason, int(mask.sum()), out_of=every, group=f"{stage}: episodes")
                for reason, mask in (("episode outside the window (not observed)", outside),
                                     ("episode open during the window", dated & ~outside),
                                     ("episode without a DECOM date", ~dated)) if mask.any() or "open" in reason]
    if missing is not None and len(missing) and not missing["MIS_START"].between(first, last).all():
        when = missing["MIS_START"]
        among = f"the {len(missing):,} missing episodes in {files.get('missing', 'the missing table')}"
        parts = [("missing episode before the window (not counted)", when.notna() & (when < first)),
                 ("missing episode after the window (not counted)", when.notna() & (when > last)),
                 ("missing episode inside the window", when.notna() & (when >= first) & (when <= last)),
                 ("missing episode without a MIS_START date", when.isna())]
        out += [QualityCount(stage, reason, int(mask.sum()), out_of=among, group=f"{stage}: missing episodes")
                for reason, mask in parts if mask.any() or "inside" in reason]
    return out


def _locate_quality(located: pd.DataFrame, *, synthetic: bool) -> list[QualityCount]:
    """Count located episodes as a hierarchy in which each level adds up to its total.

    Episodes → no distance (by reason) | both postcodes located; those located → located less precisely (by
    reason: a postcode not found and a centroid used, or one given only as a sector or district such as "SK4") |
    both at full postcode (both points at unit-postcode precision, never a sector or district centroid).
    """
    status = located["locate_status"].astype(str)
    kind = "synthetic" if synthetic else "your data"
    stage = f"locate ({kind})"
    home, place = located["home_precision"].astype(str), located["pl_precision"].astype(str)
    both = home.ne("none") & place.ne("none")
    full = both & home.eq("full") & place.eq("full")
    every = f"the {len(located):,} episodes"
    out = [QualityCount(stage, f"no distance: {reason}", int(n), synthetic, group=f"{stage}: episodes",
                        out_of=every) for reason, n in status[~both].value_counts().items()]
    out.append(QualityCount(stage, "both postcodes located (a distance is measured)", int(both.sum()), synthetic,
                            group=f"{stage}: episodes", out_of=every))
    words = {"full": "full postcode", "sector": "postcode sector", "district": "postcode district"}
    given = ("HOME_POST given as a " + home.map(words) + ", PL_POST as a " + place.map(words)).where(status.eq("ok"),
                                                                                                   status)
    coarse = given[both & ~full].value_counts()
    if len(coarse):
        located_ = "episodes with both postcodes located"
        out += [QualityCount(stage, f"located less precisely: {reason}", int(n), synthetic,
                             group=f"{stage}: located", out_of=located_) for reason, n in coarse.items()]
        out.append(QualityCount(stage, "both at full postcode", int(full.sum()), synthetic,
                                group=f"{stage}: located", out_of=located_))
    return out
