"""A step's time: human handling x factors + platform interactions + waits.

A :class:`Step` is one step of one document (register, resolve, execute, ...): it waits in a role
pool's queue, is taken up by an employee, and :class:`StepTimer` carries it from that moment to
its end. Working hours come from the calendar, outages from lazily generated timelines, and
queueing from heap-based server pools, so a step usually costs a single simulation event (its
end). A step only schedules an extra event when it must wait -- for working hours, for a
connection or system to come back, for a VPN session, or after failed connection attempts -- so
that every pool is offered its jobs in time order (which keeps the heap pools exactly first come,
first served).

The step's time is split into :data:`~sim.model.documents.DELAY_COMPONENTS`, which sum to it
exactly.

This module is the simulator's hot path (every step of every document passes through it), so
the phases are written out with their look-ups precomputed per body and per step kind; see
``bench/run.py`` for what that buys.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from statistics import NormalDist
from typing import Any

import simpy

from sim.config.schema import Scenario, StepSpec
from sim.model.calendar import MINUTES_PER_DAY, WorkCalendar
from sim.model.documents import DELAY_COMPONENTS, D, Document
from sim.model.network import Connection
from sim.model.platforms import Platform, SessionPool
from sim.model.population import Employee
from sim.model.streams import Purpose, Streams

__all__ = ["Step", "StepTimer"]

_N = len(DELAY_COMPONENTS)
_inv_normal = NormalDist().inv_cdf
_QUEUE, _OFFICE_DAY, _OFF_HOURS = D["queue"], D["office_day"], D["off_hours"]
_CONNECTIVITY, _VPN, _OUTAGE = D["connectivity"], D["vpn"], D["platform_outage"]
_PLATFORM, _HANDLING = D["platform"], D["handling"]


class Step:
    """One step of one document, from its submission to a role pool to its end.

    The route fills the first fields; the pool names the employee; the timer fills the rest:
    where the employee worked, where the time went (``components``, which sum to the step's time
    from ``enqueued`` to ``end``), and how long the employee was occupied.
    """

    __slots__ = (
        "doc", "name", "spec", "enqueued", "on_site_only", "done",  # set by the route
        "emp", "on_end",  # set by the pool
        "draws", "components", "start", "end", "at_home", "unofficial", "platform", "conn",
        "vpn", "vpn_from", "occupied", "busy_minutes",  # by the timer
    )
    # Set after construction (see above); declared here for type checkers.
    emp: Employee
    on_end: Callable[[simpy.Event], None]
    draws: tuple[float, float, float, float, float]
    components: list[float]
    start: float
    end: float
    at_home: bool
    unofficial: bool
    platform: Platform
    conn: Connection
    vpn: SessionPool | None
    vpn_from: float
    occupied: float
    busy_minutes: float

    def __init__(
        self, doc: Document, name: str, spec: StepSpec, enqueued: float,
        done: Callable[[Step], None],
    ) -> None:
        self.doc = doc
        self.name = name
        self.spec = spec
        self.enqueued = enqueued
        self.on_site_only = doc.on_site_only
        self.done = done

    @property
    def rework_draw(self) -> float:
        """The uniform an approver's step uses to decide on rework."""
        return self.draws[4]


class StepTimer:
    """Times steps for one architecture in one replication."""

    def __init__(
        self, env: simpy.Environment, scenario: Scenario, calendar: WorkCalendar,
        platforms: list[Platform], streams: Streams,
    ) -> None:
        self.env = env
        self.calendar = calendar
        self.platforms = platforms  # by body id
        self.human = scenario.human
        self.internet = scenario.internet
        self.streams = streams
        office = scenario.internet.classes[scenario.internet.office_class]
        bodies = range(len(platforms))
        self.office = [Connection(office, streams.python(Purpose.OFFICE_LAN, b)) for b in bodies]
        # Per body, looked up once here rather than through the platform on every step.
        self._systems = [p.outages_for(b) for b, p in zip(bodies, platforms, strict=True)]
        self._servers = [p.servers_for(b) for b, p in zip(bodies, platforms, strict=True)]
        self._vpn = [p.vpn_for(b) for b, p in zip(bodies, platforms, strict=True)]
        self.timeout_min = scenario.internet.connect_timeout_s / 60.0
        # Per step spec, its handling-time distribution with the lognormal's mu and sigma (for
        # mean handling_mean_min and coefficient of variation handling_cv) worked out once.
        # By step name (register, resolution, ...).
        self._handling: dict[str, tuple[str, float, float]] = {}
        for name, spec in scenario.documents.steps.items():
            mean = spec.handling_mean_min
            if spec.distribution == "lognormal":
                sigma2 = math.log1p(spec.handling_cv**2)
                self._handling[name] = ("lognormal", math.log(mean) - sigma2 / 2, math.sqrt(sigma2))
            else:
                self._handling[name] = (spec.distribution, mean, 0.0)
        # Network minutes of a step kind over a connection class and path, computed once each.
        self._transfer: dict[tuple[int, int, bool, int], float] = {}

    def online(self, emp: Employee, now: float) -> bool:
        """Connected, with the body's system up, at ``now`` (as ``_begin`` would find it)."""
        at_home = not emp.on_site(int(now // MINUTES_PER_DAY))
        conn = self.home_connection(emp) if at_home else self.office[emp.body]
        return (conn.timeline.up_at(now, now) == now
                and self._systems[emp.body].up_at(now, now) == now)

    def home_connection(self, emp: Employee) -> Connection:
        """The employee's home connection, made on first use from its own stream."""
        conn = emp.connection
        if conn is None:
            spec = self.internet.classes[emp.home_internet]
            conn = Connection(spec, self.streams.python(Purpose.CONNECTION, emp.id))
            emp.connection = conn
        return conn

    def start(self, step: Step) -> None:
        """``step.emp`` takes the step up now; ``step.on_end`` is called at the step's end."""
        now = self.env.now
        u = step.doc.rng.random
        # Five uniforms every step, used or not (handling, service, failed attempts, crash,
        # rework), so that the OSDO and ESED runs of a document stay aligned on the same
        # numbers (common random numbers).
        step.draws = (u(), u(), u(), u(), u())
        step.components = comp = [0.0] * _N
        step.vpn = None
        step.unofficial = False
        step.occupied = 0.0
        enqueued = step.enqueued
        # On-site-only work waits for an office day only while its taker is away; once they are
        # on site it waits for them like any other work (queue). Charging the whole wait to
        # office_day would show office-day waits even when nobody works from home.
        away = self._away_until(step.emp, enqueued, now) if step.on_site_only else enqueued
        comp[_OFFICE_DAY] = away - enqueued
        comp[_QUEUE] = now - away
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
        step.at_home = at_home = not emp.on_site(int(now // MINUTES_PER_DAY))
        step.platform = self.platforms[body]
        step.conn = conn = self.home_connection(emp) if at_home else self.office[body]
        line, system = conn.timeline, self._systems[body]
        if line.never_down and system.never_down:
            self._connect(step)
            return
        reach, conn_wait, down_wait = now, 0.0, 0.0
        while True:
            a = line.up_at(reach, now)
            b = system.up_at(a, now)
            conn_wait += a - reach
            down_wait += b - a
            reach = b
            if b == a:
                break
        if reach == now:
            self._connect(step)
            return
        # Secret work is only ever taken up on site, so it never falls back to a messenger.
        if at_home and emp.messenger_user and step.doc.confidentiality != "secret":
            step.unofficial = True
            self._work(step, now)
            return
        resume = self.calendar.next_working(reach)
        comp = step.components
        comp[_CONNECTIVITY] += conn_wait
        comp[_OUTAGE] += down_wait
        comp[_OFF_HOURS] += resume - reach
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
        step.vpn_from = now
        self._attempt(step)

    def _attempt(self, step: Step) -> None:
        """Failed connection attempts, each costing the connect timeout."""
        if step.spec.interactions == 0:
            self._work(step, self.env.now)
            return
        p = step.conn.spec.attempt_failure_prob
        if p <= 0.0:
            self._interact(step)
            return
        lost = _failed_attempts(step.draws[2], p) * self.timeout_min
        step.components[_CONNECTIVITY] += lost
        step.occupied += lost
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
        remote_path = step.vpn is not None
        conn_spec = step.conn.spec
        key = (id(conn_spec), id(platform), remote_path, id(spec))
        network = self._transfer.get(key)
        if network is None:
            network = self._transfer[key] = step.conn.transfer_minutes(
                spec.interactions, spec.round_trips, spec.payload_mb,
                platform.extra_rtt_ms if remote_path else 0.0,
                platform.bandwidth_factor if remote_path else 1.0,
            )
        platform_minutes = (start - now) + service + network
        step.components[_PLATFORM] += platform_minutes
        step.occupied += platform_minutes
        self._work(step, now + platform_minutes)

    def _work(self, step: Step, t: float) -> None:
        """Hands-on work from ``t`` in working time; schedule the step's end."""
        emp, comp, draws, spec = step.emp, step.components, step.draws, step.spec
        # Human handling time by inversion of one uniform draw, clamped away from 0 and 1
        kind, a, b = self._handling[step.name]
        if kind == "deterministic":
            minutes = a
        else:
            u = min(max(draws[0], 1e-12), 1.0 - 1e-12)
            if kind == "exponential":
                minutes = -a * math.log1p(-u)
            else:
                minutes = math.exp(a + b * _inv_normal(u))
        human = self.human
        f = step.platform.ui_time_factor if spec.ui_bound else 1.0
        if emp.insecure_literacy:
            f *= human.insecure_literacy_time_factor
        at_home = step.at_home
        if at_home:
            f *= human.remote_time_factor * human.equipment_time_factor[emp.equipment]
        minutes *= f
        if at_home and draws[3] < human.equipment_crash_prob[emp.equipment]:
            minutes *= 2.0  # the work was lost and done again
        end = self.calendar.add(t, minutes)
        comp[_HANDLING] += minutes
        comp[_OFF_HOURS] += (end - t) - minutes
        if step.vpn is not None:
            # Sessions end with the working day (they time out overnight); a step that runs on
            # the next morning is not charged a second session.
            until = min(end, self.calendar.day_end(t))
            step.vpn.release(until, self.calendar.working_minutes(step.vpn_from, until))
        step.end = end
        step.busy_minutes = minutes + step.occupied
        # Always through an event, even for zero-length work, so that finishing a step never
        # recurses into starting the next one.
        self.env.timeout(end - self.env.now, step).callbacks.append(step.on_end)


def _failed_attempts(u: float, p: float) -> int:
    """Failed connection attempts before the first success (geometric, by inversion; p > 0)."""
    return int(math.log1p(-u) / math.log(p))
