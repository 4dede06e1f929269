"""The command line as people and scripts use it: help, version, exit codes, errors."""

from __future__ import annotations

import json

import pytest

from resolver import __version__, cli, explain


def test_version(envsolve):
    result = envsolve("--version")
    assert result.code == 0 and result.out.strip() == f"envsolve, version {__version__}"


def test_help_shows_examples_and_exit_codes(envsolve):
    result = envsolve("--help")
    assert result.code == 0
    assert "envsolve tensorflow+pytorch --gpu" in result.out
    assert "Exit codes: 0 ok, 1 findings, 2 bad input, 3 network failure, 70 internal error." in " ".join(result.out.split())


def test_solve_help(envsolve):
    result = envsolve("solve", "--help")
    assert result.code == 0 and "--gpu-model" in result.out and "--driver" in result.out


def test_unknown_option_is_a_usage_error(envsolve):
    result = envsolve("torch", "--gpus")
    assert result.code == 2 and "No such option '--gpus'" in result.err and "--gpu" in result.err


def test_conflicting_accelerators(envsolve):
    result = envsolve("torch", "--rocm", "--gpu", "--os", "linux")
    assert result.code == 2 and result.err.strip() == "error: --rocm cannot be combined with --gpu or --cpu"


def test_show_json(envsolve):
    result = envsolve("catalog", "show", "torch==2.8.0", "--json")
    facts = json.loads(result.out)
    assert result.code == 0 and facts["version"] == "2.8.0"
    cu128 = next(v for v in facts["variants"] if v["name"] == "cu128")
    assert cu128["cuda"] == "12.8" and cu128["index"] == "pypi"
    assert cu128["driver_min"]["linux"] == {"full": "570.26", "minor_compat": "525.60.13"}


def test_show_unknown_framework(envsolve):
    result = envsolve("catalog", "show", "tensorflw")
    assert result.code == 2 and result.err.strip() == "error: unknown framework 'tensorflw'; did you mean 'tensorflow'?"


def test_lint_json_on_the_shipped_catalog(envsolve):
    result = envsolve("catalog", "lint", "--json")
    report = json.loads(result.out)
    assert result.code == 0 and report["errors"] == 0


def test_an_internal_error_is_one_line_and_exit_70(envsolve, monkeypatch):
    def boom(*args, **kwargs):
        raise RuntimeError("simulated bug")

    monkeypatch.setattr(explain, "answer", boom)
    result = envsolve("torch", "--cpu", "--os", "linux", "--python", "3.12")
    assert result.code == 70
    assert result.err == "envsolve: internal error: RuntimeError: simulated bug (rerun with --debug for a traceback)\n"
    with pytest.raises(RuntimeError):
        cli.main(["--debug", "torch", "--cpu", "--os", "linux", "--python", "3.12"])


def test_json_conflict_still_exits_1(envsolve):
    result = envsolve("torch==2.0.*", "--gpu", "--os", "linux", "--python", "3.11", "--gpu-model", "sm_120", "--json")
    assert result.code == 1 and json.loads(result.out)["status"] == "conflict"
