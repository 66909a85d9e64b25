"""Calls due later, queued in SimPy without a ``Timeout`` each."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import simpy
from simpy.events import NORMAL

__all__ = ["PendingCall"]


class PendingCall(simpy.Event):
    """A call due after a delay, queued in SimPy as a ``Timeout`` is, without what it keeps.

    Scheduled through ``Environment.schedule`` at the point a ``Timeout`` would be (the same
    time, priority and sequence number, so the order of events is the same), already
    triggered with its value; ``callbacks`` is a tuple shared by every call of one kind (SimPy
    only iterates it). Hundreds of thousands wait at once in a national run (executors' drafts
    put off to their terms, term-extension checks, letters in transit): a third of a ``Timeout``
    with a callbacks list and a closure each.
    """

    __slots__ = ("amounts",)
    _ok = True  # a call never fails: one class attribute, not one per call

    def __init__(self, env: simpy.Environment, delay: float,
                 callbacks: tuple[Callable[[PendingCall], None], ...], value: Any,
                 amounts: tuple[float, ...] = ()) -> None:
        self.env = env
        self.callbacks = callbacks  # type: ignore[assignment]  # iterated only
        self._value = value
        self.amounts = amounts  #: what the caller reserved until the call (see routing)
        env.schedule(self, NORMAL, delay)
