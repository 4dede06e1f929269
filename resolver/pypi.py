"""Harvest the pip-level facts of PyPI-hosted wheels: ``envsolve catalog sync``.

Facts come from PyPI's PEP 691 JSON simple API (files, hashes, ``requires-python``, yanked) and
from each wheel's ``METADATA`` (``Requires-Dist``, ``Provides-Extra``). The metadata is read from
the PEP 658 ``.metadata`` file when the index offers one, otherwise with two HTTP range requests
(the zip's tail, where wheels keep their ``.dist-info``, then the ``METADATA`` member): never the
whole wheel.

All network access goes through a :class:`Source`. :class:`RecordingSource` captures what a live
run saw, :class:`ReplaySource` answers from such a recording, so tests (and anyone auditing a
catalog change) can rerun a sync without the network and get the same bytes. Recordings keep the
metadata's header block (the part sync reads), not the long description.
"""

from __future__ import annotations

import concurrent.futures
import email.parser
import json
import lzma
import re
import struct
import threading
import urllib.error
import urllib.request
import zlib
from typing import Any, Iterable

from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import InvalidWheelFilename, canonicalize_name, parse_wheel_filename
from packaging.version import InvalidVersion, Version

from . import __version__
from .errors import InputError, NetworkError
from .platforms import PLATFORMS, PYPI_INDEX, wheel_platforms
from .rules.libraries import LIBRARY_RE

PYPI_SIMPLE = PYPI_INDEX + "/"
SIMPLE_JSON = "application/vnd.pypi.simple.v1+json"
RECORDING_FORMAT = "envsolve.recording/1"


class SyncError(InputError):
    """A sync could not complete; nothing was written."""


class SyncNetworkError(SyncError, NetworkError):
    """An index could not be reached during a sync."""


# ---- sources of responses ----------------------------------------------------------------------

class Source:
    """Where sync gets PyPI's answers from."""

    def simple(self, project: str) -> str:
        """The PEP 691 JSON page of ``project``, as text."""
        raise NotImplementedError

    def metadata(self, file: dict) -> str:
        """The header block of the METADATA of the wheel described by a PEP 691 ``file`` entry."""
        raise NotImplementedError


class LiveSource(Source):
    def __init__(self, index: str = PYPI_SIMPLE, timeout: float = 30.0, retries: int = 2):
        self.index = index
        self.timeout = timeout
        self.retries = retries

    def _get(self, url: str, headers: dict[str, str]) -> bytes:
        headers = {"User-Agent": f"envsolve/{__version__}", **headers}
        last: Exception | None = None
        for _ in range(self.retries + 1):
            try:
                with urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=self.timeout) as resp:
                    return resp.read()
            except urllib.error.HTTPError as exc:
                if exc.code in (404, 410):
                    raise SyncError(f"{url}: HTTP {exc.code}") from None
                last = exc
            except (urllib.error.URLError, TimeoutError, ConnectionError, OSError) as exc:
                last = exc
        reason = getattr(last, "reason", last)
        raise SyncNetworkError(f"cannot reach {url}: {reason}")

    def simple(self, project: str) -> str:
        body = self._get(f"{self.index}{canonicalize_name(project)}/", {"Accept": SIMPLE_JSON})
        return body.decode("utf-8")

    def metadata(self, file: dict) -> str:
        url = file["url"]
        if file.get("core-metadata") or file.get("data-dist-info-metadata"):
            try:
                return _header_block(self._get(url + ".metadata", {}).decode("utf-8"))
            except SyncError:
                pass  # fall back to reading the wheel's zip directory
        return _header_block(self._metadata_by_range(url, int(file["size"])))

    def _range(self, url: str, start: int, end: int) -> bytes:
        return self._get(url, {"Range": f"bytes={start}-{end - 1}"})

    def _metadata_by_range(self, url: str, size: int) -> str:
        tail_len = min(size, 256 * 1024)
        tail = self._range(url, size - tail_len, size)
        if len(tail) != tail_len:
            raise SyncError(f"{url}: the server ignored the range request")
        try:
            offset, length, method = _find_metadata_entry(tail, url)
        except SyncError:
            # Not among the last records: read the whole central directory (never the wheel).
            cd_offset, cd_size = _central_directory(tail, url)
            if cd_size > 64 * 1024 * 1024:
                raise SyncError(f"{url}: central directory of {cd_size} bytes is too large") from None
            directory = self._range(url, cd_offset, cd_offset + cd_size)
            offset, length, method = _find_metadata_entry(directory, url)
        # Local header (30 bytes + name + extra field) then the data; 64 KiB covers any name/extra.
        blob = self._range(url, offset, min(size, offset + 30 + 65536 + length))
        if blob[:4] != b"PK\x03\x04":
            raise SyncError(f"{url}: METADATA local header not found")
        name_len, extra_len = struct.unpack("<HH", blob[26:30])
        data = blob[30 + name_len + extra_len : 30 + name_len + extra_len + length]
        if method == 8:
            data = zlib.decompress(data, -15)
        elif method != 0:
            raise SyncError(f"{url}: METADATA uses unsupported zip compression {method}")
        return data.decode("utf-8")


def _central_directory(tail: bytes, url: str) -> tuple[int, int]:
    """(offset, size) of the zip's central directory, from its end records in ``tail``."""
    end = tail.rfind(b"PK\x05\x06")
    if end < 0 or end + 22 > len(tail):
        raise SyncError(f"{url}: not a zip file (no end of central directory record)")
    cd_size, cd_offset = struct.unpack("<II", tail[end + 12 : end + 20])
    if cd_offset == 0xFFFFFFFF or cd_size == 0xFFFFFFFF:
        z64 = tail.rfind(b"PK\x06\x06", 0, end)
        if z64 < 0:
            raise SyncError(f"{url}: zip64 end record not found")
        cd_size, cd_offset = struct.unpack("<QQ", tail[z64 + 40 : z64 + 56])
    return cd_offset, cd_size


def _find_metadata_entry(tail: bytes, url: str) -> tuple[int, int, int]:
    """Find ``*.dist-info/METADATA`` among the central directory records in ``tail``.

    Returns (local header offset, compressed size, compression method).
    """
    pos = len(tail)
    while True:
        pos = tail.rfind(b"PK\x01\x02", 0, pos)
        if pos < 0:
            raise SyncError(f"{url}: no .dist-info/METADATA in the wheel's last 256 KiB")
        if pos + 46 > len(tail):
            continue
        (method,) = struct.unpack("<H", tail[pos + 10 : pos + 12])
        comp, _uncomp, name_len, extra_len = struct.unpack("<IIHH", tail[pos + 20 : pos + 32])
        (local,) = struct.unpack("<I", tail[pos + 42 : pos + 46])
        name = tail[pos + 46 : pos + 46 + name_len]
        if not (name.endswith(b".dist-info/METADATA") and name.count(b"/") == 1):
            continue
        if comp == 0xFFFFFFFF or local == 0xFFFFFFFF:  # zip64: sizes live in the extra field
            extra = tail[pos + 46 + name_len : pos + 46 + name_len + extra_len]
            comp, local = _zip64(extra, comp, local, url)
        return local, comp, method


def _zip64(extra: bytes, comp: int, local: int, url: str) -> tuple[int, int]:
    i = 0
    while i + 4 <= len(extra):
        tag, size = struct.unpack("<HH", extra[i : i + 4])
        if tag == 1:
            values = list(struct.unpack(f"<{size // 8}Q", extra[i + 4 : i + 4 + size - size % 8]))
            # Order: uncompressed, compressed, local offset; only those that overflowed are present.
            fields = []
            for name, value in (("uncomp", None), ("comp", comp), ("local", local)):
                if name == "uncomp" or value == 0xFFFFFFFF:
                    fields.append(name)
            found = dict(zip(fields, values))
            return found.get("comp", comp), found.get("local", local)
        i += 4 + size
    raise SyncError(f"{url}: zip64 entry without its extra field")


def _header_block(text: str) -> str:
    """The metadata headers only (up to the first blank line): what sync reads."""
    text = text.replace("\r\n", "\n")
    head, _, _ = text.partition("\n\n")
    return head + "\n"


class RecordingSource(Source):
    """Passes calls to ``inner`` and remembers every answer."""

    def __init__(self, inner: Source):
        self.inner = inner
        self.responses: dict[str, str] = {}
        self._lock = threading.Lock()

    def simple(self, project: str) -> str:
        text = self.inner.simple(project)
        with self._lock:
            self.responses[f"simple:{canonicalize_name(project)}"] = text
        return text

    def metadata(self, file: dict) -> str:
        text = self.inner.metadata(file)
        with self._lock:
            self.responses[f"metadata:{file['url']}"] = text
        return text

    def dump(self) -> bytes:
        payload = json.dumps({"format": RECORDING_FORMAT, "responses": self.responses}, sort_keys=True, indent=0)
        return lzma.compress(payload.encode("utf-8"), preset=9 | lzma.PRESET_EXTREME)


class ReplaySource(Source):
    """Answers from a recording made by :class:`RecordingSource`."""

    def __init__(self, blob: bytes, origin: str = "recording"):
        try:
            data = json.loads(lzma.decompress(blob))
        except (lzma.LZMAError, ValueError) as exc:
            raise SyncError(f"{origin}: not an envsolve recording ({exc})") from None
        if not isinstance(data, dict) or data.get("format") != RECORDING_FORMAT:
            raise SyncError(f"{origin}: not an {RECORDING_FORMAT} recording")
        self.responses: dict[str, str] = data["responses"]
        self.origin = origin

    def _get(self, key: str) -> str:
        try:
            return self.responses[key]
        except KeyError:
            raise SyncError(f"{self.origin} has no response for {key}") from None

    def simple(self, project: str) -> str:
        return self._get(f"simple:{canonicalize_name(project)}")

    def metadata(self, file: dict) -> str:
        return self._get(f"metadata:{file['url']}")


# ---- turning responses into catalog data -------------------------------------------------------

def _python_rank(filename: str) -> tuple:
    """Prefer the newest CPython, non-free-threaded wheel as the platform's representative."""
    _, _, _, tags = parse_wheel_filename(filename)
    best = (0, 0)
    for tag in tags:
        m = re.match(r"^cp3(\d+)$", tag.interpreter)
        free_threaded = tag.abi.endswith("t")
        if m:
            best = max(best, (0 if free_threaded else 1, int(m.group(1))))
        elif tag.interpreter.startswith("py3"):
            best = max(best, (1, 0))
    return best + (filename,)


def _parse_simple(project: str, text: str) -> dict:
    try:
        page = json.loads(text)
        files = page["files"]
    except (ValueError, KeyError, TypeError) as exc:
        raise SyncError(f"PyPI page of {project} is not PEP 691 JSON ({exc})") from None
    return page | {"files": files}


def _releases(files: list[dict], floor: Version | None) -> dict[Version, list[dict]]:
    """Wheel files by release version: final releases at or above ``floor``."""
    out: dict[Version, list[dict]] = {}
    for f in files:
        name = f.get("filename", "")
        if not name.endswith(".whl"):
            continue
        try:
            _, version, _, _ = parse_wheel_filename(name)
        except (InvalidWheelFilename, InvalidVersion):
            continue
        if version.is_prerelease or version.is_devrelease or (floor is not None and version < floor):
            continue
        out.setdefault(version, []).append(f)
    return out


def _yanked(files: list[dict]) -> str | None:
    reasons = [f.get("yanked") for f in files]
    if reasons and all(reasons):
        first = reasons[0]
        return first if isinstance(first, str) and first else "yanked"
    return None


def _wheel_entry(f: dict) -> dict[str, str]:
    return {"filename": f["filename"], "sha256": f["hashes"]["sha256"], "url": f["url"]}


def _release_state(files: list[dict]) -> dict[str, str]:
    """The optional requires_python and yanked fields of a release, from its files."""
    state = {}
    rp = _requires_python(files)
    if rp:
        state["requires_python"] = rp
    yanked = _yanked(files)
    if yanked:
        state["yanked"] = yanked
    return state


def _requires_python(files: list[dict]) -> str | None:
    values = sorted({f.get("requires-python") or "" for f in files})
    values = [v for v in values if v]
    return values[0] if len(values) == 1 else (",".join(values) if values else None)


def parse_metadata(text: str, where: str) -> tuple[list[str], list[str]]:
    """Requires-Dist (normalised by packaging) and Provides-Extra of a METADATA header block."""
    msg = email.parser.HeaderParser().parsestr(text)
    requires = []
    for raw in msg.get_all("Requires-Dist") or []:
        try:
            requires.append(str(Requirement(raw)))
        except InvalidRequirement as exc:
            raise SyncError(f"{where}: bad Requires-Dist {raw!r}: {exc}") from None
    extras = sorted({e.strip() for e in msg.get_all("Provides-Extra") or []})
    return requires, extras


def harvest_project(src: Source, project: str, floor: str | None, pool: concurrent.futures.Executor) -> dict:
    """The generated catalog data of one project (see catalogs/README.md, kind pypi)."""
    page = _parse_simple(project, src.simple(project))
    by_version = _releases(page["files"], Version(floor) if floor else None)
    jobs: dict[tuple[Version, str], concurrent.futures.Future] = {}
    plans: dict[Version, dict[str, list[str]]] = {}
    for version, files in by_version.items():
        # One representative wheel per platform (the newest CPython); platforms sharing one
        # representative share its metadata fetch.
        plan: dict[str, list[str]] = {}
        reps: dict[str, dict] = {}
        for platform in PLATFORMS:
            on_platform = [f for f in files if platform in wheel_platforms(f["filename"])]
            if on_platform:
                rep = max(on_platform, key=lambda f: _python_rank(f["filename"]))
                reps[rep["filename"]] = rep
                plan.setdefault(rep["filename"], []).append(platform)
        for filename, rep in reps.items():
            jobs[(version, filename)] = pool.submit(src.metadata, rep)
        plans[version] = plan
    releases = []
    for version in sorted(by_version):
        files = sorted(by_version[version], key=lambda f: f["filename"])
        groups: dict[tuple, dict] = {}
        for filename, platforms in sorted(plans[version].items()):
            requires, extras = parse_metadata(jobs[(version, filename)].result(), filename)
            key = (tuple(requires), tuple(extras))
            if key in groups:
                groups[key]["platforms"] = sorted(set(groups[key]["platforms"]) | set(platforms),
                                                  key=PLATFORMS.index)
            else:
                groups[key] = {"platforms": list(platforms), "from": filename, "requires_dist": requires,
                               "provides_extra": extras}
        entry: dict[str, Any] = {"version": str(version), **_release_state(files)}
        entry["wheels"] = [_wheel_entry(f) for f in files if "sha256" in f.get("hashes", {})]
        entry["metadata"] = sorted(groups.values(), key=lambda g: PLATFORMS.index(g["platforms"][0]))
        releases.append(entry)
    return {
        "schema": "envsolve.catalog/1",
        "kind": "pypi",
        "project": canonicalize_name(project),
        "source": f"{PYPI_SIMPLE}{canonicalize_name(project)}/",
        "generated_by": f"envsolve catalog sync {canonicalize_name(project)}",
        "releases": releases,
    }


def harvest_library(src: Source, name: str) -> dict:
    page = _parse_simple(name, src.simple(name))
    versions = []
    for version, files in sorted(_releases(page["files"], None).items()):
        platforms = sorted({p for f in files for p in wheel_platforms(f["filename"])}, key=PLATFORMS.index)
        wheels = [_wheel_entry(f) for f in sorted(files, key=lambda f: f["filename"])
                  if wheel_platforms(f["filename"]) and "sha256" in f.get("hashes", {})]
        versions.append({"version": str(version), "platforms": platforms, **_release_state(files), "wheels": wheels})
    return {"name": canonicalize_name(name), "source": f"{PYPI_SIMPLE}{canonicalize_name(name)}/", "versions": versions}


def library_names(projects: Iterable[dict], extra: Iterable[str] = ()) -> list[str]:
    """Every GPU-library distribution named by the harvested Requires-Dist and ``extra``."""
    names = {canonicalize_name(n) for n in extra}
    for data in projects:
        for release in data["releases"]:
            for group in release["metadata"]:
                for req in group["requires_dist"]:
                    name = canonicalize_name(Requirement(req).name)
                    if LIBRARY_RE.match(name):
                        names.add(name)
    return sorted(n for n in names if LIBRARY_RE.match(n))
