"""Vectorised generator of synthetic case populations with known truth.

``simulate(scenario, seed)`` is a pure function: one integer seed, spawned into one independent
stream per component (``SeedSequence.spawn``), so changing one component's parameters leaves the
other components' draws unchanged. There is no Python loop over cases or offenders.

Generative structure (per year t, case c, offender i):

- volume: ``z_t = log_rate_start + drift * t + sd * RW_t``; cases ``N_t ~ NegBin(scale * e^z_t,
  dispersion)``;
- judgment date uniform within the year; value chains: independent Bernoulli per chain with a
  logit trend (cases can have several or none); target: base mix with chain overrides; article:
  year-weighted mix over the articles in force on the judgment date;
- group size ``n_c = 1 + NegBin(mu_t, alpha_t)`` (shifted NB; small alpha = heavy tail);
- traits: Bernoulli; accessory only among co-defendants; confession only without surrender;
  recidivism only for adults; plea leniency from ``plea_leniency_from``;
- the linear predictors (term, probation, fine parts) are :func:`ccmodels.params.linear`
  evaluated on the truth (:func:`ccmodels.params.truth`): the population is generated from the
  truth it reports. Year effects the scenario leaves to its walk are drawn from their own stream;
- disposition: exempt, fine only (where the article allows it) or custodial, a multinomial
  logit against custodial (the disposition model's predictors ``disp_exempt`` and
  ``disp_fine_only``) with a case effect shared by co-defendants on both logits;
- log term = linear predictor + case effect + Normal noise (Student-t when ``nu`` is set);
  the term is censored at the statutory bounds (1 month; the article maximum). Terms under
  6 months are detention;
- probation: Bernoulli-logit among the offenders law.py says are eligible, with
  ``log(term / 12)`` as covariate and a case effect shared by co-defendants; period uniform within the art. 73 range;
- fine: imposed wherever the law requires one (:func:`ccmodels.law.fine_required`: the tier's
  rule is 并处 or 并处或者单处, not exempt), log amount Normal with a case effect, censored
  below at the statutory minimum.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

from ccmodels import __version__, law, outcomes, params
from ccmodels.data.schema import CHAIN_COLUMNS, TARGETS, TRAITS
from ccmodels.simulate.latent import streams, yearly_latent
from ccmodels.simulate.scenario import Scenario
from ccmodels.simulate.tables import case_ids, case_table, roles

__all__ = [
    "Population",
    "PopulationTooLarge",
    "simulate",
]


@dataclass(frozen=True)
class Population:
    """A simulated population: offender table, case table, the truth Dataset, and the realised
    latent quantities (``latent``: yearly log case rate, chain shares, group-size mean and
    shape, each predictor's year effects) from which :func:`ccmodels.params.truth` builds it."""

    offenders: pd.DataFrame
    cases: pd.DataFrame
    truth: xr.Dataset
    seed: int
    latent: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))


def _predictor(
    truth: xr.Dataset, prefix: str, rows: params.LinearData, art_idx: np.ndarray | None = None
) -> np.ndarray:
    """A linear predictor of the truth for every row (0 where its unit admits no article);
    without ``art_idx`` the predictor has no article block."""
    spec = params.linear_spec(prefix)
    # the Dataset's variables (not DataArrays, whose construction costs more than the
    # predictor of a small population)
    var = {str(k): truth.variables[k] for k in truth.data_vars if str(k).startswith(prefix + "_")}
    if art_idx is None:
        values = {k: np.asarray(v.values) for k, v in var.items() if "article" not in v.dims}
        return np.asarray(params.linear(values, prefix, rows.only(spec.dims)), dtype=float)
    levels = spec.article_levels()
    # articles outside the predictor's levels index one more level, of effect 0; their rows
    # get a predictor of 0
    pos = np.array([levels.index(a) if a in levels else len(levels) for a in law.ARTICLES])
    a = pos[art_idx]
    values = {
        k: (
            np.append(np.asarray(truth[k].sel(article=levels).values), 0.0)
            if "article" in v.dims
            else np.asarray(v.values)
        )
        for k, v in var.items()
    }
    x = params.LinearData(rows.n, rows.year_idx, rows.chains, a, rows.traits)
    eta = np.asarray(params.linear(values, prefix, x), dtype=float)
    outside = a == len(levels)
    if outside.any():
        eta[outside] = 0.0
    return eta


class PopulationTooLarge(ValueError):
    """A scenario whose population would exceed the ``max_rows`` asked for."""


def _check_size(
    n: int, what: str, max_rows: int | None, years: np.ndarray, per_year: np.ndarray
) -> None:
    if max_rows is not None and n > max_rows:
        worst = int(np.argmax(per_year))
        raise PopulationTooLarge(
            f"the population would have {n:,} {what} (max_rows {max_rows:,}); "
            f"{int(per_year[worst]):,} of them in {int(years[worst])}"
        )


def simulate(
    scenario: Scenario, seed: int, max_rows: int | None = None, cases_only: bool = False
) -> Population:
    """Simulate one synthetic population.

    Parameters
    ----------
    scenario : Scenario
        Parameters (see ``Scenario``); ``Scenario.default()`` is the cai2017 calibration.
    seed : int
        The one seed; each component draws from its own spawned stream.
    max_rows : int, optional
        Refuse (``PopulationTooLarge``, before building the tables) a population with more
        cases or offenders than this: a guard for scenarios driven by posterior draws, whose
        walks can take the volume far out.
    cases_only : bool
        Stop after the case table (volume, dates, chains, target, article, group size and
        case effects, drawn exactly as in a full population): ``offenders`` is then empty.
        For projections of the growth quantities, where offender tables would cost memory
        for nothing.

    Returns
    -------
    Population
        ``offenders`` (the data contract plus ``judgment_date`` and the latent ``censored``
        flag), ``cases`` (one row per case with ``n_defendants``) and ``truth`` (xarray Dataset
        with the parameters named as in the models' posteriors).
    """
    if not isinstance(seed, int | np.integer) or seed < 0:
        raise ValueError(f"seed must be a non-negative integer, got {seed!r}")
    rng = streams(int(seed))
    sc = scenario
    years = sc.year_values()
    n_years = len(years)
    t = (years - years[0]).astype(float)

    lat = yearly_latent(sc, rng)
    log_rate, chain_p, latent_ro = lat.log_rate, lat.chain_p, lat.latent
    assert lat.truth is not None
    truth = lat.truth
    v = sc.volume
    n_cases_year = outcomes.negbin(rng["volume"], np.exp(log_rate), np.full(n_years, v.dispersion))
    n_cases = int(n_cases_year.sum())
    _check_size(n_cases, "cases", max_rows, years, n_cases_year)
    case_year_idx = np.repeat(np.arange(n_years), n_cases_year)
    case_year = years[case_year_idx]

    # --- judgment dates ------------------------------------------------------------------------
    start = np.array([f"{y}-01-01" for y in years], dtype="datetime64[D]")
    ndays = (np.array([f"{y + 1}-01-01" for y in years], dtype="datetime64[D]") - start).astype(int)
    u_day = rng["dates"].random(n_cases)
    date = start[case_year_idx] + np.floor(u_day * ndays[case_year_idx]).astype("timedelta64[D]")

    # --- value chains --------------------------------------------------------------------------
    chains = outcomes.chain_flags(rng["chains"].random((n_cases, 4)), chain_p[case_year_idx])

    # --- target -------------------------------------------------------------------------------
    tm = sc.target_mix
    base = np.array([tm.probs.get(k, 0.0) for k in TARGETS])
    base = base / base.sum()
    u_t = rng["target"].random((n_cases, 3))
    target_idx = np.minimum(np.searchsorted(np.cumsum(base), u_t[:, 0], side="right"), 4)
    gaming = chains[:, 1] & (u_t[:, 1] < tm.gaming_if_virtual)
    government = chains[:, 3] & (u_t[:, 2] < tm.government_if_gov)
    target_idx = np.where(gaming, TARGETS.index("gaming"), target_idx)
    target_idx = np.where(government, TARGETS.index("government"), target_idx)

    # --- article ------------------------------------------------------------------------------
    am = sc.article_mix
    w0 = np.array([am.weights.get(a, 0.0) for a in law.ARTICLES])
    slope = np.array([am.slope.get(a, 0.0) for a in law.ARTICLES])
    # the weights depend on the year and on which articles were in force on the date: one
    # row of cumulative weights per (year, articles in force), read by each case
    starts = np.array(
        [np.datetime64(law.article_in_force_from(a), "D") for a in law.ARTICLES], "datetime64[D]"
    )
    regimes = np.unique(starts)
    regime = np.searchsorted(regimes, date, side="right")  # start dates the date has passed
    rank = np.searchsorted(regimes, starts, side="right")
    in_force = np.arange(len(regimes) + 1)[:, None] >= rank[None, :]  # (regime, article)
    w = w0[None, :] * np.exp(slope[None, :] * t[:, None])  # (year, article)
    cw_tab = np.cumsum(np.where(in_force[:, None, :], w[None, :, :], 0.0), axis=-1)
    key = regime * n_years + case_year_idx
    cw_key = cw_tab.reshape(-1, len(law.ARTICLES))  # (regime x year, article)
    present = np.bincount(key, minlength=len(cw_key)) > 0
    if np.any(cw_key[present, -1] <= 0):
        raise ValueError("article_mix gives zero weight to every article in force on some dates")
    cw = cw_key[key]
    u_a = rng["article"].random(n_cases) * cw[:, -1]
    art_case = np.minimum((cw < u_a[:, None]).sum(axis=1), len(law.ARTICLES) - 1)

    truth.attrs.update(
        scenario=sc.name,
        seed=int(seed),
        ccmodels_version=__version__,
        scenario_json=sc.model_dump_json(),
    )

    # --- group size (log mean and log shape: predictors of the case's year and chains) -------
    gs = sc.group_size
    x_case = params.LinearData(n_cases, case_year_idx, chains.astype(float), None, None)
    mu_c = np.exp(_predictor(truth, "size_mu", x_case))
    alpha_c = np.exp(_predictor(truth, "size_alpha", x_case))
    n_def = outcomes.group_sizes(rng["group_size"], gs.family, mu_c, alpha_c)
    n_off = int(n_def.sum())
    if cases_only:  # the case table only: no offenders, traits or sentences
        u_case = rng["case_effect"].normal(0.0, 1.0, n_cases) * sc.sentence.sigma_case
        table = case_table(
            case_ids(case_year), case_year, date, art_case, chains, target_idx, n_def, u_case
        )
        return Population(pd.DataFrame(), table, truth, int(seed), latent_ro)
    _check_size(n_off, "offenders", max_rows, years, np.bincount(case_year_idx, n_def, n_years))

    # --- offenders ----------------------------------------------------------------------------
    case_of = np.repeat(np.arange(n_cases), n_def)
    first = np.concatenate([[0], np.cumsum(n_def)[:-1]]).astype(np.int64)
    defendant = np.arange(n_off) - np.repeat(first, n_def)
    year_idx = case_year_idx[case_of]
    off_year = years[year_idx]
    art_idx = art_case[case_of]
    chains_o = chains[case_of].astype(float)

    # --- traits -------------------------------------------------------------------------------
    tr = sc.traits
    u = rng["traits"].random((n_off, 10))
    co_defendant = n_def[case_of] > 1
    juvenile = u[:, 1] < tr.juvenile
    surrender = u[:, 4] < tr.surrender
    traits = {
        "female": u[:, 0] < tr.female,
        "juvenile": juvenile,
        "disability": u[:, 2] < tr.disability,
        "accessory": co_defendant & (u[:, 3] < tr.accessory),
        "surrender": surrender,
        "confession": ~surrender & (u[:, 5] < tr.confession),
        "recidivist": ~juvenile & (u[:, 6] < tr.recidivist),
        "restitution": u[:, 7] < tr.restitution,
        "plea_leniency": (off_year >= tr.plea_leniency_from) & (u[:, 8] < tr.plea_leniency),
    }
    age = np.where(juvenile, 16.0 + 2.9 * u[:, 9], 19.0 + rng["traits"].gamma(2.0, 6.0, n_off))
    trait_mat = np.column_stack([traits[k] for k in TRAITS]).astype(float)

    # --- roles (arts. 26, 97) and combined sentences (art. 69) ---------------------------------
    principal, ringleader = roles(
        sc.roles.criminal_group, n_def, case_of, first, traits["accessory"], rng["roles"]
    )
    r_ch = sc.roles
    u_ch = rng["charges"].random(n_off)
    extra = rng["charges"].poisson(r_ch.extra_charges, n_off)
    n_charges = np.where(u_ch < r_ch.several_charges, 2 + extra, 1).astype(np.int64)

    rows_x = params.LinearData(n_off, year_idx, chains_o, art_idx, trait_mat)

    # --- disposition: exempt, fine only (where allowed) or custodial ----------------------
    # (multinomial logit against custodial, with a case effect on both logits)
    u_st = rng["sentence_type"].random((n_off, 2))
    u_disp = rng["disposition_case"].normal(0.0, 1.0, n_cases) * sc.disposition.sigma_case
    lp_ex = _predictor(truth, "disp_exempt", rows_x, art_idx) + u_disp[case_of]
    lp_fo = _predictor(truth, "disp_fine_only", rows_x, art_idx) + u_disp[case_of]
    p_ex, p_fo = outcomes.disposition_probabilities(lp_ex, lp_fo, law.fine_only_allowed(art_idx))
    exempt, fine_only = outcomes.disposition(u_st[:, 0], p_ex, p_fo)
    custodial = ~exempt & ~fine_only

    # --- prison term (log-normal, censored at the statutory bounds) ---------------------------
    s = sc.sentence
    u_case = rng["case_effect"].normal(0.0, 1.0, n_cases) * s.sigma_case
    eta_term = _predictor(truth, "term", rows_x, art_idx)
    noise = (
        rng["sentence"].normal(0.0, 1.0, n_off)
        if s.nu is None
        else rng["sentence"].standard_t(s.nu, n_off)
    )
    lo, hi = outcomes.term_bounds(art_idx, n_charges, off_year)
    term_all, censored = outcomes.term(noise, eta_term + u_case[case_of], s.sigma, lo, hi)
    term = np.where(custodial, term_all, 0.0)
    st_code = outcomes.sentence_type_codes(exempt, fine_only, term)

    # --- probation ----------------------------------------------------------------------------
    p = sc.probation
    u_pr = rng["probation"].random((n_off, 2))
    eligible = law.probation_eligible(st_code, term, traits["recidivist"], ringleader)
    u_prob = rng["probation_case"].normal(0.0, 1.0, n_cases) * p.sigma_case
    eta_prob = _predictor(truth, "prob", rows_x, art_idx)
    eta_prob = eta_prob + p.log_term * outcomes.log_term_covariate(term) + u_prob[case_of]
    probation = outcomes.probation(u_pr[:, 0], eta_prob, eligible)
    plo, phi = law.probation_period_bounds(st_code, term)
    period = np.where(probation, np.nan_to_num(plo + u_pr[:, 1] * (phi - plo)), 0.0)

    # --- fine: wherever the law requires one (并处 / 并处或者单处), unless exempt -----------
    f = sc.fine
    rng["fine"].random(n_off)  # retired any-fine uniforms: drawn so the amounts keep their stream
    z_f = rng["fine"].normal(0.0, 1.0, n_off)
    fined = law.fine_required(art_idx, st_code, term)
    eta_amt = _predictor(truth, "fine_amount", rows_x, art_idx)
    fmin = law.fine_minimum(traits["juvenile"])
    u_fine = rng["fine_case"].normal(0.0, 1.0, n_cases) * f.sigma_case
    amount = outcomes.fine_amount(z_f, eta_amt + u_fine[case_of], f.sigma, fmin)
    fine = np.where(fined, amount, 0.0)

    # --- tables -------------------------------------------------------------------------------
    ids = case_ids(case_year)
    case_cat = pd.Categorical.from_codes(case_of, categories=pd.Index(ids))
    # the columns are this function's own arrays: no copy into consolidated blocks
    off = pd.DataFrame(
        {
            "case_id": case_cat,
            "defendant": defendant.astype(np.int64),
            "year": off_year.astype(np.int64),
            "judgment_date": date[case_of],
            "article": pd.Categorical.from_codes(art_idx, categories=list(law.ARTICLES)),
            **{c: chains[case_of, j] for j, c in enumerate(CHAIN_COLUMNS)},
            "target": pd.Categorical.from_codes(target_idx[case_of], categories=list(TARGETS)),
            **traits,
            "age": age,
            "principal": principal,
            "ringleader": ringleader,
            "n_charges": n_charges,
            "sentence_type": pd.Categorical.from_codes(
                st_code, categories=list(law.SENTENCE_TYPES)
            ),
            "term_months": term,
            "probation": probation,
            "probation_months": period,
            "fine_yuan": fine,
            "term_censored": np.where(custodial, censored, 0).astype(np.int8),
        },
        copy=False,
    )
    cases = case_table(ids, case_year, date, art_case, chains, target_idx, n_def, u_case)
    return Population(off, cases, truth, int(seed), latent_ro)
