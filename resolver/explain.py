"""Why a request has no solution, in the user's terms, and the nearest ways out.

Both entry points return a :class:`~resolver.solver.Conflict` value; every suggestion in it was
checked by running the solver again with one thing changed.
"""

from __future__ import annotations

import shlex

from packaging.specifiers import SpecifierSet

from .catalog import Catalog
from .request import Request, StackItem, Target, driver_key
from .solver import Cause, Conflict, Rejection, Solution, Suggestion, _compatible, candidates, clashes, solve, usable

STAGES = ("accelerator", "broken", "platform", "python", "cuda-pin", "gpu", "driver", "package")
ACCEL_WORDS = {"cuda": "CUDA", "rocm": "ROCm", "mps": "Apple GPU (MPS/Metal)", "cpu": "CPU"}


def command_line(request: Request, target: Target) -> str:
    """The envsolve command that asks for ``request`` on ``target``."""
    words = ["envsolve", "+".join(f"{item.framework}{item.spec}" for item in request.stack)]
    words.append({"cuda": "--gpu", "mps": "--gpu", "cpu": "--cpu", "rocm": "--rocm"}[request.accelerator])
    if request.rocm:
        words.append(request.rocm)
    words += ["--os", target.os, "--arch", target.arch_label, "--python", target.python]
    for gpu in target.gpus:
        words += ["--gpu-model", gpu.sm]
    if target.driver:
        words += ["--driver", target.driver]
    if request.cuda:
        words += ["--cuda", request.cuda]
    return " ".join(shlex.quote(w) for w in words)


def _what(request: Request, item: StackItem) -> str:
    return f"{item.framework}{item.spec}" if str(item.spec) else item.framework


def _best(result: Solution | Conflict, framework: str) -> str | None:
    if isinstance(result, Solution):
        cand = next(c for c in result.chosen if c.fw.name == framework)
        return f"{cand.fw.distribution} {cand.release.version} ({cand.variant.name})"
    return None


def _suggest(cat: Catalog, request: Request, target: Target, stuck: list[StackItem]) -> list[Suggestion]:
    out: list[Suggestion] = []
    # Another version of a framework pinned by the user.
    for item in stuck:
        if str(item.spec):
            relaxed = request._replace(stack=tuple(i._replace(spec=SpecifierSet()) if i == item else i for i in request.stack))
            result = solve(cat, relaxed, target, explain=False)
            if isinstance(result, Solution):
                best = _best(result, item.framework)
                out.append(Suggestion("version", f"drop the {item.framework}{item.spec} pin: {best} works",
                                      command_line(relaxed, target)))
    # A newer driver.
    if target.driver and request.accelerator == "cuda":
        result = solve(cat, request, target._replace(driver=None), explain=False)
        if isinstance(result, Solution):
            needs = [c.driver.full for c in result.chosen if c.driver.full]
            if needs:
                need = max(needs, key=driver_key)
                out.append(Suggestion("driver", f"upgrade the NVIDIA driver to >= {need} ({target.driver_family}): then "
                                      + ", ".join(f"{c.fw.distribution} {c.release.version} ({c.variant.name})" for c in result.chosen)
                                      + " works", command_line(request, target._replace(driver=need))))
    # Another CUDA.
    if request.cuda:
        relaxed = request._replace(cuda=None)
        result = solve(cat, relaxed, target, explain=False)
        if isinstance(result, Solution):
            cudas = sorted({c.variant.cuda for c in result.chosen if c.variant.cuda})
            out.append(Suggestion("cuda", f"drop --cuda {request.cuda}: CUDA {', '.join(cudas)} works", command_line(relaxed, target)))
    # Another Python.
    for minor in range(14, 8, -1):
        python = f"3.{minor}"
        if python == target.python:
            continue
        result = solve(cat, request, target._replace(python=python), explain=False)
        if isinstance(result, Solution):
            out.append(Suggestion("python", f"use Python {python}", command_line(request, target._replace(python=python))))
            break
    # WSL2 instead of native Windows.
    if target.os == "windows" and request.accelerator == "cuda":
        wsl = target._replace(os="wsl2", arch="x86_64")
        if isinstance(solve(cat, request, wsl, explain=False), Solution):
            out.append(Suggestion("os", "run it in WSL2 on the same Windows machine and driver", command_line(request, wsl)))
    # Separate environments.
    if len(request.stack) > 1:
        singles = [solve(cat, request._replace(stack=(item,)), target, explain=False) for item in request.stack]
        if all(isinstance(s, Solution) for s in singles):
            parts = [_best(s, item.framework) for s, item in zip(singles, request.stack)]
            out.append(Suggestion("split", "split the stack into separate environments: " + "; ".join(parts),
                                  " && ".join(command_line(request._replace(stack=(item,)), target) for item in request.stack)))
    # CPU only.
    if request.accelerator != "cpu" and not out:
        cpu = request._replace(accelerator="cpu", cuda=None, rocm=None)
        result = solve(cat, cpu, target._replace(gpus=(), driver=None), explain=False)
        if isinstance(result, Solution):
            out.append(Suggestion("accelerator", "a CPU-only environment works: "
                                  + ", ".join(f"{c.fw.distribution} {c.release.version}" for c in result.chosen),
                                  command_line(cpu, target._replace(gpus=(), driver=None))))
    return out


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


def explain_empty(cat: Catalog, request: Request, target: Target, item: StackItem,
                  rejections: list[Rejection], suggest: bool = True) -> Conflict:
    """No build of ``item`` passes the per-build checks."""
    accel = ACCEL_WORDS[request.accelerator]
    what = _what(request, item)
    reached = max((STAGES.index(r.stage) for r in rejections), default=0)
    stage = STAGES[reached]
    last = [r for r in rejections if r.stage == stage]
    causes: list[Cause] = []
    if stage == "accelerator":
        text = f"{what} has no {accel} build" + (f" for ROCm {request.rocm}" if request.rocm else "")
        if target.os == "macos" and request.accelerator == "cuda":
            text += " on macOS (NVIDIA CUDA does not exist on macOS; --gpu there means MPS/Metal)"
        causes.append(Cause("accelerator", text))
    elif stage == "broken":
        causes.append(Cause("broken", f"every matching {what} {accel} build is marked broken: {last[0].reason}"))
    elif stage == "platform":
        causes.append(Cause("platform", f"{what} has no {accel} build for {target.os} on {target.arch_label} ({target.platform} wheels)"))
    elif stage == "python":
        have = sorted({p for r in last for p in r.reason.removeprefix("wheels for Python ").split(", ") if p[:1].isdigit()},
                      key=lambda p: tuple(int(x) for x in p.rstrip("t+").split(".")))
        causes.append(Cause("python", f"no {what} {accel} build for Python {target.python} on {target.platform}"
                            + (f" (wheels exist for Python {have[0]} to {have[-1]})" if have else "")))
    elif stage == "cuda-pin":
        cudas = sorted({r.reason.removeprefix("CUDA ") for r in last}, key=lambda c: tuple(int(x) for x in c.split(".")) if c[0].isdigit() else (0,))
        causes.append(Cause("cuda-pin", f"no {what} build uses CUDA {request.cuda} (its builds use CUDA {', '.join(cudas)})"))
    elif stage == "gpu":
        majors = sorted({(cat.frameworks[item.framework].release(r.release).variant(r.variant).cuda or "?").split(".")[0] for r in last})
        for gpu in target.gpus:
            if any(gpu.describe() in r.reason for r in last):
                causes.append(Cause("gpu-arch", f"{gpu.describe()} has no kernels in any CUDA {'/'.join(majors)} build of {what}"))
    elif stage == "driver":
        needs = sorted({r.reason.split(">= ")[1].split(" ")[0] for r in last}, key=driver_key)
        causes.append(Cause("driver", f"driver {target.driver} is below the floor of every {what} CUDA build "
                            f"(the lowest it would need is {needs[0]} on {target.driver_family})"))
    else:
        causes.append(Cause("package", f"{what}: {last[0].reason}"))
    if stage in ("accelerator", "platform"):
        for note in _support_notes(cat, item.framework, target, request.accelerator):
            causes.append(Cause("platform", note))
    suggestions = _suggest(cat, request, target, [item]) if suggest else []
    return Conflict(request, target, causes[0].text, tuple(causes), tuple(suggestions))


def explain_clash(cat: Catalog, request: Request, target: Target, suggest: bool = True) -> Conflict:
    """Each framework has working builds on its own, but no combination works together."""
    pools = {item.framework: list(usable(candidates(cat, item, request, target)[0])) for item in request.stack}
    causes: list[Cause] = []
    items = list(request.stack)
    for i, a in enumerate(items):
        for b in items[i + 1:]:
            best_a, best_b = pools[a.framework][0], pools[b.framework][0]
            found = list(clashes(best_a, best_b, cat, target.platform))
            why = found[0] if found else None
            if why is not None:
                causes.extend(Cause(kind, text) for kind, text in found)
                # Is there any pair at all? Say so plainly when not.
                if not any(_compatible(x, y, cat, target.platform) is None for x in pools[a.framework] for y in pools[b.framework]):
                    causes.append(Cause(why[0], f"no build of {_what(request, a)} can share an environment with any build of "
                                                f"{_what(request, b)} for {target.platform}, Python {target.python}"))
    if not causes:
        causes.append(Cause("library", "the frameworks' GPU-library requirements cannot all be met at once"))
    suggestions = _suggest(cat, request, target, items) if suggest else []
    return Conflict(request, target, causes[0].text, tuple(causes), tuple(suggestions))

