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
_DRIVER = re.compile(r"^\d{2,4}\.\d{1,3}(\.\d{1,3})?$")
_PROC = re.compile(r"Kernel Module(?:\s+for\s+\S+)?\s+(\d{2,4}\.\d{1,3}(?:\.\d{1,3})?)\b")
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
        return [], [f"nvidia-smi failed: {first.strip()}"]
    for raw in text.replace("\r\n", "\n").split("\n"):
        line = raw.strip()
        if not line:
            continue
        parts = [p.strip() for p in line.split(",")]
        if len(parts) != 3:
            notes.append(f"unreadable nvidia-smi line: {line[:80]!r}")
            continue
        name, driver_text, cc_text = parts
        driver = driver_text if _DRIVER.match(driver_text) else None
        cc = cc_text if re.fullmatch(r"\d{1,2}\.\d", cc_text) else None
        if name.lower() in _BAD_FIELD:
            notes.append(f"nvidia-smi printed a GPU without a name: {line[:80]!r}")
            continue
        if driver is None or cc is None:
            notes.append(f"{name}: nvidia-smi gave no usable {'driver version' if driver is None else 'compute capability'}")
        gpus.append(GpuInfo(name, cc, driver))
    return gpus, notes


def _read(path: str) -> str | None:
    """The first 64 KiB of a small system file (every file probe reads is small), or None."""
    try:
        with open(path, encoding="utf-8", errors="replace") as fh:
            return fh.read(MAX_OS_RELEASE)
    except OSError:
        return None


def run_smi(timeout: float = 5.0) -> tuple[str | None, str | None]:
    """(stdout, problem) of the nvidia-smi GPU query."""
    try:
        proc = subprocess.run(
            ["nvidia-smi", "--query-gpu=name,driver_version,compute_cap", "--format=csv,noheader"],
            capture_output=True, text=True, timeout=timeout, shell=False,
        )
    except FileNotFoundError:
        return None, "nvidia-smi not found"
    except PermissionError:
        return None, "nvidia-smi is not executable"
    except subprocess.TimeoutExpired:
        return None, f"nvidia-smi did not answer within {timeout:g} s"
    except OSError as exc:
        return None, f"nvidia-smi could not run: {exc.strerror}"
    if proc.returncode != 0:
        message = (proc.stdout + proc.stderr).strip().splitlines()
        return None, f"nvidia-smi exited {proc.returncode}: {message[0] if message else 'no output'}"
    return proc.stdout, None


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
        if _DRIVER.match(override.strip()):
            driver, source = override.strip(), DRIVER_ENV
        else:
            notes.append(f"{DRIVER_ENV}={override!r} is not a driver version; ignored")
    if driver is None:
        text = _read("/sys/module/nvidia/version")
        if text and _DRIVER.match(text.strip()):
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
        m = re.match(r"^(\d+\.\d+(\.\d+)?)", text.strip()) if text else None
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
