"""Calls due later (sim.model.pending): queued as a SimPy Timeout is, in the same order."""

from __future__ import annotations

import simpy

from sim.model.pending import PendingCall


def test_pending_calls_fire_at_their_time_in_the_order_timeouts_would():
    env = simpy.Environment()
    fired: list[tuple[float, str, tuple[float, ...]]] = []

    def note(event: simpy.Event) -> None:
        fired.append((env.now, event.value, getattr(event, "amounts", ())))

    shared = (note,)
    # At equal times SimPy orders by scheduling: timeouts and calls interleave as made.
    env.timeout(5.0, "timeout a").callbacks.append(note)
    PendingCall(env, 5.0, shared, "call b", (1.5, 2.0))
    env.timeout(5.0, "timeout c").callbacks.append(note)
    PendingCall(env, 2.0, shared, "call d")
    env.run()
    assert fired == [(2.0, "call d", ()), (5.0, "timeout a", ()), (5.0, "call b", (1.5, 2.0)),
                     (5.0, "timeout c", ())]
    assert shared == (note,)  # the shared callbacks are read, never emptied


def test_a_pending_call_is_an_event_that_has_succeeded_with_its_value():
    env = simpy.Environment()
    call = PendingCall(env, 1.0, (), "value")
    assert call.triggered and call.ok and call.value == "value"
    env.run()
    assert call.processed
