"""What this machine has: OS, CPU, Python, glibc and distribution, NVIDIA driver and GPUs. Never
raises on odd input.

Driver, in this order: ``ENVSOLVE_DRIVER_VERSION``, ``/sys/module/nvidia/version``,
``/proc/driver/nvidia/version``, then ``nvidia-smi`` (with a timeout). GPUs come from
``nvidia-smi --query-gpu=name,driver_version,compute_cap --format=csv,noheader``. Anything
unreadable is reported as unknown with a note, never guessed. The distribution is the ID and
VERSION_ID of ``/etc/os-release`` (``/usr/lib/os-release`` where that is absent); glibc comes from
``os.confstr("CS_GNU_LIBC_VERSION")``, else ``platform.libc_ver()``.
"""

from __future__ import annotations

import os
import platform
import re
import subprocess
import sys
from typing import NamedTuple

from .rules import platform as platform_rules

DRIVER_ENV = "ENVSOLVE_DRIVER_VERSION"
_DRIVER = re.compile(r"[0-9]{2,4}\.[0-9]{1,3}(\.[0-9]{1,3})?")  # ASCII digits only
_PROC = re.compile(r"Kernel Module(?:\s+for\s+\S+)?\s+([0-9]{2,4}\.[0-9]{1,3}(?:\.[0-9]{1,3})?)\b")
_BAD_FIELD = {"", "n/a", "[n/a]", "[not supported]", "err!", "[unknown error]", "[insufficient permissions]"}


class GpuInfo(NamedTuple):
    name: str
    compute_capability: str | None
    driver: str | None


class Machine(NamedTuple):
    os: str  # linux | wsl2 | windows | macos | other
    arch: str
    python: str
    driver: str | None
    driver_source: str | None
    gpus: tuple[GpuInfo, ...]
    notes: tuple[str, ...]
    rocm: str | None = None  # the ROCm version (/opt/rocm/.info/version), on Linux
    apple_gpu: bool = False  # an Apple-silicon Mac (Metal/MPS)
    glibc: str | None = None  # Linux and WSL2: "2.35"; None on musl, other OSes, or when unreadable
    os_release: OsRelease | None = None  # Linux and WSL2: what /etc/os-release says


class OsRelease(NamedTuple):
    id: str  # ID: ubuntu, rhel, amzn
    version_id: str  # VERSION_ID: 22.04, 9.4, 2
    pretty_name: str  # PRETTY_NAME, for messages


_OS_RELEASE_LINE = re.compile(r'^([A-Z][A-Z0-9_]*)=(?:"((?:[^"\\]|\\.)*)"|\'([^\']*)\'|([^\s"\'`$]*))\s*$')
_GLIBC = re.compile(r"^(?:glibc\s+)?(2\.\d{1,2})(?:\.\d+)?$")
MAX_OS_RELEASE = 64 * 1024


def parse_os_release(text: str) -> OsRelease | None:
    """ID, VERSION_ID and PRETTY_NAME from an os-release file (freedesktop.org format: KEY=value,
    optionally quoted). None when ID or VERSION_ID is missing or unreadable; values are data only."""
    fields: dict[str, str] = {}
    for raw in text[:MAX_OS_RELEASE].splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        m = _OS_RELEASE_LINE.match(line)
        if m:
            value = m.group(2) if m.group(2) is not None else (m.group(3) if m.group(3) is not None else m.group(4))
            fields[m.group(1)] = re.sub(r"\\(.)", r"\1", value)[:200]
    os_id, version = fields.get("ID", "").lower(), fields.get("VERSION_ID", "")
    if not re.fullmatch(r"[a-z0-9._-]{1,40}", os_id) or not re.fullmatch(r"[0-9][0-9a-zA-Z._-]{0,30}", version):
        return None
    pretty = "".join(ch for ch in fields.get("PRETTY_NAME", f"{os_id} {version}") if ch.isprintable())
    return OsRelease(os_id, version, pretty)


def parse_glibc(text: str | None) -> str | None:
    """"glibc 2.35" (confstr) or "2.35" (libc_ver) -> "2.35"; None for anything else (musl, empty)."""
    m = _GLIBC.match((text or "").strip())
    return m.group(1) if m else None


def host_glibc() -> str | None:
    """This machine's glibc, or None (not glibc, or not readable)."""
    try:
        found = parse_glibc(os.confstr("CS_GNU_LIBC_VERSION"))
    except (AttributeError, ValueError, OSError):
        found = None
    if found is None:
        name, version = platform.libc_ver()
        found = parse_glibc(version) if name == "glibc" else None
    return found


def read_os_release() -> OsRelease | None:
    for path in ("/etc/os-release", "/usr/lib/os-release"):
        text = _read(path)
        if text is not None:
            return parse_os_release(text)
    return None


def parse_proc_version(text: str) -> str | None:
    """The driver version in /proc/driver/nvidia/version (old and open kernel module formats)."""
    m = _PROC.search(text)
    return m.group(1) if m else None


def parse_smi_csv(text: str) -> tuple[list[GpuInfo], list[str]]:
    """Rows of ``name, driver_version, compute_cap``; odd rows become notes, never exceptions."""
    gpus: list[GpuInfo] = []
    notes: list[str] = []
    lowered = text.lower()
    if "couldn't communicate with the nvidia driver" in lowered or "failed to initialize nvml" in lowered:
        first = text.strip().splitlines()[0] if text.strip() else ""
        return [], [f"nvidia-smi failed: {_printable(first.strip())}"]
    for raw in text.replace("\r\n", "\n").split("\n"):
        line = raw.strip()
        if not line:
            continue
        parts = [p.strip() for p in line.split(",")]
        if len(parts) != 3 or _printable(line) != line[:200]:
            notes.append(f"unreadable nvidia-smi line: {_printable(line)[:80]!r}")
            continue
        name, driver_text, cc_text = parts
        driver = driver_text if _DRIVER.fullmatch(driver_text) else None
        cc = cc_text if re.fullmatch(r"[0-9]{1,2}\.[0-9]", cc_text) else None
        if name.lower() in _BAD_FIELD:
            notes.append(f"nvidia-smi printed a GPU without a name: {_printable(line)[:80]!r}")
            continue
        if driver is None or cc is None:
            notes.append(f"{name}: nvidia-smi gave no usable {'driver version' if driver is None else 'compute capability'}")
        gpus.append(GpuInfo(name, cc, driver))
    return gpus, notes


def _read(path: str) -> str | None:
    """A small system file (/sys, /proc, ROCm's version file) as text, or None: regular files only,
    at most 64 KiB (a FIFO or a device named by ROCM_PATH must not hang or flood the probe)."""
    from pathlib import Path

    from .inputs import UnsafeInput, read_bytes

    try:
        return read_bytes(Path(path), 64 * 1024).decode("utf-8", errors="replace")
    except UnsafeInput:
        return None


def run_bounded(args: list[str], timeout: float, limit: int = 1 << 20) -> tuple[int | None, bytes, bytes, str | None]:
    """Run a helper program (never through a shell) for at most ``timeout`` seconds and ``limit``
    bytes of output: (exit code, stdout, stderr, problem). On a timeout or too much output the
    program is killed with its whole process group (a hung ``nvidia-smi`` may have children
    holding its pipes), and ``problem`` says which; a missing program raises ``OSError``."""
    import selectors
    import signal
    import time

    posix = os.name == "posix"
    proc = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            start_new_session=posix, shell=False)

    def kill() -> None:
        try:
            if posix:
                os.killpg(proc.pid, signal.SIGKILL)
            else:
                proc.kill()
        except OSError:
            pass

    if not posix:  # no select() on pipes: communicate with a timeout, unbounded but rare
        try:
            out, err = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            kill()
            proc.communicate()
            return None, b"", b"", "timeout"
        return proc.returncode, out[:limit], err[:limit], None
    assert proc.stdout is not None and proc.stderr is not None
    out_fd, err_fd = proc.stdout.fileno(), proc.stderr.fileno()
    chunks: dict[int, list[bytes]] = {out_fd: [], err_fd: []}
    total, problem = 0, None
    deadline = time.monotonic() + timeout
    with selectors.DefaultSelector() as sel:
        for stream in (proc.stdout, proc.stderr):
            sel.register(stream, selectors.EVENT_READ)
        while sel.get_map():
            left = deadline - time.monotonic()
            if left <= 0:
                problem = "timeout"
                break
            for key, _ in sel.select(left):
                data = os.read(key.fd, 65536)
                if not data:
                    sel.unregister(key.fileobj)
                    continue
                chunks[key.fd].append(data)
                total += len(data)
            if total > limit:
                problem = "output"
                break
    if problem is None and hasattr(os, "waitid"):
        if not _exited(proc.pid, deadline + 1):
            problem = "timeout"
        # The leader has exited but is not reaped (its pid, the group's id, cannot be reused yet),
        # or it hangs: nothing of the group may outlive the call.
        kill()
    elif problem is None:  # no waitid (macOS): reap with a timeout
        try:
            proc.wait(timeout=max(deadline - time.monotonic(), 0) + 1)
        except subprocess.TimeoutExpired:
            problem = "timeout"
    if problem:
        kill()
    code = proc.wait()
    proc.stdout.close()
    proc.stderr.close()
    return (None if problem else code), b"".join(chunks[out_fd]), b"".join(chunks[err_fd]), problem


def _exited(pid: int, deadline: float) -> bool:
    """Wait until child ``pid`` has exited, without reaping it; False at ``deadline``."""
    import time

    while True:
        try:
            if os.waitid(os.P_PID, pid, os.WEXITED | os.WNOWAIT | os.WNOHANG) is not None:
                return True
        except ChildProcessError:
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.005)


def run_smi(timeout: float = 5.0) -> tuple[str | None, str | None]:
    """(stdout, problem) of the nvidia-smi GPU query. Output that is not UTF-8 text, a timeout or a
    flood of output are problems (GPUs unknown), never exceptions."""
    try:
        code, out, err, problem = run_bounded(
            ["nvidia-smi", "--query-gpu=name,driver_version,compute_cap", "--format=csv,noheader"], timeout)
    except FileNotFoundError:
        return None, "nvidia-smi not found"
    except PermissionError:
        return None, "nvidia-smi is not executable"
    except OSError as exc:
        return None, f"nvidia-smi could not run: {exc.strerror}"
    if problem == "timeout":
        return None, f"nvidia-smi did not answer within {timeout:g} s (killed)"
    if problem == "output":
        return None, "nvidia-smi printed more than 1 MiB (killed); GPUs unknown"
    try:
        text, message = out.decode("utf-8"), (out + err).decode("utf-8", errors="replace")
    except UnicodeDecodeError:
        return None, "nvidia-smi printed bytes that are not UTF-8 text; GPUs unknown"
    if code != 0:
        lines = [_printable(line) for line in message.strip().splitlines()]
        return None, f"nvidia-smi exited {code}: {lines[0] if lines else 'no output'}"
    return text, None


def _printable(text: str) -> str:
    """``text`` with control characters (terminal escapes) replaced, for a note."""
    return re.sub(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]", "?", text)[:200]


class PythonEnvironment(NamedTuple):
    """The distributions installed in a Python environment, as that environment's interpreter sees
    them: (name, version, Requires-Dist) each, its X.Y, and the dist-info folders it could not read."""

    python: str
    prefix: str
    dists: tuple[tuple[str, str, tuple[str, ...]], ...]
    unreadable: tuple[str, ...]


_ASK = """
import json, sys
from importlib import metadata
out = {"python": "%d.%d" % sys.version_info[:2], "prefix": sys.prefix, "dists": [], "unreadable": []}
for d in metadata.distributions():
    try:
        name = d.metadata["Name"]
        if name:
            out["dists"].append([str(name), str(d.version or ""), [str(r) for r in (d.requires or [])]])
    except Exception:
        out["unreadable"].append(str(getattr(d, "_path", "?")))
sys.stdout.write(json.dumps(out))
"""


def python_environment(python: str, timeout: float = 60.0) -> PythonEnvironment:
    """Ask the interpreter ``python`` (a venv's, say) what is installed in its environment. Raises
    :class:`~resolver.errors.InputError` when it cannot be run or answers nonsense."""
    import json

    from .errors import InputError

    try:
        code, out, err, problem = run_bounded([python, "-c", _ASK], timeout, limit=64 << 20)
    except OSError as exc:
        raise InputError(f"cannot run the Python {python}: {exc.strerror or exc}") from None
    if problem:
        raise InputError(f"the Python {python} did not answer within {timeout:g} s" if problem == "timeout" else
                         f"the Python {python} printed more than 64 MiB")
    text = out.decode("utf-8", errors="replace")
    if code != 0:
        last = [_printable(line) for line in err.decode("utf-8", errors="replace").strip().splitlines()]
        raise InputError(f"the Python {python} exited {code}: {last[-1] if last else 'no output'}")
    try:
        data = json.loads(text)
        dists = tuple((d[0], d[1], tuple(d[2])) for d in data["dists"])
        ok = (isinstance(data["python"], str) and re.fullmatch(r"[0-9]+\.[0-9]+", data["python"])
              and all(isinstance(x, str) for d in dists for x in (d[0], d[1], *d[2])))
        unreadable = tuple(str(u) for u in data.get("unreadable", ()))
        prefix = str(data.get("prefix", ""))
    except (ValueError, KeyError, TypeError, IndexError, RecursionError):
        ok = False
    if not ok:
        raise InputError(f"the Python {python} did not answer as a Python interpreter does")
    return PythonEnvironment(data["python"], prefix, dists, unreadable)


def host_os() -> str:
    """This machine's OS as a target: linux, wsl2, windows, macos, or other."""
    return platform_rules.host_os(platform.system(), platform.release())


def host_arch() -> str:
    """This machine's CPU as a target (x86_64, aarch64; others as the platform module names them)."""
    return platform_rules.host_arch(platform.machine())


def host_python() -> str:
    return f"{sys.version_info.major}.{sys.version_info.minor}"


def inspect_machine(timeout: float = 5.0) -> Machine:
    notes: list[str] = []
    driver = source = None
    override = os.environ.get(DRIVER_ENV)
    if override is not None:
        if _DRIVER.fullmatch(override.strip()):
            driver, source = override.strip(), DRIVER_ENV
        else:
            notes.append(f"{DRIVER_ENV}={_printable(override)!r} is not a driver version; ignored")
    if driver is None:
        text = _read("/sys/module/nvidia/version")
        if text and _DRIVER.fullmatch(text.strip()):
            driver, source = text.strip(), "/sys/module/nvidia/version"
    if driver is None:
        text = _read("/proc/driver/nvidia/version")
        if text:
            found = parse_proc_version(text)
            if found:
                driver, source = found, "/proc/driver/nvidia/version"
    out, problem = run_smi(timeout)
    gpus: list[GpuInfo] = []
    if problem:
        notes.append(problem)
    elif out is not None:
        gpus, more = parse_smi_csv(out)
        notes.extend(more)
        drivers = sorted({g.driver for g in gpus if g.driver})
        if driver is None and drivers:
            driver, source = drivers[0], "nvidia-smi"
        if len(drivers) > 1:
            notes.append(f"GPUs report different drivers: {', '.join(drivers)}")
    arch = host_arch()
    os_name = host_os()
    rocm = glibc = release = None
    if os_name == "linux":
        text = _read(os.environ.get("ROCM_PATH", "/opt/rocm") + "/.info/version")
        m = re.match(r"^([0-9]+\.[0-9]+(\.[0-9]+)?)", text.strip()) if text else None
        rocm = m.group(1) if m else None
    if os_name in ("linux", "wsl2"):
        glibc = host_glibc()
        if glibc is None:
            notes.append("no glibc found (a musl distribution, or unreadable): glibc-tagged wheels may not install")
        release = read_os_release()
        if release is None:
            notes.append("/etc/os-release is missing or has no ID/VERSION_ID: the distribution is unknown")
    return Machine(os_name, arch, host_python(), driver, source,
                   tuple(gpus), tuple(notes), rocm, os_name == "macos" and arch == "aarch64", glibc, release)
