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
import random
from bisect import bisect_right
from collections.abc import Callable
from dataclasses import dataclass
from statistics import NormalDist
from typing import Any

import simpy

from sim.config.schema import UI_GROUPS, InternetClass, Scenario, StepSpec
from sim.model.calendar import MINUTES_PER_DAY, WorkCalendar
from sim.model.documents import DELAY_COMPONENTS, D, Document
from sim.model.network import NEVER, Connection, OutageTimeline, UnionTimeline, with_incidents
from sim.model.platforms import Platform, ServerPool, SessionPool
from sim.model.population import Employee
from sim.model.streams import Purpose, Streams

__all__ = ["Step", "StepTimer", "Route", "PAPER"]

_N = len(DELAY_COMPONENTS)
_inv_normal = NormalDist().inv_cdf
_QUEUE, _OFFICE_DAY, _OFF_HOURS = D["queue"], D["office_day"], D["off_hours"]
_CONNECTIVITY, _VPN, _OUTAGE = D["connectivity"], D["vpn"], D["platform_outage"]
_PLATFORM, _HANDLING, _ABSENCE = D["platform"], D["handling"], D["absence"]
_MIGRATION, _OTHER_DUTIES = D["migration"], D["other_duties"]
PAPER = "paper"  #: the `system` of a step done off every platform (secret documents)


class Step:
    """One step of one document, from its submission to a role pool to its end.

    The route fills the first fields; the pool names the employee; the timer fills the rest:
    where the employee worked, where the time went (``components``, which sum to the step's time
    from ``enqueued`` to ``end``), and how long the employee was occupied.
    """

    __slots__ = (
        "doc", "name", "spec", "enqueued", "on_site_only", "done",  # set by the route
        "emp", "on_end", "key", "named", "waiting_since", "absence_wait", "load",  # by the pool
        "draws", "components", "start", "end", "at_home", "unofficial", "platform", "conn",
        "nets", "link", "vpn", "vpn_from", "occupied", "busy_minutes", "lost_working",
        "interruptions", "system",  # by the timer
        "share", "carry_at", "carried",  # a hand-over of work in progress
    )
    # Set after construction (see above); declared here for type checkers.
    emp: Employee
    on_end: Callable[[simpy.Event], None]
    key: tuple[float, ...]
    named: bool
    waiting_since: float
    draws: tuple[float, float, float, float, float, float]
    components: list[float]
    start: float
    end: float
    at_home: bool
    unofficial: bool
    platform: Platform
    conn: Connection
    nets: tuple[OutageTimeline, ...]
    link: Route | None
    vpn: SessionPool | None
    vpn_from: float
    occupied: float
    busy_minutes: float
    lost_working: float
    interruptions: int
    system: str
    carry_at: float | None

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
        self.absence_wait = 0.0  # clock minutes waited for a named person who was away
        self.load = 0.0  # expected working minutes it added to its named person's load
        self.share = 1.0  # the part of the work still to do (less after a hand-over)
        self.carry_at = None  # set when the work stops for a hand-over: when it passes on
        self.carried = False  # the work was begun by someone who then went away

    def __lt__(self, other: Step) -> bool:
        """Queue order: the pool's discipline key (heaps compare steps with it)."""
        return self.key < other.key

    @property
    def rework_draw(self) -> float:
        """The uniform an approver's step uses to decide on rework."""
        return self.draws[4]

    @property
    def paper(self) -> bool:
        """Whether the step is done on paper, off every platform (secret documents)."""
        return self.system == PAPER


@dataclass(frozen=True, slots=True)
class Route:
    """The segments of an office's path to its system beyond the LAN, folded into one link.

    Round trips add up, the narrowest segment sets the bandwidth, and an attempt fails if any
    segment drops it; ``via_access``: the path ends in the state bodies' internet access gateway,
    which carries each transfer on one of its channels.
    """

    rtt_ms: float
    bandwidth_mbps: float
    attempt_failure_prob: float
    via_access: bool


class StepTimer:
    """Times steps for one architecture in one replication."""

    def __init__(
        self, env: simpy.Environment, scenario: Scenario, calendar: WorkCalendar,
        platforms: list[Platform], streams: Streams, body_kinds: list[str],
    ) -> None:
        self.env = env
        self.calendar = calendar
        self.platforms = platforms  # by body id
        self.human = scenario.human
        self.internet = scenario.internet
        # Per role, working minutes a hands-on minute of correspondence spans (1 / share).
        self._spread = {role: 1.0 / share
                        for role, share in scenario.staff.correspondence_share.items()}
        self.streams = streams
        office = scenario.internet.classes[scenario.internet.office_class]
        bodies = range(len(platforms))
        self.office = [Connection(office, streams.python(Purpose.OFFICE_LAN, b)) for b in bodies]
        # Per body, looked up once here rather than through the platform on every step.
        self._systems = [p.outages_for(b) for b, p in zip(bodies, platforms, strict=True)]
        self._servers = [p.servers_for(b) for b, p in zip(bodies, platforms, strict=True)]
        self._vpn = [p.vpn_for(b) for b, p in zip(bodies, platforms, strict=True)]
        # The office's path to its system crosses the segments the system's office_paths name
        # for the body's kind: the LAN, the government WAN, the body's internet link, the state
        # bodies' single internet access gateway.
        internet = scenario.internet
        gateway = internet.access_gateway
        self._access = OutageTimeline.from_hours(
            streams.python(Purpose.ACCESS_GATEWAY, 0), gateway.mtbf_h, gateway.mttr_h)
        self._access_pool = ServerPool(gateway.channels)
        self._access_rtt_ms = gateway.rtt_ms
        self._body_kinds = body_kinds
        # Incidents of a region's internet: on its bodies' links to the internet and on their
        # staff's home lines (kept here, so a body that moves system keeps them).
        self._region_down: list[tuple[OutageTimeline, ...]] = [() for _ in bodies]
        # A body's internet link and WAN channel, made on first use from their own streams (so
        # a body that moves system keeps their histories).
        self._segments: dict[tuple[str, int], Connection] = {}
        self._routes: dict[tuple[int, str], Route | None] = {}  # by platform and body kind
        self._paths: list[tuple[str, ...]] = [
            tuple(p.office_paths[body_kinds[b]]) for b, p in enumerate(platforms)]
        self._links: list[Route | None] = [self._route(b) for b in bodies]
        self._office_nets: list[tuple[OutageTimeline | UnionTimeline, ...]] = [
            self._office_path(b) for b in bodies]
        # The cloud UI's factor by preference group (UI_GROUPS order) and literacy (insecure
        # users feel the difference more: the gap from 1 is widened).
        osdo = scenario.platform.osdo
        gap = osdo.ui_insecure_gap_factor
        self._cloud_ui = [(f, 1.0 + gap * (f - 1.0))
                          for f in (osdo.ui_time_factors[g] for g in UI_GROUPS)]
        self._ui_share = {name: spec.ui_share for name, spec in scenario.documents.steps.items()}
        # Migration: until when a body's staff work slower in a new system, and how much.
        self._transition: list[tuple[float, float]] = [(0.0, 1.0) for _ in bodies]
        self._migrating = False  # no body has moved: steps skip the migration's costs
        self._standin_days = scenario.absence.standin_after_days
        self.messenger_reentry_share = scenario.human.messenger_reentry_share
        self.outage_loss_prob = scenario.human.outage_work_loss_prob
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
        self._transfer: dict[tuple[int, int, int, bool, int], float] = {}

    def _segment(self, name: str, body: int) -> InternetClass:
        """The connection class of a body's WAN channel or internet link."""
        internet = self.internet
        if name == "wan":
            return internet.government_wan
        return internet.classes[internet.office_links[self._body_kinds[body]]]

    def _connection(self, name: str, body: int) -> Connection:
        """The body's WAN channel or internet link, made on first use."""
        conn = self._segments.get((name, body))
        if conn is None:
            purpose = Purpose.OFFICE_WAN if name == "wan" else Purpose.OFFICE_LINK
            conn = Connection(self._segment(name, body), self.streams.python(purpose, body))
            self._segments[(name, body)] = conn
        return conn

    def _route(self, body: int) -> Route | None:
        """The numbers of the body's path beyond the LAN (None: the LAN only)."""
        path = self._paths[body]
        key = (id(self.platforms[body]), self._body_kinds[body])  # its numbers depend on these
        if key in self._routes:
            return self._routes[key]
        links = [self._segment(name, body) for name in ("wan", "body_link") if name in path]
        via_access = "access_gateway" in path
        route = None
        if links or via_access:
            # One segment's own probability as it is (1 - (1 - p) need not give p back exactly).
            fail = links[0].attempt_failure_prob if len(links) == 1 else 1.0 - math.prod(
                1.0 - spec.attempt_failure_prob for spec in links)
            route = Route(
                rtt_ms=sum(spec.rtt_ms for spec in links)
                + (self._access_rtt_ms if via_access else 0.0),
                bandwidth_mbps=min((spec.bandwidth_mbps for spec in links), default=math.inf),
                attempt_failure_prob=fail, via_access=via_access)
        self._routes[key] = route
        return route

    def _office_path(self, body: int) -> tuple[OutageTimeline | UnionTimeline, ...]:
        """The outage timelines on the office's path to its system.

        The LAN, then as the path says the WAN channel, the body's internet link with its
        region's internet (incidents), and the access gateway.
        """
        path = self._paths[body]
        nets: list[OutageTimeline | UnionTimeline] = [self.office[body].timeline]
        if "wan" in path:
            nets.append(self._connection("wan", body).timeline)
        if "body_link" in path:
            nets.append(self._connection("body_link", body).timeline)
            nets.extend(self._region_down[body])
        if "access_gateway" in path:
            nets.append(self._access)
        return tuple(nets)

    # ------------------------------------------------------------------ policy over time
    def switch_platform(self, body: int, platform: Platform, transition_end: float,
                        factor: float) -> None:
        """The body works in ``platform`` from now on.

        Slower by ``factor`` until the end of the transition; steps already under way finish
        where they started.
        """
        self.platforms[body] = platform
        self._systems[body] = platform.outages_for(body)
        self._servers[body] = platform.servers_for(body)
        self._vpn[body] = platform.vpn_for(body)
        self._paths[body] = tuple(platform.office_paths[self._body_kinds[body]])
        self._links[body] = self._route(body)
        self._office_nets[body] = self._office_path(body)
        self._transition[body] = (transition_end, factor)
        self._migrating = True

    def add_access_gateway_incidents(self, intervals: list[tuple[float, float]]) -> None:
        """The access gateway is also down over the given clock-minute intervals."""
        self._access = with_incidents(self._access, intervals)
        self._office_nets = [self._office_path(b) for b in range(len(self.platforms))]

    def add_internet_incidents(self, bodies: list[int],
                               intervals: list[tuple[float, float]]) -> None:
        """A region's internet is down over the intervals.

        Its bodies' links to the internet and their staff's home connections go down (an
        agency's own network is not the internet).
        """
        down = OutageTimeline.scheduled(intervals)
        for body in bodies:
            self._region_down[body] += (down,)
        self._office_nets = [self._office_path(b) for b in range(len(self.platforms))]

    def _home_nets(self, emp: Employee,
                   conn: Connection | None = None) -> tuple[OutageTimeline | UnionTimeline, ...]:
        """A home worker's path: their line, and their region's internet (incidents)."""
        extra = self._region_down[emp.body]
        timeline = (conn or self.home_connection(emp)).timeline
        return (timeline, *extra) if extra else (timeline,)

    def online(self, emp: Employee, now: float) -> bool:
        """Connected, with the body's system up, at ``now`` (as ``_begin`` would find it)."""
        at_home = not emp.on_site(int(now // MINUTES_PER_DAY))
        nets = self._home_nets(emp) if at_home else self._office_nets[emp.body]
        return (all(line.up_at(now, now) == now for line in nets)
                and self._systems[emp.body].up_at(now, now) == now)

    def home_connection(self, emp: Employee) -> Connection:
        """The employee's home connection, made on first use from its own stream."""
        conn = emp.connection
        if conn is None:
            spec = self.internet.classes[emp.home_internet]
            # A connection replaced during the run (a new internet class) has a stream of its own.
            keys = (emp.id,) if not emp.connection_epoch else (emp.id, emp.connection_epoch)
            conn = Connection(spec, self.streams.python(Purpose.CONNECTION, *keys))
            emp.connection = conn
        return conn

    def start(self, step: Step) -> None:
        """``step.emp`` takes the step up now; ``step.on_end`` is called at the step's end."""
        now = self.env.now
        u = step.doc.rng.random
        # Six uniforms every step, used or not (handling, service, failed attempts, crash,
        # rework, lost work in an interruption), so that the OSDO and ESED runs of a document
        # stay aligned on the same numbers (common random numbers).
        step.draws = (u(), u(), u(), u(), u(), u())
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
        if at_home:
            step.conn = conn = self.home_connection(emp)
            step.nets = self._home_nets(emp, conn)
        else:
            step.conn = self.office[body]
            step.link = self._links[body]
            step.nets = self._office_nets[body]
        reach, conn_wait, down_wait = self._reach(step.nets, self._systems[body], now, now)
        if reach == now:
            self._connect(step)
            return
        # Only preparatory work of open documents may leave the system (see _unofficial).
        if (at_home and emp.messenger_user and step.spec.messenger_allowed
                and step.doc.confidentiality == "open"):
            step.unofficial = True
            self._work(step, now)
            return
        resume = self.calendar.next_working(reach)
        comp = step.components
        comp[_CONNECTIVITY] += conn_wait
        comp[_OUTAGE] += down_wait
        comp[_OFF_HOURS] += resume - reach
        step.lost_working += self.calendar.working_minutes(now, resume)
        self._at(resume, self._resume_connect, step)

    @staticmethod
    def _reach(nets: tuple[OutageTimeline, ...], system: OutageTimeline, t: float,
               now: float) -> tuple[float, float, float]:
        """The first time >= ``t`` when every link and the system are up, and the waits.

        Returns (that time, minutes waited for links, minutes waited for the system).
        """
        conn_wait = down_wait = 0.0
        while True:
            start = t
            for line in nets:
                up = line.up_at(t, now)
                conn_wait += up - t
                t = up
            up = system.up_at(t, now)
            down_wait += up - t
            t = up
            if t == start:
                return t, conn_wait, down_wait

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
        network = self._network_minutes(step)
        done = start + service
        if step.link is not None and step.link.via_access:
            # Through the national access gateway: a channel for the transfer's duration.
            done = self._access_pool.serve(done, network)
        platform_minutes = (done - now) + network
        step.components[_PLATFORM] += platform_minutes
        step.occupied += platform_minutes
        self._work(step, now + platform_minutes)

    def _network_minutes(self, step: Step) -> float:
        """Network time of the step's interactions over its path (cached per path and kind)."""
        spec, platform, conn, link = step.spec, step.platform, step.conn, step.link
        remote_path = step.vpn is not None
        key = (id(conn.spec), id(link) if link is not None else 0, id(platform),
               remote_path, id(spec))
        network = self._transfer.get(key)
        if network is None:
            if link is not None:  # the office LAN, then the segments beyond it
                extra_rtt = link.rtt_ms
                bandwidth = min(1.0, link.bandwidth_mbps / conn.spec.bandwidth_mbps)
            elif remote_path:  # home connection through the agency's VPN
                extra_rtt, bandwidth = platform.extra_rtt_ms, platform.bandwidth_factor
            else:
                extra_rtt, bandwidth = 0.0, 1.0
            network = self._transfer[key] = conn.transfer_minutes(
                spec.interactions, spec.round_trips, spec.payload_mb, extra_rtt, bandwidth)
        return network

    def _handling_minutes(self, step: Step) -> float:
        """Hands-on minutes of the step: a draw from its distribution times the factors."""
        emp, draws = step.emp, step.draws
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
        f = 1.0
        if step.platform.cloud_ui and not step.paper:
            # The cloud's UI factor of this person acts on the step's share of UI work.
            share = self._ui_share[step.name]
            ui = self._cloud_ui[emp.ui_group][emp.insecure_literacy]
            f = ui if share == 1.0 else 1.0 + share * (ui - 1.0)
        if emp.insecure_literacy:
            f *= human.insecure_literacy_time_factor
        if step.at_home:
            f *= human.remote_time_factor * human.equipment_time_factor[emp.equipment]
        minutes *= f
        if step.at_home and draws[3] < human.equipment_crash_prob[emp.equipment]:
            minutes *= 2.0  # the work was lost and done again
        return minutes

    def _migration_minutes(self, step: Step, minutes: float, t: float) -> float:
        """Extra minutes of a step in a body that just moved system.

        The transition's slower work, and bringing the document into the new system (once, on
        its next step).
        """
        until, factor = self._transition[step.emp.body]
        extra = minutes * (factor - 1.0) if t < until and not step.paper else 0.0
        doc = step.doc
        if doc.import_min:
            extra += doc.import_min
            doc.import_min = 0.0
        return extra

    def _work(self, step: Step, t: float) -> None:
        """Hands-on work from ``t`` in working time; schedule the step's end."""
        comp, calendar = step.components, self.calendar
        emp_away = bool(step.emp.absences)
        before = comp.copy() if emp_away else comp
        minutes = self._handling_minutes(step) * step.share
        comp[_HANDLING] += minutes
        if self._migrating:
            moving = self._migration_minutes(step, minutes, t)
            comp[_MIGRATION] += moving
            minutes += moving
        # The taker gives only a share of their time to correspondence: the hands-on minutes
        # spread over a longer span, the rest of it at their other duties.
        other = minutes * (self._spread[step.spec.role] - 1.0)
        comp[_OTHER_DUTIES] += other
        span = minutes + other
        end = calendar.add(t, span)
        extra = 0.0  # minutes charged to connectivity or outages within the work
        busy = span  # the employee's time on the step (re-entry and redone work included)
        if step.unofficial:
            end, extra, reentry = self._reenter(step, end, minutes)
            busy += reentry
        elif step.spec.ui_bound and not step.paper:
            end, extra = self._interrupted(step, t, span, end)
            busy += extra
        handover = None
        if emp_away:
            end, away, handover = self._paused_for_absence(step, t, end)
            extra += away
        comp[_OFF_HOURS] += (end - t) - span - extra
        if handover is not None:
            end, busy = self._stop_for_handover(step, t, end, busy, before, *handover)
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

    def _reenter(self, step: Step, end: float, minutes: float) -> tuple[float, float, float]:
        """Work done through a messenger is entered into the system once it is back in reach.

        The wait for the system goes to the connectivity and outage components; re-entering
        costs ``human.messenger_reentry_share`` of the work's minutes, charged to the component
        that kept the system out of reach.
        """
        calendar, comp = self.calendar, step.components
        reach, conn_wait, down_wait = self._reach(
            step.nets, self._systems[step.emp.body], end, self.env.now)
        resume = calendar.next_working(reach)
        reentry = self.messenger_reentry_share * minutes
        done = calendar.add(resume, reentry)
        waited = calendar.working_minutes(end, resume)
        cause = _OUTAGE if down_wait > conn_wait else _CONNECTIVITY
        comp[_CONNECTIVITY] += conn_wait
        comp[_OUTAGE] += down_wait
        comp[cause] += reentry
        step.lost_working += waited + reentry
        # The waits above are clock time; what is not working time is off hours (by the caller).
        return done, conn_wait + down_wait + reentry, reentry

    def _interrupted(self, step: Step, t: float, minutes: float,
                     end: float) -> tuple[float, float]:
        """Stop the work while a link or the system is down; it may lose its unsaved part.

        Returns the step's new end and the working minutes charged to the outages.
        """
        nets, system = step.nets, self._systems[step.emp.body]
        if system.never_down and all(line.never_down for line in nets):
            return end, 0.0
        calendar, comp, now = self.calendar, step.components, self.env.now
        cur, remaining, charged = t, minutes, 0.0
        while True:
            down, cause = system.next_down(cur, now), _OUTAGE
            for line in nets:
                s = line.next_down(cur, now)
                if s < down:
                    down, cause = s, _CONNECTIVITY
            if down >= end or down == NEVER:
                return end, charged
            reach, _, _ = self._reach(nets, system, down, now)
            resume = calendar.next_working(reach)
            done = calendar.working_minutes(cur, down)
            lost = calendar.working_minutes(down, resume)
            remaining -= done
            cur = resume
            if lost > 0.0:  # the outage took working time: the step was interrupted
                step.interruptions += 1
                # Work is saved at the end of a day: only an outage during work loses any.
                during_work = calendar.next_working(down) == down
                if during_work and done > 0.0 and self._loses_work(step):
                    remaining += done  # unsaved work since the step (re)started is redone
                    lost += done
                comp[cause] += lost
                charged += lost
                step.lost_working += lost
            end = calendar.add(cur, remaining)

    def _paused_for_absence(self, step: Step, t: float,
                            end: float) -> tuple[float, float, tuple[float, float] | None]:
        """Nobody works while away: hands-on work running into a spell away stops.

        With stand-ins (``absence.standin_after_days`` set) the work stops where the spell
        begins and passes on: returned as (when it stops, when it is handed over: the spell's
        first working minute before leave or a trip, ``standin_after_days`` working days into
        sickness, or the person's return if sooner). Without stand-ins it pauses over the spell
        and its person carries it on when back. Returns the new end, the working minutes of the
        pauses (the absence component) and the hand-over, if any.
        """
        calendar, emp = self.calendar, step.emp
        away = 0.0
        spells = emp.absences
        # Spells over before the work starts are skipped by bisection: this runs for every step.
        first_spell = max(0, bisect_right(spells, (int(t // MINUTES_PER_DAY), -1)) - 1)
        for first, after in spells[first_spell:]:
            start = max(first * MINUTES_PER_DAY, t)
            if start >= end:
                break
            back = after * MINUTES_PER_DAY
            if back <= t:
                continue
            lost = calendar.working_minutes(start, back)
            if lost <= 0.0:
                continue  # a spell over a weekend or holidays takes no working time
            days = emp.standin_after(first, self._standin_days)
            if days is None:
                end = calendar.add(end, lost)  # the rest of the work, after the pause
                away += lost
                continue
            if calendar.working_minutes(start, end) <= 0.0:
                break
            missed = calendar.next_working(first * MINUTES_PER_DAY)
            handover = calendar.next_working(
                calendar.add(missed, days * calendar.minutes_per_day))
            carry_at = max(start, min(handover, calendar.next_working(back)))
            step.components[_ABSENCE] += away
            return end, away, (start, carry_at)
        step.components[_ABSENCE] += away
        return end, away, None

    def _stop_for_handover(self, step: Step, t: float, end: float, busy: float,
                           before: list[float], stop: float,
                           carry_at: float) -> tuple[float, float]:
        """The work stops at ``stop`` (its person goes away) with part of it done.

        What the step was charged for the whole work shrinks to the part done by ``stop`` (the
        components then sum to ``stop`` minus ``enqueued``), the rest is kept as the step's
        ``share`` for whoever carries it on, and the pool hands it over at ``carry_at``.
        Returns the part's end (``stop``) and the employee's busy minutes on it.
        """
        calendar, comp = self.calendar, step.components
        done = calendar.working_minutes(t, stop)
        total = calendar.working_minutes(t, end)
        part = done / total if total > 0.0 else 0.0
        off = before[_OFF_HOURS]
        added = sum(c - b for c, b in zip(comp, before, strict=True)) - (comp[_OFF_HOURS] - off)
        scale = done / added if added > 0.0 else 0.0
        for i, b in enumerate(before):
            comp[i] = b + (comp[i] - b) * scale
        comp[_OFF_HOURS] = off + (stop - t) - done
        step.share *= 1.0 - part
        step.carry_at = carry_at
        if step.unofficial:
            step.doc.unofficial = True
        return stop, busy * part

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

    def _loses_work(self, step: Step) -> bool:
        """Whether this interruption loses the unsaved work (the step's own draw, then more)."""
        p = self.outage_loss_prob
        if p <= 0.0:
            return False
        u = step.draws[5]
        if step.interruptions > 1:  # later interruptions of one step: a stream of its own
            u = random.Random(f"{u}-{step.interruptions}").random()
        return u < p


def _failed_attempts(u: float, p: float) -> int:
    """Failed connection attempts before the first success (geometric, by inversion; p > 0)."""
    return int(math.log1p(-u) / math.log(p))
