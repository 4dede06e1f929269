"""Pure formatting of solver results: the JSON manifest (``envsolve.solution/1``) and text for people."""

from __future__ import annotations

import shlex
from typing import Any

from . import __version__
from .explain import Conflict
from .platforms import PYPI_INDEX as PYPI_SIMPLE
from .rules.driver import Support
from .rules.target import Request, Target
from .solver import (BuildNote, CudnnUnknown, DriverNote, EditionNote, OlderForGlibc, OlderForProject, ProjectNotes,
                     PtxJit, Solution, SystemCuda, UnknownLibraries, UnverifiedGlibc, UnverifiedKernels,
                     UnverifiedRequirements, Warning)

SCHEMA = "envsolve.solution/1"


def _index(index: str) -> str:
    return PYPI_SIMPLE if index == "pypi" else index


def _request(r: Request) -> dict[str, Any]:
    return {
        "stack": [{"framework": i.framework, "specifier": str(i.spec)} for i in r.stack],
        "accelerator": r.accelerator,
        "cuda": r.cuda,
        "rocm": r.rocm,
        "strict": r.strict,
        "project": [{"requirement": p.text, "origin": p.origin} for p in r.project],
        "project_args": list(r.project_args),
        "project_files": {path: digest for path, digest in r.project_files},
    }


def _target(t: Target) -> dict[str, Any]:
    return {
        "os": t.os,
        "arch": t.arch,
        "platform": t.platform,
        "python": t.python,
        "edition": t.edition,
        "glibc": t.glibc,
        "driver": t.driver,
        "gpus": [{"name": g.name, "compute_capability": g.compute_capability} for g in t.gpus],
    }


def warning_text(sol: Solution, w: Warning) -> str:
    """One warning of a solution in the user's terms."""
    t = sol.target
    if isinstance(w, UnknownLibraries):
        return f"no version list for {', '.join(w.names)} (run `envsolve catalog sync`); left to pip"
    if isinstance(w, UnverifiedRequirements):
        index = next((c.variant.index for c in sol.chosen if c.ref == w.build), "")
        harvest = f"; `envsolve catalog sync --index {index}` harvests them" if index.startswith("https://") else ""
        return (f"UNVERIFIED: {w.build.describe()}: its exact requirements on {t.platform} are not catalogued "
                f"({w.reason}): the GPU libraries it pulls were not checked against the rest of the environment"
                f"{harvest}; --strict refuses such builds")
    if isinstance(w, CudnnUnknown):
        return (f"cuDNN {w.cudnn} (CUDA {w.cuda_major}): the GPUs it supports are not catalogued; "
                f"{', '.join(w.gpus)} not verified")
    if isinstance(w, UnverifiedKernels):
        return (f"{w.build.describe()}: its kernel list is not catalogued; GPU support was checked against what "
                f"CUDA {w.build.cuda} can build")
    if isinstance(w, PtxJit):
        return f"{w.build.describe()}: {', '.join(w.gpus)} run(s) through PTX JIT (slow first start; needs the full driver floor)"
    if isinstance(w, DriverNote):
        if w.verdict.support is Support.UNPUBLISHED and w.verdict.floor.published:
            return (f"{w.build.describe()}: NVIDIA publishes no full {w.verdict.floor.family} driver floor for CUDA "
                    f"{w.build.cuda}; PTX JIT on driver {t.driver} was not checked")
        if w.verdict.support is Support.UNPUBLISHED:
            return (f"{w.build.describe()}: no {w.verdict.floor.family} driver floor is catalogued for CUDA "
                    f"{w.build.cuda} (NVIDIA's table has none); driver {t.driver} was not checked")
        if w.verdict.floor.full is None:
            return (f"{w.build.describe()}: driver {t.driver} runs CUDA {w.build.cuda} through minor-version "
                    f"compatibility (NVIDIA publishes no full {w.verdict.floor.family} floor for it; no PTX JIT)")
        own = next(c.floors[w.verdict.floor.family].full for c in sol.chosen if c.ref == w.build)
        raised = sol.system.newest_component if w.verdict.floor.full != own else None
        why = f"the full floor {raised} sets" if raised else f"CUDA {w.build.cuda}'s"
        return (f"{w.build.describe()}: driver {t.driver} is below {why} {w.verdict.floor.full}; "
                f"it works through minor-version compatibility (no PTX JIT)")
    if isinstance(w, UnverifiedGlibc):
        return (f"UNVERIFIED: {w.build.describe()}: the glibc its {t.platform} wheels need is not catalogued; "
                f"whether it installs on {t.os_label} was not checked; --strict refuses such builds")
    if isinstance(w, OlderForGlibc):
        where = f"{t.edition or 'the target'} has glibc {t.glibc}"
        parts = []
        if w.first is not None:
            span, whose = (w.first, "its") if w.first == w.last else (f"{w.first} to {w.last}", "their")
            needs = f"need glibc {w.needs} or newer" if w.needs else "have no wheel for glibc"
            chosen = next((c for c in sol.chosen if c.ref == w.build), None)
            verdict = ("is the newest that installs there" if chosen is None or chosen.glibc_known
                       else "is the newest not known to fail there (its glibc need is not catalogued)")
            parts.append(f"{w.build.distribution} {span}: {whose} {t.platform} wheels (or those of a package it needs) "
                         f"{needs}; {where}, so {w.build.distribution} {w.build.version} {verdict}")
        for ref, package, need in w.same:
            parts.append(f"{ref.describe()} would need {package} wheels for glibc {need or 'newer'} or newer ({where}), "
                         f"so {w.build.describe()} is used")
        return "; ".join(parts)
    if isinstance(w, OlderForProject):
        from .explain import project_text

        return (f"{w.build.distribution} {w.first} and newer are passed over: {project_text(w.clash)}; "
                f"{w.build.describe()} is the newest that fits the project")
    if isinstance(w, ProjectNotes):
        parts = [f"{framework} joined the stack ({origin} requires it)" for framework, origin in w.joined]
        if w.checked:
            parts.append(f"checked against the chosen builds' requirements: {', '.join(w.checked)}")
        if w.left:
            parts.append(f"left to uv at lock time (not in the catalog): {', '.join(w.left)}")
        return "project: " + "; ".join(parts)
    if isinstance(w, EditionNote):
        return f"{w.edition}: {w.note}"
    if isinstance(w, SystemCuda):
        return f"{w.build.describe()}: needs a system install of CUDA {w.build.cuda} and cuDNN {w.cudnn}"
    assert isinstance(w, BuildNote)
    return w.text


def system_facts(sol: Solution) -> dict[str, Any]:
    """The manifest's ``system`` object."""
    s = sol.system
    return {
        "cuda": s.cuda,
        "cuda_per_framework": dict(s.cuda_per_framework),
        "system_cuda_required": s.system_cuda_required,
        "cudnn": s.cudnn,
        "nccl": s.nccl,
        "driver_min": {family: {"full": f.full, "minor_compat": f.compat} for family, f in s.driver_min.items()},
        "driver_relies_on": {name: v.support.value for name, v in sol.relies_on.items()},
        "compute_capabilities": list(s.compute_capabilities),
        "ptx": list(s.ptx),
        "gpu_support": {k: list(v) for k, v in s.gpu_support.items()},
        "glibc_min": s.glibc_min,
        "glibc_unknown": list(s.glibc_unknown),
    }


def manifest(result: Solution | Conflict, catalog_digest: str | None = None) -> dict[str, Any]:
    """The versioned JSON contract image pipelines consume (documented in the README)."""
    out: dict[str, Any] = {
        "schema": SCHEMA,
        "status": "ok" if isinstance(result, Solution) else "conflict",
        "envsolve": __version__,
        "catalog_digest": catalog_digest,
        "request": _request(result.request),
        "target": _target(result.target),
    }
    if isinstance(result, Solution):
        unverified = unverified_packages(result)
        out["packages"] = [
            {"name": p.name, "version": p.version, "role": p.role, "variant": p.variant, "index": _index(p.index),
             "extras": list(p.extras), "verified": p.name not in unverified}
            for p in result.packages
        ]
        out["system"] = system_facts(result)
        out["warnings"] = [warning_text(result, w) for w in result.warnings]
        out["install"] = install_commands(result)
        out["conflict"] = None
    else:
        out["packages"] = []
        out["system"] = None
        out["conflict"] = {
            "summary": result.summary,
            "causes": [{"kind": c.kind, "text": c.text} for c in result.causes],
            "suggestions": [{"kind": s.kind, "text": s.text, "command": s.command} for s in result.suggestions],
        }
    return out


def unverified_packages(sol: Solution) -> set[str]:
    """Packages of builds whose exact requirements are not catalogued (the build and what it brings)."""
    out = set()
    for cand in sol.chosen:
        if not cand.verified:
            out.add(cand.fw.distribution)
            out.update(p.name for p in cand.extra_packages)
    return out


def install_commands(sol: Solution) -> list[str]:
    """pip commands, one per index: framework-index packages only from their index, the rest from
    PyPI; never --extra-index-url (dependency confusion). The solved GPU-library versions are
    pinned in the PyPI command, so a later install cannot move a library another build pins."""
    groups: dict[str, list[str]] = {}
    for p in sol.packages:
        name = f"{p.name}[{','.join(p.extras)}]" if p.extras else p.name
        groups.setdefault(p.index, []).append(f"{name}=={p.version}")
    cmds = []
    for index, reqs in sorted(groups.items(), key=lambda kv: kv[0] == "pypi"):
        prefix = "pip install" if index == "pypi" else f"pip install --index-url {index}"
        cmds.append(prefix + " " + " ".join(shlex.quote(r) for r in reqs))
    return cmds


def format_solution(sol: Solution) -> str:
    t, r = sol.target, sol.request
    gpus = ", ".join(g.describe() for g in t.gpus) or "any"
    accel = {"cuda": "NVIDIA CUDA", "rocm": "AMD ROCm", "mps": "Apple GPU", "cpu": "CPU only"}[r.accelerator]
    head = f"{r.describe()} for {t.os_label} {t.arch_label}, Python {t.python}, {accel}"
    if r.accelerator == "cuda":
        head += f" (GPUs: {gpus}; driver: {t.driver or 'not given'})"
    lines = [head, ""]
    width = max(len(p.name) for p in sol.packages)
    unverified = unverified_packages(sol)
    for p in sol.packages:
        if p.role == "gpu-library":
            continue
        variant = p.variant or ""
        where = "PyPI" if p.index == "pypi" else p.index
        extras = f"[{','.join(p.extras)}]" if p.extras else ""
        flag = "  (unverified)" if p.name in unverified else ""
        lines.append(f"  {(p.name + extras).ljust(width + 10)} {p.version:12} {variant:10} {where}{flag}")
    if sol.libraries:
        libs = [f"{p.name} {p.version}" for p in sol.libraries]
        lines.append("  GPU libraries:")
        for i in range(0, len(libs), 3):
            lines.append("    " + ", ".join(libs[i:i + 3]))
    s = sol.system
    if r.accelerator == "cuda":
        lines.append("")
        cuda = ", ".join(f"{k} {v}" for k, v in s.cuda_per_framework.items())
        lines.append(f"  CUDA {s.cuda} ({cuda})  cuDNN {s.cudnn or '?'}  NCCL {s.nccl or '?'}")
        for family, floor in s.driver_min.items():
            lines.append(f"  driver ({family}): >= {floor.full or '?'}"
                         + (f"; >= {floor.compat} with minor-version compatibility" if floor.compat != floor.full else ""))
        if s.driver_family and s.driver_family not in s.driver_min:
            lines.append(f"  driver ({s.driver_family}): no floor published for CUDA {s.cuda}")
        if s.compute_capabilities:
            lines.append(f"  kernels for: {' '.join(s.compute_capabilities)}"
                         + (f"  (+PTX {' '.join(s.ptx)})" if s.ptx else ""))
    if t.platform.startswith("linux-"):
        lines.append("")
        lines.append("  " + glibc_line(sol))
    for w in sol.warnings:
        lines.append(f"  note: {warning_text(sol, w)}")
    lines.append("")
    lines.append("install:")
    for cmd in install_commands(sol):
        lines.append(f"  {cmd}")
    return "\n".join(lines)


def glibc_line(sol: Solution) -> str:
    """What the environment needs of the host's glibc, and what the target assumed."""
    s, t = sol.system, sol.target
    where = (f"the target has glibc {t.glibc}" if t.glibc
             else "no glibc given, so none assumed: name an edition or --glibc")
    unknown = f"; not catalogued for {', '.join(s.glibc_unknown)}" if s.glibc_unknown else ""
    if s.glibc_min:
        return f"glibc >= {s.glibc_min} (from the wheels' tags{unknown}; {where})"
    if s.glibc_unknown:
        return f"glibc: not known (not catalogued for {', '.join(s.glibc_unknown)}; {where})"
    return f"glibc: no wheel needs a particular one ({where})"


def format_conflict(conf: Conflict) -> str:
    t = conf.target
    lines = [f"no working environment for {conf.request.describe()} on {t.os_label} {t.arch_label}, Python {t.python}"
             + (f", driver {t.driver}" if t.driver else "")
             + (f", GPUs {', '.join(g.describe() for g in t.gpus)}" if t.gpus else "") + ":"]
    for cause in conf.causes:
        lines.append(f"  - {cause.text}")
    if conf.suggestions:
        lines.append("ways out (each checked):")
        for s in conf.suggestions:
            lines.append(f"  - {s.text}")
            if s.command:
                lines.append(f"      {s.command}")
    return "\n".join(lines)
