"""``envsolve verify``: a lock set proven by installing it into a throwaway virtual environment and
running a smoke test per framework in it.

- :func:`read_set` reads a lock-set folder (its ``envsolve.json``) into a :class:`LockSetInfo`;
  raises :class:`~resolver.errors.InputError` when the folder is not one;
- :func:`misfit` says why a set cannot be verified on a :class:`Host` (platform, Python, glibc),
  or None;
- :func:`plan` is pure: the :class:`Step` list for a set, a host, an installer and an environment
  path (command lines as data, GPU steps marked as not run without a GPU);
- :func:`verify` runs a plan (every command a subprocess with a timeout; the smoke tests are the
  fixed script :mod:`resolver.smoke`, fed validated JSON on stdin) and returns a
  :class:`Verification`; the environment is removed afterwards, also on failure and Ctrl-C, unless
  kept; :func:`verify_many` runs several in bounded parallel workers;
- :func:`report_json`, :func:`format_step`, :func:`format_verdict` and :func:`format_summary` are
  pure.

The integrity check is ``envsolve check``'s (:func:`resolver.check.check`): a set with an error
finding is not installed.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from . import smoke
from .errors import InputError, names_the_network
from .platforms import PLATFORMS, PYPI_INDEX

if TYPE_CHECKING:
    from .catalog import Catalog

SCHEMA = "envsolve.verify/1"
INSTALLERS = ("uv", "pip")
ACCELERATORS = ("cuda", "rocm", "mps", "cpu")
DEFAULT_TIMEOUT = 600.0
TAIL_LINES = 30
TAIL_CHARS = 4000
_SET_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,199}$")
_PYTHON = re.compile(r"^3\.\d{1,2}$")
_EXTRA = re.compile(r"^[a-z0-9]([a-z0-9._-]*[a-z0-9])?$")
# Settings of the user's that do not choose what gets installed: kept. Every other UV_*/PIP_*
# variable (indexes, find-links, constraints...) and PYTHON* variable is dropped, and no uv or pip
# configuration file is read, so the set installs from its own URLs and indexes only.
_KEPT = frozenset({"UV_CACHE_DIR", "UV_NATIVE_TLS", "UV_HTTP_TIMEOUT", "UV_HTTP_RETRIES", "UV_CONCURRENT_DOWNLOADS",
                   "UV_OFFLINE", "UV_LINK_MODE", "PIP_CERT", "PIP_CLIENT_CERT", "PIP_DEFAULT_TIMEOUT", "PIP_TIMEOUT",
                   "PIP_RETRIES", "PIP_PROXY", "PIP_CACHE_DIR", "PIP_NO_CACHE_DIR"})



class Host(NamedTuple):
    """This machine, as far as verifying goes."""

    platform: str  # linux-x86_64 ... (a WSL2 host installs Linux wheels)
    python: str  # X.Y of the interpreter envsolve runs under: the environment is made from it
    glibc: str | None
    gpus: tuple[str, ...]  # NVIDIA GPU names nvidia-smi lists
    rocm: bool  # ROCm is installed (/opt/rocm) or an AMD compute device is there (/dev/kfd)
    gpu_note: str | None  # why no NVIDIA GPU is visible, when none is
    interpreter: str


class LockSetInfo(NamedTuple):
    """What verify needs from a lock set, read from its ``envsolve.json`` and checked."""

    path: Path
    name: str
    platform: str
    python: str
    accelerator: str
    transitive: bool
    frameworks: tuple[tuple[str, str], ...]  # (distribution, version), in the manifest's order
    top: tuple[str, ...]  # name[extras]==version of the solver's non-library pins (stack-level sets)
    nccl: str | None  # system.nccl and system.cudnn: the versions the lock's GPU-library wheels bring
    cudnn: str | None
    files: tuple[str, ...]  # the files envsolve.json lists
    pylock: str | None
    requirements: tuple[str, ...]  # in install.sh's order: framework indexes first
    wheels: tuple[str, ...]  # every locked wheel's file name (envsolve.json lock.artifacts)
    unhashed: tuple[str, ...]


class Step(NamedTuple):
    """One planned step. ``kind``: integrity | command | versions | smoke."""

    name: str
    kind: str
    commands: tuple[tuple[str, ...], ...] = ()
    framework: str | None = None  # smoke: the distribution
    skip: str | None = None  # planned as not run, and why
    gpu: bool = False
    network: bool = False  # a failure that names the network is exit 3, not a failed set


class StepResult(NamedTuple):
    name: str
    status: str  # passed | failed | skipped
    seconds: float | None  # None when not run
    output: str  # a detail when passed, the tail when failed, the reason when skipped
    gpu: bool = False


class Verification(NamedTuple):
    set: LockSetInfo
    installer: str
    host: Host
    steps: tuple[StepResult, ...]
    verdict: str  # verified | partial | failed
    environment: str | None  # the kept environment's path
    network: bool  # a step failed because the network did
    notes: tuple[str, ...]
    seconds: float  # the whole run, removing the environment included
    cleanup: float = 0.0  # seconds spent removing the environment (GBs of files for a CUDA set)


# --- reading a set ------------------------------------------------------------------------------

def read_set(path: Path) -> LockSetInfo:
    """The lock set in ``path``. Raises :class:`InputError`: no such folder, not a lock set, or a
    manifest field envsolve would not have written."""
    from .lockread import read_envsolve

    if not path.is_dir():
        raise InputError(f"{path}: no such folder" if not path.exists() else f"{path}: not a folder (give a lock "
                                                                             "set's folder)")
    manifest = path / "envsolve.json"
    if not manifest.is_file():
        inside = sorted(p.parent.name for p in path.glob("*/envsolve.json"))
        hint = f"; it holds lock sets: {', '.join(str(path / n) for n in inside[:3])}" + (" ..." if len(inside) > 3
                                                                                       else "") if inside else ""
        raise InputError(f"{path}: not a lock set (no envsolve.json){hint}")
    meta = read_envsolve(manifest).meta or {}
    lock = meta["lock"]

    def field(value: object, pattern: re.Pattern[str], where: str) -> str:
        if not isinstance(value, str) or not pattern.match(value):
            raise InputError(f"{manifest}: {where} is {value!r}, not what envsolve writes")
        return value

    name = field(lock.get("name"), _SET_NAME, "lock.name")
    target = meta.get("target") or {}
    platform = target.get("platform")
    if platform not in PLATFORMS:
        raise InputError(f"{manifest}: target.platform is {platform!r}, not one of {', '.join(PLATFORMS)}")
    python = field(target.get("python"), _PYTHON, "target.python")
    accelerator = (meta.get("request") or {}).get("accelerator")
    if accelerator not in ACCELERATORS:
        raise InputError(f"{manifest}: request.accelerator is {accelerator!r}, not one of {', '.join(ACCELERATORS)}")
    frameworks, top = [], []
    for i, p in enumerate(meta.get("packages") or []):
        if not isinstance(p, dict):
            raise InputError(f"{manifest}: packages[{i}] is not an object")
        dist = field(p.get("name"), smoke.DISTRIBUTION, f"packages[{i}].name")
        version = field(p.get("version"), smoke.VERSION, f"packages[{i}].version")
        extras = [field(e, _EXTRA, f"packages[{i}].extras") for e in p.get("extras") or []]
        if p.get("role") == "framework":
            frameworks.append((dist, version))
        if p.get("role") not in ("gpu-library", "dependency"):
            top.append(f"{dist}{'[' + ','.join(extras) + ']' if extras else ''}=={version}")
    system = meta.get("system") or {}
    nccl, cudnn = (field(system[k], smoke.DOTTED, f"system.{k}") if system.get(k) is not None else None
                   for k in ("nccl", "cudnn"))
    files = lock.get("files")
    if not isinstance(files, dict) or not all(isinstance(f, str) and "/" not in f and "\\" not in f for f in files):
        raise InputError(f"{manifest}: lock.files is not a list of file names")
    pylock = f"pylock.{name}.toml" if f"pylock.{name}.toml" in files else None
    requirements = sorted((f for f in files if re.fullmatch(r"requirements(\.[a-z0-9-]+)?\.txt", f)),
                          key=lambda n: (n == "requirements.txt", n))
    artifacts = lock.get("artifacts") or {}
    wheels = [str(a.get("filename")) for entries in (artifacts.values() if isinstance(artifacts, dict) else ())
              for a in (entries if isinstance(entries, list) else ()) if isinstance(a, dict)]
    unhashed = lock.get("unhashed") or []
    return LockSetInfo(path, name, platform, python, accelerator, bool(lock.get("transitive")), tuple(frameworks),
                       tuple(top), nccl, cudnn, tuple(sorted(files)), pylock, tuple(requirements), tuple(wheels),
                       tuple(str(u) for u in unhashed))


def this_machine() -> Host:
    """This machine: its platform and Python, glibc, and the GPUs probe sees."""
    from . import probe
    from .rules.platform import platform_of

    machine = probe.inspect_machine()
    platform = platform_of(machine.os, machine.arch) if machine.os in ("linux", "wsl2", "windows", "macos") \
        else f"{machine.os}-{machine.arch}"
    gpus = tuple(g.name for g in machine.gpus)
    note = None if gpus else next((n for n in machine.notes if "nvidia-smi" in n), "nvidia-smi lists no GPU")
    if gpus and os.environ.get("CUDA_VISIBLE_DEVICES", "unset").strip() in ("", "-1"):
        gpus, note = (), "CUDA_VISIBLE_DEVICES hides every GPU"
    rocm = machine.rocm is not None or (machine.os == "linux" and os.path.exists("/dev/kfd"))
    return Host(platform, machine.python, machine.glibc, gpus, rocm, note, sys.executable)


class Misfit(NamedTuple):
    """Why a set cannot be verified here. ``kind``: platform (another platform or Python), glibc,
    unhashed (a package without a hash), installer (nothing the installer can install)."""

    kind: str
    text: str  # for people: says where it can be verified

    def __str__(self) -> str:
        return self.text


def misfit(info: LockSetInfo, host: Host, installer: str = "uv") -> Misfit | None:
    """Why ``info`` cannot be verified on ``host`` with ``installer``, or None."""
    from .platforms import wheel_glibc
    from .rules.glibc import fits, highest

    where = f"a {info.platform} machine with Python {info.python}"
    if info.platform != host.platform or info.python != host.python:
        return Misfit("platform", f"{info.path} is for {info.platform} with Python {info.python}; this machine is "
                                  f"{host.platform} with Python {host.python} (envsolve runs under it): verify it on "
                                  f"{where}, with envsolve installed under that Python")
    if info.platform.startswith("linux-"):
        need = highest(wheel_glibc(w, {}) for w in info.wheels)
        if need is not None and (host.glibc is None or not fits(need, host.glibc)):
            have = f"glibc {host.glibc}" if host.glibc else "no glibc"
            return Misfit("glibc", f"{info.path}: its wheels need glibc {need}; this machine has {have}: verify it on "
                                   f"{where} and glibc >= {need}")
    if info.unhashed:
        return Misfit("unhashed", f"{info.path} locks {', '.join(info.unhashed)} without a hash (--allow-unhashed): "
                                  "envsolve verify installs hash-checked sets only")
    if installer == "uv" and info.pylock is None:
        return Misfit("installer", f"{info.path} has no pylock.{info.name}.toml to install with uv: use "
                                   "--installer pip")
    if installer == "pip" and not info.requirements:
        return Misfit("installer", f"{info.path} has no requirements files to install with pip: use --installer uv")
    return None


# --- planning ----------------------------------------------------------------------------------

def env_python(env: Path) -> Path:
    """The interpreter of a virtual environment."""
    return env / "Scripts" / "python.exe" if os.name == "nt" else env / "bin" / "python"


def gpu_absence(info: LockSetInfo, host: Host) -> str | None:
    """Why the GPU steps cannot run for ``info`` here, or None when they can."""
    if info.accelerator == "cuda":
        return None if host.gpus else f"no NVIDIA GPU visible ({host.gpu_note or 'nvidia-smi lists none'})"
    if info.accelerator == "rocm":
        return None if host.rocm else "no AMD GPU visible (no ROCm at /opt/rocm, no /dev/kfd)"
    if info.accelerator == "mps":
        return "envsolve verify has no Apple GPU (MPS/Metal) steps"
    return "a CPU set"


def plan(info: LockSetInfo, host: Host, installer: str, env: Path, uv: str) -> tuple[Step, ...]:
    """The steps that verify ``info`` on ``host`` in the environment ``env``. Pure (a relative set
    path is taken from the working directory)."""
    if installer not in INSTALLERS:
        raise InputError(f"unknown installer {installer!r} ({', '.join(INSTALLERS)})")
    py = str(env_python(env))
    folder = info.path.absolute()  # the commands run in a folder of their own
    steps = [Step("integrity", "integrity")]
    if installer == "uv":
        steps.append(Step("venv", "command", ((uv, "venv", "--no-config", "--no-python-downloads", "--quiet",
                                               "--python", host.interpreter, str(env)),)))
        steps.append(Step("install", "command", ((uv, "pip", "sync", "--no-config", "--preview-features", "pylock",
                                                  "--python", py, "--no-build",
                                                  str(folder / (info.pylock or "pylock.toml"))),), network=True))
    else:
        steps.append(Step("venv", "command", ((host.interpreter, "-m", "venv", str(env)),)))
        steps.append(Step("install", "command", tuple(
            (py, "-m", "pip", "install", "--require-hashes", "--no-deps", "--only-binary", ":all:",
             "-r", str(folder / name)) for name in info.requirements), network=True))
    if not info.transitive:  # as install.sh: the rest from PyPI, held to the locked versions
        constraints = ("-c", str(folder / "constraints.txt")) if "constraints.txt" in info.files else ()
        if installer == "uv":
            deps: tuple[str, ...] = (uv, "pip", "install", "--no-config", "--python", py, "--index-url", PYPI_INDEX,
                                     "--only-binary", ":all:", *constraints, *info.top)
        else:
            deps = (py, "-m", "pip", "install", "--only-binary", ":all:", "--index-url", PYPI_INDEX,
                    *constraints, *info.top)
        steps.append(Step("dependencies", "command", (deps,), network=True))
    steps.append(Step("versions", "versions", ((uv, "pip", "list", "--no-config", "--python", py, "--format",
                                                "json"),)))
    steps.append(Step("pip-check", "command", ((uv, "pip", "check", "--no-config", "--python", py),)
                      if installer == "uv" else ((py, "-m", "pip", "check"),)))
    absent = gpu_absence(info, host)
    locked = {"nccl": info.nccl, "cudnn": info.cudnn}
    for dist, _ in info.frameworks:
        for name in smoke.steps_for(dist):
            gpu = name in smoke.GPU_STEPS
            if name in smoke.LIBRARY_STEPS and (locked[name] is None or info.accelerator != "cuda"):
                continue
            if gpu and info.accelerator == "cpu":
                continue
            steps.append(Step(f"{dist}:{name}", "smoke", framework=dist, gpu=gpu,
                              skip=f"not run: {absent}" if gpu and absent else None))
    return tuple(steps)


def smoke_input(info: LockSetInfo, dist: str, steps: Sequence[str]) -> dict:
    """The JSON the smoke script gets for one framework, validated as the script validates it."""
    version = dict(info.frameworks)[dist]
    locked = {"nccl": info.nccl, "cudnn": info.cudnn}
    payload = {"protocol": smoke.PROTOCOL, "distribution": dist, "version": version, "steps": list(steps),
               "expect": {k: v for k, v in locked.items() if k in steps}}
    try:
        return smoke.validate(payload)
    except smoke.Refused as exc:
        raise InputError(f"{info.path}: {exc}") from None


# --- running -----------------------------------------------------------------------------------

def uv_binary() -> str:
    try:
        from uv import find_uv_bin
    except ImportError:
        raise InputError("uv is not installed (it is a dependency of envsolve: reinstall envsolve)") from None
    return str(find_uv_bin())


def child_env() -> dict[str, str]:
    """The environment of every command: no index or configuration of the user's, see _KEPT."""
    env = {k: v for k, v in os.environ.items()
           if not (k.startswith(("UV_", "PIP_", "PYTHON")) and k not in _KEPT) and k != "VIRTUAL_ENV"}
    env.update(PIP_CONFIG_FILE=os.devnull, PIP_DISABLE_PIP_VERSION_CHECK="1", PIP_NO_INPUT="1",
               PYTHONIOENCODING="utf-8")
    return env


def tail(text: str) -> str:
    lines = text.rstrip().splitlines()[-TAIL_LINES:]
    return "\n".join(lines)[-TAIL_CHARS:]


def _text(value: str | bytes | None) -> str:
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace")
    return value or ""


class _Run(NamedTuple):
    ok: bool
    output: str  # stdout of the last command when ok, the failure's tail otherwise
    network: bool


def _commands(commands: Iterable[tuple[str, ...]], timeout: float, cwd: Path, network: bool) -> _Run:
    out = ""
    for argv in commands:
        try:
            done = subprocess.run(list(argv), cwd=cwd, env=child_env(), capture_output=True, text=True,
                                  encoding="utf-8", errors="replace", timeout=timeout, stdin=subprocess.DEVNULL)
        except subprocess.TimeoutExpired as exc:
            text = _text(exc.stderr) + _text(exc.stdout)
            return _Run(False, tail(text + f"\n{Path(argv[0]).name} did not finish within {timeout:g} s"), network)
        except OSError as exc:
            return _Run(False, f"{argv[0]}: {exc.strerror or exc}", False)
        if done.returncode != 0:
            text = done.stderr + done.stdout
            return _Run(False, tail(text) or f"exit code {done.returncode}",
                        network and names_the_network(text))
        out = done.stdout
    return _Run(True, out, False)


def _versions(expected: dict[str, str], listed: str) -> tuple[bool, str]:
    """Installed versions (``uv pip list --format json``) against the lock's."""
    from packaging.utils import canonicalize_name

    try:
        installed: dict[str, str] = {canonicalize_name(p["name"]): str(p["version"]) for p in json.loads(listed)}
    except (ValueError, TypeError, KeyError):
        return False, f"cannot read uv pip list's answer: {listed[:200]!r}"
    wrong = []
    for name, version in sorted(expected.items()):
        have = installed.get(name)
        if have is None:
            wrong.append(f"{name}=={version} is locked but not installed")
        elif not smoke.same_version(have, version):
            wrong.append(f"{name} {have} is installed, the lock has {version}")
    if wrong:
        return False, "\n".join(wrong)
    return True, f"{len(expected)} package(s) as locked"


def _expected(info: LockSetInfo, installer: str) -> dict[str, str]:
    from .lockread import read_pylock, read_requirements

    files = [read_pylock(info.path / info.pylock)] if installer == "uv" and info.pylock else \
        [read_requirements(info.path / n) for n in info.requirements]
    return {p.name: p.version for f in files for p in f.pins if p.version}


def _smoke(info: LockSetInfo, env: Path, dist: str, steps: list[Step], timeout: float, cwd: Path) -> list[StepResult]:
    """One child per framework runs its steps; a step it did not report failed (the child died or
    timed out) and the ones after it are skipped."""
    names = [s.name.split(":", 1)[1] for s in steps]
    payload = smoke_input(info, dist, names)
    script = Path(smoke.__file__)
    argv = [str(env_python(env)), "-I", str(script)]
    problem = None
    try:
        done = subprocess.run(argv, cwd=cwd, env=child_env(), input=json.dumps(payload), capture_output=True,
                              text=True, encoding="utf-8", errors="replace", timeout=timeout)
        stdout, stderr = done.stdout, done.stderr
        if done.returncode < 0:
            import signal

            try:
                name = signal.Signals(-done.returncode).name
            except ValueError:
                name = f"signal {-done.returncode}"
            problem = f"the smoke test was killed by {name}"
        elif done.returncode != 0:
            problem = f"the smoke test exited with code {done.returncode}"
    except subprocess.TimeoutExpired as exc:
        stdout, stderr = _text(exc.stdout), _text(exc.stderr)
        problem = f"did not finish within {timeout:g} s"
    except OSError as exc:
        stdout, stderr, problem = "", "", f"{argv[0]}: {exc.strerror or exc}"
    reported: dict[str, dict] = {}
    for line in stdout.splitlines():
        try:
            record = json.loads(line)
        except ValueError:
            continue
        if isinstance(record, dict) and record.get("step") in names and record.get("status") in (
                "passed", "failed", "skipped"):
            reported[record["step"]] = record
    results: list[StepResult] = []
    missing_seen = False
    for step, short in zip(steps, names):
        record = reported.get(short)
        if record is None:
            if not missing_seen:
                results.append(StepResult(step.name, "failed", None, tail(f"{stderr}\n{problem or 'no result'}"),
                                          step.gpu))
                missing_seen = True
            else:
                results.append(StepResult(step.name, "skipped", None, f"not run: {dist}'s smoke test stopped",
                                          step.gpu))
            continue
        seconds = record.get("seconds")
        output = str(record.get("output") or "")
        if record["status"] == "failed":
            log = tail(stderr)
            output = tail(output) + (f"\n--- the smoke test's log (tail):\n{log}" if log else "")
        results.append(StepResult(step.name, record["status"],
                                  float(seconds) if isinstance(seconds, (int, float)) else None, output, step.gpu))
    return results


def verdict(results: Sequence[StepResult]) -> str:
    """failed: a step failed; partial: GPU steps were not run; verified: every step passed."""
    if any(r.status == "failed" for r in results):
        return "failed"
    if any(r.status == "skipped" for r in results):
        return "partial"
    return "verified"


def verify(cat: Catalog, info: LockSetInfo, host: Host, installer: str = "uv", timeout: float = DEFAULT_TIMEOUT,
           keep: bool = False, on_start: Callable[[Step], None] | None = None,
           on_result: Callable[[StepResult], None] | None = None,
           cancel: threading.Event | None = None) -> Verification:
    """Verify one set (which must fit ``host``: see :func:`misfit`). The environment lives in a new
    temporary folder, removed on the way out whatever happens unless ``keep``. ``cancel``, once
    set, stops before the next step by raising :class:`KeyboardInterrupt`."""
    from .check import check

    started = time.monotonic()
    uv = uv_binary()
    work = Path(tempfile.mkdtemp(prefix=f"envsolve-verify-{info.name[:60]}-"))
    env = work / "venv"
    results: list[StepResult] = []
    notes: list[str] = []
    network = False
    stop: str | None = None

    def record(result: StepResult) -> None:
        results.append(result)
        if on_result:
            on_result(result)

    try:
        (work / "run").mkdir()
        steps = plan(info, host, installer, env, uv)
        i = 0
        while i < len(steps):
            if cancel is not None and cancel.is_set():
                raise KeyboardInterrupt
            step = steps[i]
            if stop is not None or step.skip is not None:
                record(StepResult(step.name, "skipped", None, step.skip or f"not run: {stop}", step.gpu))
                i += 1
                continue
            if on_start:
                on_start(step)
            t0 = time.monotonic()
            if step.kind == "smoke":
                group = [step]
                while i + len(group) < len(steps) and steps[i + len(group)].framework == step.framework \
                        and steps[i + len(group)].skip is None:
                    group.append(steps[i + len(group)])
                assert step.framework is not None
                for result in _smoke(info, env, step.framework, group, timeout, work / "run"):
                    record(result)
                i += len(group)
                continue
            if step.kind == "integrity":
                report = check(cat, [info.path])
                # A set that could not be written again (--fix) still installs as it is: said, not refused.
                blocking = [f for f in report.findings if f.severity == "error" and f.kind != "unregenerable"]
                bad = [f"error {e}" for e in report.errors] + [str(f) for f in blocking]
                notes += [str(f) for f in report.findings if f not in blocking]
                ok = not bad
                output = "\n".join(bad) if bad else f"envsolve check: no errors ({len(info.files)} files match " \
                                                     "envsolve.json)"
            else:
                run = _commands(step.commands, timeout, work / "run", step.network)
                ok, output = run.ok, run.output
                network = network or run.network
                if ok and step.kind == "versions":
                    ok, output = _versions(_expected(info, installer), run.output)
                elif ok:
                    output = _detail(step, info, installer)
            record(StepResult(step.name, "passed" if ok else "failed", round(time.monotonic() - t0, 3), output))
            if not ok and step.name in ("integrity", "venv", "install", "dependencies"):
                stop = f"{step.name} failed"
            i += 1
    finally:
        removing = time.monotonic()
        if not keep:
            shutil.rmtree(work, ignore_errors=True)
        cleanup = time.monotonic() - removing
    return Verification(info, installer, host, tuple(results), verdict(results), str(env) if keep else None,
                        network, tuple(notes), round(time.monotonic() - started, 3), round(cleanup, 3))


def _detail(step: Step, info: LockSetInfo, installer: str) -> str:
    if step.name == "install":
        return f"uv pip sync {info.pylock}" if installer == "uv" else \
            f"pip install --require-hashes {' '.join(info.requirements)}"
    if step.name == "dependencies":
        return "a stack-level set: the rest resolved from PyPI at install time, held to constraints.txt"
    if step.name == "pip-check":
        return "no broken requirements"
    return ""


def verify_many(cat: Catalog, infos: Sequence[LockSetInfo], host: Host, jobs: int, installer: str = "uv",
                timeout: float = DEFAULT_TIMEOUT, progress: Callable[[Verification], None] | None = None
                ) -> list[Verification]:
    """Verify every set, at most ``jobs`` at a time; results in the order given."""
    from concurrent.futures import ThreadPoolExecutor, as_completed

    out: list[Verification | None] = [None] * len(infos)
    cancel = threading.Event()
    pool = ThreadPoolExecutor(max_workers=max(1, jobs))
    try:
        futures = {pool.submit(verify, cat, info, host, installer, timeout, False, None, None, cancel): i
                   for i, info in enumerate(infos)}
        for future in as_completed(futures):
            result = future.result()
            out[futures[future]] = result
            if progress:
                progress(result)
    except BaseException:  # Ctrl-C or a failure: queued sets never start, running ones stop at their next step
        cancel.set()
        pool.shutdown(wait=True, cancel_futures=True)
        raise
    pool.shutdown(wait=True)
    return [v for v in out if v is not None]


# --- reports -----------------------------------------------------------------------------------

def report_json(v: Verification) -> dict:
    """The ``envsolve.verify/1`` document of one verification."""
    return {
        "schema": SCHEMA,
        "set": {"path": str(v.set.path), "name": v.set.name, "platform": v.set.platform, "python": v.set.python,
                "accelerator": v.set.accelerator},
        "installer": v.installer,
        "machine": {"platform": v.host.platform, "python": v.host.python, "gpus": list(v.host.gpus)},
        "steps": [{"name": r.name, "status": r.status, "seconds": r.seconds, "output": r.output} for r in v.steps],
        "verdict": v.verdict,
        "network_error": v.network,
        "environment": v.environment,
        "notes": list(v.notes),
        "seconds": v.seconds,
        "cleanup_seconds": v.cleanup,
    }


def format_header(info: LockSetInfo, installer: str) -> str:
    return f"verify {info.path}: {info.platform}, Python {info.python}, {info.accelerator}, with {installer}"


def format_step(r: StepResult) -> str:
    seconds = f"{r.seconds:7.2f} s" if r.seconds is not None else "      - "
    first, *rest = (r.output or "").splitlines() or [""]
    if r.status == "failed":
        return f"  {r.status:<8} {r.name:<22} {seconds}\n" + "\n".join(f"      | {line}" for line in [first, *rest])
    return f"  {r.status:<8} {r.name:<22} {seconds}  {first}".rstrip()


def format_verdict(v: Verification) -> str:
    lines = [f"note: {n}" for n in v.notes]
    failed = [r.name for r in v.steps if r.status == "failed"]
    took = f"{v.seconds:.1f} s" + (f", {v.cleanup:.1f} s of it removing the environment" if v.cleanup >= 1 else "")
    if v.verdict == "failed":
        why = "the network failed during " if v.network else ""
        lines.append(f"failed: {why}{', '.join(failed)} ({took})")
    elif v.verdict == "partial":
        skipped = [r.name for r in v.steps if r.status == "skipped"]
        lines.append(f"partial: every step that ran passed; not run: {', '.join(skipped)} ({took})")
    else:
        lines.append(f"verified: every step passed ({took})")
    if v.environment:
        lines.append(f"environment kept: {v.environment}")
    return "\n".join(lines)


def format_summary(v: Verification) -> str:
    """One line per set, for ``matrix --verify``."""
    failed = [r for r in v.steps if r.status == "failed"]
    detail = ""
    if failed:
        last = (failed[0].output.strip().splitlines() or [""])[-1]
        detail = f": {failed[0].name}" + (f" ({last[:160]})" if last else "")
    elif v.verdict == "partial":
        detail = ": GPU steps not run"
    return f"{v.verdict:<9} {v.set.name}  {v.seconds:.1f} s{detail}"


def exit_status(results: Iterable[Verification]) -> str:
    """ok | failed | network: what the command's exit code reports."""
    found = list(results)
    if any(v.network for v in found):
        return "network"
    return "failed" if any(v.verdict == "failed" for v in found) else "ok"
