"""Parsing what the user asks for into :class:`~resolver.rules.target.Request` and
:class:`~resolver.rules.target.Target` values, against a catalog.

Every mistake becomes a :class:`~resolver.errors.UsageError` whose message names the closest valid
value. :func:`build_request` turns the solve command's options (and, with ``--detect`` or for
defaults, what :mod:`resolver.probe` saw of the host) into a request and a target; it does no I/O.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import TYPE_CHECKING, NamedTuple

from packaging.specifiers import InvalidSpecifier, SpecifierSet

from .catalog import Catalog, Framework, Gpu, canonicalize_name
from .errors import UsageError
from .rules.platform import OsChoice, arches, check_accelerator, check_arch, normalise_arch, resolve_os
from .rules.target import GpuTarget, Request, StackItem, Target

# Versions are ASCII digits only: \d would accept "５５０" (and int() would read it).
_DRIVER = re.compile(r"[0-9]{2,4}(\.[0-9]{1,3}){1,2}")
_PYTHON = re.compile(r"3\.[0-9]{1,2}")
_CUDA_PIN = re.compile(r"[0-9]{1,2}(\.[0-9]{1,2})?")
_ROCM = re.compile(r"[0-9]{1,2}\.[0-9]{1,2}(\.[0-9]{1,3})?")
_GLIBC = re.compile(r"2\.[0-9]{1,2}")
_STACK_ITEM = re.compile(r"^\s*([A-Za-z][A-Za-z0-9._-]*)\s*(.*?)\s*$")

if TYPE_CHECKING:  # reading a project's files (and PEP 508 parsing) stays off the plain solve's path
    from .project import Project

__all__ = ["GpuTarget", "Request", "StackItem", "Target", "UsageError"]


def parse_driver(text: str) -> str:
    text = text.strip()
    if not _DRIVER.fullmatch(text):
        raise UsageError(f"driver {text!r} is not a version like 550.54.15 or 572.60")
    return text


def parse_python(text: str) -> str:
    text = text.strip()
    if not _PYTHON.fullmatch(text):
        raise UsageError(f"Python {text!r} is not a version like 3.12")
    return text


def parse_glibc(text: str) -> str:
    text = text.strip()
    if not _GLIBC.fullmatch(text):
        raise UsageError(f"glibc {text!r} is not a version like 2.28 (`ldd --version` prints it)")
    return text


def os_and_glibc(cat: Catalog, os_name: str, glibc: str | None, what: str = "targets") -> tuple[OsChoice, str | None]:
    """What ``--os`` and ``--glibc`` name together (of solve targets, or of a fleet): the OS or
    edition, and the glibc given, else the edition's. Raises :class:`UsageError` for a glibc on a
    system without one, or one that contradicts the edition's."""
    choice = resolve_os(cat, os_name)
    given = parse_glibc(glibc) if glibc is not None else None
    if given is not None and choice.os not in ("linux", "wsl2"):
        raise UsageError(f"--glibc applies to Linux and WSL2 {what}, not {choice.edition or choice.os}")
    if given is not None and choice.glibc is not None and given != choice.glibc:
        raise UsageError(f"{choice.edition} has glibc {choice.glibc}, not {given}: drop --glibc, or give --os linux "
                         f"--glibc {given}")
    return choice, given or choice.glibc


def parse_cuda_pin(text: str) -> str:
    text = text.strip().lower().removeprefix("cu")
    if re.fullmatch(r"[0-9]{3}", text):  # cu128 -> 12.8
        text = f"{text[:2]}.{text[2:]}"
    if not _CUDA_PIN.fullmatch(text):
        raise UsageError(f"CUDA {text!r} is not a version like 12 or 12.8")
    return text


def parse_rocm(text: str) -> str:
    """``--rocm`` with a value: a ROCm version like 6.4 (or "any", which --rocm alone means)."""
    text = text.strip()
    if text != "any" and not _ROCM.fullmatch(text):
        raise UsageError(f"ROCm {text!r} is not a version like 6.4")
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
    from .inputs import CONTROL

    if CONTROL.search(text):
        raise UsageError(f"stack {text!r}: control characters and line breaks are not allowed")
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
    m = re.fullmatch(r"(?:sm_?|compute_)?([0-9]{1,2})\.?([0-9])", folded)
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


def reported_gpu(cat: Catalog, name: str, compute_capability: str | None) -> GpuTarget:
    """A GPU nvidia-smi named: by its name when the catalog knows it, else by its compute capability."""
    try:
        return lookup_gpu(cat, name)
    except UsageError:
        if compute_capability:
            return GpuTarget(name, compute_capability)
        raise UsageError(f"nvidia-smi reports {name!r} without a compute capability, and the catalog does not "
                         f"know it; give --gpu-model with its compute capability") from None


def _by_cc(cat: Catalog, cc: str) -> Gpu | None:
    return next((g for g in cat.gpus if g.compute_capability == cc), None)


def _joining(cat: Catalog, items: tuple[StackItem, ...], project: Project) -> tuple[StackItem, ...]:
    """Catalogued frameworks the project requires that the stack does not name: they join it (their
    version range is checked build by build, with the requirement's origin)."""
    named = {item.framework for item in items}
    out: list[StackItem] = []
    for req in project.requirements:
        fw = next((f for f in cat.frameworks.values() if canonicalize_name(f.distribution) == req.name), None)
        if fw is not None and fw.name not in named:
            named.add(fw.name)
            out.append(StackItem(fw.name, SpecifierSet(), req.text, req.origin))
    return tuple(out)


class Host(NamedTuple):
    """What this machine is, as :mod:`resolver.probe` saw it: defaults for a request."""

    os: str  # linux | wsl2 | windows | macos | other
    arch: str
    python: str
    driver: str | None = None
    gpus: tuple[GpuTarget, ...] = ()
    glibc: str | None = None  # Linux and WSL2: the C library's version
    edition: str | None = None  # the catalogued distribution its /etc/os-release names


def build_request(cat: Catalog, stack: str, *, accelerator: str | None = None, rocm: str | None = None,
                  os_name: str | None = None, arch: str | None = None, python: str | None = None,
                  gpu_models: Sequence[str] = (), driver: str | None = None, cuda: str | None = None,
                  glibc: str | None = None, host: Host, detect: bool = False,
                  project: Project | None = None, project_args: tuple[str, ...] = ()) -> tuple[Request, Target]:
    """The request and target the solve command's options mean.

    ``accelerator`` is "gpu", "cpu" or None; ``rocm`` None, "any" or a ROCm version. ``os_name``
    is an OS or a catalogued edition (``amazonlinux-2``: linux with its glibc); ``glibc`` limits a
    Linux target to wheels for that glibc. OS, CPU and Python default to the ``host``; with
    ``detect`` its driver, GPUs, glibc and edition fill what was not given. Without
    --gpu/--cpu/--rocm: CUDA when a GPU, driver or CUDA pin is given (MPS never), else CPU.
    ``project`` (the user's own requirements) joins the request; a catalogued framework it
    requires joins the stack. Raises :class:`UsageError`.
    """
    items = parse_stack(cat, stack)
    if project is not None:
        items = items + _joining(cat, items, project)
    gpus = tuple(lookup_gpu(cat, name) for name in gpu_models)
    if detect:
        driver = driver or host.driver
        gpus = gpus or host.gpus
    if os_name is None and host.os not in ("linux", "wsl2", "windows", "macos"):
        raise UsageError(f"this OS ({host.os}) is not one envsolve knows; give --os (linux, wsl2, windows, macos "
                         f"or an edition)")
    choice, glibc = os_and_glibc(cat, os_name or host.os, glibc)
    os_name, edition = choice.os, choice.edition
    if detect and glibc is None and os_name == host.os and os_name in ("linux", "wsl2"):
        glibc = host.glibc
        found = cat.distributions.get(host.edition or "") if os_name == "linux" else None
        # The edition names the target only where its catalogued glibc is the one measured here.
        edition = edition or (found.name if found is not None and found.glibc == glibc else None)
    if arch is None:  # the host's CPU where the target OS runs on it (--os windows from an arm64 Mac: x86_64)
        offered = arches(cat, os_name)
        arch = host.arch if not offered or normalise_arch(host.arch) in offered else offered[0]
    arch = check_arch(cat, os_name, arch)
    dist = cat.distributions.get(edition or "")
    if dist is not None and dist.arches and arch not in dist.arches:
        raise UsageError(f"the catalog knows {edition} on {', '.join(dist.arches)} only, not {arch}")
    python = parse_python(python) if python is not None else parse_python(host.python)
    driver = parse_driver(driver) if driver is not None else None
    cuda = parse_cuda_pin(cuda) if cuda is not None else None
    if rocm is not None:
        rocm = parse_rocm(rocm)
        if accelerator is not None:
            raise UsageError("--rocm cannot be combined with --gpu or --cpu")
        accel = "rocm"
    elif accelerator == "gpu":
        accel = "mps" if os_name == "macos" else "cuda"
    elif accelerator == "cpu":
        accel = "cpu"
    else:
        accel = "cuda" if (gpus or driver or cuda) and os_name != "macos" else "cpu"
    if os_name == "macos" and (cuda or driver or gpus):
        raise UsageError("macOS has no NVIDIA CUDA: drop --cuda/--driver/--gpu-model (--gpu means MPS/Metal there)")
    if accel != "cuda" and cuda:
        raise UsageError("--cuda needs a CUDA request (--gpu)")
    check_accelerator(cat, os_name, accel)
    request = Request(items, accel, None if rocm in (None, "any") else rocm, cuda, False,
                      project.requirements if project else (), project_args, project.files if project else ())
    return request, Target(os_name, arch, python, gpus, driver, glibc, edition)
