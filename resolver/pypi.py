"""Harvest the pip-level facts of PyPI-hosted wheels: ``envsolve catalog sync``.

Facts come from PyPI's PEP 691 JSON simple API (files, hashes, ``requires-python``, yanked) and
from each wheel's ``METADATA`` (``Requires-Dist``, ``Provides-Extra``). The metadata is read from
the PEP 658 ``.metadata`` file when the index offers one (checked against the sha256 the index
gives for it), otherwise with two HTTP range requests (the zip's tail, where wheels keep their
``.dist-info``, then the ``METADATA`` member): never the whole wheel.

All network access goes through a :class:`Source`. Besides PyPI's JSON pages it serves the
project pages of any simple index (:meth:`Source.page`, parsed by :mod:`resolver.simpleindex`).
:class:`LiveSource` fetches over https only (plain http only from 127.0.0.1, for stand-in test
servers), refuses redirects to another host and caps every response. :class:`RecordingSource`
captures what a live run saw, :class:`ReplaySource` answers from such a recording, so tests (and
anyone auditing a catalog change) can rerun a sync without the network and get the same bytes.
Recordings keep the metadata's header block (the part sync reads), not the long description.
"""

from __future__ import annotations

import concurrent.futures
import email.message
import email.parser
import hashlib
import http.client
import json
import lzma
import re
import struct
import threading
import urllib.error
import urllib.parse
import urllib.request
import zlib
from typing import Any, Callable, Iterable, Mapping, NamedTuple

from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import InvalidWheelFilename, canonicalize_name, parse_wheel_filename
from packaging.version import InvalidVersion, Version

from . import __version__
from .errors import InputError, NetworkError
from .platforms import PLATFORMS, PYPI_INDEX, wheel_platforms
from .rules.libraries import LIBRARY_RE

PYPI_SIMPLE = PYPI_INDEX + "/"
SIMPLE_JSON = "application/vnd.pypi.simple.v1+json"
SIMPLE_HTML = "application/vnd.pypi.simple.v1+html"
# PEP 691 content negotiation: JSON preferred, either HTML form accepted.
SIMPLE_ACCEPT = f"{SIMPLE_JSON}, {SIMPLE_HTML};q=0.2, text/html;q=0.01"
RECORDING_FORMAT = "envsolve.recording/1"
RECORDING_LIMIT = 512 * 1024 * 1024  # the most a recording may decompress to
PAGE_LIMIT = 20 * 1024 * 1024  # the most a page or a .metadata file may be; more is refused
TAIL = 256 * 1024  # how much of a wheel's end the range reader asks for first


class SyncError(InputError):
    """A sync could not complete; nothing was written."""


class SyncNetworkError(SyncError, NetworkError):
    """An index could not be reached during a sync."""


class NotFound(SyncError):
    """The server answered 404 or 410: there is no such page or file."""


class Page(NamedTuple):
    """A simple-index project page as served: relative links resolve against ``url``."""

    url: str  # the page's URL (the index's, never the one a stand-in server was reached at)
    content_type: str  # the media type, without parameters
    body: str


# ---- sources of responses ----------------------------------------------------------------------

class Source:
    """Where sync gets an index's answers from."""

    def simple(self, project: str) -> str:
        """PyPI's PEP 691 JSON page of ``project``, as text."""
        raise NotImplementedError

    def page(self, index: str, project: str) -> Page:
        """The project page of ``project`` on the simple index at ``index`` (no trailing slash),
        in whichever form (PEP 691 JSON or PEP 503 HTML) the index serves."""
        raise NotImplementedError

    def metadata(self, file: dict) -> str:
        """The header block of the METADATA of the wheel described by a PEP 691 ``file`` entry."""
        raise NotImplementedError


def page_url(index: str, project: str) -> str:
    """The URL of ``project``'s page on the simple index at ``index``."""
    return f"{index.rstrip('/')}/{canonicalize_name(project)}/"


def fetch_url_error(url: str) -> str | None:
    """Why sync must not fetch ``url``, or None: https only, except plain http from 127.0.0.1
    (a stand-in index that a test starts); never credentials in the URL."""
    try:
        parts = urllib.parse.urlsplit(url)
        host = parts.hostname
    except ValueError as exc:
        return f"not a URL ({exc})"
    if parts.username or parts.password:
        return "URL must not carry credentials"
    if parts.scheme == "https" and host:
        return None
    if parts.scheme == "http" and host == "127.0.0.1":
        return None
    return f"only https URLs are fetched (plain http only from 127.0.0.1), not {parts.scheme or 'a relative URL'!r}"


def _origin(url: str) -> tuple[str, str]:
    parts = urllib.parse.urlsplit(url)
    return parts.scheme, parts.netloc.lower()


class _SameHostRedirects(urllib.request.HTTPRedirectHandler):
    """Follow a redirect only within the scheme and host the request went to."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        target = urllib.parse.urljoin(req.full_url, newurl)
        if _origin(target) != _origin(req.full_url):
            fp.close()
            raise SyncError(f"{req.full_url}: redirected to another host ({shown(target)}); not followed")
        return super().redirect_request(req, fp, code, msg, headers, newurl)


def shown(text: str, limit: int = 160) -> str:
    """Untrusted text for a one-line message: quoted, control characters escaped, shortened."""
    quoted = repr(text)
    return quoted if len(quoted) <= limit else quoted[: limit - 5] + "...'"


class _Response(NamedTuple):
    body: bytes
    status: int
    headers: email.message.Message


class LiveSource(Source):
    """Answers from the network.

    ``connect_to`` maps an origin (``https://download.pytorch.org``) to the origin actually
    connected to (``http://127.0.0.1:8123``): the URLs sync records and writes stay the index's
    own. Tests point it at a stand-in index; it is empty otherwise.
    """

    connect_to: Mapping[str, str] = {}

    def __init__(self, index: str = PYPI_SIMPLE, timeout: float = 30.0, retries: int = 2):
        self.index = index
        self.timeout = timeout
        self.retries = retries
        self._opener = urllib.request.build_opener(_SameHostRedirects)

    def _real(self, url: str) -> str:
        for origin, target in self.connect_to.items():
            if url == origin or url.startswith(origin.rstrip("/") + "/"):
                return target.rstrip("/") + url[len(origin.rstrip("/")):]
        return url

    def _fetch(self, url: str, headers: dict[str, str], limit: int) -> _Response:
        """GET ``url``: its body (at most ``limit`` bytes, else a SyncError), status and headers.
        Retries transient failures; 404/410 raise :class:`NotFound`, the rest SyncNetworkError."""
        real = self._real(url)
        refused = fetch_url_error(real)
        if refused:
            raise SyncError(f"{shown(url)}: {refused}")
        request = urllib.request.Request(real, headers={"User-Agent": f"envsolve/{__version__}", **headers})
        last: Exception | None = None
        for _ in range(self.retries + 1):
            try:
                with self._opener.open(request, timeout=self.timeout) as resp:
                    body = b""
                    while len(body) <= limit:
                        chunk = resp.read(limit + 1 - len(body))
                        if not chunk:
                            break
                        body += chunk
                    if len(body) > limit:
                        if "Range" in headers and resp.status != 206:
                            raise SyncError(f"{url}: the server ignored the range request")
                        raise SyncError(f"{url}: response larger than {limit} bytes; refused")
                    return _Response(body, resp.status, resp.headers)
            except urllib.error.HTTPError as exc:
                if exc.code in (404, 410):
                    raise NotFound(f"{url}: HTTP {exc.code}") from None
                if 400 <= exc.code < 500 and exc.code not in (408, 429):
                    raise SyncError(f"{url}: HTTP {exc.code}") from None
                last = exc  # 5xx, timeouts and rate limits are worth another try
            except (urllib.error.URLError, TimeoutError, ConnectionError, OSError, http.client.HTTPException) as exc:
                last = exc
            except ValueError as exc:  # a URL urllib cannot use
                raise SyncError(f"{shown(url)}: {exc}") from None
        reason = getattr(last, "reason", last)
        raise SyncNetworkError(f"cannot reach {url}: {reason}")

    def _get(self, url: str, headers: dict[str, str]) -> bytes:
        wanted = _range_length(headers.get("Range", ""))
        resp = self._fetch(url, headers, wanted if wanted is not None else PAGE_LIMIT)
        if wanted is not None and resp.status != 206:
            raise SyncError(f"{url}: the server ignored the range request")
        return resp.body

    def simple(self, project: str) -> str:
        body = self._get(f"{self.index}{canonicalize_name(project)}/", {"Accept": SIMPLE_JSON})
        return body.decode("utf-8")

    def page(self, index: str, project: str) -> Page:
        url = page_url(index, project)
        try:
            resp = self._fetch(url, {"Accept": SIMPLE_ACCEPT}, PAGE_LIMIT)
        except NotFound:
            raise SyncError(f"index {index} has no page for {project} (HTTP 404)") from None
        except SyncNetworkError as exc:
            raise SyncNetworkError(f"index {index}: {exc}") from None
        content_type = resp.headers.get_content_type()
        charset = resp.headers.get_content_charset() or "utf-8"
        try:
            body = resp.body.decode(charset)
        except (UnicodeDecodeError, LookupError):
            raise SyncError(f"{url}: the page is not {shown(charset)} text") from None
        return Page(url, content_type, body)

    def metadata(self, file: dict) -> str:
        url = file["url"]
        try:
            offered = metadata_offer(file)
            if offered is not None:
                try:
                    blob = self._get(url + ".metadata", {})
                except NotFound:
                    pass  # offered but missing: read the wheel's zip directory instead
                else:
                    if isinstance(offered, str) and hashlib.sha256(blob).hexdigest() != offered:
                        raise SyncError(f"{url}.metadata: its sha256 is {hashlib.sha256(blob).hexdigest()}, "
                                        f"the index says {offered}")
                    return _header_block(blob.decode("utf-8"))
            size = file.get("size")
            return _header_block(self._metadata_by_range(url, int(size) if size is not None else None))
        except (UnicodeDecodeError, zlib.error, struct.error) as exc:
            raise SyncError(f"{url}: unreadable METADATA ({type(exc).__name__}: {exc})") from None

    def _range(self, url: str, start: int, end: int) -> bytes:
        return self._get(url, {"Range": f"bytes={start}-{end - 1}"})

    def _suffix(self, url: str, length: int) -> tuple[bytes, int]:
        """The last ``length`` bytes of ``url`` (all of it when shorter), and its total size."""
        resp = self._fetch(url, {"Range": f"bytes=-{length}"}, length)
        total = _content_range_total(resp.headers.get("Content-Range", ""))
        if resp.status != 206 or total is None:
            raise SyncError(f"{url}: the server ignored the range request")
        if len(resp.body) != min(length, total):
            raise SyncError(f"{url}: the server answered {len(resp.body)} bytes to a range of {min(length, total)}")
        return resp.body, total

    def _metadata_by_range(self, url: str, size: int | None) -> str:
        if size is None:  # a PEP 503 page gives no size: a suffix range tells it
            tail, size = self._suffix(url, TAIL)
        else:
            tail_len = min(size, TAIL)
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
        if length > PAGE_LIMIT:
            raise SyncError(f"{url}: METADATA of {length} bytes is too large")
        # Local header (30 bytes + name + extra field) then the data; 64 KiB covers any name/extra.
        blob = self._range(url, offset, min(size, offset + 30 + 65536 + length))
        if blob[:4] != b"PK\x03\x04":
            raise SyncError(f"{url}: METADATA local header not found")
        name_len, extra_len = struct.unpack("<HH", blob[26:30])
        data = blob[30 + name_len + extra_len : 30 + name_len + extra_len + length]
        if method == 8:
            inflate = zlib.decompressobj(-15)
            data = inflate.decompress(data, PAGE_LIMIT)
            if inflate.unconsumed_tail:
                raise SyncError(f"{url}: METADATA inflates past {PAGE_LIMIT} bytes")
        elif method != 0:
            raise SyncError(f"{url}: METADATA uses unsupported zip compression {method}")
        return data.decode("utf-8")


def _range_length(value: str) -> int | None:
    """The number of bytes a ``Range: bytes=A-B`` header asks for (None for no or another range)."""
    m = re.fullmatch(r"bytes=(\d+)-(\d+)", value.strip())
    return int(m.group(2)) - int(m.group(1)) + 1 if m else None


def _content_range_total(value: str) -> int | None:
    m = re.fullmatch(r"bytes \d+-\d+/(\d+)", value.strip())
    return int(m.group(1)) if m else None


def metadata_offer(file: dict) -> str | bool | None:
    """Whether the index serves the wheel's PEP 658 ``.metadata`` file: None (not offered), its
    sha256 when the index gives one, else True. PEP 714's ``core-metadata`` first, then the older
    ``dist-info-metadata`` (and ``data-dist-info-metadata``, which PyPI's JSON carried)."""
    for key in ("core-metadata", "dist-info-metadata", "data-dist-info-metadata"):
        value = file.get(key)
        if value is None or value is False:
            continue
        if isinstance(value, dict):
            digest = value.get("sha256")
            return digest.lower() if isinstance(digest, str) else True
        return True if value else None
    return None


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
    """Passes calls to ``inner`` and remembers every answer.

    A recording is lzma-compressed JSON: ``format``, ``responses`` (PyPI pages as
    ``simple:<project>`` and METADATA header blocks as ``metadata:<wheel URL>``, text) and, only
    when some were read, ``pages`` (simple-index pages by URL: ``content_type`` and ``body``). A
    recording of PyPI alone is what it always was; readers that predate ``pages`` ignore it.
    """

    def __init__(self, inner: Source):
        self.inner = inner
        self.responses: dict[str, str] = {}
        self.pages: dict[str, dict[str, str]] = {}
        self._lock = threading.Lock()

    def simple(self, project: str) -> str:
        text = self.inner.simple(project)
        with self._lock:
            self.responses[f"simple:{canonicalize_name(project)}"] = text
        return text

    def page(self, index: str, project: str) -> Page:
        page = self.inner.page(index, project)
        with self._lock:
            self.pages[page.url] = {"content_type": page.content_type, "body": page.body}
        return page

    def metadata(self, file: dict) -> str:
        text = self.inner.metadata(file)
        with self._lock:
            self.responses[f"metadata:{file['url']}"] = text
        return text

    def dump(self) -> bytes:
        data: dict[str, Any] = {"format": RECORDING_FORMAT, "responses": self.responses}
        if self.pages:
            data["pages"] = self.pages
        payload = json.dumps(data, sort_keys=True, indent=0)
        return lzma.compress(payload.encode("utf-8"), preset=9 | lzma.PRESET_EXTREME)


class ReplaySource(Source):
    """Answers from a recording made by :class:`RecordingSource`."""

    def __init__(self, blob: bytes, origin: str = "recording"):
        try:  # bounded: an xz bomb stops at the limit instead of filling memory
            inflate = lzma.LZMADecompressor()
            text = inflate.decompress(blob, max_length=RECORDING_LIMIT)
            if not inflate.eof:
                raise SyncError(f"{origin}: not an envsolve recording (truncated, or more than "
                                f"{RECORDING_LIMIT // (1024 * 1024)} MiB decompressed)")
            data = json.loads(text)
        except (lzma.LZMAError, ValueError, RecursionError) as exc:
            raise SyncError(f"{origin}: not an envsolve recording ({exc})") from None
        if not isinstance(data, dict) or data.get("format") != RECORDING_FORMAT:
            raise SyncError(f"{origin}: not an {RECORDING_FORMAT} recording")
        responses, pages = data.get("responses"), data.get("pages", {})
        if not (isinstance(responses, dict) and all(isinstance(v, str) for v in responses.values())):
            raise SyncError(f"{origin}: 'responses' must map keys to text")
        if not (isinstance(pages, dict) and all(
                isinstance(p, dict) and isinstance(p.get("content_type"), str) and isinstance(p.get("body"), str)
                for p in pages.values())):
            raise SyncError(f"{origin}: 'pages' must map URLs to {{content_type, body}}")
        self.responses: dict[str, str] = responses
        self.pages: dict[str, dict[str, str]] = pages
        self.origin = origin

    def _get(self, key: str) -> str:
        try:
            return self.responses[key]
        except KeyError:
            raise SyncError(f"{self.origin} has no response for {key}") from None

    def simple(self, project: str) -> str:
        return self._get(f"simple:{canonicalize_name(project)}")

    def page(self, index: str, project: str) -> Page:
        url = page_url(index, project)
        try:
            recorded = self.pages[url]
        except KeyError:
            raise SyncError(f"{self.origin} has no page {url}") from None
        return Page(url, recorded["content_type"], recorded["body"])

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
    """A PEP 691 project page, every field envsolve reads checked for its type (a page, or a
    recording of one, may hold anything): a :class:`SyncError` names the file entry and field."""
    try:
        page = json.loads(text)
        files = page["files"]
    except (ValueError, KeyError, TypeError, RecursionError) as exc:
        raise SyncError(f"PyPI page of {project} is not PEP 691 JSON ({exc})") from None
    if not isinstance(page, dict) or not isinstance(files, list):
        raise SyncError(f"PyPI page of {project}: 'files' is not a list")
    for i, f in enumerate(files):
        where = f"PyPI page of {project}: files[{i}]"
        if not isinstance(f, dict):
            raise SyncError(f"{where} is not an object")
        for key in ("filename", "url"):
            if not isinstance(f.get(key), str) or not f[key]:
                raise SyncError(f"{where}.{key} is missing or not text")
        hashes = f.get("hashes", {})
        if not isinstance(hashes, dict) or not all(isinstance(v, str) for v in hashes.values()):
            raise SyncError(f"{where}.hashes is not an object of text")
        if "sha256" in hashes and not re.fullmatch(r"[0-9a-fA-F]{64}", hashes["sha256"]):
            raise SyncError(f"{where}.hashes.sha256 is not a sha256")
        if f.get("requires-python") is not None and not isinstance(f["requires-python"], str):
            raise SyncError(f"{where}.requires-python is not text")
        if not isinstance(f.get("yanked", False), (bool, str)):
            raise SyncError(f"{where}.yanked is neither true/false nor a reason")
        size = f.get("size")
        if size is not None and (not isinstance(size, int) or isinstance(size, bool) or size < 0):
            raise SyncError(f"{where}.size is not a byte count")
        for key in ("core-metadata", "dist-info-metadata", "data-dist-info-metadata"):
            value = f.get(key)
            if value is not None and not isinstance(value, (bool, dict)):
                raise SyncError(f"{where}.{key} is neither true/false nor a table of hashes")
    return page | {"files": files}


def _releases(files: list[dict], keep: Callable[[Version], bool]) -> dict[Version, list[dict]]:
    """Wheel files by release version, for the versions ``keep`` accepts."""
    out: dict[Version, list[dict]] = {}
    for f in files:
        name = f.get("filename", "")
        if not name.endswith(".whl"):
            continue
        try:
            _, version, _, _ = parse_wheel_filename(name)
        except (InvalidWheelFilename, InvalidVersion):
            continue
        if keep(version):
            out.setdefault(version, []).append(f)
    return out


def final_releases(floor: Version | None) -> Callable[[Version], bool]:
    """Accept final releases at or above ``floor`` (all final releases when None)."""

    def keep(version: Version) -> bool:
        return not (version.is_prerelease or version.is_devrelease) and (floor is None or version >= floor)

    return keep


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
    releases = harvest_releases(src, page["files"], final_releases(Version(floor) if floor else None), pool)
    return {
        "schema": "envsolve.catalog/1",
        "kind": "pypi",
        "project": canonicalize_name(project),
        "source": f"{PYPI_SIMPLE}{canonicalize_name(project)}/",
        "generated_by": f"envsolve catalog sync {canonicalize_name(project)}",
        "releases": releases,
    }


def harvest_releases(src: Source, files: list[dict], keep: Callable[[Version], bool],
                     pool: concurrent.futures.Executor) -> list[dict]:
    """The ``releases`` of a generated file (kinds pypi and index) from a page's PEP 691 file
    entries: per version that ``keep`` accepts, its wheels and the Requires-Dist of one
    representative wheel per platform (the newest CPython), grouped where they agree."""
    by_version = _releases(files, keep)
    jobs: dict[tuple[Version, str], concurrent.futures.Future] = {}
    plans: dict[Version, dict[str, list[str]]] = {}
    for version, vfiles in by_version.items():
        # Platforms sharing one representative share its metadata fetch.
        plan: dict[str, list[str]] = {}
        reps: dict[str, dict] = {}
        for platform in PLATFORMS:
            on_platform = [f for f in vfiles if platform in wheel_platforms(f["filename"])]
            if on_platform:
                rep = max(on_platform, key=lambda f: _python_rank(f["filename"]))
                reps[rep["filename"]] = rep
                plan.setdefault(rep["filename"], []).append(platform)
        for filename, rep in reps.items():
            jobs[(version, filename)] = pool.submit(src.metadata, rep)
        plans[version] = plan
    releases = []
    for version in sorted(by_version):
        vfiles = sorted(by_version[version], key=lambda f: f["filename"])
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
        entry: dict[str, Any] = {"version": str(version), **_release_state(vfiles)}
        entry["wheels"] = [_wheel_entry(f) for f in vfiles if "sha256" in f.get("hashes", {})]
        entry["metadata"] = sorted(groups.values(), key=lambda g: PLATFORMS.index(g["platforms"][0]))
        releases.append(entry)
    return releases


def harvest_library(src: Source, name: str) -> dict:
    page = _parse_simple(name, src.simple(name))
    versions = []
    for version, files in sorted(_releases(page["files"], final_releases(None)).items()):
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
