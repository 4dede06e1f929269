"""envsolve doctor on fake machines (driver override, a fake nvidia-smi) and fake environments
(dist-info folders built in a temp dir), against the small test catalog."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from resolver import probe

MINI = Path(__file__).parent / "fixtures" / "mini"
L = 'platform_system == "Linux" and platform_machine == "x86_64"'
HEALTHY = {
    "torch": ("2.8.0", ["filelock", f"nvidia-cuda-runtime-cu12==12.8.90; {L}", f"nvidia-cudnn-cu12==9.10.2.21; {L}",
                        f"nvidia-nccl-cu12==2.27.3; {L}"]),
    "nvidia-cuda-runtime-cu12": ("12.8.90", []),
    "nvidia-cudnn-cu12": ("9.10.2.21", []),
    "nvidia-nccl-cu12": ("2.27.3", []),
}


def _site(tmp_path: Path, dists: dict) -> Path:
    site = tmp_path / "site"
    for name, (version, requires) in dists.items():
        info = site / f"{name.replace('-', '_')}-{version}.dist-info"
        info.mkdir(parents=True)
        lines = ["Metadata-Version: 2.1", f"Name: {name}", f"Version: {version}"] + [f"Requires-Dist: {r}" for r in requires]
        (info / "METADATA").write_text("\n".join(lines) + "\n")
    return site


@pytest.fixture
def machine(tmp_path, monkeypatch):
    """Set the driver and the GPUs nvidia-smi reports (None: no nvidia-smi at all)."""
    monkeypatch.setattr(probe, "_read", lambda path: None)
    monkeypatch.setattr(probe, "host_os", lambda: "linux")
    monkeypatch.setattr(probe.platform, "machine", lambda: "x86_64")

    def set_up(driver: str | None, gpus: list[str] | None):
        bin_dir = tmp_path / "bin"
        bin_dir.mkdir(exist_ok=True)
        if driver:
            monkeypatch.setenv(probe.DRIVER_ENV, driver)
        else:
            monkeypatch.delenv(probe.DRIVER_ENV, raising=False)
        if gpus is not None:
            rows = "\\n".join(f"{g}, {driver}, " + {"A100": "8.0", "K80": "3.7"}[g] for g in gpus)
            (bin_dir / "nvidia-smi").write_text(f"#!/bin/sh\nprintf '{rows}\\n'\n")
            (bin_dir / "nvidia-smi").chmod(0o755)
        monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}/usr/bin:/bin")

    return set_up


def _doctor(envsolve, site):
    result = envsolve("--catalog-dir", MINI, "doctor", "--json", "--path", site)
    return result, json.loads(result.out)


def _kinds(report):
    return sorted((f["severity"], f["kind"]) for f in report["findings"] if f["severity"] != "info")


def test_a_healthy_machine(tmp_path, envsolve, machine):
    machine("575.57.08", ["A100"])
    result, report = _doctor(envsolve, _site(tmp_path, HEALTHY))
    assert result.code == 0, report["findings"]
    assert report["frameworks"] == [{"name": "torch", "version": "2.8.0", "build": "cu128"}]
    assert report["machine"]["driver"] == "575.57.08" and report["machine"]["gpus"][0]["compute_capability"] == "8.0"


def test_driver_below_the_floor(tmp_path, envsolve, machine):
    machine("470.57.02", ["A100"])
    result, report = _doctor(envsolve, _site(tmp_path, HEALTHY))
    assert result.code == 1
    assert _kinds(report) == [("error", "driver")]
    finding = next(f for f in report["findings"] if f["kind"] == "driver")
    assert finding["message"] == ("torch 2.8.0 (cu128) needs NVIDIA driver >= 525.60.13 (CUDA 12.8); "
                                  "this machine has 470.57.02")
    assert "envsolve pytorch --gpu --detect" in finding["fix"]


def test_minor_version_compatibility_is_a_warning(tmp_path, envsolve, machine):
    machine("535.104.05", ["A100"])
    result, report = _doctor(envsolve, _site(tmp_path, HEALTHY))
    assert result.code == 1 and _kinds(report) == [("warning", "driver")]


def test_two_cuda_majors_side_by_side(tmp_path, envsolve, machine):
    machine("575.57.08", ["A100"])
    dists = dict(HEALTHY, **{"nvidia-cudnn-cu11": ("9.1.0.70", []), "nvidia-nccl-cu11": ("2.20.5", [])})
    result, report = _doctor(envsolve, _site(tmp_path, dists))
    assert result.code == 1 and _kinds(report) == [("error", "cuda-major")]
    message = next(f["message"] for f in report["findings"] if f["kind"] == "cuda-major")
    assert message.startswith("GPU libraries of 2 CUDA majors are installed side by side (cuDNN/NCCL of two majors "
                              "install the same files: cudnn, nccl)")


def test_a_library_at_the_wrong_version_or_missing(tmp_path, envsolve, machine):
    machine("575.57.08", ["A100"])
    dists = dict(HEALTHY, **{"nvidia-nccl-cu12": ("2.21.5", [])})
    del dists["nvidia-cudnn-cu12"]
    result, report = _doctor(envsolve, _site(tmp_path, dists))
    messages = sorted(f["message"] for f in report["findings"] if f["kind"] == "library")
    assert messages == ["torch 2.8.0 needs nvidia-cudnn-cu12==9.10.2.21 but nvidia-cudnn-cu12 is not installed",
                        "torch 2.8.0 needs nvidia-nccl-cu12==2.27.3; nvidia-nccl-cu12 2.21.5 is installed"]
    assert result.code == 1


def test_a_gpu_without_kernels(tmp_path, envsolve, machine):
    machine("575.57.08", ["A100", "K80"])
    result, report = _doctor(envsolve, _site(tmp_path, HEALTHY))
    assert _kinds(report) == [("error", "cudnn"), ("error", "gpu-arch")]  # nor does its cuDNN 9.10 support a K80
    message = next(f["message"] for f in report["findings"] if f["kind"] == "gpu-arch")
    assert message == "K80 (sm_37) has no kernels in torch 2.8.0 (cu128): 'no kernel image is available'"


def test_a_cuda_build_without_any_gpu(tmp_path, envsolve, machine):
    machine(None, None)
    result, report = _doctor(envsolve, _site(tmp_path, HEALTHY))
    assert _kinds(report) == [("error", "no-gpu")]
    assert {"severity": "info", "kind": "probe", "message": "nvidia-smi not found", "fix": None} in report["findings"]


def test_a_local_version_label_names_the_build(tmp_path, envsolve, machine):
    machine("575.57.08", ["A100"])
    dists = {"torch": ("2.4.1+cu118", []), "nvidia-cudnn-cu11": ("9.1.0.70", []), "nvidia-nccl-cu11": ("2.20.5", [])}
    result, report = _doctor(envsolve, _site(tmp_path, dists))
    assert report["frameworks"] == [{"name": "torch", "version": "2.4.1+cu118", "build": "cu118"}]
    assert result.code == 0, report["findings"]


def test_a_cudnn_that_does_not_support_the_gpu(tmp_path, envsolve, machine):
    machine("575.57.08", ["K80"])  # torch 2.4.1+cu118 ships sm_37 kernels, but its cuDNN 9.1 starts at 5.0
    dists = {"torch": ("2.4.1+cu118", []), "nvidia-cudnn-cu11": ("9.1.0.70", []), "nvidia-nccl-cu11": ("2.20.5", [])}
    result, report = _doctor(envsolve, _site(tmp_path, dists))
    assert result.code == 1 and _kinds(report) == [("error", "cudnn")]
    message = next(f["message"] for f in report["findings"] if f["kind"] == "cudnn")
    assert message == ("nvidia-cudnn-cu11 9.1.0.70 supports compute capability 5.0 and newer; K80 (sm_37) is 3.7: "
                       "its cuDNN calls will fail")


def test_human_output(tmp_path, envsolve, machine):
    machine("470.57.02", ["A100"])
    result = envsolve("--catalog-dir", MINI, "doctor", "--path", _site(tmp_path, HEALTHY))
    assert result.code == 1
    assert "NVIDIA driver: 470.57.02 (from ENVSOLVE_DRIVER_VERSION)" in result.out
    assert "  error: torch 2.8.0 (cu128) needs NVIDIA driver >= 525.60.13" in result.out


def test_a_rocm_build_without_rocm(tmp_path, envsolve, machine, monkeypatch):
    machine(None, None)
    dists = {"torch": ("2.4.0+rocm6.1", [])}
    cat = tmp_path / "cat"
    import shutil

    shutil.copytree(MINI, cat)
    text = (cat / "torch.yaml").read_text()
    (cat / "torch.yaml").write_text(text.replace("  pytorch-cpu: https://download.pytorch.org/whl/cpu",
                                                 "  pytorch-cpu: https://download.pytorch.org/whl/cpu\n"
                                                 "  pytorch-rocm6.1: https://download.pytorch.org/whl/rocm6.1").replace(
        "      - name: cpu\n        accelerator: cpu\n        index: pypi\n        pypi_default: [windows-amd64]\n  - version: \"2.4.1\"",
        "      - name: cpu\n        accelerator: cpu\n        index: pypi\n        pypi_default: [windows-amd64]\n"
        "      - name: rocm6.1\n        accelerator: rocm\n        index: pytorch-rocm6.1\n        platforms: [linux-x86_64]\n"
        "        unknown_requires: not harvested for this test\n"  # a catalog that fails lint refuses to solve
        "  - version: \"2.4.1\""))
    result = envsolve("--catalog-dir", cat, "doctor", "--json", "--path", _site(tmp_path, dists))
    report = json.loads(result.out)
    assert report["frameworks"] == [{"name": "torch", "version": "2.4.0+rocm6.1", "build": "rocm6.1"}]
    assert ("error", "no-gpu") in _kinds(report)
    assert report["machine"]["rocm"] is None


RELEASES = Path(__file__).parent / "fixtures" / "os-release"


@pytest.mark.parametrize("file, os_id, version, edition", [
    ("amazonlinux-2", "amzn", "2", "amazonlinux-2"),
    ("ubuntu-22.04", "ubuntu", "22.04", "ubuntu-22.04"),
    ("rhel-9.4", "rhel", "9.4", "rhel-9"),  # a point release is its major version's edition
    ("debian-12", "debian", "12", "debian-12"),
    ("sles-15-sp4", "sles", "15.4", None),  # SP4 is not catalogued, and 15 (GA, glibc 2.26) must not be guessed
    ("alpine-3.14", "alpine", "3.14.0", None),
])
def test_recorded_os_release_files_name_their_edition(file, os_id, version, edition):
    from resolver import catalog
    from resolver.rules.platform import edition_for

    seen = probe.parse_os_release((RELEASES / file).read_text())
    assert seen is not None and (seen.id, seen.version_id) == (os_id, version)
    assert edition_for(catalog.load(), seen.id, seen.version_id) == edition


def test_an_unreadable_os_release_is_no_distribution():
    assert probe.parse_os_release((RELEASES / "garbage").read_text()) is None
    assert probe.parse_os_release("") is None
    assert probe.parse_os_release("ID=ubuntu\n") is None  # no VERSION_ID


def test_a_wheel_for_a_newer_glibc_than_the_machine_has(tmp_path, envsolve, machine, monkeypatch):
    """Amazon Linux 2 (glibc 2.26) with torch 2.8.0 installed from its manylinux_2_28 wheel (pip
    --platform, a copied venv): doctor says it will not load."""
    machine("575.57.08", ["A100"])
    monkeypatch.setattr(probe, "host_glibc", lambda: "2.26")
    monkeypatch.setattr(probe, "read_os_release", lambda: probe.parse_os_release((RELEASES / "amazonlinux-2").read_text()))
    site = _site(tmp_path, HEALTHY)
    wheel = next(site.glob("torch-*.dist-info")) / "WHEEL"
    wheel.write_text("Wheel-Version: 1.0\nRoot-Is-Purelib: false\nTag: cp312-cp312-manylinux_2_28_x86_64\n")
    result, report = _doctor(envsolve, site)
    assert result.code == 1
    assert report["machine"]["glibc"] == "2.26" and report["machine"]["edition"] == "amazonlinux-2"
    glibc = [f["message"] for f in report["findings"] if f["kind"] == "glibc"]
    assert glibc == ["torch 2.8.0 was installed from a wheel for glibc 2.28 (cp312-cp312-manylinux_2_28_x86_64); this "
                     "machine has glibc 2.26: it will fail to load"]
    human = envsolve("--catalog-dir", MINI, "doctor", "--path", site)
    assert "machine: linux x86_64, Amazon Linux 2 (amazonlinux-2), glibc 2.26" in human.out
    monkeypatch.setattr(probe, "host_glibc", lambda: "2.35")
    assert _doctor(envsolve, site)[0].code == 0
