"""What the user asks for (:class:`Request`) and where it must run (:class:`Target`).

Parsing turns command-line words into these values against a catalog; every mistake becomes a
:class:`UsageError` whose message names the closest valid value.
"""

from __future__ import annotations

import re
from typing import NamedTuple

from packaging.specifiers import InvalidSpecifier, SpecifierSet

from .catalog import Catalog, Framework, Gpu

ARCH_ALIASES = {"x86_64": "x86_64", "amd64": "x86_64", "x64": "x86_64", "aarch64": "aarch64", "arm64": "aarch64"}
_DRIVER = re.compile(r"^\d{2,4}(\.\d{1,3}){1,2}$")
_PYTHON = re.compile(r"^3\.\d{1,2}$")
_CUDA_PIN = re.compile(r"^\d{1,2}(\.\d{1,2})?$")
_STACK_ITEM = re.compile(r"^\s*([A-Za-z][A-Za-z0-9._-]*)\s*(.*?)\s*$")


class UsageError(Exception):
    """Bad input from the user: an unknown name, a malformed version. Exit code 2."""


class StackItem(NamedTuple):
    framework: str  # canonical framework name
    spec: SpecifierSet
    text: str  # as the user wrote it

    def describe(self) -> str:
        return f"{self.framework}{self.spec}" if str(self.spec) else self.framework


class GpuTarget(NamedTuple):
    name: str  # as known to the catalog, or as typed when only a compute capability was given
    compute_capability: str  # "8.6"

    @property
    def sm(self) -> str:
        return "sm_" + self.compute_capability.replace(".", "")

    def describe(self) -> str:
        return f"{self.name} ({self.sm})"


class Target(NamedTuple):
    os: str  # linux | windows | wsl2 | macos
    arch: str  # x86_64 | aarch64
    python: str  # "3.12"
    gpus: tuple[GpuTarget, ...]
    driver: str | None

    @property
    def platform(self) -> str:
        if self.os in ("linux", "wsl2"):
            return f"linux-{self.arch}"
        if self.os == "windows":
            return "windows-amd64"
        return "macos-arm64" if self.arch == "aarch64" else "macos-x86_64"

    @property
    def arch_label(self) -> str:
        """The CPU as people on that OS say it: arm64 on macOS, aarch64 on Linux."""
        return "arm64" if (self.os == "macos" and self.arch == "aarch64") else self.arch

    @property
    def driver_family(self) -> str:
        """Whose driver table applies: WSL2 runs on the Windows driver."""
        return "linux" if self.os == "linux" else "windows"


class Request(NamedTuple):
    stack: tuple[StackItem, ...]
    accelerator: str  # cuda | rocm | mps | cpu
    rocm: str | None  # a ROCm version pin, e.g. "6.4"
    cuda: str | None  # a CUDA pin: "12" or "12.8"

    def describe(self) -> str:
        return " + ".join(item.describe() for item in self.stack)


def driver_key(version: str) -> tuple[int, ...]:
    """Total order over driver versions: '550.54.15' -> (550, 54, 15)."""
    return tuple(int(part) for part in version.split("."))


def parse_driver(text: str) -> str:
    text = text.strip()
    if not _DRIVER.match(text):
        raise UsageError(f"driver {text!r} is not a version like 550.54.15 or 572.60")
    return text


def parse_python(text: str) -> str:
    text = text.strip()
    if not _PYTHON.match(text):
        raise UsageError(f"Python {text!r} is not a version like 3.12")
    return text


def parse_cuda_pin(text: str) -> str:
    text = text.strip().lower().removeprefix("cu")
    if re.fullmatch(r"\d{3}", text):  # cu128 -> 12.8
        text = f"{text[:2]}.{text[2:]}"
    if not _CUDA_PIN.match(text):
        raise UsageError(f"CUDA {text!r} is not a version like 12 or 12.8")
    return text


def parse_item(text: str) -> tuple[str, SpecifierSet]:
    """``pytorch==2.5.*`` -> ("pytorch", SpecifierSet("==2.5.*"))."""
    m = _STACK_ITEM.match(text)
    if not m:
        raise UsageError(f"cannot read {text!r}: expected NAME or NAME<specifier>, e.g. torch==2.8.0")
    try:
        return m.group(1), SpecifierSet(m.group(2))
    except InvalidSpecifier:
        raise UsageError(f"{m.group(2)!r} is not a valid version specifier (try ==2.8.0, >=2.5 or ==2.5.*)") from None


def parse_stack(cat: Catalog, text: str) -> tuple[StackItem, ...]:
    """``tensorflow+pytorch``, ``pytorch==2.5.*``, ``jax>=0.6+torch`` -> stack items."""
    items: list[StackItem] = []
    seen: set[str] = set()
    for part in _split_stack(text):
        name, spec = parse_item(part)
        fw = lookup_framework(cat, name)
        if fw.name in seen:
            raise UsageError(f"{fw.name} appears twice in {text!r}")
        seen.add(fw.name)
        if str(spec) and not any(spec.contains(r.version, prereleases=True) for r in fw.releases):
            known = [r.version for r in fw.releases]
            raise UsageError(f"no {fw.name} release matches {str(spec)!r} (catalogued: {known[0]} to {known[-1]})")
        items.append(StackItem(fw.name, spec, part.strip()))
    if not items:
        raise UsageError("empty stack: name one or more frameworks, e.g. tensorflow+pytorch")
    return tuple(items)


def _split_stack(text: str) -> list[str]:
    """Split on '+' that separates frameworks, not the '+' of a local version label (2.5.1+cu121)."""
    parts, current = [], ""
    for piece in text.split("+"):
        if current and not re.match(r"^\s*[A-Za-z]", piece):
            current += "+" + piece  # a local label: belongs to the previous version
        elif current or piece:
            if current:
                parts.append(current)
            current = piece
    if current:
        parts.append(current)
    return parts


def lookup_framework(cat: Catalog, name: str) -> Framework:
    fw = cat.framework(name)
    if fw is not None:
        return fw
    import difflib

    names = sorted({n for f in cat.frameworks.values() for n in (f.name, f.distribution, *f.aliases)})
    close = difflib.get_close_matches(name.lower(), names, n=1, cutoff=0.5)
    hint = f"; did you mean {close[0]!r}?" if close else f" (known: {', '.join(names)})"
    raise UsageError(f"unknown framework {name!r}{hint}")


def lookup_gpu(cat: Catalog, text: str) -> GpuTarget:
    """A GPU by catalog name, alias, nvidia-smi name, ``sm_XY`` or ``X.Y``."""
    raw = text.strip()
    folded = raw.casefold()
    for gpu in cat.gpus:
        if folded == gpu.name.casefold() or folded in (a.casefold() for a in gpu.aliases):
            return GpuTarget(gpu.name, gpu.compute_capability)
    m = re.fullmatch(r"(?:sm_?|compute_)?(\d{1,2})\.?(\d)", folded)
    if m and (folded.startswith(("sm", "compute")) or "." in folded):
        cc = f"{int(m.group(1))}.{m.group(2)}"
        known = _by_cc(cat, cc)
        if known is None:
            raise UsageError(f"no catalogued GPU has compute capability {cc} (sm_{cc.replace('.', '')})")
        return GpuTarget(f"compute capability {cc}", cc)
    # nvidia-smi prefixes ("NVIDIA ", "Tesla ") and suffixes vary; try without them.
    stripped = re.sub(r"^(nvidia|tesla|geforce|quadro)\s+", "", folded)
    for gpu in cat.gpus:
        for name in (gpu.name, *gpu.aliases):
            if re.sub(r"^(nvidia|tesla|geforce|quadro)\s+", "", name.casefold()) == stripped:
                return GpuTarget(gpu.name, gpu.compute_capability)
    import difflib

    names = [g.name for g in cat.gpus] + [a for g in cat.gpus for a in g.aliases]
    close = difflib.get_close_matches(raw, names, n=1, cutoff=0.5)
    hint = f"; did you mean {close[0]!r}?" if close else "; give its compute capability instead, e.g. sm_86 or 8.6"
    raise UsageError(f"unknown GPU {raw!r}{hint}")


def _by_cc(cat: Catalog, cc: str) -> Gpu | None:
    return next((g for g in cat.gpus if g.compute_capability == cc), None)


def normalise_arch(text: str, os_name: str) -> str:
    arch = ARCH_ALIASES.get(text.strip().lower())
    if arch is None:
        raise UsageError(f"unknown CPU architecture {text!r} (x86_64, aarch64, arm64)")
    if os_name == "windows" and arch != "x86_64":
        raise UsageError("envsolve knows Windows on x86_64 (amd64) only")
    return arch
