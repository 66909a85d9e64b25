"""A step's time: human handling x factors + platform interactions + waits.

A :class:`Step` (:mod:`~sim.model.step`) is one step of one document (register, resolve,
execute, ...): it waits in a role pool's queue, is taken up by an employee, and
:class:`StepTimer` carries it from that moment to its end, phase by phase. What it draws on has
a module each: the person's hands-on minutes (:mod:`~sim.model.handling`), the path to the
system (:mod:`~sim.model.paths`), the intervals over which work cannot go on -- path or system
down, person away (:mod:`~sim.model.unavailability`) -- and what they do to a step's work
(:mod:`~sim.model.stoppages`), which the timer asks once per step. Working hours come from the
calendar, outages from lazily generated timelines, and queueing from heap-based server pools, so
a step usually costs a single simulation event (its end). A step only schedules an extra event
when it must wait -- for working hours, for a connection or system to come back, for a VPN
session, or after failed connection attempts -- so that every pool is offered its jobs in time
order (which keeps the heap pools exactly first come, first served).

The step's time is split into :data:`~sim.model.documents.DELAY_COMPONENTS`, which sum to it
exactly.

This module is the simulator's hot path (every step of every document passes through it), so
the phases are written out with their look-ups precomputed per body and per step kind; see
``bench/run.py`` for what that buys.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import simpy

from sim.config.schema import Scenario
from sim.model.calendar import MINUTES_PER_DAY, WorkCalendar
from sim.model.documents import DELAY_COMPONENTS, D
from sim.model.handling import Handling
from sim.model.paths import Paths
from sim.model.platforms import Platform
from sim.model.population import Employee
from sim.model.step import PAPER, Step
from sim.model.stoppages import Stoppages, shrink_to_handover
from sim.model.streams import Streams
from sim.model.unavailability import Reach

__all__ = ["Step", "StepTimer"]

_N = len(DELAY_COMPONENTS)
_QUEUE, _OFFICE_DAY, _OFF_HOURS = D["queue"], D["office_day"], D["off_hours"]
_CONNECTIVITY, _VPN, _OUTAGE = D["connectivity"], D["vpn"], D["platform_outage"]
_PLATFORM, _HANDLING, _ABSENCE = D["platform"], D["handling"], D["absence"]
_MIGRATION, _OTHER_DUTIES = D["migration"], D["other_duties"]


class StepTimer:
    """Times steps for one architecture in one replication: the phases of a step."""

    def __init__(
        self, env: simpy.Environment, scenario: Scenario, calendar: WorkCalendar,
        platforms: list[Platform], streams: Streams, body_kinds: list[str],
    ) -> None:
        self.env = env
        self.calendar = calendar
        self.platforms = platforms  # by body id
        bodies = range(len(platforms))
        self.paths = Paths(scenario, platforms, streams, body_kinds)
        self.handling = Handling(scenario, len(platforms))
        self.stops = Stoppages(calendar, scenario.human.outage_work_loss_prob,
                               scenario.human.messenger_reentry_share,
                               scenario.absence.standin_after_days)
        # Per role, working minutes a hands-on minute of correspondence spans (1 / share).
        self._spread = {role: 1.0 / share
                        for role, share in scenario.staff.correspondence_share.items()}
        # Per body, looked up once here rather than through the platform on every step.
        self._servers = [p.servers_for(b) for b, p in zip(bodies, platforms, strict=True)]
        self._vpn = [p.vpn_for(b) for b, p in zip(bodies, platforms, strict=True)]
        self.timeout_min = scenario.internet.connect_timeout_s / 60.0

    # ------------------------------------------------------------------ policy over time
    def switch_platform(self, body: int, platform: Platform, transition_end: float,
                        factor: float) -> None:
        """The body works in ``platform`` from now on.

        Slower by ``factor`` until the end of the transition; steps already under way finish
        where they started.
        """
        self.paths.switch_platform(body, platform)  # sets self.platforms[body] (shared list)
        self._servers[body] = platform.servers_for(body)
        self._vpn[body] = platform.vpn_for(body)
        self.handling.start_transition(body, transition_end, factor)

    def add_access_gateway_incidents(self, intervals: list[tuple[float, float]]) -> None:
        """The access gateway is also down over the given clock-minute intervals."""
        self.paths.add_access_gateway_incidents(intervals)

    def add_internet_incidents(self, bodies: list[int],
                               intervals: list[tuple[float, float]]) -> None:
        """A region's internet is down over the intervals (links to it and home lines)."""
        self.paths.add_internet_incidents(bodies, intervals)

    def online(self, emp: Employee, now: float) -> bool:
        """Connected, with the body's system up, at ``now`` (as ``_begin`` would find it)."""
        return self.paths.online(emp, now)

    # ------------------------------------------------------------------ taking a step up
    def start(self, step: Step) -> None:
        """``step.emp`` takes the step up now; ``step.on_end`` is called at the step's end."""
        now = self.env.now
        # Six uniforms every step, used or not (handling, service, failed attempts, crash,
        # rework, lost work in an interruption), so that the OSDO and ESED runs of a document
        # stay aligned on the same numbers (common random numbers).
        step.draws = step.doc.rng.uniforms(6)
        step.components = comp = [0.0] * _N
        step.vpn = None
        step.link = None
        step.unofficial = False
        step.occupied = 0.0
        step.lost_working = 0.0
        step.interruptions = 0
        enqueued = step.enqueued
        # On-site-only work waits for an office day only while its taker is away; once they are
        # on site it waits for them like any other work (queue). Charging the whole wait to
        # office_day would show office-day waits even when nobody works from home.
        away = self._away_until(step.emp, enqueued, now) if step.on_site_only else enqueued
        comp[_OFFICE_DAY] = away - enqueued
        absent = min(step.absence_wait, now - away)
        comp[_ABSENCE] = absent
        comp[_QUEUE] = now - away - absent
        t = self.calendar.next_working(now)
        comp[_OFF_HOURS] = t - now
        step.start = t
        if t <= now:
            self._begin(step)
        else:
            self._at(t, self._resume_begin, step)

    def _away_until(self, emp: Employee, enqueued: float, now: float) -> float:
        """When ``emp`` is first on site at or after ``enqueued`` (at most ``now``)."""
        day = int(enqueued // MINUTES_PER_DAY)
        if emp.on_site(day) and self.calendar.is_working_day(day):
            return enqueued
        last = int(now // MINUTES_PER_DAY)
        while day < last:
            day += 1
            if emp.on_site(day) and self.calendar.is_working_day(day):
                return min(max(enqueued, self.calendar.day_start(day)), now)
        return now

    def hand_over(self, step: Step) -> None:
        """The work stopped for a hand-over is passed on now.

        The wait from the first working minute its person missed is absence (as for named work
        that waits for someone away); before that, off hours.
        """
        now = self.env.now
        missed = min(self.calendar.next_working(step.end), now)
        step.components[_ABSENCE] += now - missed
        step.components[_OFF_HOURS] += missed - step.end
        step.carry_at = None
        step.carried = True
        step.waiting_since = now
        step.absence_wait = 0.0

    def resume(self, step: Step) -> None:
        """``step.emp`` carries on work another began (``step.share`` of it) from now."""
        now = self.env.now
        comp = step.components
        waited = now - step.waiting_since
        absent = min(step.absence_wait, waited)
        comp[_ABSENCE] += absent
        comp[_QUEUE] += waited - absent
        step.absence_wait = 0.0
        step.vpn = None
        step.link = None
        step.unofficial = False
        step.occupied = 0.0
        t = self.calendar.next_working(now)
        comp[_OFF_HOURS] += t - now
        step.start = t
        if t <= now:
            self._begin(step)
        else:
            self._at(t, self._resume_begin, step)

    # ------------------------------------------------------------------ phases
    def _at(self, t: float, resume: Callable[[Any], None], step: Step) -> None:
        """Run ``resume`` at ``t`` (> now) with an event whose value is the step."""
        self.env.timeout(t - self.env.now, step).callbacks.append(resume)

    def _resume_begin(self, event: simpy.Event) -> None:
        self._begin(event.value)  # type: ignore[arg-type]  # the event carries its step

    def _resume_connect(self, event: simpy.Event) -> None:
        self._connect(event.value)  # type: ignore[arg-type]  # the event carries its step

    def _resume_interact(self, event: simpy.Event) -> None:
        self._interact(event.value)  # type: ignore[arg-type]  # the event carries its step

    def _begin(self, step: Step) -> None:
        """First working minute: where the employee is and whether the system is in reach."""
        now = self.env.now
        emp = step.emp
        body = emp.body
        if step.doc.confidentiality == "secret":
            # Secret documents are paper in the secret records office: on site, off every
            # platform, never through a messenger.
            step.at_home = False
            step.system = PAPER
            step.platform = self.platforms[body]
            self._work(step, now)
            return
        step.at_home = at_home = not emp.on_site(int(now // MINUTES_PER_DAY))
        step.platform = platform = self.platforms[body]
        step.system = platform.name
        paths = self.paths
        if at_home:
            step.conn = conn = paths.home_connection(emp)
            step.reach = reach = paths.home_reach(emp, conn)
        else:
            step.conn = paths.office[body]
            step.link = paths.links[body]
            step.reach = reach = paths.office_reach[body]
        up, conn_wait, down_wait = reach.until_up(now, now)
        if up == now:
            self._connect(step)
            return
        # Only preparatory work of open documents may leave the system (see _unofficial).
        if (at_home and emp.messenger_user and step.spec.messenger_allowed
                and step.doc.confidentiality == "open"):
            step.unofficial = True
            self._work(step, now)
            return
        resume = self.calendar.next_working(up)
        comp = step.components
        comp[_CONNECTIVITY] += conn_wait
        comp[_OUTAGE] += down_wait
        comp[_OFF_HOURS] += resume - up
        step.lost_working += self.calendar.working_minutes(now, resume)
        self._at(resume, self._resume_connect, step)

    def _connect(self, step: Step) -> None:
        """Remote ESED staff need a VPN session, held until the step's work is done."""
        vpn = self._vpn[step.emp.body] if step.at_home else None
        if vpn is None:
            self._attempt(step)
            return
        step.vpn = vpn
        now = self.env.now
        step.vpn_from = now
        if vpn.acquire(now, self._vpn_granted, step):
            self._attempt(step)
        # else queued: _vpn_granted carries on when a session frees

    def _vpn_granted(self, step: Step, since: float) -> None:
        """A session freed up for a step that waited for one since ``since``."""
        now = self.env.now
        step.components[_VPN] += now - since
        step.lost_working += self.calendar.working_minutes(since, now)
        step.vpn_from = now
        self._attempt(step)

    def _attempt(self, step: Step) -> None:
        """Failed connection attempts, each costing the connect timeout."""
        if step.spec.interactions == 0:
            self._work(step, self.env.now)
            return
        p = step.conn.spec.attempt_failure_prob
        if step.link is not None:  # an attempt fails if any segment drops it
            p = 1.0 - (1.0 - p) * (1.0 - step.link.attempt_failure_prob)
        if p <= 0.0:
            self._interact(step)
            return
        lost = _failed_attempts(step.draws[2], p) * self.timeout_min
        step.components[_CONNECTIVITY] += lost
        step.occupied += lost
        step.lost_working += lost
        if lost > 0.0:
            self._at(self.env.now + lost, self._resume_interact, step)
        else:
            self._interact(step)

    def _interact(self, step: Step) -> None:
        """The step's platform interactions: server queue and service, then the network."""
        now = self.env.now
        spec, platform, body = step.spec, step.platform, step.emp.body
        service = -platform.service_mean_min * spec.interactions * math.log1p(-step.draws[1])
        start = self._servers[body].serve(now, service)
        network = self.paths.transfer_minutes(step)
        done = start + service
        if step.link is not None and step.link.via_access:
            # Through the national access gateway: a channel for the transfer's duration.
            done = self.paths.access_pool.serve(done, network)
        platform_minutes = (done - now) + network
        step.components[_PLATFORM] += platform_minutes
        step.occupied += platform_minutes
        self._work(step, now + platform_minutes)

    def _work(self, step: Step, t: float) -> None:
        """Hands-on work from ``t`` in working time; schedule the step's end."""
        comp, calendar = step.components, self.calendar
        emp_away = bool(step.emp.absences)
        before = comp.copy() if emp_away else comp
        handling = self.handling
        minutes = handling.minutes(step) * step.share
        comp[_HANDLING] += minutes
        if handling.migrating:
            moving = handling.migration_minutes(step, minutes, t)
            comp[_MIGRATION] += moving
            minutes += moving
        # The taker gives only a share of their time to correspondence: the hands-on minutes
        # spread over a longer span, the rest of it at their other duties.
        other = minutes * (self._spread[step.spec.role] - 1.0)
        comp[_OTHER_DUTIES] += other
        span = minutes + other
        end = calendar.add(t, span)
        # The path, the system and the person, laid over the work in one question; extra:
        # minutes charged to them, busy: the employee's time on the step (re-entry and redone
        # work included).
        end, extra, busy, handover = self.stops.lay_over(
            step, self._reach_now(step), t, minutes, span, end, self.env.now)
        busy += span
        comp[_OFF_HOURS] += (end - t) - span - extra
        if handover is not None:
            end, busy = shrink_to_handover(calendar, step, t, end, busy, before, *handover)
        if step.vpn is not None:
            # Sessions end with the working day (they time out overnight); a step that runs on
            # the next morning is not charged a second session.
            until = min(end, calendar.day_end(t))
            step.vpn.release(until, calendar.working_minutes(step.vpn_from, until))
        step.end = end
        step.busy_minutes = busy + step.occupied
        # Always through an event, even for zero-length work, so that finishing a step never
        # recurses into starting the next one.
        self.env.timeout(end - self.env.now, step).callbacks.append(step.on_end)

    def _reach_now(self, step: Step) -> Reach | None:
        """The step's path merged with its body's system as it is now (None: on paper)."""
        if step.paper:
            return None
        reach, system = step.reach, self.paths.systems[step.emp.body]
        if reach.system is not system:  # the body moved system while the step was under way
            reach = Reach(reach.nets, system)
        return reach


def _failed_attempts(u: float, p: float) -> int:
    """Failed connection attempts before the first success (geometric, by inversion; p > 0)."""
    return int(math.log1p(-u) / math.log(p))
