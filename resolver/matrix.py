"""``envsolve matrix``: every combination of stacks and targets, solved, and written in the formats
build systems run (a table, JSON manifests, a GitHub Actions matrix, a docker-bake file).

:func:`cells` lists the combinations, :func:`solve_all` solves them (in worker processes when there
are many), the ``format_*`` functions are pure.
"""

from __future__ import annotations

import itertools
import json
import os
from collections.abc import Iterable, Mapping
from typing import NamedTuple

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
          accelerators: tuple[str, ...] | None = None, editions: Mapping[str, str] | None = None) -> list[Cell]:
    """Every (stack, target, accelerator, Python). A target's OS may be a Linux edition named in
    ``editions`` (name -> glibc): linux with that glibc."""
    out = []
    for stack in stacks:
        for os_name, arch, offered in targets:
            glibc = (editions or {}).get(os_name)
            plain, edition = ("linux", os_name) if glibc else (os_name, None)
            for accel in offered:
                if accelerators and accel not in accelerators:
                    continue
                for python in pythons:
                    gpu_args = gpus if accel == "cuda" else ()
                    out.append(Cell(Request(stack, accel, None, None),
                                    Target(plain, arch, python, gpu_args, driver if accel == "cuda" else None,
                                           glibc, edition)))
    return out


def edition_targets(cat: Catalog, names: Iterable[str],
                    arches: Iterable[str] = ()) -> list[tuple[str, str, tuple[str, ...]]]:
    """Matrix targets for Linux editions: each on the CPUs it runs on (and the catalog's Linux
    matrix has), with the accelerators the Linux targets offer."""
    linux = {arch: offered for os_name, arch, offered in cat.matrix.targets if os_name == "linux"}
    wanted = set(arches)
    out = []
    for name in names:
        dist = cat.distributions[name]
        for arch, offered in linux.items():
            if (not dist.arches or arch in dist.arches) and (not wanted or arch in wanted):
                out.append((name, arch, offered))
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
        rows.append((_stack(m), f"{t.get('edition') or t['os']} {arch_label(t['os'], t['arch'])}", m["request"]["accelerator"],
                     t["python"], _result(m)))
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
            Target(t["os"], t["arch"], t["python"], gpus, t["driver"], t.get("glibc"), t.get("edition")))


def command(m: dict) -> str:
    from .explain import command_line

    return command_line(*_cell(m))


def _name(m: dict) -> str:
    from .lockset import lockset_name

    return lockset_name(*_cell(m))


VERIFY_STEP = {"name": "Verify the lock set (envsolve verify)", "run": 'envsolve verify "${{ matrix.lockset }}"'}


def format_github(manifests: list[dict], lockdir: str = "lockfiles") -> str:
    """A GitHub Actions job's ``strategy.matrix`` (YAML) with one ``include`` entry per working cell
    (``lockset``: its lock set's folder under ``lockdir``), and ``steps`` with the step that runs
    ``envsolve verify`` on that set in each cell's job."""
    import yaml

    include = []
    for m in manifests:
        if m["status"] != "ok":
            continue
        t = m["target"]
        include.append({
            "name": _name(m), "stack": _stack(m), "os": t["os"], **({"edition": t["edition"]} if t.get("edition") else {}),
            "arch": t["arch"], "python": t["python"],
            "accelerator": m["request"]["accelerator"], "envsolve": command(m),
            "packages": " ".join(f"{p['name']}=={p['version']}" for p in m["packages"] if p["role"] != "gpu-library"),
            "lockset": f"{lockdir.rstrip('/')}/{_name(m)}",
        })
    return "# Generated by envsolve matrix. Do not edit.\n" + yaml.safe_dump(
        {"strategy": {"fail-fast": False, "matrix": {"include": include}}, "steps": [dict(VERIFY_STEP)]},
        sort_keys=False, width=200)


def format_bake(manifests: list[dict], lockdir: str) -> str:
    """A docker-bake.hcl: one target per working Linux cell, building its lock set's Dockerfile."""
    names = [_name(m) for m in manifests if m["status"] == "ok" and m["target"]["platform"].startswith("linux-")
             and not (m.get("system") or {}).get("system_cuda_required")]
    names = sorted(set(names))
    lines = ["# Generated by envsolve matrix. Do not edit.",
             "# Build with: docker buildx bake -f docker-bake.hcl", "",
             "group \"default\" {", f"  targets = {json.dumps(names)}", "}", ""]
    for name in names:
        lines += [f"target {json.dumps(name)} {{",
                  f"  context = {json.dumps(f'{lockdir}/{name}')}",
                  "  dockerfile = \"Dockerfile\"",
                  f"  tags = {json.dumps([f'envsolve/{name}:latest'])}",
                  "  platforms = [\"linux/amd64\"]" if "-x86_64-" in name else "  platforms = [\"linux/arm64\"]",
                  "}", ""]
    return "\n".join(lines)
