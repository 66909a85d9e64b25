"""Replications of one scenario on several architectures, with common random numbers.

Replication ``r`` of every architecture uses the same root seed and replication number, so the
architectures see the same staff, documents and handling times; their per-replication
differences are then paired and have a much smaller variance than independent runs would.

Each run is a pure function of (scenario, architecture, replication, seed), so runs can go to
worker processes or a Dask cluster (:class:`sim.experiments.executors.RunPool`) and finish in any
order: the experiment keeps them replication-major, then platform, and is the same, byte for
byte, whatever the number of workers.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import NamedTuple

import numpy as np
import pandas as pd

from sim.config import Scenario
from sim.config.architectures import PAIR
from sim.experiments.executors import RunPool
from sim.experiments.statistics import mean_ci, paired_differences
from sim.model.kpis import KPI_COLUMNS, KPIS
from sim.model.metrics import RunRecords
from sim.model.replication import run_replication

__all__ = ["Experiment", "run_experiment", "run_to_precision", "Precision", "RunDone",
           "relative_half_widths", "COUNT_UNITS", "TIME_ZONE", "iso_timestamps"]

#: KPI units that count whole things: summary tables hold them as integers.
COUNT_UNITS = frozenset({"documents", "transmissions", "people", "flag"})
#: The time zone of the civil service's clock: time stamps of the time series and the event log
#: are wall-clock times from ``calendar.start_date`` here.
TIME_ZONE = "Asia/Almaty"

_CI_COLUMNS = ["mean", "half_width", "low", "high", "n"]


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
        table = pd.DataFrame(
            rows, columns=["platform", "replication", *KPI_COLUMNS, "saturated_resource"])
        for kpi in KPI_COLUMNS:  # counts as integers (12464, not 12464.0), when whole numbers
            values = table[kpi]
            if (KPIS[kpi].unit in COUNT_UNITS and len(values) and values.notna().all()
                    and (values == values.round()).all()):
                table[kpi] = values.astype("int64")
        return table

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
                "backlog_growth_halfwidth_per_day": float(
                    judged.backlog_growth_halfwidth_per_day.mean()),
                "saturated_resource": str(judged.saturated_resource.mode().iloc[0]),
                "saturated_utilisation": float(judged.saturated_utilisation.mean()),
                "overloaded_people": float(rows.overloaded_people.mean()),
                "busiest_person_utilisation": float(rows.busiest_person_utilisation.max()),
                "warmup_estimate_days": float(rows.warmup_estimate_days.mean()),
                "warmup_days": self.scenario.warmup_days,
                "transient_reason": self.scenario.start.transient_reason,
            }
        return out

    def documents(self) -> pd.DataFrame | None:
        """Per-document rows of every run, or None when they were not kept.

        Beside the body numbers, their names: ``body_name`` and ``received_from_name`` (the
        names of the scenario's bodies, as the event log gives them).
        """
        frames = [r.documents for r in self.runs if r.documents is not None]
        if not frames:
            return None
        table = pd.concat(frames, ignore_index=True)
        names = pd.Series([n for g in self.scenario.bodies for n in g.body_names()],
                          dtype=object)
        table.insert(table.columns.get_loc("body") + 1, "body_name", table.body.map(names))
        if "received_from" in table:
            table.insert(table.columns.get_loc("received_from") + 1, "received_from_name",
                         table.received_from.map(names))
        return table

    def timeseries(self) -> pd.DataFrame:
        """Time-series rows of every run.

        Each row's ISO ``timestamp`` (:func:`iso_timestamps`) follows its clock minute.
        """
        table = pd.concat([r.timeseries for r in self.runs], ignore_index=True)
        table.insert(table.columns.get_loc("time_min") + 1, "timestamp",
                     iso_timestamps(self.scenario, table.time_min))
        return table

    def steps(self) -> pd.DataFrame | None:
        """Per-step rows of every run, or None when they were not kept."""
        frames = [r.steps for r in self.runs if r.steps is not None]
        return pd.concat(frames, ignore_index=True) if frames else None

    def intervals(self) -> dict[str, dict[str, dict[str, float]]]:
        """Per platform and KPI: mean, half-width and bounds of the 95% interval.

        A nested dict, ``{platform: {kpi: {"mean", "half_width", "low", "high", "n"}}}``;
        :meth:`means_table` is the same as a DataFrame.
        """
        table = self.summary()
        return {
            p: {k: mean_ci(table.loc[table.platform == p, k].to_numpy()) for k in KPI_COLUMNS}
            for p in self.platforms
        }

    def paired(self, a: str = PAIR[0], b: str = PAIR[1]) -> dict[str, dict[str, float]]:
        """Paired differences ``a - b`` per KPI over common replications.

        A nested dict, ``{kpi: {"mean", "half_width", "low", "high", "n"}}`` (empty when
        ``a`` or ``b`` was not run); :meth:`paired_table` is the same as a DataFrame.
        """
        return paired_differences(self.summary(), a, b)

    def means_table(self) -> pd.DataFrame:
        """Per platform and KPI: mean, half-width and bounds of the 95% interval, n.

        The rows of :meth:`intervals` as a DataFrame: columns ``platform``, ``kpi``, ``unit``,
        ``mean``, ``half_width``, ``low``, ``high``, ``n``; platforms in run order, KPIs in
        ``summary.csv``'s order.
        """
        rows = [{"platform": p, "kpi": k, "unit": KPIS[k].unit, **ci}
                for p, kpis in self.intervals().items() for k, ci in kpis.items()]
        frame = pd.DataFrame(rows, columns=["platform", "kpi", "unit", *_CI_COLUMNS])
        return frame.astype({"n": int})

    def paired_table(self, a: str = PAIR[0], b: str = PAIR[1]) -> pd.DataFrame:
        """Per KPI: the means of ``a`` and ``b`` and their paired difference ``a - b``.

        Columns ``kpi``, ``unit``, ``<a>_mean``, ``<b>_mean``, ``difference`` (mean of the
        per-replication differences), ``half_width``, ``low``, ``high`` (its 95% interval), ``n``
        (replications paired) and ``significant`` (the interval leaves out 0). No rows when
        ``a`` or ``b`` was not run.
        """
        columns = ["kpi", "unit", f"{a}_mean", f"{b}_mean", "difference", "half_width", "low",
                   "high", "n", "significant"]
        paired = self.paired(a, b)
        table = self.summary()
        rows = []
        for kpi, ci in paired.items():
            low, high = ci["low"], ci["high"]
            rows.append({
                "kpi": kpi, "unit": KPIS[kpi].unit,
                f"{a}_mean": float(table.loc[table.platform == a, kpi].mean()),
                f"{b}_mean": float(table.loc[table.platform == b, kpi].mean()),
                "difference": ci["mean"], "half_width": ci["half_width"], "low": low,
                "high": high, "n": ci["n"],
                "significant": bool(low > 0 or high < 0),  # NaN bounds: False
            })
        return pd.DataFrame(rows, columns=columns).astype({"n": int, "significant": bool})


def iso_timestamps(scenario: Scenario, minutes: pd.Series) -> pd.Series:
    """Clock minutes of a run as ISO 8601 text with the UTC offset, in :data:`TIME_ZONE`.

    Minute 0 is midnight of ``calendar.start_date``: ``2023-01-09T09:00:00+06:00``.
    """
    start = pd.Timestamp(scenario.calendar.start_date)
    distinct = pd.unique(minutes.to_numpy())
    codes = pd.Index(distinct).get_indexer(minutes.to_numpy())
    local = pd.Series(start + pd.to_timedelta(distinct, unit="min")).dt.round("s")
    aware = local.dt.tz_localize(TIME_ZONE, ambiguous=np.zeros(len(local), dtype=bool),
                                 nonexistent="shift_forward")
    text = np.array([t.isoformat() for t in aware], dtype=object)
    return pd.Series(text[codes], index=minutes.index, dtype=object)


class RunDone(NamedTuple):
    """A finished run, for progress reports: how many are done of how many started so far."""

    done: int
    total: int
    platform: str
    replication: int
    runtime_s: float


def _timed_run(scenario: Scenario, platform: str, replication: int, seed: int,
               keep_steps: bool) -> tuple[RunRecords, float]:
    """One run and its wall time (in a worker process: the records come back pickled)."""
    clock = time.perf_counter()
    records = run_replication(scenario, platform, replication, seed, keep_steps=keep_steps)
    return records, time.perf_counter() - clock


class _Batches:
    """Runs (replication, platform) of one scenario on a pool; results in the order asked."""

    def __init__(self, pool: RunPool, scenario: Scenario, seed: int, keep_steps: bool,
                 progress: Callable[[RunDone], None] | None) -> None:
        self.pool, self.scenario, self.seed, self.keep_steps = pool, scenario, seed, keep_steps
        self.progress = progress
        self.done = 0
        self.started = 0

    def run(self, replications: range, platforms: list[str]) -> list[RunRecords]:
        """Every platform of every replication in ``replications``, replication-major."""
        order = [(r, p) for r in replications for p in platforms]
        calls = [(self.scenario, p, r, self.seed, self.keep_steps) for r, p in order]
        self.started += len(calls)
        out: list[RunRecords | None] = [None] * len(calls)
        for index, get in self.pool.as_completed(_timed_run, calls, scatter=(0,)):
            records, runtime = get()
            out[index] = records
            self.done += 1
            if self.progress is not None:
                r, p = order[index]
                self.progress(RunDone(self.done, self.started, p, r, runtime))
        return out  # type: ignore[return-value] - every slot is filled above


def run_experiment(
    scenario: Scenario, platforms: list[str] | None = None, replications: int | None = None,
    seed: int | None = None, keep_steps: bool = False,
    progress: Callable[[RunDone], None] | None = None, workers: int | None = 1,
    scheduler: str | None = None,
) -> Experiment:
    """Run every replication of every architecture.

    ``workers`` processes share the runs (``None``: one per core; 1: in this process, one after
    another); ``scheduler`` (``tcp://host:port``) sends them to a Dask cluster instead. The
    result is the same either way. ``progress`` is called as each run finishes.
    """
    platforms = platforms or list(scenario.platforms)
    replications = scenario.replications if replications is None else replications
    seed = scenario.run_seed(seed)
    experiment = Experiment(scenario, seed)
    with RunPool(workers, scheduler, max_tasks=replications * len(platforms)) as pool:
        batches = _Batches(pool, scenario, seed, keep_steps, progress)
        experiment.runs = batches.run(range(replications), platforms)
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
    workers: int | None = 1, scheduler: str | None = None,
    on_run: Callable[[RunDone], None] | None = None,
) -> tuple[Experiment, Precision]:
    """Add replications until each platform's 95% half-width of ``kpi`` is within precision.

    The target is ``precision`` x |mean| for every platform; the cap is ``max_replications``.
    Starts from ``min_replications`` (default: the scenario's, at least 2) and adds one
    replication of every platform at a time, so replication ``r`` is the same whether the
    procedure stops early or not. ``progress(replications, worst relative half-width)`` after
    each check; ``on_run`` as each run finishes.

    With several ``workers`` (or a ``scheduler``, as in :func:`run_experiment`) the next few
    replications are run at once, enough to keep every worker busy, and then taken one at a
    time by the same rule: those past the stopping point are dropped, so the experiment and the
    stopping point are exactly the serial procedure's.
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
    experiment = Experiment(scenario, seed)
    with RunPool(workers, scheduler, max_tasks=max_replications * len(platforms)) as pool:
        batches = _Batches(pool, scenario, seed, keep_steps, on_run)
        experiment.runs = batches.run(range(start), platforms)
        # Replications run ahead of the rule, in platform order; taken one at a time below.
        ahead: list[RunRecords] = []
        per_round = max(1, math.ceil(pool.parallelism / len(platforms)))
        r = start
        while True:
            widths = relative_half_widths(experiment, kpi)
            worst = max(widths.values())
            reached = worst <= precision
            if progress is not None:
                progress(r, worst)
            if reached or r >= max_replications:
                break
            if not ahead:
                ahead = batches.run(range(r, min(r + per_round, max_replications)), platforms)
            experiment.runs += ahead[:len(platforms)]
            del ahead[:len(platforms)]
            r += 1
    return experiment, Precision(kpi, precision, r, reached, widths)
