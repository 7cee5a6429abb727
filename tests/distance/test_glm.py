"""distance.glm and distance.child_models agree with statsmodels' GLM with dummy columns (how they were fitted before).

The fixed-effects models (IRLS on pyfixest's demeaner, LA absorbed) must give the same coefficient of interest
within 1e-4 relative and the same clustered standard error within 1%, on one year of placements.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
import statsmodels.formula.api as smf

from distance.child_models import child_effect
from distance.glm import build_design, fit_glm, fit_logit, fit_negbin, fit_poisson
from distance.ipw import weighted_glm
from distance.straight import distance_band
from geo.errors import ModelNotIdentifiedError

COVARIATES = ("age_at_start_years", "sex", "placement_type", "previous_placements", "la")
RHS = "age_at_start_years + C(sex) + C(placement_type) + previous_placements + C(la)"


@pytest.fixture(scope="module")
def frame() -> pd.DataFrame:
    """About 2,400 placements of 1,000 children in 12 LAs with LA-level rates, child frailty and rr 1.3/10 mi."""
    rng = np.random.default_rng(11)
    n_children = 1000
    per_child = rng.integers(1, 5, n_children)
    child = np.repeat(np.arange(n_children), per_child)
    la = rng.integers(0, 12, n_children)[child]
    ptype = rng.choice(["foster", "children's home", "independent or semi-independent"], child.size, p=[.6, .25, .15])
    miles = np.round(rng.gamma(1.2, np.where(ptype == "children's home", 25, 8)), 1)
    days = rng.integers(20, 366, child.size).astype(float)
    age = rng.uniform(2, 17, n_children)[child]
    mu = days / 400 * np.exp(0.26 * miles / 10 + 0.15 * (la % 4) + 0.05 * (age - 10)) \
        * rng.gamma(1.5, 1 / 1.5, n_children)[child]
    return pd.DataFrame({
        "child": child.astype(str), "exposure_days": days, "missing_incidents": rng.poisson(mu),
        "distance_miles": miles, "distance_band": distance_band(pd.Series(miles)).to_numpy(),
        "age_at_start_years": age, "sex": rng.choice(["male", "female"], n_children)[child],
        "placement_type": ptype, "previous_placements": pd.Series(child).groupby(child).cumcount().to_numpy(),
        "la": [f"E060000{i:02d}" for i in la], "status": "ok", "outside_la": miles > 12,
    })


@pytest.fixture(scope="module")
def ours(frame):
    return child_effect(frame, covariates=COVARIATES, models=("bands", "per10", "log", "logistic", "ipw"))


def _statsmodels(frame: pd.DataFrame, formula: str, family) -> object:
    d = frame.assign(distance_per_10_miles=frame["distance_miles"] / 10,
                     log1p_distance=np.log1p(frame["distance_miles"]),
                     any_missing=(frame["missing_incidents"] > 0).astype(int),
                     log_exposure_days=np.log(frame["exposure_days"]))
    offset = None if isinstance(family, sm.families.Binomial) else d["log_exposure_days"].to_numpy()
    return smf.glm(formula, d, family=family, offset=offset).fit(
        cov_type="cluster", cov_kwds={"groups": pd.factorize(d["child"])[0]})


@pytest.mark.parametrize(("model", "term", "formula"), [
    ("per10", "distance_per_10_miles", f"missing_incidents ~ distance_per_10_miles + {RHS}"),
    ("log", "log1p_distance", f"missing_incidents ~ log1p_distance + {RHS}"),
    ("bands", "C(distance_band)[T.20–50 miles]", f"missing_incidents ~ C(distance_band) + {RHS}"),
])
def test_poisson_models_equal_statsmodels_with_la_dummies(frame, ours, model, term, formula):
    ref = _statsmodels(frame, formula, sm.families.Poisson())
    fit = ours.models[model]
    assert fit.params[term] == pytest.approx(ref.params[term], rel=1e-4)
    assert fit.bse[term] == pytest.approx(ref.bse[term], rel=0.01)
    assert not any(name.startswith("C(la)") for name in fit.params.index)  # absorbed, never a column


def test_logistic_equals_statsmodels(frame, ours):
    ref = _statsmodels(frame, f"any_missing ~ C(distance_band) + {RHS} + log_exposure_days", sm.families.Binomial())
    term = "C(distance_band)[T.20–50 miles]"
    fit = ours.models["logistic"]
    assert fit.params[term] == pytest.approx(ref.params[term], rel=1e-4)
    assert fit.bse[term] == pytest.approx(ref.bse[term], rel=0.01)


def test_propensity_scores_equal_statsmodels(frame, ours):
    d = frame.assign(outside=frame["outside_la"].astype(int))
    ref = smf.glm(f"outside ~ {RHS}", d, family=sm.families.Binomial()).fit()
    np.testing.assert_allclose(ours.models["propensity"].fitted, ref.fittedvalues.to_numpy(), rtol=1e-4, atol=1e-7)


def test_negative_binomial_equals_statsmodels(frame):
    d = frame.assign(distance_per_10_miles=frame["distance_miles"] / 10)
    design = build_design(d, ["distance_per_10_miles", "age_at_start_years", "sex"], fixed_effects=["la"])
    y, off = d["missing_incidents"].to_numpy(float), np.log(d["exposure_days"].to_numpy())
    child = pd.factorize(d["child"])[0]
    fit, alpha = fit_negbin(design, y, offset=off, cluster=child, notes=[], name="nb", alpha=0.8)
    ref = smf.glm("missing_incidents ~ distance_per_10_miles + age_at_start_years + C(sex) + C(la)", d,
                  family=sm.families.NegativeBinomial(alpha=0.8), offset=off).fit(
        cov_type="cluster", cov_kwds={"groups": child})
    assert alpha == 0.8
    assert fit.params["distance_per_10_miles"] == pytest.approx(ref.params["distance_per_10_miles"], rel=1e-6)
    assert fit.bse["distance_per_10_miles"] == pytest.approx(ref.bse["distance_per_10_miles"], rel=1e-3)
    _, estimated = fit_negbin(design, y, offset=off, cluster=child, notes=[], name="nb")
    joint = smf.negativebinomial("missing_incidents ~ distance_per_10_miles + age_at_start_years + C(sex) + C(la)",
                                 d, offset=off).fit(disp=False, maxiter=200)
    assert estimated == pytest.approx(float(joint.params["alpha"]), rel=1e-3)  # the joint maximum likelihood


def test_weighted_glm_matches_statsmodels_at_unit_weights() -> None:
    rng = np.random.default_rng(4)
    n_children = 400
    child = np.repeat(np.arange(n_children), rng.integers(1, 5, n_children))
    frailty = rng.gamma(2.0, 0.5, n_children)[child]  # clustering within child
    outside = rng.integers(0, 2, child.size)
    days = rng.integers(30, 365, child.size).astype(float)
    mu = days / 1000 * np.exp(0.4 * outside) * frailty
    d = pd.DataFrame({"outside": outside, "missing_incidents": rng.poisson(mu)})
    offset = np.log(days)
    X = sm.add_constant(d["outside"].astype(float))
    for alpha, fam in ((None, sm.families.Poisson()), (0.6, sm.families.NegativeBinomial(alpha=0.6))):
        ours = weighted_glm(d, offset, np.ones(len(d)), child, alpha)
        ref = sm.GLM(d["missing_incidents"], X, family=fam, offset=offset).fit(cov_type="cluster",
                                                                               cov_kwds={"groups": child})
        np.testing.assert_allclose(ours.params.to_numpy(), ref.params.to_numpy(), rtol=1e-6)
        if alpha is None:  # (statsmodels' NB sandwich uses the observed information; IPW uses the expected)
            np.testing.assert_allclose(ours.cov.to_numpy(), ref.cov_params().to_numpy(), rtol=1e-6)
            np.testing.assert_allclose(ours.pvalues.to_numpy(), ref.pvalues.to_numpy(), rtol=1e-5)


def test_a_design_on_every_row_is_itself_and_on_some_rows_a_copy(frame):
    """No copy of the n x k columns when no row is left out (the usual case: GBs at national scale)."""
    d = build_design(frame, ["distance_band", "age_at_start_years", "sex"], fixed_effects=["la"])
    assert d.take(np.arange(len(frame))) is d
    assert d.take(np.ones(len(frame), dtype=bool)) is d
    rows = np.flatnonzero(frame["sex"].eq("male").to_numpy())
    part = d.take(rows)
    assert part is not d and np.array_equal(part.X, d.X[rows]) and np.array_equal(part.fe, d.fe[rows])
    assert d.take(rows[::-1]).X[0].tolist() == d.X[rows[-1]].tolist()  # same length, other order: not itself


@pytest.mark.parametrize(("family", "fe"), [("poisson", "la"), ("logit", "la"), ("poisson", "child")])
def test_irls_equals_pyfixests_own_estimators(frame, family, fe):
    """fit_glm (IRLS on pyfixest's demeaner, lean in memory) gives pyfixest's fepois / feglm estimates and CRV1
    standard errors, with LA absorbed, or a child fixed effect where most children's rows carry no information
    and are left out (the small-sample factor counts only the levels fitted)."""
    import pyfixest as pf

    data = frame.assign(male=frame["sex"].eq("male").astype(float), cl=pd.factorize(frame["child"])[0])
    data["y"] = (data["missing_incidents"] if family == "poisson" else data["missing_incidents"].gt(0)).astype(float)
    data["off"] = np.log(data["exposure_days"]) if family == "poisson" else 0.0
    fit = fit_poisson if family == "poisson" else fit_logit
    kw_ours = {"offset": data["off"].to_numpy()} if family == "poisson" else {}
    terms = ["distance_miles", "age_at_start_years", "male"] if fe == "la" else ["distance_miles",
                                                                                 "previous_placements"]
    ours = fit(build_design(data, terms, fixed_effects=[fe]),
               data["y"].to_numpy(), cluster=data["cl"].to_numpy(), notes=(notes := []), name=family, **kw_ours)
    assert (fe == "child") == any("left out of the fit" in n for n in notes)
    if fe == "child":
        data = data.loc[data.groupby("child")["y"].transform("sum").gt(0)]  # as _informative leaves them out
    fml = f"y ~ {' + '.join(terms)} | {fe}"
    kw = {"vcov": {"CRV1": "cl"}, "ssc": pf.ssc(k_adj=True, k_fixef="full", G_adj=True), "fixef_rm": "none",
          "iwls_tol": 1e-10, "demeaner": pf.MapDemeaner(fixef_tol=1e-10)}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", pd.errors.Pandas4Warning)  # pandas' notices from inside pyfixest
        ref = (pf.fepois(fml, data=data, offset="off", **kw) if family == "poisson"
               else pf.feglm(fml, data=data, family="logit", **kw))
    np.testing.assert_allclose(ours.params.to_numpy(), ref.coef().to_numpy(), rtol=1e-6)
    np.testing.assert_allclose(ours.bse.to_numpy(), ref.se().to_numpy(), rtol=1e-4)
    assert ours.fitted is not None and len(ours.fitted) == len(data)  # the means of the rows fitted
    np.testing.assert_allclose(ours.fitted, np.asarray(ref._Y_hat_response), rtol=1e-6)


def test_a_model_that_does_not_converge_is_an_error_naming_it(frame) -> None:
    """Rounds run out before the deviance settles: an error naming the model, never the last round's estimates."""
    d = build_design(frame, ["distance_miles", "sex"], fixed_effects=["la"])
    y = frame["missing_incidents"].to_numpy(float)
    with pytest.raises(ModelNotIdentifiedError, match="per10 model did not converge in 2 rounds"):
        fit_glm("poisson", d, y, offset=np.log(frame["exposure_days"].to_numpy()), cluster=frame["child"].to_numpy(),
                weights=None, notes=[], name="per10", max_iter=2)
