"""Does the baseline settle? Open documents at 10:00, second quarter against the last.

Runs ``scenarios/baseline.yaml`` for ``DAYS`` working days (default 80), ``--reps`` replications
(default 3) on each of OSDO and ESED, and prints per replication the mean open documents at
10:00 in the second and the fourth quarter of the run, their ratio, the backlog growth per
working day, the overloaded people and the busiest person's utilisation; then per platform the
mean ratio with its 95% confidence interval::

    python bench/stationarity.py 80
    python bench/stationarity.py 80 --reps 10
    python bench/stationarity.py 80 --reps 20 --platform osdo   # one platform per process
    python bench/stationarity.py 80 absence.standin_after_days=0   # with --set-style overrides
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
from scipy import stats

from sim.config import load_scenario
from sim.model import run_replication
from sim.model.calendar import WorkCalendar

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    """Print one line per platform and replication, then the mean ratios."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("days", nargs="?", type=int, default=80)
    parser.add_argument("overrides", nargs="*", help="PATH=VALUE, as sim run --set")
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--platform", choices=["osdo", "esed"], action="append",
                        help="only this platform (repeatable; default: both)")
    args = parser.parse_args()
    scenario = load_scenario(ROOT / "scenarios" / "baseline.yaml",
                             [f"horizon_days={args.days}", *args.overrides])
    calendar = WorkCalendar(scenario.calendar)
    quarter = args.days // 4
    for platform in args.platform or ["osdo", "esed"]:
        ratios = []
        for r in range(args.reps):
            run = run_replication(scenario, platform, r)
            series = run.timeseries
            at_ten = series[series.time_min % 1440 == 600]
            day = at_ten.time_min.map(lambda t: int(calendar.working_days_between(0.0, t)))
            q2 = at_ten.open_documents[(day >= quarter) & (day < 2 * quarter)].mean()
            q4 = at_ten.open_documents[day >= 3 * quarter].mean()
            ratios.append(q4 / q2)
            k = run.kpis
            print(f"{platform} r{r}: Q2 {q2:.0f}, Q4 {q4:.0f}, ratio {q4 / q2:.3f}, growth "
                  f"{k['backlog_growth_per_day']:.2f}/day, overloaded "
                  f"{k['overloaded_people']:.0f}, busiest {k['busiest_person_utilisation']:.2f}",
                  flush=True)
        mean = float(np.mean(ratios))
        half = (float(stats.t.ppf(0.975, len(ratios) - 1) * stats.sem(ratios))
                if len(ratios) > 1 else float("nan"))
        print(f"{platform}: mean ratio {mean:.3f} +- {half:.3f} (95% CI, {len(ratios)} "
              "replications)", flush=True)


if __name__ == "__main__":
    main()
