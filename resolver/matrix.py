"""``envsolve matrix``: every combination of stacks and targets, solved, and written in the formats
build systems run (a table, JSON manifests, a GitHub Actions matrix, a docker-bake file).

:func:`cells` lists the combinations, :func:`solve_all` solves them (in worker processes when there
are many), the ``format_*`` functions are pure.
"""

from __future__ import annotations

import itertools
import json
import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, NamedTuple, TypeVar

from .catalog import Catalog
from .rules.platform import arch_label
from .rules.target import GpuTarget, Request, StackItem, Target

T = TypeVar("T")
R = TypeVar("R")

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


def targets_for(cat: Catalog, oses: Sequence[str], arches: Iterable[str], command: str,
                default_editions: Sequence[str] = (), default_edition_arches: Iterable[str] = ()
                ) -> tuple[list[tuple[str, str, tuple[str, ...]]], dict[str, str]]:
    """The targets ``--os`` names for ``command`` (matrix, explore): catalog targets of the OSes named
    (every one when none is) on ``arches`` (every one when empty), and the Linux editions named (else
    ``default_editions`` on ``default_edition_arches``); with the editions' glibc by name. Raises
    :class:`UsageError` for a Windows edition."""
    from .errors import UsageError
    from .rules.platform import resolve_os

    choices = [resolve_os(cat, o) for o in oses]
    if any(c.edition and c.os != "linux" for c in choices):
        raise UsageError(f"{command} takes Linux editions as targets; for Windows give --os windows")
    plain = {c.os for c in choices if not c.edition}
    wanted = set(arches)
    editions = [c.edition for c in choices if c.edition] if oses else list(default_editions)
    targets = [(o, a, acc) for o, a, acc in cat.matrix.targets
               if (not oses or o in plain) and (not wanted or a in wanted)]
    targets += edition_targets(cat, editions, wanted if oses else default_edition_arches)
    return targets, {name: cat.distributions[name].glibc for name in editions}


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


def worker_catalog() -> Catalog:
    """The catalog of this worker process (set by :func:`run_tasks`)."""
    assert _WORKER_CAT is not None
    return _WORKER_CAT


def _solve_one(cell: Cell) -> dict:
    from .explain import answer
    from .report import manifest

    cat = worker_catalog()
    result = answer(cat, cell.request, cell.target, suggest=False)
    return manifest(result, cat.digest)


def _indexed(job: tuple[int, Callable[[Any], Any], Any]) -> tuple[int, Any]:
    i, fn, task = job
    return i, fn(task)


class Workers:
    """Worker processes (``jobs``, default every core) that keep their catalog, and the facts the
    solver caches, from one :meth:`map` to the next. Started on the first batch big enough to pay
    for them; a smaller batch before that runs in this process."""

    def __init__(self, cat: Catalog, jobs: int | None = None) -> None:
        self.cat = cat
        self.jobs = jobs or os.cpu_count() or 1
        self._pool: Any = None

    def __enter__(self) -> Workers:
        return self

    def __exit__(self, *exc: object) -> None:
        if self._pool is not None:
            self._pool.terminate()
            self._pool.join()
            self._pool = None

    def map(self, fn: Callable[[T], R], tasks: Sequence[T], on_result: Callable[[R], Any] | None = None,
            chunksize: int | None = None) -> list[R]:
        """``[fn(t) for t in tasks]``, in order, ``fn`` reading the catalog through
        :func:`worker_catalog`. ``on_result(result)`` is called as each task ends, in the order
        they end (not the order given), so a slow task does not hold back the count of those done
        after it."""
        global _WORKER_CAT
        if self._pool is None and (self.jobs == 1 or len(tasks) < 40):
            _WORKER_CAT = self.cat
            results = []
            for task in tasks:
                results.append(fn(task))
                if on_result:
                    on_result(results[-1])
            return results
        if self._pool is None:
            import multiprocessing

            fork = "fork" in multiprocessing.get_all_start_methods()
            context = multiprocessing.get_context("fork" if fork else "spawn")
            if fork:  # the workers inherit the loaded catalog
                _WORKER_CAT = self.cat
                self._pool = context.Pool(self.jobs)
            else:
                self._pool = context.Pool(self.jobs, initializer=_init, initargs=(self.cat.root,))
        out: list[Any] = [None] * len(tasks)
        chunk = chunksize or max(1, min(4, len(tasks) // (self.jobs * 32)))  # small: results flow evenly
        for i, result in self._pool.imap_unordered(_indexed, [(i, fn, t) for i, t in enumerate(tasks)],
                                                   chunksize=chunk):
            out[i] = result
            if on_result:
                on_result(result)
        return out


def run_tasks(cat: Catalog, fn: Callable[[T], R], tasks: Sequence[T], jobs: int | None = None,
              on_result: Callable[[R], Any] | None = None, chunksize: int | None = None) -> list[R]:
    """One batch on fresh :class:`Workers`."""
    with Workers(cat, jobs) as workers:
        return workers.map(fn, tasks, on_result, chunksize)


def solve_all(cat: Catalog, todo: list[Cell], jobs: int | None = None, progress=None) -> list[dict]:
    """Manifests (envsolve.solution/1) of every cell, in order (see :func:`run_tasks`); ``progress(1)``
    as each one is solved."""
    return run_tasks(cat, _solve_one, todo, jobs, (lambda _: progress(1)) if progress else None)


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
