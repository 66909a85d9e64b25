"""A step's time: human handling x factors + platform interactions + waits.

Given the employee who takes a step and the moment they take it, :class:`StepTimer` computes the
whole timeline of the step by arithmetic -- working hours from the calendar, outages from lazily
generated timelines, queueing from heap-based server pools -- so one step costs one simulation
event. It returns the end time and the step's time split into :data:`DELAY_COMPONENTS`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from statistics import NormalDist

from sim.calendar import MINUTES_PER_DAY, WorkCalendar
from sim.documents import DELAY_COMPONENTS, D, Document
from sim.network import Connection
from sim.platforms import Platform
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
    busy_minutes: float
    at_home: bool
    unofficial: bool
    connectivity_minutes: float
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


class StepTimer:
    """Computes step timelines for one architecture in one replication."""

    def __init__(
        self, scenario: Scenario, calendar: WorkCalendar, platforms: list[Platform],
        streams: Streams,
    ) -> None:
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

    def home_connection(self, emp: Employee) -> Connection:
        """The employee's home connection, made on first use from its own stream."""
        conn = emp.connection
        if conn is None:
            spec = self.internet.classes[emp.home_internet]
            conn = Connection(spec, self.streams.python(Purpose.CONNECTION, emp.id))
            emp.connection = conn
        return conn  # type: ignore[return-value]

    def run(
        self, emp: Employee, doc: Document, spec: StepSpec, enqueued: float, now: float,
        office_day_wait: bool,
    ) -> StepOutcome:
        """Time a step the employee takes up at ``now`` (it was enqueued at ``enqueued``)."""
        rng = doc.rng
        u_handle, u_service, u_attempt, u_crash, u_rework = (
            rng.random() for _ in range(DRAWS_PER_STEP)
        )
        comp = [0.0] * _N
        comp[D["office_day"] if office_day_wait else D["queue"]] = now - enqueued
        cal = self.calendar
        t = cal.next_working(now)
        comp[D["off_hours"]] = t - now
        at_home = not emp.on_site(int(t // MINUTES_PER_DAY))
        platform = self.platforms[emp.body]
        conn = self.home_connection(emp) if at_home else self.office[emp.body]

        began = t
        t, unofficial, lost = self._reach(emp, doc, platform, conn, t, now, at_home, comp)
        vpn = platform.vpn_for(emp.body) if at_home and not unofficial else None
        occupied = 0.0
        if not unofficial:
            if vpn is not None:
                got = vpn.hold(t)
                comp[D["vpn"]] += got - t
                t = got
            before = t
            t, attempt_loss = self._interact(platform, conn, spec, emp.body, t, at_home,
                                             u_service, u_attempt, comp)
            lost += attempt_loss
            occupied = t - before

        minutes = handling_minutes(spec, u_handle) * self._factor(emp, platform, at_home)
        if at_home and u_crash < self.human.equipment_crash_prob[emp.equipment]:
            minutes *= 2.0  # the work was lost and done again
        end = cal.add(t, minutes)
        comp[D["handling"]] += minutes
        comp[D["off_hours"]] += (end - t) - minutes
        if vpn is not None:
            vpn.release(end)
        return StepOutcome(end, comp, minutes + occupied, at_home, unofficial, lost, u_rework,
                           began)

    def _factor(self, emp: Employee, platform: Platform, at_home: bool) -> float:
        human = self.human
        f = platform.ui_time_factor
        if emp.insecure_literacy:
            f *= human.insecure_literacy_time_factor
        if at_home:
            f *= human.remote_time_factor * human.equipment_time_factor[emp.equipment]
        return f

    def _reach(
        self, emp: Employee, doc: Document, platform: Platform, conn: Connection, t: float,
        now: float, at_home: bool, comp: list[float],
    ) -> tuple[float, bool, float]:
        """Wait until both the connection and the system are up, or fall back to a messenger."""
        reach, conn_wait, down_wait = t, 0.0, 0.0
        while True:
            a = conn.timeline.up_at(reach, now)
            b = platform.up_at(emp.body, a, now)
            conn_wait += a - reach
            down_wait += b - a
            if b == a:
                break
            reach = b
        if reach == t:
            return t, False, 0.0
        # Secret work never happens at home, so it never reaches this branch from home.
        if at_home and emp.messenger_user and doc.confidentiality != "secret":
            return t, True, 0.0
        resume = self.calendar.next_working(reach)
        comp[D["connectivity"]] += conn_wait
        comp[D["platform_outage"]] += down_wait
        comp[D["off_hours"]] += resume - reach
        return resume, False, conn_wait

    def _interact(
        self, platform: Platform, conn: Connection, spec: StepSpec, body: int, t: float,
        at_home: bool, u_service: float, u_attempt: float, comp: list[float],
    ) -> tuple[float, float]:
        """Failed attempts, then the step's platform interactions: server queue and network."""
        if spec.interactions == 0:
            return t, 0.0
        lost = _failed_attempts(u_attempt, conn.spec.attempt_failure_prob) * self.timeout_min
        comp[D["connectivity"]] += lost
        t += lost
        service = -platform.service_mean_min * spec.interactions * math.log1p(-u_service)
        start = platform.servers_for(body).serve(t, service)
        remote_path = at_home and platform.vpn_for(body) is not None
        network = conn.transfer_minutes(
            spec.interactions, spec.round_trips, spec.payload_mb,
            platform.extra_rtt_ms if remote_path else 0.0,
            platform.bandwidth_factor if remote_path else 1.0,
        )
        comp[D["platform"]] += (start - t) + service + network
        return start + service + network, lost


def _failed_attempts(u: float, p: float) -> int:
    """Failed connection attempts before the first success (geometric, by inversion)."""
    if p <= 0.0:
        return 0
    return int(math.log1p(-u) / math.log(p))
