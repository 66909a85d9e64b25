"""What MSER-5 reads on a steady state: its warm-up estimate in windows of one long run.

Runs ``scenarios/baseline.yaml`` from its working office for ``DAYS`` working days (default 200)
on OSDO and ESED, ``--reps`` replications (default 3), and prints per run MSER-5's estimate (in
working days into the window) for windows of ``--window`` working days (default 60) starting
every ``--step`` days, and the backlog's slope over the whole run. A window that starts deep in
the run is past any start-up: what MSER-5 gives there is the backlog's own autocorrelation, the
level to compare the first window's estimate with::

    python bench/mser_windows.py
    python bench/mser_windows.py 200 staff.delegate_over_hours.head=null   # --set-style overrides
"""

from __future__ import annotations

import argparse
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np

from sim.config import load_scenario
from sim.model import run_replication
from sim.model.calendar import WorkCalendar
from sim.model.stability import backlog_growth_per_day, mser5_warmup_days, working_hours

ROOT = Path(__file__).resolve().parent.parent


def window_estimates(days: np.ndarray, backlog: np.ndarray, window: int,
                     starts: list[int]) -> list[float]:
    """MSER-5's warm-up estimate, in working days into each window, one per start."""
    out = []
    for start in starts:
        inside = (days >= start) & (days < start + window)
        out.append(mser5_warmup_days(days[inside], backlog[inside]))
    return out


def _run(job: tuple[str, int, list[str], int, list[int]]) -> tuple[str, int, list[float], float]:
    architecture, replication, overrides, window, starts = job
    scenario = load_scenario(ROOT / "scenarios" / "baseline.yaml", overrides)
    records = run_replication(scenario, architecture, replication, keep_documents=False)
    calendar = WorkCalendar(scenario.calendar)
    times = records.timeseries["time_min"].to_numpy()
    backlog = records.timeseries["open_documents"].to_numpy()
    days, working = working_hours(times, lambda t: calendar.working_days_between(0.0, t))
    days, backlog = days[working], backlog[working]
    slope = backlog_growth_per_day(days, backlog)
    return architecture, replication, window_estimates(days, backlog, window, starts), slope


def main() -> None:
    """Print one line per architecture and replication, then the mean by window."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("days", nargs="?", type=int, default=200)
    parser.add_argument("overrides", nargs="*", help="PATH=VALUE, as sim run --set")
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--window", type=int, default=60)
    parser.add_argument("--step", type=int, default=40)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    overrides = [f"horizon_days={args.days}", "warmup_days=0", *args.overrides]
    starts = list(range(0, args.days - args.window + 1, args.step))
    jobs = [(a, r, overrides, args.window, starts)
            for r in range(args.reps) for a in ("osdo", "esed")]
    by_start: dict[str, list[list[float]]] = {"osdo": [], "esed": []}
    with ProcessPoolExecutor(args.workers) as pool:
        for architecture, replication, estimates, slope in pool.map(_run, jobs):
            by_start[architecture].append(estimates)
            print(f"{architecture} r{replication}: MSER-5 "
                  + ", ".join(f"{s}+{e:.1f}" for s, e in zip(starts, estimates, strict=True))
                  + f" working days; backlog slope {slope:+.2f}/day", flush=True)
    for architecture, rows in by_start.items():
        means = np.mean(rows, axis=0)
        print(f"{architecture}: mean by window start "
              + ", ".join(f"{s}: {m:.1f}" for s, m in zip(starts, means, strict=True)))


if __name__ == "__main__":
    main()
