"""The commissioner's "my LA" report: one LA beside its ten DfE statistical neighbours, its region and England.

:func:`la_report` writes ``report.html`` (offline: figures are inline SVG, no script, no network) and
``report.pdf`` (A4 portrait, text at least 7 pt) and the tables behind them. Every number on the page carries
its source and year (``<data data-source=… data-year=…>``); child-level parts are suppressed aggregates and are
labelled SYNTHETIC when the data was generated.
"""

from __future__ import annotations

import html
import io
import logging
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import matplotlib
import pandas as pd
from matplotlib.backends.backend_pdf import PdfPages
from matplotlib.figure import Figure
from matplotlib.transforms import Bbox

import boundaries
from boundaries.neighbours import NEIGHBOURS_SOURCE
from geo.attribution import ATTRIBUTION
from geo.csvsafe import to_csv
from geo.disclosure import SYNTHETIC_LABEL
from geo.errors import InputError
from geo.settings import LA_VINTAGE
from maps import la_report_figures as figs
from maps.la_report_children import ChildPart, SurfaceWindow, child_part, surface_window
from maps.la_report_data import COMPARE, ROLE_LA, ROLE_NEIGHBOUR, CompareMeasure, Comparison, comparison, symbol_text
from maps.outputs import staged_output, write_run_json
from provision.flows import origin_column
from provision.homes import latest_complete_year
from provision.returns import ChildLevelData, synthetic_return

logger = logging.getLogger(__name__)

__all__ = ["la_report", "A4_IN", "SYNTHETIC_YEARS", "REPORT_HTML", "REPORT_PDF", "measure_year"]

A4_IN = (210 / 25.4, 297 / 25.4)
"""A4 portrait in inches (the PDF's page size)."""
SYNTHETIC_YEARS = range(2021, 2025)
"""Years :func:`provision.returns.synthetic_return` can generate."""
REPORT_HTML, REPORT_PDF = "report.html", "report.pdf"
_FIRST_YEAR = 2014
_NEAR_M = 30_000.0
_SUPPLY_SRC = "Ofsted children's homes at 31 March {year}, located by LA (public list)"


@dataclass
class _Report:
    comp: Comparison
    part: ChildPart | None
    window: SurfaceWindow
    las: gpd.GeoDataFrame
    year: int
    name: str
    notes: list[str]


def la_report(la: str | int, *, year: int | None = None, children: ChildLevelData | None = None,
              out: str | Path, synthetic: bool = True, seed: int = 7) -> Path:
    """Write the LA report (HTML, A4 PDF, CSV tables) into the folder ``out`` and return the HTML's path.

    Parameters
    ----------
    la
        The LA: ONS code, DfE number (``356``) or name (``"Stockport"``).
    year
        Year (31 March) of the comparisons, 2014-2025; default the latest year whose Ofsted list is complete.
        The time series run from 2014 to ``year``.
    children
        The LA's own located SSDA903 return (:func:`provision.returns.read_return`). Without it, the child-level
        parts (flows, distance bands, excess distance) use SYNTHETIC data for the LA, its region and its
        neighbours (labelled so everywhere), or, with ``synthetic=False``, say that they need a return.
    out
        Output folder, created or replaced whole (never half-written).
    seed
        Seed of the synthetic data.

    Returns
    -------
    pathlib.Path
        ``out/report.html`` (``out/report.pdf`` beside it).

    Raises
    ------
    UnknownAreaCodeError
        An LA that is not one of England's upper-tier LAs.
    InputError
        A year outside 2014-2025, or a return without the LA's children.

    Notes
    -----
    Distances are straight-line miles (DfE method) unless a column says road; maps are drawn in EPSG:27700.
    """
    t0 = time.perf_counter()
    year = latest_complete_year() if year is None else year
    if not isinstance(year, int) or not _FIRST_YEAR <= year <= 2025:
        raise InputError(f"--year {year!r}: the report's public figures cover {_FIRST_YEAR}-2025")
    code = boundaries.resolve_la(la, year=LA_VINTAGE)
    las = boundaries.load_las(year=LA_VINTAGE)
    comp = comparison(code, year=year, first_year=_FIRST_YEAR)
    notes = list(comp.notes)
    neighbours = [n.la_code for n in comp.neighbours]
    if children is None and synthetic:
        syn_year = min(max(year, SYNTHETIC_YEARS[0]), SYNTHETIC_YEARS[-1])
        region = las.index[las["region_code"] == las.loc[code, "region_code"]].tolist()
        children = synthetic_return(year=syn_year, seed=seed, las=sorted({code, *neighbours, *region}))
        notes.append(f"Child-level parts: SYNTHETIC data generated for {comp.la_name}, the other LAs of "
                     f"{comp.region_name} and its ten neighbours from DfE's {syn_year} LA-level figures (seed "
                     f"{seed}); not real children, not findings.")
    if children is not None and children.synthetic and not _has_children_of(children, code):
        notes.append(f"Child-level parts left out: the synthetic generator placed no child of {comp.la_name} "
                     f"(DfE publishes too few children looked after there).")
        children = None
    part = child_part(children, la=code, neighbours=neighbours, las=las, year=year) if children is not None else None
    if part is not None:
        notes += part.notes
    window = surface_window(code, las=las, year=year)
    rep = _Report(comp=comp, part=part, window=window, las=las, year=year, name=comp.la_name, notes=notes)
    with staged_output(Path(out)) as stage, matplotlib.rc_context(
            {"font.size": 7.5, "font.family": "DejaVu Sans", "svg.fonttype": "none", "pdf.fonttype": 42,
             "axes.titlesize": 8.5, "legend.fontsize": 7.5}):
        (stage / "tables").mkdir()
        _write_tables(rep, stage / "tables")
        charts = _charts(rep)
        (stage / REPORT_HTML).write_text(_html(rep, charts), encoding="utf-8")
        _pdf(rep, stage / REPORT_PDF)
        syn = part is not None and part.synthetic
        write_run_json(stage, settings={"LA": code, "LA name": comp.la_name, "year": year,
                                        "statistical neighbours": neighbours,
                                        "child-level data": "synthetic" if syn else ("your return" if part else "none"),
                                        "seed": seed if syn else None},
                       timings={"total": round(time.perf_counter() - t0, 1)}, synthetic=syn,
                       skipped=[] if part else [("child-level parts", "no return given (-e) and synthetic=False")])
    logger.info("LA report for %s (%d) written to %s", comp.la_name, year, out)
    return Path(out) / REPORT_HTML


def _has_children_of(children: ChildLevelData, la: str) -> bool:
    located = children.located
    return bool(located[origin_column(located)].astype(str).eq(la).any())


def measure_year(comp: Comparison, measure: str, year: int) -> int:
    """Return the latest year up to ``year`` in which the LA or one of its neighbours has a value of ``measure``."""
    t = comp.table
    t = t[(t["measure"] == measure) & t["role"].isin([ROLE_LA, ROLE_NEIGHBOUR]) & t["value"].notna()
          & (t["time_period"] <= year)]
    return int(t["time_period"].max()) if len(t) else year


# ------------------------------------------------------------------------------------------------- charts
_Chart = tuple[str, Callable[[Figure, tuple[float, float, float, float]], None], tuple[float, float], str, str]
"""(id, draw(figure), size in inches, caption, source line)."""


def _charts(rep: _Report) -> list[_Chart]:
    c = rep.comp
    out: list[_Chart] = []
    for m in COMPARE:
        y = measure_year(c, m.name, rep.year)
        draw = _one(lambda ax, m=m, y=y: figs.ranked_bars(ax, c, m, year=y), kind="rank")
        out.append((f"rank-{m.name}", draw, (7.1, 3.3),
                    f"{m.label}: {c.la_name} and its ten statistical neighbours, 31 March {y}; lines: "
                    f"{c.region_name} and England.", f"{_source_of(c, m)}; {NEIGHBOURS_SOURCE}. Year {y}."))
    for m in COMPARE:
        years = c.table.loc[(c.table["measure"] == m.name) & c.table["value"].notna(), "time_period"]
        span = f"{int(years.min())}-{int(years.max())}" if len(years) else "no year"
        draw = _one(lambda ax, m=m: figs.time_series(ax, c, m), kind="series", legend=True)
        out.append((f"series-{m.name}", draw, (7.1, 3.0),
                    f"{m.label}, {span}: {c.la_name}, the median and range of its ten neighbours (drawn where at "
                    f"least six have a value), {c.region_name} and England.", f"{_source_of(c, m)}. Years {span}."))
    if rep.part is not None:
        p = rep.part
        lab = " SYNTHETIC." if p.synthetic else ""
        out.append(("flows", _one(lambda ax: figs.flow_map(ax, p, la=c.la, las=rep.las), kind="map"), (7.1, 6.5),
                    f"Where {c.la_name}'s children are placed (out) and which LAs place children in it (in): every "
                    f"flow, numbered as in the tables; straight line between a point inside each LA.{lab}",
                    f"{p.source}; ONS boundaries.{_syn_year(rep)} Counts under 5 hidden."))
        out.append(("flows-near", _one(lambda ax: figs.flow_map(ax, p, la=c.la, las=rep.las, near_m=_NEAR_M),
                                       kind="map"), (7.1, 5.0),
                    f"The same flows near {c.la_name} (its bounds and {_NEAR_M / 1000:g} km around), labelled as in "
                    f"the tables.{lab}", f"{p.source}; ONS boundaries.{_syn_year(rep)} Counts under 5 hidden."))
        out.append(("bands", _one(lambda ax: figs.band_bars(ax, p), kind="bands"), (7.1, 2.4),
                    f"{c.la_name}'s placements by straight-line distance from home (DfE bands).{lab}",
                    f"{p.source}.{_syn_year(rep)} Counts under 5 suppressed."))
    w = rep.window
    out.append(("surface", _one(lambda ax: figs.surface_map(ax, w, la=c.la, las=rep.las), kind="surface"), (7.1, 5.6),
                f"Straight-line distance from each 1 km cell to the nearest children's-home place, around "
                f"{c.la_name} (31 March {w.year}).",
                f"Ofsted: {w.rule}. Year {w.year}. {ATTRIBUTION}"))
    return out


_MARGINS = {"rank": (0.3, 0.97, 0.85, 0.17), "series": (0.08, 0.74, 0.85, 0.1), "map": (0.01, 0.99, 0.99, 0.01),
            "bands": (0.16, 0.95, 0.95, 0.27), "surface": (0.01, 0.76, 0.99, 0.01)}
"""Axes position (left, right, top, bottom) of each kind of chart, as fractions of its figure."""


_Rect = tuple[float, float, float, float]
"""(left, bottom, width, height) as fractions of a figure."""


def _one(draw: Callable[..., None], *, kind: str, legend: bool = False) -> Callable[[Figure, _Rect], None]:
    """Wrap a chart so that it draws into one band ``rect`` of a figure (all of it for the HTML's SVG)."""
    def fig_draw(fig: Figure, rect: _Rect) -> None:
        left, right, top, bottom = _MARGINS[kind]
        x, y, w, h = rect
        ax = fig.add_axes((x + left * w, y + bottom * h, (right - left) * w, (top - bottom) * h))
        draw(ax)
        if legend:
            ax.legend(fontsize=7.5, loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)
    return fig_draw


def _svg(draw: Callable[[Figure, _Rect], None], size: tuple[float, float]) -> str:
    fig = Figure(figsize=size)
    draw(fig, (0.0, 0.0, 1.0, 1.0))
    buf = io.StringIO()
    fig.savefig(buf, format="svg", metadata={"Creator": "farfromhome", "Date": None})
    text = buf.getvalue()
    start = text.index("<svg")
    svg = text[start:]
    head, rest = svg.split(">", 1)
    head = head.replace(f'width="{size[0] * 72:g}pt"', "").replace(f'height="{size[1] * 72:g}pt"', "")
    import re

    head = re.sub(r'\s(width|height)="[^"]*"', "", head)
    return f'{head} role="img" preserveAspectRatio="xMidYMid meet">{rest}'


# --------------------------------------------------------------------------------------------------- HTML
def _num(text: str, *, value: object, source: str, year: int | str, note: str = "") -> str:
    """Return a number with its source and year as an HTML ``<data>`` element (how every number enters the page)."""
    title = f"Source: {source}; year {year}" + (f"; {note}" if note else "")
    v = "" if value is None or (isinstance(value, float) and math.isnan(value)) else str(value)
    return (f'<data value="{html.escape(v)}" data-source="{html.escape(source)}" data-year="{year}" '
            f'title="{html.escape(title)}">{html.escape(text)}</data>')


def _cell(row: pd.Series, m: CompareMeasure) -> str:
    v = row["value"]
    if pd.isna(v):
        sym = str(row["symbol"] or "x")
        return _num(sym, value=None, source=str(row["source"]), year=int(row["time_period"]),
                    note=f"{symbol_text(sym)}; {row['note']}".strip("; "))
    return _num(m.fmt.format(float(v)), value=round(float(v), 2), source=str(row["source"]),
                year=int(row["time_period"]), note=str(row["note"] or ""))


def _html(rep: _Report, charts: list[_Chart]) -> str:
    c, e = rep.comp, html.escape
    syn = rep.part is not None and rep.part.synthetic
    by_id = {cid: (draw, size, cap, src) for cid, draw, size, cap, src in charts}

    def figure(cid: str) -> str:
        draw, size, cap, src = by_id[cid]
        return (f'<figure id="fig-{cid}">{_svg(draw, size)}<figcaption><span class="def">{e(cap)}</span>'
                f'<span class="provenance"> Source: {e(src)}</span></figcaption></figure>')

    parts = [f"<header><h1>{e(c.la_name)}: children in care, where they are placed, and children's-home places"
             f"</h1><p class=\"sub\">Against its ten DfE statistical neighbours, {e(c.region_name)} and England, "
             f"<span class=\"provenance\">31 March {rep.year} (time series from {_FIRST_YEAR})</span></p>"]
    if syn:
        parts.append(f'<p class="synthetic" role="alert">{e(SYNTHETIC_LABEL)}: the sections marked SYNTHETIC use '
                     "generated child-level records, not real children.</p>")
    parts.append('<nav aria-label="Contents"><a href="#neighbours">Neighbours</a> <a href="#compare">Supply, '
                 'demand and gaps</a> <a href="#time">Over time</a> <a href="#placed">Where its children are '
                 'placed</a> <a href="#bands">Distance bands</a> <a href="#sufficiency">Sufficiency</a> '
                 '<a href="#sources">Sources</a> <a href="report.pdf">PDF (<span class="def">A4</span>)</a></nav>'
                 '</header><main>')
    # neighbours
    rows = "".join(f"<tr><td>{_num(str(n.rank), value=n.rank, source=NEIGHBOURS_SOURCE, year=2025)}</td>"
                   f'<td class="t">{e(n.la_name)}</td><td class="t">{e(n.closeness)}</td></tr>' for n in c.neighbours)
    parts.append(f'<section id="neighbours"><h2>Its ten statistical neighbours</h2><p>The LAs DfE judges most '
                 f'like {e(c.la_name)} (closest first), as used in LAIT and DfE\'s benchmarking tools.</p>'
                 f'<div class="scroll"><table><thead><tr><th scope="col">rank</th><th scope="col">LA</th>'
                 f'<th scope="col">DfE closeness</th></tr></thead><tbody>{rows}</tbody></table></div>'
                 f'<p class="provenance">Source: {e(NEIGHBOURS_SOURCE)}.</p></section>')
    # comparison table + ranked bars
    parts.append(f'<section id="compare"><h2>Supply, demand and gaps against its neighbours</h2>{_compare_table(rep)}')
    parts += [figure(f"rank-{m.name}") for m in COMPARE]
    parts.append('</section><section id="time"><h2>Over time</h2>')
    parts += [figure(f"series-{m.name}") for m in COMPARE]
    parts.append("</section>")
    parts.append(_placed_html(rep, figure))
    parts.append(_sufficiency_html(rep, figure))
    notes = "".join(f"<li>{e(n)}</li>" for n in rep.notes)
    parts.append(f'<section id="sources"><h2>Sources and notes</h2><ul class="provenance">{notes}'
                 f"<li>{e(ATTRIBUTION)}</li><li>Distances are straight-line miles (DfE method: grid distance between "
                 "postcode centroids, EPSG:27700) unless a column says otherwise.</li><li>Hover any number for its "
                 "source file, year and notes; the tables/ folder holds every number with its source, year and DfE "
                 "symbol.</li></ul></section></main>")
    title = f"{c.la_name}: my LA report ({rep.year})"
    return (f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" '
            f'content="width=device-width, initial-scale=1"><title>{e(title)}{" — SYNTHETIC" if syn else ""}</title>'
            f"<style>{_CSS}</style></head><body>{''.join(parts)}</body></html>")


def _compare_table(rep: _Report) -> str:
    c, e = rep.comp, html.escape
    years = {m.name: measure_year(c, m.name, rep.year) for m in COMPARE}
    head = "".join(f'<th scope="col">{e(m.label)} <span class="provenance">(31 March {years[m.name]})</span></th>'
                   for m in COMPARE)
    body = []
    for code in c.areas():
        cells = []
        name = role = ""
        for m in COMPARE:
            t = c.at(years[m.name])
            row = t[(t["area_code"] == code) & (t["measure"] == m.name)].iloc[0]
            name, role = str(row["area_name"]), str(row["role"])
            cells.append(f"<td>{_cell(row, m)}</td>")
        cls = ' class="me"' if code == c.la else ""
        body.append(f'<tr{cls}><th scope="row">{e(name)}<span class="role"> {e(role)}</span></th>{"".join(cells)}</tr>')
    return (f'<div class="scroll"><table class="compare"><thead><tr><th scope="col">area</th>{head}</tr></thead>'
            f'<tbody>{"".join(body)}</tbody></table></div><p class="provenance">Each number: hover for its source '
            "file and year. c suppressed, x not available, z not applicable (DfE symbols).</p>")


def _placed_html(rep: _Report, figure: Callable[[str], str]) -> str:
    e = html.escape
    if rep.part is None:
        need = ("<p>This part needs the LA's own SSDA903 return: run <code>farfromhome report --la "
                f"{e(rep.name)} -e episodes.csv --header header.csv -m missing.csv</code>.</p>")
        return (f'<section id="placed"><h2>Where its children are placed</h2>{need}</section>'
                f'<section id="bands"><h2>Distance bands</h2>{need}</section>')
    p = rep.part
    tag = ' <span class="syn">SYNTHETIC</span>' if p.synthetic else ""
    year = _data_year(rep)

    def flows_table(frame: pd.DataFrame, prefix: str, caption: str) -> str:
        rows = []
        for i, r in enumerate(frame.itertuples(), start=1):
            kids = _num(str(r.children_label), value=None if pd.isna(r.children) else int(r.children),
                        source=p.source, year=year, note="counts under 5 hidden")
            miles = ("" if pd.isna(r.straight_distance_miles) else
                     _num(f"{r.straight_distance_miles:,.1f}", value=r.straight_distance_miles,
                          source="ONS boundaries: straight line between a point inside each LA, EPSG:27700",
                          year=LA_VINTAGE))
            rows.append(f'<tr><td class="t key">{prefix}{i}</td><td class="t">{e(str(r.other_la_name))}</td>'
                        f"<td>{kids}</td><td>{miles}</td>"
                        "</tr>")
        if not rows:
            return f"<p>{e(caption)}: none in this data.</p>"
        return (f'<div class="scroll"><table><caption>{e(caption)}{tag}</caption><thead><tr><th scope="col">#</th>'
                '<th scope="col">LA</th><th scope="col">children</th><th scope="col">straight-line miles between '
                f'the LAs</th></tr></thead><tbody>{"".join(rows)}</tbody></table></div>')

    placed_out = f"Placed out: {rep.name}'s children in other LAs"
    placed_in = f"Placed in: other LAs' children in {rep.name}"
    flows = (f'<section id="placed"><h2>Where its children are placed{tag}</h2>{figure("flows")}{figure("flows-near")}'
             f'<div class="two">{flows_table(p.flows_out, "O", placed_out)}{flows_table(p.flows_in, "I", placed_in)}'
             '</div>'
             + "".join(f'<p class="provenance">{e(n)}</p>' for n in p.notes)
             + f'<p class="provenance">Source: {e(p.source)}.</p></section>')
    body = p.bands
    cols = [col for col in ("straight_line", "road") if col in body.columns]
    rows = "".join(f"<tr><th scope=\"row\" class=\"def\">{e(str(r['distance_band']))}</th>" + "".join(
        f"<td>{_num(str(r[col]), value=r[col] if str(r[col]).isdigit() else None, source=p.source, year=year)}</td>"
        for col in cols) + "</tr>" for _, r in body.iterrows())
    head = "".join(f'<th scope="col">{e(col.replace("_", "-"))} distance (miles)</th>' for col in cols)
    c = rep.comp
    m = next(x for x in COMPARE if x.name == "cla_over_20_miles_pct")
    bands = (f'<section id="bands"><h2>Distance bands{tag}</h2>{figure("bands")}<div class="scroll"><table>'
             f'<caption>{e(rep.name)}: placements by distance band ({e(str(body["counts"].iloc[0]))}){tag}</caption>'
             f'<thead><tr><th scope="col">band</th>{head}</tr></thead><tbody>{rows}</tbody></table></div>'
             f"<p>Against its neighbours (published DfE figure, real data): the share placed <span class=\"def\">over "
             f"20 miles</span> from home is in the chart <a href=\"#fig-rank-{m.name}\" class=\"def\">"
             f"{e(m.label)}</a>; the table above gives {e(c.la_name)}'s whole distribution from the child-level data."
             "</p></section>")
    return flows + bands


def _sufficiency_html(rep: _Report, figure: Callable[[str], str]) -> str:
    e = html.escape
    parts = ['<section id="sufficiency"><h2>Sufficiency: how much further than the nearest place</h2>']
    p = rep.part
    if p is None:
        parts.append("<p>Excess distance needs the LA's own return (see above).</p>")
    elif p.excess.empty:
        parts.append("<p>No children's-home placement (PLACE <code>K2</code>) of five or more in this data: no excess "
                     "distance.</p>")
    else:
        tag = ' <span class="syn">SYNTHETIC</span>' if p.synthetic else ""
        year = _data_year(rep)
        src = f"{p.source}; {_SUPPLY_SRC.format(year=rep.year)}"
        order = [rep.comp.la, *[n.la_code for n in rep.comp.neighbours]]
        t = p.excess.reindex([x for x in order if x in p.excess.index])
        rows = []
        for code, r in t.iterrows():
            cells = [_num(str(r["placements_label"]), value=None, source=src, year=year),
                     _fmt_num(r["median_excess_straight_miles"], "{:,.1f}", src, year),
                     _fmt_num(r["pct_over_20_miles_beyond"], "{:,.0f}", src, year)]
            cls = ' class="me"' if code == rep.comp.la else ""
            rows.append(f'<tr{cls}><th scope="row">{e(str(r["la_name"]))}</th>'
                        + "".join(f"<td>{x}</td>" for x in cells) + "</tr>")
        parts.append(f'<div class="scroll"><table><caption>Children\'s-home placements (<code>K2</code>): distance '
                     f"travelled beyond the nearest children's-home place, straight line{tag}</caption><thead><tr>"
                     '<th scope="col">LA</th><th scope="col">placements</th><th scope="col">median excess (miles)'
                     '</th><th scope="col">% more than 20 miles beyond the nearest place</th></tr></thead><tbody>'
                     f'{"".join(rows)}</tbody></table></div><p class="provenance">Places located by LA from '
                     f"Ofsted's public list ({e(p.excess['rule'].iloc[0])}); medians of fewer than 5 placements and "
                     "counts under 5 are not shown.</p>")
    parts.append(figure("surface"))
    parts.append("</section>")
    return "".join(parts)


def _fmt_num(v: object, fmt: str, source: str, year: int | str) -> str:
    if v is None or pd.isna(v):  # type: ignore[call-overload]
        return _num("c", value=None, source=source, year=year, note="fewer than 5 placements or hidden")
    return _num(fmt.format(float(v)), value=float(v), source=source, year=year)  # type: ignore[arg-type]


_CSS = """
body{font-family:system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;margin:0 auto;max-width:1100px;
padding:0 16px 40px;color:#1b1b1b;line-height:1.45}
h1{font-size:1.6rem;margin:.8em 0 .2em}h2{font-size:1.25rem;margin-top:1.6em;border-bottom:2px solid #b2182b}
.sub{margin:0 0 .6em;color:#444}.provenance{color:#555;font-size:.85rem}
nav{display:flex;flex-wrap:wrap;gap:.4em 1em;padding:.5em 0;border-bottom:1px solid #ddd}nav a{color:#0b5cad}
.synthetic{background:#fff3cd;border:2px solid #b58900;padding:.6em;font-weight:600}
.syn{background:#b58900;color:#fff;font-size:.75rem;padding:1px 5px;border-radius:3px;vertical-align:middle}
.scroll{overflow-x:auto;max-width:100%}table{border-collapse:collapse;margin:.6em 0;font-size:.9rem}
th,td{border-bottom:1px solid #ddd;padding:3px 8px;text-align:right;vertical-align:top}
th[scope=row],td.t{text-align:left}thead th{background:#f3f3f3;font-weight:600;text-align:left}
table.compare th[scope=col]{min-width:7em}caption{text-align:left;font-weight:600;padding:.3em 0}
tr.me{background:#fbe3e0;font-weight:600}.role{display:block;font-weight:400;color:#666;font-size:.8rem}
figure{margin:1.2em 0}figure svg{width:100%;height:auto;max-height:85vh;display:block}figcaption{font-size:.9rem}
.two{display:grid;grid-template-columns:repeat(auto-fit,minmax(300px,1fr));gap:1em}
data{cursor:help}a:focus,data:focus{outline:2px solid #0b5cad}
@media print{nav{display:none}}
"""


def _data_year(rep: _Report) -> int:
    if rep.part is not None and rep.part.synthetic:
        return min(max(rep.year, SYNTHETIC_YEARS[0]), SYNTHETIC_YEARS[-1])
    return rep.year


def _syn_year(rep: _Report) -> str:
    if rep.part is not None and rep.part.synthetic:
        return f" Generated from DfE's {_data_year(rep)} LA-level figures."
    return ""


def _source_of(c: Comparison, m: CompareMeasure) -> str:
    """Return a short source line for a measure's chart (cell titles and tables/comparison.csv name each file)."""
    import re

    srcs = " ".join(c.table.loc[(c.table["measure"] == m.name) & c.table["value"].notna(), "source"].unique())
    folders = sorted(set(re.findall(r"dfe_cla/([^/]+)/", srcs)))
    parts = ["Ofsted children's homes and places (provider lists)"] if "Ofsted" in srcs else []
    if folders:
        parts.append("DfE children looked after (" + ", ".join(f.replace("_", " ") for f in folders) + ")")
    if "population" in srcs:
        parts.append("ONS population 0-17 via DfE (computed per 10,000)")
    return "; ".join(parts) or "DfE"


# ---------------------------------------------------------------------------------------------------- PDF
def _pdf(rep: _Report, path: Path) -> None:
    """Write the report as A4 portrait pages (matplotlib PdfPages; text at least 7 pt)."""
    charts = {cid: (draw, size, cap, src) for cid, draw, size, cap, src in _charts(rep)}
    c = rep.comp
    syn = rep.part is not None and rep.part.synthetic
    pages: list[Figure] = []

    def page(title: str) -> Figure:
        fig = Figure(figsize=A4_IN)
        fig.text(0.07, 0.965, title, fontsize=12, fontweight="bold", va="top")
        foot = f"{c.la_name}: my LA report, 31 March {rep.year}. {ATTRIBUTION}"
        if syn:
            foot = f"{SYNTHETIC_LABEL}. " + foot
        fig.text(0.07, 0.02, _wrap(foot, 130), fontsize=7, va="bottom", color="#444444")
        fig.text(0.93, 0.02, f"page {len(pages) + 1}", fontsize=7, ha="right", va="bottom")
        pages.append(fig)
        return fig

    fig = page(f"{c.la_name}: children in care, placements and places")
    fig.text(0.07, 0.935, f"Against its ten DfE statistical neighbours, {c.region_name} and England; 31 March "
             f"{rep.year}, time series from {_FIRST_YEAR}.", fontsize=9, va="top")
    if syn:
        fig.text(0.07, 0.915, SYNTHETIC_LABEL + " (child-level parts)", fontsize=9, va="top", color="#8a6d00",
                 fontweight="bold")
    ax = fig.add_axes((0.07, 0.66, 0.86, 0.23))
    _table(ax, ["rank", "statistical neighbour", "DfE closeness"],
           [[str(n.rank), n.la_name, n.closeness] for n in c.neighbours], widths=[0.1, 0.55, 0.35],
           title=f"Source: {NEIGHBOURS_SOURCE}.")
    ax = fig.add_axes((0.07, 0.17, 0.86, 0.46))
    years = {m.name: measure_year(c, m.name, rep.year) for m in COMPARE}
    rows = []
    for code in c.areas():
        row = []
        for m in COMPARE:
            t = c.at(years[m.name])
            r = t[(t["area_code"] == code) & (t["measure"] == m.name)].iloc[0]
            row.append(m.fmt.format(float(r["value"])) if pd.notna(r["value"]) else str(r["symbol"]))
        rows.append([_short(str(r["area_name"]), 24), *row])
    short = ["CLA per\n10,000", "places per\n10,000", "supply gap\nper 10,000", "% CH\noutside LA",
             "% CLA\noutside LA", "% CLA over\n20 miles"]
    _table(ax, ["area", *[f"{s}\n({years[m.name]})" for s, m in zip(short, COMPARE, strict=True)]], rows,
           widths=[0.28, *[0.12] * 6], bold_row=0,
           title="Rows: the LA, its ten neighbours (closest first), region, England. CH children's homes; CLA "
           "children looked after; c suppressed, x not available. Sources: " + "; ".join(
               dict.fromkeys(_source_of(c, m) for m in COMPARE)) + ". Each value's file: tables/comparison.csv.")
    for kind, ids in (("ranked", [f"rank-{m.name}" for m in COMPARE]), ("series", [f"series-{m.name}"
                                                                                  for m in COMPARE])):
        for half in (ids[:3], ids[3:]):
            title = ("Against its neighbours, ranked" if kind == "ranked" else f"Over time, {_FIRST_YEAR}-{rep.year}")
            fig = page(title)
            for i, cid in enumerate(half):
                _place(fig, charts[cid], top=0.93 - i * 0.3, height=0.27)
    if rep.part is not None:
        fig = page("Where its children are placed" + (" (SYNTHETIC)" if syn else ""))
        _place(fig, charts["flows"], top=0.93, height=0.86)
        fig = page("Where its children are placed: near the LA, and distance bands" + (" (SYNTHETIC)" if syn else ""))
        _place(fig, charts["flows-near"], top=0.93, height=0.6)
        _place(fig, charts["bands"], top=0.3, height=0.2)
        p = rep.part
        for frame, prefix, label in ((p.flows_out, "O", f"Placed out: {c.la_name}'s children in other LAs"),
                                     (p.flows_in, "I", f"Placed in: other LAs' children in {c.la_name}")):
            rows = [[f"{prefix}{i}", _short(str(r.other_la_name), 30), str(r.children_label),
                     "" if pd.isna(r.straight_distance_miles) else f"{r.straight_distance_miles:,.1f}"]
                    for i, r in enumerate(frame.itertuples(), start=1)]
            for start in range(0, max(len(rows), 1), 60):
                fig = page(label + (" (SYNTHETIC)" if syn else ""))
                ax = fig.add_axes((0.07, 0.08, 0.86, 0.85))
                chunk = rows[start:start + 60] or [["", "none in this data", "", ""]]
                _table(ax, ["#", "LA", "children", "straight-line miles between the LAs"], chunk,
                       widths=[0.08, 0.47, 0.15, 0.3], title=f"Source: {p.source}. Counts under 5 hidden.",
                       rows_fit=61)
    fig = page("Sufficiency: how much further than the nearest place" + (" (SYNTHETIC)" if syn else ""))
    top = 0.93
    if rep.part is not None and not rep.part.excess.empty:
        ex = rep.part.excess
        order = [x for x in [c.la, *[n.la_code for n in c.neighbours]] if x in ex.index]
        rows = [[_short(str(ex.at[k, "la_name"]), 28), str(ex.at[k, "placements_label"]),
                 _f(ex.at[k, "median_excess_straight_miles"], "{:,.1f}"),
                 _f(ex.at[k, "pct_over_20_miles_beyond"], "{:,.0f}")] for k in order]
        ax = fig.add_axes((0.07, 0.62, 0.86, 0.31))
        _table(ax, ["LA", "K2 placements", "median excess (miles)", "% over 20 miles beyond"], rows,
               widths=[0.38, 0.16, 0.22, 0.24], bold_row=0 if order and order[0] == c.la else None,
               title=f"Source: {rep.part.source}; {_SUPPLY_SRC.format(year=rep.year)}. Straight line.")
        top = 0.57
    _place(fig, charts["surface"], top=top, height=min(0.5, top - 0.1))
    fig = page("Sources and notes")
    fig.text(0.07, 0.93, "\n\n".join(_wrap(n, 115) for n in [*rep.notes, ATTRIBUTION]), fontsize=8, va="top")
    with PdfPages(path, metadata={"Title": f"{c.la_name}: my LA report ({rep.year})", "Creator": "farfromhome",
                                  "Subject": "SYNTHETIC child-level parts" if syn else ""}) as pdf:
        for f in pages:
            pdf.savefig(f)


def _place(fig: Figure, chart: tuple[Callable[[Figure, _Rect], None], tuple[float, float], str, str], *, top: float,
           height: float) -> None:
    """Draw a chart into a band of an A4 page (``top`` and ``height`` as fractions), caption and source under it."""
    draw, _, cap, src = chart
    cap_h = 0.045
    draw(fig, (0.05, top - height + cap_h, 0.9, height - cap_h))
    fig.text(0.07, top - height + cap_h - 0.002, _wrap(f"{cap} Source: {src}", 135), fontsize=7, va="top",
             color="#333333")


def _table(ax: object, header: list[str], rows: Sequence[Sequence[str]], *, widths: list[float], title: str,
           bold_row: int | None = None, rows_fit: int | None = None) -> None:
    from matplotlib.axes import Axes

    assert isinstance(ax, Axes)
    ax.set_axis_off()
    n = max(len(rows), 1) + 1
    share = min(1.0, n / (rows_fit or max(n, 14)))
    tab = ax.table(cellText=[list(r) for r in rows] or [[""] * len(header)], colLabels=header, colWidths=widths,
                   loc="upper left", cellLoc="left", colLoc="left", edges="horizontal",
                   bbox=Bbox.from_bounds(0, 1 - share, 1, share))
    tab.auto_set_font_size(False)
    tab.set_fontsize(7.5)
    for (r, _), cell in tab.get_celld().items():
        cell.set_edgecolor("#cccccc")
        if r == 0:
            cell.set_text_props(fontweight="bold")
            cell.set_facecolor("#f0f0f0")
        elif bold_row is not None and r == bold_row + 1:
            cell.set_text_props(fontweight="bold", color=figs.LA_COLOUR)
    ax.text(0, -0.01, _wrap(title, 140), transform=ax.transAxes, fontsize=7, va="top", color="#444444")


def _f(v: object, fmt: str) -> str:
    return "c" if v is None or pd.isna(v) else fmt.format(float(v))  # type: ignore[call-overload, arg-type]


def _short(text: str, n: int) -> str:
    return text if len(text) <= n else text[:n - 1] + "…"


def _wrap(text: str, width: int) -> str:
    import textwrap

    return "\n".join(textwrap.fill(p, width) for p in text.split("\n"))


def _write_tables(rep: _Report, folder: Path) -> None:
    """Write the numbers behind the report, with source, year and DfE symbol (numbers stay numeric)."""
    c = rep.comp
    to_csv(c.table, folder / "comparison.csv", index=False)
    if rep.part is not None:
        p = rep.part
        prefix = "synthetic_" if p.synthetic else ""
        for name, frame in (("flows_out", p.flows_out), ("flows_in", p.flows_in)):
            shown = frame.assign(children=frame["children"].astype("Float64"),
                                 symbol=frame["children"].isna().map({True: "c", False: ""}),
                                 distance="straight line between a point inside each LA, miles")
            if p.synthetic:
                shown = shown.assign(data="SYNTHETIC")
            to_csv(shown.drop(columns="children_label"), folder / f"{prefix}{name}.csv", index=False)
        bands = p.bands.assign(data="SYNTHETIC") if p.synthetic else p.bands
        to_csv(bands, folder / f"{prefix}distance_bands.csv", index=False)
        if not p.excess.empty:
            ex = p.excess.assign(data="SYNTHETIC") if p.synthetic else p.excess
            to_csv(ex, folder / f"{prefix}excess_distance.csv")
