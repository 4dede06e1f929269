"""The user's own requirements (--with, -r, --project): read with their origins, checked against
the builds in the solve, recorded in the lock set, and a clash named in the user's terms."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from resolver import project
from resolver.project import ProjectError

HERE = Path(__file__).parent / "fixtures" / "project"


@pytest.fixture
def in_fixtures(monkeypatch):
    monkeypatch.chdir(HERE)


def test_requirements_files_with_includes_comments_markers_and_continuations(in_fixtures):
    got = project.read(requirement_files=["requirements.in"])
    assert [(r.text, r.origin) for r in got.requirements] == [
        ("optax>=0.1", "base.in:1"),
        ("numpy<1.24", "requirements.in:3"),
        ('transformers>=4.30; python_version >= "3.9"', "requirements.in:4"),
    ]
    assert [name for name, _ in got.files] == ["requirements.in", "base.in"]


def test_pyproject_dependencies_extras_and_dependency_groups(in_fixtures):
    got = project.read(project=".", extras=["serve"], groups=["dev"])
    assert [(r.name, r.origin) for r in got.requirements] == [
        ("numpy", "pyproject.toml [project].dependencies"),
        ("einops", "pyproject.toml [project].dependencies"),
        ("fastapi", "pyproject.toml [project.optional-dependencies].serve"),
        ("pytest", "pyproject.toml [dependency-groups].test"),
        ("ruff", "pyproject.toml [dependency-groups].dev"),
    ]


@pytest.mark.parametrize("text, message", [
    ("--extra-index-url https://example.org/simple\n", "bad.in:1: --extra-index-url is not supported in a project's "
     "requirements (index options are envsolve's to choose); list packages only"),
    ("numpy<<2\n", "bad.in:1: not a requirement"),
    ("torch @ https://example.org/torch.whl\n", "bad.in:1: torch @ https://example.org/torch.whl: direct URLs are "
     "not supported"),
    ("-r bad.in\n", "bad.in: included twice (a -r cycle)"),
    ("-r ../../../../../../etc/passwd\n", "leading out of"),
])
def test_bad_requirement_files_name_the_file_and_line(tmp_path, monkeypatch, text, message):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "bad.in").write_text(text)
    with pytest.raises(ProjectError) as err:
        project.read(requirement_files=["bad.in"])
    assert message in str(err.value)


def test_only_regular_bounded_files_are_read(tmp_path, monkeypatch):
    outside = tmp_path / "outside.in"
    outside.write_text("numpy\n")
    (tmp_path / "project").mkdir()
    monkeypatch.chdir(tmp_path / "project")
    os.symlink(outside, "link.in")
    (tmp_path / "project" / "main.in").write_text("-r link.in\n")
    with pytest.raises(ProjectError, match="a symbolic link leading out of"):
        project.read(requirement_files=["main.in"])
    os.mkfifo("fifo.in")
    with pytest.raises(ProjectError, match="not a regular file"):
        project.read(requirement_files=["fifo.in"])
    (tmp_path / "project" / "big.in").write_text("numpy\n" * 200_000)
    with pytest.raises(ProjectError, match="more than the 1 MiB envsolve reads"):
        project.read(requirement_files=["big.in"])
    with pytest.raises(ProjectError, match="no dependency group 'nope'"):
        (tmp_path / "project" / "pyproject.toml").write_text('[project]\nname = "x"\nversion = "1"\n')
        project.read(project=".", groups=["nope"])


def test_a_project_pin_steers_the_framework_and_says_why(envsolve):
    result = envsolve("tensorflow", "--cpu", "--os", "linux", "--python", "3.11", "--with", "numpy<1.24", "--json")
    assert result.code == 0, result
    manifest = json.loads(result.out)
    assert [(p["name"], p["version"]) for p in manifest["packages"]] == [("tensorflow", "2.17.1")]
    assert manifest["request"]["project"] == [{"requirement": "numpy<1.24", "origin": "--with"}]
    assert any("tensorflow 2.18.0 and newer are passed over: numpy<1.24 (--with) conflicts with tensorflow 2.18.0, "
               "which needs numpy<2.1.0,>=1.26.0" in w for w in manifest["warnings"])


def test_a_clash_names_both_sides_and_a_checked_way_out(envsolve):
    result = envsolve("jax", "--cpu", "--os", "linux", "--python", "3.12", "--with", "numpy<1.20", "--json")
    assert result.code == 1
    conflict = json.loads(result.out)["conflict"]
    assert conflict["causes"][0]["kind"] == "project"
    assert conflict["causes"][0]["text"].startswith("numpy<1.20 (--with) conflicts with jax 0.12.0.1, which needs numpy>=")
    assert conflict["suggestions"][0]["command"] == "envsolve jax --cpu --os linux --arch x86_64 --python 3.12"


def test_companion_and_gpu_library_requirements_narrow_the_solve(envsolve):
    torch = json.loads(envsolve("torch", "--gpu", "--os", "linux", "--python", "3.12",
                                "--with", "torchvision==0.20.1", "--json").out)
    assert {p["name"]: p["version"] for p in torch["packages"]}["torch"] == "2.5.1"
    tf = json.loads(envsolve("tensorflow", "--gpu", "--os", "linux", "--python", "3.12",
                             "--with", "nvidia-cudnn-cu12<9.5", "--json").out)
    cudnn = {p["name"]: p["version"] for p in tf["packages"]}["nvidia-cudnn-cu12"]
    assert cudnn.startswith(("9.3", "9.4")), cudnn


def test_a_framework_the_project_requires_joins_the_stack(tmp_path, monkeypatch, envsolve):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "requirements.in").write_text("torch==2.5.1\n")
    manifest = json.loads(envsolve("tensorflow", "--cpu", "--os", "linux", "--python", "3.11",
                                   "-r", "requirements.in", "--json").out)
    names = {p["name"]: p["version"] for p in manifest["packages"]}
    assert names["torch"] == "2.5.1" and "tensorflow" in names
    assert any("pytorch joined the stack (requirements.in:1 requires it)" in w for w in manifest["warnings"])


def test_the_lock_set_records_the_project_and_goes_stale_when_it_changes(tmp_path, monkeypatch, envsolve):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "requirements.in").write_text("numpy<1.24\n")
    result = envsolve("tensorflow", "--cpu", "--os", "linux", "--python", "3.11", "-r", "requirements.in",
                      "--out", "lockfiles", "--offline")
    assert result.code == 0, result
    folder = tmp_path / "lockfiles" / "tensorflow-cpu-linux-x86_64-py311"
    manifest = json.loads((folder / "envsolve.json").read_text())
    assert manifest["request"]["project_files"].keys() == {"requirements.in"}
    assert manifest["lock"]["command"].endswith("-r requirements.in --out lockfiles --offline")
    assert envsolve("check", "lockfiles").code == 0
    (tmp_path / "requirements.in").write_text("numpy<1.25\n")
    stale = envsolve("check", "lockfiles")
    assert stale.code == 1 and "made with an earlier requirements.in (it changed since)" in stale.out
    assert envsolve("check", "lockfiles", "--fix").code == 0  # rebuilt from the manifest, with the file as it is now
    fixed = json.loads((folder / "envsolve.json").read_text())
    assert fixed["request"]["project"] == [{"requirement": "numpy<1.25", "origin": "requirements.in:1"}]


@pytest.mark.online
def test_with_out_uv_locks_the_project_with_the_stack(tmp_path, monkeypatch, envsolve):
    monkeypatch.chdir(tmp_path)
    result = envsolve("jax", "--cpu", "--os", "linux", "--python", "3.12", "--with", "optax", "--with", "numpy<2.3",
                      "--out", "lockfiles")
    assert result.code == 0, result
    text = (tmp_path / "lockfiles" / "jax-cpu-linux-x86_64-py312" / "requirements.txt").read_text()
    assert "optax==" in text and "numpy==2.2." in text
