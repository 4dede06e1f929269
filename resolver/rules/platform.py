"""OS and CPU rules: names, the wheel platform of a target, whose driver table applies, the host.

- A target OS is ``linux``, ``wsl2``, ``windows`` or ``macos``; CPUs are ``x86_64`` and ``aarch64``
  (``amd64``, ``x64`` and ``arm64`` are accepted spellings).
- WSL2 installs Linux wheels but runs on the Windows NVIDIA driver, so the Windows column of
  NVIDIA's driver tables applies there (os.yaml ``driver_side``).
- An edition names a catalogued release of an OS: a Linux distribution (``ubuntu-22.04``: linux with
  that glibc, os.yaml ``distributions``) or a Windows edition (``windows-server-2022``: windows,
  os.yaml ``windows_editions``). A host's edition comes from its ``/etc/os-release`` ID and VERSION_ID.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, NamedTuple

from ..errors import UsageError

if TYPE_CHECKING:
    from ..catalog import Catalog

OSES = ("linux", "wsl2", "windows", "macos")
ARCH_ALIASES = {"x86_64": "x86_64", "amd64": "x86_64", "x64": "x86_64", "aarch64": "aarch64", "arm64": "aarch64"}


def normalise_arch(text: str) -> str | None:
    """``amd64`` -> ``x86_64``, ``arm64`` -> ``aarch64``; None for a CPU envsolve does not know."""
    return ARCH_ALIASES.get(text.strip().lower())


def platform_of(os_name: str, arch: str) -> str:
    """The wheel platform a target installs: WSL2 is Linux; Windows is amd64 whatever was said."""
    if os_name in ("linux", "wsl2"):
        return f"linux-{arch}"
    if os_name == "windows":
        return "windows-amd64"
    return "macos-arm64" if arch == "aarch64" else "macos-x86_64"


def arch_label(os_name: str, arch: str) -> str:
    """The CPU as people on that OS say it: arm64 on macOS, aarch64 on Linux."""
    return "arm64" if (os_name == "macos" and arch == "aarch64") else arch


def driver_family(cat: Catalog, os_name: str) -> str | None:
    """Whose NVIDIA driver table applies on ``os_name``: "linux", "windows" (WSL2 too), or None
    where there is no NVIDIA driver (macOS)."""
    info = cat.oses.get(os_name)
    side = info.driver_side if info is not None else ("linux" if os_name == "linux" else "windows")
    return None if side == "none" else side


def arches(cat: Catalog, os_name: str) -> tuple[str, ...]:
    """The CPUs ``os_name`` runs on (os.yaml ``arches``), canonical names, in the catalog's order."""
    info = cat.oses.get(os_name)
    found = (normalise_arch(a) for a in info.arches) if info is not None else iter(())
    return tuple(dict.fromkeys(a for a in found if a))


def check_arch(cat: Catalog, os_name: str, text: str) -> str:
    """The canonical CPU name for ``text`` on ``os_name``; raises :class:`UsageError` for a CPU
    that OS does not run (os.yaml ``arches``)."""
    arch = normalise_arch(text)
    if arch is None:
        raise UsageError(f"unknown CPU architecture {text!r} (x86_64, aarch64, arm64)")
    offered = arches(cat, os_name)
    if offered and arch not in offered:
        raise UsageError(f"envsolve knows {os_name} on {', '.join(offered)} only, not {text.strip()}")
    return arch


def check_accelerator(cat: Catalog, os_name: str, accelerator: str) -> None:
    """Raise :class:`UsageError` when ``os_name`` offers no ``accelerator`` at all (os.yaml
    ``accelerators``: no ROCm outside Linux, no CUDA on macOS)."""
    info = cat.oses.get(os_name)
    offered = set(info.accelerators) if info is not None else {accelerator}
    if accelerator == "mps":
        offered |= {"mps"} if "metal" in offered else set()
    if accelerator not in offered:
        words = {"cuda": "NVIDIA CUDA", "rocm": "AMD ROCm", "mps": "Apple GPU", "cpu": "CPU"}
        where = sorted(name for name, o in cat.oses.items() if accelerator in o.accelerators)
        raise UsageError(f"{words.get(accelerator, accelerator)} builds exist on {', '.join(where) or 'no OS'} "
                         f"only, not on {os_name}")


def host_os(system: str, release: str) -> str:
    """The target OS of a host from ``platform.system()`` and ``platform.release()``: "linux",
    "wsl2" (a Microsoft kernel), "windows", "macos", or "other"."""
    name = system.lower()
    if name == "linux":
        return "wsl2" if "microsoft" in release.lower() else "linux"
    return {"darwin": "macos", "windows": "windows"}.get(name, "other")


def host_arch(machine: str) -> str:
    """The canonical CPU of a host from ``platform.machine()`` (unknown ones unchanged, lowered)."""
    return normalise_arch(machine) or machine.strip().lower()


class OsChoice(NamedTuple):
    os: str  # linux | wsl2 | windows | macos
    edition: str | None  # ubuntu-22.04, windows-server-2022
    glibc: str | None  # the edition's glibc (Linux editions)


def resolve_os(cat: Catalog, text: str) -> OsChoice:
    """What ``--os`` names: a plain OS, a Linux distribution or a Windows edition from the catalog.
    Raises :class:`UsageError` naming the closest catalogued name."""
    name = text.strip().lower()
    if name in OSES:
        return OsChoice(name, None, None)
    dist = cat.distributions.get(name)
    if dist is not None:
        return OsChoice("linux", dist.name, dist.glibc)
    if name in cat.windows_editions:
        return OsChoice("windows", name, None)
    import difflib

    names = [*OSES, *cat.distributions, *cat.windows_editions]
    close = difflib.get_close_matches(name, names, n=1, cutoff=0.6)
    hint = f"; did you mean {close[0]!r}?" if close else ""
    raise UsageError(f"unknown OS {text.strip()!r}{hint} (an OS: {', '.join(OSES)}; an edition: see `envsolve catalog editions`; "
                     f"any other Linux: --os linux --glibc X.Y)")


def edition_for(cat: Catalog, os_id: str, version_id: str) -> str | None:
    """The catalogued distribution an ``/etc/os-release`` (ID, VERSION_ID) names: an exact match, else
    the major version (RHEL 9.4 is rhel-9) where the catalog lists only major versions for that ID."""
    os_id, version_id = os_id.strip().lower(), version_id.strip()
    same = [d for d in cat.distributions.values() if d.os_release[0] == os_id]
    exact = [d.name for d in same if d.os_release[1] == version_id]
    if exact:
        return exact[0]
    if same and all("." not in d.os_release[1] for d in same):
        major = version_id.split(".")[0]
        return next((d.name for d in same if d.os_release[1] == major), None)
    return None
