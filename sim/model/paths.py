"""Paths: how an office or a home worker reaches their body's system, and its outages.

An office's path crosses the segments its system's ``office_paths`` name for the body's kind: the
LAN, the government WAN, the body's internet link (with its region's internet incidents) and the
state bodies' single internet access gateway; a home worker's, their home line and their region's
internet. :class:`Paths` keeps each body's path and system merged into one
:class:`~sim.model.unavailability.Reach` (and one per home worker), the numbers of the path
beyond the LAN folded into a :class:`Route`, and the network time of a step over it.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from sim.config.schema import InternetClass, Scenario
from sim.model.calendar import MINUTES_PER_DAY
from sim.model.network import Connection, OutageTimeline, Route, UnionTimeline, with_incidents
from sim.model.platforms import Platform, ServerPool
from sim.model.population import Employee
from sim.model.streams import Purpose, Streams
from sim.model.unavailability import Reach

if TYPE_CHECKING:
    from sim.model.step import Step

__all__ = ["Paths"]


class Paths:
    """Every body's office path and every home worker's line, with their outages."""

    def __init__(self, scenario: Scenario, platforms: list[Platform], streams: Streams,
                 body_kinds: list[str]) -> None:
        self.platforms = platforms  # by body id, shared with the step timer
        self.internet = internet = scenario.internet
        self.streams = streams
        office = internet.classes[internet.office_class]
        bodies = range(len(platforms))
        self.office = [Connection(office, streams.python_seed(Purpose.OFFICE_LAN, b))
                       for b in bodies]
        gateway = internet.access_gateway
        self._access: OutageTimeline | UnionTimeline = OutageTimeline.from_hours(
            streams.python_seed(Purpose.ACCESS_GATEWAY, 0), gateway.mtbf_h, gateway.mttr_h)
        #: The state bodies' internet access gateway: its channels.
        self.access_pool = ServerPool(gateway.channels)
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
        #: Per body, its system's outage timeline (looked up once, not on every step).
        self.systems = [p.outages_for(b) for b, p in zip(bodies, platforms, strict=True)]
        #: Per body, the numbers of its path beyond the LAN (None: the LAN only).
        self.links: list[Route | None] = [self._route(b) for b in bodies]
        #: Per body, its office path and system merged.
        self.office_reach: list[Reach] = [
            Reach(self._office_path(b), self.systems[b]) for b in bodies]
        self._home_reach: dict[int, Reach] = {}  # by employee id, made on first use
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
            conn = Connection(self._segment(name, body), self.streams.python_seed(purpose, body))
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

    def _rebuild(self) -> None:
        """Merge every path with its system again (after incidents or a move)."""
        self.office_reach = [Reach(self._office_path(b), self.systems[b])
                             for b in range(len(self.platforms))]
        self._home_reach.clear()

    # ------------------------------------------------------------------ changes over time
    def switch_platform(self, body: int, platform: Platform) -> None:
        """The body's path and system are ``platform``'s from now on."""
        self.platforms[body] = platform
        self.systems[body] = platform.outages_for(body)
        self._paths[body] = tuple(platform.office_paths[self._body_kinds[body]])
        self.links[body] = self._route(body)
        self._rebuild()

    def add_access_gateway_incidents(self, intervals: list[tuple[float, float]]) -> None:
        """The access gateway is also down over the given clock-minute intervals."""
        self._access = with_incidents(self._access, intervals)
        self._rebuild()

    def add_internet_incidents(self, bodies: list[int],
                               intervals: list[tuple[float, float]]) -> None:
        """A region's internet is down over the intervals.

        Its bodies' links to the internet and their staff's home connections go down (an
        agency's own network is not the internet).
        """
        down = OutageTimeline.scheduled(intervals)
        for body in bodies:
            self._region_down[body] += (down,)
        self._rebuild()

    # ------------------------------------------------------------------ home workers
    def home_connection(self, emp: Employee) -> Connection:
        """The employee's home connection, made on first use from its own stream."""
        conn = emp.connection
        if conn is None:
            spec = self.internet.classes[emp.home_internet]
            # A connection replaced during the run (a new internet class) has a stream of its own.
            keys = (emp.id,) if not emp.connection_epoch else (emp.id, emp.connection_epoch)
            conn = Connection(spec, self.streams.python_seed(Purpose.CONNECTION, *keys))
            emp.connection = conn
        return conn

    def home_reach(self, emp: Employee, conn: Connection) -> Reach:
        """A home worker's line and region's internet (incidents), merged with their system."""
        reach = self._home_reach.get(emp.id)
        system = self.systems[emp.body]
        # Made again when the person's line is replaced or their body moved system.
        if reach is None or reach.nets[0] is not conn.timeline or reach.system is not system:
            reach = Reach((conn.timeline, *self._region_down[emp.body]), system)
            self._home_reach[emp.id] = reach
        return reach

    def online(self, emp: Employee, now: float) -> bool:
        """Connected, with the body's system up, at ``now`` (as a step begun now would find)."""
        if emp.on_site(int(now // MINUTES_PER_DAY)):
            return self.office_reach[emp.body].up(now)
        return self.home_reach(emp, self.home_connection(emp)).up(now)

    def transfer_minutes(self, step: Step) -> float:
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
