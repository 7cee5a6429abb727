"""provision.synth: synthetic SSDA903 returns reproduce the published LA figures they come from."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from geo import years
from geo.cli import app
from geo.errors import InputError, MissingColumnsError, UnknownAreaCodeError
from provision import demand, ssda903, synth
from provision.placements import locate
from provision.synth_calibration import DFE_2015, distance_banding

runner = CliRunner()
LAS = ["Stockport", "Bristol", "Cornwall", "Camden", "North Yorkshire", "Hartlepool"]


@pytest.fixture(scope="module")
def sample(mirror) -> synth.SyntheticSSDA903:
    return synth.generate(year=2024, seed=7, las=LAS, effect="missing:rr=1.5/10mi")


@pytest.fixture(scope="module")
def located(sample) -> pd.DataFrame:
    return locate(sample.episodes)


def rederive(located: pd.DataFrame) -> pd.DataFrame:
    """LA aggregates at 31 March from the child-level records, the way DfE derives them."""
    now = located[located["DEC"].isna()]
    return now.groupby("LA").agg(
        children=("CHILD", "size"),
        outside=("outside_la", lambda s: int(s.fillna(False).sum())),
        over_20=("over_20_miles", lambda s: int(s.fillna(False).sum())),
    )


def check_acceptance(located: pd.DataFrame, truth: pd.DataFrame) -> pd.DataFrame:
    got = rederive(located).join(truth[["children_looked_after", "pct_outside_la", "pct_over_20_miles"]])
    assert (got["children"] == got["children_looked_after"]).all()
    big = got[got["children"] >= 50]
    d_out = 100 * big["outside"] / big["children"] - big["pct_outside_la"]
    d_over = 100 * big["over_20"] / big["children"] - big["pct_over_20_miles"]
    assert d_out.abs().max() <= 3, d_out.abs().sort_values().tail()
    assert d_over.abs().max() <= 3, d_over.abs().sort_values().tail()
    return got


def test_children_at_31_march_exact_and_percentages_within_3_points(sample, located):
    got = check_acceptance(located, sample.truth)
    assert len(got) == len(LAS)
    assert got.loc["E08000007", "children"] == 493  # Stockport 2024, published


@pytest.fixture(scope="module")
def england(mirror) -> tuple[synth.SyntheticSSDA903, pd.DataFrame]:
    data = synth.generate(year=2024, seed=7)
    return data, locate(data.episodes)


@pytest.mark.slow
def test_england_acceptance(england):
    """Acceptance: every English LA, 2024: counts exact, % outside and % over 20 miles within 3 points."""
    data, located = england
    assert len(data.truth) >= 150
    got = check_acceptance(located, data.truth)
    assert got["children"].sum() == data.truth["children_looked_after"].sum()
    assert 80_000 < got["children"].sum() < 86_000


BAND_TOLERANCE_POINTS = 3.0
"""Each over-20-mile band's share of the children over 20 miles: within 3 percentage points of DfE's 2015 share."""


@pytest.mark.slow
def test_england_distances_follow_dfe_banding(england):
    """The national distribution follows DfE's 2015 banding while every LA keeps its published shares.

    Tolerances: each band over 20 miles within 3 points of DfE's share of the over-20 children; the median and
    mean (reweighted to DfE's 2015 split at 20 miles, as the LAs' published splits have moved since) within 1
    and 2 miles of 5.9 and 16.0; the median of secure units and children's homes within 3 miles of 17.8.
    """
    data, located = england
    check_acceptance(located, data.truth)  # the LA shares are untouched by the calibration
    table = distance_banding(located)
    far = table.loc[["21-40 miles", "41-60 miles", "61-80 miles", "81-100 miles", "over 100 miles"]]
    gap = (far["synthetic_share_pct"] - far["dfe_share_pct"]).abs()
    assert gap.max() <= BAND_TOLERANCE_POINTS, gap
    assert abs(table.at["median miles", "synthetic_reweighted"] - DFE_2015["median miles"]) <= 1.0
    assert abs(table.at["mean miles", "synthetic_reweighted"] - DFE_2015["mean miles"]) <= 2.0
    key = "median miles, secure units and children's homes"
    assert abs(table.at[key, "synthetic"] - DFE_2015[key]) <= 3.0
    # the published counts by band are each LA's: the synthetic totals are the LAs' sums, not 2015's
    assert table.at["over 20 miles", "synthetic"] == (located["DEC"].isna() & located["over_20_miles"].fillna(
        False).astype(bool)).sum()


def test_distance_banding_shares_and_errors(located):
    table = distance_banding(located)
    assert table.loc[["20 miles or less", "over 20 miles", "distance not known"], "synthetic_share_pct"].sum() == \
        pytest.approx(100)
    assert table.loc[["21-40 miles", "over 100 miles"], "dfe_share_pct"].round(1).tolist() == [50.7, 14.4]
    assert table.attrs["source"].startswith("DfE, 'Children looked after in England: a focus on placement location'")
    with pytest.raises(MissingColumnsError, match=r"located episodes: missing column\(s\) 'straight_distance_miles'"):
        distance_banding(located.drop(columns=["straight_distance_miles"]))


def test_records_are_synthetic_and_valid(sample, tmp_path):
    assert sample.episodes["CHILD"].str.startswith("SYN").all()
    assert sample.header["CHILD"].str.startswith("SYN").all()
    folder = sample.write(tmp_path / "synth")
    readme = (folder / "README_SYNTHETIC.txt").read_text()
    assert "SYNTHETIC" in readme and "Poisson" in readme
    assert {"episodes.csv", "header.csv", "missing.csv", "truth.csv"} <= {p.name for p in folder.iterdir()}
    assert pd.read_csv(folder / "episodes.csv", nrows=1)["DECOM"].str.fullmatch(r"\d\d/\d\d/\d{4}").all()
    quality = ssda903.validate(episodes=folder / "episodes.csv", header=folder / "header.csv",
                               missing=folder / "missing.csv")
    assert quality.empty, ssda903.summarise(quality).to_string()


def test_real_postcodes_homes_inside_la(sample, located):
    assert (located["pl_precision"] == "full").all()
    homes = located[located["HOME_POST"].ne("")]
    assert (homes["home_precision"] == "full").all()
    assert (homes["home_la"] == homes["LA"]).all()


def test_layout_and_codes(sample):
    assert list(sample.episodes.columns) == ["CHILD", "DECOM", "RNE", "LS", "CIN", "PLACE", "PLACE_PROVIDER",
                                             "DEC", "REC", "REASON_PLACE_CHANGE", "HOME_POST", "PL_POST", "URN",
                                             "LA"]
    schema = {c.name: c for c in ssda903.SCHEMA["episodes"]}
    for col in ("RNE", "LS", "CIN", "PLACE", "PLACE_PROVIDER"):
        assert set(sample.episodes[col]) <= set(schema[col].codes), col
    assert set(sample.header["SEX"]) == {"1", "2"}
    assert set(sample.missing["MISSING"]) == {"M"}
    uasc = sample.header[sample.header["UASC"].eq(1)]["CHILD"]
    assert sample.episodes[sample.episodes["CHILD"].isin(uasc)]["HOME_POST"].eq("").all()


def test_placement_mix_and_uasc_match(sample, mirror):
    chars = pd.read_csv(mirror / "care" / "dfe_cla" / "ees_release_2025" /
                        "derived_la_cla_on_31_march_by_characteristics_2024.csv", dtype=str)
    row = chars[chars["new_la_code"].eq("E08000007")]
    chomes = int(row[row["characteristic"].eq("Secure homes and children's homes")]["number"].iloc[0])
    uasc = int(row[row["characteristic"].eq("UASC")]["number"].iloc[0])
    now = sample.episodes[sample.episodes["DEC"].isna() & sample.episodes["LA"].eq("E08000007")]
    assert now["PLACE"].isin(["K1", "K2"]).sum() == chomes
    kids = sample.header[sample.header["CHILD"].isin(now["CHILD"])]
    assert kids["UASC"].sum() == uasc


def test_out_of_area_childrens_homes_follow_ofsted_places(sample, located):
    from provision.homes import supply_by_la

    places = supply_by_la(2024)["places"].astype(float)
    chomes = located[located["PLACE"].eq("K2") & located["outside_la"].fillna(False).astype(bool)]
    dest = places.reindex(chomes["pl_la"]).fillna(0).to_numpy()
    assert (dest > 0).mean() > 0.97
    # destinations are richer in places than England's average LA
    assert np.median(dest) > places.median()


def test_childrens_home_urns_are_real_homes_in_the_placement_la(located):
    from provision.homes import read_children_homes

    homes = read_children_homes(2024).dropna(subset=["urn", "la_code"])
    la_of = dict(zip(homes["urn"].astype(str), homes["la_code"], strict=True))
    k2 = located[located["PLACE"].eq("K2")]
    matches = k2["URN"].map(la_of) == k2["pl_la"]
    assert matches.mean() > 0.95


def test_planted_effect_is_recovered(sample, located):
    import statsmodels.api as sm

    year_start, year_end = pd.Timestamp("2023-04-01"), pd.Timestamp("2024-04-01")
    ep = located[located["straight_distance_miles"].notna()].copy()
    a = ep["DECOM"].clip(lower=year_start)
    b = ep["DEC"].fillna(year_end).clip(upper=year_end)
    ep["days"] = (b - a).dt.days
    ep = ep[ep["days"] > 0]
    miss = sample.missing
    # attribute each incident to the episode it started in
    merged = miss.merge(ep[["CHILD", "DECOM", "DEC"]].reset_index(), on="CHILD")
    inside = (merged["MIS_START"] >= merged["DECOM"]) & (
        merged["DEC"].isna() | (merged["MIS_START"] < merged["DEC"]))
    counts = merged[inside].groupby("index").size()
    ep["incidents"] = counts.reindex(ep.index).fillna(0).to_numpy()
    X = pd.get_dummies(ep["LA"], dtype=float)
    X["miles"] = ep["straight_distance_miles"]
    fit = sm.GLM(ep["incidents"], X, family=sm.families.Poisson(), offset=np.log(ep["days"] / 365)).fit()
    rr = float(np.exp(10 * fit.params["miles"]))
    assert 1.4 < rr < 1.6, rr


def test_share_who_went_missing_matches_published(sample):
    kids = sample.header.assign(LA=sample.header["CHILD"].map(
        sample.episodes.drop_duplicates("CHILD").set_index("CHILD")["LA"]))
    went = kids["CHILD"].isin(sample.missing["CHILD"])
    share = 100 * went.groupby(kids["LA"]).mean()
    diff = share - sample.truth["pct_went_missing"]
    assert diff.abs().max() < 4, diff


def test_no_effect_means_rr_1(mirror):
    data = synth.generate(las=["Hartlepool"], seed=3)
    assert data.model["rr"] == 1.0 and "1 ** (" in data.model["formula"]


def test_frailty_option_runs_and_keeps_missing_share(mirror):
    data = synth.generate(las=["Kent"], seed=2, effect="missing:rr=1.2/10mi,k=0.5")
    assert data.model["k"] == 0.5 and "Gamma(shape=0.5" in data.model["formula"]
    share = 100 * data.header["CHILD"].isin(data.missing["CHILD"]).mean()
    assert abs(share - data.truth["pct_went_missing"].iloc[0]) < 3
    # frailty spreads incidents: more incidents per child who went missing than pure Poisson would give
    per_child = data.missing.groupby("CHILD").size()
    assert per_child.mean() > 1.3


def test_deterministic(mirror):
    a = synth.generate(las=["Hartlepool"], seed=5)
    b = synth.generate(las=["Hartlepool"], seed=5)
    pd.testing.assert_frame_equal(a.episodes, b.episodes)
    pd.testing.assert_frame_equal(a.missing, b.missing)
    c = synth.generate(las=["Hartlepool"], seed=6)
    assert not a.episodes["PL_POST"].equals(c.episodes["PL_POST"])


@pytest.mark.parametrize(("spec", "rr", "per", "k"), [
    ("missing:rr=1.5/10mi", 1.5, 10.0, None),
    ("missing:rr=2", 2.0, 10.0, None),
    ("missing: rr=1.2/16km, k=0.5", 1.2, 16 / 1.6093, 0.5),
])
def test_parse_effect(spec, rr, per, k):
    eff = synth.parse_effect(spec)
    assert eff.rr == rr and eff.per_miles == pytest.approx(per) and eff.k == k


@pytest.mark.parametrize("spec", ["missing:rr=-1", "runaway:rr=2", "missing:rr=1.5/10furlongs"])
def test_parse_effect_rejects(spec):
    with pytest.raises(InputError, match="effect"):
        synth.parse_effect(spec)


def test_years_cover_every_published_la_year(mirror):
    """The generator covers every year of DfE's LA figures by characteristics, 2021-2025 at least (geo.years)."""
    assert set(range(2021, 2026)) <= set(synth.YEARS)
    assert list(synth.YEARS) == list(years.years("characteristics"))


def test_bad_year_and_la(mirror):
    with pytest.raises(InputError, match=rf"no synthetic SSDA903 .* for 2019: characteristics cover {synth.YEARS}"):
        synth.generate(year=2019)
    with pytest.raises(UnknownAreaCodeError, match="Atlantis"):
        synth.generate(las=["Atlantis"])


def test_cli_synth(tmp_path, mirror):
    out = tmp_path / "synth"
    result = runner.invoke(app, ["--mirror", str(mirror), "synth", "--la", "Hartlepool", "--seed", "1",
                                 "--effect", "missing:rr=1.5/10mi", "--out", str(out)], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    assert f"wrote SYNTHETIC SSDA903 {synth.YEARS[-1]}" in result.output  # default: the latest year
    assert (out / "README_SYNTHETIC.txt").is_file()
    bad = runner.invoke(app, ["--mirror", str(mirror), "synth", "--effect", "nonsense", "--out", str(out)])
    assert bad.exit_code == 1 and "Error: effect 'nonsense' is not understood" in bad.output


def test_cli_synth_2025_uses_the_nearest_missing_figures(tmp_path, mirror):
    """2025: the LA figures at 31 March are published, the LA missing table not yet: the nearest year's is used."""
    out = tmp_path / "synth2025"
    result = runner.invoke(app, ["--mirror", str(mirror), "synth", "--year", "2025", "--la", "Hartlepool",
                                 "--out", str(out)], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    assert "wrote SYNTHETIC SSDA903 2025" in result.output
    truth = pd.read_csv(out / "truth.csv", index_col=0)
    chars = pd.read_csv(mirror / demand.FILES["characteristics_2025"], dtype=str)
    total = chars[chars["new_la_code"].eq("E06000001") & chars["cla_group"].eq("Placement")
                  & chars["characteristic"].eq("Total")]["number"]
    assert truth.loc["E06000001", "children_looked_after"] == int(total.iloc[0])  # Hartlepool, 31 March 2025
    episodes = pd.read_csv(out / "episodes.csv", dtype=str)
    assert pd.to_datetime(episodes["DECOM"], dayfirst=True).max() <= pd.Timestamp("2025-03-31")
    model = synth.generate(year=2025, seed=7, las=["Hartlepool"]).model
    assert model["missing_year"] == years.latest("ees_la_missing") and model["year"] == 2025


def test_confounder_places_riskier_children_further_away(mirror):
    """'confounder=8': children with prior missing episodes (latent) are placed further away and go missing more."""
    plain = synth.generate(year=2024, seed=3, las=["Darlington", "Hartlepool"], effect="missing:rr=1")
    data = synth.generate(year=2024, seed=3, las=["Darlington", "Hartlepool"], effect="missing:rr=1,confounder=8")
    pd.testing.assert_frame_equal(plain.episodes, data.episodes)  # the confounder changes the incidents only
    assert "confounder" not in plain.model["formula"] and "prior_missing" in data.model["formula"]
    located = locate(data.episodes)
    last = located.groupby("CHILD").tail(1).set_index("CHILD")
    latent = data.latent.set_index("CHILD")
    far = last["straight_distance_miles"] > 20
    prior = latent["prior_missing"].reindex(last.index)
    assert prior[far].mean() > 3 * prior[~far & last["straight_distance_miles"].notna()].mean()
    went = data.missing.groupby("CHILD").size().reindex(latent.index, fill_value=0) > 0
    assert went[latent["prior_missing"]].mean() > 2 * went[~latent["prior_missing"]].mean()
    assert plain.latent["prior_missing"].sum() == 0
    with pytest.raises(InputError, match="must be positive"):
        synth.parse_effect("missing:rr=1,confounder=0")
    assert synth.parse_effect("missing:rr=2/16km,k=0.5,confounder=4").confounder == 4.0
