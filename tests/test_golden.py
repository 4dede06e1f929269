"""Golden files: each emitter's output for small lock sets, byte for byte (a Dockerfile per edition
family: an apt image, a dnf image, and python:X.Y-slim where the edition has no catalogued image).

After an intended change to an emitter, regenerate with `UPDATE_GOLDEN=1 python -m pytest
tests/test_golden.py` and review the diff.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

HERE = Path(__file__).parent
MINI = HERE / "fixtures" / "mini"
GOLDEN = HERE / "golden"
SETS = {
    "pytorch-cpu-windows-x86_64-py312": ["torch", "--cpu", "--os", "windows", "--python", "3.12"],
    "tensorflow-cpu-linux-x86_64-py312": ["tensorflow", "--cpu", "--os", "linux", "--python", "3.12"],
    # Both installers of CUDA sets solved through minor-version compatibility: each must accept the
    # driver it was solved for (the floors envsolve.json records).
    "pytorch-cuda-windows-x86_64-py312": ["torch", "--gpu", "--os", "windows", "--python", "3.12", "--driver", "472.12",
                                          "--allow-unhashed", "torch", "--allow-unhashed", "torchvision"],
    "pytorch-cuda-linux-x86_64-py312": ["torch", "--gpu", "--os", "linux", "--python", "3.12", "--driver", "535.104.05",
                                        "--allow-unhashed", "nvidia-cuda-runtime-cu12", "--allow-unhashed", "nvidia-cudnn-cu12",
                                        "--allow-unhashed", "nvidia-nccl-cu12"],
    "tensorflow-cpu-ubuntu-22.04-x86_64-py310": ["tensorflow", "--cpu", "--os", "ubuntu-22.04", "--python", "3.10"],
    "tensorflow-cpu-rhel-9-x86_64-py312": ["tensorflow", "--cpu", "--os", "rhel-9", "--python", "3.12"],
    # No image catalogued for amazonlinux-2: python:3.12-slim, and its install.sh checks glibc first.
    "pytorch-cuda-amazonlinux-2-x86_64-py312": ["torch", "--gpu", "--os", "amazonlinux-2", "--python", "3.12",
                                                "--allow-unhashed", "torch", "--allow-unhashed", "nvidia-cudnn-cu11",
                                                "--allow-unhashed", "nvidia-nccl-cu11"],
}


@pytest.mark.parametrize("name", sorted(SETS))
def test_emitters_match_their_golden_files(name, tmp_path, envsolve, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = envsolve("--catalog-dir", MINI, *SETS[name], "--out", "lockfiles", "--offline")
    assert result.code == 0, result
    produced = {p.name: p.read_bytes() for p in (tmp_path / "lockfiles" / name).iterdir()}
    folder = GOLDEN / name
    if os.environ.get("UPDATE_GOLDEN"):
        folder.mkdir(parents=True, exist_ok=True)
        for old in folder.iterdir():
            old.unlink()
        for file, data in produced.items():
            (folder / file).write_bytes(data)
    expected = {p.name: p.read_bytes() for p in folder.iterdir()}
    assert sorted(produced) == sorted(expected)
    for file in expected:
        assert produced[file] == expected[file], f"{name}/{file} differs from its golden file"
