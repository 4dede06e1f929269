"""The solver: the newest working combination of framework builds for a target, or why none.

"Working" means all of: every shared GPU-library distribution has one published version that
satisfies every chosen build (pip level); one CUDA major in the environment; the driver floor met;
every GPU has kernels (or PTX it can JIT); wheels for the OS, CPU and Python; nothing broken.

Per-build checks (:mod:`resolver.candidates`) filter each framework's builds first and record why
each was dropped. The joint part (shared libraries, CUDA major) is solved by resolvelib over
:class:`~resolver.provider.EnvironmentProvider`.

Preference, in order: the newest release of each requested framework, in the order requested;
then the newer CUDA; then the build on PyPI over one on the framework's own index.

:func:`solve` returns a :class:`Solution` or an :class:`Unsolved` value; :mod:`resolver.explain`
turns the latter into the user's terms.
"""

from __future__ import annotations

from typing import Any, NamedTuple, Union

from packaging.specifiers import SpecifierSet

from packaging.version import Version

from .candidates import (BuildRef, Candidate, NoGlibc, Package, ProjectClash, Rejection, Unavailable, candidates, clashes,
                         usable)
from .catalog import Catalog, canonicalize_name
from .provider import ANY, EnvironmentProvider, LibraryPin, Requirement
from .rules import builds, cudnn, driver, kernels
from .rules import glibc as glibc_rules
from .rules import libraries as libraries_of
from .rules.platform import driver_family
from .rules.target import GpuTarget, Request, StackItem, Target

MAX_ROUNDS = 20000
MAX_RETRIES = 50  # combinations judged by the environment-wide rules before giving up


# ---- what a solution says beyond its pins (worded by resolver.report) ----------------------------

class UnknownLibraries(NamedTuple):
    names: tuple[str, ...]  # no version list in the catalog: left to pip


class UnverifiedKernels(NamedTuple):
    build: BuildRef  # its kernel list is not catalogued; GPUs were checked against its toolkit


class PtxJit(NamedTuple):
    build: BuildRef
    gpus: tuple[str, ...]  # run through PTX JIT


class DriverNote(NamedTuple):
    build: BuildRef
    verdict: driver.DriverVerdict  # minor-version compatibility, or no published floor


class SystemCuda(NamedTuple):
    build: BuildRef
    cudnn: str | None  # needs a system CUDA (build.cuda) and cuDNN


class BuildNote(NamedTuple):
    text: str  # a note from a build's details (a companion matched by range)


class UnverifiedRequirements(NamedTuple):
    build: BuildRef
    reason: str  # why its exact requirements are not catalogued; nothing was invented for it


class CudnnUnknown(NamedTuple):
    cudnn: str
    cuda_major: str
    gpus: tuple[str, ...]  # whose support by that cuDNN is not catalogued


class UnverifiedGlibc(NamedTuple):
    build: BuildRef  # the glibc its wheels need is not catalogued; the target's glibc was not checked


class OlderForGlibc(NamedTuple):
    """Newer releases of a chosen framework were passed over: their wheels need a newer glibc."""

    build: BuildRef  # the chosen build
    first: str | None  # the oldest newer release refused for glibc (None: only other builds of this one)
    last: str | None  # the newest
    needs: str | None  # the lowest glibc those wheels need
    same: tuple[tuple[BuildRef, str, str | None], ...] = ()  # other builds of the chosen release: (build, package, glibc)


class OlderForProject(NamedTuple):
    """Newer releases of a chosen framework were passed over: they contradict a project requirement."""

    build: BuildRef  # the chosen build
    first: str  # the oldest newer release refused
    clash: ProjectClash  # why, for that release


class ProjectNotes(NamedTuple):
    joined: tuple[tuple[str, str], ...]  # (framework, origin) that joined the stack from the project
    checked: tuple[str, ...]  # project requirements checked against the chosen builds' own requirements
    left: tuple[str, ...]  # project requirements on packages the solve does not know: left to uv at lock time


class EditionNote(NamedTuple):
    edition: str
    note: str  # what the catalog knows (and does not) of the framework's and NVIDIA's support there


Warning = Union[UnknownLibraries, UnverifiedRequirements, UnverifiedKernels, PtxJit, DriverNote, CudnnUnknown,
                SystemCuda, BuildNote, UnverifiedGlibc, OlderForGlibc, OlderForProject, ProjectNotes, EditionNote]


class FloorNotMet(NamedTuple):
    """A build's cuDNN or NCCL floor does not hold for the version the environment holds."""

    build: BuildRef
    library: str  # cudnn | nccl
    wanted: str  # the build's specifier
    have: str  # the environment's version
    origin: str  # where that version comes from


class CudnnEnvUnsupported(NamedTuple):
    gpu: GpuTarget
    verdict: cudnn.CudnnVerdict


class EnvironmentDriver(NamedTuple):
    """The driver is below the floor the environment needs (its newest CUDA component included)."""

    build: BuildRef
    verdict: driver.DriverVerdict
    component: str | None  # the library that raised the floor, when one did


EnvironmentProblem = Union[FloorNotMet, CudnnEnvUnsupported, EnvironmentDriver]


class SystemFacts(NamedTuple):
    """What the environment needs from the machine, for every consumer (report, scripts, checks)."""

    cuda: str | None  # the highest CUDA runtime of the chosen builds
    cuda_per_framework: dict[str, str]
    system_cuda_required: bool
    cudnn: str | None
    nccl: str | None
    driver_family: str | None  # whose driver table applies on the target
    driver_min: dict[str, driver.DriverFloor]  # family -> the environment's floor (newest CUDA component included)
    newest_component: str | None  # "nvidia-cuda-nvrtc-cu12==12.9.86" when a library raised the full floor
    compute_capabilities: tuple[str, ...]  # SASS targets every build with a catalogued list ships
    ptx: tuple[str, ...]  # PTX targets some build ships
    gpu_support: dict[str, tuple[str, ...]]  # "sass"/"ptx" -> compute capabilities (kernels.support_table)
    glibc_min: str | None = None  # Linux: the highest glibc any locked wheel needs (from its tag or the catalog)
    glibc_unknown: tuple[str, ...] = ()  # Linux: packages whose glibc need is not catalogued


class Solution(NamedTuple):
    request: Request
    target: Target
    chosen: tuple[Candidate, ...]
    libraries: tuple[Package, ...]
    warnings: tuple[Warning, ...]
    system: SystemFacts
    relies_on: dict[str, driver.DriverVerdict]  # per framework, when a driver was given (environment floor)

    @property
    def packages(self) -> tuple[Package, ...]:
        out = []
        for cand in self.chosen:
            extras = (cand.variant.extra,) if cand.variant.extra else ()
            out.append(Package(cand.fw.distribution, cand.release.version, "framework", cand.variant.name,
                               cand.variant.index, extras))
            out.extend(cand.extra_packages)
        return tuple(out) + self.libraries


class NoBuild(NamedTuple):
    """No build of ``item`` passes the per-build checks (or every one fails at the pip level)."""

    item: StackItem
    rejections: tuple[Rejection, ...]


class NoCombination(NamedTuple):
    """Each framework has working builds on its own, but no combination works together."""

    frameworks: tuple[str, ...]


class EnvironmentFails(NamedTuple):
    """The best combination breaks a rule that holds for the whole environment."""

    problems: tuple[EnvironmentProblem, ...]


class Unsolved(NamedTuple):
    request: Request
    target: Target
    why: NoBuild | NoCombination | EnvironmentFails


def pools_for(cat: Catalog, request: Request, target: Target) -> tuple[dict[str, list[Candidate]], NoBuild | None]:
    """Each framework's candidates, or the first framework with none that can be installed."""
    pools: dict[str, list[Candidate]] = {}
    for item in request.stack:
        pool, rejected = candidates(cat, item, request, target)
        if next(usable(pool), None) is None:  # every build failed at the pip level
            rejected += [Rejection(c.ref, c.details.problem) for c in pool
                         if isinstance(c.details.problem, (Unavailable, ProjectClash))]
            return pools, NoBuild(item, tuple(rejected))
        pools[item.framework] = pool
    return pools, None


def solve(cat: Catalog, request: Request, target: Target) -> Solution | Unsolved:
    """Solve ``request`` for ``target``.

    The joint solve proposes the best combination at the pip level; the rules that hold for the
    whole environment (:func:`environment_check`) then judge it. When they fail, the build they
    blame leaves its pool and the solve runs again, so the answer is the best combination that
    passes every rule (first failure kept for the explanation)."""
    pools, empty = pools_for(cat, request, target)
    if empty is not None:
        return Unsolved(request, target, empty)
    first: EnvironmentFails | None = None
    for _ in range(MAX_RETRIES):
        result = _solve_pools(cat, request, target, pools)
        if not isinstance(result, _Failed):
            return result
        if first is None:
            first = result.why
        blamed = {p.build for p in result.why.problems if not isinstance(p, CudnnEnvUnsupported)} or \
            {result.chosen[-1].ref}
        pools = {name: [c for c in pool if c.ref not in blamed] for name, pool in pools.items()}
        if any(next(usable(pool), None) is None for pool in pools.values()):
            break
    assert first is not None
    return Unsolved(request, target, first)


class _Failed(NamedTuple):
    chosen: tuple[Candidate, ...]
    why: EnvironmentFails


def _solve_pools(cat: Catalog, request: Request, target: Target,
                 pools: dict[str, list[Candidate]]) -> Solution | Unsolved | _Failed:
    pools = dict(pools)
    names = [item.framework for item in request.stack]
    if len(names) > 1:
        # Prefix pruning: skip the preferred builds that no build of some other framework can sit
        # beside, up to the first that has a partner in every other pool. This keeps resolvelib
        # from backtracking through hopeless pairs, and finds "no pair at all" without it.
        compatible: dict[tuple[BuildRef, BuildRef], bool] = {}  # this solve's pairs

        def fits(c: Candidate, d: Candidate) -> bool:
            key = (c.ref, d.ref)
            if key not in compatible:
                compatible[key] = next(clashes(c, d, cat, target), None) is None
            return compatible[key]

        for a in names:
            pool = pools[a]
            start = next((i for i, c in enumerate(pool) if c.details.problem is None and all(
                any(fits(c, d) for d in usable(pools[b])) for b in names if b != a)), None)
            if start is None:
                return Unsolved(request, target, NoCombination(tuple(names)))
            pools[a] = pool[start:]
    from resolvelib import BaseReporter, Resolver
    from resolvelib.resolvers import ResolutionImpossible, ResolutionTooDeep

    root = [Requirement(name, None, None) for name in names]
    resolver: Resolver[Requirement, Candidate | LibraryPin, str] = Resolver(
        EnvironmentProvider(cat, pools, names, target), BaseReporter())  # type: ignore[arg-type]
    try:
        result = resolver.resolve(root, max_rounds=MAX_ROUNDS)
    except (ResolutionImpossible, ResolutionTooDeep):
        return Unsolved(request, target, NoCombination(tuple(names)))
    chosen = tuple(c for name in names for c in [result.mapping[name]] if isinstance(c, Candidate))
    pins = sorted((v for v in result.mapping.values() if isinstance(v, LibraryPin)), key=lambda p: p.name)
    libraries = tuple(Package(p.name, p.version, "gpu-library", None, "pypi") for p in pins if p.version != ANY)
    system = system_facts(cat, target, chosen, libraries)
    problems, relies_on, env_notes = environment_check(cat, target, chosen, libraries, system)
    if problems:
        return _Failed(chosen, EnvironmentFails(tuple(problems)))
    warnings: list[Warning] = []
    unknown = tuple(p.name for p in pins if p.version == ANY)
    if unknown:
        warnings.append(UnknownLibraries(unknown))
    for cand in chosen:
        warnings.extend(BuildNote(note) for note in cand.notes)
        if not cand.verified:
            warnings.append(UnverifiedRequirements(cand.ref, cand.knowledge.reason or "not catalogued"))
        if cand.unverified_archs and target.gpus:
            warnings.append(UnverifiedKernels(cand.ref))
        if cand.jit:
            warnings.append(PtxJit(cand.ref, cand.jit))
        verdict = relies_on.get(cand.fw.name)
        if verdict is not None and verdict.support in (driver.Support.UNPUBLISHED, driver.Support.MINOR_COMPAT):
            warnings.append(DriverNote(cand.ref, verdict))
        unknown_cudnn = tuple(v for v in cand.cudnn if v.support is cudnn.Support.UNKNOWN)
        if unknown_cudnn:
            warnings.append(CudnnUnknown(unknown_cudnn[0].cudnn, unknown_cudnn[0].cuda_major,
                                         tuple(g.describe() for g in target.gpus)))
        if cand.variant.system_cuda:
            warnings.append(SystemCuda(cand.ref, cand.variant.cudnn))
        if not cand.glibc_known:
            warnings.append(UnverifiedGlibc(cand.ref))
        older = _older_for_glibc(cat, request, target, cand)
        if older is not None:
            warnings.append(older)
        passed_over = _older_for_project(cat, request, target, cand)
        if passed_over is not None:
            warnings.append(passed_over)
    if request.project:
        warnings.append(_project_notes(cat, request, target, chosen, libraries))
    edition = cat.windows_editions.get(target.edition or "")
    if edition is not None:
        warnings.append(EditionNote(edition.name, edition.note))
    warnings.extend(env_notes)
    return Solution(request, target, chosen, libraries, tuple(dict.fromkeys(warnings)), system, relies_on)


def _older_for_glibc(cat: Catalog, request: Request, target: Target, cand: Candidate) -> OlderForGlibc | None:
    """Newer releases of ``cand``'s framework refused for glibc (their own wheels, or a package they
    need: jax's jaxlib), when there are any."""
    if target.glibc is None:
        return None
    item = next(i for i in request.stack if i.framework == cand.fw.name)
    good, rejected = candidates(cat, item, request, target)
    refused: dict[str, str | None] = {}  # version -> what its wheels need
    for r in rejected:
        if isinstance(r.reason, NoGlibc) and Version(r.build.version) > cand.version:
            refused.setdefault(r.build.version, r.reason.need)
    same: list[tuple[BuildRef, str, str | None]] = []
    rank = {id(c): i for i, c in enumerate(good)}
    for other in good:
        problem = other.details.problem if other.version >= cand.version else None
        if not isinstance(problem, Unavailable) or problem.glibc is None:
            continue
        if other.version > cand.version:
            refused.setdefault(other.release.version, problem.needs)
        elif rank[id(other)] < rank.get(id(cand), len(good)):  # preferred, same release (jax 0.7.0's pip CUDA)
            same.append((other.ref, problem.package, problem.needs))
    if not refused and not same:
        return None
    versions = sorted(refused, key=Version)
    return OlderForGlibc(cand.ref, versions[0] if versions else None, versions[-1] if versions else None,
                         refused[versions[0]] if versions else None, tuple(same))


def _older_for_project(cat: Catalog, request: Request, target: Target, cand: Candidate) -> OlderForProject | None:
    """The oldest newer release of ``cand``'s framework refused for a project requirement."""
    if not request.project:
        return None
    item = next(i for i in request.stack if i.framework == cand.fw.name)
    good, rejected = candidates(cat, item, request, target)
    refused = [(Version(r.build.version), r.reason) for r in rejected
               if isinstance(r.reason, ProjectClash) and Version(r.build.version) > cand.version]
    refused += [(other.version, other.details.problem) for other in good if other.version > cand.version
                and isinstance(other.details.problem, ProjectClash)]
    if not refused:
        return None
    version, clash = min(refused, key=lambda item: item[0])
    assert isinstance(clash, ProjectClash)
    return OlderForProject(cand.ref, str(version), clash)


def _project_notes(cat: Catalog, request: Request, target: Target, chosen: tuple[Candidate, ...],
                   libraries: tuple[Package, ...]) -> ProjectNotes:
    """Which project requirements the solve checked, and which it leaves to uv."""
    from .rules.requirements import applying

    joined = tuple((item.framework, item.origin) for item in request.stack if item.origin)
    known = {canonicalize_name(c.fw.distribution) for c in chosen} | {p.name for c in chosen for p in c.extra_packages}
    known |= {p.name for p in libraries}
    for cand in chosen:
        known |= {r.name for r in builds.requires(cat, cand.fw, cand.release, cand.variant, target.platform, target.python)}
        for p in cand.extra_packages:
            known |= {r.name for r in builds.metadata_requires(cat, p.name, p.version, target.platform, target.python,
                                                                p.extras)}
    reqs = applying(request.project, target.platform, target.python)
    checked = tuple(r.describe() for r in reqs if r.name in known)
    left = tuple(r.describe() for r in reqs if r.name not in known)
    return ProjectNotes(joined, checked, left)


def environment_check(cat: Catalog, target: Target, chosen: tuple[Candidate, ...], libraries: tuple[Package, ...],
                      system: SystemFacts
                      ) -> tuple[list[EnvironmentProblem], dict[str, driver.DriverVerdict], list[Warning]]:
    """The rules that hold for the whole environment, not one build: every build's cuDNN/NCCL floor
    holds for the cuDNN/NCCL the environment ends up with; its cuDNN supports every GPU; and the
    driver meets the floor set by the newest CUDA component present (nvrtc/nvJitLink X.Y need the
    X.Y driver for PTX JIT), not only each build's own CUDA. Returns (problems, the driver verdict
    per framework when a driver was given, warnings)."""
    problems: list[EnvironmentProblem] = []
    notes: list[Warning] = []
    libs = {p.name: p.version for p in libraries}
    for kind in ("cudnn", "nccl"):
        have, origin = _environment_version(chosen, libs, kind)
        if have is None:
            continue
        for cand in chosen:
            wanted = getattr(cand.variant, kind)
            if wanted and not wanted[0].isdigit() and not SpecifierSet(wanted).contains(have, prereleases=True):
                problems.append(FloorNotMet(cand.ref, kind, wanted, have, origin))
    cudnn_lib = next((n for n in libs if n.startswith("nvidia-cudnn")), None)
    if cudnn_lib is not None and target.gpus:
        major = libraries_of.library_major(cat, cudnn_lib, libs[cudnn_lib])
        for gpu in target.gpus:
            found = cudnn.verdict(cat, libs[cudnn_lib], major or "", gpu.compute_capability)
            if found.support is cudnn.Support.UNSUPPORTED:
                problems.append(CudnnEnvUnsupported(gpu, found))
            elif found.support is cudnn.Support.UNKNOWN:
                notes.append(CudnnUnknown(found.cudnn, found.cuda_major, tuple(g.describe() for g in target.gpus)))
    relies_on: dict[str, driver.DriverVerdict] = {}
    family = system.driver_family
    floor = system.driver_min.get(family) if family else None
    if target.driver and family:
        for cand in chosen:
            if cand.variant.accelerator != "cuda":
                continue
            own = cand.floors[family]
            env = floor if floor is not None else own
            verdict = driver.verdict(env if own.published else own, target.driver, needs_jit=bool(cand.jit))
            if not verdict.ok:
                problems.append(EnvironmentDriver(cand.ref, verdict, system.newest_component))
            relies_on[cand.fw.name] = verdict
    return problems, relies_on, notes


def _environment_version(chosen: tuple[Candidate, ...], libs: dict[str, str], kind: str) -> tuple[str | None, str]:
    """The cuDNN or NCCL version the environment holds: its pip library, else a build's exact one."""
    lib = next((n for n in libs if n.startswith(f"nvidia-{kind}")), None)
    if lib is not None:
        return libs[lib], f"{lib}=={libs[lib]}"
    for cand in chosen:
        value = getattr(cand.variant, kind)
        if value and value[0].isdigit():
            return value, f"{cand.describe()}'s {kind} {value}"
    return None, ""


def system_facts(cat: Catalog, target: Target, chosen: tuple[Candidate, ...],
                 libraries: tuple[Package, ...]) -> SystemFacts:
    cudas = sorted({c.variant.cuda for c in chosen if c.variant.cuda}, key=lambda v: tuple(int(x) for x in v.split(".")))
    libs = {p.name: p.version for p in libraries}
    cudnn = next((v for n, v in libs.items() if n.startswith("nvidia-cudnn")), None)
    nccl = next((v for n, v in libs.items() if n.startswith("nvidia-nccl")), None)
    if cudnn is None:
        cudnn = next((c.variant.cudnn for c in chosen if c.variant.cudnn), None)
    if nccl is None:
        nccl = next((c.variant.nccl for c in chosen if c.variant.nccl), None)
    components = [(f"{p.name}=={p.version}", cuda) for p in libraries
                  for cuda in [libraries_of.cuda_version_of(cat, p.name, p.version)] if cuda]
    floors = {}
    raised: str | None = None
    for family in ("linux", "windows"):
        own = driver.combined((c.floors[family] for c in chosen), family)
        parts = [c.floors[family] for c in chosen] + [driver.component_floor(cat, cuda, family) for _, cuda in components]
        floor = driver.combined(parts, family) if own.published else own
        if floor.published:
            floors[family] = floor
        if floor.full and own.full and driver.driver_key(floor.full) > driver.driver_key(own.full):
            top = max(components, key=lambda item: (tuple(int(x) for x in item[1].split(".")),
                                                   "nvrtc" in item[0] or "nvjitlink" in item[0]))
            raised = raised or top[0]
    covered: set[str] | None = None
    cuda_builds = [c.kernels for c in chosen if c.kernels is not None]
    for c in chosen:
        if c.kernels is not None and c.kernels.verified:
            covered = set(c.kernels.sass) if covered is None else covered & set(c.kernels.sass)
    return SystemFacts(
        cuda=cudas[-1] if cudas else None,
        cuda_per_framework={c.fw.name: c.variant.cuda for c in chosen if c.variant.cuda},
        system_cuda_required=any(c.variant.system_cuda for c in chosen),
        cudnn=cudnn,
        nccl=nccl,
        driver_family=driver_family(cat, target.os),
        driver_min=floors,
        newest_component=raised,
        compute_capabilities=tuple(sorted(covered or (), key=kernels.arch_sort_key)),
        ptx=tuple(sorted({a for k in cuda_builds for a in k.ptx}, key=kernels.arch_sort_key)),
        gpu_support=kernels.support_table(cat, cuda_builds) if cuda_builds else {"sass": (), "ptx": ()},
        **_glibc_facts(cat, target, chosen, libraries),
    )


def _glibc_facts(cat: Catalog, target: Target, chosen: tuple[Candidate, ...],
                 libraries: tuple[Package, ...]) -> dict[str, Any]:
    """The highest glibc the environment's wheels need on a Linux target, and what is not known."""
    platform, python = target.platform, target.python
    if not platform.startswith("linux-"):
        return {}
    needs: list[str | None] = []
    unknown: list[str] = []

    def count(name: str, found: glibc_rules.Need) -> None:
        if found.known:
            needs.append(found.glibc)
        else:
            unknown.append(name)

    for cand in chosen:
        own = cand.glibc or builds.glibc_need(cat, cand.fw, cand.release, cand.variant, platform, python)
        count(cand.fw.distribution, own)
        for pkg in cand.extra_packages:  # a companion from the framework's index is built with the framework
            count(pkg.name, own if pkg.index != "pypi" else builds.package_glibc(cat, pkg.name, pkg.version, platform, python))
    for pkg in libraries:
        count(pkg.name, builds.package_glibc(cat, pkg.name, pkg.version, platform, python))
    return {"glibc_min": glibc_rules.highest(needs), "glibc_unknown": tuple(dict.fromkeys(unknown))}
