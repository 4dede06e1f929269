"""What this machine has: OS, CPU, Python, NVIDIA driver and GPUs. Never raises on odd input.

Driver, in this order: ``ENVSOLVE_DRIVER_VERSION``, ``/sys/module/nvidia/version``,
``/proc/driver/nvidia/version``, then ``nvidia-smi`` (with a timeout). GPUs come from
``nvidia-smi --query-gpu=name,driver_version,compute_cap --format=csv,noheader``. Anything
unreadable is reported as unknown with a note, never guessed.
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
    try:
        with open(path, encoding="utf-8", errors="replace") as fh:
            return fh.read()
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
    rocm = None
    if os_name == "linux":
        text = _read(os.environ.get("ROCM_PATH", "/opt/rocm") + "/.info/version")
        m = re.match(r"^(\d+\.\d+(\.\d+)?)", text.strip()) if text else None
        rocm = m.group(1) if m else None
    return Machine(os_name, arch, host_python(), driver, source,
                   tuple(gpus), tuple(notes), rocm, os_name == "macos" and arch == "aarch64")
