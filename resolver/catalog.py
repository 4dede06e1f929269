"""The catalog model, and the only code that reads catalog files.

:func:`load` reads every ``*.yaml`` of a catalog folder (and its ``pypi/`` folder), checks each
against :mod:`resolver.schema`, resolves ``variants_from``, and returns a :class:`Catalog`. Every
problem in every file is collected and raised together as :class:`CatalogError`. A loaded catalog
is cached (pickle, keyed on the sha256 of every file's bytes and envsolve's version) so a fresh
process pays for the YAML only once.
"""

from __future__ import annotations

import os
import pickle
from pathlib import Path
from collections.abc import Mapping
from typing import Any, Iterator, NamedTuple

from . import __version__
from .errors import InputError

CATALOG_ENV = "ENVSOLVE_CATALOG_DIR"
GENERATED_FOLDERS = ("pypi", "index", "measured")
CACHE_ENV = "ENVSOLVE_CACHE_DIR"
MiB = 1024 * 1024
MAX_FILE = 64 * MiB  # the most one catalog file may hold (strictyaml's limit too)


# ---- errors ------------------------------------------------------------------------------------

class Diagnostic(NamedTuple):
    """One finding about a catalog file: ``file:line label: message``."""

    file: str
    line: int | None
    label: str
    message: str
    severity: str = "error"  # "error" or "warning"

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        label = f" {self.label}:" if self.label else ":"
        prefix = "" if self.severity == "error" else f"{self.severity}: "
        return f"{where}{label} {prefix}{self.message}"


class CatalogError(InputError):
    """The catalog cannot be loaded; ``diagnostics`` lists every problem found."""

    def __init__(self, diagnostics: list[Diagnostic]):
        self.diagnostics = diagnostics
        super().__init__("\n".join(str(d) for d in diagnostics))


# ---- the model ---------------------------------------------------------------------------------

class Where(NamedTuple):
    """Where a catalog entry was written, for messages: file, raw path, display path."""

    file: str
    path: tuple
    label: str


class Toolkit(NamedTuple):
    version: str  # "12.8"
    driver_min: dict[str, str]  # os -> driver
    archs: tuple[str, ...]
    source: tuple[str, ...]
    where: Where
    note: str | None = None

    @property
    def major(self) -> str:
        return self.version.split(".")[0]


class CudaMajor(NamedTuple):
    major: str
    libraries: str  # "suffixed" (nvidia-cublas-cu12) or "unsuffixed" (nvidia-cublas; cuDNN/NCCL keep -cu13)
    minor_compat_driver: dict[str, str]
    archs: tuple[str, ...]
    source: tuple[str, ...]
    where: Where


class LibraryNaming(NamedTuple):
    """How CUDA-major GPU-library distributions are named (cuda.yaml ``libraries``)."""

    suffix: str  # "-cu{major}"
    versioned_by_cuda: frozenset[str]  # unsuffixed distributions whose version is the CUDA version


class MatrixDefaults(NamedTuple):
    """What ``envsolve matrix`` and ``explore`` cover by default (os.yaml ``matrix``)."""

    pythons: tuple[str, ...]
    targets: tuple[tuple[str, str, tuple[str, ...]], ...]  # (os, arch, accelerators)
    explore_editions: tuple[str, ...] = ()  # Linux editions the explorer offers by default (x86_64)


class Gpu(NamedTuple):
    name: str
    compute_capability: str
    architecture: str
    segment: str
    aliases: tuple[str, ...]
    source: tuple[str, ...]
    where: Where

    @property
    def sm(self) -> str:
        return "sm_" + self.compute_capability.replace(".", "")


class OsInfo(NamedTuple):
    name: str
    arches: tuple[str, ...]
    driver_side: str
    accelerators: tuple[str, ...]
    note: str | None
    source: tuple[str, ...]


class DistroPython(NamedTuple):
    python: str
    manager: str  # apt | dnf: how the distribution's own repositories install it
    packages: tuple[str, ...]  # what to install (python3.11, python3.11-pip)
    executable: str  # python3, python3.11


class Distribution(NamedTuple):
    """A Linux edition as a target: linux with this glibc (os.yaml ``distributions``)."""

    name: str  # ubuntu-22.04
    glibc: str
    arches: tuple[str, ...]
    os_release: tuple[str, str]  # (ID, VERSION_ID) of /etc/os-release
    image: str | None
    pythons: tuple[DistroPython, ...]
    note: str | None
    source: tuple[str, ...]


class WindowsEdition(NamedTuple):
    name: str  # windows-11
    note: str
    source: tuple[str, ...]


class OsSupport(NamedTuple):
    framework: str
    os: str
    accelerators: dict[str, str]  # accelerator -> specifier over framework versions, or "none"
    note: str | None
    source: tuple[str, ...]


class Variant(NamedTuple):
    name: str
    accelerator: str
    index: str  # type: ignore[assignment]  # "pypi" or an index URL (shadows tuple.index, unused)
    index_id: str  # "pypi" or the id in the framework's `indexes`
    pypi_default: tuple[str, ...]
    platforms: tuple[str, ...]
    python: tuple[str, ...]
    cuda: str | None
    cudnn: str | None  # the build's cuDNN, or (a specifier) the cuDNN it accepts
    nccl: str | None
    label: str  # the local version label of its wheels on a framework index (2.8.0+cu128)
    kernels: tuple[KernelList, ...]  # per platform; curated from documents
    glibc: tuple[GlibcFloor, ...]  # an index build's documented glibc floor per Linux platform
    requires: tuple[str, ...] | None  # an index build's Requires-Dist, curated (None: not given)
    parsed_requires: tuple[tuple, ...]  # as MetadataGroup.parsed
    unknown_requires: str | None  # why an index build's exact requirements are not catalogued
    extra: str | None
    packages: tuple[str, ...]
    system_cuda: bool
    driver_min: dict[str, str]
    broken: str | None
    note: str | None
    source: tuple[str, ...]
    where: Where


class KernelList(NamedTuple):
    """The GPU kernels one build ships on some platforms: SASS targets and PTX targets."""

    platforms: tuple[str, ...]
    sass: tuple[str, ...]
    ptx: tuple[str, ...]
    source: tuple[str, ...]
    method: str  # "document" (curated), "fatbin" (read from the wheel's CUDA libraries), "build-flags"
    note: str | None = None


class GlibcFloor(NamedTuple):
    """The oldest glibc an index build's Linux wheels install on (its build image), documented."""

    platforms: tuple[str, ...]
    glibc: str
    source: tuple[str, ...]
    note: str | None = None


class CudaPackages(NamedTuple):
    """Packages besides the nvidia-* libraries that carry one CUDA major, and what collides between
    majors (cuda.yaml ``cuda_packages``)."""

    placeholders: tuple[tuple[str, str], ...]  # (name pattern, versions) of placeholder wheels (no libraries)
    labels: tuple[str, ...]  # local-label patterns, one group = the CUDA digits (cu128 -> 128)
    names: tuple[tuple[str, str | None], ...]  # (name pattern, major); None: the group is the major
    versions: tuple[tuple[str, str, str], ...]  # (name, version specifier, major)
    collisions: tuple[tuple[str, tuple[str, ...]], ...]  # (family, files both majors' wheels install)


class CudnnSupport(NamedTuple):
    """The GPUs a cuDNN release line supports for some CUDA majors (cuda.yaml ``cudnn``)."""

    versions: str  # a specifier over cuDNN versions
    cuda_majors: tuple[str, ...]
    min_compute_capability: str
    source: tuple[str, ...]
    note: str | None


class Release(NamedTuple):
    version: str
    variants: tuple[Variant, ...]
    broken: str | None
    note: str | None
    source: tuple[str, ...]
    where: Where

    def variant(self, name: str) -> Variant | None:
        return next((v for v in self.variants if v.name == name), None)


class Framework(NamedTuple):
    name: str
    aliases: tuple[str, ...]
    distribution: str
    companions: tuple[str, ...]
    indexes: dict[str, str]
    releases: tuple[Release, ...]
    file: str
    sync_floors: dict[str, str]  # distribution -> lowest version synced

    def release(self, version: str) -> Release | None:
        return next((r for r in self.releases if r.version == version), None)


class MetadataGroup(NamedTuple):
    """Requires-Dist of the wheels for some platforms, read from one wheel's .metadata file."""

    platforms: tuple[str, ...]
    source_file: str
    requires_dist: tuple[str, ...]
    provides_extra: tuple[str, ...]
    parsed: tuple[tuple, ...]  # requires_dist pre-parsed: (name, extras, specifier, marker or None)


class PypiRelease(NamedTuple):
    version: str
    requires_python: str | None
    yanked: str | None
    wheels_blob: bytes  # pickled ((filename, sha256, url), ...): only lock sets and `show` read it
    metadata: tuple[MetadataGroup, ...]
    where: Where
    pythons: dict[str, tuple[str, ...]]  # platform -> CPython versions with a wheel ("3.12", "any", "3.9+")
    glibc: dict[str, tuple[tuple[tuple[str, ...], str | None], ...]] = {}  # Linux platform -> (Python labels, glibc) per wheel

    def wheels(self) -> tuple[tuple[str, str, str], ...]:
        """The release's wheel files: (filename, sha256, url)."""
        return pickle.loads(self.wheels_blob)


class PypiProject(NamedTuple):
    name: str
    source: tuple[str, ...]
    releases: dict[str, PypiRelease]
    file: str


class Library(NamedTuple):
    """A GPU-library distribution (nvidia-*, cuda-*): its versions and their wheel platforms."""

    name: str
    versions: dict[str, tuple[str, ...]]  # version -> platforms with wheels
    pythons: dict[str, dict[str, tuple[str, ...]]]  # version -> platform -> CPython labels of its wheels
    glibc: dict[str, dict[str, tuple[tuple[tuple[str, ...], str | None], ...]]]  # version -> Linux platform -> per wheel
    requires_python: dict[str, str]  # version -> Requires-Python, where one is declared
    yanked: frozenset[str]
    source: tuple[str, ...]
    wheels_blob: bytes  # pickled {version: ((filename, sha256, url), ...)}: only lock sets need it

    def wheels(self, version: str) -> tuple[tuple[str, str, str], ...]:
        """The wheel files of one version: (filename, sha256, url)."""
        return pickle.loads(self.wheels_blob).get(version, ())


class Catalog(NamedTuple):
    root: str
    digest: str  # sha256 over every file's name and bytes
    files: dict[str, str]  # file name inside the catalog folder -> sha256
    toolkits: dict[str, Toolkit]
    majors: dict[str, CudaMajor]
    library_naming: LibraryNaming
    architectures: tuple[str, ...]  # GPU architecture names
    pythons: tuple[str, ...]  # CPython versions known, oldest first
    matrix: MatrixDefaults
    gpus: tuple[Gpu, ...]
    oses: dict[str, OsInfo]
    distributions: dict[str, Distribution]  # by name (ubuntu-22.04)
    windows_editions: dict[str, WindowsEdition]
    manylinux_legacy: dict[str, str]
    support: tuple[OsSupport, ...]
    frameworks: dict[str, Framework]  # by canonical name
    pypi: Mapping[str, PypiProject]  # a LazyProjects
    indexed: dict[tuple[str, str], PypiProject]  # (index URL, project) -> builds harvested from that index
    measured: dict[tuple[str, str, str, str], KernelList]  # (project, version, label, platform) -> kernels
    cudnn_support: tuple[CudnnSupport, ...]
    cuda_packages: CudaPackages
    libraries: dict[str, Library]
    markers: dict[str, dict[str, int]]  # marker text -> {extra: bitmask of (platform, python)} where it holds
    lines: dict[str, dict[tuple, int]] | None = None  # file -> path -> line; only when not cached

    def framework(self, name: str) -> Framework | None:
        """Look a framework up by name or alias (case-insensitive)."""
        key = name.lower()
        for fw in self.frameworks.values():
            if key == fw.name or key in fw.aliases or key == fw.distribution:
                return fw
        return None

    def locate(self, where: Where, *sub: str | int) -> Diagnostic:
        """A diagnostic skeleton (message empty) for ``where`` plus sub-path ``sub``."""
        path = where.path + tuple(sub)
        label = where.label
        for key in sub:
            label = f"{label}[{key}]" if isinstance(key, int) else f"{label}.{key}"
        line = None
        if self.lines and where.file in self.lines:
            lines = self.lines[where.file]
            probe = path
            while probe and probe not in lines:
                probe = probe[:-1]
            line = lines.get(probe)
        return Diagnostic(where.file, line, label, "")


_NAME_SEP = None


def canonicalize_name(name: str) -> str:
    """PEP 503 normalisation (as packaging.utils does; kept here off the import path)."""
    global _NAME_SEP
    if _NAME_SEP is None:
        import re

        _NAME_SEP = re.compile(r"[-_.]+")
    return _NAME_SEP.sub("-", name).lower()


class LazyProjects(Mapping):
    """The generated PyPI data, one pickle per project, unpickled on first access: a solve for
    torch+tensorflow never pays for jaxlib's thousands of wheels."""

    def __init__(self, blobs: dict[str, bytes]):
        self._blobs = blobs
        self._loaded: dict[str, PypiProject] = {}

    @classmethod
    def of(cls, projects: dict[str, PypiProject]) -> LazyProjects:
        lazy = cls({name: pickle.dumps(p, protocol=pickle.HIGHEST_PROTOCOL) for name, p in projects.items()})
        lazy._loaded.update(projects)
        return lazy

    def __getitem__(self, name: str) -> PypiProject:
        try:
            return self._loaded[name]
        except KeyError:
            project = self._loaded[name] = pickle.loads(self._blobs[name])
            return project

    def __contains__(self, name) -> bool:
        return name in self._blobs

    def __iter__(self):
        return iter(self._blobs)

    def __len__(self) -> int:
        return len(self._blobs)

    def __reduce__(self):
        return (LazyProjects, (self._blobs,))


# ---- locating and reading files ----------------------------------------------------------------

def default_root() -> Path:
    """The shipped catalogs: inside the installed package, or the source checkout's top level."""
    override = os.environ.get(CATALOG_ENV)
    if override:
        return Path(override)
    here = Path(__file__).resolve().parent
    packaged = here / "catalogs"
    if (packaged / "cuda.yaml").is_file():
        return packaged
    return here.parent / "catalogs"


def _catalog_files(root: Path) -> list[Path]:
    """Every catalog file: curated ones at the top, generated ones in pypi/ (PyPI), index/ (framework
    indexes) and measured/ (facts read from wheels)."""
    files = sorted(root.glob("*.yaml"))
    for folder in GENERATED_FOLDERS:
        files += sorted((root / folder).glob("*.yaml"))
    return files


def _display(root: Path, path: Path, shipped: bool | None = None) -> str:
    """How a file is named in messages: ``catalogs/...`` for the shipped catalog, else a path
    relative to the working folder where that is shorter."""
    rel = path.relative_to(root).as_posix()
    if shipped if shipped is not None else root.resolve() == default_root().resolve():
        return f"catalogs/{rel}"
    shown = os.path.relpath(path)
    return shown if not shown.startswith("..") else str(path)


def _cache_dir() -> Path:
    override = os.environ.get(CACHE_ENV)
    if override:
        return Path(override)
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "envsolve"


def load(root: str | Path | None = None, *, use_cache: bool = True, keep_lines: bool = False) -> Catalog:
    """Load and validate the catalog in ``root`` (default: the shipped one).

    Raises :class:`CatalogError` listing every problem. ``keep_lines`` keeps a line table for
    messages (lint needs it); it bypasses the cache.
    """
    root = Path(root) if root is not None else default_root()
    if not root.is_dir():
        raise CatalogError([Diagnostic(str(root), None, "", "catalog folder not found")])
    paths = _catalog_files(root)
    import hashlib

    from .inputs import UnsafeInput, read_bytes

    # The cache is keyed on content: the sha256 of every catalog file and of the code that builds
    # the model. Reading and hashing the ~3 MB of YAML costs a few milliseconds; a file edited
    # without changing its size or modification time is still seen.
    code = hashlib.sha256(__version__.encode())
    for module in ("catalog.py", "schema.py", "strictyaml.py", "platforms.py"):
        try:
            code.update(module.encode() + b"\0" + (Path(__file__).parent / module).read_bytes())
        except OSError:
            pass
    blobs: dict[str, bytes] = {}  # display name -> bytes
    files: dict[str, str] = {}  # name inside the catalog folder -> sha256
    problems: list[Diagnostic] = []
    digest = hashlib.sha256()
    shipped = root.resolve() == default_root().resolve()
    for path in paths:
        rel = path.relative_to(root).as_posix()
        try:  # regular files inside the catalog folder only, bounded (a FIFO or /dev/zero never ends)
            blob = blobs[_display(root, path, shipped)] = read_bytes(path, MAX_FILE, tree=root)
        except UnsafeInput as exc:
            problems.append(Diagnostic(_display(root, path, shipped), None, "", exc.reason))
            continue
        files[rel] = hashlib.sha256(blob).hexdigest()
        digest.update(rel.encode() + b"\0" + files[rel].encode() + b"\0")
    if problems:
        raise CatalogError(problems)
    catalog_digest = digest.hexdigest()
    digest.update(code.digest())
    key = digest.hexdigest()[:32]
    cache = _cache_dir() / f"catalog-{key}.pickle"
    if use_cache and not keep_lines:
        cat = _read_cache(cache)
        if cat is not None and cat.digest == catalog_digest:
            return cat._replace(root=str(root))
    cat = _build(root, blobs, files, catalog_digest)
    if use_cache:
        payload = pickle.dumps(cat._replace(lines=None), protocol=pickle.HIGHEST_PROTOCOL)
        _write_cache_files({cache: _CACHE_MAGIC + _checksum(payload) + payload})
    return cat if keep_lines else cat._replace(lines=None)


_CACHE_MAGIC = b"envsolve-catalog-cache/3\n"


def _checksum(payload: bytes | memoryview) -> bytes:
    """Two CRC-32s (forwards, and of the length and the tail) of a cache entry: enough to see a
    truncated or damaged entry (the cache folder is the user's own, so no adversary forges one), at
    a third of sha256's cost on the solve path; the key itself is a sha256 of the content."""
    import zlib

    return (zlib.crc32(payload).to_bytes(4, "big") + len(payload).to_bytes(8, "big")
            + zlib.crc32(payload[-65536:]).to_bytes(4, "big"))


def _read_cache(path: Path) -> Catalog | None:
    """The cached catalog, or None for a miss: a missing, truncated, corrupt or foreign entry is a
    miss (the catalog is rebuilt and the entry replaced), never an error. The entry carries a
    checksum of its pickle, so damage anywhere (the lazily unpickled projects too) is seen here."""
    from .inputs import UnsafeInput, read_bytes

    try:
        blob = read_bytes(path, 1024 * MiB)
    except UnsafeInput:
        return None
    head = len(_CACHE_MAGIC) + 16
    payload = memoryview(blob)[head:]  # no copy of the megabytes
    if not blob.startswith(_CACHE_MAGIC) or _checksum(payload) != blob[len(_CACHE_MAGIC):head]:
        return None
    try:
        cat = pickle.loads(payload)
    except Exception:  # noqa: BLE001 - any unreadable entry is a cache miss
        return None
    return cat if isinstance(cat, Catalog) else None


def verdict_key(cat: Catalog, code: tuple[str, ...]) -> str:
    """The key of a verdict about ``cat`` (its lint result, say): the catalog's content, envsolve's
    version, and the bytes of the modules (files or folders of ``*.py`` in the package) that reach it."""
    import hashlib

    here = Path(__file__).parent
    h = hashlib.sha256(f"{cat.digest}\0{__version__}\0".encode())
    for name in code:
        for path in sorted((here / name).glob("*.py")) if (here / name).is_dir() else [here / name]:
            try:
                h.update(path.name.encode() + b"\0" + path.read_bytes())
            except OSError:
                pass
    return h.hexdigest()[:32]


def cache_flag(kind: str, key: str) -> bool:
    """Was ``kind`` (a verdict about a catalog, such as "lint-ok") recorded for ``key``?"""
    return os.path.isfile(_cache_dir() / f"{kind}-{key}")


def set_cache_flag(kind: str, key: str) -> None:
    """Record ``kind`` for ``key`` in the cache (best effort)."""
    _write_cache_files({_cache_dir() / f"{kind}-{key}": b""})


def _write_cache_files(files: dict[Path, bytes]) -> None:
    """Best effort: a cache that cannot be written only costs time. Only the few newest entries
    of each kind are kept (a few catalog folders in turn do not rebuild each other's cache)."""
    from .writer import WriteError, write_files

    try:
        write_files(files)
    except WriteError:
        return
    folder = next(iter(files)).parent
    for prefix in {path.name.split("-")[0] for path in files}:
        try:
            entries = sorted(folder.glob(f"{prefix}-*"), key=lambda p: p.stat().st_mtime_ns, reverse=True)
            for old in entries[4:]:
                old.unlink(missing_ok=True)
        except OSError:
            pass


def parse_file(display: str, blob: bytes) -> tuple[str | None, Any, Any, list[Diagnostic]]:
    """Read one catalog file: (kind, checked data, strictyaml document, problems)."""
    from . import schema, strictyaml  # only needed when the cache misses

    try:
        doc = strictyaml.load(blob)
    except strictyaml.YamlError as exc:
        return None, None, None, [Diagnostic(display, exc.line, "", exc.message)]
    if not isinstance(doc.data, dict):
        return None, None, doc, [Diagnostic(display, doc.line_of(()), "", "top level must be a mapping")]
    kind_node = doc.data.get("kind")
    kind = kind_node.text if isinstance(kind_node, strictyaml.Scalar) else None
    spec = schema.FILE_SPECS.get(kind or "")
    if spec is None:
        return None, None, doc, [
            Diagnostic(display, doc.line_of(("kind",)), "kind",
                       f"missing or unknown file kind {kind!r} ({', '.join(schema.FILE_SPECS)})")
        ]
    sources = doc.data.get("sources")
    ids = frozenset(sources) if isinstance(sources, dict) else frozenset()
    data, found = schema.check(spec, doc.data, ids)
    problems = [Diagnostic(display, doc.line_of(p.path), p.label, p.message) for p in found]
    return kind, data, doc, problems


def _build(root: Path, blobs: dict[str, bytes], files: dict[str, str], key: str) -> Catalog:
    from . import schema
    problems: list[Diagnostic] = []
    parts: dict[str, list[tuple[str, dict]]] = {k: [] for k in schema.FILE_SPECS}
    lines: dict[str, dict[tuple, int]] = {}
    for display, blob in blobs.items():
        kind, data, doc, found = parse_file(display, blob)
        problems.extend(found)
        if doc is not None:
            lines[display] = doc.lines
        if kind is not None and isinstance(data, dict):
            parts[kind].append((display, data))
    for kind in ("cuda", "gpus", "os"):
        if not problems and len(parts[kind]) != 1:
            problems.append(Diagnostic(f"catalogs/{kind}.yaml", None, "",
                                       f"expected exactly one file of kind {kind!r}, found {len(parts[kind])}"))
    if problems:
        raise CatalogError(problems)
    builder = _Builder(lines)
    cat = builder.build(str(root), key, files, parts)
    if builder.problems:
        raise CatalogError(builder.problems)
    return cat


def _src(entry: dict, default: tuple[str, ...] = (), ids: dict[str, str] | None = None) -> tuple[str, ...]:
    """An entry's sources with ids from the file's ``sources:`` map resolved to their URLs."""
    found = tuple((ids or {}).get(s, s) for s in entry.get("source", ()))
    return found or default


class _Builder:
    """Turns checked data into the model; records semantic problems found on the way."""

    def __init__(self, lines: dict[str, dict[tuple, int]]):
        self.lines = lines
        self.problems: list[Diagnostic] = []
        self.marker_texts: set[str] = set()
        self.legacy: dict[str, str] = {}

    def fail(self, file: str, path: tuple, label: str, message: str) -> None:
        lines = self.lines.get(file, {})
        probe = path
        while probe and probe not in lines:
            probe = probe[:-1]
        self.problems.append(Diagnostic(file, lines.get(probe), label, message))

    def build(self, root, key, files, parts) -> Catalog:
        from . import schema
        from .platforms import PLATFORMS, wheel_platforms, wheel_pythons
        cuda_file, cuda = parts["cuda"][0]
        _ids = lambda data: data.get("sources", {})  # noqa: E731
        toolkits = {}
        for i, t in enumerate(cuda.get("toolkits", [])):
            where = Where(cuda_file, ("toolkits", i), f"toolkits[{t['version']}]")
            toolkits[t["version"]] = Toolkit(t["version"], t["driver_min"], tuple(t["archs"]), _src(t, ids=_ids(cuda)), where, t.get("note"))
        majors = {}
        for i, m in enumerate(cuda.get("majors", [])):
            where = Where(cuda_file, ("majors", i), f"majors[{m['major']}]")
            majors[m["major"]] = CudaMajor(m["major"], m["libraries"], m["minor_compat_driver"], tuple(m["archs"]),
                                           _src(m, ids=_ids(cuda)), where)
        naming = LibraryNaming(cuda["libraries"]["suffix"], frozenset(cuda["libraries"]["versioned_by_cuda"]))

        gpus_file, gdata = parts["gpus"][0]
        architectures = tuple(a["name"] for a in gdata.get("architectures", []))
        gpus = []
        seen_alias: dict[str, str] = {}
        for i, g in enumerate(gdata.get("gpus", [])):
            where = Where(gpus_file, ("gpus", i), f"gpus[{g['name']}]")
            if g["architecture"] not in architectures:
                self.fail(gpus_file, ("gpus", i, "architecture"), f"{where.label}.architecture",
                          f"{g['architecture']!r} is not one of the architectures listed in this file "
                          f"({', '.join(architectures)})")
            aliases = tuple(g.get("aliases", ()))
            for j, alias in enumerate((g["name"],) + aliases):
                folded = alias.casefold()
                if folded in seen_alias and seen_alias[folded] != g["name"]:
                    self.fail(gpus_file, ("gpus", i, "aliases", j - 1) if j else ("gpus", i), where.label,
                              f"name {alias!r} is already used by {seen_alias[folded]!r}")
                seen_alias[folded] = g["name"]
            gpus.append(Gpu(g["name"], g["compute_capability"], g["architecture"], g["segment"], aliases,
                            _src(g, ids=_ids(gdata)), where))

        os_file, odata = parts["os"][0]
        oses = {o["name"]: OsInfo(o["name"], tuple(o["arches"]), o["driver_side"], tuple(o["accelerators"]),
                                  o.get("note"), _src(o, ids=_ids(odata))) for o in odata.get("oses", [])}
        distributions = {
            d["name"]: Distribution(d["name"], d["glibc"], tuple(d.get("arches", ())),
                                    (d["os_release"]["id"], d["os_release"]["version"]), d.get("image"),
                                    tuple(DistroPython(p["python"], p["manager"], tuple(p["packages"]), p["executable"])
                                          for p in d.get("pythons", ())), d.get("note"), _src(d, ids=_ids(odata)))
            for d in odata.get("distributions", [])}
        windows_editions = {w["name"]: WindowsEdition(w["name"], w["note"], _src(w, ids=_ids(odata)))
                            for w in odata.get("windows_editions", [])}
        self.legacy = dict(odata.get("manylinux", {}).get("legacy", {}))
        support = tuple(
            OsSupport(s["framework"], s["os"], {a: s[a] for a in schema.ACCELERATORS if a in s}, s.get("note"),
                      _src(s, ids=_ids(odata)))
            for s in odata.get("support", [])
        )
        legacy = self.legacy
        known_pythons = tuple(odata["pythons"]["versions"])
        mdata = odata.get("matrix", {"pythons": [], "targets": []})
        matrix = MatrixDefaults(tuple(mdata["pythons"]),
                                tuple((t["os"], t["arch"], tuple(t["accelerators"])) for t in mdata["targets"]),
                                tuple(mdata.get("explore_editions", ())))
        for name in matrix.explore_editions:
            if name not in distributions:
                self.fail(os_file, ("matrix", "explore_editions"), "matrix.explore_editions",
                          f"{name!r} is not in distributions")

        frameworks: dict[str, Framework] = {}
        for file, fdata in parts["framework"]:
            fw = self._framework(file, fdata)
            if fw.name in frameworks:
                self.fail(file, ("name",), "name", f"framework {fw.name!r} is also defined in {frameworks[fw.name].file}")
            frameworks[fw.name] = fw

        pypi: dict[str, PypiProject] = {}
        libraries: dict[str, Library] = {}
        for file, pdata in parts["pypi"]:
            for lib in pdata.get("libraries", []):
                versions = {v["version"]: tuple(v["platforms"]) for v in lib["versions"]}
                yanked = frozenset(v["version"] for v in lib["versions"] if v.get("yanked"))
                wheels = {v["version"]: tuple((w["filename"], w["sha256"], w["url"]) for w in v.get("wheels", ()))
                          for v in lib["versions"]}
                lib_pythons = {ver: {plat: tuple(wheel_pythons([w[0] for w in ws if plat in wheel_platforms(w[0])]))
                                     for plat in versions[ver]} for ver, ws in wheels.items() if ws}
                lib_glibc = {ver: self.glibc_table([w[0] for w in ws]) for ver, ws in wheels.items() if ws}
                requires_python = {v["version"]: v["requires_python"] for v in lib["versions"] if v.get("requires_python")}
                libraries[lib["name"]] = Library(lib["name"], versions, lib_pythons, lib_glibc, requires_python, yanked,
                                                 _src(lib, _src(pdata)),
                                                 pickle.dumps(wheels, protocol=pickle.HIGHEST_PROTOCOL))
            if "project" in pdata:
                pypi[pdata["project"]] = self._project(file, pdata)
        indexed: dict[tuple[str, str], PypiProject] = {}
        for file, idata in parts["index"]:
            indexed[(idata["index"].rstrip("/"), idata["project"])] = self._project(file, idata)
        measured: dict[tuple[str, str, str, str], KernelList] = {}
        for file, kdata in parts["kernels"]:
            for b in kdata.get("builds", []):
                wheel = b["wheel"]
                build = (b["project"], b["version"], b["label"], b["platform"])
                if build in measured and measured[build].method == "fatbin" and b["method"] != "fatbin":
                    continue  # the libraries' own fatbins win over the flags they were built with
                measured[build] = KernelList(
                    (b["platform"],), tuple(b["sass"]), tuple(b["ptx"]), (wheel["url"],), b["method"], b.get("note"))
        cp = cuda.get("cuda_packages") or {}
        cuda_packages = CudaPackages(
            tuple((e["pattern"], e["versions"]) for e in cp.get("placeholders", ())),
            tuple(e["pattern"] for e in cp.get("labels", ())),
            tuple((e["pattern"], e.get("major")) for e in cp.get("names", ())),
            tuple((canonicalize_name(e["name"]), e["versions"], e["major"]) for e in cp.get("versions", ())),
            tuple((e["family"], tuple(e["files"])) for e in cp.get("collisions", ())))
        cudnn_support = tuple(CudnnSupport(c["versions"], tuple(c["cuda_majors"]), c["min_compute_capability"],
                                           _src(c, ids=_ids(cuda)), c.get("note")) for c in cuda.get("cudnn", []))

        return Catalog(root, key, files, toolkits, majors, naming, architectures, known_pythons, matrix, tuple(gpus),
                       oses, distributions, windows_editions, legacy, support, frameworks, LazyProjects.of(pypi), indexed, measured,
                       cudnn_support, cuda_packages, libraries, self.marker_table(known_pythons), self.lines)

    def _project(self, file: str, pdata: dict[str, Any]) -> PypiProject:
        """The releases of one project's generated file (from PyPI or from a framework index)."""
        from .platforms import PLATFORMS, wheel_platforms, wheel_pythons

        releases = {}
        for i, r in enumerate(pdata.get("releases", [])):
            where = Where(file, ("releases", i), f"releases[{r['version']}]")
            groups = tuple(
                MetadataGroup(tuple(m["platforms"]), m["from"], tuple(m["requires_dist"]),
                              tuple(m.get("provides_extra", ())), self.parse_requires(m["requires_dist"]))
                for m in r.get("metadata", [])
            )
            artifacts = tuple((w["filename"], w["sha256"], w["url"]) for w in r["wheels"])
            pythons = {plat: tuple(wheel_pythons([f[0] for f in artifacts if plat in wheel_platforms(f[0])]))
                       for plat in PLATFORMS}
            releases[r["version"]] = PypiRelease(r["version"], r.get("requires_python"), r.get("yanked"),
                                                 pickle.dumps(artifacts, protocol=pickle.HIGHEST_PROTOCOL),
                                                 groups, where, pythons, self.glibc_table([f[0] for f in artifacts]))
        return PypiProject(pdata["project"], _src(pdata), releases, file)

    def glibc_table(self, filenames: list[str]) -> dict[str, tuple[tuple[tuple[str, ...], str | None], ...]]:
        """Linux platform -> ((Python labels, lowest glibc), ...) of each wheel, deduplicated."""
        from .platforms import wheel_glibc, wheel_platforms, wheel_pythons

        out: dict[str, set[tuple[tuple[str, ...], str | None]]] = {}
        for name in filenames:
            for plat in wheel_platforms(name):
                if plat.startswith("linux-"):
                    out.setdefault(plat, set()).add((tuple(wheel_pythons([name])), wheel_glibc(name, self.legacy)))
        return {plat: tuple(sorted(entries, key=str)) for plat, entries in out.items()}

    def parse_requires(self, lines) -> tuple[tuple, ...]:
        """Parse requirement lines once, at build time, so solving needs no PEP 508 parser."""
        from packaging.requirements import Requirement

        out = []
        for line in lines:
            req = Requirement(line)
            marker = str(req.marker) if req.marker else None
            if marker:
                self.marker_texts.add(marker)
            out.append((canonicalize_name(req.name), tuple(sorted(req.extras)), str(req.specifier), marker))
        return tuple(out)

    def marker_table(self, pythons: tuple[str, ...]) -> dict[str, dict[str, int]]:
        """Where each distinct marker holds, evaluated with packaging once per catalog build:
        marker -> {extra: bitmask over (platform, each of the catalog's ``pythons``)}. Only the
        extras a marker names are listed; for any other extra it evaluates as with no extra ("")."""
        import re

        from packaging.markers import Marker

        from .platforms import PLATFORMS, environment

        table = {}
        for text in sorted(self.marker_texts):
            marker = Marker(text)
            extras = {""} | set(re.findall(r"extra\s*==\s*[\"']([^\"']+)[\"']", text))
            table[text] = {
                extra: sum(1 << (i * len(pythons) + j)
                           for i, platform in enumerate(PLATFORMS) for j, python in enumerate(pythons)
                           if marker.evaluate(environment(platform, python) | {"extra": extra}))
                for extra in sorted(extras)
            }
        return table

    def _framework(self, file: str, data: dict) -> Framework:
        indexes = dict(data.get("indexes", {}))
        ids = data.get("sources", {})
        releases: list[Release] = []
        by_version: dict[str, Release] = {}
        for i, r in enumerate(data.get("releases", [])):
            rpath = ("releases", i)
            rlabel = f"releases[{i}]"
            variants: dict[str, Variant] = {}
            base = r.get("variants_from")
            if base is not None:
                if base not in by_version:
                    self.fail(file, rpath + ("variants_from",), rlabel + ".variants_from",
                              f"release {base!r} is not defined above this one")
                else:
                    variants = {v.name: v for v in by_version[base].variants}
            for j, v in enumerate(r.get("variants", [])):
                vpath = rpath + ("variants", j)
                vlabel = f"{rlabel}.variants[{v['name']}]"
                index_id = v["index"]
                if index_id == "pypi":
                    index = "pypi"
                elif index_id in indexes:
                    index = indexes[index_id]
                else:
                    self.fail(file, vpath + ("index",), vlabel + ".index",
                              f"unknown index {index_id!r}; known: pypi, {', '.join(sorted(indexes)) or '(none)'}")
                    continue
                variants[v["name"]] = Variant(
                    name=v["name"], accelerator=v["accelerator"], index=index, index_id=index_id,
                    pypi_default=tuple(v.get("pypi_default", ())), platforms=tuple(v.get("platforms", ())),
                    python=tuple(v.get("python", ())), cuda=v.get("cuda"), cudnn=v.get("cudnn"), nccl=v.get("nccl"),
                    label=v.get("label", v["name"]),
                    kernels=tuple(KernelList(tuple(k["platforms"]), tuple(k["sass"]), tuple(k["ptx"]),
                                             _src(k, _src(v, _src(r, ids=ids), ids), ids), "document", k.get("note"))
                                  for k in v.get("kernels", ())),
                    glibc=tuple(GlibcFloor(tuple(g["platforms"]), g["glibc"], _src(g, _src(v, _src(r, ids=ids), ids), ids),
                                           g.get("note")) for g in v.get("glibc", ())),
                    requires=tuple(v["requires"]) if "requires" in v else None,
                    parsed_requires=self.parse_requires(v.get("requires", ())),
                    unknown_requires=v.get("unknown_requires"),
                    extra=v.get("extra"), packages=tuple(v.get("packages", ())), system_cuda=bool(v.get("system_cuda", False)),
                    driver_min=dict(v.get("driver_min", {})), broken=v.get("broken"), note=v.get("note"),
                    source=_src(v, _src(r, ids=ids), ids), where=Where(file, vpath, vlabel),
                )
                if not variants[v["name"]].source:
                    self.fail(file, vpath, vlabel, "no source: give the variant or its release a 'source:'")
            release = Release(r["version"], tuple(variants.values()), r.get("broken"), r.get("note"), _src(r, ids=ids),
                              Where(file, rpath, rlabel))
            releases.append(release)
            by_version[release.version] = release
        return Framework(data["name"], tuple(data.get("aliases", ())), data["distribution"],
                         tuple(data.get("companions", ())), indexes, tuple(releases), file,
                         {canonicalize_name(k): v for k, v in data.get("sync", {}).items()})


def split_requirement(text: str) -> tuple[str, str]:
    """'tensorflow-metal==1.1.0' -> ('tensorflow-metal', '==1.1.0'); the schema validated it."""
    import re

    m = re.match(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)\s*(.*?)\s*$", text)
    return (canonicalize_name(m.group(1)), m.group(2)) if m else (canonicalize_name(text), "")


def iter_variants(cat: Catalog) -> Iterator[tuple[Framework, Release, Variant]]:
    for fw in cat.frameworks.values():
        for release in fw.releases:
            for variant in release.variants:
                yield fw, release, variant
