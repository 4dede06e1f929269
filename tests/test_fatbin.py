"""The fatbin scanner on small synthetic fatbins: what it finds, across chunk boundaries, and what
it must never find (garbage, truncation, lookalike headers)."""

from __future__ import annotations

import random
import struct

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from resolver.fatbin import MAGIC, PTX, SASS, FatbinScanner, Image, scan


def entry(kind: int, arch: int, payload: bytes = b"", header_size: int = 64, flags: int = 0x8011) -> bytes:
    head = (struct.pack("<HHIQ", kind, 0x0101, header_size, len(payload)) + bytes(12) + struct.pack("<I", arch)
            + bytes(8) + struct.pack("<Q", flags))
    return head + bytes(header_size - len(head)) + payload


def container(*entries: bytes, size: int | None = None, version: int = 1, header_size: int = 16) -> bytes:
    body = b"".join(entries)
    return struct.pack("<IHHQ", MAGIC, version, header_size, len(body) if size is None else size) + body


def noise(n: int, seed: int) -> bytes:
    return random.Random(seed).randbytes(n)


# Two translation units' fatbins with garbage around and between them, as in a .so's sections.
FIRST = container(entry(SASS, 80, noise(300, 1)), entry(SASS, 90, noise(17, 2), header_size=112),
                  entry(PTX, 90, b".version 8.0\n.target sm_90\n" * 5, header_size=80))
SECOND = container(entry(SASS, 75, noise(1000, 3)), entry(SASS, 120, noise(5, 4)), entry(PTX, 120, noise(64, 5)))
LIBRARY = noise(777, 6) + FIRST + bytes(64) + SECOND + noise(333, 7)
EXPECTED = {(SASS, 75), (SASS, 80), (SASS, 90), (SASS, 120), (PTX, 90), (PTX, 120)}


def chunked(data: bytes, sizes: list[int]) -> FatbinScanner:
    scanner = FatbinScanner(len(data))
    at = 0
    i = 0
    while at < len(data):
        n = sizes[i % len(sizes)]
        scanner.feed(data[at:at + n])
        at += n
        i += 1
    return scanner


def test_finds_every_entry_of_every_container():
    found = scan(LIBRARY)
    assert found.entries == EXPECTED and found.containers == 2 and found.incomplete == 0
    assert found.archs(SASS) == (75, 80, 90, 120) and found.archs(PTX) == (90, 120)


@pytest.mark.parametrize("size", [1, 2, 3, 5, 7, 15, 16, 17, 31, 32, 33, 64, 100, 1000, 4096])
def test_chunk_boundaries_change_nothing(size):
    assert chunked(LIBRARY, [size]).finish() == scan(LIBRARY)


def test_a_container_split_at_every_offset():
    for cut in range(1, len(FIRST) + 40):
        data = noise(40, 8) + FIRST
        scanner = FatbinScanner()
        scanner.feed(data[:cut])
        scanner.feed(data[cut:])
        assert scanner.finish().entries == {(SASS, 80), (SASS, 90), (PTX, 90)}, cut


def test_memory_stays_small_while_payloads_stream_past():
    big = container(entry(SASS, 86, noise(3_000_000, 9)))
    scanner = FatbinScanner()
    for at in range(0, len(big), 65536):
        scanner.feed(big[at:at + 65536])
        assert len(scanner._buf) < 256  # a payload is skipped, never buffered
    assert scanner.finish().entries == {(SASS, 86)}


def test_truncated_input_yields_only_complete_containers():
    data = FIRST + SECOND
    for cut in range(0, len(data)):
        found = scan(data[:cut])
        if cut < len(FIRST):
            assert found.entries == set(), cut
        elif cut < len(data):
            assert found.entries == {(SASS, 80), (SASS, 90), (PTX, 90)}, cut
    assert scan(FIRST[:-1]) == ({}, 0, 0)  # with the length known, rejected at its header


def test_an_unknown_total_waits_for_the_end():
    scanner = FatbinScanner()  # no total: a container is complete only when its bytes have all come
    scanner.feed(FIRST[:-1])
    assert scanner.finish() == ({}, 0, 1)


LOOKALIKES = {
    "wrong version": container(entry(SASS, 80, b"x" * 8), version=2),
    "wrong header size": container(entry(SASS, 80, b"x" * 8), header_size=24),
    "size past the end": container(entry(SASS, 80, b"x" * 8), size=10_000),
    "entries overrun the container": container(entry(SASS, 80, b"x" * 8), size=64 + 4),
    "entries do not fill it": container(entry(SASS, 80, b"x" * 8), size=64 + 8 + 16),
    "gap too short for an entry": container(entry(SASS, 80, b"x" * 8) + bytes(8)),
    "entry header too small": container(entry(SASS, 80, header_size=64)[:4] + struct.pack("<I", 40)
                                        + entry(SASS, 80, header_size=64)[8:]),
    "entry header size zero": container(struct.pack("<HHIQ", 2, 0, 0, 0) + bytes(48)),
    "kind zero": container(entry(0, 80, b"x" * 8)),
    "arch out of range": container(entry(SASS, 70000, b"x" * 8)),
    "arch zero": container(entry(PTX, 0, b"x" * 8)),
    "no entries, only garbage": container(noise(200, 10)),
}


@pytest.mark.parametrize("name", sorted(LOOKALIKES))
def test_a_lookalike_container_yields_nothing(name):
    found = scan(noise(50, 11) + LOOKALIKES[name] + noise(50, 12))
    assert found.entries == set() and found.containers == 0, name


def test_a_lookalike_before_a_real_container_does_not_hide_it():
    # The bad candidate claims bytes that hold a real container: that one is still found.
    data = LOOKALIKES["size past the end"][:16] + FIRST + noise(20_000, 13)
    assert scan(data).entries == {(SASS, 80), (SASS, 90), (PTX, 90)}


def test_a_stray_magic_inside_a_payload_breaks_nothing():
    payload = noise(100, 14) + struct.pack("<IHHQ", MAGIC, 1, 16, 40) + noise(100, 15)
    assert scan(container(entry(SASS, 89, payload))).entries == {(SASS, 89)}


def test_an_empty_container_is_well_formed_but_empty():
    assert scan(container()) == ({}, 1, 0)


def test_random_data_with_planted_headers_never_yields_an_entry():
    rng = random.Random(16)
    for seed in range(30):
        data = bytearray(noise(200_000, 100 + seed))
        for _ in range(50):  # magic, version 1, header size 16, a random size
            at = rng.randrange(0, len(data) - 16)
            data[at:at + 16] = struct.pack("<IHHQ", MAGIC, 1, 16, rng.randrange(0, 1 << rng.choice((8, 16, 20))))
        assert scan(bytes(data)).entries == set(), seed


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=600), st.lists(st.integers(1, 64), min_size=1, max_size=8))
def test_any_bytes_scan_the_same_whole_or_chunked(data, sizes):
    data = data + FIRST  # something to find after arbitrary bytes
    whole = scan(data)
    assert {(SASS, 80), (SASS, 90), (PTX, 90)} <= whole.entries
    assert chunked(data, sizes).finish() == whole


def test_variants_and_counts():
    # Flag bits as NVIDIA's cuobjdump reads them: 0x100000 sm_90a, 0x200000 sm_103f; both: base arch.
    data = (container(entry(SASS, 90), entry(SASS, 90, flags=0x108011, header_size=112))
            + container(entry(SASS, 90), entry(SASS, 103, flags=0x1208011, header_size=104))
            + container(entry(SASS, 90), entry(SASS, 100, flags=0x300011)))
    found = scan(data)
    assert found.images == {Image(SASS, 90): 3, Image(SASS, 90, "a"): 1, Image(SASS, 103, "f"): 1, Image(SASS, 100): 1}
    assert [i.label for i in sorted(found.images)] == ["sm_90", "sm_90a", "sm_100", "sm_103f"]
    assert found.entries == {(SASS, 90), (SASS, 100), (SASS, 103)}


def test_feed_after_finish_is_an_error():
    scanner = FatbinScanner()
    scanner.finish()
    with pytest.raises(ValueError):
        scanner.feed(b"x")
