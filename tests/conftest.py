"""Shared fixtures: a private cache folder, a copy of the small test catalog, a CLI runner."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from resolver.cli import main

HERE = Path(__file__).parent
MINI = HERE / "fixtures" / "mini"


@pytest.fixture(autouse=True)
def _private_cache(tmp_path_factory, monkeypatch):
    monkeypatch.setenv("ENVSOLVE_CACHE_DIR", str(tmp_path_factory.getbasetemp() / "cache"))
    monkeypatch.delenv("ENVSOLVE_CATALOG_DIR", raising=False)


@pytest.fixture
def mini(tmp_path) -> Path:
    """A writable copy of tests/fixtures/mini."""
    dest = tmp_path / "catalogs"
    shutil.copytree(MINI, dest)
    return dest


class Result:
    def __init__(self, code: int, out: str, err: str):
        self.code, self.out, self.err = code, out, err

    def __repr__(self) -> str:
        return f"Result(code={self.code}, out={self.out[:300]!r}, err={self.err[:300]!r})"


@pytest.fixture
def envsolve(capsys):
    """Run the CLI in-process: envsolve("catalog", "lint") -> Result."""

    def run(*args: str) -> Result:
        capsys.readouterr()
        code = main([str(a) for a in args])
        captured = capsys.readouterr()
        return Result(code, captured.out, captured.err)

    return run
