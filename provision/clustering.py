"""Regional concentration of children's homes (shares, HHI, Gini) and spatial clustering (Moran's I, LISA)."""

from __future__ import annotations

import logging
import warnings
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from geo import years
from geo.crs import check_bng
from geo.errors import InputError
from geo.settings import LA_VINTAGE
from provision import gaps as _gaps
from provision import homes as _homes

logger = logging.getLogger(__name__)

__all__ = [
    "DEFAULT_SEED", "LISA_LABELS", "concentration", "concentration_series", "region_shares", "gini", "hhi",
    "morans_i", "lisa", "spatial_clustering", "clustering_series",
]

DEFAULT_SEED = 20190627
"""Seed of the permutation tests (results are reproducible run to run)."""

LISA_LABELS = ("High-High", "Low-Low", "High-Low", "Low-High", "not significant")
_QUADRANTS = {1: "High-High", 2: "Low-High", 3: "Low-Low", 4: "High-Low"}


def hhi(values: pd.Series) -> float:
    """Herfindahl–Hirschman index of ``values`` (shares squared, summed, on the 0–10,000 scale).

    10,000 = everything in one unit; 10,000 / n = spread evenly over n units.
    """
    v = pd.Series(values, dtype=float).dropna()
    total = v.sum()
    if len(v) == 0 or total <= 0:
        raise InputError("hhi: needs at least one positive value")
    return float(((v / total * 100) ** 2).sum())


def gini(values: pd.Series) -> float:
    """Gini coefficient of non-negative ``values`` (0 = equal, → 1 = all in one unit)."""
    v = np.sort(pd.Series(values, dtype=float).dropna().to_numpy())
    if len(v) == 0 or v.sum() <= 0 or (v < 0).any():
        raise InputError("gini: needs non-negative values with a positive total")
    n = len(v)
    cum = np.cumsum(v)
    return float((n + 1 - 2 * (cum / cum[-1]).sum()) / n)


def region_shares(year: int) -> pd.DataFrame:
    """Each region's children's homes and places and its share of England's (%), ranked by homes.

    Indexed by ``region_code``: ``region_name``, ``homes``, ``places``, ``homes_share_pct``,
    ``places_share_pct``, ``rank_homes`` (1 = most).
    """
    reg = _homes.supply_by_region(year)
    out = reg[["region_name", "homes", "places"]].copy()
    out["homes_share_pct"] = (out["homes"].astype(float) / out["homes"].sum() * 100).round(2)
    places = out["places"].astype("Float64").astype(float)
    out["places_share_pct"] = (places / places.sum() * 100).round(2) if places.notna().any() else np.nan
    out["rank_homes"] = out["homes"].astype(float).rank(ascending=False, method="min").astype(int)
    out.attrs.update(reg.attrs)
    return out.sort_values("rank_homes")


def concentration(year: int) -> pd.DataFrame:
    """Concentration of children's-home supply in ``year``: one row, indexed by ``year``.

    Columns: ``top3_regions`` (names, by homes), ``top3_share_homes_pct``, ``london_share_homes_pct``,
    ``london_share_places_pct``, ``private_share_homes_pct``, ``hhi_regions_homes``, ``hhi_las_homes``,
    ``hhi_las_places`` (0–10,000), ``gini_las_homes``, ``gini_las_places`` (0–1; over the 2024 LAs with
    known counts), ``england_homes``, ``england_places``, ``source``.
    Places measures are NaN in 2015 (not published).
    """
    shares = region_shares(year)
    la = _homes.supply_by_la(year)
    top3 = shares.head(3)
    homes_la = la["homes"].astype("Float64").astype(float).dropna()
    places_la = la["places"].astype("Float64").astype(float).dropna()
    has_places = len(places_la) > 0
    row: dict[str, Any] = {
        "top3_regions": ", ".join(top3["region_name"]),
        "top3_share_homes_pct": round(float(top3["homes_share_pct"].sum()), 2),
        "london_share_homes_pct": float(shares.loc["E12000007", "homes_share_pct"]),
        "london_share_places_pct": float(shares.loc["E12000007", "places_share_pct"]),
        "private_share_homes_pct": round(float(la["homes_private"].sum() / la.attrs["england_homes"] * 100), 2)
        if la.attrs.get("unresolved_homes", 0) == 0 else round(float(
            _homes.read_children_homes(year)["sector"].eq("private").mean() * 100), 2),
        "hhi_regions_homes": round(hhi(shares["homes"]), 1),
        "hhi_las_homes": round(hhi(homes_la), 1),
        "hhi_las_places": round(hhi(places_la), 1) if has_places else np.nan,
        "gini_las_homes": round(gini(homes_la), 4),
        "gini_las_places": round(gini(places_la), 4) if has_places else np.nan,
        "england_homes": int(shares["homes"].sum()),
        "england_places": int(shares["places"].sum()) if has_places else np.nan,
        "source": la.attrs.get("source", ""),
    }
    return pd.DataFrame([row], index=pd.Index([year], name="year"))


def concentration_series(start: int, end: int) -> pd.DataFrame:
    """:func:`concentration` for every year from ``start`` to ``end`` (inclusive), one row a year."""
    years = _year_range(start, end)
    return pd.concat([concentration(y) for y in years])


def morans_i(gdf: gpd.GeoDataFrame, column: str, *, permutations: int = 999, seed: int = DEFAULT_SEED,
             contiguity: str = "queen") -> dict[str, float]:
    """Global Moran's I of ``column`` over polygons with contiguity weights (row-standardised).

    Parameters
    ----------
    gdf
        Polygons in EPSG:27700 (checked); rows with NaN in ``column`` or without neighbours are left out.
    column
        Numeric column.
    permutations
        Random permutations for the pseudo p-value (esda's ``p_sim``).
    seed
        Seed for the permutations (numpy global RNG, as esda uses it).
    contiguity
        ``"queen"`` (shared edge or corner) or ``"rook"`` (shared edge).

    Returns
    -------
    dict
        ``morans_i``, ``expected_i`` (−1/(n−1)), ``p_value`` (permutation, one-sided as esda reports it),
        ``z_score`` (against the permutation distribution), ``n`` (units used), ``islands`` (units left out
        for having no neighbours), ``permutations``, ``seed``.

    Raises
    ------
    CRSError
        If ``gdf`` is not in EPSG:27700.
    InputError
        If ``column`` is missing or fewer than 3 usable units remain.
    """
    w, data, islands = _weights(gdf, column, contiguity=contiguity)
    from esda.moran import Moran

    np.random.seed(seed)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # constant columns give 0/0 in esda's z-score
        m = Moran(data[column].to_numpy(dtype=float), w, permutations=permutations)
    return {"morans_i": float(m.I), "expected_i": float(m.EI), "p_value": float(m.p_sim) if permutations else
            float(m.p_norm), "z_score": float(m.z_sim) if permutations else float(m.z_norm), "n": int(m.n),
            "islands": len(islands), "permutations": permutations, "seed": seed}


def lisa(gdf: gpd.GeoDataFrame, column: str, *, permutations: int = 999, seed: int = DEFAULT_SEED,
         alpha: float = 0.05, contiguity: str = "queen") -> pd.DataFrame:
    """Local Moran's I (LISA) per unit: hot spots (High-High), cold spots (Low-Low) and outliers.

    Returns
    -------
    pandas.DataFrame
        Indexed like ``gdf``: ``lisa_i`` (local I), ``lisa_p`` (permutation pseudo p-value), ``lisa_quadrant``
        (quadrant of the Moran scatterplot, whatever the p-value), ``lisa_cluster`` (the quadrant where
        ``lisa_p < alpha``, else "not significant"; "no data" / "no neighbours" for units left out).
        p-values are not corrected for multiple testing (as in GeoDa); treat single LAs with care.
    """
    w, data, islands = _weights(gdf, column, contiguity=contiguity)
    from esda.moran import Moran_Local

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        # esda 2.x announces a future change of default; this version's Moran_Local has no `alternative`
        # argument, so its folded ("directed") pseudo p-value, as in GeoDa, is what we report.
        warnings.filterwarnings("ignore", message="The alternative hypothesis for conditional randomization",
                                category=DeprecationWarning)
        m = Moran_Local(data[column].to_numpy(dtype=float), w, permutations=permutations, seed=seed)
    out = pd.DataFrame(index=gdf.index)
    out["lisa_i"] = pd.Series(m.Is, index=data.index).reindex(gdf.index)
    out["lisa_p"] = pd.Series(m.p_sim, index=data.index).reindex(gdf.index)
    quadrant = pd.Series(m.q, index=data.index).map(_QUADRANTS)
    out["lisa_quadrant"] = quadrant.reindex(gdf.index)
    cluster = quadrant.where(pd.Series(m.p_sim, index=data.index) < alpha, "not significant")
    out["lisa_cluster"] = cluster.reindex(gdf.index)
    out.loc[out.index.isin(islands), "lisa_cluster"] = "no neighbours"
    out["lisa_cluster"] = out["lisa_cluster"].fillna("no data")
    return out


def spatial_clustering(year: int, *, column: str = "places_per_10k_children", permutations: int = 999,
                       seed: int = DEFAULT_SEED, alpha: float = 0.05) -> pd.DataFrame:
    """Moran's I and LISA hot/cold spots of a supply measure over England's 2024 LAs (queen contiguity).

    Parameters
    ----------
    year
        One of :data:`provision.homes.YEARS`; per-10,000 measures need the 0-17 population
        (:data:`provision.measures.CLUSTERING_YEARS`).
    column
        A column of :func:`provision.gaps.supply_gaps` (default places per 10,000 children aged 0-17).

    Returns
    -------
    pandas.DataFrame
        Indexed by ``la_code`` (153 LAs of 2024): ``la_name``, ``region_name``, the ``column`` values,
        ``lisa_i``, ``lisa_p``, ``lisa_quadrant``, ``lisa_cluster`` (one of :data:`LISA_LABELS`, or "no data" /
        "no neighbours": the Isles of Scilly and the Isle of Wight touch no other LA).
        ``.attrs``: ``morans_i``, ``p_value``, ``z_score``, ``expected_i``, ``n``, ``permutations``, ``seed``,
        ``column``, ``year``, ``weights`` ("queen contiguity of 2024 LA polygons, row-standardised").
    """
    import boundaries

    table = _gaps.supply_gaps(year)
    if column not in table.columns:
        raise InputError(f"unknown column {column!r} for clustering; choose one of "
                         f"{', '.join(c for c in table.columns if table[c].dtype.kind in 'fi')}")
    las = boundaries.load_las(year=LA_VINTAGE)
    gdf = las[["region_name", "geometry"]].join(table[["la_name", column]].astype({column: float}))
    if gdf[column].notna().sum() < 3:
        raise InputError(f"{column} is unknown for almost every LA in {year} (the 0-17 population behind "
                         f"per-10,000 measures is not in the staged files before {years.span('population_0_17')[0]}); "
                         "try another year or column='places'")
    glob = morans_i(gdf, column, permutations=permutations, seed=seed)
    local = lisa(gdf, column, permutations=permutations, seed=seed, alpha=alpha)
    out = pd.concat([gdf[["la_name", "region_name", column]], local], axis=1)
    out.attrs.update(glob)
    out.attrs.update({"column": column, "year": year, "alpha": alpha,
                      "weights": "queen contiguity of 2024 LA polygons, row-standardised"})
    logger.info("Moran's I %d %s = %.3f (p=%.3f)", year, column, glob["morans_i"], glob["p_value"])
    return out


def clustering_series(start: int, end: int, *, column: str = "places_per_10k_children", permutations: int = 999,
                      seed: int = DEFAULT_SEED) -> pd.DataFrame:
    """Global Moran's I and LISA counts for each year ``start``–``end``; one row a year.

    Years whose ``column`` cannot be computed (2014–2015 for per-10,000 measures) are kept with NaN and a
    ``note``.
    """
    rows = []
    for y in _year_range(start, end):
        try:
            res = spatial_clustering(y, column=column, permutations=permutations, seed=seed)
        except InputError as exc:
            rows.append({"year": y, "column": column, "note": str(exc)})
            continue
        counts = res["lisa_cluster"].value_counts()
        rows.append({"year": y, "column": column, "morans_i": res.attrs["morans_i"],
                     "p_value": res.attrs["p_value"], "z_score": res.attrs["z_score"], "n": res.attrs["n"],
                     **{f"n_{lab.lower().replace('-', '_').replace(' ', '_')}": int(counts.get(lab, 0))
                        for lab in LISA_LABELS},
                     "note": ""})
    return pd.DataFrame(rows).set_index("year")


# -- private helpers ------------------------------------------------------------------------------------------


def _year_range(start: int, end: int) -> list[int]:
    if start > end:
        raise InputError(f"--from {start} is after --to {end}")
    years = list(range(start, end + 1))
    bad = [y for y in years if y not in _homes.YEARS]
    if bad:
        raise InputError(f"no supply data for year {bad[0]}; available years: "
                         f"{_homes.YEARS[0]}–{_homes.YEARS[-1]}")
    return years


def _weights(gdf: gpd.GeoDataFrame, column: str, *, contiguity: str) -> tuple[Any, gpd.GeoDataFrame, list]:
    from libpysal.weights import Queen, Rook

    check_bng(gdf, name="gdf")
    if column not in gdf.columns:
        raise InputError(f"gdf has no column {column!r}")
    if contiguity not in {"queen", "rook"}:
        raise InputError(f"contiguity must be 'queen' or 'rook', got {contiguity!r}")
    data = gdf[gdf[column].notna()]
    cls = Queen if contiguity == "queen" else Rook
    w = cls.from_dataframe(data, use_index=True, silence_warnings=True)
    islands = list(w.islands)
    if islands:
        data = data.drop(index=islands)
        w = cls.from_dataframe(data, use_index=True, silence_warnings=True)
    if len(data) < 3:
        raise InputError(f"Moran's I needs at least 3 units with {column!r} and a neighbour; got {len(data)}")
    w.transform = "r"
    return w, data, islands
