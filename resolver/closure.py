"""The transitive closure of a lock set, resolved by uv (``uv pip compile``), never by envsolve.

The stack-level lock set's pins are handed to uv as constraints; uv resolves numpy, protobuf and
the rest for the target platform and Python and writes a PEP 751 lock, which is read back with
:mod:`packaging.pylock`. The closure is then re-checked against the solver's rules (every pin kept,
one CUDA major) before anything is written.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import tempfile
from pathlib import Path

from .catalog import Catalog, canonicalize_name
from .errors import NetworkError, names_the_network
from .lockset import PYPI_SIMPLE, Artifact, LockedPackage, LockError, LockSet

UV_PLATFORM = {
    "linux-x86_64": "x86_64-manylinux_{glibc}",
    "linux-aarch64": "aarch64-manylinux_{glibc}",
    "windows-amd64": "x86_64-pc-windows-msvc",
    "macos-arm64": "aarch64-apple-darwin",
    "macos-x86_64": "x86_64-apple-darwin",
}


class IndexUnreachable(LockError, NetworkError):
    """uv could not reach the package index (exit code 3)."""


UV_MANYLINUX = ("2.17", "2.28", "2.31", "2.32", "2.33", "2.34", "2.35", "2.36", "2.37", "2.38", "2.39", "2.40")
"""The manylinux levels ``uv pip compile --python-platform`` accepts (uv 0.13: x86_64-manylinux_2_17 ...)."""


def uv_platform(lock: LockSet, legacy: dict[str, str]) -> tuple[str, tuple[str, ...]]:
    """The manylinux level uv resolves for ("2_28") and the solved pins set aside from uv's run.

    Without a target glibc: what the pins need, and 2_28 at least (uv's own default). With one: the
    nearest level uv has at or below it (uv has none between 2_17 and 2_28); pins that need more
    than that level, which the solver found fit the target, are left out of uv's run and added back
    from the catalog afterwards, so that uv picks nothing (numpy, h5py...) the target cannot install.
    """
    from .platforms import wheel_glibc
    from .rules.glibc import highest, key, uv_level

    target = lock.solution.target
    need = {p.name: highest(wheel_glibc(w.filename, legacy) for w in p.wheels) for p in lock.packages}
    level = uv_level(target.glibc, None if target.glibc else highest(need.values()), UV_MANYLINUX)
    aside = tuple(sorted(name for name, n in need.items() if target.glibc and n and key(n) > key(level)))
    return level.replace(".", "_"), aside


def _uv() -> str:
    try:
        from uv import find_uv_bin
    except ImportError:
        raise LockError("uv is not installed (it is a dependency of envsolve: reinstall envsolve)") from None
    return find_uv_bin()


def run_uv(args: list[str], cwd: Path, timeout: float) -> subprocess.CompletedProcess:
    """Run uv with no user configuration and none of the caller's UV_* settings (reproducible)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("UV_", "PIP_"))}
    try:
        return subprocess.run([_uv(), *args], cwd=cwd, capture_output=True, text=True, timeout=timeout, env=env,
                              errors="replace")
    except subprocess.TimeoutExpired:
        raise IndexUnreachable(f"uv did not finish within {timeout:g} s (an index that does not answer?); "
                               "pass --offline for a stack-level lock set from the catalog") from None


def unreachable(stderr: str, indexes: list[str]) -> str:
    """One line for an index uv could not reach: which index (the one named in uv's error, else
    every index asked), uv's last reason, and the way out."""
    urls = re.findall(r"https?://[^\s`'\"<>]+|file://[^\s`'\"<>]+", stderr)
    named = [i for i in indexes if any(u.startswith(i.rstrip("/")) for u in urls)]
    reasons = [re.sub(r"^(error|Caused by):\s*", "", line.strip()) for line in stderr.splitlines() if line.strip()]
    reason = re.sub(r"[^\x20-\x7e]", "?", reasons[-1])[:160] if reasons else "no answer"
    return (f"cannot reach {' or '.join(named or indexes)} (uv: {reason}); check the network or proxy, or pass "
            "--offline for a stack-level lock set from the catalog")


def close(cat: Catalog, lock: LockSet, timeout: float = 600.0, index: tuple[str, ...] = ("--index-url", PYPI_SIMPLE),
          remap: dict[str, tuple[str, str]] | None = None) -> LockSet:
    """The lock set with its full dependency closure. Raises :class:`LockError` (or
    :class:`IndexUnreachable`) and writes nothing when uv cannot lock it or its answer breaks a rule.

    Builds from a framework's own index are pinned to that index alone (an *explicit* uv index with
    ``tool.uv.sources``): uv fetches nothing else from it. ``index`` names the default index (PyPI)
    and ``remap`` maps a framework index URL to (url, format): both for tests with local folders.
    """
    target = lock.solution.target
    top = [p for p in lock.packages if p.role != "gpu-library"]
    framework_indexes = sorted({p.index for p in lock.packages if p.index != PYPI_SIMPLE})
    names = {url: f"index-{i}" for i, url in enumerate(framework_indexes)}
    lines = [
        "[project]",
        'name = "envsolve-lock"',
        'version = "0"',
        f'requires-python = "=={target.python}.*"',
        "dependencies = [" + ", ".join(
            [f'"{p.name}{"[" + ",".join(p.extras) + "]" if p.extras else ""}=={p.version}"' for p in top]
            # the project's own requirements (--with, -r, --project), markers and all: uv evaluates them
            + [json.dumps(r.text) for r in lock.solution.request.project]) + "]",
        "",
    ]
    for url in framework_indexes:
        where, fmt = (remap or {}).get(url, (url, "simple"))
        lines += ["[[tool.uv.index]]", f'name = "{names[url]}"', f'url = "{where}"', "explicit = true"]
        lines += [f'format = "{fmt}"'] if fmt != "simple" else []
        lines.append("")
    if framework_indexes:
        lines.append("[tool.uv.sources]")
        lines += [f'{p.name} = {{ index = "{names[p.index]}" }}' for p in lock.packages if p.index != PYPI_SIMPLE]
    level, aside = uv_platform(lock, cat.manylinux_legacy)
    _check_aside(cat, lock, aside)
    with tempfile.TemporaryDirectory(prefix="envsolve-uv-") as tmp:
        work = Path(tmp)
        (work / "pyproject.toml").write_text("\n".join(lines) + "\n")
        (work / "constraints.txt").write_text("".join(f"{p.name}=={p.version}\n" for p in lock.packages
                                                      if p.name not in aside))
        # A requirement overridden by a marker that never holds is dropped from the resolution.
        (work / "overrides.txt").write_text("".join(f"{name} ; sys_platform == 'never'\n" for name in aside))
        # --generate-hashes: every artifact gets a sha256, computed by uv from the file where an
        # index (a framework's own, often) serves none; the lock then installs with --require-hashes.
        args = ["pip", "compile", "pyproject.toml", "-c", "constraints.txt", "--override", "overrides.txt",
                "--python-version", target.python, "--python-platform", UV_PLATFORM[target.platform].format(glibc=level),
                "--only-binary", ":all:", "--no-header", *index, "--no-config", "--generate-hashes", "--format",
                "pylock.toml", "-o", "pylock.toml", "--quiet"]
        run = run_uv(args, work, timeout)
        if run.returncode != 0:
            if names_the_network(run.stderr):
                asked = [index[index.index("--index-url") + 1]] if "--index-url" in index else []
                raise IndexUnreachable(unreachable(run.stderr, asked + framework_indexes))
            message = " ".join(run.stderr.split())[-600:] or f"exit code {run.returncode}"
            if lock.solution.request.project:
                raise LockError(_project_conflict(lock, run.stderr))
            raise LockError(f"uv could not lock the stack: {message}")
        text = (work / "pylock.toml").read_text(encoding="utf-8")
    return merge(cat, lock, text, aside)


def _project_conflict(lock: LockSet, uv_error: str) -> str:
    """uv's failure with the project's requirements, in the user's terms: which of them uv's
    explanation names, against the solved stack."""
    request = lock.solution.request
    said = uv_error.lower()
    involved = [r.describe() for r in request.project if re.search(rf"(?<![a-z0-9_.-]){re.escape(r.name)}(?![a-z0-9_-])",
                                                                    said.replace("_", "-"))]
    stack = ", ".join(c.describe() for c in lock.solution.chosen)
    named = "; ".join(involved) if involved else "; ".join(r.describe() for r in request.project)
    return (f"the project's requirements cannot be installed with the solved stack ({stack}): no versions satisfy "
            f"them together (involved: {named}); relax them, or pin the stack to a release they accept")


def _check_aside(cat: Catalog, lock: LockSet, aside: tuple[str, ...]) -> None:
    """Pins set aside from uv's run must need nothing outside the lock set (uv does not see them)."""
    from .rules.builds import metadata_requires

    target = lock.solution.target
    names = {p.name for p in lock.packages}
    for p in lock.packages:
        if p.name in aside:
            outside = sorted({r.name for r in metadata_requires(cat, p.name, p.version, target.platform, target.python,
                                                                 p.extras)} - names)
            if outside:
                raise LockError(f"{p.name}=={p.version} needs glibc above what uv can be asked for and requires "
                                f"{', '.join(outside)}, which envsolve did not solve; refusing the lock")


def merge(cat: Catalog, lock: LockSet, pylock_text: str, aside: tuple[str, ...] = ()) -> LockSet:
    """Combine uv's PEP 751 answer with the stack-level lock set (the pins set ``aside`` from uv's
    run come back from it), and re-check the rules."""
    from .compat import tomllib

    from packaging.pylock import Pylock

    from .lockset import wheel_fits
    from .rules.libraries import cuda_majors

    try:
        answer = Pylock.from_dict(tomllib.loads(pylock_text))
        answer.validate()
    except Exception as exc:  # anything uv wrote that packaging cannot read is one error
        raise LockError(f"uv's lock cannot be read: {exc}") from None
    ours = {p.name: p for p in lock.packages}
    target = lock.solution.target
    packages = []
    for p in answer.packages:
        name = canonicalize_name(p.name)
        version = str(p.version)
        wheels = tuple(Artifact(w.url.rsplit("/", 1)[-1], w.url, w.hashes["sha256"])
                       for w in (p.wheels or ()) if w.url and "sha256" in w.hashes
                       and wheel_fits(w.url.rsplit("/", 1)[-1], target, cat.manylinux_legacy))
        if not wheels:
            if target.glibc and any(wheel_fits(w.url.rsplit("/", 1)[-1], target._replace(glibc=None), {})
                                    for w in (p.wheels or ()) if w.url):
                raise LockError(f"uv locked {name}=={version}, whose wheels all need a newer glibc than "
                                f"{target.glibc}; refusing the lock")
            raise LockError(f"uv locked {name}=={version} without a wheel for {target.platform} and Python "
                            f"{target.python} (envsolve installs wheels only)")
        mine = ours.get(name)
        if mine is not None and mine.version != version and version.split("+")[0] != mine.version:
            raise LockError(f"uv moved {name} from the solved {mine.version} to {version}; refusing the lock")
        packages.append(mine._replace(wheels=wheels, version=version) if mine else
                        LockedPackage(name, version, "dependency", PYPI_SIMPLE, (), None, wheels))
    for name in aside:
        if not ours[name].wheels:
            raise LockError(f"no hashed wheel of {name}=={ours[name].version} in the catalog for {target.platform} "
                            f"and glibc {target.glibc}; refusing the lock")
        packages.append(ours[name])
    missing = sorted(set(ours) - {p.name for p in packages})
    if missing:
        raise LockError(f"uv's closure lacks the solved {', '.join(missing)}; refusing the lock")
    majors = cuda_majors(cat, ((p.name, p.version) for p in packages))
    if len(majors) > 1:
        raise LockError("uv's closure holds GPU libraries of two CUDA majors ("
                        + "; ".join(f"CUDA {m}: {', '.join(v)}" for m, v in sorted(majors.items())) + "); refusing the lock")
    packages.sort(key=lambda p: (p.index != PYPI_SIMPLE, p.name))
    from .lockset import lock_glibc

    return lock._replace(packages=tuple(packages), transitive=True,
                         glibc=lock_glibc(cat.manylinux_legacy, tuple(packages), lock.solution))
