"""CLI commands for the provision stage (found by the root command through the "farfromhome.commands" entry points)."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Annotated

import typer

from geo import years
from geo.cli_common import TableFormat, console, err_console, write_table
from geo.csvsafe import to_csv
from provision import headline as _headline
from provision import trends as _trends

logger = logging.getLogger(__name__)

__all__ = ["register"]

ATTRIBUTION = "Contains public sector information licensed under the Open Government Licence v3.0 (DfE; Ofsted)."

# Each command's years, default year and --help range come from the catalogue (geo.years): a new year of Ofsted or
# DfE data is a catalogue row, not an edit here. Defaults are None: the latest year, resolved when the command runs.
_SUPPLY = ("ofsted_providers",)
_DEMAND = ("dfe_cla_la", "la_boundaries")
_GAPS = (*_SUPPLY, *_DEMAND)
_LATEST = "default: the latest, {}"


def _year_help(*series: str, note: str = "") -> str:
    return (f"Year ending 31 March, {years.describe(*series)}{note}; "
            + _LATEST.format(years.latest(*series)) + ".")


YearOpt = Annotated[int | None, typer.Option("--year", help=_year_help(
    *_SUPPLY, note=" (Ofsted lists at 31 March; the 2014 list is at September 2014)"), show_default=False)]
DemandYearOpt = Annotated[int | None, typer.Option("--year", help=_year_help(*_DEMAND), show_default=False)]
GapsYearOpt = Annotated[int | None, typer.Option("--year", help=_year_help(*_GAPS), show_default=False)]
FormatOpt = Annotated[TableFormat | None, typer.Option(
    "--format", help="csv, parquet or json (default: from the --out suffix, else csv).")]
OutOpt = Annotated[Path | None, typer.Option("--out", help="Write the whole table here; without it, print it.")]


def supply_cmd(year: YearOpt = None, fmt: FormatOpt = None, out: OutOpt = None) -> None:
    """Children's homes and registered places per LA, region and England, by sector, with shares of England.

    Source: Ofsted's provider list at 31 March (provision type "Children's home", registered: active or
    suspended). 2018, 2023 and 2025 use the complete "Providers and places" list, whose totals equal
    Ofsted's published ones (2018: 2,124 homes, 9,430 places); other years use the provider-level list,
    which omits some homes not yet inspected. 2015 has no places. Homes are located by LA only (Ofsted
    redacts their addresses). LA codes are 2024's (153 LAs).
    """
    from provision import homes

    year = _year(year, *_SUPPLY)
    table = homes.supply_table(year)
    a = table.attrs
    err_console.print(f"source: {a['source']}")
    if a.get("published_england_homes"):
        err_console.print(f"this list has {a['england_homes']:,} children's homes; Ofsted published "
                          f"{a['published_england_homes']:,} homes and {a['published_england_places']:,} places "
                          f"at 31 March {year}" + ("" if a["england_homes"] == a["published_england_homes"] else
                                                   " (the provider-level list omits homes not yet inspected)"))
    _write(table, out, fmt, title=f"Children's homes and places, {year}")


def demand_cmd(year: DemandYearOpt = None, fmt: FormatOpt = None, out: OutOpt = None) -> None:
    """Children looked after per (responsible) LA: rate per 10,000, children's homes, flows, distance, missing.

    Columns: children_looked_after, population_0_17, cla_rate_per_10k, children_in_childrens_homes (secure and
    children's homes), chomes_outside_la(_pct) (DfE FOI, the years it covers), chomes_net_gain, outflow, inflow,
    net_gain, pct_over_20_miles_outside_la (straight-line miles, LAIT), pct_went_missing (LAIT). Suppressed
    or unpublished values are blank with the reason in missing_reasons, never zero.
    """
    from provision import demand

    year = _year(year, *_DEMAND)
    table = demand.demand_by_la(year)
    _write(table, out, fmt, title=f"Children looked after: demand by LA, {year}")


def gaps_cmd(year: GapsYearOpt = None, fmt: FormatOpt = None, out: OutOpt = None,
             regions: Annotated[bool, typer.Option("--regions", help="One row per region instead of per LA.")]
             = False) -> None:
    """Supply gaps per LA (or region): places per 10,000 children, self-sufficiency, net import, gap index, ranks.

    supply_gap_per_10k_children = (own children in secure and children's homes - registered places in the LA)
    / population aged 0-17 x 10,000. Positive = deficit, negative = surplus (gap_label).
    """
    from provision import gaps

    year = _year(year, *_GAPS)
    table = gaps.region_gaps(year) if regions else gaps.supply_gaps(year)
    if regions:
        for _, row in table.iterrows():
            console.print(f"{row['region_name']:<26} {row['gap_label']:<8} {row[gaps.GAP_INDEX]:+7.2f} per 10,000 "
                          f"children  (self-sufficiency {row['self_sufficiency_ratio']:.2f})", soft_wrap=True)
    _write(table, out, fmt, title=f"Supply gaps, {year}")


def clustering_cmd(
    year: YearOpt = None, fmt: FormatOpt = None, out: OutOpt = None,
    year_from: Annotated[int | None, typer.Option("--from", help="First year of a time series (with --to).")] = None,
    year_to: Annotated[int | None, typer.Option("--to", help="Last year of a time series (with --from).")] = None,
    permutations: Annotated[int, typer.Option(help="Permutations for the pseudo p-values.")] = 999,
    seed: Annotated[int, typer.Option(help="Random seed of the permutations.")] = 20190627,
) -> None:
    """Concentration (region shares, top-three share, HHI, Gini) and spatial clustering of places per child.

    One year: region shares, the concentration summary, global Moran's I and the LISA hot (High-High) and
    cold (Low-Low) spots of places per 10,000 children over 2024 LA polygons (queen contiguity, esda,
    seeded permutation p-values); --out writes the per-LA LISA table. With --from/--to: one row per year
    (concentration + Moran's I; per-10,000 measures need the 0-17 population, staged for fewer years).
    """
    from provision import clustering

    if (year_from is None) != (year_to is None):
        from geo.errors import InputError

        first, last = years.span(*_SUPPLY)
        raise InputError(f"give both --from and --to for a time series (e.g. --from {first} --to {last})")
    if year_from is not None and year_to is not None:
        conc = clustering.concentration_series(year_from, year_to)
        spatial = clustering.clustering_series(year_from, year_to, permutations=permutations, seed=seed)
        table = conc.join(spatial, how="left")
        _write(table, out, fmt, title=f"Concentration and clustering, {year_from}-{year_to}")
        return
    from geo.cli_common import print_table

    year = _year(year, *_SUPPLY)
    print_table(clustering.region_shares(year), title=f"Region shares of children's homes, {year}")
    print_table(clustering.concentration(year).T, title="Concentration")
    res = clustering.spatial_clustering(year, permutations=permutations, seed=seed)
    a = res.attrs
    console.print(f"Global Moran's I of {a['column']} = {a['morans_i']:.3f} (expected {a['expected_i']:.3f}), "
                  f"pseudo p = {a['p_value']:.3f} ({a['permutations']} permutations, seed {a['seed']}); "
                  f"{a['n']} LAs, {a['islands']} without neighbours; {a['weights']}.")
    counts = res["lisa_cluster"].value_counts()
    console.print("LISA: " + ", ".join(f"{k} {v}" for k, v in counts.items()))
    _write(res, out, fmt, title=f"LISA clusters of {a['column']}, {year}")


def headline_cmd(
    year: Annotated[int, typer.Option("--year", help=f"Year ending 31 March, {_headline.YEARS}: the inquiry's "
                                      f"figures for that year ({_headline.INQUIRY_YEAR}: its own year) beside the "
                                      "values computed here.")] = _headline.INQUIRY_YEAR,
    claims: Annotated[bool, typer.Option("--claims", help="Check every statement the inquiry made, at each end of "
                                         "each trend (2012, 2015, 2016, 2018), instead of one year's figures.")]
    = False,
    fmt: FormatOpt = None, out: OutOpt = None,
) -> None:
    """Print the 2019 inquiry's figures beside the values computed here, the published source and the difference.

    --year Y: each figure for year Y (see --year). For 2018 every row compares the inquiry's quoted figure; for
    other years a row compares the inquiry's figure where it quoted one for Y, else the publisher's own figure
    where the tool's differs (first-published vs revised DfE figures, Ofsted's published total vs the provider
    list), else shows the value alone.

    --claims: every statement (46% → 64% of children in children's homes placed outside their LA, 2,250 → 3,990
    such children, 22,430 → 28,050 placed out of area, 990 → 1,990 missing from out-of-area homes, the regions'
    and London's shares, LA-run homes, children looked after ...): the value at each end, the first-published
    figure where a revised one is used, the difference, and whether it holds within the stated tolerance, or
    why public data cannot reproduce it.

    Example: farfromhome headline --claims --out claims.csv
    """
    import pandas as pd

    from provision import headline

    if claims:
        table = headline.claims_table()
        if out is None:
            verdict = {"yes": "HOLDS", "no": "DOES NOT HOLD", "cannot be checked": "CANNOT BE CHECKED"}
            for row in table.itertuples():
                value = "" if pd.isna(row.computed) else f"; computed {_num(row.computed, row.unit)} {row.unit}"
                first = ("" if pd.isna(row.first_published) else
                         f" (first published {_num(row.first_published, row.unit)})")
                figure = "" if pd.isna(row.inquiry_figure) else f" {_num(row.inquiry_figure, row.unit)}"
                console.print(f"{verdict[row.holds]} {row.year}: {row.statement}: inquiry{figure}{value}{first}"
                              f"\n    {row.why}", soft_wrap=True, markup=False)
            err_console.print(f"Inquiry: {table.attrs['inquiry']}. {ATTRIBUTION}")
            return
        _write(table.set_index("claim"), out, fmt, title="The inquiry's claims")
        return
    table = headline.headline_figures(year)
    if out is None:
        for _, row in table.iterrows():
            if pd.isna(row["published"]):
                computed = ("not in the staged data" if pd.isna(row["computed"]) else
                            _num(row["computed"], row["unit"]))
                console.print(f"{row['description']}: {computed} {row['unit']} ({row['tolerance_reason']})\n"
                              f"    from: {row['computed_from']}", soft_wrap=True)
                continue
            ok = ("cannot be checked" if pd.isna(row["within_tolerance"]) else
                  "ok" if row["within_tolerance"] else "DIFFERS")
            computed = "not in the staged data" if pd.isna(row["computed"]) else _num(row["computed"], row["unit"])
            diff = "" if pd.isna(row["difference"]) else f"{row['difference']:+,.4g}; "
            console.print(f"{row['description']}: published {row['published']:,.6g} {row['unit']}, computed "
                          f"{computed} ({diff}{ok}, tolerance ±{row['tolerance']:g} {row['tolerance_reason']})\n"
                          f"    published: {row['published_source']}\n    computed from: {row['computed_from']}",
                          soft_wrap=True)
        err_console.print(f"Inquiry: {table.attrs['inquiry']}. {ATTRIBUTION}")
        return
    _write(table, out, fmt, title="Inquiry headline figures")


def trends_cmd(
    year_from: Annotated[int | None, typer.Option("--from", help=f"First year (ending 31 March), {_trends.YEARS[0]} "
                                                  "or later; default the first a staged file gives.",
                                                  show_default=False)] = None,
    year_to: Annotated[int | None, typer.Option("--to", help=f"Last year (ending 31 March), {_trends.YEARS[-1]} or "
                                                "earlier; default the latest a staged file gives.",
                                                show_default=False)] = None,
    level: Annotated[str, typer.Option("--level", help="national (England), region (the 9 regions) or la (local "
                                       "authorities, with the codes published for each year).")] = "national",
    measure: Annotated[list[str] | None, typer.Option(
        "--measure", metavar="M", help="Only this measure (repeatable); default all at the level. See the list "
        "below.")] = None,
    fmt: FormatOpt = None, out: OutOpt = None,
) -> None:
    """England over time: every figure the inquiry quoted, for every year the staged DfE and Ofsted files hold.

    One tidy long table in DfE's open-data conventions: time_period, geographic_level, area_code, area_name,
    measure, value, unit, published_or_computed, source (the file), note (revisions: other staged releases that
    differ; suppression: c, x, z, k kept as the reason, never 0). Later releases revise earlier years: the
    newest staged release is used. With --out, the years each measure lacks (and why) are written beside it as
    <out>_gaps.csv; a source file that is missing or malformed is named there, and every other measure still
    comes out. Without --out, a measure-by-year summary is printed.

    Measures: children_looked_after, cla_rate_per_10k, children_in_childrens_homes, chomes_outside_la(_pct),
    cla_outside_la(_pct), cla_over_20_miles_pct, chomes_over_20_miles_pct (straight line, DfE method),
    children_missing, missing_incidents, missing_incidents_inside_la / _outside_la,
    cla_independent_semi_independent (and _aged_16_17_pct, _outside_la_pct, _over_20_miles_pct), homes, places
    (Ofsted's published totals), homes_in_list, places_in_list (the provider list used),
    homes_share_nw_wm_se_pct, homes_share_london_pct, cla_share_london_pct, homes_private_pct, homes_la_run_pct,
    las_without_la_run_home; regions also homes_share_pct, places_share_pct, cla_share_pct.

    Example: farfromhome trends --level region --format csv --out trends.csv
    """
    from geo.cli_common import print_table, progress
    from provision import trends

    year_from = trends.YEARS[0] if year_from is None else year_from
    year_to = trends.YEARS[-1] if year_to is None else year_to
    with progress("Reading the staged DfE and Ofsted files", total=len(trends.SOURCE_KEYS)) as advance:
        table = trends.trends(year_from, year_to, level, measure, on_source=lambda _key: advance())
    gaps, failures = table.attrs["gaps"], table.attrs["failures"]
    for f in failures.itertuples():
        err_console.print(f"[yellow]left out[/yellow] {f.file} ({f.error}): {f.message}; measures without it: "
                          f"{f.measures} ({f.years})", soft_wrap=True)
    if out is None:
        wide = table.pivot_table(index="measure", columns="time_period", values="value", aggfunc="sum" if
                                 level != "national" else "first")
        print_table(wide.round(1), title=f"England over time, {year_from}-{year_to} ({level}; regions and LAs "
                    "summed)" if level != "national" else f"England over time, {year_from}-{year_to}")
        print_table(gaps.set_index("measure"), title="Years without a value, and why")
        err_console.print(ATTRIBUTION)
        return
    _write(table.set_index("time_period"), out, fmt, title="trends")
    gap_file = out.with_name(f"{out.stem}_gaps.csv")
    to_csv(gaps, gap_file, index=False)
    err_console.print(f"wrote {len(gaps)} gap rows to {gap_file}")


def register(app: typer.Typer) -> None:
    """Add this stage's commands to the root farfromhome app."""
    app.command("supply")(supply_cmd)
    app.command("demand")(demand_cmd)
    app.command("gaps")(gaps_cmd)
    app.command("clustering")(clustering_cmd)
    app.command("headline")(headline_cmd)
    app.command("trends")(trends_cmd)


def _year(year: int | None, *series: str) -> int:
    """Return ``year``, or the latest year the catalogue's ``series`` share when None (the library checks it)."""
    return years.latest(*series) if year is None else year


def _num(value: float, unit: str) -> str:
    """Format a figure as published: percentages to 1 dp, counts with thousands separators."""
    return f"{value:.1f}" if unit == "%" else f"{value:,.0f}" if float(value).is_integer() else f"{value:,.1f}"


def _write(table, out: Path | None, fmt: TableFormat | None, *, title: str) -> None:  # noqa: ANN001
    write_table(table, out, fmt, title=title)
    if out is not None:
        err_console.print(ATTRIBUTION)
