"""Working-time arithmetic on a clock of minutes since the scenario start (a Monday, 00:00).

Nobody simulates evenings here: the end of a piece of work is computed by mapping clock time to a
*working-minute index* (working minutes elapsed since minute 0), adding, and mapping back. Both
maps are O(log days) with a cumulative table that grows on demand.
"""

from __future__ import annotations

import datetime as dt
import functools
import importlib.metadata
import json
import math
from bisect import bisect_left, bisect_right
from collections.abc import Iterable
from typing import NamedTuple

from sim.config.schema import CalendarSpec, Scenario, hhmm_minutes
from sim.model.cache import cache_dir, write_whole

__all__ = ["WorkCalendar", "MINUTES_PER_DAY", "run_horizon_min", "official_year",
           "warmup_marks"]

MINUTES_PER_DAY = 1440
# About a hundred years: far beyond any horizon (at most 2,600 working days plus deadlines).
# Times and work past it are 'never', so an absurd duration cannot grow the tables without end.
FAR_DAYS = 36_600


class WorkCalendar:
    """When people work: weekdays, daily periods, the official calendar and a scenario's dates.

    Times are float minutes since the start date's 00:00. A *working day* is a weekday listed in
    ``workdays`` that is not a public holiday or a day off moved by decree, or a day made a
    working day by such a move (Kazakhstan's official calendar, from the ``holidays`` package),
    then the scenario's own ``holidays`` (non-working) and ``working_dates`` (working) on top.
    Every working day holds the same ``work_periods``.
    """

    def __init__(self, spec: CalendarSpec) -> None:
        start = dt.date.fromisoformat(spec.start_date)
        if start.weekday() != 0:
            raise ValueError(f"calendar.start_date {spec.start_date} is not a Monday")
        self.start_date = start
        self._workdays = frozenset(spec.workdays)
        self._country = spec.official_calendar
        self._years: set[int] = set()  # years whose official dates are in the two sets below
        self._off: set[int] = set()  # days off: public holidays and days off moved by decree
        self._on: set[int] = set()  # weekend days made working days by decree
        self._names: dict[int, str] = {}  # official days off: their names
        self._extra_off = frozenset(_day_numbers(spec.holidays, start))
        self._extra_on = frozenset(_day_numbers(spec.working_dates, start))
        self._periods = [(hhmm_minutes(a), hhmm_minutes(b)) for a, b in spec.work_periods]
        # (start, end, working minutes before the period, working minutes by its end) per period,
        # within a day; precomputed because every step asks the calendar several times.
        self._pinfo: list[tuple[int, int, float, float]] = []
        acc = 0.0
        for a, b in self._periods:
            self._pinfo.append((a, b, acc, acc + (b - a)))
            acc += b - a
        self.minutes_per_day = acc
        self._cum: list[float] = [0.0]  # working minutes before each day's 00:00
        # The working period the latest query fell in: clock minutes [start, end) and the
        # working-minute index at its start. Most queries of a run land in the same period as
        # the one before, and answer from these three numbers alone.
        self._span_start = self._span_end = -1.0
        self._span_index = 0.0
        # working_day's last question, the period it left remembered, and its answer
        self._wd_at, self._wd_span, self._wd_day = math.nan, math.nan, 0
        self._working_days: list[int] = []
        self._extend(400)

    # ------------------------------------------------------------------ tables
    def _extend(self, until_day: int) -> None:
        day = len(self._cum) - 1
        while day <= until_day:
            working = self.is_working_day(day)
            self._cum.append(self._cum[-1] + (self.minutes_per_day if working else 0.0))
            if working:
                self._working_days.append(day)
            day += 1

    def is_working_day(self, day: int) -> bool:
        """Whether calendar day ``day`` (0 = start date) is a working day."""
        if day in self._extra_off:
            return False
        if day in self._extra_on:
            return True
        if self._country is not None:
            self._load_year((self.start_date + dt.timedelta(days=day)).year)
            if day in self._off:
                return False
            if day in self._on:
                return True
        return day % 7 in self._workdays

    def _load_year(self, year: int) -> None:
        if year in self._years:
            return
        self._years.add(year)
        official = official_year(self._country, year)
        off = _day_numbers(official.off, self.start_date)
        self._off.update(off)
        self._names.update(zip(off, official.names, strict=True))
        self._on.update(_day_numbers(official.on, self.start_date))

    def days_off(self, first: int, last: int) -> list[tuple[int, str]]:
        """Workdays (by weekday) in days ``first`` to ``last - 1`` that are days off, named.

        The official calendar's name (``Nowruz Holiday``), or ``holiday`` for one of the
        scenario's own ``calendar.holidays``.
        """
        out = []
        for day in range(max(first, 0), last):
            if day % 7 in self._workdays and not self.is_working_day(day):
                out.append((day, self._names.get(day, "holiday")))
        return out

    # ------------------------------------------------------------------ index maps
    def work_index(self, t: float) -> float:
        """Working minutes elapsed between minute 0 and ``t``."""
        if self._span_start <= t < self._span_end:
            return self._span_index + (t - self._span_start)
        if t >= FAR_DAYS * MINUTES_PER_DAY:
            return math.inf  # beyond any run: 'never' (keeps absurd durations from hanging)
        day = int(t // MINUTES_PER_DAY)
        cum = self._cum
        if day + 1 >= len(cum):
            self._extend(day + 400)
        base = cum[day]
        if cum[day + 1] == base:
            return base
        m = t - day * MINUTES_PER_DAY
        for a, b, before, _upto in self._pinfo:
            if m <= a:
                return base + before
            if m < b:
                return base + before + (m - a)
        return base + self.minutes_per_day

    def _day_for_index(self, w: float, earliest: bool) -> int:
        while self._cum[-1] <= w:
            self._extend(len(self._cum) + 400)
        if earliest:
            return max(bisect_left(self._cum, w) - 1, 0)
        return bisect_right(self._cum, w) - 1

    def time_at_index(self, w: float) -> float:
        """The earliest clock time at which ``w`` working minutes have elapsed."""
        if w <= 0:
            return 0.0
        if w >= FAR_DAYS * self.minutes_per_day:
            return math.inf
        day = self._day_for_index(w, earliest=True)
        r = w - self._cum[day]
        for a, _b, before, upto in self._pinfo:
            if r <= upto:
                return day * MINUTES_PER_DAY + a + (r - before)
        raise AssertionError("unreachable: index beyond the day's working minutes")

    def _start_at_index(self, w: float) -> float:
        """The latest clock time with index ``w`` that is inside working time."""
        day = self._day_for_index(w, earliest=False)
        r = w - self._cum[day]
        for a, _b, before, upto in self._pinfo:
            if r < upto:
                return day * MINUTES_PER_DAY + a + (r - before)
        raise AssertionError("unreachable: no working period holds the index")

    # ------------------------------------------------------------------ public arithmetic
    def next_working(self, t: float) -> float:
        """``t`` if it is working time, else the start of the next working period."""
        if self._span_start <= t < self._span_end:
            return t
        # A time on a working day up to its last period's end: find its period (and remember
        # it) without the bisection of the general case below.
        if t >= FAR_DAYS * MINUTES_PER_DAY:
            return t  # 'never' stays never
        day = int(t // MINUTES_PER_DAY)
        cum = self._cum
        if day + 1 < len(cum):
            base, nxt = cum[day], cum[day + 1]
            if nxt != base:
                m = t - day * MINUTES_PER_DAY
                for a, b, before, _upto in self._pinfo:
                    if m < b:
                        start = float(day * MINUTES_PER_DAY + a)
                        self._span_start = start
                        self._span_end = float(day * MINUTES_PER_DAY + b)
                        self._span_index = base + before
                        return max(t, start)
        return max(t, self._start_at_index(self.work_index(t)))

    def working_day(self, t: float) -> int:
        """The calendar day of the next working minute at or after ``t``.

        Remembers its last answer: every role pool asks it, several times, at each event. The
        answer is reused only while the remembered working period is the one this question
        left (no other time was asked since): ``add`` answers from that period, so asking
        ``next_working`` again must not be what moves it (results stay those of asking).
        """
        if t != self._wd_at or self._span_start != self._wd_span:
            self._wd_day = int(self.next_working(t) // MINUTES_PER_DAY)
            self._wd_at, self._wd_span = t, self._span_start
        return self._wd_day

    def add(self, t: float, minutes: float) -> float:
        """The clock time at which ``minutes`` of work started at ``t`` is done."""
        if minutes <= 0:
            return t
        if self._span_start <= t and t + minutes <= self._span_end:
            return t + minutes  # done within the working period it starts in
        w = self.work_index(t) + minutes
        if w >= FAR_DAYS * self.minutes_per_day:
            return math.inf  # 'never': see FAR_DAYS
        # Fast path for work that ends on the day it starts: time_at_index would find this day
        # by bisection (cum[day] < w <= cum[day + 1]); the arithmetic below is the same.
        day = int(t // MINUTES_PER_DAY)
        base = self._cum[day]
        if base < w <= self._cum[day + 1]:
            r = w - base
            for a, _b, before, upto in self._pinfo:
                if r <= upto:
                    return max(t, day * MINUTES_PER_DAY + a + (r - before))
        return max(t, self.time_at_index(w))

    def working_minutes(self, a: float, b: float) -> float:
        """Working minutes between clock times ``a`` <= ``b``."""
        return self.work_index(b) - self.work_index(a)

    def deadline(self, t: float, working_days: int) -> float:
        """End of the ``working_days``-th working day after the day of ``t``."""
        day = int(t // MINUTES_PER_DAY)
        self._extend(day + working_days * 2 + 400)
        i = bisect_right(self._working_days, day) + working_days - 1
        while i >= len(self._working_days):
            self._extend(len(self._cum) + 400)
        return float(self._working_days[i] * MINUTES_PER_DAY + self._periods[-1][1])

    def last_days_start(self, t: float, working_days: int) -> float:
        """Start of the last ``working_days`` working days that end at ``t`` (a deadline).

        For a deadline at the end of a working day, the first working minute of the day
        ``working_days - 1`` working days before it; never before minute 0.
        """
        w = self.work_index(t) - working_days * self.minutes_per_day
        return self.next_working(self.time_at_index(w)) if w > 0 else self.next_working(0.0)

    def end_of_working_days(self, n: int) -> float:
        """Midnight after the ``n``-th working day (0 for n = 0): a run's horizon."""
        if n <= 0:
            return 0.0
        while len(self._working_days) < n:
            self._extend(len(self._cum) + 400)
        return float((self._working_days[n - 1] + 1) * MINUTES_PER_DAY)

    def day_end(self, t: float) -> float:
        """End of the last working period of the calendar day of ``t``."""
        return (t // MINUTES_PER_DAY) * MINUTES_PER_DAY + self._periods[-1][1]

    def day_start(self, day: int) -> float:
        """Clock time of the first working minute of calendar day ``day``."""
        return float(day * MINUTES_PER_DAY + self._periods[0][0])

    def working_days_between(self, a: float, b: float) -> float:
        """Working days (fractional) between two clock times."""
        return self.working_minutes(a, b) / self.minutes_per_day


class OfficialYear(NamedTuple):
    """A country's official calendar for one year, as ISO dates."""

    off: tuple[str, ...]  #: public holidays, their observed weekdays, days off moved by decree
    on: tuple[str, ...]  #: weekend days worked (those the days off were moved from)
    names: tuple[str, ...]  #: the name of each day off, in the order of ``off`` (English)


@functools.lru_cache(maxsize=512)
def official_year(country: str, year: int) -> OfficialYear:
    """A country's official calendar for a year, read from the ``holidays`` package once.

    Kept in the cache folder (:func:`sim.model.cache.cache_dir`) under the package's version,
    since reading it loads every country the package knows; a file that cannot be read or
    written is passed over (the calendar is then read from the package, as it would be anyway).
    """
    version = importlib.metadata.version("holidays")
    path = cache_dir() / f"calendar-{country}-{year}-holidays-{version}.json"
    try:
        return _official_from_json(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        pass
    official = _official_from_holidays(country, year)
    try:
        write_whole(path, lambda tmp: tmp.write_text(json.dumps(official._asdict()),
                                                     encoding="utf-8"))
    except OSError:
        pass
    return official


def _official_from_json(text: str) -> OfficialYear:
    data = json.loads(text)
    if (not isinstance(data, dict) or set(data) != set(OfficialYear._fields)
            or not all(isinstance(part, list) and all(isinstance(x, str) for x in part)
                       for part in data.values())
            or len(data["names"]) != len(data["off"])):
        raise ValueError("not an official calendar")
    return OfficialYear(*(tuple(data[f]) for f in OfficialYear._fields))


def _official_from_holidays(country: str, year: int) -> OfficialYear:
    import holidays  # here, and only when not cached: it loads every country it knows

    calendar = holidays.country_holidays(country, years=year)
    named = sorted((d.isoformat(), name) for d, name in calendar.items() if d.year == year)
    on = tuple(sorted(d.isoformat() for d in getattr(calendar, "weekend_workdays", ())
                      if d.year == year))
    return OfficialYear(tuple(d for d, _ in named), on, tuple(name for _, name in named))


def _day_numbers(dates: Iterable[str], start: dt.date) -> list[int]:
    return [(dt.date.fromisoformat(d) - start).days for d in dates]


def run_horizon_min(scenario: Scenario) -> float:
    """A run's horizon in clock minutes: the end of its last simulated working day."""
    return WorkCalendar(scenario.calendar).end_of_working_days(scenario.horizon_days)


def warmup_marks(scenario: Scenario, estimate_days: float | None) -> tuple[float, float | None]:
    """Clock minutes of the scenario's warm-up end and of an estimate in working days."""
    calendar = WorkCalendar(scenario.calendar)
    estimate = (None if estimate_days is None or estimate_days != estimate_days
                else calendar.time_at_index(estimate_days * calendar.minutes_per_day))
    return calendar.end_of_working_days(scenario.warmup_days), estimate

