"""What a run publishes about one LA's placement distances, suppressed once for the map, the figure and the CSV.

The distances map shows an LA grid (children by placement LA and straight-line band), its region totals and a
band table (placements by band, straight line and road, with totals). The figure draws the same LA counts and
the same bars, and ``tables/distance_bands.csv`` is the same band table. :func:`publish_distances` suppresses
all of them together, over every sum a reader can form between them, and every output renders its result: no
output hides a cell another shows.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd

from distance.straight import DISTANCE_BANDS
from geo.disclosure import SECONDARY_LABEL, SUPPRESSED_LABEL, publish_counts, suppress_cells_detail
from geo.errors import InputError
from maps.summary import BAND_COLUMNS, TOTAL_ROW, band_table

__all__ = ["DistancePublication", "publish_distances", "HIDDEN_LABELS"]

HIDDEN_LABELS = frozenset({SUPPRESSED_LABEL, SECONDARY_LABEL})
"""The labels of a hidden count."""


@dataclass(frozen=True)
class DistancePublication:
    """The publishable numbers of one LA's distances: each part as ``values`` (NaN where hidden) and ``labels``.

    Attributes
    ----------
    la_values, la_labels
        Indexed by placement LA; the count column (children placed there) and one column per band.
    region_values, region_labels
        The same, summed by region (``"outside England"`` for LAs without a polygon: never shown).
    bands
        The band table as published (:func:`maps.summary.band_table`'s layout: ``distance_band``, one text
        column per distance, ``counts``, and a :data:`maps.summary.TOTAL_ROW`), or None without a band summary.
    """

    la_values: pd.DataFrame
    la_labels: pd.DataFrame
    region_values: pd.DataFrame
    region_labels: pd.DataFrame
    bands: pd.DataFrame | None

    def band_labels(self) -> pd.DataFrame | None:
        """Return the band rows of :attr:`bands` indexed by band, one text column per distance (no total row)."""
        if self.bands is None:
            return None
        body = self.bands[self.bands["distance_band"] != TOTAL_ROW].set_index("distance_band")
        return body[[c for c in BAND_COLUMNS if c in body.columns]]


def publish_distances(by_la: pd.DataFrame, *, las: gpd.GeoDataFrame, bands: pd.DataFrame | None = None,
                      count: str = "children", band_columns: Sequence[str] = DISTANCE_BANDS) -> DistancePublication:
    """Suppress an LA's distances grid, its region totals and its band table together.

    Parameters
    ----------
    by_la
        From :func:`provision.flows.distances_by_la`: indexed by placement LA, ``count`` and a column per band.
    las
        LA polygons indexed by LA code (``region_name`` used when present); LAs of ``by_la`` without a polygon
        (Wales, Scotland) are not shown.
    bands
        The band summary of :func:`provision.flows.distances_by_la` (placements by band), or None.

    Notes
    -----
    The relations a reader can form: each LA's and each region's bands add up to its total; the LAs of a region
    add up to the region, per band and in total; the regions and the LAs of a band add up to its total in the
    band table; the bands of each distance add up to the table's published total. The LA cells count children
    and the band table placements (a child placed twice counts twice), so the last links are inequalities for
    a reader; treating them as equations hides at least as much. The band table starts from
    :func:`maps.summary.band_table`'s own suppression, so it hides everything that table alone would.
    """
    if count not in by_la.columns:
        raise InputError(f"distances: placements by LA have no {count!r} column; got {list(by_la.columns)}")
    cols = [count, *[b for b in band_columns if b in by_la.columns]]
    grid = by_la[cols].fillna(0)
    region_of = (las["region_name"].astype(str) if "region_name" in las.columns
                 else pd.Series("England", index=las.index)).reindex(grid.index).fillna("outside England")
    table = None
    if bands is not None:
        dist = [c for c in BAND_COLUMNS if c in bands.columns]
        if not dist:
            raise InputError(f"distances: the band summary has no distance column; expected {list(BAND_COLUMNS)}")
        table = bands[dist]
    la, reg, band = _suppress(grid, region_of=region_of, bands=table, drawn=grid.index.isin(las.index))
    published = None
    if bands is not None and band is not None:
        published = band_table(bands, labels=band)
    return DistancePublication(la_values=la["values"], la_labels=la["labels"], region_values=reg["values"],
                               region_labels=reg["labels"], bands=published)


def _suppress(grid: pd.DataFrame, *, region_of: pd.Series, bands: pd.DataFrame | None,
              drawn: np.ndarray) -> tuple[dict[str, pd.DataFrame], dict[str, pd.DataFrame], pd.DataFrame | None]:
    cols = list(grid.columns)
    total = cols[0]
    regions = grid.groupby(region_of.to_numpy()).sum()
    n_la, n_reg, n_col = len(grid), len(regions), len(cols)
    values = [grid.to_numpy(float).ravel(), regions.to_numpy(float).ravel()]

    def la_cell(i: int, j: int) -> int:
        return i * n_col + j

    def reg_cell(r: int, j: int) -> int:
        return n_la * n_col + r * n_col + j

    offset = (n_la + n_reg) * n_col
    band_cell: dict[tuple[str, str], int] = {}
    alone: list[np.ndarray] = []  # the cells the band table's own suppression hides beyond its small counts
    if bands is not None:
        own = band_table(bands).set_index("distance_band").drop(index=TOTAL_ROW)
        for c in bands.columns:
            for b in bands.index:
                band_cell[(c, str(b))] = offset + len(band_cell)
            values.append(bands[c].to_numpy(float))
            alone.append(own[c].reindex([str(b) for b in bands.index]).eq(SECONDARY_LABEL).to_numpy())
    v = np.concatenate(values)
    relations: list[list[int]] = []
    for i in range(n_la):
        relations.append([la_cell(i, j) for j in range(n_col)])
    for r in range(n_reg):
        relations.append([reg_cell(r, j) for j in range(n_col)])
    members = [[int(i) for i in np.flatnonzero(region_of.to_numpy() == reg)] for reg in regions.index]
    for j, col in enumerate(cols):
        for r, idx in enumerate(members):
            relations.append([reg_cell(r, j)] + [la_cell(i, j) for i in idx])
        relations.append([la_cell(i, j) for i in range(n_la)])
        relations.append([reg_cell(r, j) for r in range(n_reg)])
        if (("straight_line", str(col)) in band_cell) and col != total:
            b = band_cell[("straight_line", str(col))]
            relations.append([b] + [la_cell(i, j) for i in range(n_la)])
            relations.append([b] + [reg_cell(r, j) for r in range(n_reg)])
    if bands is not None:
        for c in bands.columns:
            relations.append([band_cell[(c, str(b))] for b in bands.index])
    unshown = np.zeros(len(v), dtype=bool)
    drawn = np.asarray(drawn, dtype=bool)
    unshown[:n_la * n_col] = np.repeat(~drawn, n_col)
    shown_regions = regions.index != "outside England"
    for r in np.flatnonzero(~shown_regions).tolist():
        unshown[reg_cell(r, 0):reg_cell(r, 0) + n_col] = True
    # a band whose LAs (or regions) are all 1 child each (or all 4), beside its published total, pins every one
    # of them (11 children over 11 LAs): that band's LA (region) detail is withheld outright, zeros too
    # (those of a region shown as 0 stay 0: the region gives them away; a withheld region withholds its LAs)

    def pins(cells: list[int], ok: np.ndarray) -> bool:
        vals = v[np.asarray(cells)][ok]
        nz = vals[vals > 0]
        return bool(len(nz) and (nz < 5).all() and (nz.sum() == len(nz) or nz.sum() == 4 * len(nz)))

    la_region = np.array([regions.index.get_loc(reg) for reg in region_of.to_numpy()], dtype=int)
    for j in range(1, n_col):
        reg_cells = [reg_cell(r, j) for r in range(n_reg)]
        la_cells = [la_cell(i, j) for i in range(n_la)]
        if pins(reg_cells, shown_regions):
            unshown[reg_cells] = True
            unshown[la_cells] = True
        elif pins(la_cells, drawn):
            region_zero = v[np.asarray(reg_cells)] == 0
            unshown[np.asarray(la_cells)[~region_zero[la_region]]] = True
    if alone:
        unshown[offset:] |= np.concatenate(alone)
    hidden, primary = suppress_cells_detail(v, relations, hidden=unshown, exact=True)

    def frame(block: slice, index: pd.Index, columns: list[str]) -> dict[str, pd.DataFrame]:
        h, p = hidden[block], primary[block]
        vals = np.where(h, v[block], np.nan_to_num(publish_counts(v[block]), nan=0.0))  # as published (cell key)
        text = np.where(p, SUPPRESSED_LABEL, np.where(h, SECONDARY_LABEL, vals.astype(int).astype(str)))
        shape = (len(index), len(columns))
        numbers = pd.DataFrame(np.where(h, np.nan, vals).reshape(shape), index=index, columns=columns)
        return {"values": numbers, "labels": pd.DataFrame(text.reshape(shape), index=index, columns=columns)}

    la_frames = frame(slice(0, n_la * n_col), grid.index, cols)
    reg_frames = frame(slice(n_la * n_col, offset), regions.index, cols)
    band_labels = None
    if bands is not None:
        band_frames = frame(slice(offset, len(v)), pd.Index(list(bands.columns)), [str(b) for b in bands.index])
        band_labels = band_frames["labels"].T
    return la_frames, reg_frames, band_labels
