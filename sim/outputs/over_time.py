"""A run over time: a weekly table per architecture and the run's dated policy events.

Weeks run Monday 00:00 to Monday 00:00 from ``calendar.start_date`` (a Monday, clock minute 0);
week 1 is the first, the last one ends at the horizon. Each replication's week is measured
from its time series and documents, then averaged over replications (open documents also with
their lowest and highest replication). Policy events (:class:`sim.model.policy.PolicyEvent`)
are a table of their own, one row per run, and mark the weeks they start in.

No matplotlib here: the report's words read this module before anything is drawn.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from sim.config import Scenario
from sim.experiments.replications import Experiment
from sim.model.calendar import MINUTES_PER_DAY, WorkCalendar, run_horizon_min
from sim.model.metrics import RunRecords
from sim.model.policy import MORNING_MIN, morning_counts

__all__ = ["WEEK_MIN", "MORNING_MIN", "WEEKLY_COLUMNS", "EVENT_COLUMNS", "events_table",
           "weekly", "weekly_table", "distinct_events", "shows_over_time", "peak_weeks",
           "Peak", "NO_EFFECT"]

WEEK_MIN = 7 * MINUTES_PER_DAY
#: Runs at least this many weeks long get the over-time figure even without policy events.
MIN_WEEKS_SHOWN = 3

WEEKLY_COLUMNS = [
    "platform", "week", "week_start", "working_days", "holidays", "replications", "completed",
    "open_documents", "open_documents_min", "open_documents_max", "on_time_rate",
    "staff_online", "waves_in_effect", "events",
]
EVENT_COLUMNS = ["platform", "replication", "kind", "start_min", "end_min", "label", "affects"]
#: Added to an event's label in a platform's weekly row when it did not touch that platform.
NO_EFFECT = " (no effect here)"


# --------------------------------------------------------------------------- events


def events_table(runs: Iterable[RunRecords]) -> pd.DataFrame:
    """The policy events of every run, one row each (columns :data:`EVENT_COLUMNS`)."""
    rows = [(r.platform, r.replication, e.kind, float(e.start_min), float(e.end_min), e.label,
             bool(e.affects)) for r in runs for e in r.events]
    table = pd.DataFrame(rows, columns=EVENT_COLUMNS)
    return table.astype({"replication": "int64", "start_min": float, "end_min": float,
                         "affects": bool})


def distinct_events(events: pd.DataFrame | None) -> pd.DataFrame:
    """Each event once, in time order, with the platforms it touched.

    Columns ``kind``, ``start_min``, ``end_min``, ``label``, ``platforms`` (those of the table
    on which some run's event ``affects``, in run order) and ``all_platforms`` (whether that is
    every platform the table names).
    """
    columns = ["kind", "start_min", "end_min", "label", "platforms", "all_platforms"]
    if events is None or events.empty:
        return pd.DataFrame(columns=columns)
    platforms = list(dict.fromkeys(events.platform))
    rows = []
    keys = ["kind", "start_min", "end_min", "label"]
    for key, group in events.groupby(keys, sort=False):
        touched = [p for p in platforms
                   if ((group.platform == p) & group.affects.astype(bool)).any()]
        rows.append((*key, touched, len(touched) == len(platforms)))
    table = pd.DataFrame(rows, columns=columns)
    return table.sort_values("start_min", kind="stable", ignore_index=True)


# --------------------------------------------------------------------------- weeks


@dataclass(frozen=True)
class _Weeks:
    """The run's weeks and the clock times each weekly figure is measured at."""

    bounds: np.ndarray  #: clock minute each week starts, then the horizon (n + 1 values)
    mondays: list[str]  #: ISO date of each week's Monday
    mornings: np.ndarray  #: 10:00 of every working day of the run
    morning_week: np.ndarray  #: 0-based week of each of those
    horizon: float
    holidays: list[str]  #: per week, its workdays off in words (official holidays), or ""

    @property
    def n(self) -> int:
        """How many weeks the run touches."""
        return len(self.mondays)

    def working_days(self) -> np.ndarray:
        """Working days of the run in each week."""
        return np.bincount(self.morning_week, minlength=self.n)


def _weeks(scenario: Scenario, calendar: WorkCalendar) -> _Weeks:
    horizon = run_horizon_min(scenario)
    n = max(1, math.ceil(horizon / WEEK_MIN))
    bounds = np.minimum(np.arange(n + 1, dtype=float) * WEEK_MIN, horizon)
    start = dt.date.fromisoformat(scenario.calendar.start_date)
    mondays = [(start + dt.timedelta(weeks=k)).isoformat() for k in range(n)]
    days = np.array([d for d in range(int(horizon // MINUTES_PER_DAY))
                     if calendar.is_working_day(d)], dtype=np.int64)
    mornings = days * float(MINUTES_PER_DAY) + MORNING_MIN
    last_day = math.ceil(horizon / MINUTES_PER_DAY)
    holidays = [_holiday_words(calendar.days_off(7 * k, min(7 * k + 7, last_day)), start)
                for k in range(n)]
    return _Weeks(bounds, mondays, mornings, days // 7, horizon, holidays)


def _holiday_words(days: list[tuple[int, str]], start: dt.date) -> str:
    """``Nowruz Holiday (21-23 Mar)``: a week's days off, consecutive days of a name together."""
    groups: list[list[tuple[int, str]]] = []
    for day, name in days:
        if groups and groups[-1][-1][1] == name and groups[-1][-1][0] == day - 1:
            groups[-1].append((day, name))
        else:
            groups.append([(day, name)])
    words = []
    for group in groups:
        first, last = (start + dt.timedelta(days=group[0][0]),
                       start + dt.timedelta(days=group[-1][0]))
        span = (f"{first.day} {first:%b}" if first == last else
                f"{first.day}-{last.day} {last:%b}" if first.month == last.month else
                f"{first.day} {first:%b}-{last.day} {last:%b}")
        words.append(f"{group[0][1]} ({span})")
    return "; ".join(words)


def _as_of(times: np.ndarray, values: np.ndarray, when: np.ndarray) -> np.ndarray:
    """Each value as of ``when``: the last time-series row at or before it (NaN before any)."""
    if not len(times):
        return np.full(len(when), np.nan)
    index = np.searchsorted(times, when, side="right") - 1
    out = values[np.maximum(index, 0)].astype(float)
    out[index < 0] = np.nan
    return out


def _weekly_mean(week: np.ndarray, values: np.ndarray, n: int) -> np.ndarray:
    """Mean of ``values`` per 0-based week (NaN for a week without any)."""
    keep = ~np.isnan(values) & (week >= 0) & (week < n)
    count = np.bincount(week[keep], minlength=n)
    total = np.bincount(week[keep], weights=values[keep], minlength=n)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(count > 0, total / np.maximum(count, 1), np.nan)


def _working_samples(calendar: WorkCalendar, times: np.ndarray) -> np.ndarray:
    """Whether each clock time is working time (as the sampler judges staff online)."""
    distinct, codes = np.unique(times, return_inverse=True)
    flags = np.array([calendar.next_working(float(t)) == t for t in distinct], dtype=bool)
    return flags[codes]


def _completed(series: pd.DataFrame, weeks: _Weeks) -> np.ndarray:
    """Documents completed in each week: the growth of ``completed_total`` over it.

    Week bounds are Monday 00:00, outside working time, so no completion falls between the
    last row before a bound and the bound.
    """
    done = _as_of(series.time_min.to_numpy(), series.completed_total.to_numpy(), weeks.bounds)
    return np.diff(np.nan_to_num(done))


def _on_time(documents: pd.DataFrame | None, weeks: _Weeks) -> np.ndarray:
    """Share of the week's completed documents that met their deadline (NaN: none, no table)."""
    if documents is None:
        return np.full(weeks.n, np.nan)
    done = documents[documents.completed_min.notna()
                     & (documents.completed_min < weeks.horizon)]
    week = (done.completed_min.to_numpy() // WEEK_MIN).astype(np.int64)
    met = (done.completed_min <= done.deadline_min).to_numpy(dtype=float)
    return _weekly_mean(week, met, weeks.n)


def _waves(events: pd.DataFrame, weeks: _Weeks) -> np.ndarray:
    """Migration waves that touched the run and had happened by each week's Monday 00:00."""
    waves = events[(events.kind == "wave") & events.affects.astype(bool)]
    starts = np.sort(waves.start_min.to_numpy(dtype=float))
    return np.searchsorted(starts, weeks.bounds[:-1], side="right").astype(float)


def _replication_weeks(series: pd.DataFrame, documents: pd.DataFrame | None,
                       events: pd.DataFrame, weeks: _Weeks, working: np.ndarray
                       ) -> pd.DataFrame:
    """One replication's weekly figures, one row per week."""
    times = series.time_min.to_numpy()
    morning_open = morning_counts(times, series.open_documents.to_numpy(), weeks.mornings)
    online = working & (times < weeks.horizon)
    return pd.DataFrame({
        "week": np.arange(1, weeks.n + 1),
        "completed": _completed(series, weeks),
        "open": _weekly_mean(weeks.morning_week, morning_open, weeks.n),
        "on_time": _on_time(documents, weeks),
        "online": _weekly_mean((times[online] // WEEK_MIN).astype(np.int64),
                               series.staff_online.to_numpy(dtype=float)[online], weeks.n),
        "waves": _waves(events, weeks),
    })


def _event_labels(events: pd.DataFrame, weeks: _Weeks) -> list[str]:
    """Per week: the labels of one platform's events that start in it, in time order."""
    labels: list[list[str]] = [[] for _ in range(weeks.n)]
    for row in distinct_events(events).itertuples():
        week = int(row.start_min // WEEK_MIN)
        if 0 <= row.start_min < weeks.horizon:
            labels[week].append(row.label + ("" if row.platforms else NO_EFFECT))
    return ["; ".join(w) for w in labels]


def _whole_as_int(table: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    """Counts as integers (12, not 12.0) where every value is a whole number."""
    for column in columns:
        values = table[column]
        if len(values) and values.notna().all() and (values == values.round()).all():
            table[column] = values.astype("int64")
    return table


def weekly(timeseries: pd.DataFrame, documents: pd.DataFrame | None,
           events: pd.DataFrame | None, scenario: Scenario) -> pd.DataFrame:
    """The weekly table of a run's tables, one row per (platform, week).

    ``timeseries`` and ``documents`` as in a run folder (``documents`` None when not kept:
    ``on_time_rate`` is then NaN), ``events`` as :func:`events_table` (None: no events).
    Columns :data:`WEEKLY_COLUMNS`; ``docs/experiments.md`` says what each holds.
    """
    calendar = WorkCalendar(scenario.calendar)
    weeks = _weeks(scenario, calendar)
    events = events if events is not None else pd.DataFrame(columns=EVENT_COLUMNS)
    series = timeseries.sort_values(["platform", "replication", "time_min"], kind="stable",
                                    ignore_index=True)
    working = _working_samples(calendar, series.time_min.to_numpy())
    docs = documents.groupby(["platform", "replication"]) if documents is not None else None
    frames = []
    for platform in dict.fromkeys(timeseries.platform):
        for (p, r), group in series[series.platform == platform].groupby(
                ["platform", "replication"], sort=False):
            run_docs = (docs.get_group((p, r)) if docs is not None and (p, r) in docs.groups
                        else None if documents is None else documents.iloc[:0])
            run_events = events[(events.platform == p) & (events.replication == r)]
            rows = _replication_weeks(group, run_docs, run_events, weeks,
                                      working[group.index.to_numpy()])
            frames.append(rows.assign(platform=p, replication=r))
    if not frames:
        return pd.DataFrame(columns=WEEKLY_COLUMNS)
    return _aggregate(pd.concat(frames, ignore_index=True), events, weeks)


def _aggregate(per_run: pd.DataFrame, events: pd.DataFrame, weeks: _Weeks) -> pd.DataFrame:
    """Means over replications per (platform, week); open documents also their range."""
    table = per_run.groupby(["platform", "week"], sort=False).agg(
        replications=("replication", "nunique"), completed=("completed", "mean"),
        open_documents=("open", "mean"), open_documents_min=("open", "min"),
        open_documents_max=("open", "max"), on_time_rate=("on_time", "mean"),
        staff_online=("online", "mean"), waves_in_effect=("waves", "mean"),
    ).reset_index()
    index = table.week.to_numpy() - 1
    table["week_start"] = np.array(weeks.mondays, dtype=object)[index]
    table["working_days"] = weeks.working_days()[index]
    table["holidays"] = np.array(weeks.holidays, dtype=object)[index]
    table["events"] = ""
    for platform in table.platform.unique():
        labels = _event_labels(events[events.platform == platform], weeks)
        rows = table.platform == platform
        table.loc[rows, "events"] = [labels[i] for i in index[rows.to_numpy()]]
    return _whole_as_int(table[WEEKLY_COLUMNS], ["completed", "waves_in_effect"])


def weekly_table(experiment: Experiment) -> pd.DataFrame:
    """:func:`weekly` of an experiment's replications (every architecture it ran)."""
    runs = experiment.runs
    timeseries = pd.concat([r.timeseries for r in runs], ignore_index=True)
    kept = [r.documents for r in runs if r.documents is not None]
    documents = pd.concat(kept, ignore_index=True) if kept else None
    return weekly(timeseries, documents, events_table(runs), experiment.scenario)


# --------------------------------------------------------------------------- what to say


def shows_over_time(weekly_rows: pd.DataFrame | None, events: pd.DataFrame | None) -> bool:
    """Whether a run is worth a look over time: at least three weeks long, or with events."""
    if weekly_rows is None or weekly_rows.empty:
        return False
    has_events = events is not None and not events.empty
    return has_events or int(weekly_rows.week.max()) >= MIN_WEEKS_SHOWN


@dataclass(frozen=True)
class Peak:
    """The week a platform's open documents peak in, and how high."""

    platform: str
    week: int
    week_start: str  #: ISO date of its Monday
    level: float  #: mean over replications of the week's 10:00 counts
    low: float  #: the lowest replication's
    high: float  #: the highest replication's
    replications: int


def peak_weeks(weekly_rows: pd.DataFrame) -> list[Peak]:
    """Per platform, the (first) week of the highest mean open documents at 10:00."""
    peaks = []
    for platform, rows in weekly_rows.groupby("platform", sort=False):
        rows = rows.dropna(subset=["open_documents"])
        if rows.empty:
            continue
        top = rows.loc[rows.open_documents.idxmax()]
        peaks.append(Peak(str(platform), int(top.week), str(top.week_start),
                          float(top.open_documents), float(top.open_documents_min),
                          float(top.open_documents_max), int(top.replications)))
    return peaks


#: Weeks after a migration wave in which its effect on the backlog is looked for.
WAVE_WINDOW_WEEKS = 6


@dataclass(frozen=True)
class WaveEffect:
    """How far the open documents rose after a migration wave, against a run that stayed."""

    label: str
    platform: str  #: the architecture the wave moved bodies in
    reference: str  #: the architecture it is measured against ("" : its own week before)
    week: int  #: the week of the largest rise
    week_start: str
    rise: float  #: open documents above the week before the wave, net of the reference's


def wave_effects(weekly_rows: pd.DataFrame, events: pd.DataFrame | None) -> list[WaveEffect]:
    """Per migration wave, the largest rise of open documents in the weeks after it.

    The weeks after it are at most :data:`WAVE_WINDOW_WEEKS`, and stop at the next wave. The rise
    is measured from the week before the wave, in the architecture the wave touched,
    net of the same rise in an architecture it did not touch (ESED, which stays, when it ran):
    what the rest of the run does to every architecture (a remote-share ramp) cancels out.
    """
    table = distinct_events(events)
    waves = table[table.kind == "wave"]
    if waves.empty or weekly_rows is None or weekly_rows.empty:
        return []
    level = weekly_rows.pivot(index="week", columns="platform", values="open_documents")
    mondays = weekly_rows.drop_duplicates("week").set_index("week").week_start
    out = []
    starts = [int(m // WEEK_MIN) + 1 for m in waves.start_min]
    for wave, week, later in zip(waves.itertuples(), starts, [*starts[1:], None], strict=True):
        # Up to the next wave: a rise after it is that wave's.
        last = week + WAVE_WINDOW_WEEKS if later is None else min(week + WAVE_WINDOW_WEEKS, later)
        before, window = week - 1, range(week, max(last, week + 1))
        others = [p for p in level.columns if p not in wave.platforms]
        reference = "esed" if "esed" in others else (others[0] if others else "")
        for platform in wave.platforms:
            if before not in level.index:
                continue
            gap = level[platform] - (level[reference] if reference else 0.0)
            rises = {w: gap[w] - gap[before] for w in window if w in gap.index}
            if rises:
                top = max(rises, key=rises.__getitem__)
                out.append(WaveEffect(str(wave.label), str(platform), reference, top,
                                      str(mondays[top]), float(rises[top])))
    return out
