"""Parameter recovery: compare a posterior with the simulator's truth, element by element.

The simulator reports its truth in the models' parameterisation, with article effects
uncentred (``*_article_raw``) because which articles occur depends on the data. Here the truth
is aligned with a fitted posterior: article effects centred over the articles the model saw (the
intercept absorbs their mean) and the article scale recomputed from them; levels the model
dropped (traits or chains without variation) are left out.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import xarray as xr

__all__ = ["aligned_truth", "recovery_table", "truth_params"]


def _prefixes(post: xr.Dataset) -> list[str]:
    return sorted(
        {str(v)[: -len("_intercept")] for v in post.data_vars if str(v).endswith("_intercept")}
    )


def _split(fit: xr.DataTree | xr.Dataset) -> tuple[xr.Dataset, xr.Dataset]:
    if isinstance(fit, xr.DataTree):
        const = fit["constant_data"].to_dataset() if "constant_data" in fit.children else None
        return fit["posterior"].to_dataset(), const if const is not None else xr.Dataset()
    return fit, xr.Dataset()


def aligned_truth(truth: xr.Dataset, fit: xr.DataTree | xr.Dataset) -> xr.Dataset:
    """The true values of the fit's population-level parameters, on its coords.

    ``fit`` is a fitted DataTree (or its posterior Dataset). Article effects are centred over
    the levels the model centres on: all articles seen, or, where the fit used a per-level
    mask (``*_article_centred`` in its constant data), the well-represented ones.
    """
    posterior, const = _split(fit)
    out: dict[str, xr.DataArray] = {}
    for p in _prefixes(posterior):
        raw = truth[f"{p}_article_raw"]
        if f"{p}_article" in posterior:
            arts = list(posterior[f"{p}_article"]["article"].values)
            a = raw.sel(article=arts)
            ref = a
            mask_name = f"{p}_article_centred"
            if mask_name in const and f"{p}_article_rich" in posterior:
                ref = a[np.asarray(const[mask_name].values, dtype=bool)]
            centred = a - ref.mean()
            out[f"{p}_article"] = centred
            k = len(arts)
            out[f"{p}_sigma_article"] = xr.DataArray(float(np.sqrt((centred**2).sum() / (k - 1))))
            shift = float(ref.mean() - raw.mean())
        else:
            shift = 0.0
        out[f"{p}_intercept"] = truth[f"{p}_intercept"] + shift
        for name in (
            "year_effect",
            "sigma_year",
            "sigma_chain",
            "sigma",
            "sigma_case",
            "nu",
            "log_term",
        ):
            v = f"{p}_{name}"
            if v in posterior and v in truth:
                out[v] = truth[v]
        if f"{p}_chain" in posterior:
            out[f"{p}_chain"] = truth[f"{p}_chain"].sel(
                value_chain=list(posterior["value_chain"].values)
            )
        if f"{p}_beta" in posterior:
            out[f"{p}_beta"] = truth[f"{p}_beta"].sel(trait=list(posterior["trait"].values))
    return xr.Dataset(out)


def truth_params(truth: xr.Dataset, fit: xr.DataTree | xr.Dataset) -> dict[str, np.ndarray]:
    """Aligned truth as a one-sample draws dict (for a model's numpy predictions)."""
    t = aligned_truth(truth, fit)
    return {str(k): np.asarray(v.values)[None, ...] for k, v in t.data_vars.items()}


def recovery_table(
    truth: xr.Dataset, fit: xr.DataTree | xr.Dataset, probs: tuple[float, ...] = (0.9, 0.999)
) -> pd.DataFrame:
    """One line per parameter element: truth, posterior mean, and whether each central
    interval in ``probs`` contains the truth (columns ``inside_90``, ``inside_99.9``)."""
    t = aligned_truth(truth, fit)
    posterior, _ = _split(fit)
    rows = []
    for name, tv in t.data_vars.items():
        draws = posterior[name].stack(sample=("chain", "draw"))
        for idx in np.ndindex(tv.shape):
            sel = dict(zip(tv.dims, idx, strict=True))
            true = float(tv.isel(sel).values)
            d = np.asarray(draws.isel(sel).values, dtype=float)
            label = str(name) + (
                "[" + ",".join(str(tv[dim].values[i]) for dim, i in sel.items()) + "]"
                if sel
                else ""
            )
            rec = {
                "parameter": label,
                "true": true,
                "mean": float(d.mean()),
                "sd": float(d.std()),
                "quantile_of_truth": float((d < true).mean()),
            }
            for pr in probs:
                lo, hi = np.quantile(d, [(1 - pr) / 2, 1 - (1 - pr) / 2])
                rec[f"inside_{pr * 100:g}"] = bool(lo <= true <= hi)
            rows.append(rec)
    return pd.DataFrame(rows).set_index("parameter")
