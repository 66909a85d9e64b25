"""Pending calls at set times, kept beside SimPy's event heap rather than in it.

A national run keeps over two pending calls per employee that only wait for their time: a draft
put off until the last days of its term, a check whether a term is extended, a letter in
transit, the mornings someone leaves or returns. As SimPy timeouts each was an event object (with
its callback closure) in SimPy's heap, which every other event's push and pop then walked.

:class:`Timers` holds them in a heap of plain tuples and puts only the earliest one into SimPy's
heap. Each call takes, when it is scheduled, the event id a timeout created at that moment would
have taken, and enters SimPy's heap under that id: calls and events run in exactly the order the
equivalent timeouts would (SimPy orders by time, priority, then id), so results are unchanged.
This reads three private attributes of :class:`simpy.Environment` (``_now``, ``_eid``,
``_queue``), the ones :meth:`simpy.Environment.schedule` uses; tests/test_timers.py checks the
order against real timeouts.
"""

from __future__ import annotations

from collections.abc import Callable
from heapq import heappop, heappush
from typing import Any

import simpy
from simpy.core import NORMAL

__all__ = ["Timers"]


class Timers:
    """Calls ``callback(arg)`` at given times of one SimPy environment, in timeout order."""

    __slots__ = ("env", "_heap", "_armed")

    def __init__(self, env: simpy.Environment) -> None:
        self.env = env
        # (time, event id, callback, argument): ids are unique, so callbacks are never compared.
        self._heap: list[tuple[float, int, Callable[[Any], None], Any]] = []
        self._armed: set[int] = set()  # ids of the calls that have an event in SimPy's heap

    def __len__(self) -> int:
        """Calls still pending."""
        return len(self._heap)

    def call_after(self, delay: float, callback: Callable[[Any], None], arg: Any = None) -> None:
        """Call ``callback(arg)`` after ``delay``, where ``env.timeout(delay)`` would fire."""
        if delay < 0:
            raise ValueError(f"Negative delay {delay}")
        env = self.env
        entry = (env._now + delay, next(env._eid), callback, arg)  # as Environment.schedule
        heap = self._heap
        heappush(heap, entry)
        if heap[0] is entry:  # the earliest: SimPy must know of it
            self._arm(entry)

    def _arm(self, entry: tuple[float, int, Callable[[Any], None], Any]) -> None:
        event = simpy.Event(self.env)
        event._ok = True  # a processed event that succeeded, as a timeout is
        event._value = entry[1]
        event.callbacks.append(self._fire)
        heappush(self.env._queue, (entry[0], NORMAL, entry[1], event))
        self._armed.add(entry[1])

    def _fire(self, event: simpy.Event) -> None:
        # The earliest call always has an event, so the event firing is the earliest call's.
        _t, eid, callback, arg = heappop(self._heap)
        assert eid == event._value
        self._armed.discard(eid)
        callback(arg)
        heap = self._heap
        if heap and heap[0][1] not in self._armed:
            self._arm(heap[0])
