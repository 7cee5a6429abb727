"""distance.glm: the hand-written weighted GLM sandwich equals statsmodels' clustered GLM at unit weights."""

from __future__ import annotations

import numpy as np
import pandas as pd
import statsmodels.api as sm

from distance.glm import weighted_glm


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
    fam = sm.families.Poisson()
    ours = weighted_glm(d, fam, offset, np.ones(len(d)), child)
    X = sm.add_constant(d["outside"].astype(float))
    ref = sm.GLM(d["missing_incidents"], X, family=fam, offset=offset).fit(cov_type="cluster",
                                                                           cov_kwds={"groups": child})
    np.testing.assert_allclose(ours.params.to_numpy(), ref.params.to_numpy(), rtol=1e-8)
    np.testing.assert_allclose(ours.cov.to_numpy(), ref.cov_params().to_numpy(), rtol=1e-6)
    np.testing.assert_allclose(ours.pvalues.to_numpy(), ref.pvalues.to_numpy(), rtol=1e-5)
