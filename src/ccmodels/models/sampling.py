"""Sampling: nutpie (default), PyMC's own NUTS or numpyro; the log-likelihood after sampling.

nutpie is called directly (``nutpie.compile_pymc_model`` and ``nutpie.sample``, with one thread
per chain), which skips ``pm.sample``'s step assignment; PyMC's NUTS and numpyro go through
``pm.sample``. No backend stores the pointwise log-likelihood during sampling here:
:func:`log_likelihood` computes it afterwards when LOO is asked for.

Compile once: a model's data live in one data vector (:mod:`.datapack`), so models of the same
structure (the same graph, whatever their data) share a compiled form. nutpie's compiled models
are kept per structure (:func:`structure_key`) in this process, up to :data:`MAX_COMPILED`, and
a later fit of the same structure swaps in its data (``with_data``) instead of compiling; a
new process finds the compiled graph in PyTensor's on-disk cache and pays only nutpie's
wrapper. The fit's ``sample_stats`` attrs record ``compile_seconds`` (the structure's hash and
the data swap when reused), ``sampling_seconds`` and ``compiled_reused``.
"""

from __future__ import annotations

import hashlib
import os
import time
import warnings
from collections import OrderedDict
from collections.abc import Mapping
from typing import Any

import numpy as np
import pymc as pm
import pytensor
import xarray as xr
from pytensor.compile.sharedvalue import SharedVariable
from pytensor.graph.basic import Constant
from pytensor.graph.traversal import graph_inputs, io_toposort

__all__ = [
    "MAX_COMPILED",
    "clear_compiled",
    "log_likelihood",
    "prior_draws",
    "sample",
    "structure_key",
]

#: compiled nutpie models and prior samplers kept in this process (least recently used
#: dropped first)
MAX_COMPILED = 16
_COMPILED: OrderedDict[str, Any] = OrderedDict()
#: PyTensor mode of the functions evaluated a few hundred times after sampling (prior draws,
#: the growth models' pointwise log-likelihood): Python thunks, no numba compilation (which
#: costs 2-13 s per graph on a machine whose compile cache is empty, for calls that take
#: well under a millisecond each)
CHEAP_MODE = "FAST_COMPILE"
_PRIOR: OrderedDict[str, Any] = OrderedDict()


def clear_compiled() -> None:
    """Forget the compiled models and prior samplers of this process."""
    _COMPILED.clear()
    _PRIOR.clear()


def _remember(cache: OrderedDict[str, Any], key: str, value: Any) -> None:
    cache[key] = value
    while len(cache) > MAX_COMPILED:
        cache.popitem(last=False)


def _shared_data(model: pm.Model) -> dict[str, np.ndarray]:
    return {str(v.name): v.get_value() for v in model.data_vars if isinstance(v, SharedVariable)}


def prior_draws(model: pm.Model, draws: int, seed: int) -> xr.Dataset:
    """``draws`` prior draws (chain 1) of every free variable and deterministic of ``model``.

    The forward sampler is compiled once per structure (the graph of the parameters) and kept,
    as the fitted models are: a later model of the same structure sets its data into the kept
    sampler's and reseeds it (the draws are those ``pm.sample_prior_predictive`` would give
    with the same seed, up to its own seed handling)."""
    from pymc.pytensorf import reseed_rngs
    from pymc.sampling.forward import compile_forward_sampling_function
    from pytensor.tensor.random.variable import RandomGeneratorSharedVariable

    names = sorted(v.name for v in model.free_RVs + model.deterministics)
    outs = [model[n] for n in names]
    key = structure_key(model, outs)
    if key in _PRIOR:
        _PRIOR.move_to_end(key)
        fn, shared = _PRIOR[key]
        for name, value in _shared_data(model).items():
            shared[name].set_value(value)
    else:
        fn, _ = compile_forward_sampling_function(
            outs,
            vars_in_trace=[],
            basic_rvs=model.basic_RVs,
            model=model,
            allow_input_downcast=True,
            accept_inplace=True,
            mode=CHEAP_MODE,
        )
        shared = {str(v.name): v for v in model.data_vars if isinstance(v, SharedVariable)}
        _remember(_PRIOR, key, (fn, shared))
    rngs = [v for v in fn.get_shared() if isinstance(v, RandomGeneratorSharedVariable)]
    reseed_rngs(rngs, seed)
    values = [fn() for _ in range(draws)]
    data = {n: np.stack([v[i] for v in values])[None] for i, n in enumerate(names)}
    coords = {k: v for k, v in model.coords.items() if v is not None}
    dims = {n: list(model.named_vars_to_dims.get(n) or ()) for n in names}
    return xr.Dataset(
        {
            n: (("chain", "draw", *dims[n]), data[n])
            if len(dims[n]) == data[n].ndim - 2
            else (("chain", "draw", *[f"{n}_dim_{k}" for k in range(data[n].ndim - 2)]), data[n])
            for n in names
        },
        coords={"chain": [0], "draw": np.arange(draws)}
        | {k: list(v) for k, v in coords.items() if any(k in d for d in dims.values())},
    )


def _const_key(c: Constant) -> str:
    data = np.asarray(c.data)
    return hashlib.sha256(str((data.dtype.str, data.shape)).encode() + data.tobytes()).hexdigest()


def structure_key(model: pm.Model, outputs: list[Any] | None = None) -> str:
    """A hash of what a compiled model depends on: the log-density and deterministics graphs
    (or the graphs of ``outputs``: operations, constants, the names and types of the shared
    data, not their values), the free variables and their transforms, and the coords of every
    dim a parameter has. Two models with the same key compile to the same function."""
    outs = [model.logp(), *model.deterministics] if outputs is None else list(outputs)
    ins = list(graph_inputs(outs))
    ids: dict[Any, int] = {}
    parts: list[str] = []
    for i, v in enumerate(ins):
        ids[v] = i
        if isinstance(v, Constant):
            parts.append(f"c{_const_key(v)}")
        elif isinstance(v, SharedVariable):
            parts.append(f"s{v.name}:{v.type}")
        else:
            parts.append(f"i{v.name}:{v.type}")
    for node in io_toposort(ins, outs):
        props = node.op._props_dict() if getattr(node.op, "__props__", None) is not None else {}
        parts.append(
            f"{type(node.op).__module__}.{type(node.op).__qualname__}{sorted(props.items())!r}"
            f"({','.join(str(ids.get(x, -1)) for x in node.inputs)})"
        )
        for out in node.outputs:
            ids[out] = len(ids)
    named = [*model.free_RVs, *model.deterministics]
    dims = {d for v in named for d in (model.named_vars_to_dims.get(v.name) or ()) if d}
    parts.append(repr(sorted((d, [str(x) for x in model.coords[d]]) for d in dims)))
    parts.append(repr([(v.name, str(v.type)) for v in model.value_vars]))
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()


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

    t0 = time.perf_counter()
    key = structure_key(model)
    reused = key in _COMPILED
    if reused:
        _COMPILED.move_to_end(key)
        compiled = _COMPILED[key].with_data(**_shared_data(model))
    else:
        # fastmath off: with it, a function compiled afresh and the same function loaded
        # from PyTensor's numba cache round differently, so one seed gave different draws on
        # the first fit on a machine and on later ones; without it the draws are the same,
        # at no cost in speed here. Freezing the model's data into constants doubles the
        # numba compile time here for no gain in sampling speed.
        with pytensor.config.change_flags(numba__fastmath=False):
            compiled = nutpie.compile_pymc_model(model, backend="numba", freeze_model=False)
        _remember(_COMPILED, key, compiled)
    compile_seconds = time.perf_counter() - t0
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
    sampling_seconds = time.time() - start
    patch_nutpie_idata(idata, model, sampling_time=sampling_seconds)
    idata["sample_stats"].attrs.update(
        compile_seconds=compile_seconds,
        sampling_seconds=sampling_seconds,
        compiled_reused=int(reused),
    )
    return idata


def log_likelihood(idata: xr.DataTree, model: pm.Model) -> xr.DataTree:
    """Add the pointwise log-likelihood of the observed variables (group ``log_likelihood``)."""
    if "log_likelihood" not in idata.children:
        pm.compute_log_likelihood(
            idata, model=model, progressbar=False, compile_kwargs={"mode": CHEAP_MODE}
        )
    return idata
