"""Machine inspection for --detect: odd driver files and nvidia-smi output never crash it."""

from __future__ import annotations

import json
import os
import stat

import pytest
from hypothesis import given
from hypothesis import strategies as st

from resolver import probe


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("NVRM version: NVIDIA UNIX x86_64 Kernel Module  550.144.03  Mon Dec 16 22:08:43 UTC 2024\n", "550.144.03"),
        ("NVRM version: NVIDIA UNIX Open Kernel Module for x86_64  570.124.06  Release Build\n", "570.124.06"),
        ("NVRM version: NVIDIA UNIX x86_64 Kernel Module  375.74  Wed Jun 14 01:39:39 PDT 2017\n", "375.74"),
        ("garbage\n", None),
        ("", None),
    ],
)
def test_proc_version_formats(text, expected):
    assert probe.parse_proc_version(text) == expected


def test_smi_rows_and_odd_fields():
    out = ("NVIDIA A100-SXM4-80GB, 550.54.15, 8.0\r\n"
           "NVIDIA GeForce RTX 4090, 550.54.15, 8.9\n"
           "\n"
           "Tesla K80, [N/A], [N/A]\n"
           "not a csv line\n")
    gpus, notes = probe.parse_smi_csv(out)
    assert gpus == [
        probe.GpuInfo("NVIDIA A100-SXM4-80GB", "8.0", "550.54.15"),
        probe.GpuInfo("NVIDIA GeForce RTX 4090", "8.9", "550.54.15"),
        probe.GpuInfo("Tesla K80", None, None),
    ]
    assert "Tesla K80: nvidia-smi gave no usable driver version" in notes
    assert any("unreadable nvidia-smi line" in n for n in notes)


def test_smi_driver_mismatch_is_a_note():
    gpus, notes = probe.parse_smi_csv("Failed to initialize NVML: Driver/library version mismatch\nNVML library version: 570.124\n")
    assert gpus == [] and notes == ["nvidia-smi failed: Failed to initialize NVML: Driver/library version mismatch"]


@given(st.text())
def test_smi_parser_never_raises(text):
    gpus, notes = probe.parse_smi_csv(text)
    assert all(g.name for g in gpus)


def _fake_smi(tmp_path, body: str) -> None:
    script = tmp_path / "nvidia-smi"
    script.write_text("#!/bin/sh\n" + body + "\n")
    script.chmod(script.stat().st_mode | stat.S_IEXEC)


def test_detect_uses_nvidia_smi(tmp_path, monkeypatch, envsolve):
    _fake_smi(tmp_path, "echo 'NVIDIA A100-SXM4-80GB, 535.104.05, 8.0'")
    monkeypatch.setenv("PATH", f"{tmp_path}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.delenv(probe.DRIVER_ENV, raising=False)
    monkeypatch.setattr(probe, "_read", lambda path: None)  # no /sys or /proc driver files
    result = envsolve("torch", "--gpu", "--detect", "--os", "linux", "--python", "3.12", "--json")
    manifest = json.loads(result.out)
    assert manifest["target"]["driver"] == "535.104.05"
    assert manifest["target"]["gpus"] == [{"name": "NVIDIA A100", "compute_capability": "8.0"}]


def test_detect_survives_a_failing_nvidia_smi(tmp_path, monkeypatch, envsolve):
    _fake_smi(tmp_path, "echo \"NVIDIA-SMI has failed because it couldn't communicate with the NVIDIA driver.\"; exit 9")
    monkeypatch.setenv("PATH", f"{tmp_path}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setattr(probe, "_read", lambda path: None)
    monkeypatch.setenv(probe.DRIVER_ENV, "not-a-driver")
    result = envsolve("torch", "--cpu", "--detect", "--os", "linux", "--python", "3.12")
    assert result.code == 0
    assert "nvidia-smi exited 9: NVIDIA-SMI has failed" in result.err
    assert "ENVSOLVE_DRIVER_VERSION='not-a-driver' is not a driver version; ignored" in result.err


def test_detect_times_out_on_a_hanging_nvidia_smi(tmp_path, monkeypatch):
    _fake_smi(tmp_path, "sleep 30")
    monkeypatch.setenv("PATH", f"{tmp_path}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setattr(probe, "_read", lambda path: None)
    machine = probe.inspect_machine(timeout=0.5)
    assert machine.gpus == () and "nvidia-smi did not answer within 0.5 s (killed)" in machine.notes
