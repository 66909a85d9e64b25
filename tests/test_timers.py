"""Timers run their calls in exactly the order equivalent SimPy timeouts would."""

from __future__ import annotations

import random

import pytest
import simpy

from sim.model.timers import Timers


def _script(seed: int) -> list[tuple[float, int, float]]:
    """(when, how many, delay) of scheduling actions: ties in time are frequent on purpose."""
    rng = random.Random(seed)
    return [(float(rng.randrange(10)), rng.randrange(1, 4), float(rng.randrange(6)))
            for _ in range(60)]


def _run(seed: int, use_timers: bool) -> list[tuple[float, str]]:
    """Plain timeouts and delayed calls scheduled by the script, and calls that schedule more.

    Returns what ran, in order; the delayed calls go through Timers or through timeouts.
    """
    env = simpy.Environment()
    timers = Timers(env)
    log: list[tuple[float, str]] = []

    def later(delay: float, name: str) -> None:
        def call(tag: str) -> None:
            log.append((env.now, tag))
            if tag.count("+") < 2:  # a call that schedules one more, maybe at once
                later(float(len(tag) % 3), tag + "+")

        if use_timers:
            timers.call_after(delay, call, name)
        else:
            env.timeout(delay).callbacks.append(lambda _ev: call(name))

    def act(when: float, n: int, delay: float, i: int) -> None:
        for k in range(n):
            if k % 2:
                later(delay, f"c{i}.{k}")
            else:  # an ordinary event between them, which must keep its place
                env.timeout(delay).callbacks.append(
                    lambda _ev, tag=f"t{i}.{k}": log.append((env.now, tag)))

    for i, (when, n, delay) in enumerate(_script(seed)):
        env.timeout(when).callbacks.append(lambda _ev, a=(when, n, delay, i): act(*a))
    env.run()
    return log


@pytest.mark.parametrize("seed", range(5))
def test_calls_and_events_run_in_the_order_of_equivalent_timeouts(seed: int) -> None:
    expected = _run(seed, use_timers=False)
    assert len(expected) > 100
    assert _run(seed, use_timers=True) == expected


def test_a_call_enters_simpys_heap_only_when_it_is_the_earliest() -> None:
    env = simpy.Environment()
    timers = Timers(env)
    ran: list[int] = []
    for i in range(50):
        timers.call_after(100.0 - i, ran.append, i)  # each one earlier than the last
    timers.call_after(200.0, ran.append, 99)
    assert len(timers) == 51
    # A new earliest call arms its own event; the ones it overtook stay until they are due.
    assert len(env._queue) == 50
    env.run(until=60.5)
    assert ran == list(range(49, 39, -1))  # due at minutes 51 to 60
    env.run()
    assert ran == [*range(49, -1, -1), 99]
    assert len(timers) == 0


def test_a_negative_delay_is_refused_as_by_a_timeout() -> None:
    with pytest.raises(ValueError, match="Negative delay"):
        Timers(simpy.Environment()).call_after(-1.0, print)
