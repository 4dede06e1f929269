"""``envsolve matrix``: every combination of stacks and targets, solved, and written in the formats
build systems run (a table, JSON manifests, a GitHub Actions matrix, a docker-bake file).

:func:`cells` lists the combinations, :func:`solve_all` solves them (in worker processes when there
are many), the ``format_*`` functions are pure.
"""

from __future__ import annotations

import itertools
import json
import os
from typing import Iterable, NamedTuple

from .catalog import Catalog
from .rules.platform import arch_label
from .rules.target import GpuTarget, Request, StackItem, Target

# The default targets and Pythons are catalog facts: cat.matrix (os.yaml `matrix`).


class Cell(NamedTuple):
    request: Request
    target: Target

    @property
    def name(self) -> str:
        from .lockset import lockset_name

        return lockset_name(self.request, self.target)


def default_stacks(cat: Catalog) -> list[tuple[StackItem, ...]]:
    """Each framework alone and each pair."""
    from packaging.specifiers import SpecifierSet

    items = [StackItem(name, SpecifierSet(), name) for name in sorted(cat.frameworks)]
    return [(i,) for i in items] + [pair for pair in itertools.combinations(items, 2)]


def cells(stacks: list[tuple[StackItem, ...]], targets: Iterable[tuple[str, str, tuple[str, ...]]],
          pythons: Iterable[str], gpus: tuple[GpuTarget, ...] = (), driver: str | None = None,
          accelerators: tuple[str, ...] | None = None) -> list[Cell]:
    out = []
    for stack in stacks:
        for os_name, arch, offered in targets:
            for accel in offered:
                if accelerators and accel not in accelerators:
                    continue
                for python in pythons:
                    gpu_args = gpus if accel == "cuda" else ()
                    out.append(Cell(Request(stack, accel, None, None),
                                    Target(os_name, arch, python, gpu_args, driver if accel == "cuda" else None)))
    return out


_WORKER_CAT: Catalog | None = None


def _init(root: str | None) -> None:
    global _WORKER_CAT
    from .catalog import load

    _WORKER_CAT = load(root)


def _solve_one(cell: Cell) -> dict:
    from .explain import answer
    from .report import manifest

    assert _WORKER_CAT is not None
    result = answer(_WORKER_CAT, cell.request, cell.target, suggest=False)
    return manifest(result, _WORKER_CAT.digest)


def solve_all(cat: Catalog, todo: list[Cell], jobs: int | None = None, progress=None) -> list[dict]:
    """Manifests (envsolve.solution/1) of every cell, in order. Uses ``jobs`` worker processes
    (default: every core) when there are enough cells to pay for starting them."""
    global _WORKER_CAT
    jobs = jobs or os.cpu_count() or 1
    if jobs == 1 or len(todo) < 40:
        _WORKER_CAT = cat
        results = []
        for cell in todo:
            results.append(_solve_one(cell))
            if progress:
                progress(1)
        return results
    import multiprocessing

    context = multiprocessing.get_context("fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn")
    with context.Pool(jobs, initializer=_init, initargs=(cat.root,)) as pool:
        results = []
        for result in pool.imap(_solve_one, todo, chunksize=8):
            results.append(result)
            if progress:
                progress(1)
    return results


def _stack(m: dict) -> str:
    return "+".join(i["framework"] + i["specifier"] for i in m["request"]["stack"])


def _result(m: dict) -> str:
    if m["status"] != "ok":
        return "no: " + m["conflict"]["summary"]
    return ", ".join(f"{p['name']} {p['version']}" + (f" ({p['variant']})" if p["variant"] else "")
                     for p in m["packages"] if p["role"] == "framework")


def format_table(manifests: list[dict]) -> str:
    rows = [("STACK", "TARGET", "ACCEL", "PYTHON", "RESULT")]
    for m in manifests:
        t = m["target"]
        rows.append((_stack(m), f"{t['os']} {arch_label(t['os'], t['arch'])}", m["request"]["accelerator"], t["python"], _result(m)))
    widths = [max(len(r[i]) for r in rows) for i in range(4)]
    lines = ["  ".join(r[i].ljust(widths[i]) for i in range(4)) + "  " + r[4] for r in rows]
    ok = sum(m["status"] == "ok" for m in manifests)
    lines.append(f"{ok} of {len(manifests)} combinations work")
    return "\n".join(lines)


def _cell(m: dict) -> tuple[Request, Target]:
    """The request and target a manifest was solved for."""
    from packaging.specifiers import SpecifierSet

    t = m["target"]
    stack = tuple(StackItem(i["framework"], SpecifierSet(i["specifier"]), i["framework"]) for i in m["request"]["stack"])
    gpus = tuple(GpuTarget(g["name"], g["compute_capability"]) for g in t["gpus"])
    return (Request(stack, m["request"]["accelerator"], m["request"]["rocm"], m["request"]["cuda"]),
            Target(t["os"], t["arch"], t["python"], gpus, t["driver"]))


def command(m: dict) -> str:
    from .explain import command_line

    return command_line(*_cell(m))


def _name(m: dict) -> str:
    from .lockset import lockset_name

    return lockset_name(*_cell(m))


def format_github(manifests: list[dict]) -> str:
    """A GitHub Actions ``strategy.matrix`` (YAML) with one ``include`` entry per working cell."""
    import yaml

    include = []
    for m in manifests:
        if m["status"] != "ok":
            continue
        t = m["target"]
        include.append({
            "name": _name(m), "stack": _stack(m), "os": t["os"], "arch": t["arch"], "python": t["python"],
            "accelerator": m["request"]["accelerator"], "envsolve": command(m),
            "packages": " ".join(f"{p['name']}=={p['version']}" for p in m["packages"] if p["role"] != "gpu-library"),
        })
    return "# Generated by envsolve matrix. Do not edit.\n" + yaml.safe_dump(
        {"strategy": {"fail-fast": False, "matrix": {"include": include}}}, sort_keys=False, width=200)


def _hcl(value: str) -> str:
    """An HCL string literal: JSON's escapes, and ``${``/``%{`` escaped so nothing interpolates."""
    return json.dumps(value).replace("${", "$${").replace("%{", "%%{")


def format_bake(manifests: list[dict], lockdir: str, written: set[str] | None = None) -> str:
    """A docker-bake.hcl: one target per working Linux cell, building its lock set's Dockerfile.
    ``written``: the lock sets actually written (``matrix --write``); only those are listed, so a
    cell that could not be locked is no target that fails to build."""
    names = [_name(m) for m in manifests if m["status"] == "ok" and m["target"]["platform"].startswith("linux-")
             and not (m.get("system") or {}).get("system_cuda_required")]
    names = sorted(n for n in set(names) if written is None or n in written)
    lines = ["# Generated by envsolve matrix. Do not edit.",
             "# Build with: docker buildx bake -f docker-bake.hcl", "",
             "group \"default\" {", f"  targets = [{', '.join(_hcl(n) for n in names)}]", "}", ""]
    for name in names:
        lines += [f"target {_hcl(name)} {{",
                  f"  context = {_hcl(f'{lockdir}/{name}')}",
                  "  dockerfile = \"Dockerfile\"",
                  f"  tags = [{_hcl(f'envsolve/{name}:latest')}]",
                  "  platforms = [\"linux/amd64\"]" if "-x86_64-" in name else "  platforms = [\"linux/arm64\"]",
                  "}", ""]
    return "\n".join(lines)
