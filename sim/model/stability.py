"""Is the backlog bounded? Detect runs whose open documents grow without limit.

When documents arrive faster than staff or servers can handle them, the number of open documents
grows roughly linearly for as long as the run lasts, and every mean (cycle time, WIP, on-time
rate) depends on the horizon instead of describing a steady state. The test here is a trend test
on open documents against working days after the warm-up: the least-squares slope through
``output.trend_batches`` batch means, with its 95% interval (Student's t on batches - 2 degrees
of freedom; batch means, not the hourly samples, because a backlog remembers its level for
days). A run is *unstable* when the whole interval lies above ``output.unstable_growth_share``
of the rate documents arrive or complete: the backlog surely grows, and by more than a warming-up
or wandering one would. The resource to blame is the one with the highest utilisation: a role
pool of a body or a platform server pool.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from statistics import NormalDist

import numpy as np

__all__ = ["Stability", "backlog_growth_per_day", "backlog_trend", "assess", "warnings",
           "working_hours", "overload_advice", "OVERLOAD", "mser5_truncation", "t_quantile",
           "mser5_warmup_days"]

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
    warmup_estimate_days: float
    overloaded_people: int = 0  # people busy at least OVERLOAD of their working time
    busiest_person_utilisation: float = math.nan
    #: Half-width of the growth's 95% interval (NaN when too few samples to tell).
    backlog_growth_halfwidth: float = math.nan

    def kpis(self) -> dict[str, float]:
        """The numeric part, as KPI columns."""
        return {
            "backlog_growth_per_day": self.backlog_growth_per_day,
            "backlog_growth_halfwidth_per_day": self.backlog_growth_halfwidth,
            "unstable": float(self.unstable),
            "saturated_utilisation": self.saturated_utilisation,
            "overloaded_people": float(self.overloaded_people),
            "busiest_person_utilisation": self.busiest_person_utilisation,
            "warmup_estimate_days": self.warmup_estimate_days,
        }


def working_hours(times_min: np.ndarray, working_days_at: Callable[[float], float],
                  ) -> tuple[np.ndarray, np.ndarray]:
    """Working days since the start at each sample time, and which samples are working hours.

    Hourly samples at night and over weekends repeat the evening's value (no working time
    passes): only the first sample of each working moment counts.
    """
    days = np.array([working_days_at(t) for t in np.asarray(times_min, dtype=float)])
    working = np.concatenate([[True], np.diff(days) > 0]) if len(days) else days > 0
    return days, working


def mser5_truncation(values: np.ndarray, batch: int = 5) -> int:
    """MSER-5 (White 1997): how many leading observations to delete as warm-up.

    The series is cut into batches of ``batch`` means; for every number ``d`` of leading batches
    deleted (up to half of them), the marginal standard error of the rest is
    ``sum((z_i - mean)^2) / (k - d)^2``; the ``d`` that minimises it is the truncation point.
    Returns the number of observations to delete (a multiple of ``batch``).
    """
    x = np.asarray(values, dtype=float)
    k = len(x) // batch
    if k < 4:
        return 0
    z = x[: k * batch].reshape(k, batch).mean(axis=1)
    best_d, best = 0, math.inf
    for d in range(k // 2 + 1):
        rest = z[d:]
        score = float(((rest - rest.mean()) ** 2).sum()) / (k - d) ** 2
        if score < best:
            best_d, best = d, score
    return best_d * batch


def mser5_warmup_days(working_days: np.ndarray, values: np.ndarray) -> float:
    """MSER-5's warm-up of ``values`` sampled at ``working_days``, as working days from the first.

    0 when it deletes nothing.
    """
    cut = mser5_truncation(values)
    return float(working_days[cut] - working_days[0]) if cut else 0.0


def backlog_growth_per_day(working_days: np.ndarray, open_documents: np.ndarray) -> float:
    """Least-squares slope of open documents per working day (NaN with under two distinct days)."""
    x = np.asarray(working_days, dtype=float)
    y = np.asarray(open_documents, dtype=float)
    if len(x) < 2 or np.ptp(x) == 0.0:
        return math.nan
    xc = x - x.mean()
    return float(np.dot(xc, y - y.mean()) / np.dot(xc, xc))


def backlog_trend(working_days: np.ndarray, open_documents: np.ndarray,
                  batches: int = 10) -> tuple[float, float]:
    """The backlog's growth per working day and the half-width of its 95% interval.

    The samples are cut into ``batches`` runs of consecutive samples (equal counts, the first
    few left over); the slope is the least-squares line through the batches' mean (day, open
    documents) points, its interval Student's t with ``batches - 2`` degrees of freedom on
    the residuals. NaN for both with fewer samples than batches or under two distinct days.
    """
    x = np.asarray(working_days, dtype=float)
    y = np.asarray(open_documents, dtype=float)
    size = len(x) // batches
    if batches < 3 or size < 1:
        return math.nan, math.nan
    cut = len(x) - size * batches
    bx = x[cut:].reshape(batches, size).mean(axis=1)
    by = y[cut:].reshape(batches, size).mean(axis=1)
    xc = bx - bx.mean()
    sxx = float(np.dot(xc, xc))
    if sxx == 0.0:
        return math.nan, math.nan
    slope = float(np.dot(xc, by - by.mean()) / sxx)
    residuals = by - by.mean() - slope * xc
    se = math.sqrt(float(np.dot(residuals, residuals)) / (batches - 2) / sxx)
    return slope, t_quantile(0.975, batches - 2) * se


def t_quantile(p: float, df: int) -> float:
    """Student's t quantile for ``0.5 < p < 1`` and a whole number of degrees of freedom.

    Every run judges its trend with it, and SciPy's (``scipy.special.stdtrit``) costs a
    one-run ``sim run`` a tenth of its whole process in imports alone. Newton's method on the
    closed-form distribution function for integer ``df`` (Abramowitz & Stegun 26.7.3-4), from
    the normal quantile: the function is concave above 0, so the steps rise monotonically to
    the root. Agrees with SciPy to 1e-13 relative (``tests/test_stability.py`` holds 1e-12).
    """
    if not 0.5 < p < 1.0:
        raise ValueError(f"p must be in (0.5, 1), got {p}")
    if df < 1 or df != int(df):
        raise ValueError(f"df must be a whole number >= 1, got {df}")
    df = int(df)
    target = 2.0 * p - 1.0
    log_scale = math.lgamma((df + 1) / 2) - math.lgamma(df / 2) - 0.5 * math.log(df * math.pi)
    t = NormalDist().inv_cdf(p)
    for _ in range(200):
        density = math.exp(log_scale - (df + 1) / 2 * math.log1p(t * t / df))
        step = (target - _t_within(t, df)) / (2.0 * density)
        t += step
        if step <= 1e-15 * t:
            break
    return t


def _t_within(t: float, df: int) -> float:
    """P(|T| < t), T Student's t with integer ``df`` (Abramowitz & Stegun 26.7.3-4)."""
    theta = math.atan(t / math.sqrt(df))
    cos2 = math.cos(theta) ** 2
    if df % 2:
        total = term = math.cos(theta) if df > 1 else 0.0
        for k in range(3, df - 1, 2):
            term *= cos2 * (k - 1) / k
            total += term
        return 2.0 / math.pi * (theta + math.sin(theta) * total)
    total = term = 1.0
    for k in range(2, df - 1, 2):
        term *= cos2 * (k - 1) / k
        total += term
    return math.sin(theta) * total


def assess(
    times_min: np.ndarray, open_documents: np.ndarray, working_days_at: Callable[[float], float],
    warmup_end: float, rate_per_day: float, utilisation: dict[str, float], growth_share: float,
    min_window_days: float = 0.0, people: list[float] | None = None, batches: int = 10,
) -> Stability:
    """Judge one run from its time series of open documents.

    ``working_days_at`` maps a clock minute to working days since the start, so that nights and
    weekends (when nothing moves) do not flatten the slope; ``rate_per_day`` is the larger of the
    arrival and completion rates per working day after the warm-up. The growth and its interval
    are :func:`backlog_trend`'s over ``batches`` batches of the working hours' samples; a run is
    unstable when the interval's lower end exceeds ``growth_share`` of the rate. A window shorter
    than ``min_window_days`` working days is never judged unstable (its growth is still
    reported).
    ``people`` are the utilisations of single employees: those at or above :data:`OVERLOAD`
    are counted, whether or not their pool looks saturated. The warm-up estimate is MSER-5 on
    the open documents of working days' samples (:func:`mser5_truncation`), in working days.
    """
    times = np.asarray(times_min, dtype=float)
    open_documents = np.asarray(open_documents)
    all_days, working = working_hours(times, working_days_at)
    # From the run's start: the first working sample is at day 0.
    warmup_estimate = mser5_warmup_days(all_days[working], open_documents[working])
    keep = (times >= warmup_end) & working
    days = all_days[keep]
    growth, halfwidth = backlog_trend(days, open_documents[keep], batches)
    long_enough = len(days) > 1 and days[-1] - days[0] >= min_window_days
    unstable = bool(long_enough and growth - halfwidth > max(0.0, growth_share * rate_per_day))
    if utilisation:
        resource = max(utilisation, key=utilisation.__getitem__)  # first of equals: deterministic
        busiest = utilisation[resource]
    else:
        resource, busiest = "", math.nan
    people = people or []
    overloaded = sum(1 for u in people if u >= OVERLOAD)
    top = max(people) if people else math.nan
    return Stability(unstable, growth, resource, busiest, warmup_estimate, overloaded, top,
                     halfwidth)


def overload_advice(assignment: dict[str, str] | None) -> str:
    """What to try against overloaded people, given how the scenario assigns work by role."""
    if assignment is None:
        return ("If a role's staff.assignment is named_uniform, least_loaded or pooled spreads "
                "the work.")
    named = sorted(role for role, how in assignment.items() if how == "named_uniform")
    if named:
        return ("Consider " + " and ".join(f"staff.assignment.{r}: least_loaded" for r in named)
                + " (now named_uniform: work goes to a random person, whatever their backlog).")
    return ("Work is already assigned least loaded or pooled (staff.assignment), so these are "
            "people whose work no one else can take, such as a body's only head: more staff in "
            "that role (staff.roles, bodies' staff), a lower threshold past which colleagues act "
            "for them (staff.delegate_over_hours), one resolution level "
            "(resolution_levels: 1) or less work per employee would relieve them.")


def warnings(verdicts: dict[str, dict[str, object]],
             assignment: dict[str, str] | None = None) -> list[str]:
    """Terminal lines per platform: overloaded people, an unsettled warm-up, a growing backlog.

    ``verdicts`` from Experiment.stability; ``assignment`` the scenario's
    ``staff.assignment`` (role -> pooled, named_uniform or least_loaded), for advice that fits.
    """
    lines = []
    for platform, v in verdicts.items():
        if v.get("overloaded_people"):
            busiest = float(v["busiest_person_utilisation"])  # type: ignore[arg-type]
            over = (" (over 100%: work was counted for them beyond the working time they were "
                    "present, e.g. steps that ran on over days away)" if busiest > 1 else "")
            lines.append(
                f"OVERLOADED {platform}: on average {v['overloaded_people']:.1f} people were busy "
                f"{OVERLOAD:.0%} of their working time or more; the busiest person's work came "
                f"to {busiest:.0%} of the working time they were present (utilisation "
                f"{busiest:.2f}){over}. Their named work queues up while others have time. "
                + overload_advice(assignment))
        estimate = v.get("warmup_estimate_days")
        late = (estimate is not None and v.get("warmup_days") is not None
                and estimate > v["warmup_days"])
        if late and v.get("transient_reason"):
            lines.append(
                f"TRANSIENT {platform}: MSER-5 puts the end of a transient at {estimate:.1f} "
                f"working days, after warmup_days ({v['warmup_days']}): this scenario reads its "
                f"KPIs while its backlog is not in a steady state, on purpose. "
                f"{v['transient_reason']}")
        elif late:
            lines.append(
                f"WARM-UP {platform}: MSER-5 puts the end of the start-up transient at "
                f"{estimate:.1f} working days on average, after the scenario's warmup_days "
                f"({v['warmup_days']}); the KPIs include part of the transient. Raise warmup_days "
                f"(and horizon_days).")
        if not v["unstable_replications"]:
            continue
        halfwidth = v.get("backlog_growth_halfwidth_per_day")
        plus = f" +- {halfwidth:.1f}" if isinstance(halfwidth, float) and halfwidth == halfwidth \
            else ""
        lines.append(
            f"UNSTABLE {platform}: open documents grow by {v['backlog_growth_per_day']:.1f}"
            f"{plus} a working day in {v['unstable_replications']} of {v['replications']} "
            f"replication(s); "
            f"saturated: {v['saturated_resource']} (utilisation "
            f"{v['saturated_utilisation']:.2f}). The means above depend on the horizon, not a "
            f"steady state."
        )
    return lines
