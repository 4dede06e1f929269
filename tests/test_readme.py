"""Every envsolve command the README shows runs, and exits as documented (no internal errors)."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest

README = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
COMMANDS = sorted({
    line.split("#")[0].strip()
    for block in re.findall(r"```\n(.*?)```", README, re.S)
    for line in block.splitlines()
    if line.strip().startswith("envsolve ") and "[" not in line and "|" not in line
})


def test_readme_opens_with_the_two_commands():
    first_block = re.search(r"```\n(.*?)```", README, re.S).group(1).splitlines()
    assert first_block == [
        'pip install -e ".[test]" && envsolve tensorflow+pytorch --gpu --os linux --python 3.12',
        "python -m pytest",
    ]


@pytest.mark.parametrize("command", COMMANDS)
def test_readme_command(command, envsolve, monkeypatch, tmp_path):
    args = shlex.split(command)[1:]
    if args[0] == "explore" or ("--out" in args and "--dry-run" not in args):
        monkeypatch.chdir(tmp_path)  # commands that write files write them here, not into the checkout
    if args[:2] == ["catalog", "sync"] and "--replay" not in args:
        pytest.skip("talks to PyPI (covered by the online test)")
    if args[0] == "verify" or "--verify" in args:
        pytest.skip("installs lock sets from PyPI (tests/test_verify.py uses local wheels; -m online real ones)")
    if args[:2] == ["catalog", "import-matrix"]:
        pytest.skip("needs local copies of PyTorch's release files (tests/test_release_files.py uses stand-ins)")
    result = envsolve(*args)
    assert result.code in (0, 1), result
    if args[0] not in ("catalog", "check", "doctor") and result.code == 1:
        assert "ways out" in result.out or "no working environment" in result.out
