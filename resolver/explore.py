"""``envsolve explore``: a static, self-contained page of the solver's answers.

The page embeds the solver's answers as JSON and only looks them up; it makes no network request
and reimplements no rule. What is solved, each equivalence class once:

- every stack x target x accelerator x Python with no GPU and no driver given: the full answer
  (:func:`resolver.explain.answer` with its checked ways out, worded by :mod:`resolver.report`);
- for CUDA, GPUs by compute capability and drivers by floor bracket. A compute capability is solved
  with a stand-in GPU named :data:`GPU_TOKEN` (the solver looks at compute capabilities, the texts
  at names: the page puts the chosen GPU's name in); a driver bracket is the range between two
  consecutive driver floors of the catalog (:func:`driver_brackets`), solved at its lowest driver,
  whose version the texts then carry as :data:`DRIVER_TOKEN`. For the *plane* targets (the first
  CUDA target, or every one with ``full``), every GPU class x every bracket at the stack's default
  Python (the newest that works); elsewhere each GPU class without a driver and each bracket
  without a GPU. Along the driver axis a solution stays the answer down to the next floor it
  depends on (a lower driver only removes choices), so one solve covers its whole range; below
  the last solution, equal conflicts at both ends of a range cover the range between.
  ``tests/test_explore.py`` compares these class answers with direct solves.
- the overview grid: every build of each framework with the solver's per-build verdict
  (:func:`resolver.candidates.candidates`, no GPU or one class representative, no driver) and, for
  builds that pass, the first bracket whose driver runs them (:func:`resolver.rules.driver.verdict`
  on the build's own floor, the check the per-build pass makes when a driver is given).
"""

from __future__ import annotations

import html
import json
import re
import shlex
import zlib
from collections.abc import Callable, Iterable
from typing import Any, NamedTuple

from packaging.specifiers import SpecifierSet

from .catalog import Catalog
from .matrix import Cell, Workers, cells
from .rules.driver import component_floor, driver_key, floor_of, verdict
from .rules.kernels import arch_of
from .rules.platform import arch_label, driver_family
from .rules.target import GpuTarget, Request, StackItem, Target

SCHEMA = "envsolve.explore/2"
GPU_TOKEN = "%GPU%"
DRIVER_TOKEN = "%DRIVER%"
ACCEL_ORDER = ("cuda", "rocm", "mps", "cpu")


def _cc_key(cc: str) -> tuple[int, ...]:
    return tuple(int(x) for x in cc.split("."))


def _cuda_key(cuda: str | None) -> tuple[int, ...]:
    return tuple(int(x) for x in cuda.split(".")) if cuda else ()


# ---- equivalence classes -------------------------------------------------------------------------

class Bracket(NamedTuple):
    """Drivers from ``low`` (inclusive) up to the next bracket's ``low``; ``low`` None: below every
    floor. ``rep`` is the driver solved for the whole bracket; ``what`` says whose floor ``low`` is."""

    low: str | None
    rep: str
    what: tuple[str, ...]


def driver_brackets(cat: Catalog, family: str) -> list[Bracket]:
    """The driver brackets of ``family`` ("linux" or "windows"), oldest first: one below every
    floor, then one per distinct floor of the catalog (every toolkit's full floor and its major's
    minor-version floor, and every build's own floor, as :mod:`resolver.rules.driver` states them).
    Two drivers of one bracket compare alike with every floor, so the solver treats them alike."""
    what: dict[tuple[int, ...], tuple[str, list[str]]] = {}

    def add(value: str | None, label: str) -> None:
        if value:
            text, labels = what.setdefault(driver_key(value), (value, []))
            if label not in labels:
                labels.append(label)

    for toolkit in sorted(cat.toolkits.values(), key=lambda t: _cuda_key(t.version)):
        floor = component_floor(cat, toolkit.version, family)
        add(floor.full, f"CUDA {toolkit.version}")
        if floor.compat != floor.full:
            add(floor.compat, f"CUDA {toolkit.version.split('.')[0]}.x (minor-version compatibility)")
    for fw in cat.frameworks.values():
        for release in fw.releases:
            for v in release.variants:
                if family in v.driver_min:
                    floor = floor_of(cat, v, family)
                    add(floor.full, f"{fw.distribution} {release.version} ({v.name})")
    ordered = [what[k] for k in sorted(what)]
    if not ordered:
        return []
    lowest = ordered[0][0]
    below = f"{int(lowest.split('.')[0]) - 1}.0"
    return [Bracket(None, below, ())] + [Bracket(value, value, tuple(labels)) for value, labels in ordered]


def bracket_of(brackets: list[Bracket], driver: str) -> int:
    """The index of the bracket ``driver`` falls in."""
    key = driver_key(driver)
    found = 0
    for i, b in enumerate(brackets):
        if b.low is not None and driver_key(b.low) <= key:
            found = i
    return found


def gpu_classes(cat: Catalog) -> list[str]:
    """The compute capabilities of the catalogued GPUs, oldest first (one class each)."""
    return sorted({g.compute_capability for g in cat.gpus}, key=_cc_key)


def class_gpu(cc: str) -> GpuTarget:
    """The stand-in GPU a compute capability class is solved with."""
    return GpuTarget(GPU_TOKEN, cc)


# ---- one answer, compact and with the GPU and driver as tokens ------------------------------------

def _tokens(text: str, driver: str | None) -> str:
    if driver:
        text = re.sub(r"(?<![\d.])" + re.escape(driver) + r"(?![\d.])", DRIVER_TOKEN, text)
    return text


def compact(m: dict, driver: str | None = None) -> dict:
    """The page's form of a solution manifest (envsolve.solution/1): the target left out (the page
    knows it), the solved driver's version written as DRIVER_TOKEN in every text."""
    def t(text: str) -> str:
        return _tokens(text, driver)

    if m["status"] == "ok":
        system = m["system"] or {}
        return {
            "ok": True,
            "packages": [[p["name"], p["version"], p["variant"] or "", p["role"],
                          "" if p["index"].startswith("https://pypi.org/") else p["index"],
                          ",".join(p["extras"]), p["verified"]] for p in m["packages"]],
            "system": {k: system.get(k) for k in ("cuda", "cuda_per_framework", "system_cuda_required", "cudnn",
                                                  "nccl", "driver_min", "driver_relies_on", "compute_capabilities",
                                                  "ptx", "gpu_support")},
            "warnings": [t(w) for w in m["warnings"]],
            "install": m["install"],
        }
    conflict = m["conflict"]
    return {
        "ok": False,
        "summary": t(conflict["summary"]),
        "causes": [[c["kind"], t(c["text"])] for c in conflict["causes"]],
        "suggestions": [[s["kind"], t(s["text"]), t(s["command"] or "")] for s in conflict["suggestions"]],
    }


# ---- work done in worker processes ---------------------------------------------------------------

class BaseTask(NamedTuple):
    """One stack x target x accelerator x Python, no GPU, no driver: the full answer."""

    cell: Cell
    grid_for: tuple[str, ...] = ()  # frameworks whose per-build verdicts to report for this target


class ColumnTask(NamedTuple):
    """One stack x CUDA target x Python x GPU class (None: no GPU): the answer without a driver,
    and, with ``walk``, the answer in every driver bracket of ``family``."""

    cell: Cell
    cc: str | None
    walk: bool
    family: str | None
    grid_for: tuple[str, ...] = ()


class GridTask(NamedTuple):
    """Per-build verdicts of one framework for one target, accelerator, Python and GPU class (each
    task reports those of the frameworks in its ``grid_for``, from the candidates its solve made)."""

    framework: str
    accelerator: str
    target: Target  # no driver; gpus: () or (class_gpu(cc),)
    family: str | None


def _solve(cat: Catalog, request: Request, target: Target, suggest: bool) -> dict:
    from .explain import answer
    from .report import manifest

    return manifest(answer(cat, request, target, suggest=suggest), cat.digest)


def walk_brackets(cat: Catalog, request: Request, target: Target, brackets: list[Bracket], family: str,
                  solve: Callable[[Target], dict]) -> tuple[list[str], int]:
    """The compact answer (as JSON text) in every bracket, from the newest down, and the number of
    solves it took. ``solve(target)`` returns a manifest."""
    n = len(brackets)
    out: list[str | None] = [None] * n
    solves = 0

    def at(k: int) -> dict:
        nonlocal solves
        solves += 1
        m = solve(target._replace(driver=brackets[k].rep))
        out[k] = json.dumps(compact(m, brackets[k].rep), sort_keys=True)
        return m

    def fill(lo: int, hi: int) -> None:  # out[lo] and out[hi] known
        if hi - lo <= 1:
            return
        if out[lo] == out[hi]:
            for x in range(lo + 1, hi):
                out[x] = out[lo]
            return
        mid = (lo + hi) // 2
        at(mid)
        fill(lo, mid)
        fill(mid, hi)

    k = n - 1
    while k >= 0:
        m = at(k)
        if m["status"] != "ok":
            if k > 0:
                at(0)
                fill(0, k)
            break
        floor = ((m["system"] or {}).get("driver_min") or {}).get(family)
        rep = driver_key(brackets[k].rep)
        bounds = [driver_key(f) for f in (floor or {}).values() if f and driver_key(f) <= rep]
        low = max(bounds) if bounds else None
        j = k - 1
        # The same solution down to the highest floor of its own at or below this driver: below
        # it, a verdict changes; with no floor of its own in this family, the driver cannot matter.
        while j >= 0 and (floor is None or (low is not None and driver_key(brackets[j].rep) >= low)):
            out[j] = out[k]
            j -= 1
        k = j
    filled = [x for x in out if x is not None]
    assert len(filled) == n, "a bracket was left without an answer"
    return filled, solves


def grid_codes(cat: Catalog, task: GridTask, brackets: list[Bracket]) -> dict[str, list]:
    """``{"version variant": [(kind, reason), first]}`` for every build ``task``'s accelerator takes:
    kind "ok" or "jit" where it passes the per-build checks (then ``first`` is the first bracket
    whose driver runs it: 0 where the driver does not matter, -1 where none does), else the check
    it fails (:data:`resolver.candidates.STAGES`) and a few words."""
    from .candidates import candidates, stage_of

    fw = cat.frameworks[task.framework]
    item = StackItem(fw.name, SpecifierSet(), fw.name)
    request = Request((item,), task.accelerator, None, None)
    pool, rejected = candidates(cat, item, request, task.target)
    out: dict[str, list] = {}
    firsts: dict[tuple, int] = {}
    for cand in pool:
        first = 0
        if task.family and cand.variant.accelerator == "cuda" and brackets:
            floor = cand.floors[task.family]
            key = (floor, bool(cand.jit))
            if key not in firsts:
                runs = [verdict(floor, b.rep, needs_jit=bool(cand.jit)).ok for b in brackets]
                firsts[key] = next((i for i, ok in enumerate(runs) if ok and all(runs[i:])), -1)
            first = firsts[key]
        out[f"{cand.release.version} {cand.variant.name}"] = [("jit", "runs through PTX JIT") if cand.jit else
                                                             ("ok", ""), first]
    for r in rejected:
        reason = short_reason(r.reason)
        if reason is not None:
            out[f"{r.build.version} {r.build.variant}"] = [(stage_of(r.reason), reason), 0]
    return out


def short_reason(reason: Any) -> str | None:
    """A few words for a typed rejection (None: the build is of another accelerator)."""
    from . import candidates as c

    if isinstance(reason, (c.WrongAccelerator, c.OtherRocm)):
        return None
    if isinstance(reason, c.Broken):
        return "broken: " + reason.reason
    if isinstance(reason, c.NoPlatform):
        return f"no {reason.platform} wheels"
    if isinstance(reason, c.NoPython):
        have = sorted((p for p in reason.available if p[:1].isdigit()), key=lambda p: _cc_key(p.rstrip("t+")))
        return f"no Python {reason.python} wheel" + (f" ({have[0]}–{have[-1]})" if len(have) > 1 else
                                                     f" ({have[0]})" if have else "")
    if isinstance(reason, c.NoKernels):
        return f"no kernels for {', '.join(g.sm for g in reason.gpus)}" + \
            (f" (ships {reason.kernels.describe()})" if reason.kernels.sass or reason.kernels.ptx else "")
    if isinstance(reason, c.CudnnUnsupported):
        return (f"cuDNN {reason.verdict.cudnn} starts at compute capability "
                f"{reason.verdict.min_compute_capability}")
    if isinstance(reason, c.DriverBelow):
        return f"driver below {reason.verdict.need}"
    if isinstance(reason, c.CudaPinMismatch):
        return f"not CUDA {reason.pin}"
    if isinstance(reason, c.Unverified):
        return f"unverified {reason.what}"
    if isinstance(reason, c.Unavailable):
        from .explain import unavailable_text

        return unavailable_text(reason)
    return type(reason).__name__


_CAT: Catalog | None = None
_BRACKETS: dict[str, list[Bracket]] = {}


def _work(task: BaseTask | ColumnTask) -> tuple[Any, ...]:
    """Run one task in a worker: (kind, task, result, solves, grids). A task's grid verdicts come
    from the candidates its own solve just computed (the solver keeps them)."""
    from . import matrix

    cat = matrix.worker_catalog()
    cell = task.cell
    if isinstance(task, BaseTask):
        m = _solve(cat, cell.request, cell.target, True)
        result: Any = (compact(m), m["status"] == "ok")
        solves = 1
        target = cell.target
        fam = driver_family(cat, target.os) if cell.request.accelerator == "cuda" else None
    else:
        target = cell.target._replace(gpus=(class_gpu(task.cc),) if task.cc else (), driver=None)
        fam = task.family
        plain = None
        solves = 0
        if task.cc is not None:  # without a GPU, the base task has the answer
            plain = json.dumps(compact(_solve(cat, cell.request, target, task.walk)), sort_keys=True)
            solves = 1
        per = None
        if task.walk and fam is not None:
            # Bracket answers without explain's ways out (each costs several solves); the page
            # offers the nearest bracket that works, an answer it holds.
            per, n = walk_brackets(cat, cell.request, target, _brackets(cat, fam), fam,
                                   lambda t: _solve(cat, cell.request, t, False))
            solves += n
        result = (plain, per)
    grids = []
    for name in task.grid_for:
        gt = GridTask(name, cell.request.accelerator, target, fam)
        grids.append((gt, grid_codes(cat, gt, _brackets(cat, fam))))
    return ("base" if isinstance(task, BaseTask) else "column", task, result, solves, grids)


def _grid_owners(work: list[tuple[Cell, str | None]]) -> dict[tuple[str, str | None], tuple[str, ...]]:
    """Which task reports each framework's per-build verdicts for a target, Python and GPU class:
    one whose stack holds the framework, the framework alone where there is one."""
    best: dict[tuple, tuple[int, str, str | None]] = {}
    for c, cc in work:
        t = c.target
        for item in c.request.stack:
            key = (item.framework, c.request.accelerator, t.edition or t.os, t.arch, t.python, cc)
            rank = (len(c.request.stack), _cell_key(c), cc)
            if key not in best or rank < best[key]:
                best[key] = rank
    owners: dict[tuple[str, str | None], list[str]] = {}
    for (framework, *_), (_, cell_key, cc) in best.items():
        owners.setdefault((cell_key, cc), []).append(framework)
    return {k: tuple(sorted(v)) for k, v in owners.items()}


def _counting(task: Any) -> Callable[[Any], None] | None:
    """A run_tasks callback that advances ``task`` by one and counts the solves each result ran."""
    if task is None:
        return None

    def done(result: Any) -> None:
        task.advance(1, solves=result[3])

    return done


def _brackets(cat: Catalog, family: str | None) -> list[Bracket]:
    if family is None:
        return []
    key = f"{cat.digest}:{family}"
    if key not in _BRACKETS:
        _BRACKETS[key] = driver_brackets(cat, family)
    return _BRACKETS[key]


# ---- the page's data -----------------------------------------------------------------------------

def stack_id(stack: Iterable[StackItem]) -> str:
    return "+".join(sorted(i.framework for i in stack))


def target_id(os_name: str, arch: str) -> str:
    return f"{os_name}-{arch}"


def _builds(cat: Catalog, name: str) -> dict[str, Any]:
    """One framework's builds as the grid shows them: versions newest first, columns by accelerator
    then CUDA, and each build's facts."""
    from packaging.version import Version

    fw = cat.frameworks[name]
    columns: dict[str, tuple] = {}
    keys: list[str] = []
    facts: list[list] = []
    contexts: dict[str, list[str]] = {}
    for release in fw.releases:
        for v in release.variants:
            columns.setdefault(v.name, (ACCEL_ORDER.index(_context(v.accelerator)), tuple(-x for x in _cuda_key(v.cuda)),
                                        v.name))
            keys.append(f"{release.version} {v.name}")
            contexts.setdefault(_context(v.accelerator), []).append(keys[-1])
            facts.append([release.version, v.name, v.accelerator, v.cuda, v.cudnn, v.nccl,
                          "" if v.index == "pypi" else v.index,
                          {fam: [f.full, f.compat] for fam in ("linux", "windows")
                           for f in [floor_of(cat, v, fam)] if f.published},
                          _pin_words(fw.name, release.version, v)])
    versions = sorted({r.version for r in fw.releases}, key=Version, reverse=True)
    return {"distribution": fw.distribution, "versions": versions, "columns": sorted(columns, key=lambda c: columns[c]),
            "builds": facts, "keys": keys, "contexts": contexts}


def _pin_words(framework: str, version: str, v: Any) -> list[str]:
    """The stack word and the accelerator words of `envsolve` for exactly this build:
    [stack, accelerator words, --cuda words] (the page puts the target's words in between, in the
    order :func:`resolver.explain.command_line` uses)."""
    from .explain import command_line

    rocm = None
    if v.accelerator == "rocm":
        m = re.match(r"rocm([\d.]+)", v.name)
        rocm = m.group(1) if m else None
    accel = {"metal": "mps"}.get(v.accelerator, v.accelerator)
    request = Request((StackItem(framework, SpecifierSet(f"=={version}"), framework),), accel, rocm,
                      v.cuda if v.accelerator == "cuda" else None)
    words = shlex.split(command_line(request, Target("linux", "x86_64", "3", (), None)))
    head = words[:words.index("--os")]
    cuda = words[words.index("--cuda"):] if "--cuda" in words else []
    return [shlex.join(head[1:2]), shlex.join(head[2:]), shlex.join(cuda)]


class Plan(NamedTuple):
    stacks: list[tuple[StackItem, ...]]
    targets: list[tuple[str, str, tuple[str, ...]]]
    pythons: list[str]
    ccs: list[str]
    plane_targets: set[str]  # every GPU class x every driver bracket
    column_targets: set[str]  # every GPU class without a driver, every bracket without a GPU
    every_python: bool  # GPU classes and brackets at every Python, not only the stack's default
    editions: dict[str, str] = {}  # Linux editions among the targets' OSes: name -> glibc


def plan(cat: Catalog, stacks, targets, pythons, ccs: list[str] | None = None, full: bool = False,
         editions: dict[str, str] | None = None) -> Plan:
    """What the page covers, besides every cell without GPU or driver: at each stack's default
    Python (every Python with ``full``), every GPU class x every driver bracket on the first CUDA
    target (every CUDA target with ``full``); on the other CUDA targets each GPU class without a
    driver and each bracket without a GPU (Linux editions, ``editions``: only with ``full``)."""
    ccs = gpu_classes(cat) if ccs is None else ccs
    editions = dict(editions or {})
    cuda_targets = [target_id(o, a) for o, a, acc in targets if "cuda" in acc]
    planes = set(cuda_targets if full else cuda_targets[:1])
    # An edition changes which wheels install (glibc), not the GPU and driver rules: without --full
    # its page answers every stack, accelerator and Python, and gives the command for a GPU or driver.
    columns = {t for o, a, acc in targets for t in [target_id(o, a)] if "cuda" in acc and (full or o not in editions)}
    return Plan(list(stacks), list(targets), list(pythons), list(ccs), planes, columns - planes, full, editions)


class _Interned:
    """Equal JSON values stored once: ``add(value)`` -> its index in ``items``."""

    def __init__(self) -> None:
        self.items: list[Any] = []
        self.index: dict[str, int] = {}

    def add(self, value: Any) -> int:
        text = value if isinstance(value, str) else json.dumps(value, sort_keys=True, separators=(",", ":"))
        if text not in self.index:
            self.index[text] = len(self.items)
            self.items.append(json.loads(text) if not isinstance(value, str) else value)
        return self.index[text]


def page_data(cat: Catalog, p: Plan, jobs: int | None = None, progress: Any = None) -> dict:
    """Solve what ``p`` covers and return the page's data (``envsolve.explore/2``), on ``jobs``
    worker processes kept for both rounds. ``progress``: a :class:`resolver.progress.Progress`."""
    with Workers(cat, jobs) as workers:
        return _page_data(cat, p, workers, progress)


def _page_data(cat: Catalog, p: Plan, workers: Workers, progress: Any) -> dict:
    from .explain import command_line

    families = {target_id(o, a): driver_family(cat, "linux" if o in p.editions else o) for o, a, _ in p.targets}
    brackets = {fam: driver_brackets(cat, fam) for fam in ("linux", "windows")}
    base_cells = cells(p.stacks, p.targets, p.pythons, editions=p.editions)
    parts = _Interned()  # package lists, system facts and texts that many answers share
    answers = _Interned()

    def answer_id(text: str) -> int:
        a = json.loads(text)
        if a["ok"]:
            a["packages"] = parts.add(a["packages"])
            a["system"] = parts.add(a["system"])
            a["warnings"] = [parts.add(w) for w in a["warnings"]]
            a["install"] = [parts.add(i) for i in a["install"]]
        else:
            a["causes"] = [parts.add(c) for c in a["causes"]]
            a["suggestions"] = [parts.add(x) for x in a["suggestions"]]
        return answers.add(a)

    # 1. every cell without GPU or driver, with its ways out
    task = progress.task("solving every stack, target and Python", len(base_cells), "answers") if progress else None
    owners = _grid_owners([(c, None) for c in base_cells])
    base = workers.map(_work, [BaseTask(c, owners.get((_cell_key(c), None), ())) for c in base_cells],
                       _counting(task), chunksize=1)
    cell_out: dict[str, dict] = {}
    works: dict[str, list[str]] = {}
    grid_results = [g for r in base for g in r[4]]
    for c, (_, _, (ans, ok), _, _) in zip(base_cells, base):
        cell_out[_cell_key(c)] = {"a": answer_id(json.dumps(ans, sort_keys=True)),
                                  "cmd": command_line(c.request, c.target)}
        if ok:
            works.setdefault(_cell_key(c, python=False), []).append(c.target.python)
    defaults = {}
    for c in base_cells:
        k = _cell_key(c, python=False)
        ok = works.get(k)
        defaults[k] = max(ok, key=_cc_key) if ok else max(p.pythons, key=_cc_key)

    # 2. GPU classes and driver brackets (CUDA), and the per-build verdicts of the grid
    columns: list[tuple[Cell, str | None, bool, str | None]] = []
    for c in base_cells:
        tid = target_id(c.target.edition or c.target.os, c.target.arch)
        fam = families[tid]
        if c.request.accelerator != "cuda" or \
                (defaults[_cell_key(c, python=False)] != c.target.python and not p.every_python):
            continue
        columns.append((c, None, True, fam))
        if tid in p.plane_targets or tid in p.column_targets:
            columns += [(c, cc, tid in p.plane_targets, fam) for cc in p.ccs]
    owners = _grid_owners([(c, cc) for c, cc, _, _ in columns if cc is not None])
    todo: list[Any] = [ColumnTask(c, cc, walk, fam, owners.get((_cell_key(c), cc), ())) for c, cc, walk, fam in columns]
    # Mixed, in a fixed order, so the rate measured early holds for the rest (an honest ETA).
    todo.sort(key=lambda t: zlib.crc32(repr(t).encode()))
    task = progress.task("solving GPU classes x driver brackets", len(todo), "tasks") if progress else None
    results = workers.map(_work, todo, _counting(task), chunksize=1)  # each task counts as it ends
    if task is not None:
        progress.end(task)

    builds = {name: _builds(cat, name) for name in sorted({i.framework for s in p.stacks for i in s})}
    reasons = _Interned()
    reasons.add(["", ""])  # 0: not in this context
    rows = _Interned()
    grids: dict[str, int] = {}
    grid_results += [g for r in results for g in r[4]]
    for kind, t, result, _, _ in results:
        if kind == "column":
            plain, per = result
            entry = cell_out[_cell_key(t.cell)]
            nb = len(brackets[t.family]) if t.family else 0
            plane = entry.setdefault("plane", [[-1] * (nb + 1) for _ in range(len(p.ccs) + 1)])
            g = 0 if t.cc is None else 1 + p.ccs.index(t.cc)
            plane[g][0] = answer_id(plain) if t.cc is not None else entry["a"]
            for b, text in enumerate(per or ()):
                plane[g][b + 1] = answer_id(text)
    for t, result in grid_results:
        ctx = _context(t.accelerator)
        row = []
        for key in builds[t.framework]["contexts"].get(ctx, []):
            found = result.get(key)
            row.append(0 if found is None else reasons.add(list(found[0])) * 64 + found[1] + 1)
        cc = t.target.gpus[0].compute_capability if t.target.gpus else ""
        grids["|".join([t.framework, target_id(t.target.edition or t.target.os, t.target.arch), ctx, t.target.python,
                        cc])] = \
            rows.add(row)
    for fw in builds.values():
        fw["contexts"] = {ctx: [fw["keys"].index(k) for k in keys] for ctx, keys in fw["contexts"].items()}
        del fw["keys"]

    return {
        "schema": SCHEMA,
        "catalog_digest": cat.digest,
        "frameworks": sorted({i.framework for s in p.stacks for i in s}),
        "stacks": sorted({stack_id(s) for s in p.stacks}),
        "targets": [{"id": target_id(o, a), "os": o, "label": (f"{o} (glibc {p.editions[o]}) {a}" if o in p.editions
                                                                else f"{o} {arch_label(o, a)}"), "accelerators": list(acc),
                     "family": families[target_id(o, a)], "plane": target_id(o, a) in p.plane_targets,
                     "columns": target_id(o, a) in p.column_targets} for o, a, acc in p.targets],
        "pythons": list(p.pythons),
        "every_python": p.every_python,
        "architectures": [a for a in cat.architectures
                          if any(g.architecture == a and g.compute_capability in p.ccs for g in cat.gpus)],
        "gpus": [[g.name, g.compute_capability, g.architecture, [a for a in g.aliases if a != g.name]]
                 for g in cat.gpus if g.compute_capability in p.ccs],
        "ccs": list(p.ccs),
        "sm": {cc: arch_of(cc) for cc in p.ccs},
        "brackets": {fam: [[b.low, b.rep, list(b.what)] for b in bs] for fam, bs in brackets.items()},
        "tokens": {"gpu": GPU_TOKEN, "driver": DRIVER_TOKEN},
        "defaults": defaults,
        "parts": parts.items,
        "answers": answers.items,
        "cells": cell_out,
        "builds": builds,
        "contexts": CONTEXTS,
        "reasons": reasons.items,
        "rows": rows.items,
        "grids": grids,
    }


CONTEXTS = {"cuda": "cuda", "rocm": "rocm", "cpu": "cpu", "mps": "mps", "metal": "mps"}


def _context(accelerator: str) -> str:
    """Which solve's verdicts a build of ``accelerator`` is shown from (Metal plugins: the MPS solve)."""
    return CONTEXTS.get(accelerator, accelerator)


def _cell_key(c: Cell, python: bool = True) -> str:
    t = c.target
    parts = [stack_id(c.request.stack), target_id(t.edition or t.os, t.arch), c.request.accelerator]
    return "|".join(parts + [t.python] if python else parts)


def render_page(data: dict) -> str:
    from .explore_page import PAGE

    payload = json.dumps(data, separators=(",", ":"), sort_keys=True).replace("</", "<\\/")
    return PAGE.replace("__DATA__", payload).replace("__DIGEST__", html.escape(data["catalog_digest"][:12]))
