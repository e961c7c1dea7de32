"""Fit files: NetCDF (h5netcdf, zlib), written atomically; read back with checks.

A fit file is an ``xarray.DataTree`` whose attrs carry the model type, the ccmodels version,
the config JSON, the seed and the config's id hash. :func:`read_fit` and :func:`check_fit`
refuse a file that is not a ccmodels fit, was written by another version, or whose config does
not hash to its id. Nothing here needs PyMC: the report reads fits through this module alone.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

from ccmodels import __version__, params

__all__ = [
    "FitFileError",
    "check_fit",
    "config_id",
    "dataset_to_frame",
    "derived_table",
    "fit_tree",
    "fitted_rows",
    "frame_to_dataset",
    "read_fit",
    "save_fit",
]

REQUIRED_ATTRS = ("model_type", "ccmodels_version", "config_json", "id")


class FitFileError(ValueError):
    """A saved fit cannot be loaded by this model or this version of ccmodels."""


def config_id(config: Mapping[str, Any]) -> str:
    """Hash of the model-defining part of a config (model type, priors and effects)."""
    key = json.dumps(
        {"model": config["model"], "priors": config["priors"], "effects": config["effects"]},
        sort_keys=True,
        default=str,
    )
    return hashlib.sha256(key.encode()).hexdigest()[:16]


def save_fit(idata: xr.DataTree, path: str | os.PathLike[str], overwrite: bool = False) -> Path:
    """Write a fit to NetCDF atomically (temporary file, then rename), numeric variables
    zlib-compressed; an existing file is refused unless ``overwrite``."""
    p = Path(path)
    if p.exists() and not overwrite:
        raise FileExistsError(f"{p} exists; pass overwrite=True (CLI: --force) to replace it")
    p.parent.mkdir(parents=True, exist_ok=True)
    encoding: dict[str, Any] = {}
    for node in idata.subtree:
        enc = {
            str(v): {"zlib": True, "complevel": 4}
            for v, da in node.dataset.data_vars.items()
            if da.dtype.kind in "fiub" and da.ndim > 0
        }
        if enc:
            encoding[node.path] = enc
    fd, tmp = tempfile.mkstemp(dir=p.parent, suffix=".nc.tmp")
    os.close(fd)
    try:
        idata.to_netcdf(tmp, engine="h5netcdf", encoding=encoding)
        os.replace(tmp, p)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return p


def check_fit(dt: xr.DataTree, source: str = "fit") -> str:
    """Check a fit's attributes; return its model type.

    Raises
    ------
    FitFileError
        Not a ccmodels fit, an unknown model type, another ccmodels version, or a config that
        does not hash to the stored id.
    """
    attrs = dt.attrs
    for key in REQUIRED_ATTRS:
        if key not in attrs:
            raise FitFileError(f"{source}: not a ccmodels fit (attribute {key!r} missing)")
    kind = str(attrs["model_type"])
    if kind not in params.MODELS:
        raise FitFileError(
            f"{source}: unknown model type {kind!r}; known: {', '.join(params.MODELS)}"
        )
    if attrs["ccmodels_version"] != __version__:
        raise FitFileError(
            f"{source}: written by ccmodels {attrs['ccmodels_version']}, this is {__version__}; "
            "refit with this version"
        )
    try:
        cfg = json.loads(attrs["config_json"])
        ident = config_id(cfg)
    except (ValueError, KeyError, TypeError) as exc:
        raise FitFileError(f"{source}: its config JSON cannot be read ({exc}); refit") from None
    if ident != attrs["id"]:
        raise FitFileError(
            f"{source}: its config hashes to {ident}, not the stored id {attrs['id']}: the file "
            "was altered or written by a different model definition; refit"
        )
    return kind


def read_fit(path: str | os.PathLike[str]) -> xr.DataTree:
    """Read a fit file into memory and check it (see :func:`check_fit`)."""
    p = Path(path)
    if not p.exists():
        raise FileNotFoundError(f"{p}: no such fit file")
    try:
        with xr.open_datatree(p, engine="h5netcdf") as f:
            dt = f.load()
    except OSError as exc:
        raise FitFileError(f"{p}: not a NetCDF fit file ({exc})") from None
    check_fit(dt, str(p))
    return dt


def fit_tree(item: Any) -> tuple[xr.DataTree, str]:
    """The checked DataTree of a fit and where it came from: a fit file (read, its path), a
    DataTree (``"DataTree given"``) or a fitted model (its ``idata``, ``"fitted in this
    session"``). The one way a fit is taken in: the report, the projection and the model
    classes read fits through it.

    Raises
    ------
    FileNotFoundError, FitFileError
        A missing file, or a file or tree that is not a fit of this version
        (:func:`check_fit`).
    ValueError
        A model that is not fitted, or anything else.
    """
    if isinstance(item, xr.DataTree):
        check_fit(item, "DataTree given")
        return item, "DataTree given"
    if isinstance(item, str | os.PathLike):
        return read_fit(item), str(Path(item))
    idata = getattr(item, "idata", None)
    if not isinstance(idata, xr.DataTree):
        if hasattr(item, "model_type"):
            raise ValueError(f"the {item.model_type} model is not fitted: call fit() or load()")
        raise ValueError(f"not a fit: {item!r} (give fit files, DataTrees or fitted models)")
    check_fit(idata, "fitted model")
    return idata, "fitted in this session"


def frame_to_dataset(df: pd.DataFrame) -> xr.Dataset:
    """A table as a Dataset over ``row`` (strings and categories as fixed-width unicode)."""
    data = {}
    for c in df.columns:
        s = df[c]
        if (
            isinstance(s.dtype, pd.CategoricalDtype)
            or s.dtype == object
            or pd.api.types.is_string_dtype(s)
        ):
            data[c] = ("row", s.astype(str).to_numpy().astype("U"))
        elif pd.api.types.is_datetime64_any_dtype(s):
            data[c] = ("row", s.to_numpy().astype("datetime64[ns]"))
        else:
            data[c] = ("row", s.to_numpy())
    return xr.Dataset(data, coords={"row": np.arange(len(df))})


def dataset_to_frame(ds: xr.Dataset) -> pd.DataFrame:
    df = pd.DataFrame({k: np.asarray(v.values) for k, v in ds.data_vars.items()})
    for c in ("article", "sentence_type", "target", "case_id"):
        if c in df:
            df[c] = df[c].astype(str)
    return df


def fitted_rows(idata: xr.DataTree) -> pd.DataFrame:
    """The rows a fit was made on (its ``fit_data`` group) as a DataFrame."""
    return dataset_to_frame(idata["fit_data"].to_dataset())


def derived_tables(tables: Mapping[str, pd.DataFrame]) -> xr.DataTree:
    """Derived tables (indexed DataFrames) as the ``derived`` group of a fit, one child each."""
    return xr.DataTree.from_dict(
        {name: xr.Dataset.from_dataframe(df) for name, df in tables.items()}
    )


def derived_table(idata: xr.DataTree, name: str) -> pd.DataFrame:
    """One of a fit's derived tables (see the model's ``derived``), as an indexed DataFrame."""
    if "derived" not in idata.children or name not in idata["derived"].children:
        have = list(idata["derived"].children) if "derived" in idata.children else []
        raise FitFileError(
            f"the fit has no derived table {name!r} (it has: {', '.join(have) or 'none'}); "
            "refit with this version of ccmodels"
        )
    df = idata["derived"][name].to_dataset().to_dataframe()
    if df.index.dtype.kind in "US" or df.index.dtype == object:
        df.index = df.index.astype(str)
    return df
