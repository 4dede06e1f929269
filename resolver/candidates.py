"""Framework builds as solver candidates: the per-build checks, and why two builds clash.

:func:`candidates` runs every build of a framework through the per-build checks for a target
(accelerator, broken, platform, Python, CUDA pin, GPU kernels, driver) and returns the builds that
pass, best first, and a typed :class:`Rejection` for each one that does not. Each candidate's
pip-level needs (:class:`Details`) are computed on first use. :func:`clashes` says, as typed values,
why two builds cannot share an environment.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Iterator, Mapping
from typing import NamedTuple, Union

from packaging.specifiers import SpecifierSet
from packaging.version import Version

from .catalog import Catalog, Framework, Release, Variant, canonicalize_name, split_requirement
from .rules import builds, cudnn, driver, kernels, libraries, wheels
from .rules.cache import memo
from .rules.glibc import Need
from .rules.requirements import ProjectRequirement, applying, combined, overlap
from .rules.platform import driver_family
from .rules.target import GpuTarget, Request, StackItem, Target


# ---- values ------------------------------------------------------------------------------------

class BuildRef(NamedTuple):
    """One build of one framework release, as messages name it."""

    framework: str  # the catalog's framework name (pytorch)
    distribution: str  # torch
    version: str
    variant: str  # cu128, cpu, ...
    cuda: str | None

    def describe(self) -> str:
        return f"{self.distribution} {self.version} ({self.variant})"


class Package(NamedTuple):
    name: str
    version: str
    role: str  # framework | companion | plugin | gpu-library
    variant: str | None
    index: str  # type: ignore[assignment]  # "pypi" or an index URL (shadows tuple.index, unused)
    extras: tuple[str, ...] = ()


# Why a build was dropped. Each reason belongs to a check (:func:`stage_of`); the explanation
# speaks of the furthest check any build reached.

class WrongAccelerator(NamedTuple):
    accelerator: str  # the build's


class OtherRocm(NamedTuple):
    wanted: str  # the ROCm version asked for


class Broken(NamedTuple):
    reason: str


class NoPlatform(NamedTuple):
    platform: str


class NoPython(NamedTuple):
    python: str
    platform: str
    available: tuple[str, ...]  # wheel labels ("3.12", "3.9+", "any")
    requires_python: str | None


class NoGlibc(NamedTuple):
    """The build's Linux wheels need a newer glibc than the target has."""

    have: str  # the target's glibc
    need: str | None  # the lowest glibc a wheel of it needs (None: only musllinux/linux_* wheels)
    basis: str  # tag | catalog


class CudaPinMismatch(NamedTuple):
    pin: str
    cuda: str | None  # the build's


class NoKernels(NamedTuple):
    gpus: tuple[GpuTarget, ...]
    kernels: kernels.Kernels


class DriverBelow(NamedTuple):
    verdict: driver.DriverVerdict


class CudnnUnsupported(NamedTuple):
    """The build's cuDNN does not support a GPU (its kernels may, its cuDNN calls would fail)."""

    gpu: GpuTarget
    verdict: cudnn.CudnnVerdict


class Unverified(NamedTuple):
    """--strict: a fact this build needs is not catalogued (requirements, kernels, a driver floor, cuDNN support,
    the glibc its wheels need)."""

    what: str  # requirements | kernels | driver | cudnn | glibc
    detail: str


class ProjectClash(NamedTuple):
    """The build contradicts one of the project's own requirements."""

    requirement: ProjectRequirement  # the user's, with its origin
    needs: str  # what the build needs instead: "numpy>=1.26" (its Requires-Dist), or "is 2.8.0" (its own version)
    by: str  # who needs it: "tensorflow 2.21.0", "jaxlib 0.7.0"


class Unavailable(NamedTuple):
    """A package the build needs has no release with a wheel for the target."""

    package: str
    specifier: str
    platform: str
    python: str
    glibc: str | None = None  # the target's glibc, when releases with wheels exist but need a newer one
    needs: str | None = None  # the lowest glibc those wheels need
    origin: str | None = None  # the project requirement that narrowed the range, where one did


Reason = Union[WrongAccelerator, OtherRocm, Broken, NoPlatform, NoPython, NoGlibc, CudaPinMismatch, NoKernels,
               CudnnUnsupported, DriverBelow, ProjectClash, Unverified, Unavailable]
STAGES = ("accelerator", "broken", "platform", "python", "glibc", "cuda-pin", "gpu", "cudnn", "driver", "project",
          "unverified", "package")
_STAGE: dict[type, str] = {WrongAccelerator: "accelerator", OtherRocm: "accelerator", Broken: "broken",
                           NoPlatform: "platform", NoPython: "python", NoGlibc: "glibc", CudaPinMismatch: "cuda-pin",
                           NoKernels: "gpu",
                           CudnnUnsupported: "cudnn", DriverBelow: "driver", ProjectClash: "project",
                           Unverified: "unverified", Unavailable: "package"}


def stage_of(reason: Reason) -> str:
    """The check a reason comes from; :data:`STAGES` orders them."""
    return _STAGE[type(reason)]


class Rejection(NamedTuple):
    build: BuildRef
    reason: Reason


# Why two builds cannot share an environment.

class MajorClash(NamedTuple):
    a: BuildRef
    b: BuildRef

    @property
    def kind(self) -> str:
        return "cuda-major"


class LibraryClash(NamedTuple):
    a: BuildRef
    b: BuildRef
    library: str
    a_wants: SpecifierSet
    b_wants: SpecifierSet

    @property
    def kind(self) -> str:
        return "library"


Clash = Union[MajorClash, LibraryClash]


class Details(NamedTuple):
    """What a build needs at the pip level on the target: computed on first use (most builds of a
    long release list are never looked at closely)."""

    libs: Mapping[str, SpecifierSet]  # GPU-library distribution -> what this build requires
    pins: Mapping[str, str]  # the libraries it pins to one exact version
    extra_packages: tuple[Package, ...]  # companions and plugins, with versions
    notes: tuple[str, ...]  # e.g. a companion matched by range only
    problem: Unavailable | ProjectClash | None  # why the build cannot be installed after all


class Candidate:
    """One build of one framework that passed every per-build system check for the target."""

    def __init__(self, cat: Catalog, fw: Framework, release: Release, variant: Variant, target: Target,
                 floors: Mapping[str, driver.DriverFloor], passed: Passed,
                 project: tuple[ProjectRequirement, ...] = ()):
        self._cat, self._target, self._project = cat, target, project
        self.fw, self.release, self.variant = fw, release, variant
        self.version = Version(release.version)
        self.cuda_major = variant.cuda.split(".")[0] if (variant.accelerator == "cuda" and variant.cuda) else None
        self.floors = floors  # "linux" / "windows" -> floor
        self.relies_on = passed.verdict  # the verdict for the target's driver (None: no driver given)
        self.jit = passed.jit  # GPUs that run through PTX JIT
        self.kernels = passed.kernels  # CUDA builds only
        self.knowledge = passed.knowledge  # are its exact requirements catalogued?
        self.cudnn = passed.cudnn  # its cuDNN's support of each target GPU, where the build fixes its cuDNN
        self.glibc = passed.glibc  # the glibc its wheels need on the target (None: not a glibc-limited target)
        self.ref = BuildRef(fw.name, fw.distribution, release.version, variant.name, variant.cuda)

    @property
    def verified(self) -> bool:
        """Its exact requirements on the target are catalogued (no pins are invented for it)."""
        return self.knowledge.known

    @functools.cached_property
    def details(self) -> Details:
        return _details(self._cat, self.fw, self.release, self.variant, self._target, self._project)

    @property
    def libs(self) -> Mapping[str, SpecifierSet]:
        return self.details.libs

    @property
    def pins(self) -> Mapping[str, str]:
        return self.details.pins

    @property
    def extra_packages(self) -> tuple[Package, ...]:
        return self.details.extra_packages

    @property
    def notes(self) -> tuple[str, ...]:
        return self.details.notes

    @property
    def unverified_archs(self) -> bool:
        return self.kernels is not None and not self.kernels.verified

    @property
    def glibc_known(self) -> bool:
        """The glibc its wheels need is known (always, on a target without a glibc limit)."""
        return self.glibc is None or self.glibc.known

    def key(self) -> tuple[bool, Version, bool, tuple[int, ...], bool]:
        """Preference (higher is better): on a target with a glibc, a build known to install there
        over one whose glibc need is not catalogued; then the newer release; then a build whose
        requirements are known over one whose are not; then newer CUDA; then PyPI over a framework
        index."""
        return (self.glibc_known, self.version, self.verified, _runtime_version(self.variant),
                self.variant.index == "pypi")

    def describe(self) -> str:
        return self.ref.describe()

    def __repr__(self) -> str:
        return f"Candidate({self.describe()})"


def _runtime_version(v: Variant) -> tuple[int, ...]:
    """The accelerator runtime's version for ordering builds: CUDA 12.8 -> (12, 8), ROCm 7.14 (from
    the label rocm7.14) -> (7, 14); (0,) for CPU builds."""
    if v.cuda:
        return tuple(int(x) for x in v.cuda.split("."))
    digits = re.findall(r"\d+", v.label) if v.accelerator == "rocm" else []
    return tuple(int(d) for d in digits) or (0,)


# ---- per-build checks --------------------------------------------------------------------------

def _accelerators(request: Request, target: Target) -> tuple[str, ...]:
    if request.accelerator == "cpu":
        return ("cpu", "mps") if target.platform == "macos-arm64" else ("cpu",)
    if request.accelerator == "mps":
        return ("mps", "metal")
    return (request.accelerator,)


def choose_version(cat: Catalog, name: str, spec: SpecifierSet, target: Target) -> str | None:
    """The newest published, non-yanked version of ``name`` in ``spec`` with a wheel for the target
    (its platform, Python and, where it has one, glibc)."""
    where = (target.platform, target.python, target.glibc)
    return memo(cat, ("choose", name, str(spec), where), lambda: _choose(cat, name, spec, *where))


def _choose(cat: Catalog, name: str, spec: SpecifierSet, platform: str, python: str, glibc: str | None) -> str | None:
    project = cat.pypi.get(canonicalize_name(name))
    if project is None:
        return None
    for version in sorted(project.releases, key=Version, reverse=True):
        rel = project.releases[version]
        if rel.yanked or not spec.contains(version, prereleases=True):
            continue
        if not wheels.python_supported(python, rel.pythons.get(platform, ()), rel.requires_python):
            continue
        if glibc is None or wheels.glibc_need(rel.glibc, platform, python).fits(glibc) is not False:
            return version
    return None


def unavailable(cat: Catalog, name: str, spec: SpecifierSet, target: Target) -> Unavailable:
    """Why no version of ``name`` in ``spec`` serves the target: with the glibc its wheels need when
    the target's glibc is what stands in the way."""
    if target.glibc is not None and choose_version(cat, name, spec, target._replace(glibc=None)) is not None:
        return Unavailable(name, str(spec), target.platform, target.python, target.glibc,
                           _lowest_need(cat, name, spec, target))
    return Unavailable(name, str(spec), target.platform, target.python)


def _lowest_need(cat: Catalog, name: str, spec: SpecifierSet, target: Target) -> str | None:
    from .rules.glibc import key as glibc_key

    needs: list[str] = []
    project = cat.pypi.get(canonicalize_name(name))
    for version, rel in (project.releases.items() if project else ()):
        if not rel.yanked and spec.contains(version, prereleases=True):
            found = wheels.glibc_need(rel.glibc, target.platform, target.python)
            if found.glibc is not None:
                needs.append(found.glibc)
    lib = cat.libraries.get(canonicalize_name(name))
    for version in (lib.versions if lib else ()):
        if spec.contains(version, prereleases=True):
            found = wheels.glibc_need(lib.glibc.get(version) if lib else None, target.platform, target.python)
            if found.glibc is not None:
                needs.append(found.glibc)
    return min(needs, key=glibc_key) if needs else None


def _merge(libs: dict[str, SpecifierSet], reqs: Iterable[builds.Req]) -> None:
    for req in reqs:
        name = canonicalize_name(req.name)
        if libraries.is_library(name):
            libs[name] = libs[name] & req.specifier if name in libs else SpecifierSet(str(req.specifier))


def candidates(cat: Catalog, item: StackItem, request: Request, target: Target,
               spec: SpecifierSet | None = None) -> tuple[list[Candidate], list[Rejection]]:
    """Every build of ``item``'s framework that passes the per-build checks, best first, and why
    each other build was dropped."""
    spec = item.spec if spec is None else spec
    key = ("candidates", item.framework, str(spec), request.accelerator, request.rocm, request.cuda, request.strict,
           request.project, target)
    good, rejected = memo(cat, key, lambda: _candidates(cat, item, request, target, spec))
    return list(good), list(rejected)


def _candidates(cat: Catalog, item: StackItem, request: Request, target: Target,
                spec: SpecifierSet) -> tuple[tuple[Candidate, ...], tuple[Rejection, ...]]:
    fw = cat.frameworks[item.framework]
    accelerators = _accelerators(request, target)
    project = applying(request.project, target.platform, target.python)
    good: list[Candidate] = []
    rejected: list[Rejection] = []
    for release in fw.releases:
        if not spec.contains(release.version, prereleases=True):
            continue
        rel = builds.pypi_release(cat, fw, release)
        for v in release.variants:
            found = _check(cat, fw, release, v, rel, request, target, accelerators, project)
            if isinstance(found, Passed):
                floors = {fam: driver.floor_of(cat, v, fam) for fam in ("linux", "windows")}
                good.append(Candidate(cat, fw, release, v, target, floors, found, project))
            else:
                rejected.append(Rejection(BuildRef(fw.name, fw.distribution, release.version, v.name, v.cuda), found))
    good.sort(key=Candidate.key, reverse=True)
    return tuple(good), tuple(rejected)


class Passed(NamedTuple):
    """What the per-build checks found about a build that passed them all."""

    verdict: driver.DriverVerdict | None  # for the target's driver, when one was given
    jit: tuple[str, ...]  # GPUs that run through PTX JIT
    kernels: kernels.Kernels | None  # CUDA builds only
    knowledge: builds.Knowledge
    cudnn: tuple[cudnn.CudnnVerdict, ...]  # per target GPU, where the build fixes its cuDNN version
    glibc: Need | None = None  # what its Linux wheels need, on a target with a glibc


def build_cudnn(cat: Catalog, fw: Framework, release: Release, v: Variant, platform: str,
                python: str) -> tuple[str, str] | None:
    """(cuDNN version, CUDA major) a CUDA build fixes: an exact nvidia-cudnn-cuXX pin in its
    requirements, else its catalogued exact ``cudnn`` (a system cuDNN, or an index build's
    documented one). None when it accepts a range (decided with the environment)."""
    for req in builds.requires(cat, fw, release, v, platform, python):
        major = libraries.library_major(cat, req.name, None) if req.name.startswith("nvidia-cudnn") else None
        pins = [s.version for s in req.specifier if s.operator == "=="]
        if major and len(pins) == 1 and "*" not in pins[0]:
            return pins[0], major
    exact = cudnn.exact_version(v.cudnn)
    return (exact, v.cuda.split(".")[0]) if exact and v.cuda else None


def _check(cat: Catalog, fw: Framework, release: Release, v: Variant, rel: object, request: Request,
           target: Target, accelerators: tuple[str, ...], project: tuple[ProjectRequirement, ...] = ()) -> Reason | Passed:
    """The first per-build check ``v`` fails, or what passing them all found."""
    from .catalog import PypiRelease

    pypi = rel if isinstance(rel, PypiRelease) else None
    platform, python = target.platform, target.python
    if v.accelerator not in accelerators:
        return WrongAccelerator(v.accelerator)
    if request.rocm and not v.name.startswith(f"rocm{request.rocm}"):
        return OtherRocm(request.rocm)
    if release.broken or v.broken or (pypi is not None and pypi.yanked and v.index == "pypi"):
        return Broken(release.broken or v.broken or f"yanked on PyPI: {pypi.yanked if pypi else ''}")
    if platform not in builds.platforms(cat, fw, release, v):
        return NoPlatform(platform)
    pythons = builds.pythons(cat, fw, release, v, platform)
    requires_python = pypi.requires_python if pypi else None
    if not wheels.python_supported(python, pythons, requires_python):
        return NoPython(python, platform, pythons, requires_python)
    need = None
    if target.glibc is not None and platform.startswith("linux-"):
        need = builds.glibc_need(cat, fw, release, v, platform, python)
        if need.fits(target.glibc) is False:
            return NoGlibc(target.glibc, need.glibc, need.basis)
    if request.cuda and v.accelerator == "cuda":
        if not v.cuda or not (v.cuda == request.cuda or v.cuda.split(".")[0] == request.cuda):
            return CudaPinMismatch(request.cuda, v.cuda)
    jit: list[str] = []
    built = kernels.kernels_of(cat, fw.distribution, release.version, v, platform) if v.accelerator == "cuda" else None
    if built is not None and target.gpus:
        missing = []
        for gpu in target.gpus:
            how = kernels.coverage(gpu.compute_capability, built.sass, built.ptx)
            if how is kernels.Coverage.NONE:
                missing.append(gpu)
            elif how is kernels.Coverage.PTX:
                jit.append(gpu.name)
        if missing:
            return NoKernels(tuple(missing), built)
    judged: list[cudnn.CudnnVerdict] = []
    fixed = build_cudnn(cat, fw, release, v, platform, python) if (built is not None and target.gpus) else None
    if fixed is not None:
        for gpu in target.gpus:
            found = cudnn.verdict(cat, fixed[0], fixed[1], gpu.compute_capability)
            if found.support is cudnn.Support.UNSUPPORTED:
                return CudnnUnsupported(gpu, found)
            judged.append(found)
    verdict = None
    family = driver_family(cat, target.os)
    if v.accelerator == "cuda" and target.driver and family:
        verdict = driver.verdict(driver.floor_of(cat, v, family), target.driver, needs_jit=bool(jit))
        if not verdict.ok:
            return DriverBelow(verdict)
    clash = project_clash(project, fw.distribution, release.version,
                          builds.requires(cat, fw, release, v, platform, python), f"{fw.distribution} {release.version}")
    if clash is not None:
        return clash
    known = builds.knowledge(cat, fw, release, v, platform)
    if request.strict:
        if not known.known:
            return Unverified("requirements", f"its exact requirements on {platform} are not catalogued ({known.reason})")
        if built is not None and target.gpus and not built.verified:
            return Unverified("kernels", "its kernel list is not catalogued")
        if verdict is not None and verdict.support is driver.Support.UNPUBLISHED:
            return Unverified("driver", f"NVIDIA publishes no {family} driver floor to check {target.driver} against")
        unknown = [j for j in judged if j.support is cudnn.Support.UNKNOWN]
        if unknown:
            return Unverified("cudnn", f"cuDNN {unknown[0].cudnn}'s supported GPUs are not catalogued")
        if need is not None and not need.known:
            return Unverified("glibc", f"the glibc its {platform} wheels need is not catalogued")
    return Passed(verdict, tuple(jit), built, known, tuple(judged), need)


def project_clash(project: Iterable[ProjectRequirement], name: str, version: str, reqs: Iterable[builds.Req],
                  by: str) -> ProjectClash | None:
    """The first project requirement that package ``name`` at ``version``, or what it requires
    (``reqs``), contradicts: on its own version, or on a requirement's range (no version in both)."""
    for user in project:
        if user.name == canonicalize_name(name) and not user.specifier.contains(version, prereleases=True):
            return ProjectClash(user, f"is {version}", by)
    wanted: dict[str, list[builds.Req]] = {}
    for req in reqs:
        wanted.setdefault(req.name, []).append(req)
    for user in project:
        for req in wanted.get(user.name, ()):
            if not overlap(req.specifier, user.specifier):
                return ProjectClash(user, str(req), by)
    return None


def _details(cat: Catalog, fw: Framework, release: Release, v: Variant, target: Target,
             project: tuple[ProjectRequirement, ...] = ()) -> Details:
    platform, python = target.platform, target.python
    libs: dict[str, SpecifierSet] = {}
    reqs = builds.requires(cat, fw, release, v, platform, python)
    notes: list[str] = []
    _merge(libs, reqs)
    extra_packages, more, problem = _plugins_and_companions(cat, fw, release, v, reqs, target, libs, project)
    if problem is None:
        problem = _expand_metapackages(cat, libs, reqs, target)
    if problem is None:
        problem = _narrow_libraries(libs, project)
    if problem is None:
        problem = _uninstallable_library(cat, libs, target, project)
    return Details(libs, _exact_pins(libs), tuple(extra_packages), tuple(notes + more), problem)


def _narrow_libraries(libs: dict[str, SpecifierSet], project: tuple[ProjectRequirement, ...]) -> ProjectClash | None:
    """The project's requirements on GPU libraries the build needs narrow their ranges."""
    for user in project:
        if user.name in libs:
            if not overlap(libs[user.name], user.specifier):
                return ProjectClash(user, f"{user.name}{libs[user.name]}", "the build")
            libs[user.name] = libs[user.name] & user.specifier
    return None


def _uninstallable_library(cat: Catalog, libs: Mapping[str, SpecifierSet], target: Target,
                           project: tuple[ProjectRequirement, ...] = ()) -> Unavailable | None:
    """A GPU library the build needs with no published version in its range that has a wheel for the
    target (tensorflow[and-cuda] 2.14 pins tensorrt 8.5.3.1, whose wheels stop at cp310; a cuDNN
    whose wheels need a newer glibc than the target's)."""
    platform, python = target.platform, target.python
    for name, spec in sorted(libs.items()):
        lib = cat.libraries.get(name)
        if lib is None:
            continue
        if any(spec.contains(ver, prereleases=True) and wheels.library_installable(lib, ver, platform, python, target.glibc)
               for ver in lib.versions):
            continue
        if target.glibc is not None and any(spec.contains(ver, prereleases=True)
                                            and wheels.library_installable(lib, ver, platform, python)
                                            for ver in lib.versions):
            return Unavailable(name, str(spec), platform, python, target.glibc, _lowest_need(cat, name, spec, target))
        origin = next((u.describe() for u in project if u.name == name), None)
        return Unavailable(name, str(spec), platform, python, origin=origin)
    return None


def _expand_metapackages(cat: Catalog, libs: dict[str, SpecifierSet], reqs: list[builds.Req],
                         target: Target) -> Unavailable | None:
    """Fold in what GPU-library metapackages pin in the extras asked for: torch 2.15 requires
    cuda-toolkit[cublas,...]==13.2.2, whose extras pin nvidia-cublas and friends exactly."""
    queue = [r for r in reqs if r.extras and canonicalize_name(r.name) in cat.pypi and libraries.is_library(r.name)]
    seen: set[str] = set()
    while queue:
        req = queue.pop()
        name = canonicalize_name(req.name)
        if name in seen:
            continue
        seen.add(name)
        wanted = libs.get(name, req.specifier)
        version = choose_version(cat, name, wanted, target)
        if version is None:
            return unavailable(cat, name, wanted, target)
        sub = builds.metadata_requires(cat, name, version, target.platform, target.python, tuple(req.extras))
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


def _plugins_and_companions(cat: Catalog, fw: Framework, release: Release, v: Variant, reqs: list[builds.Req],
                            target: Target, libs: dict[str, SpecifierSet], project: tuple[ProjectRequirement, ...] = ()
                            ) -> tuple[list[Package], list[str], Unavailable | ProjectClash | None]:
    """Versions of the variant's plugins (jax-cuda12-plugin...) and of the companions, within the
    project's requirements on them; what those need must not contradict the project either."""
    platform, python = target.platform, target.python

    def narrowed(name: str, spec: SpecifierSet) -> SpecifierSet:
        mine = combined(project, canonicalize_name(name))
        return spec & mine if mine is not None else spec

    def missing(name: str, spec: SpecifierSet) -> Unavailable:
        found = unavailable(cat, name, spec, target)
        origin = next((u.describe() for u in project if u.name == canonicalize_name(name)), None)
        return found._replace(origin=origin) if origin else found

    out: list[Package] = []
    notes: list[str] = []
    wanted = {canonicalize_name(r.name): r for r in reqs}
    for entry in v.packages:
        name, pinned = split_requirement(entry)
        req = wanted.get(name)
        # The framework's own metadata decides (jax[cuda12] names its plugin); else the catalog's pin.
        spec = narrowed(name, req.specifier if req is not None else SpecifierSet(pinned))
        version = choose_version(cat, name, spec, target)
        if version is None:
            return out, notes, missing(name, spec)
        pkg_extras = tuple(sorted(req.extras)) if req is not None else ()
        out.append(Package(canonicalize_name(name), version, "plugin", v.name, "pypi", pkg_extras))
        sub = builds.metadata_requires(cat, name, version, platform, python, pkg_extras)
        clash = project_clash(project, name, version, sub, f"{canonicalize_name(name)} {version}")
        if clash is not None:
            return out, notes, clash
        _merge(libs, sub)
        for r in sub:
            wanted.setdefault(canonicalize_name(r.name), r)
    for companion in fw.companions:
        key = canonicalize_name(companion)
        if key in wanted:  # the framework requires it (jax -> jaxlib)
            version = choose_version(cat, companion, narrowed(companion, wanted[key].specifier), target)
            if version is None:
                return out, notes, missing(companion, narrowed(companion, wanted[key].specifier))
        else:  # it pins the framework (torchvision -> torch==X)
            version = None
            for exact in (True, False):  # an exact pin first; else the newest whose range admits it
                options = builds.companion_versions(cat, fw, release.version, companion, exact)
                version = next((o for o in sorted(options, key=Version, reverse=True)
                                if choose_version(cat, companion, narrowed(companion, SpecifierSet(f"=={o}")), target)),
                               None)
                if version is not None:
                    break
            if version is None:
                mine = combined(project, key)
                if mine is not None:  # the project asks for it, and no release of it fits this build
                    return out, notes, ProjectClash(next(u for u in project if u.name == key),
                                                    f"{key} built for {fw.distribution} {release.version}",
                                                    f"{fw.distribution} {release.version}")
                continue  # optional companion without a matching release (e.g. torchaudio after 2.11)
        index = v.index if key not in wanted else "pypi"
        clash = project_clash(project, key, version, builds.metadata_requires(cat, key, version, platform, python, ()),
                              f"{key} {version}")
        if clash is not None:
            return out, notes, clash
        out.append(Package(key, version, "companion", v.name if index != "pypi" else None, index))
        if key not in wanted and not builds.companion_versions(cat, fw, release.version, companion):
            notes.append(f"{key} {version} is not built for {fw.distribution} {release.version} specifically; "
                         f"its metadata admits it")
    return out, notes, None


# ---- pairs -------------------------------------------------------------------------------------

def clashes(a: Candidate, b: Candidate, cat: Catalog, target: Target) -> Iterator[Clash]:
    """Every reason two builds cannot share an environment, lazily."""
    if a.cuda_major and b.cuda_major and a.cuda_major != b.cuda_major:
        yield MajorClash(a.ref, b.ref)
        return
    for name in sorted(set(a.libs) & set(b.libs)):
        pin_a, pin_b = a.pins.get(name), b.pins.get(name)
        if pin_a is not None and pin_b is not None:  # two exact pins: equal, and published
            if pin_a != pin_b and Version(pin_a) != Version(pin_b):
                yield LibraryClash(a.ref, b.ref, name, a.libs[name], b.libs[name])
            continue
        if not satisfiable(cat, name, a.libs[name] & b.libs[name], target):
            yield LibraryClash(a.ref, b.ref, name, a.libs[name], b.libs[name])


def satisfiable(cat: Catalog, name: str, both: SpecifierSet, target: Target) -> bool:
    """Is some published version of library ``name`` (with a wheel for the target) in ``both``?"""
    lib = cat.libraries.get(name)
    if lib is None:  # no version list: only contradicting exact pins are known to fail
        pins = {s.version for s in both if s.operator == "=="}
        return len(pins) <= 1 and all(both.contains(p, prereleases=True) for p in pins)
    published = [ver for ver in lib.versions
                 if wheels.library_installable(lib, ver, target.platform, target.python, target.glibc)]
    pins = {s.version for s in both if s.operator == "==" and "*" not in s.version}
    if len(pins) > 1:
        return False
    if pins:  # the common case: one exact pin; check just that version
        pin = next(iter(pins))
        return any(Version(ver) == Version(pin) for ver in published) and both.contains(pin, prereleases=True)
    return any(both.contains(ver, prereleases=True) for ver in published)
