"""The solver: the newest working combination of framework builds for a target, or why none.

"Working" means all of: every shared GPU-library distribution has one published version that
satisfies every chosen build (pip level); one CUDA major in the environment; the driver floor met;
every GPU has kernels (or PTX it can JIT); wheels for the OS, CPU and Python; nothing broken.

Per-build checks (driver, GPU, platform, Python...) filter each framework's candidates first and
record why each was dropped. The joint part (shared libraries, CUDA major) is solved by
resolvelib over a provider whose identifiers are the frameworks, the GPU-library distributions and
one virtual ``cuda-major``.

Preference, in order: the newest release of each requested framework, in the order requested;
then the newer CUDA; then the build on PyPI over one on the framework's own index.
"""

from __future__ import annotations

import functools
import re
from typing import Iterable, Iterator, Mapping, NamedTuple, Sequence

from packaging.specifiers import SpecifierSet
from packaging.version import Version

from . import facts
from .catalog import Catalog, Framework, Release, Variant, canonicalize_name, split_requirement
from .platforms import LIBRARY_RE, Req
from .request import GpuTarget, Request, StackItem, Target, driver_key

CUDA_MAJOR = "cuda-major"
ANY = "*"  # a library envsolve has no version list for: whatever pip picks
MAX_ROUNDS = 20000


# ---- values ------------------------------------------------------------------------------------

class Package(NamedTuple):
    name: str
    version: str
    role: str  # framework | companion | plugin | gpu-library
    variant: str | None
    index: str  # "pypi" or an index URL
    extras: tuple[str, ...] = ()


class Details(NamedTuple):
    """What a build needs at the pip level on the target: computed on first use (most builds of a
    long release list are never looked at closely)."""

    libs: Mapping[str, SpecifierSet]  # GPU-library distribution -> what this build requires
    pins: Mapping[str, str]  # the libraries it pins to one exact version
    extra_packages: tuple[Package, ...]  # companions and plugins, with versions
    notes: tuple[str, ...]  # e.g. a companion matched by range only
    problem: str | None  # why the build cannot be installed after all (a plugin without wheels)


class Candidate:
    """One build of one framework that passed every per-build system check for the target."""

    def __init__(self, cat: Catalog, fw: Framework, release: Release, variant: Variant, target: Target,
                 driver: facts.DriverFloor, floors: Mapping[str, facts.DriverFloor], relies_on: str | None,
                 jit: tuple[str, ...], unverified_archs: bool):
        self._cat, self._target = cat, target
        self.fw, self.release, self.variant = fw, release, variant
        self.version = Version(release.version)
        self.cuda_major = variant.cuda.split(".")[0] if (variant.accelerator == "cuda" and variant.cuda) else None
        self.driver = driver  # for the target's driver family
        self.floors = floors  # "linux" / "windows" -> floor
        self.relies_on = relies_on  # "full" | "minor-version compatibility" | None (no driver given)
        self.jit = jit  # GPUs that run through PTX JIT
        self.unverified_archs = unverified_archs  # the build's kernel list is not catalogued

    @functools.cached_property
    def details(self) -> Details:
        return _details(self._cat, self.fw, self.release, self.variant, self._target)

    libs = property(lambda self: self.details.libs)
    pins = property(lambda self: self.details.pins)
    extra_packages = property(lambda self: self.details.extra_packages)
    notes = property(lambda self: self.details.notes)

    def key(self) -> tuple:
        cuda = tuple(int(x) for x in self.variant.cuda.split(".")) if self.variant.cuda else (0,)
        return (self.version, cuda, self.variant.index == "pypi")

    def describe(self) -> str:
        return f"{self.fw.distribution} {self.release.version} ({self.variant.name})"

    def __repr__(self) -> str:
        return f"Candidate({self.describe()})"


class Rejection(NamedTuple):
    stage: str  # accelerator | platform | python | cuda-pin | driver | gpu | broken | package
    release: str
    variant: str
    reason: str


class Solution(NamedTuple):
    request: Request
    target: Target
    chosen: tuple[Candidate, ...]
    libraries: tuple[Package, ...]
    warnings: tuple[str, ...]

    @property
    def packages(self) -> tuple[Package, ...]:
        out = []
        for cand in self.chosen:
            extras = (cand.variant.extra,) if cand.variant.extra else ()
            out.append(Package(cand.fw.distribution, cand.release.version, "framework", cand.variant.name,
                               cand.variant.index, extras))
            out.extend(cand.extra_packages)
        return tuple(out) + self.libraries


class Cause(NamedTuple):
    kind: str  # gpu-arch | driver | python | platform | accelerator | cuda-pin | cuda-major | library | broken | package
    text: str


class Suggestion(NamedTuple):
    kind: str  # version | driver | python | cuda | split | accelerator
    text: str
    command: str | None


class Conflict(NamedTuple):
    request: Request
    target: Target
    summary: str
    causes: tuple[Cause, ...]
    suggestions: tuple[Suggestion, ...]


# ---- per-build checks --------------------------------------------------------------------------

def _cc(arch: str) -> tuple[int, int, str]:
    m = re.fullmatch(r"sm_(\d+?)(\d)([af]?)", arch)
    return (int(m.group(1)), int(m.group(2)), m.group(3)) if m else (0, 0, "")


def kernel_coverage(gpu: GpuTarget, archs: Sequence[str], ptx: Sequence[str]) -> str | None:
    """'sass' if the GPU runs shipped kernels, 'ptx' if only by JIT from shipped PTX, else None.

    A cubin for sm_XY runs on every GPU of the same major with minor >= Y (CUDA binary
    compatibility); arch-specific ('a'/'f') cubins only on their own major.minor ('a') or family
    ('f'). PTX for compute_XY JIT-compiles for every GPU of compute capability >= X.Y.
    """
    major, minor = (int(p) for p in gpu.compute_capability.split("."))
    for arch in archs:
        a_major, a_minor, suffix = _cc(arch)
        if a_major != major:
            continue
        if suffix == "a" and a_minor == minor:
            return "sass"
        if suffix == "f" and a_minor <= minor:
            return "sass"
        if not suffix and a_minor <= minor:
            return "sass"
    for arch in ptx:
        p_major, p_minor, suffix = _cc(arch)
        if not suffix and (p_major, p_minor) <= (major, minor):
            return "ptx"
    return None


def _accelerators(request: Request, target: Target) -> tuple[str, ...]:
    if request.accelerator == "cpu":
        return ("cpu", "mps") if target.platform == "macos-arm64" else ("cpu",)
    if request.accelerator == "mps":
        return ("mps", "metal")
    return (request.accelerator,)


def _choose_version(cat: Catalog, name: str, spec: SpecifierSet, platform: str, python: str) -> str | None:
    """The newest published, non-yanked version of ``name`` in ``spec`` with a wheel for the target."""
    return facts.memo(cat, ("choose", name, str(spec), platform, python),
                      lambda: _choose(cat, name, spec, platform, python))


def _choose(cat: Catalog, name: str, spec: SpecifierSet, platform: str, python: str) -> str | None:
    project = cat.pypi.get(canonicalize_name(name))
    if project is None:
        return None
    for version in sorted(project.releases, key=Version, reverse=True):
        rel = project.releases[version]
        if rel.yanked or not spec.contains(version, prereleases=True):
            continue
        if python_supported(python, rel.pythons.get(platform, ()), rel.requires_python):
            return version
    return None


def python_supported(python: str, pythons: Sequence[str], requires_python: str | None) -> bool:
    """Is there a wheel for CPython ``python`` among wheel tags ``pythons`` ("3.12", "any", "3.9+"),
    within ``Requires-Python``?"""
    if requires_python and not SpecifierSet(requires_python).contains(f"{python}.0", prereleases=True):
        return False
    return python in pythons or "any" in pythons or any(
        p.endswith("+") and _py(p[:-1]) <= _py(python) for p in pythons)


def _py(text: str) -> tuple[int, int]:
    major, minor = text.rstrip("t").split(".")
    return int(major), int(minor)


def _metadata_requires(cat: Catalog, name: str, version: str, platform: str, python: str,
                       extras: tuple[str, ...]) -> list[Req]:
    from .platforms import requirements_for

    project = cat.pypi.get(canonicalize_name(name))
    rel = project.releases.get(version) if project else None
    if rel is None:
        return []
    group = next((g for g in rel.metadata if platform in g.platforms), None)
    return requirements_for(cat, group.parsed, platform, python, extras) if group else []


def _merge(libs: dict[str, SpecifierSet], reqs: Iterable[Req]) -> None:
    for req in reqs:
        name = canonicalize_name(req.name)
        if LIBRARY_RE.match(name):
            libs[name] = libs[name] & req.specifier if name in libs else SpecifierSet(str(req.specifier))


def candidates(cat: Catalog, item: StackItem, request: Request, target: Target,
               spec: SpecifierSet | None = None) -> tuple[list[Candidate], list[Rejection]]:
    """Every build of ``item``'s framework that passes the per-build checks, best first."""
    spec = item.spec if spec is None else spec
    key = ("candidates", item.framework, str(spec), request.accelerator, request.rocm, request.cuda, target)
    good, rejected = facts.memo(cat, key, lambda: _candidates(cat, item, request, target, spec))
    return list(good), list(rejected)


def _candidates(cat: Catalog, item: StackItem, request: Request, target: Target,
                spec: SpecifierSet) -> tuple[tuple[Candidate, ...], tuple[Rejection, ...]]:
    fw = cat.frameworks[item.framework]
    accelerators = _accelerators(request, target)
    platform, python = target.platform, target.python
    good: list[Candidate] = []
    rejected: list[Rejection] = []
    for release in fw.releases:
        if not spec.contains(release.version, prereleases=True):
            continue
        rel = facts.pypi_release(cat, fw, release)
        for v in release.variants:
            def reject(stage: str, reason: str) -> None:
                rejected.append(Rejection(stage, release.version, v.name, reason))

            if v.accelerator not in accelerators:
                reject("accelerator", f"{v.accelerator} build")
                continue
            if request.rocm and not v.name.startswith(f"rocm{request.rocm}"):
                reject("accelerator", f"not ROCm {request.rocm}")
                continue
            if release.broken or v.broken or (rel is not None and rel.yanked and v.index == "pypi"):
                reject("broken", release.broken or v.broken or f"yanked on PyPI: {rel.yanked}")
                continue
            if platform not in facts.platforms(cat, fw, release, v):
                reject("platform", f"no {platform} wheel")
                continue
            pythons = facts.pythons(cat, fw, release, v, platform)
            if not python_supported(python, pythons, rel.requires_python if rel else None):
                shown = ", ".join(pythons) if pythons != ("any",) else f"any ({rel.requires_python})"
                reject("python", f"wheels for Python {shown or 'none'}")
                continue
            if request.cuda and v.accelerator == "cuda":
                if not v.cuda or not (v.cuda == request.cuda or v.cuda.split(".")[0] == request.cuda):
                    reject("cuda-pin", f"CUDA {v.cuda}")
                    continue
            jit: list[str] = []
            unverified = False
            if v.accelerator == "cuda" and target.gpus:
                archs, ptx = v.archs, v.ptx
                if not archs and not ptx:
                    unverified = True
                    toolkit = cat.toolkits.get(v.cuda or "")
                    archs = toolkit.archs if toolkit else ()
                missing = []
                for gpu in target.gpus:
                    how = kernel_coverage(gpu, archs, ptx)
                    if how is None:
                        missing.append(gpu)
                    elif how == "ptx":
                        jit.append(gpu.name)
                if missing:
                    shipped = " ".join(archs) + (f" +PTX {' '.join(ptx)}" if ptx else "")
                    reject("gpu", "; ".join(f"no kernels for {g.describe()}" for g in missing) + f" (ships {shipped or 'nothing'})")
                    continue
            floor = facts.driver_floor(cat, v, target.driver_family)
            relies_on = None
            if v.accelerator == "cuda" and target.driver:
                have = driver_key(target.driver)
                if floor.full is None and floor.compat is None:
                    relies_on = "unchecked"  # NVIDIA publishes no floor for this OS family (CUDA 13 on Windows)
                elif floor.full and have >= driver_key(floor.full):
                    relies_on = "full"
                elif floor.compat and have >= driver_key(floor.compat) and not jit:
                    relies_on = "minor-version compatibility"
                else:
                    need = floor.compat if (floor.compat and not jit) else (floor.full or floor.compat)
                    reject("driver", f"needs driver >= {need} for CUDA {v.cuda}")
                    continue
            floors = {fam: facts.driver_floor(cat, v, fam) for fam in ("linux", "windows")}
            good.append(Candidate(cat, fw, release, v, target, floor, floors, relies_on, tuple(jit), unverified))
    good.sort(key=Candidate.key, reverse=True)
    return tuple(good), tuple(rejected)


def _details(cat: Catalog, fw: Framework, release: Release, v: Variant, target: Target) -> Details:
    platform, python = target.platform, target.python
    libs: dict[str, SpecifierSet] = {}
    reqs = facts.requires(cat, fw, release, v, platform, python)
    notes: list[str] = []
    if v.index != "pypi" and not v.requires and v.accelerator == "cuda" and not v.system_cuda:
        reqs = derived_requires(v, platform)
        if reqs:
            notes.append(f"{fw.distribution} {release.version} ({v.name}): its exact nvidia-* pins are not "
                         f"catalogued; checked against {', '.join(str(r) for r in reqs)} (from its CUDA/cuDNN/NCCL)")
    _merge(libs, reqs)
    extra_packages, more, problem = _plugins_and_companions(cat, fw, release, v, reqs, platform, python, libs)
    if problem is None:
        problem = _expand_metapackages(cat, libs, reqs, platform, python)
    return Details(libs, _exact_pins(libs), tuple(extra_packages), tuple(notes + more), problem)


def _expand_metapackages(cat: Catalog, libs: dict[str, SpecifierSet], reqs: list[Req], platform: str,
                         python: str) -> str | None:
    """Fold in what GPU-library metapackages pin in the extras asked for: torch 2.15 requires
    cuda-toolkit[cublas,...]==13.2.2, whose extras pin nvidia-cublas and friends exactly."""
    queue = [r for r in reqs if r.extras and canonicalize_name(r.name) in cat.pypi and LIBRARY_RE.match(r.name)]
    seen: set[str] = set()
    while queue:
        req = queue.pop()
        name = canonicalize_name(req.name)
        if name in seen:
            continue
        seen.add(name)
        version = _choose_version(cat, name, libs.get(name, req.specifier), platform, python)
        if version is None:
            return f"no {name} release in {libs.get(name, req.specifier)} has a wheel for {platform} and Python {python}"
        sub = _metadata_requires(cat, name, version, platform, python, tuple(req.extras))
        _merge(libs, sub)
        queue.extend(r for r in sub if r.extras and canonicalize_name(r.name) in cat.pypi)
    return None


def usable(candidates: Iterable[Candidate]) -> Iterator[Candidate]:
    """The candidates whose pip-level details hold up, lazily."""
    return (c for c in candidates if c.details.problem is None)


def _exact_pins(libs: Mapping[str, SpecifierSet]) -> dict[str, str]:
    out = {}
    for name, spec in libs.items():
        specs = list(spec)
        if len(specs) == 1 and specs[0].operator == "==" and "*" not in specs[0].version:
            out[name] = specs[0].version
    return out


def derived_requires(v: Variant, platform: str) -> list[Req]:
    """GPU-library requirements implied by a CUDA build's catalogued CUDA, cuDNN and NCCL versions,
    for framework-index builds whose exact pins are not catalogued: the CUDA X.Y runtime wheel is
    versioned X.Y.*, and the build pins the cuDNN and NCCL wheels of its own version and CUDA major."""
    if not v.cuda or not platform.startswith("linux"):
        return []
    major = v.cuda.split(".")[0]
    suffix = f"-cu{major}"
    out = []
    if major in ("11", "12"):
        out.append(Req(f"nvidia-cuda-runtime{suffix}", (), SpecifierSet(f"=={v.cuda}.*")))
    for lib, value in (("cudnn", v.cudnn), ("nccl", v.nccl)):
        if value and value[0].isdigit():
            out.append(Req(f"nvidia-{lib}{suffix}", (), SpecifierSet(f"=={value}")))
    return out


def _plugins_and_companions(cat, fw, release, v, reqs, platform, python, libs):
    """Versions of the variant's plugins (jax-cuda12-plugin...) and of the companions."""
    out: list[Package] = []
    notes: list[str] = []
    wanted = {canonicalize_name(r.name): r for r in reqs}
    for entry in v.packages:
        name, pinned = split_requirement(entry)
        req = wanted.get(name)
        # The framework's own metadata decides (jax[cuda12] names its plugin); else the catalog's pin.
        spec = req.specifier if req is not None else SpecifierSet(pinned)
        version = _choose_version(cat, name, spec, platform, python)
        if version is None:
            return out, notes, f"no {name} release in {spec or 'any version'} has a wheel for {platform} and Python {python}"
        pkg_extras = tuple(sorted(req.extras)) if req is not None else ()
        out.append(Package(canonicalize_name(name), version, "plugin", v.name, "pypi", pkg_extras))
        sub = _metadata_requires(cat, name, version, platform, python, pkg_extras)
        _merge(libs, sub)
        for r in sub:
            wanted.setdefault(canonicalize_name(r.name), r)
    for companion in fw.companions:
        key = canonicalize_name(companion)
        if key in wanted:  # the framework requires it (jax -> jaxlib)
            version = _choose_version(cat, companion, wanted[key].specifier, platform, python)
            if version is None:
                return out, notes, f"no {companion} release matching {wanted[key].specifier} has a wheel for {platform} and Python {python}"
        else:  # it pins the framework (torchvision -> torch==X)
            from .facts import companion_versions

            version = None
            for exact in (True, False):  # an exact pin first; else the newest whose range admits it
                options = companion_versions(cat, fw, release.version, companion, exact)
                version = next((o for o in sorted(options, key=Version, reverse=True)
                                if _choose_version(cat, companion, SpecifierSet(f"=={o}"), platform, python)), None)
                if version is not None:
                    break
            if version is None:
                continue  # optional companion without a matching release (e.g. torchaudio after 2.11)
        index = v.index if key not in wanted else "pypi"
        out.append(Package(key, version, "companion", v.name if index != "pypi" else None, index))
        if key not in wanted and not companion_versions(cat, fw, release.version, companion):
            notes.append(f"{key} {version} is not built for {fw.distribution} {release.version} specifically; "
                         f"its metadata admits it")
    return out, notes, None


# ---- the joint solve with resolvelib -----------------------------------------------------------

class _Req(NamedTuple):
    identifier: str
    spec: SpecifierSet | None  # libraries
    major: str | None  # cuda-major

    @property
    def name(self) -> str:
        return self.identifier


class _Lib(NamedTuple):
    name: str
    version: str


class _Major(NamedTuple):
    major: str


def _provider(cat: Catalog, pools: dict[str, list[Candidate]], order: list[str], platform: str):
    from resolvelib import AbstractProvider

    lib_versions: dict[str, list[str]] = {}

    def versions_of(name: str, reqs: list[_Req]) -> list[str]:
        if name not in lib_versions:
            lib = cat.libraries.get(name)
            if lib is not None:
                found = [ver for ver, plats in lib.versions.items() if platform in plats and ver not in lib.yanked]
            else:  # no harvested data: trust the exact pins the builds declare, or accept anything
                found = sorted({s.version for r in reqs if r.spec for s in r.spec if s.operator == "=="}) or [ANY]
            lib_versions[name] = found if found == [ANY] else sorted(found, key=Version, reverse=True)
        return lib_versions[name]

    class Provider(AbstractProvider):
        def identify(self, requirement_or_candidate):
            if isinstance(requirement_or_candidate, Candidate):
                return requirement_or_candidate.fw.name
            if isinstance(requirement_or_candidate, _Lib):
                return requirement_or_candidate.name
            if isinstance(requirement_or_candidate, _Major):
                return CUDA_MAJOR
            return requirement_or_candidate.identifier

        def get_preference(self, identifier, resolutions, candidates, information, backtrack_causes):
            # Lower sorts first: requested frameworks in request order, then the CUDA major,
            # then libraries (alphabetically, for stable results).
            if identifier in order:
                return (0, order.index(identifier), "")
            return (1 if identifier == CUDA_MAJOR else 2, 0, identifier)

        def find_matches(self, identifier, requirements, incompatibilities):
            reqs = list(requirements[identifier])
            bad = {id(c) for c in incompatibilities[identifier]}
            bad_values = set(incompatibilities[identifier])
            if identifier in pools:
                return lambda: (c for c in usable(pools[identifier]) if id(c) not in bad)
            if identifier == CUDA_MAJOR:
                majors = {r.major for r in reqs}
                return [_Major(m) for m in majors if len(majors) == 1 and _Major(m) not in bad_values]
            return [_Lib(identifier, ver) for ver in versions_of(identifier, reqs)
                    if (ver == ANY or all(r.spec.contains(ver, prereleases=True) for r in reqs))
                    and _Lib(identifier, ver) not in bad_values]

        def is_satisfied_by(self, requirement, candidate):
            if isinstance(candidate, Candidate):
                return candidate.fw.name == requirement.identifier
            if isinstance(candidate, _Major):
                return requirement.major == candidate.major
            return candidate.version == ANY or requirement.spec.contains(candidate.version, prereleases=True)

        def get_dependencies(self, candidate):
            if not isinstance(candidate, Candidate):
                return []
            deps = [_Req(name, spec, None) for name, spec in sorted(candidate.libs.items())]
            if candidate.cuda_major:
                deps.append(_Req(CUDA_MAJOR, None, candidate.cuda_major))
            return deps

    return Provider()


def _compatible(a: Candidate, b: Candidate, cat: Catalog, platform: str) -> tuple[str, str] | None:
    """None when two builds can share an environment, else (kind, why)."""
    # Candidates are memoised for the life of the process, so their identity is a stable key.
    return facts.memo(cat, ("compatible", platform, id(a), id(b)), lambda: _compatible_uncached(a, b, cat, platform))


def _compatible_uncached(a: Candidate, b: Candidate, cat: Catalog, platform: str) -> tuple[str, str] | None:
    return next(clashes(a, b, cat, platform), None)


def clashes(a: Candidate, b: Candidate, cat: Catalog, platform: str) -> Iterator[tuple[str, str]]:
    """Every reason two builds cannot share an environment, as (kind, text), lazily."""
    if a.cuda_major and b.cuda_major and a.cuda_major != b.cuda_major:
        yield ("cuda-major", f"{a.describe()} uses CUDA {a.variant.cuda} and {b.describe()} uses CUDA {b.variant.cuda}: "
                             f"one environment can hold one CUDA major (their cuDNN/NCCL wheels install the same files)")
        return
    for name in sorted(set(a.libs) & set(b.libs)):
        pin_a, pin_b = a.pins.get(name), b.pins.get(name)
        if pin_a is not None and pin_b is not None:  # two exact pins: equal, and published
            if pin_a != pin_b and Version(pin_a) != Version(pin_b):
                yield ("library", f"{a.describe()} pins {name}=={pin_a}, {b.describe()} pins {name}=={pin_b}")
            continue
        if not _satisfiable(cat, name, a.libs[name] & b.libs[name], platform):
            yield ("library", f"{a.describe()} {_says(a, name)}, {b.describe()} {_says(b, name)}")


def _says(c: Candidate, name: str) -> str:
    pin = c.pins.get(name)
    return f"pins {name}=={pin}" if pin else f"requires {name}{c.libs[name]}"


def _satisfiable(cat: Catalog, name: str, both: SpecifierSet, platform: str) -> bool:
    """Is some published version of library ``name`` (with a wheel for ``platform``) in ``both``?"""
    lib = cat.libraries.get(name)
    if lib is None:  # no version list: only contradicting exact pins are known to fail
        pins = {s.version for s in both if s.operator == "=="}
        return len(pins) <= 1 and all(both.contains(p, prereleases=True) for p in pins)
    published = [ver for ver, plats in lib.versions.items() if platform in plats]
    pins = {s.version for s in both if s.operator == "==" and "*" not in s.version}
    if len(pins) > 1:
        return False
    if pins:  # the common case: one exact pin; check just that version
        pin = next(iter(pins))
        return any(Version(ver) == Version(pin) for ver in published) and both.contains(pin, prereleases=True)
    return any(both.contains(ver, prereleases=True) for ver in published)


def solve(cat: Catalog, request: Request, target: Target, *, explain: bool = True,
          suggest: bool = True) -> Solution | Conflict:
    """Solve ``request`` for ``target``: a :class:`Solution`, or a :class:`Conflict` report
    (``explain``: with its causes; ``suggest``: and the ways out, each found by solving again)."""
    pools: dict[str, list[Candidate]] = {}
    rejections: dict[str, list[Rejection]] = {}
    for item in request.stack:
        pools[item.framework], rejections[item.framework] = candidates(cat, item, request, target)
        if next(usable(pools[item.framework]), None) is None:  # every build failed at the pip level
            rejections[item.framework] += [Rejection("package", c.release.version, c.variant.name, c.details.problem)
                                           for c in pools[item.framework]]
            pools[item.framework] = []
    empty = [item for item in request.stack if not pools[item.framework]]
    if empty:
        if not explain:
            return Conflict(request, target, "no solution", (), ())
        from .explain import explain_empty

        return explain_empty(cat, request, target, empty[0], rejections[empty[0].framework], suggest)
    # Prefix pruning: skip the preferred builds that no build of some other framework can sit
    # beside, up to the first that has a partner in every other pool. This keeps resolvelib from
    # backtracking through hopeless pairs, and finds "no pair at all" without it.
    names = [item.framework for item in request.stack]
    if len(names) > 1:
        for a in names:
            pool = pools[a]
            start = next((i for i, c in enumerate(pool) if c.details.problem is None and all(
                any(_compatible(c, d, cat, target.platform) is None for d in usable(pools[b])) for b in names if b != a)), None)
            if start is None:
                if not explain:
                    return Conflict(request, target, "no solution", (), ())
                from .explain import explain_clash

                return explain_clash(cat, request, target, suggest)
            pools[a] = pool[start:]
    from resolvelib import BaseReporter, Resolver
    from resolvelib.resolvers import ResolutionImpossible, ResolutionTooDeep

    root = [_Req(name, None, None) for name in names]
    resolver = Resolver(_provider(cat, pools, names, target.platform), BaseReporter())
    try:
        result = resolver.resolve(root, max_rounds=MAX_ROUNDS)
    except (ResolutionImpossible, ResolutionTooDeep):
        if not explain:
            return Conflict(request, target, "no solution", (), ())
        from .explain import explain_clash

        return explain_clash(cat, request, target, suggest)
    chosen = tuple(result.mapping[name] for name in names)
    libraries = tuple(
        Package(v.name, v.version, "gpu-library", None, "pypi")
        for k, v in sorted(result.mapping.items()) if isinstance(v, _Lib) and v.version != ANY
    )
    warnings = []
    unknown = sorted(v.name for v in result.mapping.values() if isinstance(v, _Lib) and v.version == ANY)
    if unknown:
        warnings.append(f"no version list for {', '.join(unknown)} (run `envsolve catalog sync`); left to pip")
    for cand in chosen:
        warnings.extend(cand.notes)
        if cand.unverified_archs and target.gpus:
            warnings.append(f"{cand.describe()}: its kernel list is not catalogued; GPU support was checked against "
                            f"what CUDA {cand.variant.cuda} can build")
        if cand.jit:
            warnings.append(f"{cand.describe()}: {', '.join(cand.jit)} run(s) through PTX JIT (slow first start; needs the full driver floor)")
        if cand.relies_on == "unchecked":
            warnings.append(f"{cand.describe()}: no {target.driver_family} driver floor is catalogued for CUDA "
                            f"{cand.variant.cuda} (NVIDIA's table has none); driver {target.driver} was not checked")
        if cand.relies_on == "minor-version compatibility":
            warnings.append(f"{cand.describe()}: driver {target.driver} is below CUDA {cand.variant.cuda}'s "
                            f"{cand.driver.full}; it works through minor-version compatibility (no PTX JIT)")
        if cand.variant.system_cuda:
            warnings.append(f"{cand.describe()}: needs a system install of CUDA {cand.variant.cuda} and cuDNN {cand.variant.cudnn}")
    return Solution(request, target, chosen, libraries, tuple(warnings))

