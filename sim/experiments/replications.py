"""Replications of one scenario on several architectures, with common random numbers.

Replication ``r`` of every architecture uses the same root seed and replication number, so the
architectures see the same staff, documents and handling times; their per-replication
differences are then paired and have a much smaller variance than independent runs would.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

import pandas as pd

from sim.config import Scenario
from sim.config.architectures import PAIR
from sim.experiments.statistics import mean_ci, paired_differences
from sim.model.kpis import KPI_COLUMNS
from sim.model.metrics import RunRecords
from sim.model.replication import run_replication

__all__ = ["Experiment", "run_experiment", "run_to_precision", "Precision",
           "relative_half_widths"]


@dataclass
class Experiment:
    """The records of every (architecture, replication) run of a scenario."""

    scenario: Scenario
    seed: int
    runs: list[RunRecords] = field(default_factory=list)

    @property
    def platforms(self) -> list[str]:
        """Architectures in the order they were run."""
        return list(dict.fromkeys(r.platform for r in self.runs))

    def summary(self) -> pd.DataFrame:
        """One row per (platform, replication), one column per KPI, then the busiest resource."""
        rows = [{"platform": r.platform, "replication": r.replication, **r.kpis,
                 "saturated_resource": r.saturated_resource} for r in self.runs]
        return pd.DataFrame(
            rows, columns=["platform", "replication", *KPI_COLUMNS, "saturated_resource"])

    def stability(self) -> dict[str, dict[str, object]]:
        """Per platform: replications with an unbounded backlog, its growth, the busiest resource.

        Growth and resource are taken over the unstable replications when there are any (see
        :mod:`sim.model.stability`).
        """
        table = self.summary()
        out: dict[str, dict[str, object]] = {}
        for p in self.platforms:
            rows = table[table.platform == p]
            bad = rows[rows.unstable == 1.0]
            judged = bad if len(bad) else rows
            out[p] = {
                "unstable_replications": int(len(bad)),
                "replications": int(len(rows)),
                "backlog_growth_per_day": float(judged.backlog_growth_per_day.mean()),
                "saturated_resource": str(judged.saturated_resource.mode().iloc[0]),
                "saturated_utilisation": float(judged.saturated_utilisation.mean()),
            }
        return out

    def documents(self) -> pd.DataFrame | None:
        """Per-document rows of every run, or None when they were not kept."""
        frames = [r.documents for r in self.runs if r.documents is not None]
        return pd.concat(frames, ignore_index=True) if frames else None

    def timeseries(self) -> pd.DataFrame:
        """Time-series rows of every run."""
        return pd.concat([r.timeseries for r in self.runs], ignore_index=True)

    def steps(self) -> pd.DataFrame | None:
        """Per-step rows of every run, or None when they were not kept."""
        frames = [r.steps for r in self.runs if r.steps is not None]
        return pd.concat(frames, ignore_index=True) if frames else None

    def intervals(self) -> dict[str, dict[str, dict[str, float]]]:
        """Per platform and KPI: mean, half-width and bounds of the 95% interval."""
        table = self.summary()
        return {
            p: {k: mean_ci(table.loc[table.platform == p, k].to_numpy()) for k in KPI_COLUMNS}
            for p in self.platforms
        }

    def paired(self, a: str = PAIR[0], b: str = PAIR[1]) -> dict[str, dict[str, float]]:
        """Paired differences ``a - b`` per KPI over common replications."""
        return paired_differences(self.summary(), a, b)


def run_experiment(
    scenario: Scenario, platforms: list[str] | None = None, replications: int | None = None,
    seed: int | None = None, keep_steps: bool = False,
    progress: Callable[[int, int], None] | None = None,
) -> Experiment:
    """Run every replication of every architecture, one after another."""
    platforms = platforms or list(scenario.platforms)
    replications = scenario.replications if replications is None else replications
    seed = scenario.run_seed(seed)
    experiment = Experiment(scenario, seed)
    total = replications * len(platforms)
    for r in range(replications):
        for platform in platforms:
            experiment.runs.append(
                run_replication(scenario, platform, r, seed, keep_steps=keep_steps)
            )
            if progress is not None:
                progress(len(experiment.runs), total)
    return experiment


@dataclass
class Precision:
    """Outcome of :func:`run_to_precision`: whether the target was met, and after how many."""

    kpi: str
    target: float
    replications: int
    reached: bool
    relative_half_width: dict[str, float]

    def describe(self) -> str:
        """One line for the user."""
        worst = max(self.relative_half_width.values())
        parts = ", ".join(f"{p.upper()} {v:.1%}" for p, v in self.relative_half_width.items())
        if self.reached:
            return (f"precision reached after {self.replications} replications: {self.kpi} "
                    f"95% half-width within {self.target:.1%} of the mean ({parts})")
        return (f"precision NOT reached at the cap of {self.replications} replications: "
                f"{self.kpi} half-width is {worst:.1%} of the mean, target {self.target:.1%} "
                f"({parts}); raise --max-replications")


def relative_half_widths(experiment: Experiment, kpi: str) -> dict[str, float]:
    """Per platform: 95% half-width of ``kpi`` over its mean (inf when undefined)."""
    out = {}
    for platform, ci in experiment.intervals().items():
        m, h = ci[kpi]["mean"], ci[kpi]["half_width"]
        out[platform] = abs(h / m) if m and not math.isnan(h) and not math.isnan(m) else math.inf
    return out


def run_to_precision(
    scenario: Scenario, kpi: str, precision: float, platforms: list[str] | None = None,
    min_replications: int | None = None, max_replications: int = 100, seed: int | None = None,
    keep_steps: bool = False, progress: Callable[[int, float], None] | None = None,
) -> tuple[Experiment, Precision]:
    """Add replications until each platform's 95% half-width of ``kpi`` is within precision.

    The target is ``precision`` x |mean| for every platform; the cap is ``max_replications``.
    Starts from ``min_replications`` (default: the scenario's, at least 2) and adds one
    replication of every platform at a time, so replication ``r`` is the same whether the
    procedure stops early or not. ``progress(replications, worst relative half-width)``.
    """
    if kpi not in KPI_COLUMNS:
        raise ValueError(f"unknown KPI {kpi!r}; allowed: {', '.join(KPI_COLUMNS)}")
    if not 0 < precision < 1:
        raise ValueError(f"precision must be between 0 and 1 (a share of the mean), got "
                         f"{precision}")
    platforms = platforms or list(scenario.platforms)
    seed = scenario.run_seed(seed)
    start = max(2, scenario.replications if min_replications is None else min_replications)
    start = min(start, max_replications)
    experiment = run_experiment(scenario, platforms, start, seed, keep_steps=keep_steps)
    r = start
    while True:
        widths = relative_half_widths(experiment, kpi)
        worst = max(widths.values())
        reached = worst <= precision
        if progress is not None:
            progress(r, worst)
        if reached or r >= max_replications:
            break
        for platform in platforms:
            experiment.runs.append(
                run_replication(scenario, platform, r, seed, keep_steps=keep_steps))
        r += 1
    return experiment, Precision(kpi, precision, r, reached, widths)
