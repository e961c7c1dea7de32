"""The one parameterisation shared by the priors, the simulator and the posteriors.

Each model's parameters are declared here once: name, dims and the Scenario field each maps to.
The model graphs create exactly these variables (plus sampling auxiliaries whose names end in
one of :data:`AUXILIARY`), the simulator reports its truth in them, and any draw of them (prior
or posterior) turns back into a Scenario whose simulated truth is that draw
(:mod:`ccmodels.draws`, a layer above this one and the simulator's).

Conventions (one for all consumers)
-----------------------------------
A linear predictor with prefix ``p`` is ``p_intercept + p_year_effect[year] + chains @ p_chain
+ p_article[article] + traits @ p_beta``, where

- ``p_year_effect`` sums to zero over the ``year`` coords (the intercept is the average over
  years); its steps are ``Normal(p_year_drift, p_sigma_year)`` (drift 0 unless the model has
  the ``year_drift`` option);
- ``p_article`` sums to zero over the ``article`` coords: every article of the data contract
  that the model's unit admits by law (all of them; for the fine parts, those whose article
  allows a fine for individuals), whether or not the data hold it. The intercept is the
  unweighted average over those articles. (Levels of another grouping column, e.g. charges in
  real data, are the levels present in the data.) ``p_sigma_article`` is their pooling scale;
- ``p_chain`` (value-chain membership flags) and ``p_beta`` (offender traits) are plain
  coefficients against "no chain" and "no trait"; ``p_sigma_chain`` pools the chains.

The linear predictor itself is defined once, by :func:`linear`: the same function evaluates it
on PyTensor variables (the model graph) and on NumPy draws of shape ``(sample, ...)``
(prediction, projection and the simulator).

Out-of-sample rules (NumPy side, :func:`extend`): a year after (before) the covered years
continues the walk forward (backward) with steps ``Normal(drift, sigma_year)`` (a damped trend:
the drift of step ``k`` from the first year is ``drift * year_damping**k``; a local linear
trend: the drift walks on from the last fitted step's with steps ``Normal(0, sigma_drift)``,
and backward keeps the first step's); a level of the
grouping column without an effect gets a fresh ``Normal(0, sigma_article)``.
"""

from __future__ import annotations

from ccmodels.fields import BREAK_SHIFTS, break_covariates
from ccmodels.params.linear import (
    LinearData,
    extend,
    linear,
    linear_data,
    stack_names,
)
from ccmodels.params.registry import (
    AUXILIARY,
    BLOCK_DIM,
    BLOCK_PARAMS,
    GROWTH_MODELS,
    MODELS,
    OUTCOME_MODELS,
    LinearSpec,
    ModelParams,
    Param,
    blocks_on,
    linear_parameters,
    linear_spec,
    model_parameters,
    register,
)
from ccmodels.params.truth import (
    HasLatent,
    coords_of,
    field_value,
    full_coords,
    on_coords,
    parameter_samples,
    pick_samples,
    predictor_truth,
    truth,
)

__all__ = [
    "AUXILIARY",
    "BLOCK_DIM",
    "BLOCK_PARAMS",
    "BREAK_SHIFTS",
    "GROWTH_MODELS",
    "MODELS",
    "OUTCOME_MODELS",
    "HasLatent",
    "LinearData",
    "LinearSpec",
    "ModelParams",
    "Param",
    "blocks_on",
    "break_covariates",
    "coords_of",
    "extend",
    "field_value",
    "full_coords",
    "linear",
    "linear_data",
    "linear_parameters",
    "linear_spec",
    "model_parameters",
    "on_coords",
    "parameter_samples",
    "pick_samples",
    "predictor_truth",
    "register",
    "stack_names",
    "truth",
]
