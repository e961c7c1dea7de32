"""The case-effect kernels (:mod:`.kernels`) as PyTensor Ops, for every backend.

Each Op returns the integrals and their derivatives together (one pass of the kernel); its
``grad`` multiplies the derivative outputs by the incoming gradient, so a gradient evaluation
runs the kernel once. In a numba graph (nutpie, the default) the Op is the compiled kernel
itself, with a cache key so that PyTensor's on-disk cache keeps the whole graph; in a C graph
(PyMC's NUTS) ``perform`` calls it; in a JAX graph (numpyro, optional) it is a host callback
with a custom VJP. Data inputs (outcome signs, multiplicities, case pointers) carry no
gradient; second derivatives are not provided (NUTS needs none).
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import numba
import numpy as np
import pytensor.tensor as pt
from pytensor.gradient import DisconnectedType
from pytensor.graph.basic import Apply
from pytensor.graph.op import Op
from pytensor.link.numba.dispatch.basic import register_funcify_default_op_cache_key

from ccmodels.models.likelihoods import cases, kernels, lone, normal_cdf, probit
from ccmodels.models.likelihoods.cases import logistic_cases
from ccmodels.models.likelihoods.lone import logistic_lone, logit_cells_loglik
from ccmodels.models.likelihoods.probit import probit_cases

__all__ = ["LogisticCases", "LogisticLone", "LogitCells", "ProbitCases", "first_output"]

#: A hash of the kernels' source: part of the Ops' cache key, so that PyTensor's on-disk cache
#: of compiled graphs never serves a graph built on an older kernel.
KERNEL_VERSION = int(
    hashlib.sha256(
        b"".join(
            Path(str(m.__file__)).read_bytes() for m in (kernels, cases, lone, normal_cdf, probit)
        )
        + Path(__file__).read_bytes()
    ).hexdigest()[:15],
    16,
)


def first_output(op: Op, *inputs: Any) -> Any:
    """The first output of ``op`` applied to ``inputs`` (the integrals; the others are the
    derivatives its gradient uses)."""
    out = op(*inputs)
    assert isinstance(out, list)
    return out[0]


def _f64(x: Any) -> Any:
    return pt.cast(pt.as_tensor_variable(x), "float64")


def _i64(x: Any) -> Any:
    return pt.as_tensor_variable(x).astype("int64")


def _disconnected(n: int) -> list[Any]:
    return [DisconnectedType()() for _ in range(n)]


def _no_second_derivatives(cotangents: Any, first: int) -> None:
    for g in cotangents[first:]:
        if not isinstance(g.type, DisconnectedType):
            raise NotImplementedError("the case-integral Ops have no second derivatives")


class LogisticCases(Op):
    """(a, c, w, start, term_case, tau) -> (L per case, dL/da per term, dL/dtau per case):
    :func:`.cases.logistic_cases`. ``term_case`` (each term's case) is used by ``grad``."""

    __props__ = ()

    def make_node(self, *args: Any) -> Apply:
        a, c, w, start, term_case, tau = args
        inputs = [_f64(a), _f64(c), _f64(w), _i64(start), _i64(term_case), _f64(tau)]
        return Apply(self, inputs, [pt.dvector(), pt.dvector(), pt.dvector()])

    def perform(self, node: Apply, inputs: Any, output_storage: Any) -> None:
        a, c, w, start, _tc, tau = inputs
        for store, value in zip(
            output_storage, logistic_cases(a, c, w, start, float(tau)), strict=True
        ):
            store[0] = value

    def connection_pattern(self, node: Apply) -> list[list[bool]]:
        on = [True, True, True]
        off = [False, False, False]
        return [on, off, off, off, off, on]

    def pullback(self, inputs: Any, outputs: Any, cotangents: Any) -> list[Any]:
        _no_second_derivatives(cotangents, 1)
        g = cotangents[0]
        _ll, da, dtau = outputs
        return [g[inputs[4]] * da, *_disconnected(4), (g * dtau).sum()]


class LogisticLone(Op):
    """(x, tau) -> (g, dg/dx, dg/dtau) per lone term: :func:`.lone.logistic_lone`."""

    __props__ = ()

    def make_node(self, *args: Any) -> Apply:
        x, tau = args
        return Apply(self, [_f64(x), _f64(tau)], [pt.dvector(), pt.dvector(), pt.dvector()])

    def perform(self, node: Apply, inputs: Any, output_storage: Any) -> None:
        x, tau = inputs
        for store, value in zip(output_storage, logistic_lone(x, float(tau)), strict=True):
            store[0] = value

    def pullback(self, inputs: Any, outputs: Any, cotangents: Any) -> list[Any]:
        _no_second_derivatives(cotangents, 1)
        g = cotangents[0]
        _v, gx, gt = outputs
        return [g * gx, (g * gt).sum()]


class ProbitCases(Op):
    """(m, v, a, c, w, start, term_case) -> (L, dL/dm, dL/dv per case; dL/da, dL/dc per
    term): :func:`.probit.probit_cases`."""

    __props__ = ()

    def make_node(self, *args: Any) -> Apply:
        m, v, a, c, w, start, term_case = args
        inputs = [_f64(m), _f64(v), _f64(a), _f64(c), _f64(w), _i64(start), _i64(term_case)]
        return Apply(self, inputs, [pt.dvector() for _ in range(5)])

    def perform(self, node: Apply, inputs: Any, output_storage: Any) -> None:
        m, v, a, c, w, start, _tc = inputs
        for store, value in zip(output_storage, probit_cases(m, v, a, c, w, start), strict=True):
            store[0] = value

    def connection_pattern(self, node: Apply) -> list[list[bool]]:
        on = [True] * 5
        off = [False] * 5
        return [on, on, on, on, off, off, off]

    def pullback(self, inputs: Any, outputs: Any, cotangents: Any) -> list[Any]:
        _no_second_derivatives(cotangents, 1)
        g = cotangents[0]
        _ll, dm, dv, da, dc = outputs
        gt = g[inputs[6]]
        return [g * dm, g * dv, gt * da, gt * dc, *_disconnected(3)]


class LogitCells(Op):
    """(lp_pat, b, tau, cell_pat, cell_off, cell_sign, cell_count, term_pat, term_off,
    term_sign, term_w, start) -> (total, d/d lp_pat, d/d b, d/d tau):
    :func:`.lone.logit_cells_loglik`, a logit model's whole integrated likelihood."""

    __props__ = ()
    _data = (0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1)  # 1: an integer input

    def make_node(self, *args: Any) -> Apply:
        inputs = [_i64(a) if k else _f64(a) for a, k in zip(args, self._data, strict=True)]
        outputs = [pt.dscalar(), pt.dvector(), pt.dscalar(), pt.dscalar()]
        return Apply(self, inputs, outputs)

    def perform(self, node: Apply, inputs: Any, output_storage: Any) -> None:
        lp, b, tau, *rest = inputs
        out = logit_cells_loglik(lp, float(b), float(tau), *rest)
        for store, value in zip(output_storage, out, strict=True):
            store[0] = np.asarray(value, dtype=np.float64)

    def connection_pattern(self, node: Apply) -> list[list[bool]]:
        on = [True] * 4
        return [on, on, on, *([[False] * 4] * 9)]

    def pullback(self, inputs: Any, outputs: Any, cotangents: Any) -> list[Any]:
        _no_second_derivatives(cotangents, 1)
        g = cotangents[0]
        _total, d_lp, d_b, d_tau = outputs
        return [g * d_lp, g * d_b, g * d_tau, *_disconnected(9)]


# --------------------------------------------------------------------------- numba (nutpie)
@register_funcify_default_op_cache_key(LogisticCases)
def _numba_logistic_cases(op: LogisticCases, node: Any = None, **kwargs: Any) -> Any:
    @numba.njit
    def f(a, c, w, start, term_case, tau):  # type: ignore[no-untyped-def]  # pragma: no cover
        return logistic_cases(a, c, w, start, tau.item())

    return f, KERNEL_VERSION


@register_funcify_default_op_cache_key(LogisticLone)
def _numba_logistic_lone(op: LogisticLone, node: Any = None, **kwargs: Any) -> Any:
    @numba.njit
    def f(x, tau):  # type: ignore[no-untyped-def]  # pragma: no cover
        return logistic_lone(x, tau.item())

    return f, KERNEL_VERSION


@register_funcify_default_op_cache_key(ProbitCases)
def _numba_probit_cases(op: ProbitCases, node: Any = None, **kwargs: Any) -> Any:
    @numba.njit
    def f(m, v, a, c, w, start, term_case):  # type: ignore[no-untyped-def]  # pragma: no cover
        return probit_cases(m, v, a, c, w, start)

    return f, KERNEL_VERSION


@register_funcify_default_op_cache_key(LogitCells)
def _numba_logit_cells(op: LogitCells, node: Any = None, **kwargs: Any) -> Any:
    @numba.njit
    def f(lp, b, tau, cp, co, cs, cc, tp, to, ts, tw, st):  # type: ignore[no-untyped-def]  # pragma: no cover
        total, d_lp, d_b, d_tau = logit_cells_loglik(
            lp, b.item(), tau.item(), cp, co, cs, cc, tp, to, ts, tw, st
        )
        return np.asarray(total), d_lp, np.asarray(d_b), np.asarray(d_tau)

    return f, KERNEL_VERSION


# --------------------------------------------------------------------------- JAX (numpyro)
def _jax_op(
    kernel: Any, keep: tuple[int, ...], scalar: tuple[int, ...], shapes: Any, grads: Any
) -> Any:
    """A JAX function for an Op: the kernel on the host (``pure_callback``) with a custom VJP
    from its derivative outputs. The kernel gets the inputs at positions ``keep`` (those at
    ``scalar`` as Python floats); ``shapes(*inputs)`` gives the output shapes, ``grads(inputs,
    outputs, g)`` the inputs' cotangents given that of the first output."""
    import jax
    import jax.numpy as jnp

    def host(*xs: Any) -> tuple[np.ndarray, ...]:
        args = [float(np.asarray(xs[i])) if i in scalar else np.asarray(xs[i]) for i in keep]
        try:
            outs = kernel(*args)
        except (ZeroDivisionError, ValueError):  # a scale at 0: a point the sampler rejects
            return tuple(np.full(s, np.nan) for s in shapes(*xs))
        return tuple(np.asarray(o, dtype=np.float64) for o in outs)

    def call(*xs: Any) -> Any:
        out = tuple(jax.ShapeDtypeStruct(s, jnp.float64) for s in shapes(*xs))
        return jax.pure_callback(host, out, *xs, vmap_method="sequential")

    @jax.custom_vjp
    def f(*xs: Any) -> Any:
        return call(*xs)

    def fwd(*xs: Any) -> Any:
        out = call(*xs)
        return out, (xs, out)

    def bwd(res: Any, cts: Any) -> Any:
        xs, out = res
        return grads(xs, out, cts[0])

    f.defvjp(fwd, bwd)
    return f


def _zero(x: Any) -> Any:
    import jax
    import jax.numpy as jnp

    if jnp.issubdtype(x.dtype, jnp.integer):
        return np.zeros(x.shape, dtype=jax.dtypes.float0)
    return jnp.zeros_like(x)


def _register_jax() -> None:
    from pytensor.link.jax.dispatch import jax_funcify

    @jax_funcify.register(LogisticCases)
    def _jax_logistic_cases(op: LogisticCases, node: Any = None, **kwargs: Any) -> Any:
        def shapes(a, c, w, start, tc, tau):  # type: ignore[no-untyped-def]
            k = (start.shape[0] - 1,)
            return [k, a.shape, k]

        def grads(xs, out, g):  # type: ignore[no-untyped-def]
            _a, c, w, start, tc, _tau = xs
            _ll, da, dtau = out
            return (g[tc] * da, _zero(c), _zero(w), _zero(start), _zero(tc), (g * dtau).sum())

        return _jax_op(logistic_cases, (0, 1, 2, 3, 5), (5,), shapes, grads)

    @jax_funcify.register(LogisticLone)
    def _jax_logistic_lone(op: LogisticLone, node: Any = None, **kwargs: Any) -> Any:
        def shapes(x, tau):  # type: ignore[no-untyped-def]
            return [x.shape, x.shape, x.shape]

        def grads(xs, out, g):  # type: ignore[no-untyped-def]
            _v, gx, gt = out
            return (g * gx, (g * gt).sum())

        return _jax_op(logistic_lone, (0, 1), (1,), shapes, grads)

    @jax_funcify.register(LogitCells)
    def _jax_logit_cells(op: LogitCells, node: Any = None, **kwargs: Any) -> Any:
        def shapes(lp, *rest):  # type: ignore[no-untyped-def]
            return [(), lp.shape, (), ()]

        def grads(xs, out, g):  # type: ignore[no-untyped-def]
            _total, d_lp, d_b, d_tau = out
            return (g * d_lp, g * d_b, g * d_tau, *(_zero(x) for x in xs[3:]))

        return _jax_op(logit_cells_loglik, tuple(range(12)), (1, 2), shapes, grads)

    @jax_funcify.register(ProbitCases)
    def _jax_probit_cases(op: ProbitCases, node: Any = None, **kwargs: Any) -> Any:
        def shapes(m, v, a, c, w, start, tc):  # type: ignore[no-untyped-def]
            return [m.shape, m.shape, m.shape, a.shape, a.shape]

        def grads(xs, out, g):  # type: ignore[no-untyped-def]
            _m, _v, _a, _c, w, start, tc = xs
            _ll, dm, dv, da, dc = out
            return (g * dm, g * dv, g[tc] * da, g[tc] * dc, _zero(w), _zero(start), _zero(tc))

        return _jax_op(probit_cases, (0, 1, 2, 3, 4, 5), (), shapes, grads)


try:  # JAX is optional (the numpyro extra): register its forms only where it imports
    import jax  # noqa: F401
except ImportError:  # pragma: no cover - depends on the installed extras
    pass
else:
    _register_jax()
