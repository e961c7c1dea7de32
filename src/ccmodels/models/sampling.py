"""Sampling: nutpie (default), PyMC's own NUTS or numpyro; the log-likelihood after sampling.

nutpie is called directly (``nutpie.compile_pymc_model`` and ``nutpie.sample``, with one thread
per chain), which skips ``pm.sample``'s step assignment; PyMC's NUTS and numpyro go through
``pm.sample``. No backend stores the pointwise log-likelihood during sampling here:
:func:`log_likelihood` computes it afterwards when LOO is asked for.
"""

from __future__ import annotations

import os
import time
import warnings
from collections.abc import Mapping
from typing import Any

import pymc as pm
import pytensor
import xarray as xr

__all__ = ["log_likelihood", "sample"]


def sample(model: pm.Model, s: Mapping[str, Any], seed: int, progress: bool) -> xr.DataTree:
    """Sample ``model`` with the settings ``s`` (see :mod:`ccmodels.models.config`)."""
    if s["sampler"] == "nutpie":
        return _sample_nutpie(model, s, seed, progress)
    return _sample_pm(model, s, seed, progress)


def _sample_pm(model: pm.Model, s: Mapping[str, Any], seed: int, show: bool) -> xr.DataTree:
    """Sample with ``pm.sample``: PyMC's own NUTS or numpyro."""
    kwargs: dict[str, Any] = {
        "draws": int(s["draws"]),
        "tune": int(s["tune"]),
        "chains": int(s["chains"]),
        "random_seed": seed,
        "progressbar": show,
        "model": model,
        "nuts_sampler": s["sampler"],
        "compute_convergence_checks": False,
        "target_accept": float(s["target_accept"]),
        # pm.sample's own core count can come out as 1 (it assumes half the CPUs are
        # hyper-threads); ask for one process per chain up to the machine's cores.
        "cores": min(int(s["chains"]), os.cpu_count() or 1),
    }
    if s["sampler"] == "numpyro":
        import jax

        # JAX defaults to float32, in which the sufficient-statistics likelihood loses its
        # precision (differences of large sums).
        jax.config.update("jax_enable_x64", True)
        kwargs["nuts_sampler_kwargs"] = {"chain_method": "sequential"}
    with warnings.catch_warnings():
        # pm.sample warns when fewer than 100 draws per chain are asked for (tests do) and
        # about its own future defaults; neither concerns the fit.
        warnings.filterwarnings("ignore", message=".*samples per chain.*")
        warnings.filterwarnings("ignore", category=FutureWarning, module="pymc.*")
        return pm.sample(**kwargs)


def _sample_nutpie(model: pm.Model, s: Mapping[str, Any], seed: int, show: bool) -> xr.DataTree:
    """Compile the model for nutpie and sample it (nutpie's own API, as ``pm.sample`` does,
    without ``pm.sample``'s step-method assignment, which costs half a second here)."""
    import nutpie
    from pymc.backends.arviz import patch_nutpie_idata

    # fastmath off: with it, a function compiled afresh and the same function loaded from
    # PyTensor's numba cache round differently, so one seed gave different draws on the first
    # fit on a machine and on later ones; without it the draws are the same, at no cost in
    # speed here. Freezing the model's data into constants doubles the numba compile time
    # here for no gain in sampling speed.
    with pytensor.config.change_flags(numba__fastmath=False):
        compiled = nutpie.compile_pymc_model(model, backend="numba", freeze_model=False)
    chains = int(s["chains"])
    start = time.time()
    idata = nutpie.sample(
        compiled,
        draws=int(s["draws"]),
        tune=int(s["tune"]),
        chains=chains,
        cores=min(chains, os.cpu_count() or 1),
        seed=seed,
        save_warmup=False,
        progress_bar=show,
        target_accept=float(s["target_accept"]),
        adaptation=str(s["adaptation"]),
    )
    patch_nutpie_idata(idata, model, sampling_time=time.time() - start)
    return idata


def log_likelihood(idata: xr.DataTree, model: pm.Model) -> xr.DataTree:
    """Add the pointwise log-likelihood of the observed variables (group ``log_likelihood``)."""
    if "log_likelihood" not in idata.children:
        pm.compute_log_likelihood(idata, model=model, progressbar=False)
    return idata
