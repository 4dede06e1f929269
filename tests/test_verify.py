"""envsolve verify: lock sets installed into a throwaway environment and smoke-tested, on small
local wheels (tests/verify_sets.py; file:// URLs and a local index folder, never the network)."""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path

import pytest
import yaml

from resolver import catalog, probe, smoke, verify
from verify_sets import HOST_PLATFORM, HOST_PYTHON, fakefw_set, make_set, torch_set

MINI = Path(__file__).parent / "fixtures" / "mini"
NO_GPU = verify.Host(HOST_PLATFORM, HOST_PYTHON, "2.35", (), False, "nvidia-smi not found", sys.executable)


@pytest.fixture(autouse=True)
def _isolated(monkeypatch, tmp_path):
    """No GPU as far as verify knows, a private uv cache, and temporary folders where the test
    can see them."""
    monkeypatch.setattr(verify, "this_machine", lambda: NO_GPU)
    monkeypatch.setenv("UV_CACHE_DIR", str(tmp_path / "uv-cache"))
    (tmp_path / "tmp").mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "tmp"))


def _environments(tmp_path):
    return list((tmp_path / "tmp").glob("envsolve-verify-*"))


def _json(result):
    return json.loads(result.out)


def _steps(doc):
    return {s["name"]: s for s in doc["steps"]}


def test_a_good_set_is_verified(tmp_path, envsolve):
    folder = fakefw_set(tmp_path)
    result = envsolve("verify", folder, "--json")
    assert result.code == 0, result
    doc = _json(result)
    assert doc["schema"] == "envsolve.verify/1"
    assert doc["verdict"] == "verified"
    assert [(s["name"], s["status"]) for s in doc["steps"]] == [
        ("integrity", "passed"), ("venv", "passed"), ("install", "passed"), ("versions", "passed"),
        ("pip-check", "passed"), ("fakefw:import", "passed"), ("fakefw:version", "passed")]
    assert all(isinstance(s["seconds"], float) for s in doc["steps"])
    assert _steps(doc)["versions"]["output"] == "2 package(s) as locked"
    assert _steps(doc)["fakefw:version"]["output"].startswith("fakefw 1.0 from ")
    assert doc["set"] == {"path": str(folder), "name": folder.name, "platform": HOST_PLATFORM, "python": HOST_PYTHON,
                          "accelerator": "cpu"}
    assert doc["environment"] is None
    assert not _environments(tmp_path)


def test_a_relative_set_path(tmp_path, envsolve, monkeypatch):
    folder = fakefw_set(tmp_path / "sets")
    monkeypatch.chdir(tmp_path / "sets")
    result = envsolve("verify", folder.name)
    assert result.code == 0, result
    assert result.out.startswith(f"verify {folder.name}: ")


def test_text_output_names_each_step_with_its_time(tmp_path, envsolve):
    result = envsolve("verify", fakefw_set(tmp_path))
    assert result.code == 0, result
    lines = result.out.splitlines()
    assert lines[0].startswith(f"verify {tmp_path}/fakefw-cpu-")
    assert lines[1].split()[:2] == ["passed", "integrity"] and lines[1].split()[3] == "s"
    assert lines[-1].startswith("verified: every step passed (")
    assert "note: stale" in result.out  # the test set was not made from this catalog: said, not refused


def test_pip_installer_and_keep(tmp_path, envsolve):
    result = envsolve("verify", fakefw_set(tmp_path), "--installer", "pip", "--keep", "--json")
    assert result.code == 0, result
    doc = _json(result)
    assert doc["installer"] == "pip" and doc["verdict"] == "verified"
    assert "pip install --require-hashes requirements.txt" in _steps(doc)["install"]["output"]
    env = Path(doc["environment"])
    assert (env / "bin" / "python").exists() or (env / "Scripts" / "python.exe").exists()


def test_a_failing_import_fails_the_set_with_its_traceback(tmp_path, envsolve):
    result = envsolve("verify", fakefw_set(tmp_path, broken=True))
    assert result.code == 1, result
    assert "  failed   fakefw:import" in result.out
    assert "RuntimeError: fakefw self-check: fakedep.VALUE is 42, expected 41" in result.out
    assert "smoke.py" not in result.out  # the script's own frames are left out of the traceback
    assert "skipped  fakefw:version" in result.out
    assert result.out.splitlines()[-1].startswith("failed: fakefw:import (")


def test_the_environment_is_removed_on_failure_and_on_ctrl_c(tmp_path, envsolve):
    assert envsolve("verify", fakefw_set(tmp_path / "a", broken=True)).code == 1
    assert not _environments(tmp_path)
    info = verify.read_set(fakefw_set(tmp_path / "b"))

    def interrupt(step):
        if step.name == "pip-check":
            assert _environments(tmp_path)
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        verify.verify(catalog.load(MINI), info, NO_GPU, on_start=interrupt)
    assert not _environments(tmp_path)


def test_a_smoke_test_that_hangs_fails_at_the_timeout(tmp_path, envsolve):
    slow = {"slowfw/__init__.py": "import time\ntime.sleep(60)\n"}
    folder = make_set(tmp_path, [("slowfw", "1.0", "framework", slow, ())])
    result = envsolve("verify", folder, "--timeout", "3", "--json")
    assert result.code == 1, result
    steps = _steps(_json(result))
    assert steps["slowfw:import"]["status"] == "failed"
    assert steps["slowfw:import"]["output"].endswith("did not finish within 3 s")
    assert steps["slowfw:version"] == {"name": "slowfw:version", "status": "skipped", "seconds": None,
                                       "output": "not run: slowfw's smoke test stopped"}


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
def test_a_framework_that_crashes_the_interpreter_fails_its_step(tmp_path, envsolve):
    crash = {"crashfw/__init__.py": "import os, signal\nos.kill(os.getpid(), signal.SIGSEGV)\n"}
    folder = make_set(tmp_path, [("crashfw", "1.0", "framework", crash, ())])
    result = envsolve("verify", folder, "--json")
    assert result.code == 1, result
    steps = _steps(_json(result))
    assert steps["crashfw:import"]["status"] == "failed"
    assert steps["crashfw:import"]["output"].endswith("the smoke test was killed by SIGSEGV")
    assert steps["crashfw:version"]["status"] == "skipped"


def test_a_tampered_file_is_refused_before_anything_is_installed(tmp_path, envsolve):
    folder = fakefw_set(tmp_path)
    pylock = next(folder.glob("pylock.*.toml"))
    pylock.write_text(pylock.read_text().replace('version = "2.0"', 'version = "2.1"'))
    result = envsolve("verify", folder, "--json")
    assert result.code == 1, result
    doc = _json(result)
    steps = _steps(doc)
    assert steps["integrity"]["status"] == "failed"
    assert f"error {pylock}: does not match the sha256 recorded in envsolve.json" in steps["integrity"]["output"]
    assert {s["status"] for name, s in steps.items() if name != "integrity"} == {"skipped"}
    assert steps["install"]["output"] == "not run: integrity failed"
    assert doc["verdict"] == "failed"


def test_a_file_that_breaks_checks_integrity_rules_is_refused(tmp_path, envsolve):
    folder = fakefw_set(tmp_path)
    manifest = json.loads((folder / "envsolve.json").read_text())
    req = folder / "requirements.txt"
    req.write_text(req.read_text().replace("--index-url", "--extra-index-url"))
    manifest["lock"]["files"]["requirements.txt"] = __import__("hashlib").sha256(req.read_bytes()).hexdigest()
    (folder / "envsolve.json").write_text(json.dumps(manifest))
    result = envsolve("verify", folder)
    assert result.code == 1, result
    assert "--extra-index-url lets any index serve any package" in result.out


def test_a_cuda_set_without_a_gpu_is_partial(tmp_path, envsolve):
    result = envsolve("verify", torch_set(tmp_path, accelerator="cuda", nccl="2.27.3", cudnn="9.10.2.21"), "--json")
    assert result.code == 0, result
    doc = _json(result)
    assert doc["verdict"] == "partial"
    steps = _steps(doc)
    assert steps["torch:cpu"]["status"] == "passed"
    assert steps["torch:version"]["output"].startswith("torch 2.8.0 (module 2.8.0+cpu) from ")
    assert steps["torch:nccl"]["output"] == "NCCL 2.27.3, as locked"  # a library check: no GPU needed
    assert steps["torch:cudnn"]["output"] == "cuDNN 9.10.2, as locked"
    for name in ("torch:gpu-devices", "torch:gpu-matmul", "torch:gpu-conv"):
        assert steps[name] == {"name": name, "status": "skipped", "seconds": None,
                               "output": "not run: no NVIDIA GPU visible (nvidia-smi not found)"}


def test_another_nccl_than_the_locked_one_fails_without_a_gpu_too(tmp_path, envsolve):
    result = envsolve("verify", torch_set(tmp_path, accelerator="cuda", nccl="2.21.5"))
    assert result.code == 1, result
    assert "  failed   torch:nccl" in result.out
    assert "torch loads NCCL 2.27.3, the lock has 2.21.5 (another NCCL on the library path?)" in result.out


def test_partial_text_says_which_gpu_steps_were_not_run(tmp_path, envsolve):
    result = envsolve("verify", torch_set(tmp_path, accelerator="cuda"))
    assert result.code == 0, result
    assert result.out.splitlines()[-1].startswith(
        "partial: every step that ran passed; not run: torch:gpu-devices, torch:gpu-matmul, torch:gpu-conv (")


def test_a_gpu_the_framework_cannot_use_fails_the_gpu_steps(tmp_path, envsolve, monkeypatch):
    monkeypatch.setattr(verify, "this_machine", lambda: NO_GPU._replace(gpus=("NVIDIA H100 80GB HBM3",), gpu_note=None))
    result = envsolve("verify", torch_set(tmp_path, accelerator="cuda"), "--json")
    assert result.code == 1, result
    steps = _steps(_json(result))
    assert steps["torch:gpu-devices"]["status"] == "failed"
    assert steps["torch:gpu-devices"]["output"].startswith("torch.cuda.is_available() is False")
    assert steps["torch:cpu"]["status"] == "passed"


def test_a_set_for_another_python_or_platform_is_unusable_here(tmp_path, envsolve):
    other = "3.99" if HOST_PYTHON != "3.99" else "3.98"
    result = envsolve("verify", fakefw_set(tmp_path / "a", python=other))
    assert result.code == 2, result
    assert f"is for {HOST_PLATFORM} with Python {other}; this machine is {HOST_PLATFORM} with Python {HOST_PYTHON}" \
        in result.err
    assert f"verify it on a {HOST_PLATFORM} machine with Python {other}" in result.err
    elsewhere = "windows-amd64" if HOST_PLATFORM != "windows-amd64" else "linux-x86_64"
    result = envsolve("verify", fakefw_set(tmp_path / "b", platform=elsewhere))
    assert result.code == 2, result
    assert f"verify it on a {elsewhere} machine with Python {HOST_PYTHON}" in result.err


def test_unusable_input(tmp_path, envsolve):
    assert envsolve("verify", tmp_path / "nope").code == 2
    folder = fakefw_set(tmp_path)
    result = envsolve("verify", tmp_path)
    assert result.code == 2 and f"not a lock set (no envsolve.json); it holds lock sets: {folder}" in result.err
    (folder / "envsolve.json").write_text("{")
    assert envsolve("verify", folder).code == 2
    other = fakefw_set(tmp_path / "x")
    manifest = json.loads((other / "envsolve.json").read_text())
    manifest["packages"][0]["version"] = "1.0; rm -rf /"
    (other / "envsolve.json").write_text(json.dumps(manifest))
    result = envsolve("verify", other)
    assert result.code == 2 and "packages[0].version is '1.0; rm -rf /', not what envsolve writes" in result.err


def test_a_network_failure_is_exit_3(tmp_path, envsolve, monkeypatch):
    monkeypatch.setenv("UV_HTTP_RETRIES", "0")
    folder = fakefw_set(tmp_path, url_base="https://127.0.0.1:9/files")  # port 9: nothing listens
    result = envsolve("verify", folder, "--json")
    assert result.code == 3, result
    doc = _json(result)
    assert doc["network_error"] is True and doc["verdict"] == "failed"
    assert "Connection refused" in _steps(doc)["install"]["output"] or "connect" in _steps(doc)["install"]["output"]


def test_several_sets_give_a_list_and_the_worst_exit_code(tmp_path, envsolve):
    good, bad = fakefw_set(tmp_path / "a"), fakefw_set(tmp_path / "b", broken=True)
    result = envsolve("verify", good, bad, "--json")
    assert result.code == 1
    assert [d["verdict"] for d in _json(result)] == ["verified", "failed"]


def test_verify_many_keeps_the_order_given(tmp_path):
    infos = [verify.read_set(fakefw_set(tmp_path / "a", broken=True)), verify.read_set(fakefw_set(tmp_path / "b"))]
    seen = []
    results = verify.verify_many(catalog.load(MINI), infos, NO_GPU, 2, progress=lambda v: seen.append(v.verdict))
    assert [v.verdict for v in results] == ["failed", "verified"] and sorted(seen) == ["failed", "verified"]
    assert not _environments(tmp_path)


# --- planning, pure ---------------------------------------------------------------------------

def _info(tmp_path, **kw):
    return verify.read_set(fakefw_set(tmp_path, **kw))


def test_plan_of_a_cpu_set(tmp_path):
    info = verify.read_set(torch_set(tmp_path))
    steps = verify.plan(info, NO_GPU, "uv", tmp_path / "env", "uv")
    assert [s.name for s in steps] == ["integrity", "venv", "install", "versions", "pip-check", "torch:import",
                                       "torch:version", "torch:cpu"]
    install = steps[2].commands[0]
    assert install[:4] == ("uv", "pip", "sync", "--no-config") and install[-1].endswith(f"pylock.{info.name}.toml")


def test_plan_of_a_cuda_set_on_a_gpu_machine_runs_every_gpu_step(tmp_path):
    info = verify.read_set(torch_set(tmp_path, accelerator="cuda", nccl="2.27.3"))
    host = NO_GPU._replace(gpus=("NVIDIA A100-SXM4-80GB",), gpu_note=None)
    steps = {s.name: s for s in verify.plan(info, host, "uv", tmp_path / "env", "uv")}
    assert [n for n, s in steps.items() if s.gpu] == ["torch:gpu-devices", "torch:gpu-matmul", "torch:gpu-conv"]
    assert "torch:nccl" in steps and "torch:cudnn" not in steps  # the lock names no cuDNN
    assert not any(s.skip for s in steps.values())
    assert verify.smoke_input(info, "torch", ["import", "nccl"])["expect"] == {"cudnn": None, "nccl": "2.27.3"}


def test_plan_without_nccl_in_the_lock_has_no_nccl_step(tmp_path):
    info = verify.read_set(torch_set(tmp_path, accelerator="rocm", nccl="2.27.3"))
    names = [s.name for s in verify.plan(info, NO_GPU, "uv", tmp_path / "env", "uv")]
    assert "torch:nccl" not in names and "torch:gpu-conv" in names  # RCCL is not the lock's NCCL


def test_plan_with_pip_installs_each_requirements_file_with_hashes(tmp_path):
    info = _info(tmp_path)
    steps = {s.name: s for s in verify.plan(info, NO_GPU, "pip", tmp_path / "env", "uv")}
    (command,) = steps["install"].commands
    assert command[1:7] == ("-m", "pip", "install", "--require-hashes", "--no-deps", "--only-binary")
    assert command[-1].endswith("requirements.txt")
    assert steps["pip-check"].commands == ((command[0], "-m", "pip", "check"),)


def test_plan_of_a_stack_level_set_resolves_the_rest_like_install_sh(tmp_path):
    info = _info(tmp_path)._replace(transitive=False, files=("constraints.txt",))
    steps = {s.name: s for s in verify.plan(info, NO_GPU, "uv", tmp_path / "env", "uv")}
    (command,) = steps["dependencies"].commands
    assert "--index-url" in command and "-c" in command and command[-1] == "fakefw==1.0"


def test_misfit_names_glibc(tmp_path):
    info = _info(tmp_path)._replace(wheels=("x-1.0-cp311-cp311-manylinux_2_39_x86_64.whl",))
    if HOST_PLATFORM.startswith("linux-"):
        assert "its wheels need glibc 2.39; this machine has glibc 2.35" in verify.misfit(info, NO_GPU).text
    assert verify.misfit(info._replace(pylock=None), NO_GPU._replace(glibc="2.40")) is not None
    assert verify.misfit(info._replace(pylock=None), NO_GPU._replace(glibc="2.40"), "pip") is None


# --- the smoke script's input, validated on both sides ----------------------------------------

GOOD = {"protocol": 1, "distribution": "torch", "version": "2.8.0", "steps": ["import", "nccl"],
        "expect": {"nccl": "2.27.3"}}


@pytest.mark.parametrize("change, message", [
    ({"protocol": 2}, "input.protocol: expected 1"),
    ({"distribution": "torch; import os"}, "input.distribution: not a distribution name"),
    ({"version": "2.8.0\nimport os"}, "input.version: not a version"),
    ({"steps": ["import", "exec"]}, "input.steps: a list of distinct steps among import, version, cpu"),
    ({"steps": ["import", "import"]}, "input.steps: a list of distinct steps"),
    ({"expect": {"nccl": "2.27.3", "code": "x"}}, "input.expect: an object with at most 'cudnn' and 'nccl'"),
    ({"steps": ["import", "cudnn"]}, "input.steps: 'cudnn' needs input.expect.cudnn"),
    ({"expect": {"nccl": "latest"}}, "input.expect.nccl: not a version"),
    ({"expect": {"nccl": None}}, "input.steps: 'nccl' needs input.expect.nccl"),
    ({"extra": 1}, "input: unknown field 'extra'"),
])
def test_smoke_input_is_validated(change, message):
    with pytest.raises(smoke.Refused) as info:
        smoke.validate({**GOOD, **change})
    assert str(info.value).startswith(message)


def test_smoke_script_refuses_bad_input_on_stdin(tmp_path):
    import subprocess

    run = subprocess.run([sys.executable, "-I", smoke.__file__], input='{"protocol": 1, "distribution": "../x"}',
                         capture_output=True, text=True, cwd=tmp_path)
    assert run.returncode == 2 and run.stdout == ""
    assert "input.distribution: not a distribution name" in run.stderr


def test_smoke_helpers():
    assert smoke.steps_for("fakefw") == ("import", "version")
    assert smoke.module_for("my-framework") == "my_framework"
    assert smoke.nccl_text((2, 27, 3)) == "2.27.3"
    assert smoke.nccl_text(21803) == "2.18.3" and smoke.nccl_text(2708) == "2.7.8"
    assert smoke.cudnn_text(92600) == "9.26.0" and smoke.cudnn_text(8902) == "8.9.2"
    assert smoke.same_version("2.8.0", "2.8") and smoke.same_version("2.6.0+cu126", "2.6.0+cu126")
    assert not smoke.same_version("2.6.0+cu124", "2.6.0+cu126") and not smoke.same_version("2.8.1", "2.8.0")


# --- matrix --------------------------------------------------------------------------------------

LINUX = ["--catalog-dir", MINI, "matrix", "--os", "linux", "--arch", "x86_64", "--python", "3.12"]


def test_matrix_verify_needs_write(envsolve):
    result = envsolve(*LINUX, "--verify")
    assert result.code == 2 and "--write DIR" in result.err


def test_github_matrix_gains_the_verify_step(envsolve, tmp_path):
    result = envsolve(*LINUX, "--accelerator", "cuda", "--format", "github")
    doc = yaml.safe_load(result.out)
    assert doc["steps"] == [{"name": "Verify the lock set (envsolve verify)",
                             "run": 'envsolve verify "${{ matrix.lockset }}"'}]
    assert doc["strategy"]["matrix"]["include"][0]["lockset"] == "lockfiles/pytorch-cuda-linux-x86_64-py312"


def test_matrix_verifies_the_written_sets_that_fit_this_machine(envsolve, tmp_path, monkeypatch):
    seen = []

    def fake_verify(cat, info, host, installer="uv", timeout=0.0, keep=False, on_start=None, on_result=None,
                    cancel=None):
        seen.append(info.name)
        steps = (verify.StepResult("integrity", "passed", 0.1, ""),
                 verify.StepResult("install", "failed" if "tensorflow" in info.name else "passed", 0.1, "boom"))
        return verify.Verification(info, installer, host, steps, verify.verdict(steps), None, False, (), 1.0)

    monkeypatch.setattr(verify, "verify", fake_verify)
    monkeypatch.setattr(verify, "this_machine", lambda: NO_GPU._replace(platform="windows-amd64", python="3.12"))
    result = envsolve("--catalog-dir", MINI, "matrix", "--os", "windows", "--os", "linux", "--arch", "x86_64",
                      "--python", "3.12", "--accelerator", "cpu", "--write", tmp_path, "--offline", "--verify",
                      "--jobs", "2")
    assert result.code == 1, result
    assert sorted(seen) == ["pytorch-cpu-windows-x86_64-py312", "pytorch-tensorflow-cpu-windows-x86_64-py312",
                            "tensorflow-cpu-windows-x86_64-py312"]
    lines = result.out.splitlines()
    assert "failed    tensorflow-cpu-windows-x86_64-py312  1.0 s: install (boom)" in lines
    assert "verified  pytorch-cpu-windows-x86_64-py312  1.0 s" in lines
    assert lines[-1].startswith("verify: 1 verified, 0 partial, 2 failed; ")
    assert "were not verified" in lines[-1]


# --- real lock sets, opt in: pytest -m online -------------------------------------------------

@pytest.mark.online
@pytest.mark.skipif(not HOST_PLATFORM.startswith("linux-"), reason="locks for --os linux")
@pytest.mark.parametrize("stack", ["jax", "tensorflow"])
def test_a_real_cpu_set_locked_here_is_verified(stack, tmp_path, envsolve, monkeypatch, capsys):
    """Locks a CPU set for this machine with the real uv against PyPI, then verifies it (uv's own
    cache: the second run shows the warm-cache figures)."""
    monkeypatch.delenv("UV_CACHE_DIR")
    monkeypatch.setattr(verify, "this_machine", lambda: NO_GPU._replace(glibc=probe.host_glibc()))
    locked = envsolve(stack, "--cpu", "--os", "linux", "--python", HOST_PYTHON, "--out", tmp_path / "sets")
    assert locked.code == 0, locked
    (folder,) = (tmp_path / "sets").iterdir()
    for _ in range(2):
        result = envsolve("verify", folder, "--json", "--timeout", "900")
        assert result.code == 0, result
        doc = _json(result)
        assert doc["verdict"] == "verified", doc
        steps = _steps(doc)
        assert {f"{('tensorflow' if stack == 'tensorflow' else 'jax')}:{s}" for s in ("import", "version", "cpu")} \
            <= set(steps)
        with capsys.disabled():  # the figures, with `pytest -m online -s`
            print(f"\n{folder.name}: install {steps['install']['seconds']:.1f} s, smoke "
                  f"{sum(s['seconds'] for n, s in steps.items() if ':' in n):.1f} s, total {doc['seconds']:.1f} s")
