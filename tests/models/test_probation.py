"""The logit models' case integrals (probation and disposition) against brute force, and probation's predictions."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from ccmodels.models import (
    ProbationModel,
)
from ccmodels.models.disposition import DispositionModel


def test_probation_predictions_respect_the_law(fitted, population):
    m = fitted["probation"]
    o = population.offenders
    p = m.predict(o).mean(("chain", "draw")).values
    rec = o["recidivist"].to_numpy()
    long_term = o["term_months"].to_numpy() > 36
    assert np.all(p[rec | long_term] == 0)
    ok = ~rec & ~long_term & (o["sentence_type"] == "fixed_term").to_numpy()
    assert np.all(p[ok] > 0)
    # art. 74: a ringleader of a criminal group is not eligible, however short the term
    lead = o.assign(ringleader=ok & (np.arange(len(o)) % 2 == 0))
    q = m.predict(lead).mean(("chain", "draw")).values
    assert np.all(q[lead["ringleader"].to_numpy()] == 0)
    assert np.all(q[ok & ~lead["ringleader"].to_numpy()] > 0)
    assert len(m.select(lead)) == len(m.select(o)) - int(lead["ringleader"].sum())


def _at_a_point(m, model, seed: int):
    """A random point of ``model`` (unconstrained values near the initial point): the values
    of every free variable and deterministic, and the Potential's value there."""
    rng = np.random.default_rng(seed)
    ip = model.initial_point()
    point = {k: v + rng.normal(0, 0.3, np.shape(v)) for k, v in ip.items()}
    names = [v.name for v in model.free_RVs + model.deterministics]
    outs = model.replace_rvs_by_values([model[n] for n in names] + list(model.potentials))
    fn = model.compile_fn(outs, inputs=model.value_vars, on_unused_input="ignore")
    vals = fn(point)
    return {n: np.asarray(v)[None] for n, v in zip(names, vals, strict=False)}, float(vals[-1])


def _brute_logit_case(lp: np.ndarray, y: np.ndarray, share: np.ndarray, tau: float) -> float:
    """log ∫ N(u; 0, tau²) prod_j e^share_j sigmoid(s_j (lp_j + u)) du on a dense grid."""
    from scipy.special import logsumexp

    u = np.linspace(-12 * tau - 20, 12 * tau + 20, 400_001)
    s = np.where(y == 0, -1.0, 1.0)
    lg = stats.norm.logpdf(u, 0, tau) - np.logaddexp(0, -s[:, None] * (lp[:, None] + u)).sum(0)
    return float(logsumexp(lg) + np.log(u[1] - u[0]) + share.sum())


@pytest.mark.parametrize("kind", ["probation", "disposition"])
def test_logit_models_integrate_every_case_exactly(kind, population):
    """The Potential the sampler sees equals the sum over cases (lone offenders and
    co-defendants) of the case-effect integral done on a dense grid from the rows' own
    logits (computed by the NumPy predictor, not by the graph), and the per-case LOO values
    are those integrals."""
    from ccmodels.models.predictive import Draws

    m = ProbationModel() if kind == "probation" else DispositionModel()
    model = m.build(population.offenders)
    d = m.design
    values, potential = _at_a_point(m, model, seed=4)
    draws = Draws(values, d.coords)
    rng = np.random.default_rng(0)
    y = d.extra["y"]
    if kind == "probation":
        lp = m._logit(draws, d, rng)[0]
        share = np.zeros(len(y))
        tau = float(values["prob_sigma_case"][0])
    else:
        l_ex, l_fo = (v[0] for v in m._logits(draws, d, rng))
        l_fo = np.where(d.extra["fine_only_ok"], l_fo, -np.inf)
        lp = np.logaddexp(l_ex, l_fo)
        share = np.where(y == 1, l_ex - lp, np.where(y == 2, l_fo - lp, 0.0))
        tau = float(values["disp_sigma_case"][0])
    cases = m.structure(d)[2]
    want = np.array(
        [
            _brute_logit_case(lp[r], y[r], share[r], tau)
            for r in (np.flatnonzero(cases.row_case == k) for k in range(len(cases.case_ids)))
        ]
    )
    assert potential == pytest.approx(want.sum(), abs=1e-6 * len(want))
    # the LOO values, from the NumPy side of the model
    from ccmodels.models.likelihoods import logit_cells as lc

    sign = np.where(y == 0, -1.0, 1.0)
    if kind == "probation":
        lp_cell, lp_term = m._cell_logits(draws, d)
        loo = lc.per_case_loglik(cases, lp_cell, lp_term, sign, np.array([tau]))[0]
    else:
        parts = m._cell_logits(draws, d)
        loo = lc.per_case_loglik(cases, parts["cell"], parts["term"], sign, np.array([tau]))[0]
        loo += np.bincount(cases.row_case, weights=share, minlength=loo.size)
    np.testing.assert_allclose(loo, want, atol=1e-6)
