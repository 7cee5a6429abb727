"""CLI commands for the provision stage (found by the root command through the "farfromhome.commands" entry points)."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Annotated

import typer

from geo.cli_common import TableFormat, console, err_console, write_table

logger = logging.getLogger(__name__)

__all__ = ["register"]

ATTRIBUTION = "Contains public sector information licensed under the Open Government Licence v3.0 (DfE; Ofsted)."

YearOpt = Annotated[int, typer.Option("--year", help="Year ending 31 March, 2014-2025 (Ofsted lists at 31 March; "
                                                     "2014 is the September 2014 list).")]
FormatOpt = Annotated[TableFormat | None, typer.Option(
    "--format", help="csv, parquet or json (default: from the --out suffix, else csv).")]
OutOpt = Annotated[Path | None, typer.Option("--out", help="Write the whole table here; without it, print it.")]


def supply_cmd(year: YearOpt = 2024, fmt: FormatOpt = None, out: OutOpt = None) -> None:
    """Children's homes and registered places per LA, region and England, by sector, with shares of England.

    Source: Ofsted's provider list at 31 March (provision type "Children's home", registered: active or
    suspended). 2018, 2023 and 2025 use the complete "Providers and places" list, whose totals equal
    Ofsted's published ones (2018: 2,124 homes, 9,430 places); other years use the provider-level list,
    which omits some homes not yet inspected. 2015 has no places. Homes are located by LA only (Ofsted
    redacts their addresses). LA codes are 2024's (153 LAs).
    """
    from provision import homes

    table = homes.supply_table(year)
    a = table.attrs
    err_console.print(f"source: {a['source']}")
    if a.get("published_england_homes"):
        err_console.print(f"this list has {a['england_homes']:,} children's homes; Ofsted published "
                          f"{a['published_england_homes']:,} homes and {a['published_england_places']:,} places "
                          f"at 31 March {year}" + ("" if a["england_homes"] == a["published_england_homes"] else
                                                   " (the provider-level list omits homes not yet inspected)"))
    _write(table, out, fmt, title=f"Children's homes and places, {year}")


def demand_cmd(year: YearOpt = 2024, fmt: FormatOpt = None, out: OutOpt = None) -> None:
    """Children looked after per (responsible) LA: rate per 10,000, children's homes, flows, distance, missing.

    Columns: children_looked_after, population_0_17, cla_rate_per_10k, children_in_childrens_homes (secure and
    children's homes), chomes_outside_la(_pct) (DfE FOI 2014-2024), chomes_net_gain, outflow, inflow,
    net_gain, pct_over_20_miles_outside_la (straight-line miles, LAIT), pct_went_missing (LAIT). Suppressed
    or unpublished values are blank with the reason in missing_reasons, never zero.
    """
    from provision import demand

    table = demand.demand_by_la(year)
    _write(table, out, fmt, title=f"Children looked after: demand by LA, {year}")


def gaps_cmd(year: YearOpt = 2024, fmt: FormatOpt = None, out: OutOpt = None,
             regions: Annotated[bool, typer.Option("--regions", help="One row per region instead of per LA.")]
             = False) -> None:
    """Supply gaps per LA (or region): places per 10,000 children, self-sufficiency, net import, gap index, ranks.

    supply_gap_per_10k_children = (own children in secure and children's homes - registered places in the LA)
    / population aged 0-17 x 10,000. Positive = deficit, negative = surplus (gap_label).
    """
    from provision import gaps

    table = gaps.region_gaps(year) if regions else gaps.supply_gaps(year)
    if regions:
        for _, row in table.iterrows():
            console.print(f"{row['region_name']:<26} {row['gap_label']:<8} {row[gaps.GAP_INDEX]:+7.2f} per 10,000 "
                          f"children  (self-sufficiency {row['self_sufficiency_ratio']:.2f})", soft_wrap=True)
    _write(table, out, fmt, title=f"Supply gaps, {year}")


def clustering_cmd(
    year: YearOpt = 2024, fmt: FormatOpt = None, out: OutOpt = None,
    year_from: Annotated[int | None, typer.Option("--from", help="First year of a time series (with --to).")] = None,
    year_to: Annotated[int | None, typer.Option("--to", help="Last year of a time series (with --from).")] = None,
    permutations: Annotated[int, typer.Option(help="Permutations for the pseudo p-values.")] = 999,
    seed: Annotated[int, typer.Option(help="Random seed of the permutations.")] = 20190627,
) -> None:
    """Concentration (region shares, top-three share, HHI, Gini) and spatial clustering of places per child.

    One year: region shares, the concentration summary, global Moran's I and the LISA hot (High-High) and
    cold (Low-Low) spots of places per 10,000 children over 2024 LA polygons (queen contiguity, esda,
    seeded permutation p-values); --out writes the per-LA LISA table. With --from/--to: one row per year
    (concentration + Moran's I; per-10,000 measures need population, staged from 2016).
    """
    from provision import clustering

    if (year_from is None) != (year_to is None):
        from geo.errors import InputError

        raise InputError("give both --from and --to for a time series (e.g. --from 2014 --to 2025)")
    if year_from is not None and year_to is not None:
        conc = clustering.concentration_series(year_from, year_to)
        spatial = clustering.clustering_series(year_from, year_to, permutations=permutations, seed=seed)
        table = conc.join(spatial, how="left")
        _write(table, out, fmt, title=f"Concentration and clustering, {year_from}-{year_to}")
        return
    from geo.cli_common import print_table

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


def headline_cmd(year: YearOpt = 2018, fmt: FormatOpt = None, out: OutOpt = None) -> None:
    """Print the 2019 inquiry's headline figures beside the values computed here, the source and the difference."""
    from provision import headline

    table = headline.headline_figures(year)
    if out is None:
        for _, row in table.iterrows():
            ok = "ok" if row["within_tolerance"] else "DIFFERS"
            console.print(f"{row['description']}: published {row['published']:,.6g} {row['unit']}, computed "
                          f"{row['computed']:,.6g} ({row['difference']:+,.4g}; {ok}, tolerance ±{row['tolerance']:g}"
                          f" {row['tolerance_reason']})\n    published: {row['published_source']}\n"
                          f"    computed from: {row['computed_from']}", soft_wrap=True)
        err_console.print(f"Inquiry: {table.attrs['inquiry']}. {ATTRIBUTION}")
        return
    _write(table, out, fmt, title="Inquiry headline figures")


def register(app: typer.Typer) -> None:
    """Add this stage's commands to the root farfromhome app."""
    app.command("supply")(supply_cmd)
    app.command("demand")(demand_cmd)
    app.command("gaps")(gaps_cmd)
    app.command("clustering")(clustering_cmd)
    app.command("headline")(headline_cmd)


def _write(table, out: Path | None, fmt: TableFormat | None, *, title: str) -> None:  # noqa: ANN001
    write_table(table, out, fmt, title=title)
    if out is not None:
        err_console.print(ATTRIBUTION)
