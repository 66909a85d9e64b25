"""The document systems behind one interface: the central cloud (OSDO) and per-agency ESED.

What differs is the point of the simulator:

* server pools -- one national pool vs a small pool per body;
* outages -- one process hitting every OSDO body at once vs an independent one per body;
* remote access -- any connection vs a VPN with limited sessions and extra latency;
* the office path -- which network segments office traffic crosses, by body kind;

and, as scenario parameters of each system, approvals (parallel co-editing or sequential) and,
inside the cloud store, whether a delivered document is registered again. The cloud UI's
search-and-save factor is each person's (:mod:`sim.model.work`).

Inter-body delivery lives in :class:`Gateway`. :data:`SYSTEM_CLASSES` maps each system name of
:data:`sim.config.architectures.SYSTEMS` to its class.
"""

from __future__ import annotations

import heapq
import math
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import simpy

from sim.config.schema import EsedSpec, GatewaySpec, OsdoSpec, Scenario
from sim.model.network import OutageTimeline, UnionTimeline, with_incidents
from sim.model.streams import DocumentStream, Purpose, Streams

__all__ = ["ServerPool", "SessionPool", "Platform", "Osdo", "Esed", "Gateway", "Delivery",
           "SYSTEM_CLASSES"]


class ServerPool:
    """``c`` identical servers serving jobs first come, first served.

    Kept as a heap of the times each server becomes free: a job arriving at ``t`` takes the
    earliest-free server, so one job costs O(log c) and no simulation events. This is exact FCFS
    for jobs offered in arrival order.
    """

    __slots__ = ("servers", "_free_at", "busy_minutes")

    def __init__(self, servers: int) -> None:
        if servers < 1:
            raise ValueError(f"a server pool needs at least 1 server, got {servers}")
        self.servers = servers
        self._free_at: list[float] = []
        self.busy_minutes = 0.0  # server-minutes of serve() jobs, for utilisation

    def serve(self, t: float, duration: float) -> float:
        """Start a job at ``t`` or when a server frees; return its start time."""
        free_at = self._free_at
        if len(free_at) < self.servers:
            start = t
            heapq.heappush(free_at, t + duration)
        else:
            start = max(t, free_at[0])
            heapq.heapreplace(free_at, start + duration)
        self.busy_minutes += duration
        return start


class SessionPool:
    """``c`` remote-access (VPN) sessions, each held by one step from connecting to work's end.

    A step asks for a session when it connects: it gets one at once while fewer than ``c`` are
    held and nobody is waiting, else it waits first come, first served. A holder says when it will
    let go (:meth:`release`) as soon as its work is timed, so releases sit in a heap of known
    times and a waiting step is woken by one event at the earliest of them -- no event at all
    while sessions are plentiful.
    """

    __slots__ = ("env", "sessions", "held", "_ends", "_waiting", "_wake_at", "busy_minutes")

    def __init__(self, env: simpy.Environment, sessions: int) -> None:
        if sessions < 1:
            raise ValueError(f"a session pool needs at least 1 session, got {sessions}")
        self.env = env
        self.sessions = sessions
        self.held = 0  # sessions taken and not yet given back (end known or not)
        self._ends: list[float] = []  # heap of announced release times still ahead
        self._waiting: deque[tuple[Callable[[Any, float], None], Any, float]] = deque()
        self._wake_at = math.inf
        self.busy_minutes = 0.0  # session working minutes held, for utilisation

    def acquire(self, now: float, granted: Callable[[Any, float], None], holder: Any) -> bool:
        """True if a session is free now; else queue and call ``granted(holder, since)`` later."""
        self._expire(now)
        if self.held < self.sessions and not self._waiting:
            self.held += 1
            return True
        self._waiting.append((granted, holder, now))
        if self._ends:
            self._wake(self._ends[0])
        return False

    def release(self, end: float, held_minutes: float) -> None:
        """A session is given back at ``end`` (announced in advance) after ``held_minutes``."""
        self.busy_minutes += held_minutes
        heapq.heappush(self._ends, max(end, self.env.now))
        if self._waiting:
            self._wake(self._ends[0])

    def _expire(self, now: float) -> None:
        ends = self._ends
        while ends and ends[0] <= now:
            heapq.heappop(ends)
            self.held -= 1

    def _wake(self, t: float) -> None:
        """Make sure an event runs :meth:`_grant` at ``t`` (one pending wake-up at a time)."""
        if t < self._wake_at:
            self._wake_at = t
            self.env.timeout(t - self.env.now).callbacks.append(self._grant)

    def _grant(self, _event: simpy.Event) -> None:
        now = self.env.now
        if now < self._wake_at:
            return  # superseded by an earlier wake-up that already ran
        self._wake_at = math.inf
        self._expire(now)
        waiting = self._waiting
        while waiting and self.held < self.sessions:
            self.held += 1
            granted, holder, since = waiting.popleft()
            granted(holder, since)
        if waiting and self._ends:
            self._wake(self._ends[0])

class Platform:
    """The interface of a document system as seen by one body's staff."""

    name: str
    #: Whether a draft's approvers work at once (``platform.*.approvals``).
    parallel_approvals: bool
    #: Whether bodies on this system share one store, so that a document sent between two of
    #: them is delivered inside it, not through the gateway.
    shared_store: bool = False
    #: Whether a document delivered inside the shared store is registered by the receiver.
    register_on_delivery: bool = True
    #: Whether the cloud's UI factors (each person's) apply; ESED's UI is the reference.
    cloud_ui: bool = False
    #: Segments the office's traffic crosses, by body kind (``platform.*.office_paths``).
    office_paths: dict[str, list[str]]
    service_mean_min: float
    extra_rtt_ms: float = 0.0
    bandwidth_factor: float = 1.0

    @classmethod
    def build(cls, scenario: Scenario, streams: Streams, vpn_sessions: dict[int, int],
              env: simpy.Environment) -> Platform:
        """The system for one replication; ``vpn_sessions`` by body id."""
        raise NotImplementedError

    def outages_for(self, body_id: int) -> OutageTimeline | UnionTimeline:
        """The outage timeline of the system that serves the body."""
        raise NotImplementedError

    def servers_for(self, body_id: int) -> ServerPool:
        """The server pool that serves the body."""
        raise NotImplementedError

    def server_pool_name(self, body_name: str) -> str:
        """How reports name the server pool that serves the body."""
        raise NotImplementedError

    def vpn_for(self, body_id: int) -> SessionPool | None:
        """The body's VPN session pool, or None when remote access needs none."""
        return None

    def add_incidents(self, body_id: int | None, intervals: list[tuple[float, float]]) -> None:
        """The system is also down over the given clock-minute intervals.

        For OSDO everywhere, for ESED the system of ``body_id``.
        """
        raise NotImplementedError


class Osdo(Platform):
    """One national cloud store: one server pool, one outage process."""

    name = "osdo"
    shared_store = True
    cloud_ui = True

    @classmethod
    def build(cls, scenario: Scenario, streams: Streams, vpn_sessions: dict[int, int],
              env: simpy.Environment) -> Osdo:
        """The national cloud (reached without a VPN)."""
        return cls(scenario.platform.osdo, streams)

    def __init__(self, spec: OsdoSpec, streams: Streams) -> None:
        self.spec = spec
        self.parallel_approvals = spec.approvals == "parallel"
        self.register_on_delivery = spec.register_on_delivery
        self.office_paths = spec.office_paths
        self.service_mean_min = spec.service_time_ms / 60_000.0
        self._pool = ServerPool(spec.servers)
        self._outages: OutageTimeline | UnionTimeline = OutageTimeline.from_hours(
            streams.python_seed(Purpose.PLATFORM_OUTAGE, 0), spec.mtbf_h, spec.mttr_h)

    def outages_for(self, body_id: int) -> OutageTimeline | UnionTimeline:
        """Every OSDO body is down together."""
        return self._outages

    def add_incidents(self, body_id: int | None, intervals: list[tuple[float, float]]) -> None:
        """The whole cloud is down over the intervals."""
        self._outages = with_incidents(self._outages, intervals)

    def servers_for(self, body_id: int) -> ServerPool:
        """The shared national pool."""
        return self._pool

    def server_pool_name(self, body_name: str) -> str:
        """One pool for the whole country."""
        return "OSDO servers"


class Esed(Platform):
    """A separate system per body, each with its own servers, outages and VPN sessions."""

    name = "esed"

    @classmethod
    def build(cls, scenario: Scenario, streams: Streams, vpn_sessions: dict[int, int],
              env: simpy.Environment) -> Esed:
        """Every body's own system, with its VPN sessions."""
        return cls(scenario.platform.esed, streams, vpn_sessions, env)

    def __init__(
        self, spec: EsedSpec, streams: Streams, vpn_sessions: dict[int, int],
        env: simpy.Environment,
    ) -> None:
        self.spec = spec
        self.parallel_approvals = spec.approvals == "parallel"
        self.office_paths = spec.office_paths
        self.service_mean_min = spec.service_time_ms / 60_000.0
        self.extra_rtt_ms = spec.vpn_rtt_ms
        self.bandwidth_factor = spec.vpn_bandwidth_factor
        self._pools: dict[int, ServerPool] = {}
        self._vpn: dict[int, SessionPool] = {}
        self._outages: dict[int, OutageTimeline | UnionTimeline] = {}
        for body_id, sessions in vpn_sessions.items():
            self._pools[body_id] = ServerPool(spec.servers_per_body)
            self._vpn[body_id] = SessionPool(env, max(1, sessions))
            # Keyed by body (+1 so OSDO's key 0 is never shared).
            self._outages[body_id] = OutageTimeline.from_hours(
                streams.python_seed(Purpose.PLATFORM_OUTAGE, body_id + 1), spec.mtbf_h, spec.mttr_h)

    def outages_for(self, body_id: int) -> OutageTimeline | UnionTimeline:
        """Each body's system fails on its own."""
        return self._outages[body_id]

    def add_incidents(self, body_id: int | None, intervals: list[tuple[float, float]]) -> None:
        """The body's own system is down over the intervals."""
        if body_id is None:
            raise ValueError("an ESED incident names the body whose system is down")
        self._outages[body_id] = with_incidents(self._outages[body_id], intervals)

    def servers_for(self, body_id: int) -> ServerPool:
        """The body's own pool."""
        return self._pools[body_id]

    def server_pool_name(self, body_name: str) -> str:
        """A pool per body."""
        return f"ESED servers of {body_name}"

    def vpn_for(self, body_id: int) -> SessionPool | None:
        """Remote staff hold a VPN session for the whole step."""
        return self._vpn[body_id]


@dataclass(frozen=True, slots=True)
class Delivery:
    """How a dispatched document reaches another body."""

    arrival: float  # clock minute the receiving body's system holds it
    attempts: int  # transmissions through the gateway (0 inside the cloud store)
    needs_registration: bool  # registered by the receiving clerk
    via: str  # "store" (inside the cloud), "gateway" (ESEDO) or "courier" (secret, on paper)


class Gateway:
    """Inter-body exchange: inside the cloud store, or through the ESEDO gateway.

    Through the gateway a send is asynchronous: each transmission fails with ``failure_prob`` and
    is resent after ``resend_after_min`` (so attempts are geometric), then the receiving system
    picks it up at its next poll, and its clerk registers it. Exchange between the two
    platforms goes through the operator's gateway at an extra delay. Inside the cloud store the
    receiver's clerk registers it too unless ``platform.osdo.register_on_delivery`` is false.
    """

    def __init__(self, spec: GatewaySpec, streams: Streams, body_count: int) -> None:
        self.spec = spec
        phase_rng = streams.numpy(Purpose.GATEWAY, 1)
        # Each receiving system polls on its own phase.
        self._poll_phase = (phase_rng.random(body_count) * spec.poll_interval_min).tolist()

    def deliver(
        self, src: Platform, dst: Platform, dst_body: int, t: float, rng: DocumentStream,
        secret: bool = False,
    ) -> Delivery:
        """Deliver a document sent at ``t``; ``rng`` is the document's own stream.

        A secret document goes on paper by special courier, never through a platform or the
        gateway (``via`` says which way it went).
        """
        spec = self.spec
        if secret:
            return Delivery(t + spec.secret_courier_h * 60.0, 0, True, "courier")
        if src is dst and src.shared_store:
            return Delivery(t + spec.osdo_internal_delivery_s / 60.0, 0,
                            dst.register_on_delivery, "store")
        attempts = _geometric_attempts(rng.random(), spec.failure_prob)
        landed = t + (attempts - 1) * spec.resend_after_min + attempts * spec.transit_s / 60.0
        if src.name != dst.name:
            landed += spec.cross_platform_delay_min
        period, phase = spec.poll_interval_min, self._poll_phase[dst_body]
        polls = math.ceil((landed - phase) / period)
        return Delivery(max(landed, phase + polls * period), attempts, True, "gateway")


def _geometric_attempts(u: float, failure_prob: float) -> int:
    """Transmissions until the first success, by inversion of one uniform draw."""
    if failure_prob <= 0.0:
        return 1
    # P(attempts > k) = p^k  =>  attempts = 1 + floor(log(1-u) / log p)
    return 1 + int(math.log1p(-u) / math.log(failure_prob))


#: The class of each document system, by its name in :data:`sim.config.architectures.SYSTEMS`.
SYSTEM_CLASSES: dict[str, type[Platform]] = {"osdo": Osdo, "esed": Esed}
