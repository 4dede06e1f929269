"""Read any simple repository page, PEP 691 JSON or PEP 503 HTML, and harvest a framework
index's builds from it (``envsolve catalog sync --index``).

Both forms become the same list of PEP 691 file entries, so :func:`resolver.pypi.harvest_releases`
turns either into catalog data and an index that serves both gives identical files. HTML is read
with the standard library's :mod:`html.parser` (anchors only); nothing on a page is executed.

A page is refused (:class:`PageError`, naming the page and the file and field) when it is not
JSON or HTML, when an anchor has no ``href``, when a link is neither a wheel of the project nor
a source distribution, when a URL is not https, carries credentials or leaves the index's host
(other than for the hosts the catalog schema trusts), or when a sha256 is not 64 hex digits.
"""

from __future__ import annotations

import concurrent.futures
import html.parser
import json
import re
import urllib.parse
from typing import Any, NamedTuple

from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.utils import InvalidWheelFilename, canonicalize_name, parse_wheel_filename
from packaging.version import InvalidVersion, Version

from .pypi import SIMPLE_HTML, SIMPLE_JSON, Page, Source, SyncError, harvest_releases, shown
from .schema import ALLOWED_HOSTS, url_error

SHA256_RE = re.compile(r"^[0-9a-f]{64}$")
SDIST_SUFFIXES = (".tar.gz", ".zip", ".tar.bz2")  # listed on simple pages, never harvested
HTML_TYPES = (SIMPLE_HTML, "text/html")
JSON_TYPES = (SIMPLE_JSON, "application/json")


class PageError(SyncError):
    """A simple-index page that cannot be used: the message names the page, file and field."""


class IndexHarvest(NamedTuple):
    """What one (index, project) sync found: the generated file's data, and the builds asked for
    that the index does not list."""

    data: dict
    missing: tuple[str, ...]


def harvest_index(src: Source, index: str, project: str, versions: tuple[str, ...],
                  pool: concurrent.futures.Executor) -> IndexHarvest:
    """The generated data (catalogs/README.md, kind index) of ``project``'s builds ``versions``
    (``2.8.0+cu128``: the public version and the local label) on the simple index ``index``."""
    page = src.page(index, project)
    files = parse_page(page, project, index)
    wanted = {Version(v) for v in versions}
    releases = harvest_releases(src, files, wanted.__contains__, pool)
    found = {Version(r["version"]) for r in releases}
    data = {
        "schema": "envsolve.catalog/1",
        "kind": "index",
        "index": index,
        "project": canonicalize_name(project),
        "source": page.url,
        "generated_by": f"envsolve catalog sync --index {index} {canonicalize_name(project)}",
        "releases": releases,
    }
    return IndexHarvest(data, tuple(v for v in versions if Version(v) not in found))


def parse_page(page: Page, project: str, index: str) -> list[dict]:
    """The file entries of a project page, in PEP 691 form: ``filename``, ``url`` (absolute,
    without fragment), ``hashes`` (``sha256`` when given), ``requires-python`` (None when not
    given), ``yanked`` (False, True or the reason), ``core-metadata`` (False, True or
    ``{"sha256": ...}``) and ``size`` (None when not given). Source distributions are left out."""
    if page.content_type in JSON_TYPES:
        return _json_files(page, project, index)
    if page.content_type in HTML_TYPES:
        return _html_files(page, project, index)
    raise PageError(f"{page.url}: served as {shown(page.content_type)}, neither PEP 691 JSON nor PEP 503 HTML")


# ---- PEP 691 JSON ------------------------------------------------------------------------------

def _json_files(page: Page, project: str, index: str) -> list[dict]:
    try:
        data = json.loads(page.body)
    except (ValueError, RecursionError) as exc:
        raise PageError(f"{page.url}: not JSON ({exc})") from None
    if not isinstance(data, dict):
        raise PageError(f"{page.url}: the top level is not a JSON object")
    meta = data.get("meta")
    api = meta.get("api-version") if isinstance(meta, dict) else None
    if not isinstance(api, str) or not re.fullmatch(r"1\.\d+", api):
        raise PageError(f"{page.url}: meta.api-version is {shown(str(api))}, not a 1.x PEP 691 version")
    name = data.get("name")
    if name is not None and (not isinstance(name, str) or canonicalize_name(name) != canonicalize_name(project)):
        raise PageError(f"{page.url}: name is {shown(str(name))}, not {project}")
    files = data.get("files")
    if not isinstance(files, list):
        raise PageError(f"{page.url}: files is not a list")
    out = []
    for i, f in enumerate(files):
        where = f"{page.url}: files[{i}]"
        if not isinstance(f, dict):
            raise PageError(f"{where} is not an object")
        filename, href = f.get("filename"), f.get("url")
        if not isinstance(filename, str) or not filename:
            raise PageError(f"{where}.filename is missing or not text")
        where = f"{where} ({shown(filename)})"
        if not isinstance(href, str) or not href:
            raise PageError(f"{where}.url is missing or not text")
        hashes = f.get("hashes", {})
        if not isinstance(hashes, dict):
            raise PageError(f"{where}.hashes is not an object")
        sha256 = hashes.get("sha256")
        if sha256 is not None and not isinstance(sha256, str):
            raise PageError(f"{where}.hashes.sha256 is not text")
        requires_python = f.get("requires-python")
        if requires_python is not None and not isinstance(requires_python, str):
            raise PageError(f"{where}.requires-python is not text")
        yanked = f.get("yanked", False)
        if not isinstance(yanked, (bool, str)):
            raise PageError(f"{where}.yanked is neither true/false nor a reason")
        size = f.get("size")
        if size is not None and (not isinstance(size, int) or isinstance(size, bool) or size < 0):
            raise PageError(f"{where}.size is not a byte count")
        key = next((k for k in ("core-metadata", "dist-info-metadata", "data-dist-info-metadata") if k in f), None)
        metadata: Any = f.get(key, False) if key else False
        if isinstance(metadata, dict):
            digest = metadata.get("sha256")
            if digest is not None and not isinstance(digest, str):
                raise PageError(f"{where}.{key}.sha256 is not text")
            metadata = {"sha256": _sha256(digest, f"{where}.{key}.sha256")} if digest is not None else True
        elif not isinstance(metadata, bool):
            raise PageError(f"{where}.{key} is neither true/false nor a table of hashes")
        entry = _entry(where, filename, urllib.parse.urljoin(page.url, href), project, index,
                       sha256=_sha256(sha256, f"{where}.hashes.sha256") if sha256 is not None else None,
                       requires_python=requires_python or None, yanked=(yanked or True) if yanked is not False else False,
                       metadata=metadata, size=size, field="url")
        if entry is not None:
            out.append(entry)
    return out


# ---- PEP 503 HTML ------------------------------------------------------------------------------

class _Anchors(html.parser.HTMLParser):
    """Collects the ``<a>`` tags of a page (with their line) and its ``<base href>``."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.anchors: list[tuple[int, dict[str, str | None]]] = []
        self.base: str | None = None
        self.tags = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags += 1
        if tag == "a":
            self.anchors.append((self.getpos()[0], dict(attrs)))
        elif tag == "base" and self.base is None:
            self.base = dict(attrs).get("href")


def _html_files(page: Page, project: str, index: str) -> list[dict]:
    parser = _Anchors()
    try:
        parser.feed(page.body)
        parser.close()
    except (ValueError, AssertionError) as exc:  # html.parser is lenient; this is a last resort
        raise PageError(f"{page.url}: not HTML ({exc})") from None
    if not parser.tags:
        raise PageError(f"{page.url}: not an HTML page (no tags)")
    base = urllib.parse.urljoin(page.url, parser.base) if parser.base else page.url
    out = []
    for line, attrs in parser.anchors:
        where = f"{page.url}: line {line}"
        href = attrs.get("href")
        if not href:
            raise PageError(f"{where}: <a> without href")
        url, _, fragment = urllib.parse.urljoin(base, href.strip()).partition("#")
        filename = urllib.parse.unquote(urllib.parse.urlsplit(url).path.rsplit("/", 1)[-1])
        where = f"{where} ({shown(filename or href)})"
        sha256 = None
        name, _, value = fragment.partition("=")
        if name == "sha256":
            sha256 = _sha256(value, f"{where}: #sha256")
        requires_python = attrs.get("data-requires-python")
        # PEP 592: the attribute's presence yanks the file; its value, when any, is the reason.
        yanked: bool | str = (attrs["data-yanked"] or True) if "data-yanked" in attrs else False
        metadata: Any = False
        for key in ("data-core-metadata", "data-dist-info-metadata"):
            if key in attrs:
                metadata = _html_metadata(attrs[key], f"{where}: {key}")
                break
        entry = _entry(where, filename, url, project, index, sha256=sha256, requires_python=requires_python or None,
                       yanked=yanked, metadata=metadata, size=None, field="href")
        if entry is not None:
            out.append(entry)
    return out


def _html_metadata(value: str | None, where: str) -> Any:
    """A PEP 714 ``data-core-metadata`` value: ``true``, or ``<hash name>=<hex digest>``."""
    text = (value or "").strip()
    if text.lower() in ("", "true"):
        return True
    name, sep, digest = text.partition("=")
    if not sep:
        raise PageError(f"{where}: {shown(text)} is neither 'true' nor '<hash>=<digest>'")
    return {"sha256": _sha256(digest, where)} if name == "sha256" else True


# ---- what both forms share ---------------------------------------------------------------------

def _sha256(value: str, where: str) -> str:
    digest = value.strip().lower()
    if not SHA256_RE.match(digest):
        raise PageError(f"{where}: {shown(value)} is not a sha256 (64 hex digits)")
    return digest


def _entry(where: str, filename: str, url: str, project: str, index: str, *, sha256: str | None,
           requires_python: str | None, yanked: bool | str, metadata: Any, size: int | None,
           field: str) -> dict | None:
    """One checked file entry, or None for a source distribution."""
    error = url_error(url)
    if error:
        raise PageError(f"{where}: {field} {shown(url)}: {error}")
    host = urllib.parse.urlsplit(url).hostname or ""
    if host != urllib.parse.urlsplit(index).hostname and host not in ALLOWED_HOSTS:
        raise PageError(f"{where}: {field} {shown(url)} leaves the index's host for {host!r}")
    if filename.endswith(SDIST_SUFFIXES):
        return None
    if not filename.endswith(".whl"):
        raise PageError(f"{where}: {shown(filename)} is neither a wheel nor a source distribution")
    try:
        name, _, _, _ = parse_wheel_filename(filename)
    except (InvalidWheelFilename, InvalidVersion) as exc:
        raise PageError(f"{where}: not a wheel filename ({exc})") from None
    if canonicalize_name(name) != canonicalize_name(project):
        raise PageError(f"{where}: a wheel of {name}, not of {project}")
    if requires_python is not None:
        try:
            SpecifierSet(requires_python)
        except InvalidSpecifier:
            raise PageError(f"{where}: requires-python {shown(requires_python)} is not a version specifier") from None
    return {
        "filename": filename,
        "url": url,
        "hashes": {"sha256": sha256} if sha256 else {},
        "requires-python": requires_python,
        "yanked": yanked,
        "core-metadata": metadata,
        "size": size,
    }
