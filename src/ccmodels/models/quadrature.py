"""Adaptive quadrature of a censored case's likelihood over its case effect.

For case ``k`` the integral is ``∫ Normal(u; mean_k, var_k) prod_j Phi(a_j + c_j u) du``:
the prior of the case effect given the case's uncensored terms times one normal CDF per
censored term. Its log-integrand is strictly concave. :func:`log_integral` bounds its mass by
the mode (Newton's method from the prior mean, with step halving) and the points on either side
where it has fallen :data:`DROP` nats below the mode (Newton from the Laplace guess, which on a
concave function never crosses the mode), and integrates each side of the mode by Gauss-Legendre
with :data:`NODES` nodes. Each side is a smooth monotone piece however skewed the whole is: with
many terms censored at one bound the integrand is a prior tail cut by a steep wall, which one
Gauss-Hermite rule at the mode's curvature resolves badly (errors of 1e-3 nats at 150 censored
terms; centred on the uncensored terms only, 0.1-70 nats).

The placement (mode and ends) is one Op, :class:`Placement`, a compiled loop with no gradient:
the rule is valid for any placement and accurate ones agree to its error, so the gradient of
the quadrature with the placement held fixed is the integral's gradient to the same accuracy.
Inside a model graph it is one node, so that compiling the graph (C, numba for nutpie, JAX for
numpyro) costs what the fixed rule did; unrolled or scanned Newton steps made the numba
compile of the sentence model 15-40 times slower.
"""

from __future__ import annotations

import math
from typing import Any

import numba
import numpy as np
import pytensor.tensor as pt
from pytensor.gradient import DisconnectedType, disconnected_grad
from pytensor.graph.basic import Apply
from pytensor.graph.op import Op
from pytensor.link.numba.dispatch import numba_funcify

__all__ = ["DROP", "NODES", "Placement", "log_integral", "std_normal_lcdf"]

#: Nats below the mode at which the quadrature range ends on either side.
DROP = 40.0
#: Gauss-Legendre nodes on each side of the mode.
NODES = 24
#: Newton steps to the mode and to each end.
MODE_STEPS = 12
END_STEPS = 4
_HALF_LOG_2PI = 0.5 * math.log(2 * math.pi)


def std_normal_lcdf(z: Any) -> Any:
    """log Phi(z) as a PyTensor graph, safe for JAX autodiff.

    Same two branches as ``pymc.distributions.dist_math.normal_lcdf`` (erfcx below -1, log1p
    above), but each branch only ever sees its own side of the cut. ``jax.grad`` of a switch
    differentiates *both* branches and multiplies the unused one by 0: with the raw ``z`` the
    log1p branch has an infinite derivative for z < -8.3 (and erfcx overflows for z > 37.6),
    and 0 * inf = NaN poisons the whole gradient. The PyTensor C/numba graphs hide this
    (their gradient rewrites sink the switch), numpyro does not: every transition diverges.
    Also uses a float64 sqrt(2) (pymc's ``pt.sqrt(2.0)`` is a float32 constant).
    """
    low = pt.lt(z, -1.0)
    z_lo = pt.switch(low, z, -1.0)
    z_hi = pt.switch(low, -1.0, z)
    return pt.switch(
        low,
        pt.log(pt.erfcx(-z_lo / np.sqrt(2.0)) / 2.0) - pt.sqr(z_lo) / 2.0,
        pt.log1p(-pt.erfc(z_hi / np.sqrt(2.0)) / 2.0),
    )


# --------------------------------------------------------------------------- the placement
@numba.njit(cache=True)
def _log_phi_and_mills(z: float) -> tuple[float, float]:  # pragma: no cover - compiled
    """log Phi(z) and phi(z) / Phi(z) (asymptotic series below -30, where erfc underflows)."""
    if z < -30.0:
        r = 1.0 / (z * z)
        lphi = -0.5 * z * z - math.log(-z) - _HALF_LOG_2PI + math.log1p(-r + 3.0 * r * r)
    else:
        lphi = math.log(0.5 * math.erfc(-z / math.sqrt(2.0)))
    return lphi, math.exp(-0.5 * z * z - _HALF_LOG_2PI - lphi)


@numba.njit(cache=True)
def _log_h(
    u: float,
    k: int,
    mean: np.ndarray,
    var: np.ndarray,
    a: np.ndarray,
    c: np.ndarray,
    start: np.ndarray,
    order: np.ndarray,
) -> float:  # pragma: no cover - compiled
    out = -0.5 * (u - mean[k]) ** 2 / var[k]
    for i in range(start[k], start[k + 1]):
        j = order[i]
        out += _log_phi_and_mills(a[j] + c[j] * u)[0]
    return out


@numba.njit(cache=True)
def _slope(
    u: float,
    k: int,
    mean: np.ndarray,
    var: np.ndarray,
    a: np.ndarray,
    c: np.ndarray,
    start: np.ndarray,
    order: np.ndarray,
) -> tuple[float, float]:  # pragma: no cover
    """First derivative of the log-integrand and minus its second (> 0)."""
    g = -(u - mean[k]) / var[k]
    h = 1.0 / var[k]
    for i in range(start[k], start[k + 1]):
        j = order[i]
        z = a[j] + c[j] * u
        lam = _log_phi_and_mills(z)[1]
        g += lam * c[j]
        h += lam * (z + lam) * c[j] * c[j]
    return g, h


@numba.njit(cache=True)
def placement(
    mean: np.ndarray, var: np.ndarray, a: np.ndarray, c: np.ndarray, pos: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:  # pragma: no cover - compiled
    """Mode and the two ends (``DROP`` nats below it) of each case's log-integrand."""
    n = mean.size
    order = np.argsort(pos, kind="mergesort")
    start = np.zeros(n + 1, np.int64)
    for j in range(pos.size):
        start[pos[j] + 1] += 1
    for k in range(n):
        start[k + 1] += start[k]
    mode, lo, hi = np.empty(n), np.empty(n), np.empty(n)
    for k in range(n):
        u = mean[k]
        f = _log_h(u, k, mean, var, a, c, start, order)
        for _ in range(MODE_STEPS):
            g, h = _slope(u, k, mean, var, a, c, start, order)
            step = g / h
            if not abs(step) > 1e-12 * (1.0 + abs(u)):
                break
            f_new = _log_h(u + step, k, mean, var, a, c, start, order)
            for _halve in range(40):  # Newton with step halving: never downhill
                if f_new >= f:
                    break
                step *= 0.5
                f_new = _log_h(u + step, k, mean, var, a, c, start, order)
            u += step
            f = f_new
        mode[k] = u
        target = f - DROP
        h = _slope(u, k, mean, var, a, c, start, order)[1]
        for side in (-1.0, 1.0):
            e = u + side * math.sqrt(2.0 * DROP / h)
            for _ in range(END_STEPS):
                g = _slope(e, k, mean, var, a, c, start, order)[0]
                if g == 0.0:
                    break
                e_new = e - (_log_h(e, k, mean, var, a, c, start, order) - target) / g
                if side * (e_new - u) <= 0.0:  # never cross the mode
                    break
                e = e_new
            if side < 0:
                lo[k] = e
            else:
                hi[k] = e
    return mode, lo, hi


class Placement(Op):
    """(mean, var, a, c, pos) -> (mode, lo, hi) of each case's log-integrand; no gradient."""

    __props__ = ()

    def make_node(self, *inputs: Any) -> Apply:
        mean, var, a, c = (pt.cast(pt.as_tensor_variable(x), "float64") for x in inputs[:4])
        pos = pt.as_tensor_variable(inputs[4]).astype("int64")
        return Apply(self, [mean, var, a, c, pos], [pt.dvector(), pt.dvector(), pt.dvector()])

    def perform(self, node: Apply, inputs: Any, output_storage: Any) -> None:
        for store, value in zip(output_storage, placement(*inputs), strict=True):
            store[0] = value

    def connection_pattern(self, node: Apply) -> list[list[bool]]:
        return [[False, False, False] for _ in node.inputs]

    def grad(self, inputs: Any, output_grads: Any) -> list[Any]:
        return [DisconnectedType()() for _ in inputs]


@numba_funcify.register(Placement)
def _numba_placement(op: Placement, node: Any = None, **kwargs: Any) -> Any:
    return placement


def _jax_placement(op: Placement, node: Any = None, **kwargs: Any) -> Any:
    import jax

    def host(*xs: Any) -> tuple[np.ndarray, ...]:
        return tuple(np.asarray(v) for v in placement(*(np.asarray(x) for x in xs)))

    def run(mean: Any, var: Any, a: Any, c: Any, pos: Any) -> Any:
        shape = jax.ShapeDtypeStruct(mean.shape, mean.dtype)
        args = [jax.lax.stop_gradient(x) for x in (mean, var, a, c)]
        return jax.pure_callback(host, (shape, shape, shape), *args, pos, vmap_method="sequential")

    return run


try:  # JAX (numpyro) is optional: register the JAX form only where jax is importable
    from pytensor.link.jax.dispatch import jax_funcify
except ImportError:  # pragma: no cover - depends on the installed extras
    pass
else:
    jax_funcify.register(Placement)(_jax_placement)


# --------------------------------------------------------------------------- the rule
def log_integral(mean: Any, var: Any, a: Any, c: Any, pos: np.ndarray, n: int) -> Any:
    """log of ``∫ Normal(u; mean_k, var_k) prod_{j: pos_j = k} Phi(a_j + c_j u) du`` for each
    of ``n`` cases (``mean``, ``var``: (n,); ``a``, ``c``: one per censored term), as a graph."""
    placed = Placement()(mean, var, a, c, pos)
    assert isinstance(placed, list)
    mode, lo, hi = (disconnected_grad(v) for v in placed)
    x, w = np.polynomial.legendre.leggauss(NODES)
    halves = [(lo, mode), (mode, hi)]
    u = pt.concatenate(
        [0.5 * (r - q)[:, None] * x[None, :] + 0.5 * (r + q)[:, None] for q, r in halves], axis=1
    )  # (n, 2 * NODES)
    logw = pt.concatenate(
        [np.log(w)[None, :] + pt.log(0.5 * (r - q))[:, None] for q, r in halves], axis=1
    )
    z = a[:, None] + c[:, None] * u[pos]
    log_h = -0.5 * (u - mean[:, None]) ** 2 / var[:, None]
    log_h = log_h + pt.inc_subtensor(pt.zeros((n, 2 * NODES))[pos], std_normal_lcdf(z))
    return pt.logsumexp(log_h + logw, axis=1) - 0.5 * pt.log(2 * np.pi * var)
