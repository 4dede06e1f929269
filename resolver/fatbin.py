"""Find the GPU code images in a CUDA library's fatbin data: which PTX and which SASS (cubin)
targets it carries. Pure: bytes in, a :class:`FatbinScan` out; it imports nothing of envsolve's.

A ``.nv_fatbin`` section is a run of containers. Each starts with a 16-byte little-endian header::

    uint32 magic (0xBA55ED50)   uint16 version (1)   uint16 header size (16)   uint64 size of the entries

and its entries follow back to back, each with its own header::

    offset  0  uint16 kind (1 PTX, 2 ELF/SASS cubin)
    offset  4  uint32 entry header size     (64 to 128 in real libraries; at least 48 here)
    offset  8  uint64 payload size          (the next entry starts at entry + header size + payload size)
    offset 28  uint32 arch                  (75, 90, 120: the base target)
    offset 40  uint64 flags                 (0x100000: arch-specific 'a' image, sm_90a; 0x200000:
                                             family-specific 'f' image, sm_103f)

These offsets and the two variant bits were checked against NVIDIA's cuobjdump 13.5 on the CUDA
libraries of the torch 2.8-2.15 PyPI wheels (linux x86_64 and aarch64): its listing (``-lelf``)
names the same images with the same counts (sm_90a, sm_100a, sm_110a, sm_120a, sm_121a), and
``-elf`` prints ``arch = sm_103f`` for a 0x200000 entry (``-lelf`` drops that suffix). An entry
with both bits set is taken as its base arch. The whole library is scanned, not only its
``.nv_fatbin`` section, so fatbins embedded as data count too (torch 2.15's libtorch_cuda.so keeps
58 in ``.lrodata``, which cuobjdump does not list).

Payloads may be compressed; headers never are, so no payload is ever read. A run of bytes counts as
a container only when every header checks out: magic, version, header sizes, an arch in range, and
entries that fill the container exactly. A stray magic in random or compressed bytes therefore
yields nothing. :class:`FatbinScanner` takes the data in chunks of any size (a container may span
chunks) and keeps only the few bytes a pending header needs, so a library of any size streams
through in constant memory.
"""

from __future__ import annotations

import struct
from typing import NamedTuple

MAGIC = 0xBA55ED50
PTX = 1
SASS = 2  # an ELF cubin

_MAGIC_BYTES = struct.pack("<I", MAGIC)
_CONTAINER = struct.Struct("<IHHQ")
_ENTRY_MIN = 48  # an entry header must reach its flags (offset 40, 8 bytes)
_ENTRY_MAX = 64 * 1024  # real entry headers are 64-112 bytes
_ARCH_MIN, _ARCH_MAX = 10, 999
_CONTAINER_MAX = 1 << 36  # 64 GiB: far above any real section; bounds a stream of unknown length


_ARCH_SPECIFIC, _FAMILY_SPECIFIC = 0x100000, 0x200000


class Image(NamedTuple):
    """One kind of code image: PTX or SASS for an arch, plain or an 'a'/'f' variant."""

    kind: int  # PTX or SASS; other kinds are kept as read
    arch: int  # 90
    variant: str = ""  # "", "a" (arch-specific) or "f" (family-specific)

    @property
    def label(self) -> str:
        """``sm_90a``: the catalog's spelling (PTX for compute_90a is labelled sm_90a too)."""
        return f"sm_{self.arch}{self.variant}"


def _variant(flags: int) -> str:
    specific, family = bool(flags & _ARCH_SPECIFIC), bool(flags & _FAMILY_SPECIFIC)
    return "a" if specific and not family else "f" if family and not specific else ""


class FatbinScan(NamedTuple):
    """What a scan found.

    ``images``: every image of the valid containers, with the number of containers holding it.
    ``containers``: how many valid containers. ``incomplete``: how many candidates the data ended
    inside (a truncated input, or a stray magic near the end).
    """

    images: dict[Image, int]
    containers: int
    incomplete: int

    @property
    def entries(self) -> frozenset[tuple[int, int]]:
        """The distinct (kind, base arch) pairs."""
        return frozenset((i.kind, i.arch) for i in self.images)

    def archs(self, kind: int) -> tuple[int, ...]:
        """The base arch numbers of one kind, ascending (``SASS`` -> (75, 80, 90))."""
        return tuple(sorted({arch for k, arch in self.entries if k == kind}))


class _Candidate:
    """A container whose header checked out and whose entries are being walked."""

    __slots__ = ("end", "next", "images")

    def __init__(self, end: int, first: int):
        self.end = end  # absolute offset just past its last entry
        self.next = first  # absolute offset of the next entry header to read
        self.images: set[Image] = set()


class FatbinScanner:
    """Incremental scanner: :meth:`feed` chunks in order, then :meth:`finish`.

    ``total``: the length of the whole input when known; a container claiming to run past it is
    rejected at once instead of waiting for the end.
    """

    def __init__(self, total: int | None = None):
        self._limit = total if total is not None else None
        self._buf = bytearray()
        self._base = 0  # absolute offset of _buf[0]
        self._search = 0  # absolute offset where the search for the next magic resumes
        self._pending: list[_Candidate] = []
        self._found: dict[Image, int] = {}
        self._containers = 0
        self._done = False

    def feed(self, chunk: bytes) -> None:
        if self._done:
            raise ValueError("feed() after finish()")
        if not chunk:
            return
        self._buf += chunk
        self._find_containers()
        self._walk_entries()
        self._trim()

    def finish(self) -> FatbinScan:
        self._done = True
        incomplete = len(self._pending)
        self._pending = []
        self._buf = bytearray()
        return FatbinScan(dict(self._found), self._containers, incomplete)

    # ---- internals --------------------------------------------------------------------------

    def _end(self) -> int:
        return self._base + len(self._buf)

    def _find_containers(self) -> None:
        buf, base, end = self._buf, self._base, self._end()
        at = self._search - base
        while True:
            hit = buf.find(_MAGIC_BYTES, at)
            if hit < 0:
                # Keep the last 3 bytes: a magic may straddle this chunk and the next.
                self._search = max(self._search, end - 3)
                return
            if hit + _CONTAINER.size > len(buf):
                self._search = base + hit  # its header is not all here yet
                return
            _, version, header_size, size = _CONTAINER.unpack_from(buf, hit)
            start = base + hit
            stop = start + header_size + size
            if (version == 1 and header_size == _CONTAINER.size and size <= _CONTAINER_MAX
                    and (self._limit is None or stop <= self._limit)):
                if size == 0:
                    self._containers += 1  # empty but well formed
                else:
                    self._pending.append(_Candidate(stop, start + header_size))
            at = hit + 1
            self._search = base + at

    def _walk_entries(self) -> None:
        buf, base, end = self._buf, self._base, self._end()
        still: list[_Candidate] = []
        for cand in self._pending:
            alive = True
            while cand.next < cand.end and cand.next + _ENTRY_MIN <= end:
                at = cand.next - base
                kind, header_size, payload = struct.unpack_from("<HxxIQ", buf, at)
                arch, flags = struct.unpack_from("<I8xQ", buf, at + 28)
                after = cand.next + header_size + payload
                if (kind == 0 or not _ENTRY_MIN <= header_size <= _ENTRY_MAX
                        or not _ARCH_MIN <= arch <= _ARCH_MAX or after > cand.end
                        or 0 < cand.end - after < _ENTRY_MIN):  # a tail too short for another entry
                    alive = False
                    break
                cand.images.add(Image(kind, arch, _variant(flags)))
                cand.next = after
            if alive and cand.next == cand.end and cand.end <= end:
                # Entries fill it exactly and all its bytes have come (a cut-off input proves nothing).
                self._containers += 1
                for image in cand.images:
                    self._found[image] = self._found.get(image, 0) + 1
                alive = False
            if alive:
                still.append(cand)
        self._pending = still

    def _trim(self) -> None:
        """Drop bytes that neither the magic search nor a pending entry header still needs."""
        keep = min([self._search, self._end()] + [c.next for c in self._pending])
        drop = keep - self._base
        if drop > 0:
            del self._buf[:drop]
            self._base = keep


def scan(data: bytes, total: int | None = None) -> FatbinScan:
    """Scan ``data`` in one go (see :class:`FatbinScanner`)."""
    scanner = FatbinScanner(total if total is not None else len(data))
    scanner.feed(data)
    return scanner.finish()
