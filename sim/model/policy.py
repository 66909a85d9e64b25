"""Policy over time: scheduled shares, migration waves and incidents, as dated events of a run.

:class:`PolicyEvent` is what a run reports of them (for tables, plots and the report's words).
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

import numpy as np
import simpy

from sim.config.policy import Incident, MigrationWave, ShareChange
from sim.config.schema import Scenario, hhmm_minutes
from sim.model.calendar import MINUTES_PER_DAY, WorkCalendar
from sim.model.platforms import Platform
from sim.model.population import (
    Body,
    Employee,
    class_of,
    office_weekdays,
    set_pace,
    work_modes,
)
from sim.model.work import StepTimer

if TYPE_CHECKING:  # the flow is passed in, never built here
    from sim.model.routing import DocumentFlow

#: The morning count of open documents is taken at 10:00: the day's work is under way.
MORNING_MIN = 10 * 60

__all__ = ["PolicyEvent", "Policy", "MORNING_MIN", "morning_counts", "PolicyClock", "share_at",
           "Wave", "migration_plan", "peak_remote_staff", "recovery_days", "excess_days"]


@dataclass(frozen=True, slots=True)
class PolicyEvent:
    """One dated policy event of a run."""

    #: ``step``: a scheduled share jumps; ``ramp``: it changes linearly from ``start_min`` to
    #: ``end_min``; ``wave``: bodies move from ESED to OSDO; ``incident``: something is down.
    kind: Literal["step", "ramp", "wave", "incident"]
    start_min: float  #: clock minute it starts
    end_min: float  #: clock minute it ends (== start_min for a step or a wave)
    label: str  #: a few words, e.g. "remote share 30% -> 75%", "wave 1: 2 bodies to OSDO"
    #: Whether it touched this run's architecture (an OSDO outage does not touch an ESED run).
    affects: bool = True


class PolicyClock:
    """Turns a scenario's days (working days from the start, or ISO dates) into clock minutes."""

    def __init__(self, scenario: Scenario, calendar: WorkCalendar) -> None:
        self.calendar = calendar
        self.start = dt.date.fromisoformat(scenario.calendar.start_date)

    def minute(self, when: int | str) -> float:
        """The first working minute of the day ``when``."""
        calendar = self.calendar
        if isinstance(when, int):
            return calendar.next_working(calendar.end_of_working_days(when))
        days = (dt.date.fromisoformat(when) - self.start).days
        return calendar.next_working(float(days * MINUTES_PER_DAY))

    def clock(self, when: int | str, hhmm: str) -> float:
        """The clock minute of ``hhmm`` on the day ``when``.

        ``when``: a date (any day: an incident may fall on a weekend), or a number of working
        days (the day that working day falls on).
        """
        if isinstance(when, str):
            day = (dt.date.fromisoformat(when) - self.start).days
        else:
            day = int(self.minute(when) // MINUTES_PER_DAY)
        return float(day * MINUTES_PER_DAY + hhmm_minutes(hhmm))


Value = float | dict[str, float]


def share_at(start: Value, changes: list[ShareChange], clock: PolicyClock, t: float) -> Value:
    """The value at clock minute ``t`` of a scheduled share.

    It starts at ``start`` and changes by steps and linear ramps (in working time), taken in
    the order they begin.
    """
    value = start
    for change in sorted(changes, key=lambda c: clock.minute(c.first)):
        begin = clock.minute(change.first)
        if t < begin:
            break
        if change.day is not None:
            value = change.to
            continue
        end = clock.minute(change.until)  # type: ignore[arg-type]  # a ramp has until
        if t >= end:
            value = change.to
            continue
        calendar = clock.calendar
        frac = calendar.working_minutes(begin, t) / calendar.working_minutes(begin, end)
        value = _between(value, change.to, frac)
    return value


def _between(a: Value, b: Value, frac: float) -> Value:
    if isinstance(a, dict) and isinstance(b, dict):
        return {k: a[k] + (b[k] - a[k]) * frac for k in a}
    return float(a) + (float(b) - float(a)) * frac  # type: ignore[arg-type]


_LABELS = {
    "remote_share": ("remote share", None),
    "literacy": ("training: insecure users", "insecure"),
    "equipment": ("procurement: adequate equipment", "adequate"),
    "home_internet": ("home internet: first class", None),
}


def share_events(scenario: Scenario, clock: PolicyClock) -> list[PolicyEvent]:
    """A step or ramp event for every scheduled change.

    Each is labelled with the share before and after (for shares by class, the share of the
    class that says most).
    """
    events = []
    staff = scenario.staff
    for key, changes in staff.schedules.items():
        start = getattr(staff, key)
        words, cls = _LABELS[key]
        for change in changes:
            begin = clock.minute(change.first)
            before = share_at(start, changes, clock, begin - 1e-6)
            if isinstance(change.to, dict):
                name = cls or next(iter(change.to))
                a, b = before[name], change.to[name]  # type: ignore[index]
                words_now = words if cls else f"home internet: {name}"
            else:
                a, b, words_now = before, change.to, words
            end = begin if change.day is not None else clock.minute(change.until)  # type: ignore[arg-type]
            kind = "step" if change.day is not None else "ramp"
            events.append(PolicyEvent(kind, begin, end, f"{words_now} {a:.0%} -> {b:.0%}"))
    return events


@dataclass(frozen=True)
class Wave:
    """A migration wave as planned for one run: when, and which bodies (ids) move."""

    label: str
    time: float
    bodies: tuple[int, ...]
    spec: MigrationWave


def migration_plan(scenario: Scenario, bodies: list[Body], clock: PolicyClock) -> list[Wave]:
    """The waves in time order, each with the bodies it moves from ESED to OSDO.

    A wave moves the bodies it names (by body or group name) and of the kinds it lists that are
    still on ESED, and then, with ``share``, that share of the bodies still on ESED before it,
    the first ones in the scenario's order. A body moves once.
    """
    on_esed = [b.id for b in bodies if b.own_platform == "esed"]
    plan = []
    ordered = sorted(scenario.migration, key=lambda w: clock.minute(w.day))
    for number, spec in enumerate(ordered, start=1):
        names = set(spec.bodies)
        chosen = [b for b in on_esed if bodies[b].name in names or bodies[b].group in names
                  or bodies[b].kind in spec.kinds]
        if spec.share is not None:
            rest = [b for b in on_esed if b not in chosen]
            chosen += rest[:max(0, round(spec.share * len(on_esed)) - len(chosen))]
        on_esed = [b for b in on_esed if b not in chosen]
        label = spec.name or f"wave {number}"
        moved = f"{len(chosen)} {'body' if len(chosen) == 1 else 'bodies'} to OSDO"
        plan.append(Wave(f"{label} ({moved})", clock.minute(spec.day),
                         tuple(sorted(chosen)), spec))
    return plan


def incident_interval(incident: Incident, clock: PolicyClock) -> tuple[float, float]:
    """The clock minutes an incident starts and ends."""
    start = clock.clock(incident.day, incident.at)
    return start, start + incident.hours * 60.0


def incident_label(incident: Incident) -> str:
    """How plots name an incident: its name, else what was down and for how long."""
    if incident.name:
        return incident.name
    what = {"access_gateway": "access gateway", "internet": f"internet of {incident.region}",
            "platform": "OSDO" if incident.system == "osdo" else f"ESED of {incident.body}"}
    return f"{what[incident.what]} down {incident.hours:g} h"


def events_after_horizon(scenario: Scenario) -> list[str]:
    """Migration waves and incidents that start at or after the run's horizon, in words.

    Accepted (a scenario may be shortened for a quick run), but they will not happen in this
    run, which a planner must be told.
    """
    from sim.model.calendar import run_horizon_min

    calendar = WorkCalendar(scenario.calendar)
    clock = PolicyClock(scenario, calendar)
    horizon = run_horizon_min(scenario)
    last = clock.start + dt.timedelta(days=int((horizon - 1) // MINUTES_PER_DAY))
    end = (f"the run ends after {scenario.horizon_days} working days, on "
           f"{last.isoformat()}")
    out = []
    for i, wave in enumerate(scenario.migration):
        if clock.minute(wave.day) >= horizon:
            name = f" ({wave.name})" if wave.name else ""
            out.append(f"migration.{i}{name}: day {wave.day} is after the horizon ({end}): "
                       "this wave will not happen in this run")
    for i, incident in enumerate(scenario.incidents):
        if incident_interval(incident, clock)[0] >= horizon:
            out.append(f"incidents.{i} ({incident_label(incident)}): day {incident.day} is "
                       f"after the horizon ({end}): this incident will not happen in this run")
    return out


class Policy:
    """A scenario's policy over time in one replication.

    Share schedules applied every working morning, migration waves, and dated incidents on
    systems and paths.

    Built after the platforms and before the step timer (platform incidents must be on the
    systems' timelines when the timer looks them up); :meth:`start` then wires the rest.
    """

    def __init__(self, scenario: Scenario, calendar: WorkCalendar, bodies: list[Body],
                 systems: dict[str, Platform], platforms: list[Platform],
                 migrating: bool) -> None:
        self.scenario = scenario
        self.calendar = calendar
        self.clock = PolicyClock(scenario, calendar)
        self.bodies = bodies
        self.systems = systems
        self._initial = [p.name for p in platforms]  # the list itself changes at the waves
        self._horizon = math.inf  # set by start(): a wave after it moves nobody
        self.waves = migration_plan(scenario, bodies, self.clock) if migrating else []
        self._add_platform_incidents()

    # ------------------------------------------------------------------ which system when
    def system_at(self, body: int, t: float) -> str:
        """The system ``body`` works in at ``t`` (after the waves up to then)."""
        for wave in self.waves:
            if wave.time <= t and body in wave.bodies:
                return "osdo"
        return self._initial[body]

    def systems_of(self, body: int) -> list[str]:
        """Every system ``body`` works in during the run, in order (two if a wave moves it)."""
        moved = any(body in wave.bodies and wave.time < self._horizon for wave in self.waves)
        return [self._initial[body], "osdo"] if moved else [self._initial[body]]

    def _bodies_named(self, name: str | None) -> list[int]:
        return [b.id for b in self.bodies if name in (b.name, b.group)]

    def _region_bodies(self, region: str | None) -> list[int]:
        regions = {g.name: g.region_name for g in self.scenario.bodies}
        return [b.id for b in self.bodies if regions[b.group] == region]

    # ------------------------------------------------------------------ incidents
    def _add_platform_incidents(self) -> None:
        for incident in self.scenario.incidents:
            if incident.what != "platform":
                continue
            interval = [incident_interval(incident, self.clock)]
            system = self.systems[incident.system]  # type: ignore[index]  # checked
            if incident.system == "osdo":
                system.add_incidents(None, interval)
            else:
                for body in self._bodies_named(incident.body):
                    system.add_incidents(body, interval)

    def _add_path_incidents(self, timer: StepTimer) -> None:
        for incident in self.scenario.incidents:
            interval = [incident_interval(incident, self.clock)]
            if incident.what == "access_gateway":
                timer.add_access_gateway_incidents(interval)
            elif incident.what == "internet":
                timer.add_internet_incidents(self._region_bodies(incident.region), interval)

    def _incident_bodies(self, incident: Incident, start: float) -> list[int]:
        """The bodies whose work an incident cuts (by id), given the systems at its start."""
        if incident.what == "internet":
            return self._region_bodies(incident.region)  # home connections, on every system
        if incident.what == "access_gateway" or incident.system == "osdo":
            return [b.id for b in self.bodies if self.system_at(b.id, start) == "osdo"]
        return [b for b in self._bodies_named(incident.body) if self.system_at(b, start) == "esed"]

    def _incident_affects(self, incident: Incident, start: float) -> bool:
        return incident.what == "internet" or bool(self._incident_bodies(incident, start))

    def incident_intervals(self) -> list[tuple[float, float]]:
        """The (start, end) clock minutes of the incidents that touch this run."""
        out = []
        for incident in self.scenario.incidents:
            start, end = incident_interval(incident, self.clock)
            if self._incident_affects(incident, start):
                out.append((start, end))
        return out

    def incident_bodies(self) -> frozenset[int]:
        """Every body an incident of this run touches: where its recovery is measured."""
        return frozenset(b for incident in self.scenario.incidents
                         for b in self._incident_bodies(incident,
                                                        incident_interval(incident, self.clock)[0]))

    # ------------------------------------------------------------------ the run
    def start(self, env: simpy.Environment, timer: StepTimer, flow: DocumentFlow,
              horizon: float) -> None:
        """Apply today's shares, and schedule the mornings, the waves and path incidents."""
        self._horizon = horizon
        self._add_path_incidents(timer)
        if self.scenario.staff.schedules:
            first = self.calendar.next_working(0.0)
            self.apply_shares(first)
            day = 1
            while (t := self.clock.minute(day)) < horizon:
                env.timeout(t).callbacks.append(lambda _ev, t=t: self.apply_shares(t))
                day += 1
        for wave in self.waves:
            if wave.time < horizon:
                env.timeout(wave.time).callbacks.append(
                    lambda _ev, w=wave: self._move(w, timer, flow))

    def apply_shares(self, t: float) -> None:
        """Set every employee's mode, literacy, equipment and home internet as at ``t``.

        The same people move each time a share passes them (their draws are kept).
        """
        staff, clock = self.scenario.staff, self.clock
        now = {key: share_at(getattr(staff, key), changes, clock, t)
               for key, changes in staff.schedules.items()}
        overrides = {g.name for g in self.scenario.bodies if g.home_internet is not None}
        for body in self.bodies:
            people = [e for role in body.staff.values() for e in role]
            modes = (work_modes([e.remote_rank for e in people], now["remote_share"],
                                staff.hybrid_share)
                     if "remote_share" in now else [e.mode for e in people])
            for emp, mode in zip(people, modes, strict=True):
                changed = _set_mode(emp, mode, self.scenario)
                if "literacy" in now:
                    insecure = emp.u_literacy < now["literacy"]["insecure"]  # type: ignore[index]
                    changed |= insecure != emp.insecure_literacy
                    emp.insecure_literacy = insecure
                if "equipment" in now:
                    kit = class_of(now["equipment"], emp.u_equipment)  # type: ignore[arg-type]
                    changed |= kit != emp.equipment
                    emp.equipment = kit
                if "home_internet" in now and body.group not in overrides:
                    _set_internet(emp, class_of(now["home_internet"],  # type: ignore[arg-type]
                                                emp.u_internet))
                if changed:
                    set_pace(emp, self.scenario)

    def _move(self, wave: Wave, timer: StepTimer, flow: DocumentFlow) -> None:
        """Bodies of the wave work in OSDO from now on; their open documents are imported."""
        cloud, now = self.systems["osdo"], timer.env.now
        spec = wave.spec
        until = self.calendar.add(now, spec.transition_days * self.calendar.minutes_per_day)
        for body in wave.bodies:
            timer.switch_platform(body, cloud, until, spec.transition_time_factor)
            for doc in flow.open.values():
                # Secret documents are paper in the secret records office: nothing to import.
                if doc.body == body and doc.confidentiality != "secret":
                    doc.import_min += spec.import_min_per_document

    def events(self) -> list[PolicyEvent]:
        """Every dated event of the run, in time order."""
        events = share_events(self.scenario, self.clock)
        events += [PolicyEvent("wave", w.time, w.time, w.label) for w in self.waves]
        for incident in self.scenario.incidents:
            start, end = incident_interval(incident, self.clock)
            events.append(PolicyEvent("incident", start, end, incident_label(incident),
                                      self._incident_affects(incident, start)))
        return sorted(events, key=lambda e: e.start_min)


def _set_mode(emp: Employee, mode: str, scenario: Scenario) -> bool:
    if mode == emp.mode:
        return False
    emp.mode = mode
    emp.office_weekdays = office_weekdays(mode, emp.id, scenario)
    return True


def _set_internet(emp: Employee, home: str) -> None:
    if home != emp.home_internet:
        emp.home_internet = home
        emp.connection = None  # made anew on next use, from a stream of its own
        emp.connection_epoch += 1


def peak_remote_staff(body: Body, scenario: Scenario) -> int:
    """Staff of ``body`` at home some days at the peak of the remote share's schedule.

    What an agency sizes its VPN for.
    """
    staff = scenario.staff
    peak = max([staff.remote_share, *staff.schedule_targets("remote_share")])
    people = [e for role in body.staff.values() for e in role]
    modes = work_modes([e.remote_rank for e in people], peak, staff.hybrid_share)
    return sum(1 for m in modes if m != "office")


def recovery_days(times: np.ndarray, open_documents: np.ndarray,
                  intervals: list[tuple[float, float]], calendar: WorkCalendar,
                  before_days: int) -> float:
    """Working days from an incident's start until the open documents are back in their band.

    The band is the range of open documents at 10:00 over the ``before_days`` working days
    before the incident; the level is read at 10:00 each working day from the incident's end
    on (the first sample at or after 10:00). The longest over the incidents; NaN when there are
    none, when no day before an incident was sampled, or when one is not back by the horizon.
    """
    if not intervals:
        return math.nan
    worst = 0.0
    for start, end in intervals:
        first_day = int(start // MINUTES_PER_DAY)
        before = [d for d in range(first_day - 1, -1, -1) if calendar.is_working_day(d)]
        band = [v for d in before[:before_days]
                if (v := _at_ten(times, open_documents, d)) is not None]
        if not band:
            return math.nan
        top, day = max(band), int(end // MINUTES_PER_DAY)
        while True:
            if day * MINUTES_PER_DAY > times[-1]:
                return math.nan
            level = _at_ten(times, open_documents, day) if calendar.is_working_day(day) else None
            if level is not None and level <= top and day * MINUTES_PER_DAY + MORNING_MIN >= end:
                worst = max(worst, calendar.working_days_between(start, day * MINUTES_PER_DAY
                                                                 + MORNING_MIN))
                break
            day += 1
    return worst


def morning_counts(times: np.ndarray, values: np.ndarray,
                   mornings: np.ndarray) -> np.ndarray:
    """Each value at a morning's 10:00: the first row at or after it that day (NaN if none).

    The one reading of "open documents at 10:00" (recovery KPIs, the weekly table), whatever
    the sampling interval.
    """
    if not len(times):
        return np.full(len(mornings), np.nan)
    index = np.minimum(np.searchsorted(times, mornings, side="left"), len(times) - 1)
    midnight = (mornings // MINUTES_PER_DAY + 1) * MINUTES_PER_DAY
    out = values[index].astype(float)
    out[(times[index] < mornings) | (times[index] >= midnight)] = np.nan
    return out


def _at_ten(times: np.ndarray, values: np.ndarray, day: int) -> float | None:
    """:func:`morning_counts` of one calendar day (None when that day has no reading)."""
    value = morning_counts(times, values, np.array([day * MINUTES_PER_DAY + MORNING_MIN]))[0]
    return None if math.isnan(value) else float(value)


def excess_days(times: np.ndarray, open_documents: np.ndarray, calm: np.ndarray,
                intervals: list[tuple[float, float]], calendar: WorkCalendar,
                share: float) -> float:
    """Working days from the first incident's start until its excess backlog is gone.

    Gone: the open documents at 10:00 are within ``share`` of the same replication run without
    the incidents (``calm``, sampled at the same ``times``), from the last incident's end on.
    What the backlog would have done anyway (absences, a ramp) is in both runs, so it cancels;
    NaN when there are no incidents or the excess lasts to the horizon.
    """
    if not intervals:
        return math.nan
    start, end = min(s for s, _ in intervals), max(e for _, e in intervals)
    day = int(end // MINUTES_PER_DAY)
    while day * MINUTES_PER_DAY <= times[-1]:
        if calendar.is_working_day(day) and day * MINUTES_PER_DAY + MORNING_MIN >= end:
            level = _at_ten(times, open_documents, day)
            usual = _at_ten(times, calm, day)
            if level is not None and usual is not None and level <= usual * (1.0 + share):
                return calendar.working_days_between(start, day * MINUTES_PER_DAY + MORNING_MIN)
        day += 1
    return math.nan
