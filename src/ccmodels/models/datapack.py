"""All of a model's data as one ``pm.Data`` vector: cheap to compile, new data without recompiling.

Each ``pm.Data`` (a shared variable) costs nutpie's numba wrapper about 0.7 s of compile time
(measured: a regression with its covariates in 1, 5 and 20 ``pm.Data`` compiled in 2.7, 7.2
and 15.8 s), and every array baked into a graph as a constant makes the graph, and so
PyTensor's on-disk cache key, depend on the data. A :class:`DataPack` holds every array a model
graph reads in a single float64 vector ``data``, with their offsets and shapes in a second,
``data_layout``; the graph reads each array as a slice of ``data`` whose bounds and shape come
from ``data_layout``. The graph is then the same for any data of the same structure: it compiles
once per process (:mod:`.sampling` keeps the compiled model and swaps the two vectors) and its
compiled form is found in PyTensor's cache by the next process.

Integer arrays (indices, counts) are stored as float64 (exact below 2**53) and cast back.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pymc as pm
import pytensor.tensor as pt

__all__ = ["DataPack"]

#: layout slots per array: the offset, then up to three dimensions
_SLOTS = 4


class DataPack:
    """Collects a model's data arrays while its graph is built (see the module docstring).

    Create it inside the model's context before any array is added, call it
    (``pack(name, array)``) for each array to get a tensor that reads it, and call
    :meth:`finish` once the graph is built to store the arrays."""

    def __init__(self, name: str = "data") -> None:
        self.name = name
        self.values = pm.Data(name, np.zeros(0))
        # float64 like the data (exact for any offset below 2**53): pm.Data would store an
        # integer vector as int32
        self.layout = pm.Data(f"{name}_layout", np.zeros(0))
        self._lay = pt.cast(self.layout, "int64")
        self.arrays: dict[str, np.ndarray] = {}

    def __call__(self, key: str, array: Any) -> Any:
        a = np.asarray(array)
        if key in self.arrays:
            raise ValueError(f"data array {key!r} added twice")
        if a.ndim > _SLOTS - 1:
            raise ValueError(f"data array {key!r} has {a.ndim} dimensions; at most {_SLOTS - 1}")
        i = len(self.arrays)
        self.arrays[key] = a
        base = _SLOTS * i
        off = self._lay[base]
        shape = [self._lay[base + 1 + k] for k in range(a.ndim)]
        size: Any = 1
        for s in shape:
            size = size * s
        out = self.values[off : off + size].reshape(shape, ndim=a.ndim)
        if a.dtype.kind in "iub":
            out = pt.cast(out, "int64") if a.dtype.kind in "iu" else out
        return out

    def packed(self) -> tuple[np.ndarray, np.ndarray]:
        """The ``data`` and ``data_layout`` vectors of the arrays added so far."""
        layout = np.zeros(_SLOTS * len(self.arrays))
        parts = []
        off = 0
        for i, a in enumerate(self.arrays.values()):
            layout[_SLOTS * i] = off
            layout[_SLOTS * i + 1 : _SLOTS * i + 1 + a.ndim] = a.shape
            parts.append(np.asarray(a, dtype=np.float64).ravel())
            off += a.size
        values = np.concatenate(parts) if parts else np.zeros(0)
        return values, layout

    def finish(self) -> None:
        """Store the arrays in the model's two data vectors."""
        values, layout = self.packed()
        self.values.set_value(values)
        self.layout.set_value(layout)
