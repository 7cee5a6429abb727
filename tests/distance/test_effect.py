"""Distance and going missing: LA-level (real LAIT/EES data) and child-level (simulated SSDA903) analyses."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from distance.child_models import child_effect
from distance.ecological import ecological_effect
from distance.straight import DISTANCE_BANDS
from geo.attribution import OGL_ATTRIBUTION
from geo.cli import app
from geo.disclosure import SYNTHETIC_LABEL, is_synthetic, suppress_table
from geo.errors import InputError, MissingColumnsError
from maps.effect_figures import plot_ecological, write_child_outputs
from provision.outcomes import load_ecological
from provision.placement_frame import placement_frame

runner = CliRunner()
REF = pd.Timestamp("2024-03-31")


def simulate(seed: int = 0, n_children: int = 400, rr10: float = 1.5,
             las: tuple[str, ...] = ("E08000003", "E06000018", "E10000030")) -> tuple[pd.DataFrame, ...]:
    """Small located SSDA903-like tables with missing incidents at rate x rr10 ** (miles / 10)."""
    rng = np.random.default_rng(seed)
    eps, hdr, mis = [], [], []
    for i in range(n_children):
        cid = str(100000 + i)
        dob = REF - pd.Timedelta(days=int(rng.integers(365 * 2, 365 * 17)))
        hdr.append({"CHILD": cid, "SEX": str(rng.integers(1, 3)), "DOB": dob.strftime("%d/%m/%Y")})
        t = max(REF - pd.Timedelta(days=int(rng.integers(60, 1000))), dob + pd.Timedelta(days=30))
        for k in range(int(rng.integers(1, 4))):
            end = t + pd.Timedelta(days=int(rng.integers(20, 400)))
            still_open = end >= REF
            end = min(end, REF)
            place = str(rng.choice(["U4", "U1", "K2", "H5"], p=[.55, .2, .15, .1]))
            miles = round(min(float(rng.gamma(1.2, 25 if place == "K2" else 8)), 120.0), 1)
            eps.append({"CHILD": cid, "DECOM": t.strftime("%d/%m/%Y"), "RNE": "S" if k == 0 else "P",
                        "LS": str(rng.choice(["C2", "V2", "E1"])), "PLACE": place,
                        "DEC": "" if still_open else end.strftime("%d/%m/%Y"), "responsible_la": las[i % len(las)],
                        "straight_distance_miles": miles, "outside_la": bool(miles > 15 or rng.random() < .1)})
            rate = 0.002 * (1.6 if place == "K2" else 1.0) * rr10 ** (miles / 10)
            days = (end - t).days
            for _ in range(rng.poisson(rate * days)):
                day = t + pd.Timedelta(days=int(rng.integers(0, max(days, 1))))
                mis.append({"CHILD": cid, "MISSING": "M", "MIS_START": day.strftime("%d/%m/%Y")})
            t = end
            if still_open:
                break
    return pd.DataFrame(eps), pd.DataFrame(hdr), pd.DataFrame(mis, columns=["CHILD", "MISSING", "MIS_START"])


@pytest.fixture(scope="module")
def sim() -> tuple[pd.DataFrame, ...]:
    e, h, m = simulate(seed=7)
    e.attrs["synthetic"] = True
    return e, h, m


@pytest.fixture(scope="module")
def placements(sim):
    e, h, m = sim
    return placement_frame(e, header=h, missing=m)


@pytest.fixture(scope="module")
def child_result(placements):
    return child_effect(placements[0])


# --------------------------------------------------------------------------------------------- ecological (real)

@pytest.fixture(scope="module")
def eco(mirror):
    frame, quality = load_ecological(year_from=2016, year_to=2025)
    return frame, quality, ecological_effect(frame, data_quality=quality)


def test_ecological_frame_matches_lait(eco, mirror):
    frame, _, _ = eco
    lait = pd.read_csv(mirror / "care/dfe_cla/lait/lait_cla_indicators_2016_2025.csv", dtype=str)
    row = lait.query("short_desc == 'LACDistance' and la_number == '356' and year == '2024'")["value"].iloc[0]
    stockport = frame.query("la_number == '356' and year == 2024").iloc[0]
    assert stockport["la_code"] == "E08000007"
    assert stockport["pct_over_20_miles_outside_la"] == float(row)
    assert frame["la_code"].str.match(r"^E0[689]|^E10").all()
    assert 140 <= frame["la_code"].nunique() <= 153
    assert set(frame["year"]) == set(range(2016, 2026))
    assert not frame.duplicated(["la_code", "year"]).any()
    # incidents per child only where published at LA level (not 2025 in the staged files)
    has = frame.dropna(subset=["missing_incidents_per_child"])
    assert set(has["year"]) == set(range(2016, 2025))  # SFR 2016-2017, EES 2018-2024
    assert has["missing_incidents_per_child"].between(0, 20).all()


def test_ecological_accounts_for_every_la_year(eco, mirror):
    """LA-years used + LA-years set aside (suppressed, split, merged, unknown) = every LA-year in LAIT."""
    frame, quality, _ = eco
    lait = pd.read_csv(mirror / "care/dfe_cla/lait/lait_cla_indicators_2016_2025.csv", dtype=str)
    las = lait[lait["short_desc"].eq("LACDistance") & ~lait["la_number"].isin(
        ["970", *map(str, range(980, 1000))])]
    set_aside = quality[quality["source"].isin(["LA-years", "LA codes"])]["rows"].sum()
    assert len(frame) + set_aside == len(las)
    reasons = " | ".join(quality["reason"])
    assert "Cumbria" in reasons and "Northamptonshire" in reasons and "merged into a 2024 LA" in reasons
    assert quality.loc[quality["reason"].str.contains("suppressed or not available"), "rows"].sum() > 0


def test_ecological_models_and_caveat(eco):
    _, _, result = eco
    fe = result.panel.query("outcome == 'pct_went_missing' and model == 'LA and year fixed effects'").iloc[0]
    assert fe["n_las"] > 140 and fe["se"] == "clustered by LA"
    assert fe["ci_low"] < fe["coef"] < fe["ci_high"]
    corr = result.correlations
    assert set(corr.query("outcome == 'pct_went_missing'")["year"]) == set(range(2016, 2026))
    assert ((corr["pearson_ci_low"] <= corr["pearson_r"]) & (corr["pearson_r"] <= corr["pearson_ci_high"])).all()
    assert ((corr["spearman_ci_low"] <= corr["spearman_rho"])
            & (corr["spearman_rho"] <= corr["spearman_ci_high"])).all()
    assert "Ecological-fallacy caveat" in result.summary() and "not between children" in result.summary()


def test_ecological_fixed_effects_recover_a_planted_slope():
    """A panel where the within-LA slope is 0.5 and the between-LA slope is negative: FE must find 0.5."""
    rng = np.random.default_rng(3)
    rows = []
    for i in range(60):
        la_level = rng.normal(0, 5)
        for year in range(2016, 2026):
            x = 20 - la_level + rng.normal(0, 3)
            rows.append({"la_code": f"E0600{i:04d}", "year": year, "x": x,
                         "y": 0.5 * x + 2 * la_level + 0.1 * (year - 2016) + rng.normal(0, 0.5)})
    frame = pd.DataFrame(rows)
    res = ecological_effect(frame, exposure="x", outcomes=("y",))
    fe = res.panel.query("model == 'LA and year fixed effects'").iloc[0]
    pooled = res.panel.query("model == 'pooled, year effects'").iloc[0]
    assert fe["ci_low"] < 0.5 < fe["ci_high"] and abs(fe["coef"] - 0.5) < 0.05
    assert pooled["coef"] < 0  # the between-LA confounding the fixed effects remove


def test_ecological_errors():
    with pytest.raises(InputError, match="2020-2018 is empty"):
        load_ecological(year_from=2020, year_to=2018)
    with pytest.raises(InputError, match="outside the LAIT coverage 2016-2025"):
        load_ecological(year_from=2010, year_to=2018)
    with pytest.raises(MissingColumnsError, match="ecological frame: missing column.*'pct_went_missing'"):
        ecological_effect(pd.DataFrame({"la_code": [], "year": [], "pct_over_20_miles_outside_la": []}),
                                 outcomes=("pct_went_missing",))


def test_ecological_figure_has_attribution(eco):
    import matplotlib.pyplot as plt

    frame, _, result = eco
    fig = plot_ecological(frame, result=result)
    texts = [t.get_text() for t in fig.texts]
    assert any(OGL_ATTRIBUTION in t for t in texts)
    assert "LAs, not children" in fig.axes[0].get_title()
    plt.close(fig)


def test_cli_ecological(mirror, tmp_path):
    result = runner.invoke(app, ["effect", "ecological", "--from", "2018", "--to", "2024", "--out", str(tmp_path)],
                           env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    assert "Ecological-fallacy caveat" in result.output
    assert "LA and year fixed effects" in result.output
    for rel in ("tables/ecological_panel.csv", "tables/ecological_correlations.csv",
                "tables/ecological_data_quality.csv", "figures/ecological_pct_went_missing.png",
                "figures/ecological_pct_went_missing.svg", "ecological_summary.txt"):
        assert (tmp_path / rel).is_file(), rel
    assert "Open Government Licence" in (tmp_path / "figures/ecological_pct_went_missing.svg").read_text()
    bad = runner.invoke(app, ["effect", "ecological", "--from", "2012"])
    assert bad.exit_code == 1 and "outside the LAIT coverage" in bad.output


# --------------------------------------------------------------------------------------------- child level

def _tiny() -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    eps = pd.DataFrame({
        "CHILD": ["1", "1", "1", "2"],
        "DECOM": ["01/04/2023", "01/06/2023", "01/09/2023", "15/05/2023"],
        "RNE": ["S", "L", "P", "S"],
        "LS": ["C2", "C2", "C2", "V2"],
        "PLACE": ["U4", "U4", "K2", "K2"],
        "DEC": ["01/06/2023", "01/08/2023", "", "10/01/2024"],
        "PL_POST": ["A", "A", "B", "C"],
        "responsible_la": ["E08000003"] * 4,
        "straight_distance_miles": [3.0, 3.0, 45.0, np.nan],
        "outside_la": [False, False, True, True],
    }, index=[10, 11, 12, 13])
    hdr = pd.DataFrame({"CHILD": ["1", "2"], "SEX": ["1", "2"], "DOB": ["01/04/2010", "01/01/2008"]})
    mis = pd.DataFrame({
        "CHILD": ["1", "1", "1", "1", "1", "9", "2", "1"],
        "MISSING": ["M", "M", "M", "A", "M", "M", "M", "M"],
        "MIS_START": ["02/05/2023", "15/07/2023", "15/08/2023", "01/10/2023", "01/01/2023", "01/10/2023",
                      "01/06/2023", "not a date"],
    })
    return eps, hdr, mis


def test_placement_frame_joins_episodes_and_assigns_missing():
    eps, hdr, mis = _tiny()
    before = eps.copy()
    frame, quality = placement_frame(eps, header=hdr, missing=mis, reference_date="2024-03-31")
    pd.testing.assert_frame_equal(eps, before)  # inputs untouched
    assert len(frame) == 3  # the legal-status-only change (RNE L) continues placement 1
    p1, p2, p3 = frame.itertuples()
    assert (p1.start, p1.end) == (pd.Timestamp("2023-04-01"), pd.Timestamp("2023-08-01"))
    assert p1.exposure_days == 122 and p1.missing_incidents == 2 and p1.episodes == 2
    assert p2.exposure_days == (pd.Timestamp("2024-04-01") - pd.Timestamp("2023-09-01")).days  # 31 March counts
    # the year ending on --to, never stretched back to the earliest MIS_START (01/01/2023)
    assert pd.isna(p2.end) and frame.attrs["observation_period"] == (pd.Timestamp("2023-04-01"),
                                                                      pd.Timestamp("2024-03-31"))
    assert p2.missing_incidents == 0 and p2.previous_placements == 1 and p2.distance_band == "20–50 miles"
    assert p2.placement_type == "children's home" and p2.outside_la
    assert p3.missing_incidents == 1 and p3.status == "straight-line distance not known"
    reasons = dict(zip(quality["reason"], quality["rows"], strict=True))
    assert reasons["missing episode outside any placement: dated between placements (not looked after then)"] == 1
    assert reasons["missing episode outside any placement: dated before the observation period (starts 2023-04-01)"] \
        == 1
    assert reasons["missing episode outside any placement: child not in episodes"] == 1
    assert reasons["away from placement without authorisation (A): not counted as missing"] == 1
    assert reasons["MIS_START blank or not a date: not assigned"] == 1
    assert reasons["placement not modelled: straight-line distance not known"] == 1
    # every missing row is either counted in a placement or in the data-quality table
    missing_rows = quality[quality["source"].eq("missing")]["rows"].sum()
    assert frame["missing_incidents"].sum() + missing_rows == len(mis)


@pytest.mark.parametrize("value", ["-5", "1e308", "maybe"])
def test_placement_frame_counts_a_uasc_value_that_is_not_0_or_1(value):
    eps, hdr, mis = _tiny()
    hdr = hdr.assign(UASC=[value, "0"])
    frame, quality = placement_frame(eps, header=hdr, missing=mis, reference_date="2024-03-31")
    child1 = frame[frame["child"].eq("1")]
    assert len(child1) == 2 and child1["status"].str.startswith("UASC not 0 or 1").all()
    reasons = dict(zip(quality["reason"], quality["rows"], strict=True))
    assert reasons["placement not modelled: UASC not 0 or 1 (a model covariate: not read as 'not UASC')"] == 2
    valid, _ = placement_frame(eps, header=hdr.assign(UASC=["1", "0"]), missing=mis, reference_date="2024-03-31")
    assert valid.loc[valid["child"].eq("1"), "status"].eq("ok").all() and valid["uasc"].tolist() == [True, True,
                                                                                                        False]


def test_placement_frame_missing_columns():
    eps, hdr, mis = _tiny()
    with pytest.raises(MissingColumnsError, match="episodes.csv: missing column.*'DECOM'"):
        placement_frame(eps.drop(columns="DECOM"), header=hdr, missing=mis, source="episodes.csv")
    with pytest.raises(MissingColumnsError, match="straight_distance_miles"):
        placement_frame(eps.drop(columns="straight_distance_miles"), header=hdr, missing=mis)
    with pytest.raises(MissingColumnsError, match="missing: missing column.*'MIS_START'"):
        placement_frame(eps, header=hdr, missing=mis.drop(columns="MIS_START"))


def test_road_distance_preferred_when_present():
    eps, hdr, mis = _tiny()
    eps = eps.assign(road_distance_km=[8.0, 8.0, 80.4672, 5.0])
    frame, _ = placement_frame(eps, header=hdr, missing=mis, reference_date="2024-03-31")
    assert (frame["distance_measure"] == "road").all()
    assert frame["distance_miles"].iloc[1] == pytest.approx(50.0)
    straight, _ = placement_frame(eps, header=hdr, missing=mis, distance="straight")
    assert straight["distance_miles"].iloc[1] == 45.0


def test_child_effect_tables(child_result, placements):
    frame = placements[0]
    ok = frame[frame["status"].eq("ok")]
    rt = child_result.rate_table
    assert list(rt["distance_band"]) == list(DISTANCE_BANDS)  # the one set of bands, every band listed
    assert rt["missing_incidents"].sum() == ok["missing_incidents"].sum()
    assert rt["placement_days"].sum() == ok["exposure_days"].sum()
    assert ((rt["ci_low"] <= rt["incidents_per_1000_days"]) & (rt["incidents_per_1000_days"] <= rt["ci_high"])).all()
    per10 = child_result.per_10_miles()
    assert per10["ci_low"] < 1.5 < per10["ci_high"]  # the simulation's planted rate ratio
    bands = child_result.rate_ratios.loc[child_result.rate_ratios["model_id"].eq("bands")]
    seen = [b for b in DISTANCE_BANDS[1:] if ok["distance_band"].astype(str).eq(b).any()]
    assert list(bands["term"]) == [f"{b} vs 0–10 miles" for b in seen]
    assert bands["ratio"].is_monotonic_increasing
    logistic = child_result.rate_ratios.query("measure == 'odds ratio'")
    assert (logistic["ratio"].dropna() > 1).all()
    dr = child_result.dose_response
    assert dr["rate_ratio"].iloc[-1] > dr["rate_ratio"].iloc[0]
    assert (dr["ci_low"] <= dr["rate_ratio"] + 1e-12).all()
    io = child_result.inside_outside
    assert list(io["term"].str.split(" ").str[0]) == ["crude", "propensity-score"]
    bal = child_result.balance
    assert bal["smd_weighted"].abs().max() < bal["smd_unweighted"].abs().max()


def test_child_effect_negative_binomial(placements):
    res = child_effect(placements[0], family="negbin", models=("per10",))
    assert res.per_10_miles()["ci_low"] < 1.5 < res.per_10_miles()["ci_high"]
    assert any("Negative binomial" in n for n in res.notes)
    with pytest.raises(InputError, match="family must be 'poisson' or 'negbin', not 'gauss'"):
        child_effect(placements[0], family="gauss", models=("per10",))  # type: ignore[arg-type]


def test_too_few_placements_says_how_many():
    e, h, m = simulate(seed=1, n_children=20)
    frame, _ = placement_frame(e, header=h, missing=m)
    n = int(frame["status"].eq("ok").sum())
    with pytest.raises(InputError, match=rf"too few placements .*: {n} placement\(s\) .* at least \d+ are needed"):
        child_effect(frame)


def test_collinear_covariates_are_named(placements):
    frame = placements[0].assign(age_in_months=lambda d: d["age_at_start_years"] * 12)
    with pytest.raises(InputError, match="perfectly collinear covariates.*'age_in_months' = combination of "
                                         "'age_at_start_years'"):
        child_effect(frame, covariates=("age_at_start_years", "sex", "age_in_months"))


def test_no_missing_incident_raises(placements):
    frame = placements[0].assign(missing_incidents=0, any_missing=False)
    with pytest.raises(InputError, match="no missing incident in the \\d+ modelled placements"):
        child_effect(frame, models=("per10",))


def test_synthetic_label_on_every_output(child_result, placements, tmp_path):
    assert child_result.synthetic  # carried from episodes.attrs by placement_frame
    paths = write_child_outputs(child_result, tmp_path, data_quality=placements[1])
    assert all(p.name.startswith("synthetic_") for p in paths)
    for p in paths:
        if p.suffix == ".csv":
            t = pd.read_csv(p)
            assert t.empty or (t["data"] == SYNTHETIC_LABEL).all(), p
        elif p.suffix in {".svg", ".txt"}:
            assert "SYNTHETIC" in p.read_text(), p
    svg = next(p for p in paths if p.suffix == ".svg").read_text()
    assert "Open Government Licence" in svg and "Crown copyright" in svg


def test_small_counts_suppressed_in_outputs(child_result, tmp_path):
    rt = child_result.rate_table.copy()
    rt.loc[3, "missing_incidents"] = 3
    out = suppress_table(rt, min_count=5)
    assert out.loc[3, "missing_incidents"] == "fewer than 5"
    assert pd.isna(out.loc[3, "incidents_per_1000_days"])  # the rate would give the count away


def test_is_synthetic():
    df = pd.DataFrame({"a": [1]})
    assert not is_synthetic(df, None)
    assert is_synthetic(df.assign(synthetic=True))
    flagged = df.copy()
    flagged.attrs["synthetic"] = True
    assert is_synthetic(df, flagged)
    assert is_synthetic(pd.DataFrame({"CHILD": ["SYN001", "SYN002"]}))  # provision.synth identifiers
    assert not is_synthetic(pd.DataFrame({"CHILD": ["SYN001", "1234"]}))


def test_cli_child(sim, tmp_path):
    e, h, m = sim
    h, m = h.assign(ETHNIC="WBRI"), m.assign(MIS_END="")  # SSDA903 layout: the CLI reads through the validator
    paths = []
    for name, frame in (("episodes", e), ("header", h), ("missing", m)):
        paths.append(tmp_path / f"{name}.csv")
        frame.to_csv(paths[-1], index=False)
    out = tmp_path / "out"
    args = ["effect", "child", "--episodes", str(paths[0]), "--header", str(paths[1]), "--missing", str(paths[2])]
    result = runner.invoke(app, [*args, "--synthetic", "--out", str(out)], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    assert SYNTHETIC_LABEL in result.output
    assert "per 10 miles" in result.output
    assert (out / "tables/synthetic_effect_rate_ratios.csv").is_file()
    assert (out / "figures/synthetic_effect_dose_response.png").is_file()
    small = tmp_path / "small.csv"
    e[e["CHILD"].isin(e["CHILD"].unique()[:10])].to_csv(small, index=False)
    bad = runner.invoke(app, ["effect", "child", "--episodes", str(small), "--header", str(paths[1]),
                              "--missing", str(paths[2])])
    assert bad.exit_code == 1
    assert "Error: too few placements" in bad.output and "are needed" in bad.output


def test_ecological_agrees_with_provision_demand(eco):
    """The LA-years with both indicators are those provision.demand.lait_indicators also reads (2024 codes)."""
    from provision import demand

    frame, _, _ = eco
    wide = demand.lait_indicators(["LACDistance", "Children_missing"])
    both = wide.dropna(subset=["LACDistance", "Children_missing"])
    assert set(both.index) == set(zip(frame["la_code"], frame["year"], strict=True))
    merged = frame.set_index(["la_code", "year"]).join(both)
    assert (merged["pct_over_20_miles_outside_la"] == merged["LACDistance"]).all()


def test_rare_covariate_levels_are_pooled(placements):
    frame = placements[0].copy()
    ok = frame.index[frame["status"].eq("ok")]
    frame.loc[ok[:3], "placement_type"] = "secure unit"  # 3 placements: would fit them exactly
    res = child_effect(frame, models=("per10",))
    assert any("placement_type" in n and "'secure unit'" not in n and "secure unit" in n and "pooled" in n
               for n in res.notes)
    assert not any("C(placement_type)[T.secure unit]" in t for t in res.models["per10"].params.index)


def test_observation_window_limits_exposure_and_counts_earlier_missing():
    eps, hdr, mis = _tiny()
    frame, quality = placement_frame(eps, header=hdr, missing=mis, reference_date="2024-03-31",
                                            observation_start="2023-05-01")
    p1 = frame.iloc[0]
    assert p1["exposure_start"] == pd.Timestamp("2023-05-01") and p1["exposure_days"] == 92
    assert p1["missing_incidents"] == 2  # 02/05/2023 and 15/07/2023
    reasons = dict(zip(quality["reason"], quality["rows"], strict=True))
    assert reasons["missing episode outside any placement: dated before the observation period (starts "
                   "2023-05-01)"] == 1
    with pytest.raises(InputError, match="observation period is empty: starts 2024-05-01 after it ends 2024-03-31"):
        placement_frame(eps, header=hdr, missing=mis, reference_date="2024-03-31",
                               observation_start="2024-05-01")


def test_cli_child_bad_date(sim, tmp_path):
    e, h, m = sim
    for name, frame in (("episodes", e), ("header", h), ("missing", m)):
        frame.to_csv(tmp_path / f"{name}.csv", index=False)
    result = runner.invoke(app, ["effect", "child", "--episodes", str(tmp_path / "episodes.csv"), "--header",
                                 str(tmp_path / "header.csv"), "--missing", str(tmp_path / "missing.csv"),
                                 "--year-end", "31/13/2024"])
    assert result.exit_code == 1
    assert "Error: --to '31/13/2024' is not a date; expected YYYY-MM-DD" in result.output


def test_constant_covariate_is_named_with_the_intercept(placements):
    frame = placements[0].assign(region_flag=1.0)
    with pytest.raises(InputError, match="'region_flag' = combination of 'Intercept'"):
        child_effect(frame, covariates=("age_at_start_years", "region_flag"), models=("per10",))


def test_placements_with_missing_covariates_are_noted(placements):
    frame = placements[0].copy()
    ok = frame.index[frame["status"].eq("ok")]
    frame.loc[ok[:7], "age_at_start_years"] = np.nan
    res = child_effect(frame, models=("per10",))
    assert res.n_placements == len(ok) - 7
    assert any("7 placement(s) left out" in n and "age_at_start_years: 7" in n for n in res.notes)


# --------------------------------------------------------------------------------------------- collection years

def _two_years() -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Child 1 in both years (one episode open across 31 March 2023, so in both returns); id 7 names two children."""
    eps = pd.DataFrame({
        "CHILD": ["1", "7", "1", "1", "7"],
        "DECOM": ["01/06/2022", "01/05/2022", "01/06/2022", "01/09/2023", "01/07/2023"],
        "RNE": ["S", "S", "S", "P", "S"], "LS": ["C2"] * 5, "PLACE": ["U4", "U4", "U4", "K2", "U1"],
        "DEC": ["", "01/01/2023", "01/09/2023", "", ""],
        "responsible_la": ["E08000003"] * 5, "straight_distance_miles": [3.0, 5.0, 3.0, 45.0, 2.0],
        "YEAR": [2023, 2023, 2024, 2024, 2024],
    })
    hdr = pd.DataFrame({"CHILD": ["1", "7", "1", "7"], "SEX": ["1", "2", "1", "1"],
                        "DOB": ["01/04/2010", "01/01/2008", "01/04/2010", "05/05/2012"],
                        "YEAR": [2023, 2023, 2024, 2024]})
    mis = pd.DataFrame({"CHILD": ["1", "1", "1", "7", "7"], "MISSING": ["M"] * 5,
                        "MIS_START": ["02/03/2023", "02/03/2023", "15/10/2023", "01/06/2022", "01/08/2023"],
                        "YEAR": [2023, 2024, 2024, 2023, 2024]})
    return eps, hdr, mis


def test_collection_years_are_merged_and_counted():
    eps, hdr, mis = _two_years()
    frame, quality = placement_frame(eps, header=hdr, missing=mis)
    reasons = dict(zip(quality["reason"], quality["rows"], strict=True))
    assert reasons["episode in two or more collection years (same CHILD and DECOM): the latest year's row kept"] == 1
    assert reasons["missing episode in two or more collection years (same CHILD, MIS_START and MISSING): the "
                   "latest year's row kept"] == 1
    assert reasons["CHILD id used for different children (different DOB) in different collection years: told "
                   "apart by year"] == 1
    assert frame.attrs["observation_period"] == (pd.Timestamp("2022-04-01"), pd.Timestamp("2024-03-31"))
    assert len(frame) == 4 and sorted(frame["child"].unique()) == ["1", "7~2023", "7~2024"]
    first = frame[frame["child"].eq("1")].iloc[0]
    assert first["end"] == pd.Timestamp("2023-09-01") and first["missing_incidents"] == 1  # the later row's DEC
    assert set(frame["year"]) == {2023, 2024}
    assert frame.loc[frame["child"].eq("7~2024"), "age_at_start_years"].iloc[0] < 12  # the second child's DOB
    assert frame["missing_incidents"].sum() == 4


def test_year_that_disagrees_with_the_dates_is_named():
    eps, hdr, mis = _two_years()
    eps.loc[3, "YEAR"] = 2023  # starts 1 September 2023: not open in 2022-23
    _, quality = placement_frame(eps, header=hdr, missing=mis)
    row = quality[quality["reason"].str.startswith("YEAR disagrees with the dates")].iloc[0]
    assert row["rows"] == 1 and row["examples"] == "episodes row 3: YEAR 2023 but DECOM 2023-09-01"
    eps.loc[3, "YEAR"] = 2021
    with pytest.raises(InputError, match=r"collection years 2021, 2023, 2024 have a gap \(2022 missing\)"):
        placement_frame(eps, header=hdr, missing=mis)
    eps["YEAR"] = eps["YEAR"].astype(object)
    eps.loc[3, "YEAR"] = "last year"
    with pytest.raises(InputError, match="episodes row 3: YEAR 'last year' is not a collection year"):
        placement_frame(eps, header=hdr, missing=mis)


def test_cli_child_two_returns_and_within_child(tmp_path):
    args = []
    for k, seed in enumerate((7, 8)):
        e, h, m = simulate(seed=seed, n_children=700)
        e, h, m = (f.assign(CHILD=f"{k}" + f["CHILD"]) for f in (e, h, m))  # two LAs' returns: their own ids
        h, m = h.assign(ETHNIC="WBRI"), m.assign(MIS_END="")
        for name, flag, frame in (("episodes", "-e", e), ("header", "--header", h), ("missing", "-m", m)):
            path = tmp_path / f"{name}{k}.csv"
            frame.to_csv(path, index=False)
            args += [flag, str(path)]
    out = tmp_path / "out"
    result = runner.invoke(app, ["effect", "child", *args, "--synthetic", "--out", str(out)], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    assert "Within children: the same child's further vs nearer placements" in result.output
    assert "Which children the within-child design rests on" in result.output
    rr = pd.read_csv(out / "tables/synthetic_within_child_rate_ratios.csv")
    assert rr.loc[rr["model_id"].eq("within_per10"), "children"].iloc[0] >= 5
    assert (out / "figures/synthetic_effect_designs.svg").is_file()
    assert "SYNTHETIC" in (out / "figures/synthetic_effect_designs.svg").read_text()
    bad = runner.invoke(app, ["effect", "child", *args[:6], "--header", args[7]])
    assert bad.exit_code == 1 and "give one --header and one --missing per --episodes" in bad.output


def test_one_file_set_per_year_is_the_same_as_a_year_column(tmp_path):
    from provision.placement_frame import load_placement_frame

    eps, hdr, mis = _two_years()
    hdr, mis = hdr.assign(ETHNIC="WBRI"), mis.assign(MIS_END="")
    sets: dict[str, list] = {"episodes": [], "header": [], "missing": []}
    for year in (2023, 2024):
        for name, frame in (("episodes", eps), ("header", hdr), ("missing", mis)):
            path = tmp_path / f"{name}_{year}.csv"
            frame[frame["YEAR"].eq(year)].drop(columns="YEAR").to_csv(path, index=False)
            sets[name].append(path)
    frame, quality = load_placement_frame(sets["episodes"], header=sets["header"], missing=sets["missing"])
    expected, _ = placement_frame(eps, header=hdr, missing=mis)
    assert sorted(frame["child"]) == sorted(expected["child"])
    assert frame["missing_incidents"].sum() == expected["missing_incidents"].sum() == 4
    assert (quality["reason"] == "episode in two or more collection years (same CHILD and DECOM): the latest "
                                 "year's row kept").any()
    with pytest.raises(InputError, match="give as many header and missing files as episodes files"):
        load_placement_frame(sets["episodes"], header=sets["header"][:1], missing=sets["missing"])
