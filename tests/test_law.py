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


def test_fine_rules_follow_the_statutes():
    # each tier's rule, as domain A2 gives it
    rules = {a: [t.fine for t in law.ARTICLE_RULES[a].tiers] for a in law.ARTICLES}
    assert rules["285-1"] == ["none"] and rules["286"] == ["none", "none"]
    assert rules["285-2"] == rules["285-3"] == ["with_custody_or_alone", "with_custody"]
    for a in ("286-1", "287-1", "287-2"):
        assert rules[a] == ["with_custody_or_alone"]
    assert rules["other"] == ["with_custody_or_alone", "with_custody", "with_custody"]
    assert set(law.FINE_RULES) == {"none", "with_custody", "with_custody_or_alone", "optional"}


@pytest.mark.parametrize(
    ("article", "sentence_type", "term", "tier", "rule", "required"),
    [
        ("285-2", "fixed_term", 36.0, 0, "with_custody_or_alone", True),  # 36 stays in tier 1
        ("285-2", "fixed_term", 36.5, 1, "with_custody", True),
        ("285-2", "detention", 4.0, 0, "with_custody_or_alone", True),
        ("285-2", "fine_only", 0.0, 0, "with_custody_or_alone", True),
        ("285-2", "exempt", 0.0, 0, "none", False),  # exemption: no penalty at all
        ("287-2", "fixed_term", 30.0, 0, "with_custody_or_alone", True),
        ("286-1", "control", 0.0, 0, "with_custody_or_alone", True),
        ("other", "fixed_term", 121.0, 2, "with_custody", True),
        ("other", "fixed_term", 120.0, 1, "with_custody", True),
        ("285-1", "fixed_term", 30.0, 0, "none", False),
        ("286", "fixed_term", 100.0, 1, "none", False),
    ],
)
def test_fine_rule_of_a_sentence(article, sentence_type, term, tier, rule, required):
    assert law.tier_index([article], [sentence_type], [term]).tolist() == [tier]
    assert law.fine_rule([article], [sentence_type], [term]).tolist() == [rule]
    assert law.fine_required([article], [sentence_type], [term]).tolist() == [required]


def test_fine_rules_broadcast_a_scalar_article():
    assert law.fine_required("287-2", ["fixed_term", "exempt"], [10.0, 0.0]).tolist() == [
        True,
        False,
    ]
    assert law.tier_index("285-2", "fixed_term", [12.0, 60.0]).tolist() == [0, 1]


def test_only_the_cyber_articles_fix_their_fine_rule():
    assert law.fine_rule_known(list(law.ARTICLES)).tolist() == [a != "other" for a in law.ARTICLES]


def test_fine_alone_only_under_the_compound_form():
    ok = law.fine_only_allowed(list(law.ARTICLES)).tolist()
    assert ok == [a not in ("285-1", "286") for a in law.ARTICLES]
    strict = law.LawConfig(
        rules=law.DEFAULT_LAW.rules
        | {"287-2": law.ArticleRule((law.Tier(max_months=36.0, fine="with_custody"),))}
    )
    assert not law.fine_only_allowed(["287-2"], strict)[0]
    assert law.fine_required(["287-2"], ["fixed_term"], [12.0], strict)[0]
    optional = law.LawConfig(
        rules=law.DEFAULT_LAW.rules
        | {"287-2": law.ArticleRule((law.Tier(max_months=36.0, fine="optional"),))}
    )
    assert not law.fine_required(["287-2"], ["fixed_term"], [12.0], optional)[0]


def test_unverified_control_option_is_a_parameter():
    assert law.DEFAULT_LAW.rules["286-1"].tiers[0].control_ok
    assert not law.LawConfig(control_286_1=False).rules["286-1"].tiers[0].control_ok


def test_custodial_ranges():
    lo, hi = law.custodial_range(["detention", "fixed_term", "control"])
    np.testing.assert_array_equal(lo, [1, 6, 0])
    np.testing.assert_array_equal(hi, [6, 180, 0])


def test_art_69_regimes_are_data_with_their_dates():
    old, new = law.COMBINATION_RULES
    assert old.in_force_from == dt.date(1997, 10, 1)
    assert (old.fixed_term_max, old.fixed_term_max_long, old.detention_max) == (240, 240, 12)
    assert new.in_force_from == dt.date(2011, 5, 1) == law.AMENDMENT_VIII
    assert (new.fixed_term_max, new.fixed_term_max_long, new.long_sum) == (240, 300, 420)
    assert law.combination_rule(2010) is old
    assert law.combination_rule(2011) is new  # a 2011 judgment may apply Amendment VIII
    assert law.combination_rule() is new


def test_combined_cap_depends_on_the_sum_of_the_terms():
    st = ["fixed_term"] * 4 + ["detention"]
    years = [2015, 2015, 2015, 2009, 2015]
    sums = [200.0, 419.0, 420.0, 500.0, 10.0]
    cap = law.combined_term_cap(st, years, sums)
    # never above the sum; 20 years under a 35-year sum, 25 from it; 20 before Amendment VIII
    assert cap.tolist() == [200, 240, 300, 240, 10]
    assert law.combined_term_cap(st, years).tolist() == [300, 300, 300, 240, 12]


def test_term_cap_single_charge_is_the_article_maximum_several_the_art_69_cap():
    arts = ["287-2", "287-2", "285-2", "other", "other", "286"]
    n = [1, 2, 1, 2, 1, 2]
    st = ["fixed_term", "fixed_term", "fixed_term", "fixed_term", "detention", "detention"]
    years = [2018, 2018, 2018, 2010, 2018, 2018]
    cap = law.term_cap(arts, n, st, years)
    assert cap.tolist() == [36, 300, 84, 240, 6, 12]
    single = law.term_cap(list(law.ARTICLES))
    np.testing.assert_array_equal(single, law.term_bounds(list(law.ARTICLES))[1])
    assert law.term_cap(["286"], [3], ["control"]).tolist() == [0]


def test_custodial_range_with_several_charges():
    lo, hi = law.custodial_range(["detention", "fixed_term", "fixed_term"], [2, 2, 1], [2016] * 3)
    np.testing.assert_array_equal(lo, [1, 6, 6])
    np.testing.assert_array_equal(hi, [12, 300, 180])


def test_ringleaders_of_criminal_groups_get_no_probation():
    st = ["detention", "fixed_term", "fixed_term"]
    term = [5, 24, 24]
    rec = [False, False, False]
    assert law.probation_eligible(st, term, rec).tolist() == [True, True, True]
    lead = [False, True, False]
    assert law.probation_eligible(st, term, rec, lead).tolist() == [True, False, True]
    assert law.probation_eligible(st, term, [True, False, False], lead).tolist() == [
        False,
        False,
        True,
    ]


def test_sentence_types_as_codes_give_the_same_rules():
    rng = np.random.default_rng(0)
    n = 500
    art = rng.choice(law.ARTICLES, n)
    st = rng.choice([*law.SENTENCE_TYPES, "unknown"], n)
    term = rng.uniform(0, 200, n)
    codes = law.sentence_type_codes(st)
    assert np.all(codes[st == "unknown"] == -1)
    assert np.all(np.asarray(law.SENTENCE_TYPES)[codes[st != "unknown"]] == st[st != "unknown"])
    for fn in (law.fine_required, law.fine_rule, law.tier_index):
        np.testing.assert_array_equal(fn(art, st, term), fn(art, codes, term))
    for fn in (law.probation_period_bounds,):
        np.testing.assert_array_equal(np.array(fn(st, term)), np.array(fn(codes, term)))
    np.testing.assert_array_equal(
        law.probation_eligible(st, term, False), law.probation_eligible(codes, term, False)
    )
    assert law.fine_rule(art, st, term).dtype == object
