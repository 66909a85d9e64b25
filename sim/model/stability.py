"""Is the backlog bounded? Detect runs whose open documents grow without limit.

When documents arrive faster than staff or servers can handle them, the number of open documents
grows roughly linearly for as long as the run lasts, and every mean (cycle time, WIP, on-time
rate) depends on the horizon instead of describing a steady state. The test here is the
least-squares slope of open documents against working days after the warm-up: a run is
*unstable* when that slope exceeds ``output.unstable_growth_share`` of the rate documents arrive
or complete. The resource to blame is the one with the highest utilisation: a role pool of a
body or a platform server pool.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

__all__ = ["Stability", "backlog_growth_per_day", "assess", "warnings", "OVERLOAD"]

#: A person busy this share of their working time or more is overloaded: their named queue
#: grows while the pool around them may look fine (assumption).
OVERLOAD = 0.95

@dataclass(frozen=True)
class Stability:
    """The verdict on one run."""

    unstable: bool
    backlog_growth_per_day: float
    saturated_resource: str
    saturated_utilisation: float
    overloaded_people: int = 0  # people busy at least OVERLOAD of their working time
    busiest_person_utilisation: float = math.nan

    def kpis(self) -> dict[str, float]:
        """The numeric part, as KPI columns."""
        return {
            "backlog_growth_per_day": self.backlog_growth_per_day,
            "unstable": float(self.unstable),
            "saturated_utilisation": self.saturated_utilisation,
            "overloaded_people": float(self.overloaded_people),
            "busiest_person_utilisation": self.busiest_person_utilisation,
        }


def backlog_growth_per_day(working_days: np.ndarray, open_documents: np.ndarray) -> float:
    """Least-squares slope of open documents per working day (NaN with under two distinct days)."""
    x = np.asarray(working_days, dtype=float)
    y = np.asarray(open_documents, dtype=float)
    if len(x) < 2 or np.ptp(x) == 0.0:
        return math.nan
    xc = x - x.mean()
    return float(np.dot(xc, y - y.mean()) / np.dot(xc, xc))


def assess(
    times_min: np.ndarray, open_documents: np.ndarray, working_days_at: Callable[[float], float],
    warmup_end: float, rate_per_day: float, utilisation: dict[str, float], growth_share: float,
    min_window_days: float = 0.0, people: list[float] | None = None,
) -> Stability:
    """Judge one run from its time series of open documents.

    ``working_days_at`` maps a clock minute to working days since the start, so that nights and
    weekends (when nothing moves) do not flatten the slope; ``rate_per_day`` is the larger of the
    arrival and completion rates per working day after the warm-up. A window shorter than
    ``min_window_days`` working days is never judged unstable (its growth is still reported).
    ``people`` are the utilisations of single employees: those at or above :data:`OVERLOAD`
    are counted, whether or not their pool looks saturated.
    """
    times = np.asarray(times_min, dtype=float)
    keep = times >= warmup_end
    days = np.array([working_days_at(t) for t in times[keep]])
    growth = backlog_growth_per_day(days, np.asarray(open_documents)[keep])
    long_enough = len(days) > 1 and days[-1] - days[0] >= min_window_days
    unstable = bool(long_enough and growth > 0.0 and growth > growth_share * rate_per_day)
    if utilisation:
        resource = max(utilisation, key=utilisation.__getitem__)  # first of equals: deterministic
        busiest = utilisation[resource]
    else:
        resource, busiest = "", math.nan
    people = people or []
    overloaded = sum(1 for u in people if u >= OVERLOAD)
    top = max(people) if people else math.nan
    return Stability(unstable, growth, resource, busiest, overloaded, top)


def warnings(verdicts: dict[str, dict[str, object]]) -> list[str]:
    """One terminal line per platform with unstable replications (from Experiment.stability)."""
    lines = []
    for platform, v in verdicts.items():
        if v.get("overloaded_people"):
            lines.append(
                f"OVERLOADED {platform}: on average {v['overloaded_people']:.1f} people were busy "
                f"{OVERLOAD:.0%} of their working time or more (busiest "
                f"{v['busiest_person_utilisation']:.2f}); their named work queues up while "
                f"others have time. Consider staff.assignment least_loaded or pooled.")
        if not v["unstable_replications"]:
            continue
        lines.append(
            f"UNSTABLE {platform}: open documents grow by {v['backlog_growth_per_day']:.1f} a "
            f"working day in {v['unstable_replications']} of {v['replications']} replication(s); "
            f"saturated: {v['saturated_resource']} (utilisation "
            f"{v['saturated_utilisation']:.2f}). The means above depend on the horizon, not a "
            f"steady state."
        )
    return lines
