"""What the user asks for (:class:`Request`) and where it must run (:class:`Target`): plain values.

Parsing command-line words into these lives in :mod:`resolver.request`.
"""

from __future__ import annotations

from typing import NamedTuple

from packaging.specifiers import SpecifierSet

from .platform import arch_label, platform_of
from .requirements import ProjectRequirement


class StackItem(NamedTuple):
    framework: str  # canonical framework name
    spec: SpecifierSet
    text: str  # as the user wrote it
    origin: str | None = None  # where a framework the project requires joined the stack ("requirements.in:3")

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
    glibc: str | None = None  # the host's glibc (Linux and WSL2): from an edition or --glibc; None limits nothing
    edition: str | None = None  # the catalogued edition (ubuntu-22.04, windows-server-2022) when one was named

    @property
    def os_label(self) -> str:
        """How messages name the target's OS: "amazonlinux-2 (glibc 2.26)", "linux (glibc 2.17)", "windows"."""
        name = self.edition or self.os
        return f"{name} (glibc {self.glibc})" if self.glibc else name

    @property
    def platform(self) -> str:
        return platform_of(self.os, self.arch)

    @property
    def arch_label(self) -> str:
        return arch_label(self.os, self.arch)


class Request(NamedTuple):
    stack: tuple[StackItem, ...]
    accelerator: str  # cuda | rocm | mps | cpu
    rocm: str | None  # a ROCm version pin, e.g. "6.4"
    cuda: str | None  # a CUDA pin: "12" or "12.8"
    strict: bool = False  # refuse builds whose requirements, kernels or driver floor are not verified
    project: tuple[ProjectRequirement, ...] = ()  # the user's own requirements (--with, -r, --project)
    project_args: tuple[str, ...] = ()  # the command-line words that named them, for regenerate commands
    project_files: tuple[tuple[str, str], ...] = ()  # (path, sha256) of the files they were read from

    def describe(self) -> str:
        return " + ".join(item.describe() for item in self.stack)
