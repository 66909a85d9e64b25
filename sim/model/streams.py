"""Random streams: one root seed per run, an independent stream per purpose and entity.

Streams are keyed, never drawn in event order, so the OSDO and ESED runs of one replication see
the same employees, the same documents and the same human handling times (common random numbers)
whatever order events happen in.

Keys are derived with :class:`numpy.random.SeedSequence`. Entity streams used in the event loop
(one per document, one per connection) are :class:`random.Random` *instances* seeded from those
keys -- never the module-level ``random`` functions. The reason is cost: a ``random.Random`` is
several times cheaper to create and to draw one number from than a NumPy ``Generator``, and a
national run creates hundreds of thousands of documents (docs/performance.md).
"""

from __future__ import annotations

import enum
import random

import numpy as np

__all__ = ["Purpose", "Streams"]


class Purpose(enum.IntEnum):
    """What a stream is for; part of every stream's key."""

    POPULATION = 1
    ARRIVALS = 2
    CONNECTION = 3
    PLATFORM_OUTAGE = 4
    OFFICE_LAN = 5
    GATEWAY = 6
    SERVICE = 7
    OFFICE_LINK = 8
    ACCESS_GATEWAY = 9
    ABSENCE = 10
    OFFICE_WAN = 11


class Streams:
    """Derives keyed random streams from one root seed and a replication number."""

    def __init__(self, seed: int, replication: int) -> None:
        if seed < 0:
            raise ValueError(f"seed must be >= 0, got {seed}")
        self.seed = seed
        self.replication = replication

    def _sequence(self, purpose: Purpose, keys: tuple[int, ...]) -> np.random.SeedSequence:
        return np.random.SeedSequence(
            self.seed, spawn_key=(self.replication, int(purpose), *keys)
        )

    def numpy(self, purpose: Purpose, *keys: int) -> np.random.Generator:
        """A NumPy generator for bulk draws (population sampling, arrivals)."""
        return np.random.Generator(np.random.PCG64(self._sequence(purpose, keys)))

    def python(self, purpose: Purpose, *keys: int) -> random.Random:
        """A ``random.Random`` instance for scalar draws in the event loop."""
        state = self._sequence(purpose, keys).generate_state(2, np.uint64)
        return random.Random(int(state[0]) << 64 | int(state[1]))
