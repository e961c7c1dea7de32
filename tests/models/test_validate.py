"""The recovery helpers on a tiny fit: the chance coverage of a posterior's own draws."""

from __future__ import annotations

import numpy as np

from ccmodels.validate import chance_coverage, recovery_table


def test_chance_coverage_counts_each_draw_against_the_intervals(fitted, population):
    idata = fitted["probation"].idata
    tab = recovery_table(population.truth, idata)
    c = chance_coverage(population.truth, idata, n=10_000)
    n_draws = idata["posterior"].sizes["chain"] * idata["posterior"].sizes["draw"]
    assert c.shape == (n_draws,)  # n above the draws available: every draw once
    k = len(tab)
    assert np.allclose(c * k, np.rint(c * k))  # shares of the k elements
    # each element's central 90% interval holds 90% of its own draws (ties aside)
    assert abs(c.mean() - 0.9) < 0.01
    assert c.std() > 0  # draws differ in how many elements they put outside
    scal = chance_coverage(population.truth, idata, n=10_000, scalars=True)
    k_scal = int((~tab.index.str.contains(r"\[")).sum())
    assert 0 < k_scal < k
    assert np.allclose(scal * k_scal, np.rint(scal * k_scal))
    assert not np.allclose(scal, c)  # a different set of elements from the full table
    # the same seed picks the same draws
    a = chance_coverage(population.truth, idata, n=50, seed=3)
    np.testing.assert_array_equal(a, chance_coverage(population.truth, idata, n=50, seed=3))
