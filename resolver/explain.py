"""Why a request has no solution, in the user's terms, and the nearest ways out.

:func:`explain` words the typed :class:`~resolver.solver.Unsolved` value the solver returned (the
rejections of each build, the clashes between pairs) and looks for ways out, each checked by
running the solver again with one thing changed. :func:`answer` is solve-then-explain.
"""

from __future__ import annotations

import shlex
from collections.abc import Sequence
from typing import NamedTuple

from packaging.specifiers import SpecifierSet
from packaging.version import Version

from .candidates import (STAGES, Broken, Candidate, Clash, CudaPinMismatch, CudnnUnsupported, DriverBelow, LibraryClash,
                         MajorClash, NoGlibc, NoKernels, NoPython, ProjectClash, Rejection, Unavailable, Unverified,
                         candidates, clashes, stage_of, usable)
from .catalog import Catalog
from .rules import glibc as glibc_rules
from .rules.driver import driver_key
from .rules.platform import driver_family
from .rules.target import Request, StackItem, Target
from .solver import (CudnnEnvUnsupported, EnvironmentDriver, EnvironmentFails, EnvironmentProblem, FloorNotMet, NoBuild,
                     Solution, Unsolved, solve)

ACCEL_WORDS = {"cuda": "CUDA", "rocm": "ROCm", "mps": "Apple GPU (MPS/Metal)", "cpu": "CPU"}


class Cause(NamedTuple):
    kind: str  # gpu-arch | cudnn | driver | python | platform | accelerator | cuda-pin | cuda-major | library | broken
    #            | unverified | package
    text: str


class Suggestion(NamedTuple):
    kind: str  # version | driver | python | cuda | split | os | accelerator
    text: str
    command: str | None


class Conflict(NamedTuple):
    request: Request
    target: Target
    summary: str
    causes: tuple[Cause, ...]
    suggestions: tuple[Suggestion, ...]


def answer(cat: Catalog, request: Request, target: Target, *, suggest: bool = True) -> Solution | Conflict:
    """Solve, and explain a failure (``suggest``: with the ways out, each found by solving again)."""
    result = solve(cat, request, target)
    return result if isinstance(result, Solution) else explain(cat, result, suggest)


def explain(cat: Catalog, unsolved: Unsolved, suggest: bool = True) -> Conflict:
    if isinstance(unsolved.why, NoBuild):
        return explain_empty(cat, unsolved.request, unsolved.target, unsolved.why.item, unsolved.why.rejections,
                             suggest)
    if isinstance(unsolved.why, EnvironmentFails):
        causes = tuple(environment_cause(p, unsolved.target) for p in unsolved.why.problems)
        suggestions = _suggest(cat, unsolved.request, unsolved.target, list(unsolved.request.stack)) if suggest else []
        return Conflict(unsolved.request, unsolved.target, causes[0].text, causes, tuple(suggestions))
    return explain_clash(cat, unsolved.request, unsolved.target, suggest)


def environment_cause(problem: EnvironmentProblem, target: Target) -> Cause:
    """A rule the whole environment breaks, in the user's terms."""
    if isinstance(problem, FloorNotMet):
        name = {"cudnn": "cuDNN", "nccl": "NCCL"}[problem.library]
        return Cause("library", f"{problem.build.describe()} needs {name} {problem.wanted}, but the environment holds "
                                f"{problem.origin}")
    if isinstance(problem, CudnnEnvUnsupported):
        judged = problem.verdict
        return Cause("cudnn", f"cuDNN {judged.cudnn} (CUDA {judged.cuda_major}) supports compute capability "
                              f"{judged.min_compute_capability} and newer; {problem.gpu.describe()} is "
                              f"{judged.compute_capability}")
    assert isinstance(problem, EnvironmentDriver)
    verdict = problem.verdict
    raised = f" (set by {problem.component})" if problem.component else ""
    return Cause("driver", f"driver {verdict.have} is below {verdict.need}{raised}, the {verdict.floor.family} floor "
                           f"{problem.build.describe()} needs in this environment")


def command_line(request: Request, target: Target) -> str:
    """The envsolve command that asks for ``request`` on ``target``."""
    words = ["envsolve", "+".join(f"{item.framework}{item.spec}" for item in request.stack)]
    words.append({"cuda": "--gpu", "mps": "--gpu", "cpu": "--cpu", "rocm": "--rocm"}[request.accelerator])
    if request.rocm:
        words.append(request.rocm)
    words += ["--os", target.edition or target.os]  # a Linux edition implies its glibc (request.build_request)
    if target.glibc and not target.edition:
        words += ["--glibc", target.glibc]
    words += ["--arch", target.arch_label, "--python", target.python]
    for gpu in target.gpus:
        words += ["--gpu-model", gpu.sm]
    if target.driver:
        words += ["--driver", target.driver]
    if request.cuda:
        words += ["--cuda", request.cuda]
    if request.strict:
        words.append("--strict")
    words += request.project_args
    return " ".join(shlex.quote(w) for w in words)


def _best(result: Solution | Unsolved, framework: str) -> str | None:
    if isinstance(result, Solution):
        cand = next(c for c in result.chosen if c.fw.name == framework)
        return cand.describe()
    return None


def _suggest(cat: Catalog, request: Request, target: Target, stuck: Sequence[StackItem]) -> list[Suggestion]:
    out: list[Suggestion] = []
    family = driver_family(cat, target.os)
    # Another version of a framework pinned by the user.
    for item in stuck:
        if str(item.spec):
            relaxed = request._replace(stack=tuple(i._replace(spec=SpecifierSet()) if i == item else i for i in request.stack))
            result = solve(cat, relaxed, target)
            if isinstance(result, Solution):
                out.append(Suggestion("version", f"drop the {item.framework}{item.spec} pin: "
                                                 f"{_best(result, item.framework)} works", command_line(relaxed, target)))
    # A newer driver.
    if target.driver and request.accelerator == "cuda" and family:
        result = solve(cat, request, target._replace(driver=None))
        if isinstance(result, Solution):
            needs = [f for c in result.chosen for f in [c.floors[family].full] if f]
            if needs:
                need = max(needs, key=driver_key)
                out.append(Suggestion("driver", f"upgrade the NVIDIA driver to >= {need} ({family}): then "
                                      + ", ".join(c.describe() for c in result.chosen) + " works",
                                      command_line(request, target._replace(driver=need))))
    # Unverified builds, when --strict refused them.
    if request.strict:
        relaxed = request._replace(strict=False)
        result = solve(cat, relaxed, target)
        if isinstance(result, Solution):
            out.append(Suggestion("strict", "without --strict: " + ", ".join(c.describe() for c in result.chosen)
                                  + " works, unverified where the catalog lacks facts", command_line(relaxed, target)))
    # Another CUDA.
    if request.cuda:
        relaxed = request._replace(cuda=None)
        result = solve(cat, relaxed, target)
        if isinstance(result, Solution):
            cudas = sorted({c.variant.cuda for c in result.chosen if c.variant.cuda})
            out.append(Suggestion("cuda", f"drop --cuda {request.cuda}: CUDA {', '.join(cudas)} works",
                                  command_line(relaxed, target)))
    # Another Python, newest first.
    for python in reversed(cat.pythons):
        if python == target.python:
            continue
        if isinstance(solve(cat, request, target._replace(python=python)), Solution):
            out.append(Suggestion("python", f"use Python {python}", command_line(request, target._replace(python=python))))
            break
    # Without one of the project's requirements (the first whose removal works). Dropping
    # requirements only widens the choice, so when dropping them all does not help, no single one
    # will: one solve instead of one per requirement.
    helps = bool(request.project) and isinstance(solve(cat, request._replace(project=()), target), Solution)
    for user in request.project if helps else ():
        relaxed = request._replace(project=tuple(u for u in request.project if u is not user))
        if user.origin == "--with":
            relaxed = relaxed._replace(project_args=_without_with(request.project_args, user.text))
        result = solve(cat, relaxed, target)
        if isinstance(result, Solution):
            where = "" if user.origin == "--with" else f" (edit {user.origin.split(' [')[0].rsplit(':', 1)[0]})"
            out.append(Suggestion("project", f"relax {user.describe()}{where}: "
                                  + ", ".join(c.describe() for c in result.chosen) + " works without it",
                                  command_line(relaxed, target) if user.origin == "--with" else None))
            break
    # A newer Linux, when glibc stands in the way.
    if target.glibc is not None:
        result = solve(cat, request, target._replace(glibc=None, edition=None))
        if isinstance(result, Solution) and result.system.glibc_min and not glibc_rules.fits(result.system.glibc_min,
                                                                                           target.glibc):
            need = result.system.glibc_min
            editions = glibc_rules.editions_from(cat, need, target.arch)
            newer = target._replace(glibc=need, edition=None)
            named = f" ({', '.join(editions[:5])}{', ...' if len(editions) > 5 else ''})" if editions else ""
            out.append(Suggestion("os", f"a Linux with glibc {need} or newer{named}: "
                                  + ", ".join(c.describe() for c in result.chosen) + " works there",
                                  command_line(request, newer)))
    # WSL2 instead of native Windows.
    if target.os == "windows" and request.accelerator == "cuda":
        wsl = target._replace(os="wsl2", arch="x86_64")
        if isinstance(solve(cat, request, wsl), Solution):
            out.append(Suggestion("os", "run it in WSL2 on the same Windows machine and driver", command_line(request, wsl)))
    # Separate environments.
    if len(request.stack) > 1:
        singles = [solve(cat, request._replace(stack=(item,)), target) for item in request.stack]
        if all(isinstance(s, Solution) for s in singles):
            parts = [_best(s, item.framework) or item.framework for s, item in zip(singles, request.stack)]
            out.append(Suggestion("split", "split the stack into separate environments: " + "; ".join(parts),
                                  " && ".join(command_line(request._replace(stack=(item,)), target) for item in request.stack)))
    # CPU only.
    if request.accelerator != "cpu" and not out:
        cpu = request._replace(accelerator="cpu", cuda=None, rocm=None)
        plain = target._replace(gpus=(), driver=None)
        result = solve(cat, cpu, plain)
        if isinstance(result, Solution):
            out.append(Suggestion("accelerator", "a CPU-only environment works: "
                                  + ", ".join(f"{c.fw.distribution} {c.release.version}" for c in result.chosen),
                                  command_line(cpu, plain)))
    return out


def _without_with(args: tuple[str, ...], text: str) -> tuple[str, ...]:
    """The command-line words without one ``--with TEXT`` pair."""
    out, i = [], 0
    while i < len(args):
        if args[i] == "--with" and i + 1 < len(args) and args[i + 1].replace(" ", "") == text.replace(" ", ""):
            i += 2
            continue
        out.append(args[i])
        i += 1
    return tuple(out)


def _support_notes(cat: Catalog, framework: str, target: Target, accelerator: str) -> list[str]:
    """os.yaml's notes on this framework, OS and accelerator: only where that entry speaks of the
    accelerator asked for and says it is not offered for every release."""
    fw = cat.frameworks[framework]
    notes = []
    for s in cat.support:
        offered = s.accelerators.get(accelerator)
        if cat.framework(s.framework) is fw and s.os == target.os and s.note and offered not in (None, ">=0"):
            notes.append(s.note)
    return notes


def _python_key(label: str) -> tuple[int, ...]:
    return tuple(int(x) for x in label.rstrip("t+").split("."))


def explain_empty(cat: Catalog, request: Request, target: Target, item: StackItem,
                  rejections: Sequence[Rejection], suggest: bool = True) -> Conflict:
    """No build of ``item`` passes the per-build checks: speak of the furthest check any reached."""
    accel = ACCEL_WORDS[request.accelerator]
    what = item.describe()
    stage = STAGES[max((STAGES.index(stage_of(r.reason)) for r in rejections), default=0)]
    last = [r for r in rejections if stage_of(r.reason) == stage]
    causes: list[Cause] = []
    if stage == "accelerator":
        text = f"{what} has no {accel} build" + (f" for ROCm {request.rocm}" if request.rocm else "")
        if target.os == "macos" and request.accelerator == "cuda":
            text += " on macOS (NVIDIA CUDA does not exist on macOS; --gpu there means MPS/Metal)"
        causes.append(Cause("accelerator", text))
    elif stage == "broken":
        reasons = [r.reason.reason for r in last if isinstance(r.reason, Broken)]
        causes.append(Cause("broken", f"every matching {what} {accel} build is marked broken: {reasons[0]}"))
    elif stage == "platform":
        causes.append(Cause("platform", f"{what} has no {accel} build for {target.os} on {target.arch_label} "
                                        f"({target.platform} wheels)"))
    elif stage == "python":
        have = sorted({p for r in last if isinstance(r.reason, NoPython) for p in r.reason.available if p[:1].isdigit()},
                      key=_python_key)
        causes.append(Cause("python", f"no {what} {accel} build for Python {target.python} on {target.platform}"
                            + (f" (wheels exist for Python {have[0]} to {have[-1]})" if have else "")))
    elif stage == "glibc":
        needs = sorted({r.reason.need for r in last if isinstance(r.reason, NoGlibc) and r.reason.need},
                       key=glibc_rules.key)
        need = f"glibc {needs[0]} or newer" if needs else "a glibc its wheels are not built for"
        documented = any(isinstance(r.reason, NoGlibc) and r.reason.basis == "catalog" for r in last)
        basis = "its wheels' manylinux tags and documented build images" if documented else "its wheels' manylinux tags"
        causes.append(Cause("glibc", f"every {what} {accel} build for Python {target.python} on {target.platform} needs "
                                     f"{need} ({basis}); {target.edition or 'the target'} has glibc {target.glibc}"))
    elif stage == "cuda-pin":
        cudas = sorted({r.reason.cuda for r in last if isinstance(r.reason, CudaPinMismatch) and r.reason.cuda},
                       key=lambda c: tuple(int(x) for x in c.split(".")))
        causes.append(Cause("cuda-pin", f"no {what} build uses CUDA {request.cuda} (its builds use CUDA {', '.join(cudas)})"))
    elif stage == "gpu":
        majors = sorted({(r.build.cuda or "?").split(".")[0] for r in last})
        for gpu in target.gpus:
            if any(isinstance(r.reason, NoKernels) and gpu in r.reason.gpus for r in last):
                causes.append(Cause("gpu-arch", f"{gpu.describe()} has no kernels in any CUDA {'/'.join(majors)} "
                                                f"build of {what}"))
    elif stage == "cudnn":
        for gpu in target.gpus:
            found = [r.reason.verdict for r in last if isinstance(r.reason, CudnnUnsupported) and r.reason.gpu == gpu]
            if found:
                floors = sorted({f"cuDNN {v.cudnn} starts at {v.min_compute_capability}" for v in found})
                causes.append(Cause("cudnn", f"{gpu.describe()} is not supported by the cuDNN of any {what} build with "
                                             f"kernels for it ({'; '.join(floors[:3])})"))
    elif stage == "unverified":
        grouped: dict[str, list[str]] = {}
        for r in sorted(last, key=lambda r: Version(r.build.version), reverse=True):
            if isinstance(r.reason, Unverified):
                grouped.setdefault(r.reason.detail, []).append(r.build.describe())
        parts = [f"{', '.join(builds[:4])}{' and others' if len(builds) > 4 else ''}: {detail}"
                 for detail, builds in sorted(grouped.items(), key=lambda kv: -len(kv[1]))]
        causes.append(Cause("unverified", f"--strict: no {what} {accel} build that passes the other checks has every "
                                          f"fact verified ({'; '.join(parts[:3])})"))
    elif stage == "project":
        clashing: list[tuple[Version, str, ProjectClash]] = sorted(
            ((Version(r.build.version), r.build.describe(), r.reason) for r in last if isinstance(r.reason, ProjectClash)),
            key=lambda item: item[0], reverse=True)
        if clashing:
            more = len({item[1] for item in clashing}) > 1
            causes.append(Cause("project", project_text(clashing[0][2]) + (
                f" (every other {what} {accel} build that passes the other checks clashes with the project too)"
                if more else "")))
    elif stage == "driver":
        needs = sorted({r.reason.verdict.need for r in last if isinstance(r.reason, DriverBelow) and r.reason.verdict.need},
                       key=driver_key)
        family = driver_family(cat, target.os)
        causes.append(Cause("driver", f"driver {target.driver} is below the floor of every {what} CUDA build "
                            f"(the lowest it would need is {needs[0] if needs else '?'} on {family})"))
    else:
        problem = next((r.reason for r in last if isinstance(r.reason, Unavailable)), None)
        causes.append(Cause("package", f"{what}: " + (unavailable_text(problem) if problem else "cannot be installed")))
        detail_clash = next((r.reason for r in rejections if isinstance(r.reason, ProjectClash)), None)
        if detail_clash is not None:
            causes.append(Cause("project", project_text(detail_clash)))
    if stage in ("accelerator", "platform"):
        for note in _support_notes(cat, item.framework, target, request.accelerator):
            causes.append(Cause("platform", note))
    suggestions = _suggest(cat, request, target, [item]) if suggest else []
    return Conflict(request, target, causes[0].text, tuple(causes), tuple(suggestions))


def project_text(clash: ProjectClash) -> str:
    """A build against one of the project's requirements, naming both sides and where each comes from."""
    if clash.needs.startswith("is "):
        return f"{clash.requirement.describe()} excludes {clash.by}"
    return f"{clash.requirement.describe()} conflicts with {clash.by}, which needs {clash.needs}"


def unavailable_text(problem: Unavailable) -> str:
    if problem.origin is not None:
        return (f"no {problem.package} release in {problem.specifier or 'any version'} has a wheel for "
                f"{problem.platform} and Python {problem.python} (the range includes {problem.origin})")
    if problem.glibc is not None:
        needs = f" (they need glibc {problem.needs} or newer)" if problem.needs else ""
        return (f"no {problem.package} release in {problem.specifier or 'any version'} has a wheel for "
                f"{problem.platform} and Python {problem.python} that installs on glibc {problem.glibc}{needs}")
    return (f"no {problem.package} release in {problem.specifier or 'any version'} has a wheel for "
            f"{problem.platform} and Python {problem.python}")


def clash_text(clash: Clash) -> str:
    """A clash between two builds in the user's terms."""
    if isinstance(clash, MajorClash):
        return (f"{clash.a.describe()} uses CUDA {clash.a.cuda} and {clash.b.describe()} uses CUDA {clash.b.cuda}: "
                f"one environment can hold one CUDA major (their cuDNN/NCCL wheels install the same files)")
    return f"{clash.a.describe()} {_wants(clash.library, clash.a_wants)}, {clash.b.describe()} {_wants(clash.library, clash.b_wants)}"


def _wants(name: str, spec: SpecifierSet) -> str:
    specs = list(spec)
    if len(specs) == 1 and specs[0].operator == "==" and "*" not in specs[0].version:
        return f"pins {name}=={specs[0].version}"
    return f"requires {name}{spec}"


def explain_clash(cat: Catalog, request: Request, target: Target, suggest: bool = True) -> Conflict:
    """Each framework has working builds on its own, but no combination works together."""
    pools: dict[str, list[Candidate]] = {
        item.framework: list(usable(candidates(cat, item, request, target)[0])) for item in request.stack}
    causes: list[Cause] = []
    items = list(request.stack)
    for i, a in enumerate(items):
        for b in items[i + 1:]:
            found = list(clashes(pools[a.framework][0], pools[b.framework][0], cat, target))
            if found:
                causes.extend(Cause(c.kind, clash_text(c)) for c in found)
                # Is there any pair at all? Say so plainly when not.
                if not any(next(clashes(x, y, cat, target), None) is None
                           for x in pools[a.framework] for y in pools[b.framework]):
                    causes.append(Cause(found[0].kind, f"no build of {a.describe()} can share an environment with any "
                                                       f"build of {b.describe()} for {target.platform}, Python {target.python}"))
    if not causes:
        causes.append(Cause("library", "the frameworks' GPU-library requirements cannot all be met at once"))
    suggestions = _suggest(cat, request, target, items) if suggest else []
    return Conflict(request, target, causes[0].text, tuple(causes), tuple(suggestions))
