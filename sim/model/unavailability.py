"""Unavailability: the intervals over which a step's work cannot go on, and their causes.

Work cannot go on while its path to the system or the system itself is down, and while its
person is away. Per path (an office's, or a home worker's line) the timelines of its links and
of its body's system are merged into one :class:`Reach`, which a step asks when everything is up
and when the next outage begins. Each outage has a :class:`Cause`: the delay component the
working time it takes is charged to, and whether one that begins during work may lose the
unsaved part of it. A person's spells away (first day, day back; :func:`spells_over`) are
walked apart, after the outages, and charged to :data:`AWAY`'s component: merging them into
the same timeline would stop charging outages inside a spell (a change of results).

How a step's work is stopped, paused or passed on by these intervals, and what is charged, is
:mod:`~sim.model.stoppages`.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Sequence
from typing import NamedTuple, Protocol

from sim.model.calendar import MINUTES_PER_DAY
from sim.model.documents import D
from sim.model.network import NEVER

__all__ = ["Cause", "PATH_DOWN", "SYSTEM_DOWN", "AWAY", "Interval", "Timeline", "Reach",
           "spells_over", "NEVER"]



class Timeline(Protocol):
    """An outage timeline (:class:`~sim.model.network.OutageTimeline` or a union of them)."""

    never_down: bool

    def next_down(self, t: float, now: float) -> float: ...  # noqa: D102

    def up_at(self, t: float, now: float) -> float: ...  # noqa: D102


class Cause(NamedTuple):
    """Why work stops, and where the working time it takes is booked."""

    name: str
    component: int  #: index in DELAY_COMPONENTS of the working time the interval takes
    loses_work: bool  #: an interval that begins during work may lose its unsaved part


#: A link on the path is down (LAN, WAN, the body's link, the access gateway, a home line, a
#: region's internet): the person waits at their desk, and unsaved work may be lost.
PATH_DOWN = Cause("path down", D["connectivity"], loses_work=True)
#: The system is down: as for the path.
SYSTEM_DOWN = Cause("system down", D["platform_outage"], loses_work=True)
#: The person is away: the work pauses (or passes on), nothing is lost, and the time is not
#: working time lost to the network.
AWAY = Cause("away", D["absence"], loses_work=False)


class Interval(NamedTuple):
    """``[start, end)`` clock minutes of unavailability and its cause."""

    start: float
    end: float
    cause: Cause


class Reach:
    """A path to a system and the system, merged: out of reach whenever any of them is down.

    It answers the two questions a step asks of its path -- when is everything up, and when does
    the next outage begin -- and remembers the last answer as a window ``[lo, hi)`` in which no
    outage of any part begins (and, when known, everything is up), so that the many questions
    that fall inside it cost one comparison. The parts' own timelines are lazy and each draws
    from its own stream, so asking less often changes no answer.
    """

    __slots__ = ("nets", "system", "never_down", "_lo", "_hi", "_cause", "_up")

    def __init__(self, nets: tuple[Timeline, ...], system: Timeline) -> None:
        self.nets = nets  #: the path's timelines, in path order (the LAN first)
        self.system = system  #: the system's timeline
        self.never_down = system.never_down and all(line.never_down for line in nets)
        self._lo, self._hi, self._cause, self._up = -NEVER, -NEVER, SYSTEM_DOWN, False
        if self.never_down:
            self._hi, self._up = NEVER, True

    def next_stop(self, t: float, now: float) -> tuple[float, Cause]:
        """The first outage of any part that begins after ``t``, and its cause.

        ``NEVER`` if none does. The system's outage wins a tie with the path's.
        """
        if self._lo <= t < self._hi:
            return self._hi, self._cause
        down, cause = self.system.next_down(t, now), SYSTEM_DOWN
        for line in self.nets:
            s = line.next_down(t, now)
            if s < down:
                down, cause = s, PATH_DOWN
        # No outage begins in (t, down): every later question in [t, down) has this answer.
        self._lo, self._hi, self._cause, self._up = t, down, cause, False
        return down, cause

    def next_interval(self, t: float, before: float, now: float) -> Interval | None:
        """The first outage beginning after ``t`` and before ``before``, to when all is up."""
        down, cause = self.next_stop(t, now)
        if down >= before or down == NEVER:
            return None
        return Interval(down, self.until_up(down, now)[0], cause)

    def until_up(self, t: float, now: float) -> tuple[float, float, float]:
        """The first time >= ``t`` when every link and the system are up, and the waits.

        Returns (that time, minutes waited for the path, minutes waited for the system); the
        path's links are waited for in path order, then the system, until all are up at once.
        """
        if self._up and self._lo <= t < self._hi:
            return t, 0.0, 0.0
        path_wait = system_wait = 0.0
        nets, system = self.nets, self.system
        while True:
            start = t
            for line in nets:
                up = line.up_at(t, now)
                path_wait += up - t
                t = up
            up = system.up_at(t, now)
            system_wait += up - t
            t = up
            if t == start:
                break
        if not self._lo <= t < self._hi:
            self.next_stop(t, now)
        # Every part is up at t and none goes down before the window's end: [t, end) is up.
        self._lo, self._up = t, True
        return t, path_wait, system_wait

    def up(self, now: float) -> bool:
        """Whether every link and the system are up at ``now``."""
        return self.until_up(now, now)[0] == now


def spells_over(spells: Sequence[tuple[int, int]], t: float) -> Sequence[tuple[int, int]]:
    """The person's spells away (first day, day back) from the one that may hold ``t`` on."""
    # Bisection: this runs for every step of everyone with a spell away.
    first = max(0, bisect_right(spells, (int(t // MINUTES_PER_DAY), -1)) - 1)
    return spells[first:]
