"""Postcode geography of the synthetic SSDA903 generator: unit postcodes in (district × LA) cells (SYNTHETIC)."""

from __future__ import annotations

import hashlib
import logging
import os
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd

from distance.straight import DFE_KM_PER_MILE, OVER_MILES, dfe_miles
from geo import years
from geo.settings import LA_VINTAGE

logger = logging.getLogger(__name__)

# -- geography --------------------------------------------------------------------------------------------
@dataclass
class Geography:
    east: np.ndarray  # unit postcodes of England with an LA, sorted by cell
    north: np.ndarray
    postcode: np.ndarray
    cell_la: np.ndarray  # per cell: LA index into la_codes
    cell_e: np.ndarray
    cell_n: np.ndarray
    cell_start: np.ndarray
    cell_count: np.ndarray
    la_codes: np.ndarray
    la_cells: list[np.ndarray]


def load_geography(year: int, codes: tuple[str, ...] = ()) -> Geography:
    """England's postcode cells with the LA codes of the vintage the published figures use (``codes``).

    DfE's file for a year may still use the previous codes (the 2025 release names Barnsley and Sheffield by
    their 2024 codes): of the year's vintage and :data:`geo.settings.LA_VINTAGE`, the one in force for the most
    of ``codes`` is used.
    """
    import boundaries
    from geo.catalogue import get_catalogue

    cat = get_catalogue()
    files = [f for f in cat.dataset("codepoint_open").files if f.path.endswith(".csv.gz")]
    digest = hashlib.sha256("".join(f.sha256 for f in files).encode()).hexdigest()[:12]
    lk = boundaries.la_lookup()
    candidates = dict.fromkeys((min(max(year, LA_VINTAGE), years.span("la_boundaries")[1]), LA_VINTAGE))

    def in_force(v: int) -> int:
        valid = set(lk.loc[(lk["first_year"] <= v) & (lk["last_year"] >= v), "la_code"])
        return sum(c in valid for c in codes)

    vintage = max(candidates, key=in_force)  # the first on a tie: the year's own vintage
    target = cat.settings.cache_dir / "derived" / f"synth_geography_{vintage}_{digest}.parquet"
    return _geography_cached(str(target), vintage)


@lru_cache(maxsize=2)
def _geography_cached(path: str, vintage: int) -> Geography:
    """England's unit postcodes grouped in (district × LA) cells; cached as parquet beside Code-Point's."""
    from geo.cache import read_verified_parquet

    table = read_verified_parquet(Path(path), lambda target: _build_geography(target, vintage),
                                  what="synthetic-geography cache")
    cell_id = table["cell"].to_numpy()
    east = table["easting"].to_numpy(dtype=float)
    north = table["northing"].to_numpy(dtype=float)
    la_cat = table["la"].astype("category")
    la_codes = np.asarray(la_cat.cat.categories, dtype=str)
    counts = np.bincount(cell_id)
    start = np.concatenate([[0], np.cumsum(counts)[:-1]])
    cell_la = la_cat.cat.codes.to_numpy()[start].astype(np.int64)
    cell_e = np.bincount(cell_id, weights=east) / counts
    cell_n = np.bincount(cell_id, weights=north) / counts
    la_cells = [np.flatnonzero(cell_la == i) for i in range(len(la_codes))]
    codes = table["postcode"].to_numpy(dtype=object)
    logger.debug("synthetic geography: %d unit postcodes in %d district x LA cells", len(east), len(counts))
    return Geography(east, north, codes, cell_la, cell_e, cell_n, start, counts, la_codes, la_cells)


def _build_geography(target: Path, vintage: int) -> None:
    import pyarrow as pa
    import pyarrow.compute as pc

    from geo.postcodes import ctyua_code_for_year, load_codepoint

    units = load_codepoint()
    keep = (units["country"].to_numpy() == "E") & units["ctyua_code"].notna().to_numpy() & (
        units["positional_quality"].to_numpy() <= 50)
    sub = units[keep]
    la = ctyua_code_for_year(sub["ctyua_code"].astype("string"), year=vintage).to_numpy().astype(str)
    postcode = pa.array(sub.index.to_numpy(dtype=object), type=pa.string())
    district = pc.utf8_slice_codeunits(postcode, 0, -4)  # the inward code is always 3 characters
    la_codes, la_idx = np.unique(la, return_inverse=True)
    dist_idx, dist_names = pd.factorize(pd.Series(district, dtype="string"))
    key = la_idx.astype(np.int64) * (len(dist_names) + 1) + dist_idx
    _, cell_id = np.unique(key, return_inverse=True)
    order = np.argsort(cell_id, kind="stable")
    frame = pd.DataFrame({
        "postcode": pd.Series(sub.index.to_numpy(dtype=object)[order], dtype="string"),
        "easting": sub["easting"].to_numpy()[order], "northing": sub["northing"].to_numpy()[order],
        "la": pd.Categorical(la[order], categories=la_codes), "cell": cell_id[order].astype(np.int32),
    })
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    frame.to_parquet(tmp, index=False)
    os.replace(tmp, target)
    logger.info("built the synthetic-geography cache %s (%d unit postcodes)", target, len(frame))


DECAY_SCALE_MILES = 5.0
"""Scale of the distance decay ``(1 + miles / DECAY_SCALE_MILES) ** -gamma`` (DfE straight-line miles)."""
DECAY_GAMMA: dict[tuple[int, bool], float] = {
    (0, True): 1.4, (0, False): 2.5,    # 20 miles or less: residential, other placements
    (1, True): 1.25, (1, False): 2.5,   # more than 20 miles
    (2, True): 1.0, (2, False): 2.0,    # distance not known (the hidden true distance; not calibrated)
}
"""Exponent of the decay by (DfE distance band, residential placement); bands 0 (<=20 miles), 1 (>20), 2 (not
known). Each LA's counts per band are its published ones; the exponents shape the distances within a band and
are calibrated so that England's distribution follows DfE's published banding (scripts/check_synth_distances.py)."""


def _gamma(band: np.ndarray, residential: np.ndarray) -> np.ndarray:
    """Return the decay exponent of each row (see :data:`DECAY_GAMMA`)."""
    table = np.array([[DECAY_GAMMA[(b, False)], DECAY_GAMMA[(b, True)]] for b in (0, 1, 2)])
    return table[band.astype(int), residential.astype(int)]


def place_children(geo: Geography, home_unit: np.ndarray, la: np.ndarray, inside: np.ndarray,
           band: np.ndarray, residential: np.ndarray, attract_res: np.ndarray, rng: np.random.Generator
           ) -> np.ndarray:
    """Draw a placement unit postcode (index into geo arrays) per row; see the module docstring."""
    n = len(home_unit)
    home_e, home_n = geo.east[home_unit], geo.north[home_unit]
    home_cell = np.searchsorted(geo.cell_start, home_unit, side="right") - 1
    result = np.full(n, -1, dtype=np.int64)
    attract_pop = geo.cell_count.astype(float)
    todo = np.arange(n)
    for attempt in range(12):
        if not len(todo):
            break
        relax = attempt >= 10  # give up on the band for the few impossible rows
        cells = np.full(len(todo), -1, dtype=np.int64)
        # inside: each LA's own cells (small dense blocks)
        ins = np.flatnonzero(inside[todo])
        for la_i in np.unique(la[todo[ins]]):
            rows = ins[la[todo[ins]] == la_i]
            own = geo.la_cells[la_i]
            cells[rows] = own[_draw(geo, todo[rows], own, home_e, home_n, band, residential, attract_pop,
                                    attract_res, relax, rng)]
        # outside: every other LA's cells, weights shared by rows from the same home cell
        out = np.flatnonzero(~inside[todo])
        if len(out):
            cells[out] = _draw_outside(geo, todo[out], home_cell, band, residential, attract_pop,
                                       attract_res, relax, rng)
        unit = geo.cell_start[cells] + np.floor(rng.random(len(todo)) * geo.cell_count[cells]).astype(np.int64)
        miles = dfe_miles(geo.east[unit], geo.north[unit], home_e[todo], home_n[todo])
        b = band[todo]
        fits = (b == 2) | ((b == 0) & (miles <= OVER_MILES)) | ((b == 1) & (miles > OVER_MILES)) | relax
        result[todo[fits]] = unit[fits]
        todo = todo[~fits]
    return result


def _draw_outside(geo: Geography, rows: np.ndarray, home_cells: np.ndarray,
                  band: np.ndarray, residential: np.ndarray, attract_pop: np.ndarray, attract_res: np.ndarray,
                  relax: bool, rng: np.random.Generator) -> np.ndarray:
    """Cell per row outside the row's LA; rows are grouped by home cell (weights use its centroid)."""
    home_cell = home_cells[rows]
    result = np.empty(len(rows), dtype=np.int64)
    n_cells = len(geo.cell_la)
    for res in (False, True):
        for b in (0, 1, 2):
            m = (residential[rows] == res) & (band[rows] == b)
            if not m.any():
                continue
            groups, inv = np.unique(home_cell[m], return_inverse=True)
            de = geo.cell_e[None, :].astype(np.float32) - geo.cell_e[groups][:, None].astype(np.float32)
            dn = geo.cell_n[None, :].astype(np.float32) - geo.cell_n[groups][:, None].astype(np.float32)
            miles = np.sqrt(de * de + dn * dn) / np.float32(1000 * DFE_KM_PER_MILE)
            x = 1 + miles / np.float32(DECAY_SCALE_MILES)
            attract = (attract_res if res else attract_pop).astype(np.float32)
            w = attract[None, :] * x ** np.float32(-DECAY_GAMMA[(b, res)])
            if not relax and b == 0:
                w[miles > 22] = 0
            elif not relax and b == 1:
                w[miles < 18] = 0
            w[geo.cell_la[None, :] == geo.cell_la[groups][:, None]] = 0
            empty = w.sum(axis=1) <= 0
            if empty.any():  # nothing in the band (rare): fall back to attraction × decay anywhere outside
                fb = attract[None, :] / (1 + miles[empty] / 5)
                fb[geo.cell_la[None, :] == geo.cell_la[groups[empty]][:, None]] = 0
                w[empty] = fb
            cum = np.cumsum(w, axis=1, dtype=np.float64)
            cum /= cum[:, -1:]
            flat = (cum + np.arange(len(groups))[:, None]).ravel()
            u = inv + rng.random(len(inv)) * 0.999999
            pos = np.searchsorted(flat, u, side="right") - inv * n_cells
            result[m] = np.clip(pos, 0, n_cells - 1)
    return result


def _draw(geo: Geography, rows: np.ndarray, cand: np.ndarray, home_e: np.ndarray, home_n: np.ndarray,
          band: np.ndarray, residential: np.ndarray, attract_pop: np.ndarray, attract_res: np.ndarray,
          relax: bool, rng: np.random.Generator, exclude_la: np.ndarray | None = None) -> np.ndarray:
    """Position in ``cand`` of one cell per row, weighted by attraction × distance decay within the band."""
    de = geo.cell_e[cand][None, :] - home_e[rows][:, None]
    dn = geo.cell_n[cand][None, :] - home_n[rows][:, None]
    miles = np.sqrt(de * de + dn * dn) / 1000 / DFE_KM_PER_MILE
    res = residential[rows][:, None]
    attract = np.where(res, attract_res[cand][None, :], attract_pop[cand][None, :])
    gamma = _gamma(band[rows], residential[rows])[:, None]
    w = attract * (1 + miles / DECAY_SCALE_MILES) ** -gamma
    b = band[rows][:, None]
    if not relax:  # a 2-mile margin: the unit postcode is checked exactly afterwards
        w = np.where((b == 0) & (miles > 22), 0.0, w)
        w = np.where((b == 1) & (miles < 18), 0.0, w)
    if exclude_la is not None:
        w = np.where(geo.cell_la[cand][None, :] == exclude_la[:, None], 0.0, w)
    total = w.sum(axis=1)
    empty = total <= 0
    if empty.any():  # no cell fits the band: nearest-feasible fallback on attraction alone
        fallback = attract[empty] * (1 + miles[empty] / 5) ** -1.0
        if exclude_la is not None:
            fallback = np.where(geo.cell_la[cand][None, :] == exclude_la[empty][:, None], 0.0, fallback)
        fallback = fallback + (fallback.sum(axis=1, keepdims=True) == 0) * 1.0
        w[empty] = fallback
        total = w.sum(axis=1)
    cum = np.cumsum(w, axis=1)
    u = rng.random(len(rows)) * total
    return np.minimum((cum < u[:, None]).sum(axis=1), len(cand) - 1)


def cell_reach(geo: Geography, cells: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For ``cells``: another LA's cell within 15 miles? its own LA's cell beyond 25 miles? (centroids)."""
    n = len(geo.cell_la)
    near_out = np.zeros(n)
    far_in = np.zeros(n)
    for chunk in np.array_split(cells, max(1, len(cells) // 512)):
        de = geo.cell_e[None, :] - geo.cell_e[chunk][:, None]
        dn = geo.cell_n[None, :] - geo.cell_n[chunk][:, None]
        miles = np.sqrt(de * de + dn * dn) / 1000 / DFE_KM_PER_MILE
        same = geo.cell_la[None, :] == geo.cell_la[chunk][:, None]
        near_out[chunk] = (np.where(same, np.inf, miles).min(axis=1) <= 15).astype(float)
        far_in[chunk] = (np.where(same, miles, 0).max(axis=1) >= 25).astype(float)
    return near_out, far_in


def residential_attraction(geo: Geography, targets: pd.DataFrame) -> np.ndarray:
    supply = targets.attrs.get("supply_places")
    if supply is None:
        return geo.cell_count.astype(float)
    la_places = supply.reindex(geo.la_codes).fillna(0.0).to_numpy() + 1.0  # every LA keeps a little pull
    la_units = np.bincount(geo.cell_la, weights=geo.cell_count, minlength=len(geo.la_codes))
    return la_places[geo.cell_la] * geo.cell_count / la_units[geo.cell_la]
