"""OSDO against ESED on common random numbers: paired differences in numbers and in words.

Replication ``r`` of OSDO and of ESED use the same root seed, so they see the same staff, the
same documents and the same handling times; the per-replication difference then carries far
less noise than two independent runs. :func:`crn_effect` measures how much narrower the paired
interval is than the interval from an ESED run with independent seeds.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import pandas as pd

from sim.config import Scenario
from sim.config.architectures import PAIR
from sim.experiments.replications import Experiment, RunDone, run_experiment
from sim.experiments.statistics import mean_ci
from sim.model.kpis import KPI_COLUMNS, KPI_DESCRIPTIONS, MAIN_KPIS

__all__ = ["compare", "compare_table", "crn_effect", "sentence", "independent_seed"]

_INDEPENDENT_KEY = 0x1D  # spawn key of the independent-seed control, apart from all others


def independent_seed(seed: int) -> int:
    """A root seed unrelated to ``seed`` (for the independent-seeds control)."""
    state = np.random.SeedSequence(seed, spawn_key=(_INDEPENDENT_KEY,)).generate_state(
        1, np.uint64)
    return int(state[0]) >> 1


def sentence(kpi: str, osdo: float, esed: float, diff: dict[str, float]) -> str:
    """One plain sentence about OSDO - ESED for a KPI, with its 95% interval."""
    what = KPI_DESCRIPTIONS.get(kpi, kpi)
    d, h = diff["mean"], diff["half_width"]
    if math.isnan(d):
        return f"{kpi}: no paired replications to compare"
    if math.isnan(h):
        return f"{kpi} ({what}): OSDO - ESED = {d:.3g} from a single replication (no interval)"
    way = "higher" if d > 0 else "lower"
    if esed and not math.isnan(esed):  # NaN is truthy
        size = f"{abs(d) / abs(esed):.0%} ± {h / abs(esed):.0%} {way}"
    else:
        size = f"{abs(d):.3g} ± {h:.3g} {way}"
    verdict = ("a real difference at 95%" if abs(d) > h
               else "not distinguishable from no difference at 95%")
    if d == 0 and h == 0:
        return f"{kpi} ({what}): the same on OSDO and ESED in every replication"
    return (f"{kpi} ({what}): OSDO is {size} than ESED ({osdo:.3g} vs {esed:.3g}; "
            f"difference {d:+.3g} ± {h:.3g}), {verdict}")


def compare_table(experiment: Experiment, kpis: list[str] | None = None) -> pd.DataFrame:
    """Per KPI: OSDO and ESED means, the paired difference with its interval, a sentence."""
    table = experiment.summary()
    paired = experiment.paired(*PAIR)
    rows = []
    for kpi in kpis or MAIN_KPIS:
        osdo = float(table.loc[table.platform == PAIR[0], kpi].mean())
        esed = float(table.loc[table.platform == PAIR[1], kpi].mean())
        d = paired[kpi]
        relative = d["mean"] / esed if esed else math.nan
        rows.append({
            "kpi": kpi, "osdo_mean": osdo, "esed_mean": esed, "difference": d["mean"],
            "half_width": d["half_width"], "low": d["low"], "high": d["high"], "n": d["n"],
            "relative": relative,
            "relative_half_width": d["half_width"] / abs(esed) if esed else math.nan,
            "sentence": sentence(kpi, osdo, esed, d),
        })
    return pd.DataFrame(rows)


def compare(
    scenario: Scenario, replications: int | None = None, seed: int | None = None,
    kpis: list[str] | None = None, progress: Callable[[RunDone], None] | None = None,
    workers: int | None = 1, scheduler: str | None = None,
) -> pd.DataFrame:
    """Run OSDO and ESED on common random numbers and return :func:`compare_table`.

    ``workers`` and ``scheduler`` as in :func:`run_experiment` (the table is the same).
    """
    experiment = run_experiment(scenario, list(PAIR), replications, seed,
                                progress=progress, workers=workers, scheduler=scheduler)
    return compare_table(experiment, kpis)


def crn_effect(
    scenario: Scenario, replications: int | None = None, seed: int | None = None,
    kpis: list[str] | None = None, progress: Callable[[RunDone], None] | None = None,
    workers: int | None = 1, scheduler: str | None = None,
) -> pd.DataFrame:
    """How much common random numbers narrow the OSDO - ESED interval, per KPI.

    The paired interval comes from OSDO and ESED run with the same seed; the independent one
    pairs the same OSDO runs with ESED runs on an unrelated seed (:func:`independent_seed`), the
    interval two separate experiments would give. ``ratio`` = independent / CRN half-width.
    """
    seed = scenario.run_seed(seed)
    reps = scenario.replications if replications is None else replications
    crn = run_experiment(scenario, list(PAIR), reps, seed, progress=progress, workers=workers,
                         scheduler=scheduler)
    other = independent_seed(seed)
    esed_alone = run_experiment(scenario, [PAIR[1]], reps, other, progress=progress,
                                workers=workers, scheduler=scheduler).runs
    summary = crn.summary()
    osdo = summary[summary.platform == PAIR[0]].set_index("replication")
    rows = []
    paired = crn.paired(*PAIR)
    for kpi in kpis or KPI_COLUMNS:
        independent = mean_ci(osdo[kpi].to_numpy(dtype=float)
                              - np.array([r.kpis[kpi] for r in esed_alone], dtype=float))
        h_crn, h_ind = paired[kpi]["half_width"], independent["half_width"]
        rows.append({"kpi": kpi, "difference_crn": paired[kpi]["mean"],
                     "half_width_crn": h_crn, "difference_independent": independent["mean"],
                     "half_width_independent": h_ind,
                     "ratio": h_ind / h_crn if h_crn else (math.nan if not h_ind else math.inf),
                     "n": reps})
    return pd.DataFrame(rows)
