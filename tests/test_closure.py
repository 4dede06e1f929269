"""The transitive closure through uv: uv's answer is merged, re-checked, and refused when it breaks
a rule. uv itself is replaced here by a stand-in that returns a recorded PEP 751 answer; the
online test runs the real uv against PyPI."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from resolver import closure

MINI = Path(__file__).parent / "fixtures" / "mini"
ARGS = ["--catalog-dir", MINI, "torch", "--cpu", "--os", "windows", "--python", "3.12"]
H = "c" * 64


def _answer(extra: str = "", torch: str = "2.8.0") -> str:
    wheel = "https://files.pythonhosted.org/packages/x/{name}-{version}-cp312-cp312-win_amd64.whl"
    def pkg(name, version):
        return (f'[[packages]]\nname = "{name}"\nversion = "{version}"\n'
                f'wheels = [{{ url = "{wheel.format(name=name, version=version)}", hashes = {{ sha256 = "{H}" }} }}]\n\n')
    return 'lock-version = "1.0"\ncreated-by = "uv"\n\n' + pkg("filelock", "3.20.0") + pkg("torch", torch) + \
        pkg("torchvision", "0.23.0") + extra


@pytest.fixture
def fake_uv(monkeypatch):
    seen = {}

    def install(answer: str, returncode: int = 0, stderr: str = ""):
        def run(args, cwd, timeout):
            import tomllib

            seen["args"] = args
            seen["project"] = tomllib.loads((cwd / "pyproject.toml").read_text())
            seen["inputs"] = seen["project"]["project"]["dependencies"]
            seen["constraints"] = (cwd / "constraints.txt").read_text()
            (cwd / "pylock.toml").write_text(answer)
            return subprocess.CompletedProcess(args, returncode, "", stderr)

        monkeypatch.setattr(closure, "run_uv", run)
        return seen

    return install


def test_the_closure_adds_dependencies_and_drops_the_second_install_step(tmp_path, envsolve, fake_uv):
    seen = fake_uv(_answer())
    result = envsolve(*ARGS, "--out", tmp_path)
    assert result.code == 0, result
    assert seen["inputs"] == ["torch==2.8.0", "torchvision==0.23.0"]
    assert "tool" not in seen["project"]  # nothing from a framework index: PyPI alone
    assert seen["args"][seen["args"].index("--python-platform") + 1] == "x86_64-pc-windows-msvc"
    assert "--no-config" in seen["args"] and "--extra-index-url" not in seen["args"]
    folder = tmp_path / "pytorch-cpu-windows-x86_64-py312"
    req = (folder / "requirements.txt").read_text()
    assert "filelock==3.20.0 \\\n    --hash=sha256:" + H in req
    assert "Lock: pins the full dependency closure." in req
    assert not (folder / "constraints.txt").exists()
    assert "constraints.txt" not in (folder / "install.ps1").read_text()
    meta = json.loads((folder / "envsolve.json").read_text())
    assert meta["lock"]["transitive"] is True and "filelock" in meta["lock"]["artifacts"]


def test_uv_moving_a_solved_pin_is_refused(tmp_path, envsolve, fake_uv):
    fake_uv(_answer(torch="2.4.1"))
    result = envsolve(*ARGS, "--out", tmp_path)
    assert result.code == 2
    assert "uv moved torch from the solved 2.8.0 to 2.4.1; refusing the lock" in result.err
    assert not list(tmp_path.rglob("*.txt"))


def test_two_cuda_majors_in_the_closure_are_refused(tmp_path, envsolve, fake_uv):
    extra = ("[[packages]]\nname = \"nvidia-nccl-cu11\"\nversion = \"2.20.5\"\nwheels = [{ url = "
             "\"https://files.pythonhosted.org/packages/x/nvidia_nccl_cu11-2.20.5-py3-none-win_amd64.whl\", "
             f"hashes = {{ sha256 = \"{H}\" }} }}]\n\n"
             "[[packages]]\nname = \"nvidia-nccl-cu12\"\nversion = \"2.27.3\"\nwheels = [{ url = "
             "\"https://files.pythonhosted.org/packages/x/nvidia_nccl_cu12-2.27.3-py3-none-win_amd64.whl\", "
             f"hashes = {{ sha256 = \"{H}\" }} }}]\n")
    fake_uv(_answer(extra))
    result = envsolve(*ARGS, "--out", tmp_path)
    assert result.code == 2 and "GPU libraries of two CUDA majors" in result.err


def test_an_unreachable_index_is_exit_3(tmp_path, envsolve, fake_uv):
    fake_uv("", returncode=2, stderr="error: Failed to fetch: `https://pypi.org/simple/torch/`\n  Caused by: dns error")
    result = envsolve(*ARGS, "--out", tmp_path)
    assert result.code == 3
    assert result.err == ("error: no lock set written: cannot reach https://pypi.org/simple (uv: dns error); check the "
                          "network or proxy, or pass --offline for a stack-level lock set from the catalog\n")
    assert not any(tmp_path.iterdir())


def test_framework_index_builds_are_pinned_to_their_index(tmp_path, envsolve, fake_uv):
    seen = fake_uv(_answer())
    envsolve("--catalog-dir", MINI, "torch", "--gpu", "--os", "linux", "--python", "3.12", "--cuda", "11.8",
             "--out", tmp_path)
    project = seen["project"]
    assert project["tool"]["uv"]["index"] == [{"name": "index-0", "url": "https://download.pytorch.org/whl/cu118",
                                               "explicit": True}]
    assert project["tool"]["uv"]["sources"] == {"torch": {"index": "index-0"}, "torchvision": {"index": "index-0"}}
    assert seen["args"][seen["args"].index("--index-url") + 1] == "https://pypi.org/simple"


def test_an_unreadable_uv_answer_is_an_error(tmp_path, envsolve, fake_uv):
    fake_uv("lock-version = \n")
    result = envsolve(*ARGS, "--out", tmp_path)
    assert result.code == 2 and "uv's lock cannot be read" in result.err


def _simple_index(folder: Path, wheels: Path) -> str:
    """A PEP 503 simple index in a folder, for uv's --index-url."""
    import shutil

    for wheel in wheels.glob("*.whl"):
        project = wheel.name.split("-")[0].replace("_", "-").lower()
        (folder / project).mkdir(parents=True, exist_ok=True)
        shutil.copy(wheel, folder / project / wheel.name)
        with open(folder / project / "index.html", "a") as fh:
            fh.write(f'<a href="{wheel.name}">{wheel.name}</a>\n')
    return folder.as_uri()


def test_real_uv_pins_framework_index_builds_to_their_index(tmp_path):
    """Hermetic: torch and torchvision come from the (local stand-in of the) PyTorch index, every
    other package from the PyPI stand-in, even where the framework index also has it."""
    from resolver import catalog, lockset, solver
    from resolver.request import Request, Target, parse_stack

    pt, pypi = tmp_path / "pt", tmp_path / "pypi"
    pt.mkdir()
    pypi.mkdir()
    tags = "cp312-cp312-manylinux_2_28_x86_64"
    _wheel(pt, "torch", "2.4.1+cu118", tags, ["filelock", "nvidia-cudnn-cu11==9.1.0.70", "nvidia-nccl-cu11==2.20.5"])
    _wheel(pt, "torchvision", "0.19.1+cu118", tags, ["torch==2.4.1"])
    _wheel(pt, "filelock", "3.0.0", "py3-none-any", [])  # the framework index mirrors an old filelock
    _wheel(pypi, "torch", "2.4.1", tags, ["filelock"])  # a PyPI torch that must not be taken
    _wheel(pypi, "filelock", "3.20.0", "py3-none-any", [])
    _wheel(pypi, "nvidia-cudnn-cu11", "9.1.0.70", "py3-none-manylinux_2_28_x86_64", [])
    _wheel(pypi, "nvidia-nccl-cu11", "2.20.5", "py3-none-manylinux_2_28_x86_64", [])
    cat = catalog.load(MINI, use_cache=False)
    request = Request(parse_stack(cat, "torch"), "cuda", None, "11.8")
    solution = solver.solve(cat, request, Target("linux", "x86_64", "3.12", (), None))
    stack = lockset.build(cat, solution, "envsolve torch --gpu --cuda 11.8", need_hashes=False)
    full = closure.close(cat, stack, index=("--index-url", _simple_index(tmp_path / "simple", pypi)),
                         remap={"https://download.pytorch.org/whl/cu118": (pt.as_uri(), "flat")})
    got = {p.name: (p.version, p.wheels[0].url.split("/")[-2]) for p in full.packages}
    assert got["torch"] == ("2.4.1+cu118", "pt") and got["torchvision"] == ("0.19.1+cu118", "pt")
    assert got["filelock"] == ("3.20.0", "filelock")  # from the PyPI stand-in, not the framework index
    assert {p.name: p.index for p in full.packages}["torch"] == "https://download.pytorch.org/whl/cu118"


@pytest.mark.online
def test_real_uv_locks_jax_for_linux_and_pip_accepts_it(tmp_path, envsolve):
    """Opt in: `pytest -m online`. Locks jax (CPU) against real PyPI with the real uv, then
    `pip install --dry-run --require-hashes` for that platform accepts the requirements file."""
    result = envsolve("jax", "--cpu", "--os", "linux", "--python", "3.12", "--out", tmp_path)
    assert result.code == 0, result
    req = next(tmp_path.rglob("requirements.txt"))
    assert "numpy==" in req.read_text()
    # pip matches --platform tags exactly, so name every manylinux level the wheels may carry; it
    # checks Requires-Python against the running interpreter, which is not the target here.
    platforms = [arg for n in (17, 27, 28) for arg in ("--platform", f"manylinux_2_{n}_x86_64")]
    pip = subprocess.run([sys.executable, "-m", "pip", "--isolated", "install", "--dry-run", "--ignore-requires-python",
                          "--require-hashes", "--no-deps", "--only-binary", ":all:", *platforms,
                          "--platform", "manylinux2014_x86_64", "--python-version", "3.12",
                          "--target", str(tmp_path / "t"), "--index-url", "https://pypi.org/simple", "--no-cache-dir",
                          "-r", str(req)], capture_output=True, text=True, timeout=900)
    assert pip.returncode == 0, pip.stdout[-2000:] + pip.stderr[-2000:]
    assert "Would install jax-" in pip.stdout


def _wheel(folder: Path, name: str, version: str, tags: str, requires: list[str]) -> None:
    import io
    import zipfile

    dist = name.replace("-", "_")
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        info = f"{dist}-{version}.dist-info"
        meta = ["Metadata-Version: 2.1", f"Name: {name}", f"Version: {version}"] + [f"Requires-Dist: {r}" for r in requires]
        for path, text in ((f"{info}/METADATA", "\n".join(meta) + "\n"),
                           (f"{info}/WHEEL", f"Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\nTag: {tags}\n"),
                           (f"{info}/RECORD", "")):
            zf.writestr(zipfile.ZipInfo(path, date_time=(2020, 1, 1, 0, 0, 0)), text)
    (folder / f"{dist}-{version}-{tags}.whl").write_bytes(buf.getvalue())


def test_real_uv_against_a_local_index(tmp_path):
    """Hermetic: the real uv resolves the closure from a folder of small wheels named like the real ones."""
    from resolver import catalog, lockset, solver
    from resolver.request import Request, Target, parse_stack

    wheels = tmp_path / "wheels"
    wheels.mkdir()
    _wheel(wheels, "torch", "2.8.0", "cp312-cp312-win_amd64", ["filelock", "typing-extensions>=4.10.0"])
    _wheel(wheels, "torch", "2.4.1", "cp312-cp312-win_amd64", ["filelock"])
    _wheel(wheels, "torchvision", "0.23.0", "cp312-cp312-win_amd64", ["torch==2.8.0", "numpy"])
    _wheel(wheels, "filelock", "3.20.0", "py3-none-any", [])
    _wheel(wheels, "typing-extensions", "4.15.0", "py3-none-any", [])
    _wheel(wheels, "numpy", "2.3.4", "cp312-cp312-win_amd64", [])
    cat = catalog.load(MINI, use_cache=False)
    request = Request(parse_stack(cat, "torch"), "cpu", None, None)
    solution = solver.solve(cat, request, Target("windows", "x86_64", "3.12", (), None))
    stack = lockset.build(cat, solution, "envsolve torch --cpu")
    full = closure.close(cat, stack, index=("--no-index", "--find-links", str(wheels)))
    assert full.transitive
    assert {(p.name, p.version, p.role) for p in full.packages} == {
        ("torch", "2.8.0", "framework"), ("torchvision", "0.23.0", "companion"),
        ("filelock", "3.20.0", "dependency"), ("typing-extensions", "4.15.0", "dependency"),
        ("numpy", "2.3.4", "dependency")}
    assert all(len(w.sha256) == 64 for p in full.packages for w in p.wheels)
