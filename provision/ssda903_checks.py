"""Row-level and cross-table checks of an SSDA903 return: episodes, postcodes, plausible dates, LAs, UASC.

Each check adds problems (the :data:`provision.ssda903.QUALITY_COLUMNS` layout) naming where the row is; none
drops a row. Called by :func:`provision.ssda903.read_ssda903`.
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd

from provision.ssda903_csv import RawTable, add_problems

logger = logging.getLogger(__name__)

__all__ = ["EARLIEST_DATE", "check_postcodes", "check_episodes", "check_header", "check_missing",
           "implausible_dates", "check_la_column", "cross_checks", "check_missing_in_episodes"]

EARLIEST_DATE = pd.Timestamp("1980-01-01")
"""No date in an SSDA903 return (a birth, an episode, a missing episode) is plausibly earlier than this."""

_UASC_CODES = ("0", "1")


def check_postcodes(problems: list[dict[str, object]], src: RawTable, column: str, values: pd.Series,
                    lookup: bool) -> None:
    """Report invalid postcodes, and (with ``lookup``) those Code-Point Open does not know (offline)."""
    from geo.postcodes import geocode, parse

    parsed = parse(values)
    bad = parsed["given"].eq("invalid").to_numpy()
    add_problems(problems, src, values.index[bad], column, values[bad], "invalid postcode",
                 f"{column} {{value!r}} is not a valid postcode (expected e.g. 'SK4 1AA', a sector 'SK4 1' "
                 "or a district 'SK4')")
    if not lookup:
        return
    located = geocode(values)
    status = located["geocode_status"]
    fallback = status.str.startswith("postcode not found", na=False).to_numpy()
    add_problems(problems, src, values.index[fallback], column, values[fallback], "postcode not found",
                 f"{column} {{value!r}} is not in Code-Point Open 2025.4; {{note}}", severity="warning",
                 extra={"note": status[fallback].str.removeprefix("postcode not found; ").to_numpy()})
    gone = status.eq("not found").to_numpy()
    add_problems(problems, src, values.index[gone], column, values[gone], "postcode not found",
                 f"{column} {{value!r}} is not in Code-Point Open 2025.4, nor its sector or district", "warning")


def implausible_dates(problems: list[dict[str, object]], src: RawTable, column: str, raw: pd.Series,
                      dates: pd.Series, *, today: pd.Timestamp | None = None) -> pd.Series:
    """Report dates before :data:`EARLIEST_DATE` or after today (a two-digit year read into the 1900s, a typo).

    Returns the mask of implausible dates: the caller does not use them (they become NaT).
    """
    today = today or pd.Timestamp.now().normalize()
    early = dates.notna() & (dates < EARLIEST_DATE)
    late = dates.notna() & (dates > today)
    shown = dates.dt.strftime("%d/%m/%Y")
    for mask, why in ((early, f"is before {EARLIEST_DATE.year}"), (late, "is in the future")):
        add_problems(problems, src, raw.index[mask.to_numpy()], column, raw[mask], "implausible date",
                     f"{column} {{value!r}} (read as {{read}}) {why}: not a plausible date in an SSDA903 return, "
                     "so it is not used; write the date in full as dd/mm/yyyy",
                     extra={"read": shown[mask].to_numpy()})
    return early | late


def check_episodes(problems: list[dict[str, object]], src: RawTable, frame: pd.DataFrame) -> None:
    """Episode order: DEC before DECOM, duplicates, REC/DEC agreement, overlaps, gaps and X1 without a next episode."""
    raw_dec = frame["DEC"].dt.strftime("%d/%m/%Y")
    raw_decom = frame["DECOM"].dt.strftime("%d/%m/%Y")
    before = frame["DEC"].notna() & frame["DECOM"].notna() & (frame["DEC"] < frame["DECOM"])
    add_problems(problems, src, frame.index[before], "DEC", raw_dec[before], "DEC before DECOM",
                 "DEC {value!r} is before DECOM {decom!r}", extra={"decom": raw_decom[before].to_numpy()})
    dup = frame.duplicated(["CHILD", "DECOM"], keep="first") & frame["DECOM"].notna()
    if dup.any():
        first_rows = frame.reset_index().drop_duplicates(["CHILD", "DECOM"]).set_index(["CHILD", "DECOM"])["row"]
        keys = pd.MultiIndex.from_frame(frame.loc[dup, ["CHILD", "DECOM"]])
        add_problems(problems, src, frame.index[dup], "DECOM", raw_decom[dup], "duplicate CHILD+DECOM",
                     "CHILD {child!r} has another episode starting DECOM {value!r} (row {first})",
                     extra={"child": frame["CHILD"][dup].to_numpy(), "first": first_rows.reindex(keys).to_numpy()})
    if "REC" in frame.columns:
        open_rec = frame["DEC"].isna() & frame["REC"].ne("") & frame["DECOM"].notna()
        add_problems(problems, src, frame.index[open_rec], "REC", frame["REC"][open_rec], "REC without DEC",
                     "REC {value!r} is given but DEC is blank (an open episode has no reason for ending)")
        closed_norec = frame["DEC"].notna() & frame["REC"].eq("")
        add_problems(problems, src, frame.index[closed_norec], "REC", frame["REC"][closed_norec], "DEC without REC",
                     "REC is blank but DEC {dec!r} is given (a closed episode needs a reason)",
                     extra={"dec": raw_dec[closed_norec].to_numpy()})
    # overlaps: sort each child's episodes by start; the next one must not start before this one ends
    ok = frame[frame["DECOM"].notna() & ~dup].sort_values(["CHILD", "DECOM"], kind="stable")
    nxt_start = ok.groupby("CHILD", sort=False)["DECOM"].shift(-1)
    nxt_row = pd.Series(ok.index, index=ok.index).groupby(ok["CHILD"], sort=False).shift(-1)
    overlap = nxt_start.notna() & ok["DEC"].notna() & (ok["DEC"] > nxt_start)
    fmt = nxt_start.dt.strftime("%d/%m/%Y")
    add_problems(problems, src, ok.index[overlap], "DEC", ok["DEC"][overlap].dt.strftime("%d/%m/%Y"),
                 "overlapping episodes", "DEC {value!r} is after the start of the next episode of CHILD {child!r} "
                 "(DECOM {next!r}, row {nrow}): episodes overlap",
                 extra={"child": ok["CHILD"][overlap].to_numpy(), "next": fmt[overlap].to_numpy(),
                        "nrow": nxt_row[overlap].astype("Int64").to_numpy()})
    still_open = nxt_start.notna() & ok["DEC"].isna()
    add_problems(problems, src, ok.index[still_open], "DEC", ok["DEC"][still_open].astype("string").fillna(""),
                 "overlapping episodes", "DEC is blank (episode open) but CHILD {child!r} has a later episode "
                 "(DECOM {next!r}, row {nrow}): episodes overlap",
                 extra={"child": ok["CHILD"][still_open].to_numpy(), "next": fmt[still_open].to_numpy(),
                        "nrow": nxt_row[still_open].astype("Int64").to_numpy()})
    if "REC" in frame.columns:
        x1_last = ok["REC"].eq("X1") & ok["DEC"].notna() & nxt_start.isna()
        add_problems(problems, src, ok.index[x1_last], "REC", ok["REC"][x1_last], "X1 without next episode",
                     "REC 'X1' (a new episode follows) but CHILD {child!r} has no episode starting on DEC {dec!r}",
                     severity="warning", extra={"child": ok["CHILD"][x1_last].to_numpy(),
                                                "dec": ok["DEC"][x1_last].dt.strftime("%d/%m/%Y").to_numpy()})
        gap = nxt_start.notna() & ok["DEC"].notna() & (ok["DEC"] < nxt_start)
        nxt_rne = ok.groupby("CHILD", sort=False)["RNE"].shift(-1)
        gap_not_s = gap & nxt_rne.ne("S")
        add_problems(problems, src, ok.index[gap_not_s], "DEC", ok["DEC"][gap_not_s].dt.strftime("%d/%m/%Y"),
                     "gap between episodes", "DEC {value!r} leaves a gap before the next episode of CHILD {child!r} "
                     "(DECOM {next!r}, row {nrow}) whose RNE is not 'S' (a new period of care)", severity="warning",
                     extra={"child": ok["CHILD"][gap_not_s].to_numpy(), "next": fmt[gap_not_s].to_numpy(),
                            "nrow": nxt_row[gap_not_s].astype("Int64").to_numpy()})


def check_header(problems: list[dict[str, object]], src: RawTable, frame: pd.DataFrame) -> None:
    """Duplicate children, and a UASC column (not in the DfE layout, a model covariate) that is not 0 or 1."""
    dup = frame["CHILD"].duplicated(keep="first") & frame["CHILD"].ne("")
    first = frame.reset_index().drop_duplicates("CHILD").set_index("CHILD")["row"]
    add_problems(problems, src, frame.index[dup], "CHILD", frame["CHILD"][dup], "duplicate CHILD",
                 "CHILD {value!r} appears more than once (first at row {first})",
                 extra={"first": frame["CHILD"][dup].map(first).to_numpy()})
    if "UASC" in frame.columns:
        value = frame["UASC"]
        bad = value.ne("") & ~value.isin(_UASC_CODES)
        add_problems(problems, src, frame.index[bad], "UASC", value[bad], "unknown code",
                     "UASC {value!r} is not 0 or 1 (1: an unaccompanied asylum-seeking child); the models read "
                     "anything but 1 as not UASC")


def check_missing(problems: list[dict[str, object]], src: RawTable, frame: pd.DataFrame, raw: pd.DataFrame) -> None:
    """Report missing episodes that end before they start."""
    end_before = frame["MIS_END"].notna() & (frame["MIS_END"] < frame["MIS_START"])
    add_problems(problems, src, frame.index[end_before], "MIS_END", raw["MIS_END"][end_before],
                 "end before start", "MIS_END {value!r} is before MIS_START {start!r}",
                 extra={"start": raw["MIS_START"][end_before].to_numpy()})


def check_la_column(problems: list[dict[str, object]], src: RawTable, frame: pd.DataFrame, *,
                    la: str | None) -> None:
    """Check the episodes' ``LA`` column: English LAs, one LA per child, agreement with ``la`` (``--la``).

    ``la`` (an ONS code, already resolved) wins where both are given: each row whose ``LA`` names another LA is
    reported (a warning) so the conflict is counted.
    """
    import boundaries
    from geo.errors import UnknownAreaCodeError

    values = frame["LA"]
    given = values.ne("")
    resolved: dict[str, str | None] = {}
    for v in pd.unique(values[given]):
        try:
            resolved[v] = boundaries.resolve_la(v)
        except UnknownAreaCodeError:
            resolved[v] = None
    code = values.map(resolved)
    unknown = given & code.isna()
    add_problems(problems, src, frame.index[unknown], "LA", values[unknown], "unknown LA",
                 "LA {value!r} is not an English LA (an ONS code such as E08000007, a DfE number such as 356, or a "
                 "name)" + ("; --la is used instead" if la else "; the row's responsible LA is unknown"))
    if la is not None:
        other = given & code.notna() & code.ne(la)
        add_problems(problems, src, frame.index[other], "LA", values[other], "LA differs from --la",
                     f"LA {{value!r}} ({{code}}) differs from --la {la}; --la is used", severity="warning",
                     extra={"code": code[other].to_numpy()})
        return
    known = code.notna() & frame["CHILD"].ne("")
    per_child = code[known].groupby(frame["CHILD"][known]).transform("first")
    clash = per_child.ne(code[known])
    if clash.any():
        first_row = pd.Series(frame.index[known], index=frame.index[known]).groupby(
            frame["CHILD"][known]).transform("first")
        rows = clash[clash].index
        add_problems(problems, src, rows, "LA", values[rows], "CHILD under two LAs",
                     "CHILD {child!r} is under LA {value!r} here but under {other} at row {first}: one child has one "
                     "responsible LA", extra={"child": frame.loc[rows, "CHILD"].to_numpy(),
                                               "other": per_child[rows].to_numpy(),
                                               "first": first_row[rows].to_numpy()})


def cross_checks(tables: dict[str, pd.DataFrame | None], raws: dict[str, RawTable]) -> list[dict[str, object]]:
    """Check across tables: children without a header row, episodes before birth or at 18 and over."""
    problems: list[dict[str, object]] = []
    header = tables["header"]
    if header is None:
        return problems
    hname = raws["header"].file
    children = set(header["CHILD"])
    dob = header.drop_duplicates("CHILD").set_index("CHILD")["DOB"]
    episodes = tables["episodes"]
    if episodes is not None:
        src = raws["episodes"]
        orphan = ~episodes["CHILD"].isin(children) & episodes["CHILD"].ne("")
        add_problems(problems, src, episodes.index[orphan], "CHILD", episodes["CHILD"][orphan],
                     "CHILD not in header", f"CHILD {{value!r}} has episodes but no row in {hname}")
        born = episodes["CHILD"].map(dob)
        early = born.notna() & episodes["DECOM"].notna() & (episodes["DECOM"] < born)
        add_problems(problems, src, episodes.index[early], "DECOM",
                     episodes["DECOM"][early].dt.strftime("%d/%m/%Y"), "DECOM before DOB",
                     f"DECOM {{value!r}} is before the child's DOB {{dob!r}} in {hname}",
                     extra={"dob": born[early].dt.strftime("%d/%m/%Y").to_numpy()})
        age = (episodes["DECOM"] - born).dt.days / 365.25
        adult = age.ge(18).fillna(False).to_numpy()
        add_problems(problems, src, episodes.index[adult], "DECOM",
                     episodes["DECOM"][adult].dt.strftime("%d/%m/%Y"), "aged 18 or over",
                     f"DECOM {{value!r}} is {{age}} years after the child's DOB {{dob!r}} in {hname}: a child looked "
                     "after is under 18 (check the DOB)",
                     extra={"age": np.floor(age[adult]).astype(int).to_numpy(),
                            "dob": born[adult].dt.strftime("%d/%m/%Y").to_numpy()})
    missing = tables["missing"]
    if missing is not None:
        src = raws["missing"]
        orphan = ~missing["CHILD"].isin(children) & missing["CHILD"].ne("")
        add_problems(problems, src, missing.index[orphan], "CHILD", missing["CHILD"][orphan], "CHILD not in header",
                     f"CHILD {{value!r}} has missing episodes but no row in {hname}", severity="warning")
    return problems


def check_missing_in_episodes(episodes: pd.DataFrame, missing: pd.DataFrame, *, src: RawTable,
                              episodes_file: str) -> list[dict[str, object]]:
    """Report each missing episode whose MIS_START is inside no episode of that child (a warning).

    An episode covers DECOM to DEC, both days included (to today while open). A child with no episode at all is
    left to :func:`cross_checks` ("CHILD not in header") and to the models' count ("child not in episodes").
    Such a missing episode is not counted in any placement, and never widens the observation window.
    """
    problems: list[dict[str, object]] = []
    dated = missing.loc[missing["MIS_START"].notna() & missing["CHILD"].ne(""), ["CHILD", "MIS_START"]]
    ep = episodes.loc[episodes["DECOM"].notna() & episodes["CHILD"].ne(""), ["CHILD", "DECOM", "DEC"]]
    if dated.empty or ep.empty:
        return problems
    dated = dated[dated["CHILD"].isin(set(ep["CHILD"]))]
    pairs = dated.reset_index().merge(ep, on="CHILD", how="inner")
    inside = (pairs["DECOM"] <= pairs["MIS_START"]) & (pairs["DEC"].isna() | (pairs["MIS_START"] <= pairs["DEC"]))
    covered = inside.groupby(pairs["row"]).any()
    rows = covered.index[~covered.to_numpy()]
    if len(rows) == 0:
        return problems
    span = ep.groupby("CHILD").agg(first=("DECOM", "min"), last=("DEC", "max"), open=("DEC", lambda d: d.isna().any()))
    child = dated.loc[rows, "CHILD"]
    first = child.map(span["first"]).dt.strftime("%d/%m/%Y")
    last = child.map(span["last"]).dt.strftime("%d/%m/%Y").where(~child.map(span["open"]).astype(bool), "open")
    add_problems(problems, src, rows, "MIS_START", dated.loc[rows, "MIS_START"].dt.strftime("%d/%m/%Y"),
                 "MIS_START outside any episode",
                 f"MIS_START {{value!r}} is inside no episode of CHILD {{child!r}} in {episodes_file} (its episodes "
                 "run from {first} to {last}): not counted in any placement, and it does not widen the observation "
                 "window", severity="warning",
                 extra={"child": child.to_numpy(), "first": first.to_numpy(), "last": last.fillna("?").to_numpy()})
    return problems
