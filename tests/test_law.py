import datetime as dt

import numpy as np
import pytest

from ccmodels import law


def test_article_start_dates():
    assert law.article_in_force_from("285-2") == dt.date(2009, 2, 28)
    assert law.article_in_force_from("285-3") == dt.date(2009, 2, 28)
    for a in ("286-1", "287-1", "287-2"):
        assert law.article_in_force_from(a) == dt.date(2015, 11, 1)
    ok = law.article_exists(["287-2", "287-2", "285-2"], ["2015-10-31", "2015-11-01", "2009-02-27"])
    assert ok.tolist() == [False, True, False]


def test_maximum_terms_follow_the_tiers():
    m = law.max_term(["285-1", "285-2", "285-3", "286", "286-1", "287-1", "287-2", "other"])
    assert m.tolist() == [36, 84, 84, 180, 36, 36, 36, 180]


def test_unknown_article_is_named():
    with pytest.raises(ValueError, match="'288'.*allowed"):
        law.max_term(["285-2", "288"])


def test_probation_eligibility():
    st = ["detention", "fixed_term", "fixed_term", "fixed_term", "fine_only", "exempt"]
    term = [5, 36, 36.5, 12, 0, 0]
    rec = [False, False, False, True, False, False]
    assert law.probation_eligible(st, term, rec).tolist() == [
        True,
        True,
        False,
        False,
        False,
        False,
    ]


def test_probation_period_bounds():
    lo, hi = law.probation_period_bounds(
        ["detention", "detention", "fixed_term", "fixed_term"], [1, 5, 8, 30]
    )
    assert lo.tolist() == [2, 5, 12, 30]
    assert hi.tolist() == [12, 12, 60, 60]


def test_fines():
    assert law.fine_allowed(["285-1", "285-2", "286", "287-2", "other"]).tolist() == [
        False,
        True,
        False,
        True,
        True,
    ]
    assert law.fine_minimum([False, True]).tolist() == [1000, 500]
    cfg = law.LawConfig(fine_min=2000)
    assert law.fine_minimum([False], cfg).tolist() == [2000]


def test_unverified_control_option_is_a_parameter():
    assert law.DEFAULT_LAW.rules["286-1"].tiers[0].control_ok
    assert not law.LawConfig(control_286_1=False).rules["286-1"].tiers[0].control_ok


def test_custodial_ranges():
    lo, hi = law.custodial_range(["detention", "fixed_term", "control"])
    np.testing.assert_array_equal(lo, [1, 6, 0])
    np.testing.assert_array_equal(hi, [6, 180, 0])
