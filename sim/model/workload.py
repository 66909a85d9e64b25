"""External document arrivals at each body.

Arrivals form a Poisson process (or an evenly spaced one, for exact tests) in *working time*:
documents are registered during working hours, so arrival times are drawn on the working-minute
index and mapped back to the clock by the calendar. Each arrival carries its document type and
the seed of the document's own random stream, both drawn from the body's arrival stream so that
every architecture sees the same documents.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from sim.config.schema import Scenario

__all__ = ["Arrival", "arrivals"]

_BATCH = 256


@dataclass(frozen=True, slots=True)
class Arrival:
    """One external document: when (working-minute index), which type, and its stream seed."""

    work_index: float
    type_name: str
    seed: int


def arrivals(
    scenario: Scenario, staff: int, minutes_per_day: float, rng: np.random.Generator
) -> Iterator[Arrival]:
    """Endless arrivals at a body of ``staff`` employees, in working-minute order."""
    rate = scenario.workload.documents_per_employee_per_day * staff / minutes_per_day
    if rate <= 0:
        return
    types = [k for k, t in scenario.documents.types.items() if t.share > 0]
    shares = np.array([scenario.documents.types[k].share for k in types])
    cum = np.cumsum(shares / shares.sum())
    deterministic = scenario.workload.arrivals == "deterministic"
    w = 0.0
    while True:
        gaps = np.full(_BATCH, 1.0 / rate) if deterministic else rng.exponential(1 / rate, _BATCH)
        picks = np.searchsorted(cum, rng.random(_BATCH), side="right").clip(max=len(types) - 1)
        seeds = rng.integers(0, 2**63 - 1, _BATCH)
        # Element by element from the arrays (24 KB of Python objects a batch otherwise, kept
        # alive by every body's suspended generator).
        for i in range(_BATCH):
            w += float(gaps[i])
            yield Arrival(w, types[int(picks[i])], int(seeds[i]))
