"""A document's counter-based stream: its construction, and that it behaves as uniforms."""

from __future__ import annotations

import struct
from hashlib import blake2b

import pytest

from sim.model.streams import DocumentStream


def test_the_stream_is_blake2b_of_the_seed_and_a_block_counter() -> None:
    seed = 20230101
    words = []
    for block in range(2):
        digest = blake2b(struct.pack("<QQ", seed, block), digest_size=64,
                         person=b"docflow.document").digest()
        words += struct.unpack("<8Q", digest)
    stream = DocumentStream(seed)
    drawn = [stream.random() for _ in range(9)] + [stream.getrandbits(63)]
    assert drawn == [(w >> 11) / 2**53 for w in words[:9]] + [words[9] >> 1]


@pytest.mark.parametrize("before", range(9))
def test_uniforms_are_the_numbers_single_draws_give_across_a_block_end(before: int) -> None:
    # After 0..8 single draws the next six lie inside a block or straddle two.
    one, many = DocumentStream(11), DocumentStream(11)
    [one.random() for _ in range(before)], [many.random() for _ in range(before)]
    assert many.uniforms(6) == tuple(one.random() for _ in range(6))
    assert many.uniforms(3) == tuple(one.random() for _ in range(3))
    assert many.uniforms(20) == tuple(one.random() for _ in range(20))  # over three blocks
    assert many.random() == one.random()


@pytest.mark.parametrize("before", [0, 1, 2, 3, 8, 9, 10, 13])
def test_a_parked_stream_draws_on_as_if_it_had_not_been(before: int) -> None:
    # A draft put off to its term drops its block's digest; the draws after are the same.
    plain, parked = DocumentStream(5), DocumentStream(5)
    [plain.random() for _ in range(before)], [parked.random() for _ in range(before)]
    parked.park()
    assert parked.uniforms(3) == plain.uniforms(3)  # inside the block for 1, 2, 9, 10
    parked.park()
    assert parked.uniforms(6) == plain.uniforms(6)
    parked.park()
    assert parked.getrandbits(63) == plain.getrandbits(63)
    parked.park()
    assert [parked.random() for _ in range(9)] == [plain.random() for _ in range(9)]


def test_the_same_seed_draws_the_same_numbers_and_another_seed_others() -> None:
    a, b, c = DocumentStream(7), DocumentStream(7), DocumentStream(8)
    first = [a.random() for _ in range(20)]
    assert first == [b.random() for _ in range(20)]
    assert set(first).isdisjoint(c.random() for _ in range(20))


def test_draws_look_uniform_over_many_documents() -> None:
    # The first three draws of 20,000 documents (a document draws its first numbers to
    # classify itself): each position's mean and deciles as for uniforms.
    n = 20_000
    streams = [DocumentStream(seed) for seed in range(n)]
    for _position in range(3):
        u = [s.random() for s in streams]
        assert all(0.0 <= x < 1.0 for x in u)
        assert abs(sum(u) / n - 0.5) < 4 * (1 / 12 / n) ** 0.5
        counts = [0] * 10
        for x in u:
            counts[int(x * 10)] += 1
        chi2 = sum((k - n / 10) ** 2 / (n / 10) for k in counts)
        assert chi2 < 27.9  # 9 degrees of freedom, p = 0.001


def test_a_seed_outside_64_bits_is_refused() -> None:
    with pytest.raises(ValueError, match="64-bit"):
        DocumentStream(-1)
    with pytest.raises(ValueError, match="64-bit"):
        DocumentStream(1 << 64)
