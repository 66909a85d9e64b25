"""Intervals over replications: Student-t means, their text, and paired differences."""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np
import pandas as pd

from sim.model.kpis import KPI_COLUMNS

__all__ = ["CONFIDENCE", "MIN_INTERVAL_REPLICATIONS", "mean_ci", "format_ci", "shown_ci",
           "interval_words", "paired_differences"]

CONFIDENCE = 0.95
#: Fewer values than this give no interval wherever results are shown (tables, reports,
#: findings): a t-interval on two values has one degree of freedom, its half-width is itself
#: a wild guess, and "63.21 ± 0.01 h" from two runs reads as far more solid than it is.
MIN_INTERVAL_REPLICATIONS = 3


def mean_ci(values: np.ndarray, confidence: float = CONFIDENCE) -> dict[str, float]:
    """Mean and Student-t confidence interval over replications (NaNs are left out)."""
    x = np.asarray(values, dtype=float)
    x = x[~np.isnan(x)]
    n = len(x)
    if n == 0:
        return {"mean": math.nan, "half_width": math.nan, "low": math.nan, "high": math.nan,
                "n": 0}
    mean = float(x.mean())
    if n == 1:
        return {"mean": mean, "half_width": math.nan, "low": math.nan, "high": math.nan, "n": 1}
    from scipy import stats  # here: a one-replication run never loads SciPy's stats

    half = float(stats.t.ppf(0.5 + confidence / 2, n - 1) * x.std(ddof=1) / math.sqrt(n))
    return {"mean": mean, "half_width": half, "low": mean - half, "high": mean + half, "n": n}


def format_ci(ci: Mapping[str, float], fmt: str) -> str:
    """``mean ± half-width`` of a :func:`mean_ci` result in ``fmt`` (``-`` when there is none)."""
    if ci["n"] == 0 or math.isnan(ci["mean"]):
        return "-"
    text = fmt.format(ci["mean"])
    if not math.isnan(ci["half_width"]):
        text += " ± " + fmt.format(ci["half_width"])
    return text


def _number(x: object) -> float:
    """A value of a ``mean_ci`` dict, read back from JSON too (``None`` there is NaN)."""
    return math.nan if x is None else float(x)  # type: ignore[arg-type]


def shown_ci(ci: Mapping[str, float | None] | None) -> dict[str, float]:
    """A :func:`mean_ci` result as it may be shown: no interval from too few values.

    Below :data:`MIN_INTERVAL_REPLICATIONS` values the half-width and bounds become NaN (the
    mean stays); ``None`` (as JSON stores NaN) reads as NaN. A dict without ``n`` keeps its
    interval.
    """
    if not ci:
        return {"mean": math.nan, "half_width": math.nan, "low": math.nan, "high": math.nan,
                "n": 0}
    out = {k: _number(ci.get(k)) for k in ("mean", "half_width", "low", "high")}
    if ci.get("n") is None:
        return out
    out["n"] = int(ci["n"])  # type: ignore[arg-type]
    if out["n"] < MIN_INTERVAL_REPLICATIONS:
        out.update(half_width=math.nan, low=math.nan, high=math.nan)
    return out


def interval_words(n: int) -> str:
    """Why a value has no interval: ``1 replication: no interval`` (or ``""`` when it has one)."""
    if n >= MIN_INTERVAL_REPLICATIONS:
        return ""
    return f"{n} replication{'' if n == 1 else 's'}: no interval"


def paired_differences(table: pd.DataFrame, a: str, b: str) -> dict[str, dict[str, float]]:
    """Mean and interval of per-replication differences ``a - b`` for every KPI."""
    left = table[table.platform == a].set_index("replication")
    right = table[table.platform == b].set_index("replication")
    common = left.index.intersection(right.index)
    if common.empty:
        return {}
    return {
        k: mean_ci((left.loc[common, k] - right.loc[common, k]).to_numpy()) for k in KPI_COLUMNS
    }
