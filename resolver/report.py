"""Pure formatting of solver results: the JSON manifest (``envsolve.solution/1``) and text for people."""

from __future__ import annotations

import shlex

from . import __version__
from .platforms import PYPI_INDEX as PYPI_SIMPLE
from .request import driver_key
from .solver import Conflict, Solution

SCHEMA = "envsolve.solution/1"


def _index(index: str) -> str:
    return PYPI_SIMPLE if index == "pypi" else index


def _request(r) -> dict:
    return {
        "stack": [{"framework": i.framework, "specifier": str(i.spec)} for i in r.stack],
        "accelerator": r.accelerator,
        "cuda": r.cuda,
        "rocm": r.rocm,
    }


def _target(t) -> dict:
    return {
        "os": t.os,
        "arch": t.arch,
        "platform": t.platform,
        "python": t.python,
        "driver": t.driver,
        "gpus": [{"name": g.name, "compute_capability": g.compute_capability} for g in t.gpus],
    }


def system_facts(sol: Solution) -> dict:
    cudas = sorted({c.variant.cuda for c in sol.chosen if c.variant.cuda}, key=lambda v: tuple(int(x) for x in v.split(".")))
    libs = {p.name: p.version for p in sol.libraries}
    cudnn = next((v for n, v in libs.items() if n.startswith("nvidia-cudnn")), None)
    nccl = next((v for n, v in libs.items() if n.startswith("nvidia-nccl")), None)
    if cudnn is None:
        cudnn = next((c.variant.cudnn for c in sol.chosen if c.variant.cudnn), None)
    if nccl is None:
        nccl = next((c.variant.nccl for c in sol.chosen if c.variant.nccl), None)
    driver_min: dict[str, dict] = {}
    for family in ("linux", "windows"):
        fulls = [c.floors[family].full for c in sol.chosen if c.floors[family].full]
        compats = [c.floors[family].compat for c in sol.chosen if c.floors[family].compat]
        if fulls or compats:
            driver_min[family] = {
                "full": max(fulls, key=driver_key) if fulls else None,
                "minor_compat": max(compats, key=driver_key) if compats else None,
            }
    covered = None
    for c in sol.chosen:
        if c.variant.accelerator == "cuda" and (c.variant.archs or c.variant.ptx):
            mine = set(c.variant.archs)
            covered = mine if covered is None else covered & mine
    return {
        "cuda": cudas[-1] if cudas else None,
        "cuda_per_framework": {c.fw.name: c.variant.cuda for c in sol.chosen if c.variant.cuda},
        "system_cuda_required": any(c.variant.system_cuda for c in sol.chosen),
        "cudnn": cudnn,
        "nccl": nccl,
        "driver_min": driver_min,
        "driver_relies_on": {c.fw.name: c.relies_on for c in sol.chosen if c.relies_on},
        "compute_capabilities": sorted(covered or (), key=lambda a: int("".join(ch for ch in a if ch.isdigit()))),
        "ptx": sorted({a for c in sol.chosen for a in c.variant.ptx}),
    }


def manifest(result: Solution | Conflict, catalog_digest: str | None = None) -> dict:
    """The versioned JSON contract image pipelines consume (documented in the README)."""
    out: dict = {
        "schema": SCHEMA,
        "status": "ok" if isinstance(result, Solution) else "conflict",
        "envsolve": __version__,
        "catalog_digest": catalog_digest,
        "request": _request(result.request),
        "target": _target(result.target),
    }
    if isinstance(result, Solution):
        out["packages"] = [
            {"name": p.name, "version": p.version, "role": p.role, "variant": p.variant, "index": _index(p.index),
             "extras": list(p.extras)}
            for p in result.packages
        ]
        out["system"] = system_facts(result)
        out["warnings"] = list(result.warnings)
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
    head = (f"{r.describe()} for {t.os} {t.arch_label}, Python {t.python}, "
            f"{ {'cuda': 'NVIDIA CUDA', 'rocm': 'AMD ROCm', 'mps': 'Apple GPU', 'cpu': 'CPU only'}[r.accelerator] }")
    if r.accelerator == "cuda":
        head += f" (GPUs: {gpus}; driver: {t.driver or 'not given'})"
    lines = [head, ""]
    width = max(len(p.name) for p in sol.packages)
    for p in sol.packages:
        if p.role == "gpu-library":
            continue
        variant = p.variant or ""
        where = "PyPI" if p.index == "pypi" else p.index
        extras = f"[{','.join(p.extras)}]" if p.extras else ""
        lines.append(f"  {(p.name + extras).ljust(width + 10)} {p.version:12} {variant:10} {where}")
    if sol.libraries:
        libs = [f"{p.name} {p.version}" for p in sol.libraries]
        lines.append("  GPU libraries:")
        for i in range(0, len(libs), 3):
            lines.append("    " + ", ".join(libs[i:i + 3]))
    sysf = system_facts(sol)
    if r.accelerator == "cuda":
        lines.append("")
        cuda = ", ".join(f"{k} {v}" for k, v in sysf["cuda_per_framework"].items())
        lines.append(f"  CUDA {sysf['cuda']} ({cuda})  cuDNN {sysf['cudnn'] or '?'}  NCCL {sysf['nccl'] or '?'}")
        for family, floor in sysf["driver_min"].items():
            lines.append(f"  driver ({family}): >= {floor['full'] or '?'}"
                         + (f"; >= {floor['minor_compat']} with minor-version compatibility" if floor["minor_compat"] != floor["full"] else ""))
        if t.driver_family not in sysf["driver_min"]:
            lines.append(f"  driver ({t.driver_family}): no floor published for CUDA {sysf['cuda']}")
        if sysf["compute_capabilities"]:
            lines.append(f"  kernels for: {' '.join(sysf['compute_capabilities'])}"
                         + (f"  (+PTX {' '.join(sysf['ptx'])})" if sysf["ptx"] else ""))
    for warning in sol.warnings:
        lines.append(f"  note: {warning}")
    lines.append("")
    lines.append("install:")
    for cmd in install_commands(sol):
        lines.append(f"  {cmd}")
    return "\n".join(lines)


def format_conflict(conf: Conflict) -> str:
    t = conf.target
    lines = [f"no working environment for {conf.request.describe()} on {t.os} {t.arch_label}, Python {t.python}"
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
