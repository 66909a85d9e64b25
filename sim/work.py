"""A step's time: human handling x factors + platform interactions + waits.

:class:`StepTimer` carries one step from the moment an employee takes it up to its end. Working
hours come from the calendar, outages from lazily generated timelines, and queueing from
heap-based server pools, so a step usually costs a single simulation event (its end). A step only
schedules an extra event when it must wait -- for working hours, for a connection or system to
come back, for a VPN session, or after failed connection attempts -- so that every pool is offered
its jobs in time order (which keeps the heap pools exactly first come, first served).

The step's time is split into :data:`~sim.documents.DELAY_COMPONENTS`, which sum to it exactly.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from statistics import NormalDist

import simpy

from sim.calendar import MINUTES_PER_DAY, WorkCalendar
from sim.documents import DELAY_COMPONENTS, D, Document
from sim.network import Connection
from sim.platforms import Platform, ServerPool
from sim.population import Employee
from sim.scenario import Scenario, StepSpec
from sim.streams import Purpose, Streams

__all__ = ["StepTimer", "StepOutcome", "handling_minutes", "DRAWS_PER_STEP"]

#: Uniform draws every step takes from its document's stream, used or not, so that the OSDO and
#: ESED runs of a document stay aligned on the same numbers (common random numbers).
DRAWS_PER_STEP = 5
_N = len(DELAY_COMPONENTS)
_inv_normal = NormalDist().inv_cdf


@dataclass(slots=True)
class StepOutcome:
    """When a step ended and where its time went."""

    end: float
    components: list[float]
    busy_minutes: float  # employee occupied: handling plus platform interaction
    at_home: bool
    unofficial: bool
    connectivity_minutes: float  # connection down or failed attempts
    rework_draw: float
    start: float  # when the employee took the step up, in working time


def handling_minutes(spec: StepSpec, u: float) -> float:
    """Human handling time of one step from one uniform draw (inverse CDF)."""
    mean = spec.handling_mean_min
    if spec.distribution == "deterministic":
        return mean
    u = min(max(u, 1e-12), 1.0 - 1e-12)
    if spec.distribution == "exponential":
        return -mean * math.log1p(-u)
    sigma2 = math.log1p(spec.handling_cv**2)
    return math.exp(math.log(mean) - sigma2 / 2 + math.sqrt(sigma2) * _inv_normal(u))


class _Step:
    """A step in the hands of an employee, between its phases."""

    __slots__ = ("emp", "doc", "spec", "finish", "draws", "comp", "began", "at_home",
                 "platform", "conn", "vpn", "unofficial", "lost", "occupied")

    def __init__(self, emp: Employee, doc: Document, spec: StepSpec,
                 finish: Callable[[StepOutcome], None]) -> None:
        self.emp = emp
        self.doc = doc
        self.spec = spec
        self.finish = finish
        u = doc.rng.random
        self.draws = [u(), u(), u(), u(), u()]  # DRAWS_PER_STEP, unrolled: once per step
        self.comp = [0.0] * _N
        self.began = 0.0
        self.at_home = False
        self.platform: Platform
        self.conn: Connection
        self.vpn: ServerPool | None = None
        self.unofficial = False
        self.lost = 0.0
        self.occupied = 0.0


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
        self.office = [
            Connection(office, streams.python(Purpose.OFFICE_LAN, b)) for b in range(len(platforms))
        ]
        self.timeout_min = scenario.internet.connect_timeout_s / 60.0
        # Lognormal (mu, sigma) per step spec, as handling_minutes computes them, so that a step
        # does not recompute two logs and a root (same floats: see _work).
        self._lognormal: dict[int, tuple[float, float]] = {}
        self._specs = list(scenario.documents.steps.values())  # keeps the ids valid
        for spec in self._specs:
            if spec.distribution == "lognormal":
                sigma2 = math.log1p(spec.handling_cv**2)
                self._lognormal[id(spec)] = (
                    math.log(spec.handling_mean_min) - sigma2 / 2, math.sqrt(sigma2)
                )

    def home_connection(self, emp: Employee) -> Connection:
        """The employee's home connection, made on first use from its own stream."""
        conn = emp.connection
        if conn is None:
            spec = self.internet.classes[emp.home_internet]
            conn = Connection(spec, self.streams.python(Purpose.CONNECTION, emp.id))
            emp.connection = conn
        return conn  # type: ignore[return-value]

    def start(
        self, emp: Employee, doc: Document, spec: StepSpec, enqueued: float,
        office_day_wait: bool, finish: Callable[[StepOutcome], None],
    ) -> None:
        """The employee takes the step up now; ``finish`` is called at the step's end."""
        step = _Step(emp, doc, spec, finish)
        now = self.env.now
        # On-site-only work waits for an office day only while its taker is away; once they are
        # on site it waits for them like any other work (queue). Charging the whole wait to
        # office_day would show office-day waits even when nobody works from home.
        away = self._away_until(emp, enqueued, now) if office_day_wait else enqueued
        step.comp[D["office_day"]] = away - enqueued
        step.comp[D["queue"]] = now - away
        t = self.calendar.next_working(now)
        step.comp[D["off_hours"]] = t - now
        step.began = t
        self._at(t, self._begin, step)

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
    def _at(self, t: float, phase: Callable[[_Step], None], step: _Step) -> None:
        now = self.env.now
        if t <= now:
            phase(step)
        else:
            self.env.timeout(t - now).callbacks.append(lambda _ev: phase(step))

    def _begin(self, step: _Step) -> None:
        """First working minute: where the employee is and whether the system is in reach."""
        now = self.env.now
        emp = step.emp
        step.at_home = at_home = not emp.on_site(int(now // MINUTES_PER_DAY))
        step.platform = platform = self.platforms[emp.body]
        step.conn = conn = self.home_connection(emp) if at_home else self.office[emp.body]
        reach, conn_wait, down_wait = now, 0.0, 0.0
        while True:
            a = conn.timeline.up_at(reach, now)
            b = platform.up_at(emp.body, a, now)
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
            self._work(step)
            return
        resume = self.calendar.next_working(reach)
        comp = step.comp
        comp[D["connectivity"]] += conn_wait
        comp[D["platform_outage"]] += down_wait
        comp[D["off_hours"]] += resume - reach
        step.lost += conn_wait
        self._at(resume, self._connect, step)

    def _connect(self, step: _Step) -> None:
        """Remote ESED staff need a VPN session, held until the step ends."""
        if step.at_home:
            step.vpn = step.platform.vpn_for(step.emp.body)
        if step.vpn is None:
            self._attempt(step)
            return
        now = self.env.now
        got = step.vpn.hold(now)
        step.comp[D["vpn"]] += got - now
        self._at(got, self._attempt, step)

    def _attempt(self, step: _Step) -> None:
        """Failed connection attempts, each costing the connect timeout."""
        if step.spec.interactions == 0:
            self._work(step)
            return
        p = step.conn.spec.attempt_failure_prob
        lost = _failed_attempts(step.draws[2], p) * self.timeout_min
        step.comp[D["connectivity"]] += lost
        step.lost += lost
        step.occupied += lost
        self._at(self.env.now + lost, self._interact, step)

    def _interact(self, step: _Step) -> None:
        """The step's platform interactions: server queue and service, then the network."""
        now = self.env.now
        spec, platform, body = step.spec, step.platform, step.emp.body
        service = -platform.service_mean_min * spec.interactions * math.log1p(-step.draws[1])
        start = platform.servers_for(body).serve(now, service)
        remote_path = step.vpn is not None
        network = step.conn.transfer_minutes(
            spec.interactions, spec.round_trips, spec.payload_mb,
            platform.extra_rtt_ms if remote_path else 0.0,
            platform.bandwidth_factor if remote_path else 1.0,
        )
        platform_minutes = (start - now) + service + network
        step.comp[D["platform"]] += platform_minutes
        step.occupied += platform_minutes
        self._work(step, now + platform_minutes)

    def _work(self, step: _Step, t: float | None = None) -> None:
        """Hands-on work from ``t`` (default now) in working time; schedule the step's end."""
        t = self.env.now if t is None else t
        emp, comp, draws = step.emp, step.comp, step.draws
        lognormal = self._lognormal.get(id(step.spec))
        if lognormal is None:
            minutes = handling_minutes(step.spec, draws[0])
        else:  # handling_minutes' lognormal branch with mu and sigma precomputed
            u = min(max(draws[0], 1e-12), 1.0 - 1e-12)
            minutes = math.exp(lognormal[0] + lognormal[1] * _inv_normal(u))
        minutes *= self._factor(emp, step.spec, step.platform, step.at_home)
        if step.at_home and draws[3] < self.human.equipment_crash_prob[emp.equipment]:
            minutes *= 2.0  # the work was lost and done again
        end = self.calendar.add(t, minutes)
        comp[D["handling"]] += minutes
        comp[D["off_hours"]] += (end - t) - minutes
        if step.vpn is not None:
            # Sessions end with the working day (they time out overnight); a step that runs on
            # the next morning is not charged a second session.
            step.vpn.release(min(end, self.calendar.day_end(t)))
        outcome = StepOutcome(end, comp, minutes + step.occupied, step.at_home, step.unofficial,
                              step.lost, draws[4], step.began)
        # Always through an event, even for zero-length work, so that finishing a step never
        # recurses into starting the next one.
        self.env.timeout(end - self.env.now).callbacks.append(lambda _ev: step.finish(outcome))

    def _factor(self, emp: Employee, spec: StepSpec, platform: Platform, at_home: bool) -> float:
        human = self.human
        f = platform.ui_time_factor if spec.ui_bound else 1.0
        if emp.insecure_literacy:
            f *= human.insecure_literacy_time_factor
        if at_home:
            f *= human.remote_time_factor * human.equipment_time_factor[emp.equipment]
        return f


def _failed_attempts(u: float, p: float) -> int:
    """Failed connection attempts before the first success (geometric, by inversion)."""
    if p <= 0.0:
        return 0
    return int(math.log1p(-u) / math.log(p))
