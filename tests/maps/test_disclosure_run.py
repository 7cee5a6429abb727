"""Differencing attack on a whole 'farfromhome run': no suppressed count can be worked back out of what it publishes.

The return is built to have small cells: Stockport's synthetic children (SYN marker taken off) with the placements
50 miles or more away cut down to a handful (distance bands of 1-4 placements), a few home postcodes blanked and
placement postcodes made unknown, and a few rows whose LA column names another LA (data-quality counts of 1-4),
placed in many LAs with 1-4 children each (flows). The test reads every table the run writes (``tables/*.csv``,
``data_quality.csv``) and the data embedded in its HTML maps, and tries every subtraction of published numbers from
a total they belong to: within a table (column totals, "All" against its parts, band totals against the LAs), across
tables where the same total appears, and (for the exact totals) every combination at once, by linear programming
over the suppressed cells. The unsuppressed numbers (the truth) are taken from the run itself, where it computes them.

The supply, LA-level ecological, national missing and trends steps are left out: they publish only real public data,
nothing from the return.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from scipy.optimize import linprog
from typer.testing import CliRunner

from geo import disclosure
from geo.cli import app
from geo.disclosure import SECONDARY_LABEL, SUPPRESSED_LABEL, active_method, ptable
from maps import pipeline
from maps.outputs import QUALITY_FILE_COLUMNS
from maps.steps import StepOutput
from tests._own_return import own_tables

from .conftest import decoded

pytestmark = pytest.mark.slow  # one full run on a return of ~600 children (about 40 s)
runner = CliRunner()
HIDDEN = {SUPPRESSED_LABEL, SECONDARY_LABEL}
KEY = "disclosure run test key"  # the run's cell-key key (FARFROMHOME_DISCLOSURE_KEY)


def _support() -> dict[int, set[int]]:
    """For each true count the method may change (the ptable), the counts it may publish."""
    with disclosure.use_disclosure(disclosure.DisclosureMethod("cell-key", secret=KEY.encode())) as m:
        table = ptable(m, up_to=2000)
    return {int(n): set(g["published"].astype(int)) for n, g in table.groupby("count")}


SUPPORT = _support()


def bounds(shown: str) -> tuple[float, float]:
    """The least and greatest true count behind a published text, for a reader who knows the method (cell key)."""
    if shown == SUPPRESSED_LABEL:
        return 1.0, 4.0
    if shown == SECONDARY_LABEL:
        return 0.0, np.inf
    v = int(float(shown))
    if v == 0 or not active_method().perturbs:
        return float(v), float(v)
    possible = [n for n, published in SUPPORT.items() if v in published] or [v]
    return float(min(possible)), float(max(possible))


def cell_bounds(c: Cell) -> tuple[float, float]:
    """:func:`bounds` of a cell; an exact cell is its value."""
    return (float(c.value), float(c.value)) if c.exact and not c.hidden else bounds(c.shown)


def text_of(frame: pd.DataFrame, column: str, truth: pd.Series | None = None) -> pd.Series:
    """A CSV's column as the text a reader has: the number, or the label behind DfE's symbol "c".

    The CSVs write "c" for both small and secondary-suppressed counts; the maps say which, so the reader is given
    "fewer than 5" where the true count is 1-4 (``truth``), "suppressed" otherwise.
    """
    values = frame[column].astype(str)
    sym = f"{column}_symbol"
    if sym not in frame.columns:
        return values
    c = frame[sym].astype(str).eq("c")
    small = (truth.reindex(frame.index).between(1, 4) if truth is not None
             else pd.Series(False, index=frame.index))
    label = np.where(small.to_numpy(), SUPPRESSED_LABEL, SECONDARY_LABEL)
    return values.mask(c, pd.Series(label, index=frame.index)).str.replace(r"\.0$", "", regex=True)


# -- the run ---------------------------------------------------------------------------------------------------
@dataclass
class Run:
    out: Path
    truth: dict[str, Any] = field(default_factory=dict)


@pytest.fixture(scope="module", autouse=True)
def _cell_key_key() -> Iterator[None]:
    """The run's cell-key key (FARFROMHOME_DISCLOSURE_KEY), known to the test so that it can read the ptable."""
    mp = pytest.MonkeyPatch()
    mp.setenv(disclosure.KEY_ENV, KEY)
    yield
    mp.undo()


@pytest.fixture(scope="module")
def small_cells_return(mirror: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    from distance.road import road_distances
    from distance.straight import KM_PER_MILE
    from provision.placements import locate

    episodes, header, missing = own_tables().values()
    located = road_distances(locate(episodes, responsible_la="E08000007"), network="backbone")
    miles = (located["road_distance_km"] / KM_PER_MILE).fillna(located["straight_distance_miles"])  # as modelled
    far = episodes.loc[miles >= 50, "CHILD"]
    near_100 = episodes.loc[(miles >= 50) & (miles < 100), "CHILD"].drop_duplicates().iloc[:3]
    over_100 = episodes.loc[miles >= 100, "CHILD"].drop_duplicates().iloc[:2]
    drop = set(far) - set(near_100) - set(over_100)
    episodes, header, missing = (f[~f["CHILD"].isin(drop)].copy() for f in (episodes, header, missing))
    first = episodes.drop_duplicates("CHILD").index
    episodes.loc[first[:2], "HOME_POST"] = ""  # 2 episodes without a home point
    episodes.loc[first[2:5], "PL_POST"] = "ZZ9 9ZZ"  # 3 placements nowhere
    episodes.loc[first[5:8], "LA"] = "Manchester"  # 3 rows contradicting --la
    episodes.loc[first[8:10], "PL_POST"] = episodes.loc[first[8:10], "PL_POST"].str[:-2]  # 2 sectors only
    folder = tmp_path_factory.mktemp("small")
    for name, frame in (("episodes", episodes), ("header", header), ("missing", missing)):
        frame.to_csv(folder / f"{name}.csv", index=False)
    return folder


@pytest.fixture(scope="module")
def run(small_cells_return: Path, tmp_path_factory: pytest.TempPathFactory) -> Run:
    """'farfromhome run' on the small-cell return, recording the unsuppressed numbers as the run computes them."""
    mp = pytest.MonkeyPatch()
    result = Run(tmp_path_factory.mktemp("run") / "out")
    from maps.job import child, placements

    modules = {"write_quality": pipeline, "write_child_outputs": child, "placement_flows": placements,
               "distances_by_la": placements, "child_effect": child}
    real = {name: getattr(module, name) for name, module in modules.items()}

    def spy(name: str):  # type: ignore[no-untyped-def]
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            out = real[name](*args, **kwargs)
            result.truth[name] = (args, kwargs, out)
            return out
        return wrapper

    for name, module in modules.items():
        mp.setattr(module, name, spy(name))
    import geo.disclosure

    real_suppress = geo.disclosure.suppress_counts
    result.truth["suppress_counts"] = []

    def suppress_spy(frame: pd.DataFrame, **kwargs: Any) -> pd.DataFrame:  # the sufficiency tables' truth
        result.truth["suppress_counts"].append(frame.copy())
        return real_suppress(frame, **kwargs)

    mp.setattr(geo.disclosure, "suppress_counts", suppress_spy)
    steps = pipeline.STEPS
    for name in ("supply", "ecological", "trends", "national"):  # England's published figures only
        steps = pipeline.replace_step(name, lambda ctx: StepOutput(), steps=steps)
    mp.setattr(pipeline, "STEPS", steps)
    try:
        files = small_cells_return
        res = runner.invoke(app, ["run", "-e", str(files / "episodes.csv"), "--header", str(files / "header.csv"),
                                  "-m", str(files / "missing.csv"), "--la", "356", "--out", str(result.out),
                                  "--network", "backbone"])
        assert res.exit_code == 0, res.output
    finally:
        mp.undo()
    return result


# -- the attack -------------------------------------------------------------------------------------------------
@dataclass
class Cell:
    where: str
    shown: str  # the published text
    true: int
    exact: bool = False  # a number the run publishes exactly (a denominator), or one a reader is given

    @property
    def hidden(self) -> bool:
        return self.shown in HIDDEN

    @property
    def value(self) -> int:
        return int(float(self.shown))


@dataclass
class Relation:
    """``total`` = sum of ``parts`` (exact), or about it (``exact=False``: distinct children, a guess)."""

    name: str
    total: Cell
    parts: list[Cell]
    exact: bool = True


def attack(relations: list[Relation]) -> list[str]:
    """Every way a suppressed cell comes out, for a reader who knows the method: each published text bounds its
    true count (:func:`bounds`: exact under DfE's method; the ptable's range under the cell key; 1-4 for "fewer than
    5"), and the exact relations hold between the true counts. One linear programme per hidden cell (its least and
    greatest feasible value): a cell whose two meet is recovered. A relation that is only about right (distinct
    children) is used alone: its one hidden cell is recovered when the others pin it to the true value."""
    found = []
    for r in relations:
        unknown = [c for c in [r.total, *r.parts] if c.hidden]
        if len(unknown) == 1 and not r.exact:
            c = unknown[0]
            lo_t, hi_t = cell_bounds(r.total) if c is not r.total else (0.0, 0.0)
            lo_p = sum(cell_bounds(p)[0] for p in r.parts if p is not c)
            hi_p = sum(cell_bounds(p)[1] for p in r.parts if p is not c)
            lo, hi = ((lo_p, hi_p) if c is r.total else (lo_t - hi_p, hi_t - lo_p))
            if np.isfinite(hi) and round(lo) == round(hi) == c.true:
                found.append(f"{r.name}: {c.where} = {c.true} exactly by subtraction")
    exact = [r for r in relations if r.exact]
    cells: dict[int, Cell] = {}
    for r in exact:
        for c in [r.total, *r.parts]:
            cells[id(c)] = c
    if not any(c.hidden for c in cells.values()):
        return found
    order = list(cells)
    pos = {k: i for i, k in enumerate(order)}
    a_eq, b_eq = [], []
    for r in exact:
        row = np.zeros(len(order))
        for sign, c in [(1.0, r.total)] + [(-1.0, p) for p in r.parts]:
            row[pos[id(c)]] += sign
        if row.any():
            a_eq.append(row)
            b_eq.append(0.0)
    bnds = [(lo, None if not np.isfinite(hi) else hi) for lo, hi in (cell_bounds(cells[k]) for k in order)]
    for i, k in enumerate(order):
        if not cells[k].hidden:
            continue
        lo = linprog(np.eye(len(order))[i], A_eq=a_eq or None, b_eq=b_eq or None, bounds=bnds)
        hi = linprog(-np.eye(len(order))[i], A_eq=a_eq or None, b_eq=b_eq or None, bounds=bnds)
        assert lo.status in (0, 3) and hi.status in (0, 3), "the published numbers are inconsistent"
        if lo.status == 0 and hi.status == 0 and np.ceil(lo.fun - 1e-6) >= np.floor(-hi.fun + 1e-6):
            found.append(f"{cells[k].where} = {round(lo.fun)} from the published totals taken together")
    return found


def _cells(frame: pd.DataFrame, column: str, truth: pd.Series, where: str) -> dict[Any, Cell]:
    text = text_of(frame, column, truth)
    return {k: Cell(f"{where} {k!r} {column}", str(text.loc[k]), int(truth.loc[k])) for k in frame.index}


# -- tables -----------------------------------------------------------------------------------------------------
def test_every_table_is_read(run: Run) -> None:
    """The test covers what the run publishes from the return: a new table must be added to the attack."""
    tables = sorted(p.name for p in (run.out / "tables").glob("*.csv"))
    assert tables == ["distance_bands.csv", "effect_data_quality.csv", "effect_dose_response.csv",
                      "effect_inside_vs_outside_la.csv",
                      "effect_ps_balance.csv", "effect_rate_by_distance_band.csv", "effect_rate_ratios.csv",
                      "flows.csv", "plan_curve.csv", "plan_flows.csv", "plan_notes.csv", "plan_quality.csv",
                      "plan_sensitivity.csv", "plan_sites.csv", "plan_solver.csv", "plan_summary.csv",
                      "sufficiency_by_la.csv", "sufficiency_by_region.csv", "sufficiency_whatif.csv"]
    # the plan's tables are checked by tests/provision/test_plan.py (no site finer than a district, no small count)
    assert sorted(p.name for p in (run.out / "maps").glob("*.html")) == ["distances.html", "flows.html", "plan.html",
                                                                          "sufficiency.html"]



def test_every_csv_reads_as_numbers(run: Run) -> None:
    """DfE's open-data layout: no column mixes numbers with text; the symbols are in ``<column>_symbol``."""
    files = [run.out / "data_quality.csv", *sorted((run.out / "tables").glob("*.csv"))]
    for path in files:
        frame = pd.read_csv(path)
        for col in frame.columns:
            values = frame[col].dropna()
            numbers = pd.to_numeric(values.astype(str), errors="coerce")
            assert numbers.notna().all() or numbers.isna().all(), (path.name, col, values[numbers.isna()].head())
            if col.endswith("_symbol"):
                assert set(values.astype(str)) <= {"c", "x", "z", "k"}, (path.name, col)
                assert frame.loc[frame[col].notna(), col.removesuffix("_symbol")].isna().all(), (path.name, col)
    flows = pd.read_csv(run.out / "tables" / "flows.csv")
    assert pd.api.types.is_numeric_dtype(flows["children"]) and flows["children_symbol"].eq("c").sum() >= 10


def test_no_suppressed_count_recoverable_from_the_tables(run: Run) -> None:
    t = run.out / "tables"
    effect = run.truth["write_child_outputs"][0][0]
    truth_bands = effect.rate_table.set_index("distance_band")
    bands = pd.read_csv(t / "effect_rate_by_distance_band.csv", dtype=str, keep_default_na=False
                        ).set_index("distance_band")
    ratios = pd.read_csv(t / "effect_rate_ratios.csv")
    n_placements = int(ratios["n_placements"].iloc[0])
    low, high = bounds(str(n_placements))  # published by the cell key: about the number modelled
    assert low <= effect.n_placements <= high
    small = truth_bands.index[truth_bands["placements"] < 5]
    assert len(small) >= 2, "the return must have small distance bands"
    relations = []
    cells = _cells(bands, "placements", truth_bands["placements"], "band")
    assert all(cells[b].hidden for b in small)
    total = Cell("placements modelled", str(n_placements), effect.n_placements)
    relations.append(Relation("rate table: placements down the bands = placements modelled", total,
                              list(cells.values())))
    io = pd.read_csv(t / "effect_inside_vs_outside_la.csv", dtype=str, keep_default_na=False)
    truth_io = effect.inside_outside
    inside = text_of(io, "placements_inside", truth_io["placements_inside"])
    outside = text_of(io, "placements_outside", truth_io["placements_outside"])
    for i in io.index:
        relations.append(Relation(f"inside + outside ({io.loc[i, 'model_id']})", total, [
            Cell("inside", inside.loc[i], int(truth_io.loc[i, "placements_inside"])),
            Cell("outside", outside.loc[i], int(truth_io.loc[i, "placements_outside"]))]))
    for col in ("children", "missing_incidents", "placements_with_missing"):
        c = _cells(bands, col, truth_bands[col], "band")
        # their totals are not published; were they, no column may have exactly one hidden cell
        relations.append(Relation(f"rate table: {col} down the bands", Cell(f"all {col}", str(
            int(truth_bands[col].sum())), int(truth_bands[col].sum()), exact=True), list(c.values()),
            exact=col != "children"))
    found = attack(relations)
    assert not found, "recovered:\n" + "\n".join(found)
    # the statistics of a small band are blank: its median distance (one child's), days, rates and ratios
    for b in small:
        row = bands.loc[b]
        assert row[["placement_days", "median_distance_miles", "incidents_per_1000_days", "ci_low",
                    "ci_high"]].eq("").all(), row.to_dict()
        assert row[[f"{c}_symbol" for c in ("placements", "children", "missing_incidents",
                                            "placements_with_missing")]].eq("c").all()
        assert ratios.loc[ratios["term"].str.startswith(b), "ratio"].isna().all()
    dose = pd.read_csv(t / "effect_dose_response.csv")
    # the distances of the placements the run gave the models (the fitted models keep no data)
    miles = np.sort(run.truth["write_child_outputs"][1]["distances"].dropna().to_numpy(float))
    lo = dose["distance_miles"].min()
    assert len(dose) and lo >= max(miles[4], np.quantile(miles, 0.05)) and lo == round(lo)
    assert dose["distance_miles"].max() <= min(miles[-5], np.quantile(miles, 0.95))


def _quality_relations(frame: pd.DataFrame, truth: pd.DataFrame, where: str) -> list[Relation]:
    """Relations data_quality.csv states itself: each group of counts adds up to the total its ``out_of`` names."""
    text = text_of(frame, "rows", pd.Series(truth["rows"].to_numpy(), index=frame.index))
    cells = [Cell(f"{where} {r.stage} / {r.reason}", str(text.loc[i]), int(t)) for (i, r), t in
             zip(frame.iterrows(), truth["rows"], strict=True)]
    relations = []
    for (stage, out_of), idx in frame.groupby(["stage", "out_of"]).groups.items():
        parts = [cells[frame.index.get_loc(i)] for i in idx]
        m = re.fullmatch(r"the ([\d,]+) episodes", str(out_of))
        if m:
            n = int(m.group(1).replace(",", ""))
            relations.append(Relation(f"{stage}: {out_of}", Cell(out_of, str(n), n, exact=True), parts))
        elif out_of == "episodes with both postcodes located":
            both = frame.index[frame["reason"].str.startswith("both postcodes located")
                               & frame["stage"].str.startswith("locate")]
            relations.append(Relation(f"{stage}: {out_of}", cells[frame.index.get_loc(both[0])], parts))
    return relations


def test_no_suppressed_count_recoverable_from_data_quality(run: Run) -> None:
    published = pd.read_csv(run.out / "data_quality.csv", dtype=str, keep_default_na=False)
    assert list(published.columns) == QUALITY_FILE_COLUMNS
    assert pd.to_numeric(published["rows"].replace("", np.nan)).notna().sum() > 0  # numbers, DfE's symbols beside
    assert published["out_of"].ne("").all()  # every count says what it is counted among
    counts = run.truth["write_quality"][0][0]
    truth = pd.DataFrame([vars(c) for c in counts])
    assert published["reason"].tolist() == truth["reason"].tolist()
    assert truth["rows"].between(1, 4).sum() >= 3, "the return must have small data-quality counts"
    assert published.loc[truth["rows"].between(1, 4).to_numpy(), "rows_symbol"].eq("c").all()
    relations = _quality_relations(published, truth, "data_quality.csv")
    assert len(relations) >= 2  # all episodes; those located (by road status)
    found = attack(relations)
    assert not found, "recovered:\n" + "\n".join(found)
    # every subtraction of one published count from another: none pins a count from 1 to 4
    shown = published[published["rows_symbol"].ne("c")]
    span = {i: bounds(str(shown.loc[i, "rows"])) for i in shown.index}
    group_of = {r: g for g, rows in shown.groupby(["stage", "out_of"]).groups.items() for r in rows}
    for a in shown.index:
        for b in shown.index:
            lo, hi = span[a][0] - span[b][1], span[a][1] - span[b][0]
            assert not (group_of[a] != group_of[b] and lo == hi and 1 <= lo < 5), (
                f"{shown.loc[a, 'reason']} ({shown.loc[a, 'rows']}) - {shown.loc[b, 'reason']} "
                f"({shown.loc[b, 'rows']}) = {lo:g}")
    # the audit's case: road counts are among the located episodes, not beside the locate counts
    road = published[published["stage"].str.startswith("road")]
    assert set(road["out_of"]) == {"episodes with both postcodes located"}


# -- flows table and the HTML maps (the maps' layers are fixed in parallel: see the report) ---------------------------
def _geojson_layers(html: str) -> dict[str, list[dict[str, Any]]]:
    """Features of every GeoJSON layer, keyed by the layer's name in the layer control (or its variable)."""
    text = decoded(html)
    names = {var: name for name, var in re.findall(r'"([^"]+)"\s*:\s*((?:geo_json|feature_group)_[0-9a-f]+)', text)}
    parent = dict(re.findall(r"(geo_json_[0-9a-f]+)\.addTo\((feature_group_[0-9a-f]+)\)", text))
    layers: dict[str, list[dict[str, Any]]] = {}
    for var, body in re.findall(r"(geo_json_[0-9a-f]+)_add\((\{.*?\})\);\n", text, re.S):
        layer = names.get(var) or names.get(parent.get(var, ""), var)
        layers.setdefault(layer, []).extend(f["properties"] for f in json.loads(body).get("features", []))
    return layers


def test_no_suppressed_count_recoverable_from_flows_and_maps(run: Run) -> None:
    flows_truth = run.truth["placement_flows"][2]
    key = ["home_la", "pl_la", "placement_type"]
    truth = flows_truth.set_index(key)["children"]
    table = pd.read_csv(run.out / "tables" / "flows.csv", dtype=str, keep_default_na=False).set_index(key)
    assert {"home_la_name", "pl_la_name"} <= set(table.columns)  # names beside the codes
    table["children"] = text_of(table, "children", truth)
    shown = table["children"][~table["children"].isin(HIDDEN)]
    assert (shown != truth.reindex(shown.index).astype(str)).any(), "the run publishes counts perturbed (cell key)"
    assert all(bounds(v)[0] <= truth[k] <= bounds(v)[1] for k, v in shown.items())
    assert table["children"].isin([SUPPRESSED_LABEL]).sum() >= 10, "the return must place few children in many LAs"
    relations = []
    for (home, pl), part in table.groupby(level=["home_la", "pl_la"]):
        cells = {t: Cell(f"flows {home}->{pl} {t}", part.loc[(home, pl, t), "children"],
                         int(truth[(home, pl, t)])) for t in part.index.get_level_values("placement_type")}
        if "All placements" in cells and len(cells) > 1:
            relations.append(Relation(f"flows {home}->{pl}: All vs types", cells.pop("All placements"),
                                      list(cells.values()), exact=False))
    # the maps: every number they show must be the table's, and the distances map's totals must hold
    # the flow map's page draws its flows from one table of rows [home, pl, type, label, published count, miles]
    page = decoded((run.out / "maps" / "flows.html").read_text(encoding="utf-8"))
    found = re.search(r"window\.ffhFlows\(\w+, ffh_chrome, (\{.*?\}), ffh_flow_groups", page)
    assert found is not None, "the flow map's data was not found: this check must read it"
    data = json.loads(found.group(1))
    assert len(data["rows"]) >= 10
    for home, pl, kind, label, _count, _miles in data["rows"]:
        shown = table.loc[(home, pl, data["types"][kind]), "children"]
        assert label == shown or label in HIDDEN, (home, pl, label, shown)
    args, kwargs, (by_la, bands) = run.truth["distances_by_la"]
    dist_html = _geojson_layers((run.out / "maps" / "distances.html").read_text(encoding="utf-8"))
    band_names = {f"Placed {b} away (straight line)": b for b in bands.index}
    grid: dict[str, dict[str, Cell]] = {}
    for layer, features in dist_html.items():
        col = "children" if layer == "All placements" else band_names.get(layer)
        if col is None:
            continue
        for f in features:
            if f.get("la_code") in by_la.index:
                label = "0" if f["children"] == "none" else f["children"]
                grid.setdefault(f["la_code"], {})[col] = Cell(f"distances {f['la_code']} {col}", label,
                                                              int(by_la.loc[f["la_code"], col]))
    page = decoded((run.out / "maps" / "distances.html").read_text(encoding="utf-8")).replace('\\"', '"')
    table_html = re.search(r'<table class="ffh-bands">(.*?)</table>', page, re.S)
    assert table_html is not None
    band_total = {}
    for label, value in re.findall(r"<tr><td>([^<]+)</td><td>([^<]+)</td>", table_html.group(1)):
        if label in bands.index:
            band_total[label] = Cell(f"band total {label}", value, int(bands.loc[label, "straight_line"]))
    for la, row in grid.items():
        relations.append(Relation(f"distances {la}: All vs bands", row["children"],
                                  [c for k, c in row.items() if k != "children"], exact=False))
    for b, total in band_total.items():
        relations.append(Relation(f"distances band {b}: total vs LAs", total,
                                  [row[b] for row in grid.values() if b in row], exact=False))
    found = attack(relations)
    assert not found, "recovered:\n" + "\n".join(found)


def test_no_suppressed_count_recoverable_from_sufficiency(run: Run) -> None:
    """The sufficiency tables (children's-home placements beyond the nearest place): LA rows add up to their
    region's, over + within 20 miles beyond add up to the placements, and the what-if's after = before + change."""
    t = run.out / "tables"
    counts = ["placements", "over_20_miles_beyond", "within_20_miles_beyond"]
    truths = [f for f in run.truth["suppress_counts"] if "over_20_miles_beyond" in f.columns]
    by_la_truth = next(f for f in truths if "la_code" in f.columns or f.index.name == "la_code")
    by_la_truth = by_la_truth.set_index("la_code") if "la_code" in by_la_truth.columns else by_la_truth
    by_la = pd.read_csv(t / "sufficiency_by_la.csv", dtype=str, keep_default_na=False).set_index("la_code")
    by_region = pd.read_csv(t / "sufficiency_by_region.csv", dtype=str, keep_default_na=False).set_index(
        "region_code")
    region_truth = by_la_truth.groupby("region_code")[counts].sum()

    def label(frame: pd.DataFrame, key: str, col: str, true: int = -1) -> str:
        if f"{col}_label" in frame.columns:
            return str(frame.loc[key, f"{col}_label"])
        if frame.loc[key, f"{col}_symbol"] if f"{col}_symbol" in frame.columns else "":
            return SUPPRESSED_LABEL if 1 <= true <= 4 else SECONDARY_LABEL
        return str(frame.loc[key, col]).removesuffix(".0")

    relations = []
    la_cells = {(la, c): Cell(f"sufficiency {la} {c}", label(by_la, la, c, int(by_la_truth.loc[la, c])),
                              int(by_la_truth.loc[la, c])) for la in by_la.index for c in counts}
    for la in by_la.index:
        relations.append(Relation(f"sufficiency {la}: placements = over + within", la_cells[(la, "placements")],
                                  [la_cells[(la, "over_20_miles_beyond")], la_cells[(la, "within_20_miles_beyond")]]))
    for region in by_region.index:
        cells = {c: Cell(f"sufficiency region {region} {c}", label(by_region, region, c,
                                                                    int(region_truth.loc[region, c])),
                         int(region_truth.loc[region, c])) for c in counts}
        relations.append(Relation(f"sufficiency region {region}: placements = over + within", cells["placements"],
                                  [cells["over_20_miles_beyond"], cells["within_20_miles_beyond"]]))
        for c in counts:
            parts = [la_cells[(la, c)] for la in by_la.index if by_la.loc[la, "region_code"] == region]
            relations.append(Relation(f"sufficiency region {region} {c} = its LAs", cells[c], parts))
    whatif = pd.read_csv(t / "sufficiency_whatif.csv", dtype=str, keep_default_na=False).set_index("scenario")
    if {"before", "after", "change"} <= set(whatif.index):
        w = {k: Cell(f"what-if {k} within_20_miles", label(whatif, k, "within_20_miles"), -1)
             for k in ("before", "after", "change")}
        relations.append(Relation("what-if: after = before + change", w["after"], [w["before"], w["change"]]))
    found = attack(relations)
    assert not found, "recovered:\n" + "\n".join(found)
