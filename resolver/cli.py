"""The command line: the only module that imports click. Errors become exit codes here.

Exit codes: 0 success; 1 a finding (no solution, lint or check errors); 2 bad input (usage, an
unknown name, a catalog or file that cannot be read); 3 network failure; 70 an internal error.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from . import __version__
from .errors import EnvsolveError, NetworkError, UsageError

EXIT_OK, EXIT_FINDINGS, EXIT_INPUT, EXIT_NETWORK, EXIT_INTERNAL = 0, 1, 2, 3, 70


class Failure(Exception):
    """An expected failure: message for stderr, and the exit code."""

    def __init__(self, message: str, code: int = EXIT_INPUT, preformatted: bool = False):
        super().__init__(message)
        self.code = code
        self.preformatted = preformatted  # already has its "error: " prefixes (one per line)


def _code(exc: EnvsolveError) -> int:
    """The exit code of a typed failure: 3 when a network was the problem, else 2."""
    return EXIT_NETWORK if isinstance(exc, NetworkError) else EXIT_INPUT


def _load(ctx: click.Context, keep_lines: bool = False, solving: bool = True):
    """The catalog; for commands that apply its rules (``solving``), only a catalog that has its
    generated PyPI data and passes the cross-checks (``catalog lint``), else exit 2 with the fix."""
    from .catalog import CatalogError, load

    root = ctx.obj.get("catalog_dir") if ctx.obj else None
    try:
        cat = load(root, keep_lines=keep_lines)
    except CatalogError as exc:
        raise Failure("\n".join(f"error: {d}" for d in exc.diagnostics), preformatted=True) from None
    if solving:
        _gate(cat)
    return cat


def _gate(cat) -> None:
    from . import catalog

    if not cat.pypi and not cat.libraries:
        raise Failure(f"the catalog in {cat.root} has no generated PyPI data ({Path(cat.root) / 'pypi'} is empty or "
                      "missing): run `envsolve catalog sync` to generate it")
    key = catalog.verdict_key(cat, ("lint.py", "rules"))
    if catalog.cache_flag("lint-ok", key):  # linted before: the solve path does not even import lint
        return
    from .lint import lint

    errors = [d for d in lint(cat) if d.severity == "error"]
    if errors:
        shown = "\n".join(f"error: {d}" for d in errors[:5]) + (f"\nerror: ... and {len(errors) - 5} more"
                                                               if len(errors) > 5 else "")
        raise Failure(f"{shown}\nerror: the catalog in {cat.root} fails {len(errors)} cross-check(s); fix them "
                      "(`envsolve catalog lint` lists them all) before solving with it", preformatted=True)
    catalog.set_cache_flag("lint-ok", key)


class _PathArg(click.ParamType):
    """A path from the command line: not empty (click would read "" as the current folder), no
    control characters or line breaks (paths are written into generated files and messages)."""

    name = "path"

    def __init__(self, exists: bool = False, dir_okay: bool = True, file_okay: bool = True):
        self.exists, self.dir_okay, self.file_okay = exists, dir_okay, file_okay

    def convert(self, value, param, ctx):
        from .inputs import CONTROL

        if isinstance(value, Path):
            return value
        text = str(value)
        if not text.strip():
            self.fail("an empty value is not a path", param, ctx)
        if CONTROL.search(text):
            self.fail(f"{text!r} holds a control character or line break", param, ctx)
        path = Path(text)
        if self.exists and not path.exists():
            self.fail(f"{text!r} does not exist", param, ctx)
        if self.exists and not self.dir_okay and path.is_dir():
            self.fail(f"{text!r} is a folder, not a file", param, ctx)
        if self.exists and not self.file_okay and not path.is_dir():
            self.fail(f"{text!r} is not a folder", param, ctx)
        return path


def _echo_json(data) -> None:
    import json

    click.echo(json.dumps(data, indent=2, sort_keys=False))


class _StackGroup(click.Group):
    """A group whose first word may be a stack: `envsolve torch+jax --gpu` runs `solve`."""

    def resolve_command(self, ctx, args):
        if args and args[0] not in self.commands and not args[0].startswith("-"):
            return "solve", self.commands["solve"], args
        return super().resolve_command(ctx, args)

    def format_usage(self, ctx, formatter):
        formatter.write_usage("envsolve", "STACK [OPTIONS]  |  envsolve COMMAND [ARGS]...")


@click.group(
    cls=_StackGroup,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
    epilog="""\b
Examples:
  envsolve tensorflow+pytorch --gpu       newest working pair for this machine's OS and Python
  envsolve "pytorch==2.5.*" --gpu --os windows --python 3.11 --gpu-model "RTX 4090" --driver 551.61
  envsolve "jax>=0.6+torch" --gpu --gpu-model sm_90 --json
  envsolve torch --gpu --detect           fill OS, glibc, Python, GPUs and driver from this machine
  envsolve torch --gpu --os amazonlinux-2 --python 3.12   a torch whose wheels install on glibc 2.26
  envsolve tensorflow --gpu --with "numpy<1.24" -r requirements.in   your project's requirements join the solve
  envsolve doctor                         what on this machine will break, and how to fix it
  envsolve check lockfiles/ --driver 535.104.05   lockfiles against the rules and a fleet
  envsolve verify lockfiles/jax-cpu-linux-x86_64-py314   install a lock set and run it
  envsolve matrix --os linux --format github   a CI build matrix of every working combination
  envsolve catalog show torch==2.8.0      one release's facts
  envsolve catalog show jax --json        the newest JAX release, as JSON
  envsolve catalog editions               the Linux and Windows editions --os accepts
  envsolve catalog lint                   check the catalogs (also run by the tests)
  envsolve catalog sync                   refresh the generated PyPI data
  envsolve catalog sync --index all       refresh the builds read from the frameworks' own indexes

Exit codes: 0 ok, 1 findings, 2 bad input, 3 network failure, 70 internal error.""",
)
@click.version_option(__version__, "-V", "--version", prog_name="envsolve")
@click.option("--catalog-dir", type=_PathArg(), envvar="ENVSOLVE_CATALOG_DIR",
              help="Use the catalogs in this folder instead of the shipped ones.")
@click.pass_context
def cli(ctx: click.Context, catalog_dir: Path | None) -> None:
    """envsolve: solve working GPU deep-learning environments and write them down.

    Progress goes to stderr: a bar on a terminal, a line every few seconds elsewhere for a command
    that runs longer than about two seconds. --quiet (anywhere on the line) silences it.
    """
    ctx.ensure_object(dict)
    ctx.obj["catalog_dir"] = catalog_dir
    _progress(ctx).start()


def _progress(ctx: click.Context):
    """This command's :class:`resolver.progress.Progress` (one per command; main() finishes it)."""
    from .progress import Progress

    root = ctx.find_root()
    root.ensure_object(dict)
    if "progress" not in root.obj:
        name = " ".join(a for a in [root.invoked_subcommand or ""] if a)
        root.obj["progress"] = Progress(name or "envsolve", quiet=bool(root.obj.get("quiet")))
    return root.obj["progress"]


@cli.command("solve", context_settings={"ignore_unknown_options": False})
@click.argument("stack")
@click.option("--gpu", "gpu", is_flag=True, help="NVIDIA CUDA (on macOS: Apple MPS/Metal).")
@click.option("--cpu", "cpu", is_flag=True, help="CPU-only builds.")
@click.option("--rocm", "rocm", is_flag=False, flag_value="any", default=None, metavar="[VERSION]",
              help="AMD ROCm builds, optionally of one ROCm version (6.4).")
@click.option("--os", "os_name", metavar="OS",
              help="Target OS: linux, windows, wsl2, macos, or an edition such as ubuntu-22.04, rhel-8, amazonlinux-2, "
                   "windows-server-2022 (`envsolve catalog editions`). Default: this one.")
@click.option("--glibc", help="The Linux target's glibc X.Y (`ldd --version`): only wheels that install there. "
                              "An edition implies its own; plain --os linux limits nothing.")
@click.option("--arch", help="Target CPU: x86_64, aarch64 or arm64 (default: this one).")
@click.option("--python", "python", help="Target Python X.Y (default: this one).")
@click.option("--gpu-model", "gpu_models", multiple=True,
              help="A GPU the environment must run on (repeatable): nvidia-smi name, short name, sm_XY or X.Y.")
@click.option("--driver", help="The NVIDIA driver version the machines have (a hard constraint).")
@click.option("--cuda", help="Pin the CUDA runtime: 12 or 12.8.")
@click.option("--detect", is_flag=True, help="Fill OS, distribution, glibc, Python, GPUs and driver from this machine.")
@click.option("--strict", is_flag=True,
              help="Refuse builds with unverified facts (requirements, kernels, driver floor or cuDNN support not catalogued).")
@click.option("--with", "with_reqs", multiple=True, metavar="REQ",
              help="A requirement of your project (PEP 508, repeatable): joins the solve, e.g. --with 'numpy<2'.")
@click.option("-r", "--requirements", "requirement_files", multiple=True, metavar="FILE",
              help="Your project's requirements file (requirements.in style; repeatable).")
@click.option("--project", "project_path", metavar="PATH",
              help="Your project's pyproject.toml (or its folder): [project].dependencies join the solve.")
@click.option("--extra", "extras", multiple=True, metavar="NAME", help="With --project: these optional dependencies too.")
@click.option("--group", "groups", multiple=True, metavar="NAME", help="With --project: these dependency groups (PEP 735) too.")
@click.option("--json", "as_json", is_flag=True, help="Print the solution manifest (envsolve.solution/1).")
@click.option("--out", "out", type=_PathArg(),
              help="Write the stack-level lock set into OUT/<name>/ (requirements, pylock, conda-lock, install script, Dockerfile, envsolve.json).")
@click.option("--dry-run", is_flag=True, help="With --out: show the files that would be written; write nothing.")
@click.option("--offline", is_flag=True,
              help="With --out: no network; lock only the solver's pins (not their dependencies), from the catalog.")
@click.option("--allow-unhashed", multiple=True, metavar="NAME",
              help="Lock this package without a hash when the catalog has none (marked in every file).")
@click.pass_context
def solve_cmd(ctx: click.Context, stack: str, gpu: bool, cpu: bool, rocm: str | None, os_name: str | None,
              glibc: str | None, arch: str | None, python: str | None, gpu_models: tuple[str, ...], driver: str | None,
              cuda: str | None, detect: bool, strict: bool, with_reqs: tuple[str, ...],
              requirement_files: tuple[str, ...], project_path: str | None, extras: tuple[str, ...],
              groups: tuple[str, ...], as_json: bool, out: Path | None, dry_run: bool,
              offline: bool, allow_unhashed: tuple[str, ...]) -> None:
    """Find the newest working combination of STACK (frameworks joined by '+') for a target.

    \b
    STACK examples: tensorflow+pytorch, "pytorch==2.5.*", "jax>=0.6+torch" (aliases: torch, tf;
    quote a stack that holds <, > or *).
    Without --gpu/--cpu/--rocm: CUDA when a GPU, driver or CUDA pin is given, else CPU.
    Exit codes: 0 a solution, 1 no solution (with the reasons), 2 bad input.
    """
    from . import explain, report
    from .solver import Solution

    if gpu and cpu:
        raise UsageError("--gpu and --cpu contradict each other: give one")
    accelerator = "gpu" if gpu else "cpu" if cpu else None
    if out is None and (dry_run or offline or allow_unhashed):
        given = [flag for flag, on in (("--dry-run", dry_run), ("--offline", offline),
                                       ("--allow-unhashed", bool(allow_unhashed))) if on]
        raise UsageError(f"{', '.join(given)} only mean(s) something with --out DIR")
    _check_unhashed(allow_unhashed, offline)
    cat = _load(ctx)
    project = args = None
    if with_reqs or requirement_files or project_path or extras or groups:
        from .project import as_words, read_words

        args = as_words(with_reqs, requirement_files, project_path, extras, groups)
        project = read_words(args)
    request, target = _build_request(cat, stack, accelerator, rocm, os_name, arch, python, gpu_models, driver, cuda,
                                     detect, glibc, project, args or ())
    request = request._replace(strict=strict)
    result = explain.answer(cat, request, target)
    if out is not None and isinstance(result, Solution):
        _write_lock_set(cat, result, out, dry_run, offline, allow_unhashed, _progress(ctx))
        _progress(ctx).finish()
    if as_json:
        _echo_json(report.manifest(result, cat.digest))
    elif isinstance(result, Solution):
        click.echo(report.format_solution(result))
    else:
        click.echo(report.format_conflict(result))
    ctx.exit(EXIT_OK if isinstance(result, Solution) else EXIT_FINDINGS)


def _check_unhashed(names: tuple[str, ...], offline: bool) -> None:
    """--allow-unhashed takes package names, and only for --offline sets: a set locked through uv
    gets every hash from uv."""
    import re

    for name in names:
        if not re.fullmatch(r"[A-Za-z0-9]([A-Za-z0-9._-]*[A-Za-z0-9])?", name):
            raise UsageError(f"--allow-unhashed {name!r} is not a package name")
    if names and not offline:
        raise UsageError("--allow-unhashed needs --offline: a lock set resolved through uv gets every hash from uv "
                         "(--generate-hashes); only a stack-level --offline set may leave a package unhashed")


def _write_lock_set(cat, solution, out: Path, dry_run: bool, offline: bool, allow_unhashed: tuple[str, ...],
                    progress=None, own_task: bool = True) -> Path | None:
    """Write (or with ``dry_run`` list) the lock set of ``solution`` into ``out/<name>``; the folder
    written, or None for a dry run. Raises :class:`Failure` (exit 2, or 3 for an unreachable index)."""
    import shlex

    from . import closure, emit, lockset
    from .errors import EnvsolveError
    from .explain import command_line
    from .writer import replace_set

    command = command_line(solution.request, solution.target) + f" --out {shlex.quote(lockset.recorded_out(out))}"
    command += " --offline" if offline else ""
    command += "".join(f" --allow-unhashed {shlex.quote(n)}" for n in allow_unhashed)
    try:
        lock = lockset.build(cat, solution, command, allow_unhashed, need_hashes=offline)
        if not offline:
            task = progress.task(f"{lock.name}: resolving the dependency closure with uv") \
                if progress is not None and own_task else None
            try:
                lock = closure.close(cat, lock)
            finally:
                if task is not None:
                    progress.end(task)
        docs = emit.lock_documents(lock)
    except EnvsolveError as exc:
        raise Failure(f"no lock set written: {exc}", _code(exc)) from None
    folder = out / lock.name
    say = progress.message if progress is not None else (lambda text: click.echo(text, err=True))
    if dry_run:
        for name in docs:
            say(f"would write {folder / name}")
        return None
    try:
        replace_set(folder, docs, inside=out, executable={"install.sh"})
    except EnvsolveError as exc:
        raise Failure(f"no lock set written: {exc}", _code(exc)) from None
    for name in docs:
        say(f"wrote {folder / name}")
    return folder


def _build_request(cat, stack, accelerator, rocm, os_name, arch, python, gpu_models, driver, cuda, detect, glibc=None,
                   project=None, project_args=()):
    from .request import Host, build_request, reported_gpu

    if detect:
        from . import probe
        from .rules.platform import edition_for

        machine = probe.inspect_machine()
        for note in machine.notes:
            click.echo(f"envsolve: {note}", err=True)
        gpus = () if gpu_models else tuple(reported_gpu(cat, g.name, g.compute_capability) for g in machine.gpus)
        release = machine.os_release
        edition = edition_for(cat, release.id, release.version_id) if release else None
        if release is not None and edition is None:
            click.echo(f"envsolve: {release.pretty_name} is not a catalogued edition; solving for linux with glibc "
                       f"{machine.glibc or 'unknown'}", err=True)
        host = Host(machine.os, machine.arch, machine.python, machine.driver, gpus, machine.glibc, edition)
    elif os_name is None or arch is None:
        from . import probe

        host = Host(probe.host_os(), probe.host_arch(), f"{sys.version_info.major}.{sys.version_info.minor}")
    else:
        host = Host(os_name, arch, f"{sys.version_info.major}.{sys.version_info.minor}")
    return build_request(cat, stack, accelerator=accelerator, rocm=rocm, os_name=os_name, arch=arch, python=python,
                         gpu_models=gpu_models, driver=driver, cuda=cuda, glibc=glibc, host=host, detect=detect,
                         project=project, project_args=project_args)


@cli.command("matrix")
@click.argument("stacks", nargs=-1)
@click.option("--os", "oses", multiple=True, metavar="OS",
              help="Only these OSes, or these Linux editions as targets (ubuntu-22.04, amazonlinux-2...; "
                   "repeatable; default: all OSes).")
@click.option("--arch", "arches", multiple=True, help="Only these CPUs (repeatable).")
@click.option("--python", "pythons", multiple=True, help="Only these Pythons (repeatable; default 3.10-3.14).")
@click.option("--accelerator", "accelerators", multiple=True, type=click.Choice(["cuda", "rocm", "mps", "cpu"]),
              help="Only these accelerators (repeatable).")
@click.option("--gpu-model", "gpu_models", multiple=True, help="GPUs every CUDA cell must run on (repeatable).")
@click.option("--driver", help="The NVIDIA driver every CUDA cell must run on.")
@click.option("--format", "fmt", type=click.Choice(["table", "json", "github", "bake"]), default="table",
              show_default=True, help="table for people; json manifests; a GitHub Actions matrix; a docker-bake.hcl.")
@click.option("--json", "as_json", is_flag=True, help="Same as --format json.")
@click.option("--write", "write", type=_PathArg(),
              help="Also write the lock set of every working cell under this folder (--offline: stack-level only).")
@click.option("--offline", is_flag=True, help="With --write: stack-level lock sets, no network.")
@click.option("--allow-unhashed", multiple=True, metavar="NAME",
              help="With --write --offline: lock this package without a hash when the catalog has none (marked in every file).")
@click.option("--verify", "verify_sets", is_flag=True,
              help="With --write: `envsolve verify` every written lock set that fits this machine (platform and Python).")
@click.option("--jobs", type=click.IntRange(1, 1024), default=None,
              help="Worker processes (default: every core); with --verify, sets verified at once (default: up to 4).")
@click.pass_context
def matrix_cmd(ctx: click.Context, stacks: tuple[str, ...], oses, arches, pythons, accelerators, gpu_models,
               driver, fmt: str, as_json: bool, write: Path | None, offline: bool, allow_unhashed: tuple[str, ...],
               verify_sets: bool,
               jobs: int | None) -> None:
    """Solve every combination of STACKS and targets (default: each framework alone and each pair,
    on linux x86_64/aarch64, windows, wsl2 and macOS, each accelerator and Python 3.10-3.14).

    \b
    Exit codes: 0 done (failing cells are rows, not errors), 1 some lock set could not be written
    (--write) or failed --verify, 2 bad input, 3 network failure while verifying.
    """
    from . import matrix
    from .errors import UsageError
    from .request import lookup_gpu, parse_driver, parse_python, parse_stack
    from .rules.platform import check_arch

    if verify_sets and write is None:
        raise UsageError("--verify verifies the lock sets --write DIR writes: give --write DIR")
    if write is None and (offline or allow_unhashed):
        raise UsageError("--offline and --allow-unhashed only mean something with --write DIR")
    _check_unhashed(allow_unhashed, offline)
    cat = _load(ctx)
    stack_list = [parse_stack(cat, s) for s in stacks] or matrix.default_stacks(cat)
    targets, editions = matrix.targets_for(cat, oses, {check_arch(cat, "linux", x) for x in arches}, "matrix")
    py_list = [parse_python(p) for p in pythons] or list(cat.matrix.pythons)
    gpus = tuple(lookup_gpu(cat, g) for g in gpu_models)
    drv = parse_driver(driver) if driver is not None else None
    todo = matrix.cells(stack_list, targets, py_list, gpus, drv, tuple(accelerators) or None, editions)
    if not todo:
        raise Failure("no combination left after the filters")
    progress = _progress(ctx)
    task = progress.task("solving", len(todo), "combinations")
    manifests = matrix.solve_all(cat, todo, jobs, task.advance)
    progress.end(task)
    failed = 0
    written: list[Path] = []
    dockerfiles: set[str] | None = None  # the written sets with a Dockerfile, for the bake file
    if write is not None:
        from . import solver

        dockerfiles = set()
        working = [(cell, m) for cell, m in zip(todo, manifests) if m["status"] == "ok"]
        task = progress.task("writing lock sets" + ("" if offline else " (uv resolves each closure)"), len(working),
                             "lock sets")
        for cell, m in working:
            result = solver.solve(cat, cell.request, cell.target)
            if isinstance(result, solver.Solution):
                try:
                    folder = _write_lock_set(cat, result, write, False, offline, allow_unhashed, progress,
                                             own_task=False)
                except Failure as exc:  # one cell that cannot be locked does not stop the others
                    failed += 1
                    progress.message(f"{cell.name}: {exc}")
                else:
                    if folder is not None:
                        written.append(folder)
                        if (folder / "Dockerfile").is_file():
                            dockerfiles.add(folder.name)
            task.advance()
        progress.end(task)
    progress.finish()
    lines, status = _verify_written(cat, written, jobs) if verify_sets else ([], "ok")
    fmt = "json" if as_json else fmt
    if fmt == "json":
        _echo_json(manifests)
    elif fmt == "github":
        click.echo(matrix.format_github(manifests, str(write or "lockfiles")), nl=False)
    elif fmt == "bake":
        click.echo(matrix.format_bake(manifests, str(write or "lockfiles"), dockerfiles), nl=False)
    else:
        click.echo(matrix.format_table(manifests))
    for line in lines:  # after the table; on stderr where stdout is a document
        click.echo(line, err=fmt != "table")
    if failed:
        click.echo(f"{failed} lock set(s) could not be written", err=True)
    if status == "network":
        ctx.exit(EXIT_NETWORK)
    if failed or status == "failed":
        ctx.exit(EXIT_FINDINGS)


def _verify_written(cat, folders: list[Path], jobs: int | None) -> tuple[list[str], str]:
    """`envsolve verify` of every written set that fits this machine, a few at a time: the summary
    lines and the exit status (verify.exit_status)."""
    import os

    from . import verify

    host = verify.this_machine()
    infos, other, refused = [], 0, []
    for folder in folders:
        info = verify.read_set(folder)
        reason = verify.misfit(info, host)
        if reason is None:
            infos.append(info)
        elif reason.kind == "platform":
            other += 1
        else:
            refused.append(f"not verified: {reason}")
    workers = jobs or min(4, os.cpu_count() or 1)
    if infos and sys.stderr.isatty():
        with click.progressbar(length=len(infos), label=f"verifying {len(infos)} lock set(s)", file=sys.stderr) as bar:
            results = verify.verify_many(cat, infos, host, workers, progress=lambda _: bar.update(1))
    else:
        results = verify.verify_many(cat, infos, host, workers)
    lines = [verify.format_summary(v) for v in results] + refused
    counts = {k: sum(v.verdict == k for v in results) for k in ("verified", "partial", "failed")}
    lines.append(f"verify: {counts['verified']} verified, {counts['partial']} partial, {counts['failed']} failed; "
                 f"{other} written set(s) are for another platform or Python than this machine "
                 f"({host.platform}, Python {host.python}) and were not verified")
    return lines, verify.exit_status(results)


@cli.command("explore")
@click.option("--out", "out", required=True, type=_PathArg(),
              help="Folder to write index.html into.")
@click.option("--os", "oses", multiple=True, metavar="OS",
              help="Only these OSes or Linux editions (repeatable; default: every OS, and the editions os.yaml's "
                   "matrix.explore_editions names, on x86_64).")
@click.option("--python", "pythons", multiple=True, help="Only these Pythons (repeatable; default 3.10-3.14).")
@click.option("--gpu-model", "gpu_models", multiple=True,
              help="Only the compute capabilities of these GPUs (repeatable; default: every catalogued GPU).")
@click.option("--full", is_flag=True,
              help="Every GPU x every driver on every CUDA target and Python (minutes, not seconds).")
@click.option("--jobs", type=click.IntRange(1, 1024), default=None, help="Worker processes (default: every core).")
@click.pass_context
def explore_cmd(ctx: click.Context, out: Path, oses, pythons, gpu_models, full: bool, jobs) -> None:
    """Write a static, self-contained compatibility page (OUT/index.html) from the solver's answers:
    pick frameworks, OS, accelerator, Python, GPU and driver; see what works, why not, how to
    install it, and every build of each framework at a glance.

    \b
    Every GPU of the catalog is offered (solved once per compute capability) and every driver
    (solved once per bracket between two catalogued driver floors). By default a GPU and a driver
    together are answered on the first CUDA target (linux x86_64) at each stack's newest working
    Python, a GPU or a driver on the other CUDA targets; --full answers every combination.
    """
    from . import explore, matrix
    from .request import lookup_gpu, parse_python
    from .writer import write_files

    cat = _load(ctx)
    targets, editions = matrix.targets_for(cat, oses, (), "explore", cat.matrix.explore_editions, ("x86_64",))
    py_list = [parse_python(p) for p in pythons] or list(cat.matrix.pythons)
    ccs = sorted({lookup_gpu(cat, g).compute_capability for g in gpu_models},
                 key=lambda c: tuple(int(x) for x in c.split("."))) or None
    plan = explore.plan(cat, matrix.default_stacks(cat), targets, py_list, ccs, full, editions)
    data = explore.page_data(cat, plan, jobs, _progress(ctx))
    page = explore.render_page(data).encode("utf-8")
    write_files({out / "index.html": page})
    _progress(ctx).finish()
    plane = sum(x >= 0 for c in data["cells"].values() for row in c.get("plane", []) for x in row[1:]) + \
        sum(row[0] >= 0 for c in data["cells"].values() for row in c.get("plane", [])[1:])
    click.echo(f"wrote {out / 'index.html'} ({len(page) / 1e6:.2f} MB: {len(data['cells'])} choices without GPU or "
               f"driver, {plane} GPU x driver choices, {len(data['answers'])} distinct answers)")


@cli.command("check")
@click.argument("paths", nargs=-1, type=_PathArg())
@click.option("--json", "as_json", is_flag=True, help="Print the findings as JSON.")
@click.option("--driver", help="Check against machines with this NVIDIA driver.")
@click.option("--gpu-model", "gpu_models", multiple=True, help="Check against machines with this GPU (repeatable).")
@click.option("--os", "os_name", metavar="OS", help="The fleet's OS or edition (amazonlinux-2 checks its glibc too).")
@click.option("--glibc", help="The fleet's glibc X.Y: flag locked wheels that need a newer one.")
@click.option("--fix", is_flag=True,
              help="Regenerate stale or tampered envsolve lock sets (from their manifest's request, into their own folder).")
@click.pass_context
def check_cmd(ctx: click.Context, paths: tuple[Path, ...], as_json: bool, driver: str | None,
              gpu_models: tuple[str, ...], os_name: str | None, glibc: str | None, fix: bool) -> None:
    """Check lockfiles: parse, compatibility, integrity, freshness, and the fleet they must run on.

    \b
    PATHS: lockfiles (requirements*.txt, pylock*.toml, conda-lock.yml, envsolve.json) or folders
    (default: lockfiles/). Files envsolve did not write are checked too; a file inside an envsolve
    lock set is checked with its set. One verdict line per file.
    Exit codes: 0 clean, 1 findings, 2 bad input or unreadable files.
    """
    import os

    from . import check
    from .request import lookup_gpu, os_and_glibc, parse_driver, parse_glibc

    cat = _load(ctx)
    fleet = None
    if driver is not None or gpu_models or os_name or glibc:
        choice, have = os_and_glibc(cat, os_name, glibc or None, "fleets") if os_name else \
            (None, parse_glibc(glibc) if glibc else None)
        fleet = check.Fleet(parse_driver(driver) if driver is not None else None,
                            tuple(lookup_gpu(cat, g) for g in gpu_models), choice.os if choice else None,
                            have, choice.edition if choice else None)
    targets = list(paths) or [Path("lockfiles")]
    missing = [str(p) for p in targets if not os.path.lexists(p)]
    if missing:
        raise Failure(f"no such file or folder: {', '.join(missing)}")
    progress = _progress(ctx)
    progress.task("checking lockfiles")
    report = check.check(cat, targets, fleet)
    progress.end()
    if fix:
        failed = _fix(cat, report)
        report = check.check(cat, targets, fleet)
        if failed:
            report.findings.extend(failed)
    progress.finish()
    if as_json:
        _echo_json({"findings": [f._asdict() for f in report.findings],
                    "errors": [{"file": e.file, "line": e.line, "message": e.message} for e in report.errors],
                    "verdicts": [{"file": name, "verdict": verdict} for name, verdict in report.verdicts()]})
    else:
        for e in report.errors:
            click.echo(_printable(f"error {e}"), err=True)
        for f in report.findings:
            click.echo(str(f))
        verdicts = report.verdicts()
        for name, verdict in verdicts:  # one line per file: what a pre-commit hook's user reads
            click.echo(_printable(f"{'ok' if verdict == 'ok' else 'FAIL'} {name}" + ("" if verdict == "ok" else f" ({verdict})")))
        bad = sum(verdict != "ok" for _, verdict in verdicts)
        click.echo(f"{len(verdicts)} lockfile(s): " + (f"{bad} with problems" if bad else "no problems found"), err=True)
    ctx.exit(EXIT_INPUT if report.errors else EXIT_FINDINGS if report.findings else EXIT_OK)


def _fix(cat, report) -> list:
    """Regenerate every lock set with a stale or tampered finding, from its manifest's structured
    request into its own folder (nothing recorded in the file is run). Returns findings for sets
    that could not be regenerated."""
    from . import check, explain
    from .lockread import LockParseError, read_envsolve
    from .solver import Solution

    manifests = set()
    for f in report.findings:
        if f.kind in ("stale", "missing"):
            manifests.add(Path(f.file))
        elif f.kind == "tampered":
            manifests.add(Path(f.file).parent / "envsolve.json")
    failed = []
    for manifest in sorted(manifests):
        try:
            meta = read_envsolve(manifest, manifest.parent).meta or {}
            plan = check.regeneration(cat, manifest, meta)
        except (LockParseError, EnvsolveError) as exc:
            failed.append(check.CheckFinding("error", str(manifest), None, f"not regenerated: {exc}"))
            continue
        click.echo(f"regenerating: {plan.command}", err=True)
        result = explain.answer(cat, plan.request, plan.target, suggest=False)
        if not isinstance(result, Solution):
            failed.append(check.CheckFinding("error", str(manifest), None, "not regenerated: no working environment "
                                             f"for its request with this catalog: {result.summary}"))
            continue
        try:
            _write_lock_set(cat, result, plan.out, False, plan.offline, plan.allow_unhashed)
        except Failure as exc:
            failed.append(check.CheckFinding("error", str(manifest), None, f"not regenerated: {exc}"))
    return failed


@cli.command("verify")
@click.argument("sets", nargs=-1, required=True, type=click.Path(path_type=Path), metavar="SET_DIR...")
@click.option("--installer", type=click.Choice(["uv", "pip"]), default="uv", show_default=True,
              help="uv: `uv pip sync` of the set's pylock; pip: `pip install --require-hashes` of its requirements files.")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON (envsolve.verify/1; a list for several sets).")
@click.option("--keep", is_flag=True, help="Keep the virtual environment and print its path.")
@click.option("--timeout", type=click.FloatRange(min=1), default=600.0, show_default=True, metavar="SECONDS",
              help="Seconds each command may take (the install, each framework's smoke test).")
@click.pass_context
def verify_cmd(ctx: click.Context, sets: tuple[Path, ...], installer: str, as_json: bool, keep: bool,
               timeout: float) -> None:
    """Install each lock set (a folder `--out` wrote) into a throwaway virtual environment and run a
    smoke test per framework in it: import, the locked version, pip check, a computation on the CPU,
    torch's cuDNN and NCCL against the lock, and on a visible GPU the devices, a GPU matrix product
    and a cuDNN convolution.

    \b
    The set must pass `envsolve check` and be for this machine's platform and Python.
    Exit codes: 0 verified (or partial: no GPU here for the GPU steps), 1 a step failed or the set
    fails check, 2 unusable input (no lock set, another platform or Python), 3 network failure.
    """
    from . import verify

    cat = _load(ctx)
    infos = [verify.read_set(path) for path in sets]
    host = verify.this_machine()
    for info in infos:
        reason = verify.misfit(info, host, installer)
        if reason is not None:
            raise Failure(reason.text, EXIT_INPUT)
    tty = sys.stderr.isatty()
    results = []
    for info in infos:
        if not as_json:
            click.echo(verify.format_header(info, installer))
        on_start = (lambda step: click.echo(f"envsolve: {step.name}...", err=True)) if tty else None
        on_result = (lambda r: click.echo(verify.format_step(r))) if not as_json else None
        result = verify.verify(cat, info, host, installer, timeout, keep, on_start, on_result)
        results.append(result)
        if not as_json:
            click.echo(verify.format_verdict(result))
    if as_json:
        docs = [verify.report_json(r) for r in results]
        _echo_json(docs[0] if len(docs) == 1 else docs)
    status = verify.exit_status(results)
    ctx.exit(EXIT_NETWORK if status == "network" else EXIT_FINDINGS if status == "failed" else EXIT_OK)


@cli.command("doctor")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON (envsolve.doctor/1).")
@click.option("--python", "python", type=_PathArg(exists=True, dir_okay=False),
              help="Inspect the environment of this Python interpreter (default: the active virtual environment, "
                   "$VIRTUAL_ENV, else envsolve's own).")
@click.option("--path", "paths", multiple=True, type=_PathArg(exists=True, file_okay=False),
              help="Inspect the distributions in this site-packages folder instead (repeatable).")
@click.option("--timeout", default=5.0, show_default=True,
              help="Seconds to wait for nvidia-smi (0-600); six times that for the --python interpreter.")
@click.pass_context
def doctor_cmd(ctx: click.Context, as_json: bool, python: Path | None, paths: tuple[Path, ...], timeout: float) -> None:
    """Inspect this machine (driver, GPUs) and a Python environment; report what will break.

    \b
    Driver, in this order: ENVSOLVE_DRIVER_VERSION, /sys/module/nvidia/version,
    /proc/driver/nvidia/version, nvidia-smi. Environment: --python, --path, else the active
    virtual environment ($VIRTUAL_ENV), else envsolve's own.
    Exit codes: 0 nothing wrong, 1 findings, 2 bad input.
    """
    import math

    from . import doctor, probe

    if not math.isfinite(timeout) or not 0 < timeout <= 600:
        raise UsageError(f"--timeout {timeout}: give a number of seconds above 0 and at most 600")
    if python is not None and paths:
        raise UsageError("--python and --path name two environments: give one")
    cat = _load(ctx)
    if python is None and not paths:
        python = _active_python()
    progress = _progress(ctx)
    progress.task("inspecting this machine and its Python environment")
    env = (doctor.environment_of(str(python), timeout * 6) if python is not None else
           doctor.installed_distributions([str(p) for p in paths] or None))
    machine = probe.inspect_machine(timeout=timeout)
    report = doctor.diagnose(cat, machine, env)
    progress.finish()
    if as_json:
        _echo_json(doctor.report_json(report))
    else:
        click.echo(doctor.format_report(report))
    ctx.exit(EXIT_FINDINGS if any(f.severity != "info" for f in report.findings) else EXIT_OK)


def _active_python() -> Path | None:
    """The interpreter of the activated virtual environment ($VIRTUAL_ENV) when it is not the one
    envsolve runs in (envsolve installed with pipx or in its own venv), else None."""
    import os

    venv = os.environ.get("VIRTUAL_ENV")
    if not venv or not os.path.isdir(venv):
        return None
    try:
        if os.path.samefile(venv, sys.prefix):
            return None
    except OSError:
        return None
    for candidate in (Path(venv) / "bin" / "python", Path(venv) / "Scripts" / "python.exe"):
        if candidate.is_file():
            return candidate
    raise UsageError(f"VIRTUAL_ENV={venv} has no bin/python; give --python PATH or --path SITE_PACKAGES")


@cli.group()
def catalog() -> None:
    """Read, check and refresh the catalogs of frameworks, CUDA, GPUs and OSes."""


@catalog.command("show")
@click.argument("release")
@click.option("--json", "as_json", is_flag=True, help="Print the facts as JSON.")
@click.pass_context
def catalog_show(ctx: click.Context, release: str, as_json: bool) -> None:
    """Print one release's facts: RELEASE is a name with an optional specifier (torch==2.8.0, jax)."""
    from . import show

    cat = _load(ctx, solving=False)
    facts = show.release_facts(cat, release)
    if as_json:
        _echo_json(facts)
    else:
        click.echo(show.format_facts(facts))


@catalog.command("editions")
@click.option("--json", "as_json", is_flag=True, help="Print the editions as JSON.")
@click.pass_context
def catalog_editions(ctx: click.Context, as_json: bool) -> None:
    """List the OS editions --os accepts: Linux distributions with their glibc, CPUs, container
    image and the Pythons their own repositories install; Windows editions with what is known of
    NVIDIA's and the frameworks' support there."""
    from . import show

    data = show.editions(_load(ctx))
    if as_json:
        _echo_json(data)
    else:
        click.echo(show.format_editions(data))


@catalog.command("lint")
@click.option("--json", "as_json", is_flag=True, help="Print the findings as JSON.")
@click.pass_context
def catalog_lint(ctx: click.Context, as_json: bool) -> None:
    """Check every catalog file: schema, then cross-checks. Every problem in one run."""
    from .catalog import CatalogError, load
    from .lint import lint

    root = ctx.obj.get("catalog_dir")
    try:
        cat = load(root, keep_lines=True, use_cache=False)
        found = lint(cat)
        code = EXIT_FINDINGS if any(d.severity == "error" for d in found) else EXIT_OK
    except CatalogError as exc:
        found, code = exc.diagnostics, EXIT_INPUT
    errors = sum(d.severity == "error" for d in found)
    warnings = len(found) - errors
    if as_json:
        _echo_json({"errors": errors, "warnings": warnings,
                    "findings": [{"file": d.file, "line": d.line, "path": d.label, "severity": d.severity,
                                  "message": d.message} for d in found]})
    else:
        for d in found:
            click.echo(str(d), err=d.severity == "error")
        click.echo(f"{errors} error(s), {warnings} warning(s)", err=True)
    ctx.exit(code)


@catalog.command("import-matrix")
@click.argument("files", nargs=-1, required=True, type=_PathArg(exists=True, dir_okay=False))
@click.option("--release", "release", required=True, help="The framework release the files built (2.9.0).")
@click.option("--commit", required=True, help="The commit the files were read at (40 hex digits), cited by every build.")
@click.option("--repo", default="pytorch/pytorch", show_default=True, help="The repository the files come from.")
@click.option("--dry-run", is_flag=True, help="Show what would change; write nothing.")
@click.pass_context
def catalog_import_matrix(ctx: click.Context, files: tuple[Path, ...], release: str, commit: str, repo: str,
                          dry_run: bool) -> None:
    """Index builds' exact requirements from PyTorch's release files, where the index is unreachable.

    \b
    FILES: local copies, at COMMIT, of .github/scripts/generate_binary_build_matrix.py and/or the
    generated wheel workflows (.github/workflows/generated-*-binary-*wheel-*.yml). They are parsed,
    never executed; workflows win over the script. Writes catalogs/index/ files whose builds cite
    the files; `catalog sync --index` replaces them with the index's own metadata when it can.
    """
    import re

    from . import release_files, sync
    from .catalog import parse_file
    from .errors import UsageError
    from .writer import write_files

    cat = _load(ctx, solving=False)
    if not re.fullmatch(r"[0-9a-f]{40}", commit):
        raise UsageError(f"--commit {commit!r} is not a 40-digit commit hash")
    if not re.fullmatch(r"[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+", repo):
        raise UsageError(f"--repo {repo!r} is not OWNER/NAME")
    fw = cat.framework("torch")
    if fw is None or fw.release(release) is None:
        raise UsageError(f"no torch release {release} in the catalog")
    from .inputs import read_bytes

    scripts, workflows = [], []
    for path in files:
        text = read_bytes(path, release_files.MAX_FILE).decode("utf-8", errors="replace")
        if path.suffix == ".py":
            origin = f"github:{repo}/.github/scripts/{path.name}@{commit}"
            scripts += release_files.from_matrix_script(text, origin)
        elif path.suffix in (".yml", ".yaml"):
            origin = f"github:{repo}/.github/workflows/{path.name}@{commit}"
            workflows += release_files.from_workflow(text, origin, path.name)
        else:
            raise UsageError(f"{path}: neither the matrix script (.py) nor a generated workflow (.yml)")
    chosen = {(b.label, b.platform): b for b in scripts}
    chosen.update({(b.label, b.platform): b for b in workflows})
    pypi = cat.pypi.get(fw.distribution)
    rel = pypi.releases.get(release) if pypi else None
    folder = Path(cat.root) / "index"
    current = {}
    names = {}
    for build in chosen.values():
        index = f"{release_files.INDEX_BASE}/{build.label}"
        names[index] = sync.index_file_name(index, fw.distribution)
        existing = folder / names[index]
        if existing.is_file():
            import yaml

            current[index] = yaml.safe_load(existing.read_text(encoding="utf-8"))
    command = f"envsolve catalog import-matrix --release {release} --commit {commit} --repo {repo} " + \
        " ".join(p.name for p in files)
    data = release_files.index_files(release, chosen.values(), fw.distribution,
                                     {release: rel.requires_python if rel else None}, command, current)
    out = {}
    for index, content in data.items():
        blob = sync.render(content)
        _, _, _, problems = parse_file(f"index/{names[index]}", blob)
        if problems:
            raise UsageError(f"{names[index]}: the generated file does not fit the catalog: {problems[0]}")
        out[folder / names[index]] = blob
        platforms = sorted({p for m in content["releases"][-1:] for g in m["metadata"] for p in g["platforms"]})
        click.echo(f"{'would write' if dry_run else 'wrote'} index/{names[index]}: torch {release} builds for "
                   f"{', '.join(sorted({b.platform for b in chosen.values() if index.endswith(b.label)}))}"
                   if platforms else f"index/{names[index]}")
    if not dry_run:
        write_files(out)


@catalog.command("sync")
@click.argument("projects", nargs=-1)
@click.option("--index", "indexes", multiple=True, metavar="URL",
              help="Harvest the builds the catalog has on this framework index into catalogs/index/ instead of PyPI "
                   "(repeatable; 'all': every index the frameworks name).")
@click.option("--dry-run", is_flag=True, help="Show what would change; write nothing.")
@click.option("--check", is_flag=True, help="Like --dry-run, and exit 1 when something would change.")
@click.option("--replay", type=_PathArg(exists=True, dir_okay=False),
              help="Answer from a recording instead of the network.")
@click.option("--record", type=_PathArg(),
              help="Save every response seen, for --replay.")
@click.pass_context
def catalog_sync(ctx: click.Context, projects: tuple[str, ...], indexes: tuple[str, ...], dry_run: bool, check: bool,
                 replay: Path | None, record: Path | None) -> None:
    """Harvest Requires-Dist, Requires-Python and wheel tags from PyPI into catalogs/pypi/.

    PROJECTS limits the sync to some distributions (default: every catalogued one, plus the
    GPU-library list). A second run with nothing new on PyPI changes nothing.

    \b
    With --index URL: read that simple index (PEP 691 JSON or PEP 503 HTML) for the builds the
    catalog has there (<release>+<label> of each variant on it, and the companion releases paired
    with them) into catalogs/index/<host-path-project>.yaml; PROJECTS narrows the projects.
    """
    from . import pypi, sync
    from .writer import write_files

    from .inputs import MiB, read_bytes

    cat = _load(ctx, solving=False)  # sync makes the generated data a solve needs
    if replay is not None:
        source: pypi.Source = pypi.ReplaySource(read_bytes(replay, 256 * MiB), str(replay))
    else:
        source = pypi.LiveSource()
    recorder = pypi.RecordingSource(source) if record else None
    folder = Path(cat.root) / ("index" if indexes else "pypi")
    current = {p.name: p.read_bytes() for p in folder.glob("*.yaml")}
    what = f"the indexes {', '.join(indexes)}" if indexes else "PyPI metadata"
    progress = _progress(ctx)
    progress.task(f"reading {what} for {', '.join(projects) or 'every catalogued project'}")
    replaced = []
    try:
        if indexes:
            result = sync.run_index(cat, recorder or source, current, list(indexes), list(projects) or None)
            files, changes, replaced = result.files, result.changes, result.replaced
            for plan in result.skipped:
                click.echo(f"{plan.index}: the catalog has no build of {plan.project} there; skipped")
        else:
            files, changes = sync.run(cat, recorder or source, current, list(projects) or None)
    except EnvsolveError as exc:
        raise Failure(f"sync failed, nothing written: {exc}", _code(exc)) from None
    progress.finish()
    for change in changes:
        click.echo(change.describe())
    for found in replaced:
        for line in found.describe():
            click.echo(line)
    changed = {name: data for name, data in files.items() if current.get(name) != data}
    if dry_run or check:
        ctx.exit(EXIT_FINDINGS if check and changed else EXIT_OK)
    out = {folder / name: data for name, data in changed.items()}
    if recorder is not None and record is not None:
        out[record.resolve()] = recorder.dump()
    try:
        write_files(out)
    except EnvsolveError as exc:
        raise Failure(f"sync failed, nothing written: {exc}", _code(exc)) from None
    click.echo(f"{len(changed)} file(s) updated" if changed else "catalog already up to date")


@catalog.command("kernels")
@click.argument("builds", nargs=-1)
@click.option("--platform", "platforms", multiple=True,
              help="Only this platform's PyPI wheel (repeatable; default: every platform whose PyPI wheel is a CUDA build).")
@click.option("--method", type=click.Choice(["fatbin", "build-flags"]), default="fatbin", show_default=True,
              help="fatbin: scan the CUDA libraries' fatbins (streams ~1 GB per wheel); "
                   "build-flags: read the nvcc -gencode flags the wheel records (~1 KB).")
@click.option("--dry-run", is_flag=True, help="Measure and print; write nothing.")
@click.pass_context
def catalog_kernels(ctx: click.Context, builds: tuple[str, ...], platforms: tuple[str, ...], method: str,
                    dry_run: bool) -> None:
    """Measure the SASS and PTX targets of PyPI CUDA builds from their wheels into
    catalogs/measured/kernels.yaml (measured lists win over documented ones).

    \b
    BUILDS: torch==2.14.1 ... (default: the newest catalogued torch release). Wheels are read with
    HTTP range requests, never downloaded whole. Existing entries of other builds are kept.
    Exit codes: 0 done, 2 bad input or an unusable wheel, 3 network failure; nothing is written
    unless every build was measured.
    """
    import time

    from . import kernel_harvest as harvest
    from .writer import write_files

    cat = _load(ctx)
    target = harvest.target_file(cat)

    def progress(member: str, done: int, total: int) -> None:
        click.echo(f"\r  {member}: {done / 2**20:,.0f} of {total / 2**20:,.0f} MiB read", err=True,
                   nl=done >= total)

    try:
        plan = harvest.plan(cat, builds, platforms)
        existing = harvest.read_builds(target.read_bytes() if target.is_file() else None, str(target))
        source = harvest.default_source()
        measured = []
        for build in plan:
            if sys.stderr.isatty():
                click.echo(f"envsolve: measuring {build.describe()} from {build.wheel[0]}", err=True)
            started = time.monotonic()
            found = harvest.measure(source, build, method, progress if sys.stderr.isatty() else None)
            click.echo(f"{found.describe()}  [{found.read / 2**20:,.1f} MiB read in {time.monotonic() - started:.1f} s]")
            if found.note:
                click.echo(f"  {found.note}")
            measured.append(found)
        data = harvest.render(harvest.merge(existing, measured))
    except EnvsolveError as exc:
        raise Failure(f"nothing written: {exc}", _code(exc)) from None
    if dry_run:
        return
    if target.is_file() and target.read_bytes() == data:
        click.echo(f"{target} already up to date")
        return
    try:
        write_files({target: data})
    except EnvsolveError as exc:
        raise Failure(f"nothing written: {exc}", _code(exc)) from None
    click.echo(f"wrote {target}")


def _printable(text: str) -> str:
    from .inputs import printable

    return printable(text)


def main(argv: list[str] | None = None) -> int:
    """Run the command line; return (never raise) the exit code."""
    given = list(argv if argv is not None else sys.argv[1:])
    debug = "--debug" in given
    quiet = "--quiet" in given
    args = [a for a in given if a not in ("--debug", "--quiet")]
    obj: dict = {"quiet": quiet}
    try:
        return _main(args, obj, debug)
    finally:
        if "progress" in obj:
            obj["progress"].finish()


def _main(args: list[str], obj: dict, debug: bool) -> int:
    try:
        rc = cli.main(args=args, prog_name="envsolve", standalone_mode=False, obj=obj)
    except Failure as exc:
        click.echo(_printable(str(exc) if exc.preformatted else f"error: {exc}"), err=True)
        return exc.code
    except EnvsolveError as exc:  # typed failures from the core: the type decides the exit code
        click.echo(_printable(f"error: {exc}"), err=True)
        return _code(exc)
    except click.exceptions.Exit as exc:
        return exc.exit_code
    except click.ClickException as exc:
        exc.show()
        return EXIT_INPUT
    except click.exceptions.Abort:
        click.echo("aborted", err=True)
        return 130
    except KeyboardInterrupt:
        click.echo("interrupted", err=True)
        return 130
    except BrokenPipeError:
        return EXIT_OK
    except Exception as exc:  # the one place an unexpected error is turned into an exit code
        if debug:
            raise
        click.echo(f"envsolve: internal error: {type(exc).__name__}: {exc} (rerun with --debug for a traceback)", err=True)
        return EXIT_INTERNAL
    return rc if isinstance(rc, int) else EXIT_OK
