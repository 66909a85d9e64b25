"""Who is busiest? Utilisation by level of the organisation, and the paired cycle times.

Runs a scenario (default ``scenarios/remote_75.yaml``, 40 working days) on OSDO and ESED with
common random numbers and prints, per platform, the utilisation of the leadership (the head of
the body and deputies), the department directors, the division heads, the executors and the
clerks (busy time over time at work, pooled over the bodies; the busiest person of each level
in brackets), the mean cycle time, and the paired OSDO - ESED difference with its 95% interval::

    python bench/organisation_levels.py                 # 5 replications
    python bench/organisation_levels.py --reps 3 staff.remote_share=0.5

A step's busy time is read from the steps table as the working minutes from its start to its
end (a step paused over an outage counts as busy, as the person is held).
"""

from __future__ import annotations

import argparse
from collections import defaultdict
from pathlib import Path

import numpy as np
from scipy import stats

from sim.config import load_scenario
from sim.model import run_replication
from sim.model.assignment import Organisation, organise
from sim.model.calendar import MINUTES_PER_DAY, WorkCalendar
from sim.model.population import Body, sample_population
from sim.model.streams import Streams

ROOT = Path(__file__).resolve().parent.parent
LEVELS = ("leadership", "directors", "division heads", "executors", "clerks")


def levels(bodies: list[Body], organisations: list[Organisation]) -> dict[int, str]:
    """The level of every employee, by id (a flat body's heads count as division heads)."""
    out: dict[int, str] = {}
    for body, org in zip(bodies, organisations, strict=True):
        out.update((e.id, "clerks") for e in body.staff["clerk"])
        out.update((e.id, "executors") for e in body.staff["executor"])
        out.update((e.id, "division heads") for e in body.staff["head"])
        out.update((e.id, "directors") for e in org.directors)
        out.update((e.id, "leadership") for e in org.leadership)
    return out


def main() -> None:
    """Print one line per platform and replication, then the means and the paired difference."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("overrides", nargs="*", help="PATH=VALUE, as sim run --set")
    parser.add_argument("--scenario", default=str(ROOT / "scenarios" / "remote_75.yaml"))
    parser.add_argument("--reps", type=int, default=5)
    args = parser.parse_args()
    scenario = load_scenario(Path(args.scenario), args.overrides)
    calendar = WorkCalendar(scenario.calendar)
    horizon = calendar.end_of_working_days(scenario.horizon_days)
    cycle: dict[str, list[float]] = defaultdict(list)
    for platform in ("osdo", "esed"):
        pooled: dict[str, list[float]] = defaultdict(list)
        for rep in range(args.reps):
            run = run_replication(scenario, platform, rep, keep_documents=False,
                                  keep_steps=True)
            bodies = sample_population(scenario, Streams(scenario.seed, rep),
                                       int(horizon // MINUTES_PER_DAY) + 1)
            level = levels(bodies, organise(scenario, bodies))
            busy: dict[int, float] = defaultdict(float)
            for emp, start, end in run.steps[["employee", "start_min", "end_min"]].itertuples(
                    index=False):
                busy[emp] += calendar.working_minutes(start, min(end, horizon))
            total = calendar.working_minutes(0.0, horizon)
            by_level: dict[str, list[tuple[float, float]]] = defaultdict(list)
            for body in bodies:
                for emp in (e for people in body.staff.values() for e in people):
                    away = sum(calendar.working_minutes(a * MINUTES_PER_DAY,
                                                        min(b * MINUTES_PER_DAY, horizon))
                               for a, b in emp.absences if a * MINUTES_PER_DAY < horizon)
                    by_level[level[emp.id]].append((busy[emp.id], total - away))
            shares = {k: sum(b for b, _ in v) / sum(p for _, p in v) for k, v in by_level.items()}
            peaks = {k: max(b / p for b, p in v if p > 0) for k, v in by_level.items()}
            for k in LEVELS:
                if k in shares:
                    pooled[k].append(shares[k])
                    pooled[f"{k} max"].append(peaks[k])
            cycle[platform].append(run.kpis["cycle_time_mean_h"])
            print(platform, rep, f"cycle {run.kpis['cycle_time_mean_h']:.2f} h",
                  " ".join(f"{k} {shares[k]:.3f} ({peaks[k]:.2f})" for k in LEVELS
                           if k in shares), flush=True)
        print(f"{platform}: cycle {_interval(cycle[platform])} h;",
              "; ".join(f"{k} {np.mean(pooled[k]):.3f} ({np.mean(pooled[k + ' max']):.2f})"
                        for k in LEVELS if k in pooled))
    diff = np.subtract(cycle["osdo"], cycle["esed"])
    print(f"paired OSDO - ESED cycle time: {_interval(diff)} h")


def _interval(values: list[float] | np.ndarray) -> str:
    x = np.asarray(values, dtype=float)
    if len(x) < 2:
        return f"{x.mean():+.2f}"
    half = stats.t.ppf(0.975, len(x) - 1) * x.std(ddof=1) / np.sqrt(len(x))
    return f"{x.mean():+.2f} [{x.mean() - half:+.2f}, {x.mean() + half:+.2f}]"


if __name__ == "__main__":
    main()
