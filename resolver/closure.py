"""The transitive closure of a lock set, resolved by uv (``uv pip compile``), never by envsolve.

The stack-level lock set's pins are handed to uv as constraints; uv resolves numpy, protobuf and
the rest for the target platform and Python and writes a PEP 751 lock, which is read back with
:mod:`packaging.pylock`. The closure is then re-checked against the solver's rules (every pin kept,
one CUDA major) before anything is written.
"""

from __future__ import annotations

import os
import re
import subprocess
import tempfile
from pathlib import Path

from .catalog import Catalog, canonicalize_name
from .errors import NetworkError
from .lockset import PYPI_SIMPLE, Artifact, LockedPackage, LockError, LockSet

UV_PLATFORM = {
    "linux-x86_64": "x86_64-manylinux_{glibc}",
    "linux-aarch64": "aarch64-manylinux_{glibc}",
    "windows-amd64": "x86_64-pc-windows-msvc",
    "macos-arm64": "aarch64-apple-darwin",
    "macos-x86_64": "x86_64-apple-darwin",
}
_NETWORK = ("Failed to fetch", "Could not connect", "dns error", "error sending request", "timed out",
            "Connection refused", "network")


class IndexUnreachable(LockError, NetworkError):
    """uv could not reach the package index (exit code 3)."""


def _glibc(lock: LockSet) -> str:
    """The newest manylinux level the locked wheels need (2_28 at least: the uv default envsolve uses)."""
    best = (2, 28)
    for p in lock.packages:
        for w in p.wheels:
            for m in re.finditer(r"manylinux_(\d+)_(\d+)", w.filename):
                best = max(best, (int(m.group(1)), int(m.group(2))))
    return f"{best[0]}_{best[1]}"


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
            f'"{p.name}{"[" + ",".join(p.extras) + "]" if p.extras else ""}=={p.version}"' for p in top) + "]",
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
    with tempfile.TemporaryDirectory(prefix="envsolve-uv-") as tmp:
        work = Path(tmp)
        (work / "pyproject.toml").write_text("\n".join(lines) + "\n")
        (work / "constraints.txt").write_text("".join(f"{p.name}=={p.version}\n" for p in lock.packages))
        # --generate-hashes: every artifact gets a sha256, computed by uv from the file where an
        # index (a framework's own, often) serves none; the lock then installs with --require-hashes.
        args = ["pip", "compile", "pyproject.toml", "-c", "constraints.txt", "--python-version", target.python,
                "--python-platform", UV_PLATFORM[target.platform].format(glibc=_glibc(lock)), "--no-header",
                *index, "--no-config", "--generate-hashes", "--format", "pylock.toml", "-o", "pylock.toml", "--quiet"]
        run = run_uv(args, work, timeout)
        if run.returncode != 0:
            if any(word in run.stderr for word in _NETWORK):
                asked = [index[index.index("--index-url") + 1]] if "--index-url" in index else []
                raise IndexUnreachable(unreachable(run.stderr, asked + framework_indexes))
            message = " ".join(run.stderr.split())[-600:] or f"exit code {run.returncode}"
            raise LockError(f"uv could not lock the stack: {message}")
        text = (work / "pylock.toml").read_text(encoding="utf-8")
    return merge(cat, lock, text)


def merge(cat: Catalog, lock: LockSet, pylock_text: str) -> LockSet:
    """Combine uv's PEP 751 answer with the stack-level lock set, and re-check the rules."""
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
                       and wheel_fits(w.url.rsplit("/", 1)[-1], target))
        if not wheels:
            raise LockError(f"uv locked {name}=={version} without a wheel for {target.platform} and Python "
                            f"{target.python} (envsolve installs wheels only)")
        mine = ours.get(name)
        if mine is not None and mine.version != version and version.split("+")[0] != mine.version:
            raise LockError(f"uv moved {name} from the solved {mine.version} to {version}; refusing the lock")
        packages.append(mine._replace(wheels=wheels, version=version) if mine else
                        LockedPackage(name, version, "dependency", PYPI_SIMPLE, (), None, wheels))
    missing = sorted(set(ours) - {p.name for p in packages})
    if missing:
        raise LockError(f"uv's closure lacks the solved {', '.join(missing)}; refusing the lock")
    majors = cuda_majors(cat, ((p.name, p.version) for p in packages))
    if len(majors) > 1:
        raise LockError("uv's closure holds GPU libraries of two CUDA majors ("
                        + "; ".join(f"CUDA {m}: {', '.join(v)}" for m, v in sorted(majors.items())) + "); refusing the lock")
    packages.sort(key=lambda p: (p.index != PYPI_SIMPLE, p.name))
    return lock._replace(packages=tuple(packages), transitive=True)
