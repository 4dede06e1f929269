"""The installers' GPU and driver check gives the rules core's answer for every driver and GPU.

``install.sh``'s ``check_gpu`` is run for real (bash, a fake ``nvidia-smi``) over a grid of drivers
and compute capabilities, and each exit status is compared with
:func:`resolver.rules.driver.verdict` and the environment's kernel coverage. ``install.ps1`` cannot
run here (no PowerShell); it is generated from the same :class:`resolver.emit.GpuCheck` value, which
is compared with the manifest it ships beside.
"""

from __future__ import annotations

import itertools
import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from resolver import catalog, emit, lockset
from resolver.explain import answer
from resolver.request import parse_stack
from resolver.rules import driver
from resolver.rules.target import Request, Target
from resolver.solver import Solution

MINI = Path(__file__).parent / "fixtures" / "mini"
DRIVERS = ["450.80.02", "470.57.02", "520.61.05", "525.60.13", "535.104.05", "570.26", "570.86.15", "580.65.06"]
CCS = ["3.7", "7.0", "8.6", "8.9", "9.0", "10.0", "12.0", "12.1"]


def _lock(system_changes: dict | None = None) -> lockset.LockSet:
    cat = catalog.load(MINI)
    request = Request(parse_stack(cat, "torch"), "cuda", None, None)
    solution = answer(cat, request, Target("linux", "x86_64", "3.12", (), None))
    assert isinstance(solution, Solution)
    if system_changes:
        solution = solution._replace(system=solution.system._replace(**system_changes))
    return lockset.build(cat, solution, "envsolve torch --gpu", need_hashes=False)


def _check_gpu(tmp_path: Path, script: str, driver_version: str, ccs: list[str]) -> subprocess.CompletedProcess:
    fake = tmp_path / "bin"
    fake.mkdir(exist_ok=True)
    rows = "\\n".join(ccs)
    (fake / "nvidia-smi").write_text(
        "#!/bin/sh\ncase \"$1\" in --query-gpu=driver_version) echo " + driver_version
        + ";; *) printf '" + rows + "\\n';; esac\n")
    (fake / "nvidia-smi").chmod(0o755)
    body = tmp_path / "check.sh"
    body.write_text(script.rsplit('main "$@"', 1)[0] + "check_gpu\n")  # every function, then the check alone
    return subprocess.run(["bash", str(body)], capture_output=True, text=True,
                          env={**os.environ, "PATH": f"{fake}:/usr/bin:/bin"})


def _expected(check: emit.GpuCheck, have: str, ccs: list[str]) -> bool:
    if any(cc not in check.sass + check.ptx for cc in ccs):
        return False
    floor = driver.DriverFloor(check.family, check.full, check.compat)
    return driver.verdict(floor, have, needs_jit=any(cc in check.ptx for cc in ccs)).ok


@pytest.mark.skipif(shutil.which("bash") is None, reason="bash is needed")
@pytest.mark.parametrize("variant", ["as solved", "with PTX-only GPUs"])
def test_install_sh_agrees_with_the_rules(tmp_path, variant):
    changes = {"gpu_support": {"sass": ("7.0", "8.0", "8.6", "9.0"), "ptx": ("10.0", "12.0")}} if variant != "as solved" else None
    lock = _lock(changes)
    check = emit.gpu_check(lock)
    assert check is not None and check.full == "570.26" and check.compat == "525.60.13"
    script = emit.install_sh(lock, ["requirements.txt"])
    for have, ccs in itertools.product(DRIVERS, [[cc] for cc in CCS] + [["8.6", "12.0"], ["7.0", "9.0"]]):
        run = _check_gpu(tmp_path, script, have, ccs)
        assert (run.returncode == 0) is _expected(check, have, ccs), (have, ccs, run.stderr)


def test_both_installers_carry_the_floors_the_manifest_records(tmp_path, envsolve):
    """A Windows set solved through minor-version compatibility: install.ps1 accepts that driver."""
    out = tmp_path / "out"
    result = envsolve("--catalog-dir", MINI, "torch", "--gpu", "--os", "windows", "--python", "3.12", "--driver", "472.12",
                      "--out", out, "--offline", "--allow-unhashed", "torch", "--allow-unhashed", "torchvision")
    assert result.code == 0, result
    folder = out / "pytorch-cuda-windows-x86_64-py312"
    meta = json.loads((folder / "envsolve.json").read_text())
    assert meta["system"]["driver_relies_on"] == {"pytorch": "minor-version compatibility"}
    floor = meta["system"]["driver_min"]["windows"]
    ps1 = (folder / "install.ps1").read_text()
    assert f"$full = '{floor['full']}'" in ps1 and f"$compat = '{floor['minor_compat']}'" in ps1
    sass = ", ".join(f"'{cc}'" for cc in meta["system"]["gpu_support"]["sass"])
    assert f"$sass = @({sass})" in ps1
    # The check the script makes accepts 472.12 (>= the compat floor, no PTX-only GPU).
    check = driver.DriverFloor("windows", floor["full"], floor["minor_compat"])
    assert driver.verdict(check, "472.12").support is driver.Support.MINOR_COMPAT
    assert "if ($compat -and $driver -ge [version]$compat) {" in ps1 and "if (-not $jit) {" in ps1


@pytest.mark.parametrize("getconf, ok", [
    ("glibc 2.26", False),  # Amazon Linux 2
    ("glibc 2.28", True),
    ("glibc 2.35", True),
    ("", False),  # musl: getconf knows no GNU_LIBC_VERSION
])
def test_install_sh_checks_glibc_first(tmp_path, getconf, ok):
    """The locked wheels' highest manylinux tag (torch 2.8.0's manylinux_2_28 in the small catalog)
    against what ``getconf GNU_LIBC_VERSION`` says, before anything else runs."""
    lock = _lock()
    assert lock.glibc == "2.28"
    script = emit.install_sh(lock, ["requirements.txt"])
    assert script.index("  check_glibc\n") < script.index("  check_gpu\n")
    fake = tmp_path / "bin"
    fake.mkdir()
    (fake / "getconf").write_text("#!/bin/sh\n" + (f"echo '{getconf}'\n" if getconf else "exit 1\n"))
    (fake / "getconf").chmod(0o755)
    body = tmp_path / "check.sh"
    body.write_text(script.rsplit('main "$@"', 1)[0] + "check_glibc\n")
    run = subprocess.run(["bash", str(body)], capture_output=True, text=True,
                         env={**os.environ, "PATH": f"{fake}:/usr/bin:/bin"})
    assert (run.returncode == 0) is ok, run.stderr
    if not ok and getconf:
        assert "glibc 2.26 is older than 2.28, which the locked wheels need" in run.stderr
