"""Connections: bandwidth, latency, failed attempts and an on/off outage process."""

from __future__ import annotations

import math
import random
from dataclasses import dataclass

from sim.config.schema import InternetClass

__all__ = ["OutageTimeline", "UnionTimeline", "with_incidents", "Connection", "Route", "NEVER"]

NEVER = math.inf


class OutageTimeline:
    """An alternating up/down renewal process (exponential up and down times), made lazily.

    Intervals are generated in order from the timeline's own stream as queries reach them, so the
    outage history does not depend on who asks first. Queries may come in any order as long as
    none is earlier than the ``now`` passed with it; intervals that ended before ``now`` are
    dropped, so memory stays flat over simulated time.
    """

    __slots__ = ("_seed", "_draws", "_up_rate", "_down_rate", "_intervals", "_generated_until",
                 "never_down")

    def __init__(self, seed: int | None, mtbf_min: float | None, mttr_min: float) -> None:
        # The seed of the timeline's ``random.Random`` (None: no random outages), made again
        # when intervals are generated and wound on past the draws made so far (``_draws``):
        # 40 bytes a timeline rather than a Mersenne Twister's 2.5 KB, for thousands of lines.
        self._seed = seed
        self._draws = 0
        self._up_rate = 0.0 if mtbf_min is None else 1.0 / mtbf_min
        self._down_rate = 1.0 / mttr_min
        # A list, not a deque (760 bytes empty): it holds a few intervals at a time.
        self._intervals: list[tuple[float, float]] = []
        self._generated_until = 0.0 if mtbf_min is not None else NEVER
        self.never_down = mtbf_min is None  #: no outages at all: callers may skip up_at

    @classmethod
    def from_hours(cls, seed: int, mtbf_h: float | None, mttr_h: float) -> OutageTimeline:
        """A timeline from mean hours up (None: never down) and mean hours down."""
        return cls(seed, None if mtbf_h is None else mtbf_h * 60.0, mttr_h * 60.0)

    @classmethod
    def scheduled(cls, intervals: list[tuple[float, float]]) -> OutageTimeline:
        """A timeline down exactly in the given (start, end) clock-minute intervals."""
        timeline = cls(None, None, 1.0)
        ordered = sorted((s, e) for s, e in intervals if e > s)
        timeline._intervals.extend(ordered)
        timeline.never_down = not ordered
        return timeline

    def _generate_past(self, t: float) -> None:
        if self._generated_until > t:
            return
        assert self._seed is not None, "only a random timeline generates outages"
        rng = _wound(self._seed, self._draws)
        while self._generated_until <= t:
            start = self._generated_until + rng.expovariate(self._up_rate)
            end = start + rng.expovariate(self._down_rate)
            self._intervals.append((start, end))
            self._generated_until = end
            self._draws += 2  # expovariate takes one random() a call

    def next_down(self, t: float, now: float) -> float:
        """The start of the first outage that begins after ``t`` (``NEVER`` if none does)."""
        if self.never_down:
            return NEVER
        intervals = self._intervals
        if intervals and intervals[0][0] > t:
            return intervals[0][0]  # the next outage is already known: every step asks this
        while intervals and intervals[0][1] <= now:
            del intervals[0]
        while True:
            for start, _end in intervals:
                if start > t:
                    return start
            if self._seed is None:
                return NEVER
            self._generate_past(self._generated_until)

    def up_at(self, t: float, now: float) -> float:
        """The earliest time >= ``t`` at which the resource is up."""
        intervals = self._intervals
        if intervals and t < intervals[0][0]:
            return t  # before the next outage (already generated past t): the common case
        if self.never_down:
            return t
        self._generate_past(t)
        while intervals and intervals[0][1] <= now:
            del intervals[0]
        for start, end in intervals:
            if end <= t:
                continue
            return end if start <= t else t
        return t


def _wound(seed: int, draws: int) -> random.Random:
    """``random.Random(seed)`` after ``draws`` calls of its ``random()``.

    Each ``random()`` takes two 32-bit outputs of the Mersenne Twister, and ``getrandbits(k)``
    takes one per 32 bits, in the same order: winding on is a few C calls, not a Python loop
    (a timeline that has had hundreds of outages is wound on at each new one).
    """
    rng = random.Random(seed)
    while draws > 0:
        chunk = min(draws, 4096)  # 32 KB of bits at a time
        rng.getrandbits(64 * chunk)
        draws -= chunk
    return rng


class UnionTimeline:
    """Down whenever any of its parts is down: a random outage process plus dated incidents.

    It answers the same questions as :class:`OutageTimeline`, so a path or a system with an
    incident on it is timed by the same code as one without.
    """

    __slots__ = ("parts", "never_down")

    def __init__(self, parts: list[OutageTimeline | UnionTimeline]) -> None:
        self.parts = [p for p in parts if not p.never_down] or parts[:1]
        self.never_down = all(p.never_down for p in parts)

    def next_down(self, t: float, now: float) -> float:
        """The start of the first outage of any part that begins after ``t``."""
        return min(p.next_down(t, now) for p in self.parts)

    def up_at(self, t: float, now: float) -> float:
        """The earliest time >= ``t`` at which every part is up."""
        while True:
            start = t
            for part in self.parts:
                t = part.up_at(t, now)
            if t == start:
                return t


def with_incidents(timeline: OutageTimeline | UnionTimeline,
                   intervals: list[tuple[float, float]]) -> OutageTimeline | UnionTimeline:
    """``timeline`` also down over the given (start, end) clock-minute intervals."""
    if not intervals:
        return timeline
    return UnionTimeline([timeline, OutageTimeline.scheduled(intervals)])


class Connection:
    """One network path to a platform: a class's speed plus its own outage timeline."""

    __slots__ = ("spec", "timeline")

    def __init__(self, spec: InternetClass, seed: int) -> None:
        self.spec = spec
        self.timeline = OutageTimeline.from_hours(seed, spec.mtbf_h, spec.mttr_h)

    def transfer_minutes(
        self, interactions: int, round_trips: int, payload_mb: float,
        extra_rtt_ms: float = 0.0, bandwidth_factor: float = 1.0,
    ) -> float:
        """Network time of a step's interactions: latency plus payload over bandwidth."""
        rtt_s = (self.spec.rtt_ms + extra_rtt_ms) / 1000.0
        per = round_trips * rtt_s + payload_mb * 8.0 / (self.spec.bandwidth_mbps * bandwidth_factor)
        return interactions * per / 60.0


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
