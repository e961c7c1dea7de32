"""Property-based tests of the simulator (hypothesis; deterministic under the 'ci' profile)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from ccmodels import law, params
from ccmodels.data import CHAIN_COLUMNS, TRAITS, validate
from ccmodels.simulate import Population, Scenario, simulate

SC = Scenario.default()
seeds = st.integers(0, 2**32 - 1)

# Scenarios that vary along the axes that matter for the properties below.
scenarios = st.builds(
    lambda scale, slope, sigma, case, mu, other_case, fo, grp, chg: SC.replace(
        volume={"scale": scale},
        sentence={"year_slope": slope, "sigma": sigma, "sigma_case": case},
        group_size={"log_mu": {"start": mu, "slope": 0.3}},
        disposition={"sigma_case": other_case, "fine_only": {"intercept": fo}},
        probation={"sigma_case": other_case},
        fine={"sigma_case": other_case},
        roles={"criminal_group": grp, "several_charges": chg},
    ),
    scale=st.floats(0.2, 4.0),
    slope=st.floats(-0.4, 0.4),
    sigma=st.floats(0.1, 1.5),
    case=st.floats(0.0, 1.0),
    mu=st.floats(-4.0, 0.5),
    other_case=st.floats(0.0, 3.0),
    fo=st.floats(-6.0, 2.0),
    grp=st.floats(0.0, 1.0),
    chg=st.floats(0.0, 0.5),
)


@given(sc=scenarios, seed=seeds)
def test_schema_types_and_statutory_bounds(sc, seed):
    pop = simulate(sc, seed)
    o = pop.offenders
    rep = validate(o)  # raises on any legal impossibility
    assert rep.anomalies == []  # and no required fine is missing
    assert o["article"].dtype == "category" and o["sentence_type"].dtype == "category"
    for c in (*CHAIN_COLUMNS, *TRAITS, "probation"):
        assert o[c].dtype == bool, c
    assert np.issubdtype(o["year"].dtype, np.integer)
    custodial = o["sentence_type"].isin(["fixed_term", "detention"]).to_numpy()
    term = o["term_months"].to_numpy()
    lo, hi = law.custodial_range(o["sentence_type"].astype(str).to_numpy())
    one = (o["n_charges"] == 1).to_numpy()
    assert np.all(term[custodial] >= lo[custodial])
    assert np.all(term[custodial & one] <= hi[custodial & one])
    art_ = o["article"].astype(str).to_numpy()
    n_ch = o["n_charges"].to_numpy()
    # art. 69: only a sentence combined for several crimes may exceed the article's maximum
    assert np.all(term[n_ch == 1] <= law.max_term(art_)[n_ch == 1])
    cap = law.term_cap(art_, n_ch, o["sentence_type"].astype(str).to_numpy(), o["year"].to_numpy())
    assert np.all(term <= cap)
    assert np.all(term[~custodial] == 0)
    dates = o["judgment_date"].to_numpy().astype("datetime64[D]")
    assert law.article_exists(o["article"].astype(str).to_numpy(), dates).all()
    fined = o["fine_yuan"].to_numpy() > 0
    art, st_ = o["article"].astype(str).to_numpy(), o["sentence_type"].astype(str).to_numpy()
    # fined exactly where the law requires a fine (并处 / 并处或者单处, not exempt)
    np.testing.assert_array_equal(fined, law.fine_required(art, st_, term))
    assert law.fine_allowed(art)[fined].all()
    assert np.all(o["fine_yuan"].to_numpy()[fined] >= law.fine_minimum(o["juvenile"])[fined])


@given(sc=scenarios, seed=seeds)
def test_probation_only_where_eligible(sc, seed):
    o = simulate(sc, seed).offenders
    elig = law.probation_eligible(
        o["sentence_type"].astype(str), o["term_months"], o["recidivist"], o["ringleader"]
    )
    pr = o["probation"].to_numpy()
    assert not np.any(pr & ~elig)
    lo, hi = law.probation_period_bounds(o["sentence_type"].astype(str), o["term_months"])
    pm = o["probation_months"].to_numpy()
    assert np.all((pm[pr] >= lo[pr]) & (pm[pr] <= hi[pr]))
    assert np.all(pm[~pr] == 0)


@given(sc=scenarios, seed=seeds)
def test_group_sizes_and_counts_add_up(sc, seed):
    pop = simulate(sc, seed)
    c, o = pop.cases, pop.offenders
    assert (c["n_defendants"] >= 1).all()
    assert c["n_defendants"].sum() == len(o)
    counts = o.groupby("case_id", sort=False).size()
    pd.testing.assert_series_equal(
        counts.reindex(c["case_id"]).reset_index(drop=True),
        c["n_defendants"].rename(None),
        check_names=False,
        check_dtype=False,
    )
    # defendants are 0..n-1 within each case
    assert (
        (o.groupby("case_id")["defendant"].max() + 1)
        .sort_index()
        .equals(o.groupby("case_id").size().sort_index())
    )
    # accessories only among co-defendants; confession excludes surrender
    assert not (o["accessory"] & (o.groupby("case_id")["defendant"].transform("size") == 1)).any()
    assert not (o["confession"] & o["surrender"]).any()
    # case-level columns agree between co-defendants and with the case table
    merged = o.drop_duplicates("case_id").set_index("case_id")
    for col in (*CHAIN_COLUMNS, "year"):
        assert (merged.loc[c["case_id"], col].to_numpy() == c[col].to_numpy()).all()


@given(seed=seeds)
def test_same_seed_same_output(seed):
    a, b = simulate(SC, seed), simulate(SC, seed)
    pd.testing.assert_frame_equal(a.offenders, b.offenders)
    pd.testing.assert_frame_equal(a.cases, b.cases)
    assert a.truth.identical(b.truth)
    assert a.truth.attrs["seed"] == seed


CASE_COLS = [
    "case_id",
    "year",
    "judgment_date",
    "article",
    *CHAIN_COLUMNS,
    "target",
    "n_defendants",
]


def _same(a: pd.DataFrame, b: pd.DataFrame, cols: list[str]) -> None:
    pd.testing.assert_frame_equal(a[cols], b[cols])


@given(seed=seeds, sigma=st.floats(0.05, 2.0), shift=st.floats(-1, 1), case=st.floats(0, 1))
def test_sentence_parameters_leave_other_components_unchanged(seed, sigma, shift, case):
    a = simulate(SC, seed)
    b = simulate(
        SC.replace(
            sentence={
                "sigma": sigma,
                "intercept": SC.sentence.intercept + shift,
                "sigma_case": case,
            }
        ),
        seed,
    )
    _same(a.cases, b.cases, CASE_COLS)
    _same(a.offenders, b.offenders, ["case_id", "defendant", *TRAITS, "age", "fine_yuan"])
    # sentence type is its own stream: non-custodial offenders are the same people
    assert (a.offenders["term_months"] == 0).equals(b.offenders["term_months"] == 0)


@given(seed=seeds, shift=st.floats(-3, 3), lt=st.floats(-2, 2), case=st.floats(0, 3))
def test_probation_parameters_leave_terms_and_fines_unchanged(seed, shift, lt, case):
    a = simulate(SC, seed)
    b = simulate(
        SC.replace(probation={"intercept": shift, "log_term": lt, "sigma_case": case}), seed
    )
    _same(a.offenders, b.offenders, ["term_months", "sentence_type", "fine_yuan", *TRAITS])


@given(seed=seeds, shift=st.floats(-3, 3), sigma=st.floats(0.1, 3), case=st.floats(0, 3))
def test_fine_parameters_leave_terms_and_probation_unchanged(seed, shift, sigma, case):
    a = simulate(SC, seed)
    b = simulate(
        SC.replace(fine={"sigma": sigma, "sigma_case": case, "amount": {"intercept": shift}}),
        seed,
    )
    _same(
        a.offenders,
        b.offenders,
        ["term_months", "sentence_type", "probation", "probation_months", *TRAITS],
    )
    # who is fined is the law's doing, not the amount's
    np.testing.assert_array_equal(a.offenders["fine_yuan"] > 0, b.offenders["fine_yuan"] > 0)


@given(seed=seeds, base=st.floats(7.0, 11.0), up=st.floats(0.0, 2.0))
def test_a_higher_amount_intercept_never_lowers_a_fine(seed, base, up):
    lo = simulate(SC.replace(fine={"amount": {"intercept": base}}), seed).offenders["fine_yuan"]
    hi = simulate(SC.replace(fine={"amount": {"intercept": base + up}}), seed).offenders
    assert np.all(hi["fine_yuan"].to_numpy() >= lo.to_numpy())


@given(sc=scenarios, seed=seeds)
def test_dispositions_follow_the_law(sc, seed):
    o = simulate(sc, seed).offenders
    st_ = o["sentence_type"].astype(str).to_numpy()
    art = o["article"].astype(str).to_numpy()
    # a fine alone only where the article's lowest tier allows it; no control is drawn
    assert law.fine_only_allowed(art)[st_ == "fine_only"].all()
    assert not (st_ == "control").any()
    exempt = st_ == "exempt"
    assert np.all(o["term_months"].to_numpy()[exempt] == 0)
    assert np.all(o["fine_yuan"].to_numpy()[exempt] == 0)
    assert not o["probation"].to_numpy()[exempt].any()


@given(
    seed=seeds,
    base=st.floats(-6.0, 0.0),
    up=st.floats(0.0, 3.0),
    case=st.floats(0.0, 2.0),
)
def test_dispositions_are_monotone_in_their_logits(seed, base, up, case):
    # Common random numbers: one uniform per offender against the cumulative probabilities
    def run(ex: float, fo: float) -> np.ndarray:
        sc = SC.replace(
            disposition={
                "sigma_case": case,
                "exempt": {"intercept": ex},
                "fine_only": {"intercept": fo},
            }
        )
        return simulate(sc, seed).offenders["sentence_type"].astype(str).to_numpy()

    lo, ex_hi, fo_hi = run(base, base), run(base + up, base), run(base, base + up)
    # a higher exempt logit never un-exempts anyone
    assert not np.any((lo == "exempt") & (ex_hi != "exempt"))
    # a higher fine-only logit never makes anyone custodial who was not
    custodial = np.isin(lo, ["fixed_term", "detention"])
    assert not np.any(~custodial & np.isin(fo_hi, ["fixed_term", "detention"]))
    assert (fo_hi == "fine_only").sum() >= (lo == "fine_only").sum()


@given(seed=seeds, shift=st.floats(-2, 2), case=st.floats(0, 3))
def test_disposition_parameters_leave_cases_and_traits_unchanged(seed, shift, case):
    a = simulate(SC, seed)
    b = simulate(
        SC.replace(disposition={"sigma_case": case, "exempt": {"intercept": -4.6 + shift}}),
        seed,
    )
    _same(a.cases, b.cases, CASE_COLS)
    _same(a.offenders, b.offenders, ["case_id", "defendant", *TRAITS, "age"])


@given(sc=scenarios, seed=seeds)
def test_roles_follow_the_law(sc, seed):
    """Art. 26: principals are co-defendants who are not accessories; art. 97: a ringleader
    leads a criminal group (three or more defendants), one per group, and is a principal;
    art. 74: never on probation; art. 69: several charges, at least two, only when drawn."""
    pop = simulate(sc, seed)
    o = pop.offenders
    size = o.groupby("case_id", observed=True)["defendant"].transform("size").to_numpy()
    pr, lead = o["principal"].to_numpy(), o["ringleader"].to_numpy()
    np.testing.assert_array_equal(pr, (size > 1) & ~o["accessory"].to_numpy())
    assert np.all(pr[lead]) and np.all(size[lead] >= 3)
    assert np.all(np.bincount(o["case_id"].cat.codes.to_numpy()[lead]) <= 1)
    assert not o["probation"].to_numpy()[lead].any()
    n = o["n_charges"].to_numpy()
    assert np.issubdtype(n.dtype, np.integer) and np.all(n >= 1)
    if sc.roles.several_charges == 0:
        assert np.all(n == 1)
    if sc.roles.criminal_group == 0:
        assert not lead.any()
    if sc.roles.criminal_group == 1:  # every case of >= 3 with a principal has its ringleader
        has_pr = o.groupby("case_id", observed=True)["principal"].transform("any").to_numpy()
        lead_case = o.groupby("case_id", observed=True)["ringleader"].transform("any").to_numpy()
        np.testing.assert_array_equal(lead_case, (size >= 3) & has_pr)


@given(
    seed=seeds, g1=st.floats(0, 1), dg=st.floats(0, 1), c1=st.floats(0, 0.5), dc=st.floats(0, 0.5)
)
def test_roles_are_monotone_and_leave_the_rest_unchanged(seed, g1, dg, c1, dc):
    """A likelier criminal group never removes a ringleader nor adds a probation; likelier
    several charges never lower a count; neither touches cases, traits or dispositions."""

    def run(g: float, c: float) -> pd.DataFrame:
        return simulate(
            SC.replace(roles={"criminal_group": g, "several_charges": c}), seed
        ).offenders

    a, b = run(g1, c1), run(min(g1 + dg, 1.0), min(c1 + dc, 1.0))
    assert not np.any(a["ringleader"].to_numpy() & ~b["ringleader"].to_numpy())
    assert np.all(b["n_charges"].to_numpy() >= a["n_charges"].to_numpy())
    same = ["case_id", "year", "article", *CHAIN_COLUMNS, *TRAITS, "principal", "sentence_type"]
    pd.testing.assert_frame_equal(a[same], b[same])
    # probation changes only for ringleaders added or terms raised by a combined sentence
    moved = (a["ringleader"] != b["ringleader"]) | (a["term_months"] != b["term_months"])
    np.testing.assert_array_equal(
        a["probation"].to_numpy()[~moved.to_numpy()], b["probation"].to_numpy()[~moved.to_numpy()]
    )
    gain = b["probation"].to_numpy() & ~a["probation"].to_numpy()
    assert not np.any(gain & (a["term_months"] == b["term_months"]).to_numpy())


def test_default_roles_leave_the_studys_population_as_it_was():
    """Roles off (the default): the new streams change nothing else, and every row is
    one charge, no ringleader."""
    a = simulate(SC, 5).offenders
    b = simulate(SC.replace(roles={"criminal_group": 0.0, "several_charges": 0.0}), 5).offenders
    pd.testing.assert_frame_equal(a, b)
    assert (a["n_charges"] == 1).all() and not a["ringleader"].any()


def test_retired_disposition_fields_are_refused_with_the_reason():
    with pytest.raises(ValueError, match=r"exempt_prob.*disposition\.exempt"):
        SC.replace(sentence={"exempt_prob": 0.02})


def test_old_any_fine_scenario_field_is_refused_with_the_reason():
    with pytest.raises(
        ValueError, match=r"'fine\.any' is no longer a scenario key: the law requires a fine"
    ):
        SC.replace(fine={"any": {"intercept": 1.0}})


@given(seed=seeds, start=st.floats(-3, 0), slope=st.floats(-0.5, 0.5))
def test_chain_parameters_leave_volume_and_group_sizes_unchanged(seed, start, slope):
    a = simulate(SC, seed)
    b = simulate(SC.replace(chains={"virtual_assets": {"start": start, "slope": slope}}), seed)
    _same(a.cases, b.cases, ["case_id", "year", "judgment_date", "n_defendants", "article"])


@given(seed=seeds, mu=st.floats(-4, 1), alpha=st.floats(-5, 1))
def test_group_size_parameters_leave_case_mix_unchanged(seed, mu, alpha):
    a = simulate(SC, seed)
    b = simulate(
        SC.replace(group_size={"log_mu": {"start": mu}, "log_alpha": {"start": alpha}}), seed
    )
    _same(a.cases, b.cases, ["case_id", "year", "article", *CHAIN_COLUMNS, "target"])


@given(seed=seeds, d1=st.floats(-0.5, 0.5), dd=st.floats(0.0, 0.5))
def test_higher_drift_never_lowers_expected_counts(seed, d1, dd):
    lo = simulate(SC.replace(volume={"drift": d1}), seed).truth["volume_log_rate"]
    hi = simulate(SC.replace(volume={"drift": d1 + dd}), seed).truth["volume_log_rate"]
    assert np.all(np.exp(hi.values) >= np.exp(lo.values))


@given(
    seed=seeds,
    e1=st.floats(-1, 1),
    de=st.floats(0.0, 1.0),
    shift=st.sampled_from(["level", "drift"]),
    month=st.integers(1, 12),
)
def test_a_larger_break_raises_the_rate_only_from_its_date(seed, e1, de, shift, month):
    def run(effect: float) -> Population:
        brk = {"date": f"2014-{month:02d}-01", "shift": shift, "effect": effect}
        return simulate(SC.replace(volume={"breaks": [brk]}), seed)

    lo, hi = run(e1), run(e1 + de)
    gap = hi.truth["volume_log_rate"].values - lo.truth["volume_log_rate"].values
    years = hi.truth["year"].values
    np.testing.assert_allclose(gap[years < 2014], 0.0, atol=1e-12)  # nothing before the date
    assert np.all(gap[years >= 2014] >= 0)
    assert np.all(np.diff(gap) >= -1e-12)  # the shift never shrinks later
    # the walk (the truth's year effect) is the same: the break is on top of it
    np.testing.assert_allclose(
        hi.truth["volume_year_effect"].values, lo.truth["volume_year_effect"].values, atol=1e-12
    )
    np.testing.assert_allclose(hi.truth["volume_break"].values, [e1 + de])
    again = run(e1 + de)
    _same(hi.cases, again.cases, ["case_id", "year", "judgment_date", "n_defendants"])


@given(
    years=st.lists(st.integers(2000, 2030), min_size=1, max_size=12, unique=True),
    day=st.integers(0, 364),
    shift=st.sampled_from(["level", "drift"]),
)
def test_break_covariates_are_yearly_averages_of_the_shift(years, day, shift):
    date = str(np.datetime64("2015-01-01") + np.timedelta64(day, "D"))
    x = params.break_covariates(sorted(years), [(date, shift)])[:, 0]
    ys = np.array(sorted(years), dtype=float)
    # the same average by quadrature over each year (midpoints of 3,650 slices)
    b = 2015 + day / 365
    s = ys[:, None] + (np.arange(3650) + 0.5)[None, :] / 3650
    f = (s >= b).astype(float) if shift == "level" else np.maximum(s - b, 0.0)
    np.testing.assert_allclose(x, f.mean(axis=1), atol=1e-3)
    assert np.all(np.diff(x) >= 0)
    if shift == "level":
        assert np.all((x >= 0) & (x <= 1))


@given(seed=seeds, rho=st.floats(-0.9, 0.9))
def test_correlated_chain_walks_keep_each_chains_walk_law(seed, rho):
    # correlation changes the joint law of the steps, not each chain's: with rw_sd the walks'
    # steps are the (correlated) draws, and the identity reproduces the independent walks
    corr = np.eye(4)
    corr[1, 2] = corr[2, 1] = rho
    sc = SC.replace(chains={"rw_sd": 0.3})
    a = simulate(sc, seed)
    b = simulate(sc.replace(chains={"walk_corr": np.eye(4).tolist()}), seed)
    _same(a.cases, b.cases, ["case_id", *CHAIN_COLUMNS])
    c = simulate(sc.replace(chains={"walk_corr": corr.tolist()}), seed)
    # rows 0 and 1 of the Cholesky factor are e_0 and e_1: the first two chains' steps are
    # unchanged, the third (internet resources) mixes in the second's
    share_a, share_c = a.truth["chain_share"].values, c.truth["chain_share"].values
    np.testing.assert_allclose(share_c[:, :2], share_a[:, :2], atol=1e-12)
    np.testing.assert_allclose(share_c[:, 3], share_a[:, 3], atol=1e-12)
    if abs(rho) > 0.05:
        assert not np.allclose(share_c[1:, 2], share_a[1:, 2])
    with pytest.raises(ValueError, match="correlation matrix"):
        sc.replace(chains={"walk_corr": (2 * np.eye(4)).tolist()})


@given(seed=seeds, b1=st.floats(-2, 2), db=st.floats(0, 3))
def test_larger_disability_effect_never_lowers_probation(seed, b1, db):
    # Common random numbers: each offender's probation is monotone in the linear predictor, so
    # the share (and its expectation) cannot fall.
    def run(b: float) -> pd.DataFrame:
        traits = dict(SC.probation.traits) | {"disability": b}
        return simulate(SC.replace(probation={"traits": traits}), seed).offenders

    lo, hi = run(b1), run(b1 + db)
    assert not np.any(lo["probation"].to_numpy() & ~hi["probation"].to_numpy())
    assert hi["probation"].mean() >= lo["probation"].mean()


def test_truth_names_and_dims_match_the_models():
    t = simulate(SC, 0).truth
    assert t["term_year_effect"].dims == ("year",)
    assert t["term_chain"].dims == ("value_chain",)
    assert t["prob_beta"].dims == ("trait",)
    np.testing.assert_allclose(float(t["term_year_effect"].sum()), 0.0, atol=1e-12)
    assert list(t["year"].values) == list(range(2012, 2017))


def test_invalid_seed():
    with pytest.raises(ValueError, match="seed"):
        simulate(SC, -1)
