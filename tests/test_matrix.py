"""envsolve matrix: every combination, as a table, JSON manifests, a GitHub matrix, a bake file."""

from __future__ import annotations

import json
from pathlib import Path

import yaml

from resolver import catalog, matrix

MINI = Path(__file__).parent / "fixtures" / "mini"
LINUX = ["--catalog-dir", MINI, "matrix", "--os", "linux", "--arch", "x86_64", "--python", "3.12"]


def test_table_lists_every_combination_with_its_answer(envsolve):
    result = envsolve(*LINUX, "--accelerator", "cuda", "--accelerator", "cpu")
    assert result.code == 0, result
    lines = result.out.splitlines()
    assert lines[0].split() == ["STACK", "TARGET", "ACCEL", "PYTHON", "RESULT"]
    rows = {(line.split()[0], line.split()[3]): line for line in lines[1:-1]}
    assert rows[("pytorch", "cuda")].endswith("torch 2.8.0 (cu128)")
    assert rows[("pytorch+tensorflow", "cuda")].split("3.12", 1)[1].strip().startswith("no: torch 2.8.0 (cu128) pins")
    assert rows[("pytorch", "cpu")].split("3.12", 1)[1].strip() == "no: pytorch has no CPU build for linux on x86_64 (linux-x86_64 wheels)"
    assert lines[-1] == "3 of 6 combinations work"


def test_json_is_a_list_of_solution_manifests(envsolve):
    result = envsolve(*LINUX, "--json")
    manifests = json.loads(result.out)
    assert len(manifests) == 9  # 3 stacks x (cuda, rocm, cpu)
    assert all(m["schema"] == "envsolve.solution/1" for m in manifests)
    assert {m["status"] for m in manifests} == {"ok", "conflict"}


def test_github_matrix(envsolve):
    result = envsolve(*LINUX, "--accelerator", "cuda", "--format", "github")
    doc = yaml.safe_load(result.out)
    include = doc["strategy"]["matrix"]["include"]
    assert doc["strategy"]["fail-fast"] is False
    assert [e["name"] for e in include] == ["pytorch-cuda-linux-x86_64-py312", "tensorflow-cuda-linux-x86_64-py312"]
    assert include[0]["envsolve"] == "envsolve pytorch --gpu --os linux --arch x86_64 --python 3.12"
    assert include[0]["packages"] == "torch==2.8.0 torchvision==0.23.0"


def test_bake_file(envsolve):
    result = envsolve(*LINUX, "--accelerator", "cuda", "--format", "bake")
    text = result.out
    assert 'group "default" {\n  targets = ["pytorch-cuda-linux-x86_64-py312", "tensorflow-cuda-linux-x86_64-py312"]\n}' in text
    assert 'target "pytorch-cuda-linux-x86_64-py312" {\n  context = "lockfiles/pytorch-cuda-linux-x86_64-py312"\n' in text
    assert 'platforms = ["linux/amd64"]' in text


def test_write_produces_each_lock_set(tmp_path, envsolve):
    result = envsolve("--catalog-dir", MINI, "matrix", "--os", "windows", "--python", "3.12", "--accelerator", "cpu",
                      "--write", tmp_path, "--offline")
    assert result.code == 0, result
    assert sorted(p.name for p in tmp_path.iterdir()) == ["pytorch-cpu-windows-x86_64-py312",
                                                          "pytorch-tensorflow-cpu-windows-x86_64-py312",
                                                          "tensorflow-cpu-windows-x86_64-py312"]


def test_worker_processes_give_the_same_answers_as_one():
    cat = catalog.load(MINI)
    todo = matrix.cells(matrix.default_stacks(cat), cat.matrix.targets, cat.matrix.pythons)
    assert len(todo) >= 40  # enough to use the worker pool
    assert matrix.solve_all(cat, todo, jobs=2) == matrix.solve_all(cat, todo, jobs=1)


def test_bad_filters_are_usage_errors(envsolve):
    assert envsolve("matrix", "--python", "three").code == 2
    assert envsolve("matrix", "torch+nosuch").code == 2


def test_write_goes_on_past_a_cell_it_cannot_lock(tmp_path, envsolve):
    # linux CUDA builds in the small catalog have no GPU-library hashes: those cells fail, the rest land
    result = envsolve("--catalog-dir", MINI, "matrix", "--os", "linux", "--arch", "x86_64", "--python", "3.12",
                      "--accelerator", "cuda", "--accelerator", "cpu", "--write", tmp_path, "--offline")
    assert result.code == 1
    assert "pytorch-cuda-linux-x86_64-py312: no lock set written: no hashed wheel" in result.err
    assert result.err.rstrip().endswith("2 lock set(s) could not be written")
    assert (tmp_path / "tensorflow-cpu-linux-x86_64-py312" / "requirements.txt").is_file()
