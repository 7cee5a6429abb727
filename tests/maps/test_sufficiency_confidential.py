"""Home locations are confidential: no output built from a homes list lets a home be placed within 2 km."""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import rasterio
from typer.testing import CliRunner

from geo.cli import app

runner = CliRunner()
N_HOMES = 6


@pytest.fixture(scope="module")
def secret(mirror, tmp_path_factory) -> tuple[Path, pd.DataFrame]:
    """A constructed homes list: real Stockport postcodes, each over 2.5 km from every chosen district's centroid."""
    from geo.postcodes import load_codepoint, load_districts

    cp = load_codepoint()
    districts = load_districts()
    units = cp[(cp["ctyua_code"] == "E08000007").to_numpy() & (cp["positional_quality"] <= 10).to_numpy()]
    order = np.random.default_rng(1).permutation(len(units))
    chosen: list[str] = []
    for i in order:
        pc = units.index[i]
        trial = chosen + [pc]
        d = [p.split(" ")[0] for p in trial]
        if len(set(d)) < len(d):
            continue
        xy = units.loc[trial, ["easting", "northing"]].to_numpy(float)
        cen = districts.loc[d, ["easting", "northing"]].to_numpy(float)
        if np.hypot(xy[:, None, 0] - cen[None, :, 0], xy[:, None, 1] - cen[None, :, 1]).min() > 2500:
            chosen = trial
        if len(chosen) == N_HOMES:
            break
    assert len(chosen) == N_HOMES
    homes = units.loc[chosen, ["easting", "northing"]].astype(float).assign(urn=[f"SC90{i}" for i in range(N_HOMES)])
    rows = pd.DataFrame({
        "Local authority": "Stockport", "URN": homes["urn"].to_numpy(), "Provider type": "Children's home",
        "Provider subtype": "Children's home", "Registration status": "Active", "Placement code": "K2",
        "Setting address postcode": chosen, "Number of registered places": [3, 4, 5, 6, 7, 8],
        "Emotional and behavioural difficulties": ["Yes"] * N_HOMES,
        "Learning difficulty": ["Yes", "No", "Yes", "No", "No", "No"], "Mental disorders": "No",
    })
    path = tmp_path_factory.mktemp("secret") / "ofsted_providers.ods"
    with pd.ExcelWriter(path, engine="odf") as writer:
        rows.to_excel(writer, sheet_name="Providers", index=False)
    return path, homes.set_index(pd.Index(chosen, name="postcode"))


@pytest.fixture(scope="module")
def outputs(secret, tmp_path_factory) -> Path:
    """Every output the tool writes from the homes list (CLI and the report section), in one folder."""
    import boundaries
    from maps import interactive, static
    from maps.sufficiency import sufficiency_report
    from provision import placements, synth

    book, homes = secret
    out = tmp_path_factory.mktemp("outputs")
    data = synth.generate(year=2024, seed=11, las=["356"])
    eps = data.episodes.copy()
    k2 = eps["PLACE"].eq("K2").to_numpy()
    eps.loc[k2, "URN"] = np.resize(homes["urn"].to_numpy(), int(k2.sum()))  # placed in the secret homes
    eps.loc[k2, "PL_POST"] = np.resize(homes.index.to_numpy(), int(k2.sum()))
    eps.to_csv(out / "input_episodes.csv", index=False)
    cli = [
        ["excess", "-p", str(out / "input_episodes.csv"), "--homes-list", str(book), "--out", str(out / "excess.csv"),
         "--figure", str(out / "excess.svg"), "--map", str(out / "excess.html")],
        ["surface", "--homes-list", str(book), "--resolution", "5000", "--out", str(out / "surface.tif"),
         "--map", str(out / "surface.html")],
        ["whatif", "--la", "356", "--add-places", "3", "-p", str(out / "input_episodes.csv"), "--homes-list",
         str(book), "--out", str(out / "whatif.csv")],
    ]
    for args in cli:
        result = runner.invoke(app, ["sufficiency", *args])
        assert result.exit_code == 0, result.output
        (out / f"console_{args[0]}.txt").write_text(result.output)
    from provision.homes_list import read_homes_list

    las = boundaries.load_las(year=2024)
    rep = sufficiency_report(placements.locate(eps), focus_la="356", las=las, homes_list=read_homes_list(book))
    for name, frame in rep.tables().items():
        frame.to_csv(out / f"report_{name}.csv")
    interactive.save_map(rep.map, out / "report_map.html")
    static.save_figure(rep.figure, out / "report_figure.svg")
    (out / "report_summary.txt").write_text("\n".join(rep.summary + rep.notes))
    (out / "input_episodes.csv").unlink()  # the user's own input, not an output
    return out


def test_refused_outputs(secret, tmp_path):
    book, _ = secret
    for args, message in (
            (["surface", "--homes-list", str(book), "--resolution", "4999", "--out", str(tmp_path / "s.tif")],
             "a surface built from a confidential homes list must have cells of at least 5,000 m"),
            (["excess", "--la", "356", "--homes-list", str(book), "--out", str(tmp_path / "e.csv"),
              "--placements-out", str(tmp_path / "rows.csv")], "--placements-out is refused with --homes-list")):
        result = runner.invoke(app, ["sufficiency", *args])
        assert result.exit_code == 1 and message in result.output
    assert not any(tmp_path.iterdir())


def _texts(folder: Path) -> dict[str, str]:
    texts = {p.name: p.read_text(encoding="utf-8") for p in folder.iterdir() if p.suffix in (".csv", ".html", ".svg",
                                                                                                ".txt")}
    with rasterio.open(folder / "surface.tif") as src:
        texts["surface.tif tags"] = repr(src.tags()) + repr([src.tags(i) for i in (1, 2)])
    return texts


def test_no_output_names_a_home_s_postcode_or_sector(secret, outputs):
    _, homes = secret
    texts = _texts(outputs)
    assert {"excess.csv", "excess_regions.csv", "excess_quality.csv", "excess.html", "excess.svg", "surface.html",
            "whatif.csv", "report_map.html"} <= set(texts)
    for name, text in texts.items():
        flat = re.sub(r"\s+", "", text.upper())
        for pc in homes.index:
            sector = pc[:-2]
            assert pc.replace(" ", "") not in flat, (name, pc)
            assert f"{sector}\u0020" not in text.upper() and f"'{sector.replace(' ', '')}'" not in flat, (name, sector)


def test_no_point_markers_and_no_table_of_homes_or_placements(outputs):
    for page in ("excess.html", "surface.html", "report_map.html"):
        html = (outputs / page).read_text()
        assert not re.search(r"L\.marker|L\.circleMarker|L\.circle\(|\"type\": \"Point\"", html), page
    for csv in outputs.glob("*.csv"):
        table = pd.read_csv(csv)
        bad = [c for c in table.columns if re.search(r"easting|northing|postcode|urn|child|latitude|longitude", c,
                                                     re.I)]
        assert not bad, (csv.name, bad)
    by_la = pd.read_csv(outputs / "excess.csv", index_col="la_code")
    assert list(by_la.index) == ["E08000007"]  # one aggregate row: the LA, never a placement
    assert (by_la["placements"] >= 5).all()
    quality = pd.read_csv(outputs / "excess_quality.csv")
    assert set(quality.columns) <= {"stage", "reason", "rows", "data", "rows_label", "rows_symbol"}


def _trilaterate(band: np.ndarray, transform, res: float) -> np.ndarray:
    """The attack: points on which the distances of at least 4 cells agree (to 5 m).

    Every cell says "the nearest place is ``d`` km from my centre". The circles of each triple of cells near the
    surface's low values meet in at most one point (a linear solve); a point that a fourth cell agrees with is
    where the surface's distances were measured to.
    """
    from itertools import combinations

    rows, cols = np.nonzero(np.isfinite(band) & (band < 15))
    x = transform.c + (cols + 0.5) * res
    y = transform.f - (rows + 0.5) * res
    d = band[rows, cols].astype(float) * 1000.0
    i, j, k = np.array(list(combinations(range(len(x)), 3))).T
    a = np.stack([np.c_[2 * (x[j] - x[i]), 2 * (y[j] - y[i])], np.c_[2 * (x[k] - x[i]), 2 * (y[k] - y[i])]], axis=1)
    b = np.c_[d[i] ** 2 - d[j] ** 2 + x[j] ** 2 - x[i] ** 2 + y[j] ** 2 - y[i] ** 2,
              d[i] ** 2 - d[k] ** 2 + x[k] ** 2 - x[i] ** 2 + y[k] ** 2 - y[i] ** 2]
    ok = np.abs(np.linalg.det(a)) > 1e-6
    p = np.linalg.solve(a[ok], b[ok][..., None])[..., 0]
    agree = (np.abs(np.hypot(p[:, None, 0] - x[None, :], p[:, None, 1] - y[None, :]) - d[None, :]) < 5.0).sum(axis=1)
    return p[agree >= 4]


def _closest(found: np.ndarray, homes: pd.DataFrame) -> np.ndarray:
    xy = homes[["easting", "northing"]].to_numpy(float)
    return np.hypot(xy[:, None, 0] - found[None, :, 0], xy[:, None, 1] - found[None, :, 1]).min(axis=1)


def test_the_surface_cannot_be_trilaterated_back_to_a_home(secret, outputs):
    _, homes = secret
    with rasterio.open(outputs / "surface.tif") as src:
        assert src.res[0] >= 5000
        band = src.read(1, masked=True).filled(np.nan)
        found = _trilaterate(band, src.transform, src.res[0])
    assert len(found) and (_closest(found, homes) > 2000).all()


def test_the_attack_would_find_homes_in_a_surface_of_exact_distances(secret):
    """Check the attack works: from exact home points (not what the tool writes) it finds every home."""
    from provision.homes_list import read_homes_list
    from provision.sufficiency import homes_list_places
    from provision.surface import nearest_place_surface

    book, homes = secret
    exact = replace(homes_list_places(read_homes_list(book)), confidential=False)
    s = nearest_place_surface(exact, resolution_m=5000)
    found = _trilaterate(s.bands["nearest_place_straight_km"], s.transform, 5000.0)
    assert (_closest(found, homes) < 100).sum() >= N_HOMES // 2  # every home nearest to at least 3 cells
