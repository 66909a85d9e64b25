"""Random streams: one root seed per run, an independent stream per purpose and entity.

Streams are keyed, never drawn in event order, so the OSDO and ESED runs of one replication see
the same employees, the same documents and the same human handling times (common random numbers)
whatever order events happen in.

Keys are derived with :class:`numpy.random.SeedSequence`. Entity streams used in the event loop
are never the module-level ``random`` functions: a connection's or a system's outages come from a
:class:`random.Random` *instance* seeded from its key (several times cheaper to create and to
draw one number from than a NumPy ``Generator``; the timeline keeps only the seed,
:meth:`Streams.python_seed`, and makes the instance again when it next draws), and a document's
is a :class:`DocumentStream` keyed by the document's seed: counter-based, so an open document
holds about 200 bytes of stream state rather than a Mersenne Twister's 2.5 KB (a national run
keeps 190,000 documents open; docs/performance.md).
"""

from __future__ import annotations

import enum
import struct
from hashlib import blake2b

import numpy as np

__all__ = ["Purpose", "Streams", "DocumentStream"]

_KEY = struct.Struct("<QQ")  # a document's seed and a block number
_WORD = struct.Struct("<Q")  # a block is eight 64-bit words
_RUNS = [struct.Struct(f"<{n}Q") for n in range(9)]  # n consecutive words of a block
_UNIT = 2.0**-53
_PERSON = b"docflow.document"  # blake2b's personalisation: these hashes are for nothing else
# Copied for each block: a third cheaper than making a personalised hash from its parameters.
_BLOCK_HASH = blake2b(digest_size=64, person=_PERSON)


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

    def python_seed(self, purpose: Purpose, *keys: int) -> int:
        """The seed of a ``random.Random`` for scalar draws in the event loop.

        Kept as the seed (an outage timeline makes its ``random.Random(seed)`` when it draws):
        thousands of connections would otherwise hold a Mersenne Twister's 2.5 KB each.
        """
        state = self._sequence(purpose, keys).generate_state(2, np.uint64)
        return int(state[0]) << 64 | int(state[1])


class DocumentStream:
    """A document's own uniforms, a pure function of its seed (a counter-based stream).

    Block ``b`` of the stream is the 64-byte BLAKE2b digest of (seed, ``b``), both as unsigned
    64-bit little-endian integers, personalised with ``docflow.document``; its eight 64-bit words
    are used in order, the top 53 bits of each making a uniform in [0, 1) as
    ``random.Random.random`` does. The state is the seed, the block number, the current block's
    digest and the offset of its next word; a document that waits long (a draft put off to its
    term) drops the digest (:meth:`park`) and hashes its block again when it next draws. The
    n-th number a document draws depends only on its seed and n, as with a seeded generator of
    its own: OSDO and ESED draw the same numbers for the same document (common random numbers).
    """

    __slots__ = ("seed", "_block", "_digest", "_pos")

    def __init__(self, seed: int) -> None:
        seed = int(seed)  # a NumPy integer from the arrivals' draws
        if not 0 <= seed < 1 << 64:
            raise ValueError(f"a document's seed must be a 64-bit unsigned integer, got {seed}")
        self.seed = seed
        self._block = 0
        # The current block as its 64-byte digest (97 bytes), and the offset of its next unused
        # word (64: used up): not a list of Python ints (up to 8 x 36 bytes plus the list's).
        self._digest: bytes | None = b""
        self._pos = 64

    def _hash(self, block: int) -> bytes:
        digest = _BLOCK_HASH.copy()
        digest.update(_KEY.pack(self.seed, block))
        return digest.digest()

    def _next_block(self) -> None:
        self._digest = self._hash(self._block)
        self._block += 1
        self._pos = 0

    def park(self) -> None:
        """Drop the current block's digest while the document waits long (hashed again later)."""
        self._digest = None

    def _unpark(self) -> None:
        if self._pos == 64:
            self._next_block()
        else:  # the block the stream was in
            self._digest = self._hash(self._block - 1)

    def _word(self) -> int:
        if self._pos == 64:
            self._next_block()
        elif self._digest is None:
            self._unpark()
        pos = self._pos
        self._pos = pos + 8
        return _WORD.unpack_from(self._digest, pos)[0]

    def random(self) -> float:
        """The next uniform in [0, 1)."""
        return (self._word() >> 11) * _UNIT

    def uniforms(self, n: int) -> tuple[float, ...]:
        """The next ``n`` uniforms, as ``n`` calls of :meth:`random` would give them."""
        if self._digest is None:
            self._unpark()
        pos = self._pos
        take = min(n, (64 - pos) >> 3)  # what is left of the current block
        words = _RUNS[take].unpack_from(self._digest, pos) if take else ()
        self._pos = pos + 8 * take
        while take < n:  # then from the next block(s)
            self._next_block()
            more = min(n - take, 8)
            words += _RUNS[more].unpack_from(self._digest)
            self._pos = 8 * more
            take += more
        return tuple([(w >> 11) * _UNIT for w in words])

    def getrandbits(self, k: int) -> int:
        """The top ``k`` bits (at most 64) of the next word: a seed for another stream."""
        if not 0 < k <= 64:
            raise ValueError(f"between 1 and 64 bits, got {k}")
        return self._word() >> (64 - k)
