"""Index builds' exact requirements from PyTorch's own release files, where the index is unreachable.

PyTorch's binary builds declare the same nvidia-*/cuda-toolkit pins on download.pytorch.org as on
PyPI. Where that index cannot be read, the pins are taken from the release's own build files,
never typed by hand:

- the generated workflows (``.github/workflows/generated-linux-binary-manywheel-*.yml``,
  ``generated-linux-aarch64-binary-manywheel-*.yml``, ``generated-windows-binary-wheel-*.yml``):
  YAML, one job per wheel with ``DESIRED_CUDA`` and ``PYTORCH_EXTRA_INSTALL_REQUIREMENTS`` in its
  environment: exact per build and platform;
- ``.github/scripts/generate_binary_build_matrix.py``: read as a syntax tree (never executed) for its
  literal ``CUDA_ARCHES``, ``CUDA_AARCH64_ARCHES`` and ``PYTORCH_EXTRA_INSTALL_REQUIREMENTS``;
  the Linux x86_64 wheel of each CUDA version carries that version's requirements and each Linux
  aarch64 CUDA wheel those of its base version (the script's rule from 2.3 to 2.10; check the
  workflows of releases outside that range).

The result is an ``index/`` file per CUDA index whose builds cite the file and commit they come
from; ``catalog sync --index`` replaces it with the index's own metadata when the index can be
reached (and prints the difference).
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterable, Mapping
from typing import Any, NamedTuple

import yaml

from .errors import InputError

INDEX_BASE = "https://download.pytorch.org/whl"
MAX_FILE = 4 * 1024 * 1024
_CUDA = re.compile(r"^\d{1,2}\.\d{1,2}$")
_LABEL = re.compile(r"^cu\d{2,3}$")
_WORKFLOW_PLATFORMS = (("linux-aarch64-binary-manywheel", "linux-aarch64"), ("linux-binary-manywheel", "linux-x86_64"),
                       ("windows-binary-wheel", "windows-amd64"))


class ReleaseFileError(InputError):
    """A release file cannot be read for requirements; nothing is written."""


class Build(NamedTuple):
    label: str  # cu126
    platform: str
    requires: tuple[str, ...]  # Requires-Dist lines
    origin: str  # the cited file


def _split(text: str) -> tuple[str, ...]:
    """``"a==1; marker | b==2"`` -> the requirement lines (PyTorch joins them with '|')."""
    return tuple(part.strip() for part in text.split("|") if part.strip())


def from_matrix_script(text: str, origin: str) -> list[Build]:
    """The builds the matrix script's literals describe (see the module docstring for the rule)."""
    if len(text) > MAX_FILE:
        raise ReleaseFileError(f"{origin}: larger than {MAX_FILE // (1024 * 1024)} MiB")
    try:
        tree = ast.parse(text)
    except SyntaxError as exc:
        raise ReleaseFileError(f"{origin}:{exc.lineno}: not Python source ({exc.msg})") from None
    found: dict[str, Any] = {}
    for node in tree.body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            name = node.targets[0].id
            if name in ("CUDA_ARCHES", "CUDA_AARCH64_ARCHES", "PYTORCH_EXTRA_INSTALL_REQUIREMENTS"):
                try:
                    found[name] = ast.literal_eval(node.value)
                except ValueError:
                    raise ReleaseFileError(f"{origin}:{node.lineno}: {name} is not a literal") from None
    requirements = found.get("PYTORCH_EXTRA_INSTALL_REQUIREMENTS")
    arches = found.get("CUDA_ARCHES")
    if not isinstance(requirements, dict) or not isinstance(arches, list):
        raise ReleaseFileError(f"{origin}: no literal CUDA_ARCHES list and PYTORCH_EXTRA_INSTALL_REQUIREMENTS dict")
    builds: list[Build] = []
    for platform, versions in (("linux-x86_64", arches), ("linux-aarch64", found.get("CUDA_AARCH64_ARCHES") or [])):
        for entry in versions:
            if not isinstance(entry, str):
                raise ReleaseFileError(f"{origin}: CUDA version {entry!r} is not a string")
            cuda = entry.removesuffix("-aarch64")
            if not _CUDA.match(cuda):
                raise ReleaseFileError(f"{origin}: {entry!r} is not a CUDA version like 12.6")
            text_value = requirements.get(cuda)
            if text_value is None:
                continue  # a CUDA version whose wheels bundle CUDA (no pip requirements)
            if not isinstance(text_value, str):
                raise ReleaseFileError(f"{origin}: PYTORCH_EXTRA_INSTALL_REQUIREMENTS[{cuda!r}] is not a string")
            builds.append(Build("cu" + cuda.replace(".", ""), platform, _split(text_value), origin))
    return builds


def from_workflow(text: str, origin: str, filename: str) -> list[Build]:
    """The builds of one generated workflow file: each job's DESIRED_CUDA and requirements."""
    if len(text) > MAX_FILE:
        raise ReleaseFileError(f"{origin}: larger than {MAX_FILE // (1024 * 1024)} MiB")
    platform = next((p for key, p in _WORKFLOW_PLATFORMS if key in filename), None)
    if platform is None:
        raise ReleaseFileError(f"{origin}: not a generated wheel workflow (its name says no platform)")
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ReleaseFileError(f"{origin}: not YAML ({exc})") from None
    jobs = data.get("jobs") if isinstance(data, dict) else None
    if not isinstance(jobs, dict):
        raise ReleaseFileError(f"{origin}: no jobs")
    builds: dict[str, Build] = {}
    for name, job in jobs.items():
        env = job.get("env") if isinstance(job, dict) else None
        if not isinstance(env, dict):
            with_ = job.get("with") if isinstance(job, dict) else None
            env = with_ if isinstance(with_, dict) else {}
        env = {str(k).upper(): v for k, v in env.items()}
        label = env.get("DESIRED_CUDA")
        if not isinstance(label, str) or not _LABEL.match(label):
            continue
        requires = _split(str(env.get("PYTORCH_EXTRA_INSTALL_REQUIREMENTS") or ""))
        other = builds.get(label)
        if other is not None and other.requires != requires:
            raise ReleaseFileError(f"{origin}: jobs of {label} disagree on PYTORCH_EXTRA_INSTALL_REQUIREMENTS ({name})")
        builds[label] = Build(label, platform, requires, origin)
    return list(builds.values())


def index_files(release: str, builds: Iterable[Build], project: str, python: Mapping[str, str | None],
                command: str, current: Mapping[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """The ``index/`` file data (by index URL) holding ``release``'s builds, merged into ``current``
    (data of the existing files by index URL): other releases stay; this release's platforms are
    replaced. ``python`` gives Requires-Python per release where PyPI states it."""
    by_index: dict[str, list[Build]] = {}
    for build in builds:
        by_index.setdefault(f"{INDEX_BASE}/{build.label}", []).append(build)
    out: dict[str, dict[str, Any]] = {}
    for index, found in sorted(by_index.items()):
        data = dict(current.get(index) or {"schema": "envsolve.catalog/1", "kind": "index", "index": index,
                                           "project": project, "source": [], "releases": []})
        version = f"{release}+{found[0].label}"
        releases = [r for r in data.get("releases", []) if r.get("version") != version]
        groups: dict[tuple[str, ...], list[str]] = {}
        origins: dict[tuple[str, ...], str] = {}
        for build in found:
            groups.setdefault(build.requires, []).append(build.platform)
            origins[build.requires] = build.origin
        entry: dict[str, Any] = {"version": version}
        if python.get(release):
            entry["requires_python"] = python[release]
        entry["wheels"] = []
        entry["metadata"] = [{"platforms": sorted(platforms), "from": origins[requires], "requires_dist": list(requires)}
                             for requires, platforms in sorted(groups.items(), key=lambda kv: sorted(kv[1]))]
        releases.append(entry)
        sources = sorted({*data.get("source", []), *(b.origin for b in found)})
        data.update(source=sources, generated_by=command,
                    releases=sorted(releases, key=lambda r: [int(x) if x.isdigit() else 0 for x in re.split(r"[.+]", r["version"])[:3]]))
        out[index] = data
    return out
