"""The lockfile corpus (tests/corpus/): reductions of 41 real lockfiles from public repositories,
each with every finding a correct `envsolve check` reports on it (expected.yaml). A new false
finding or a lost true one fails here. See tests/corpus/README.md."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest
import yaml

CORPUS = Path(__file__).parent / "corpus"
CASES = yaml.safe_load((CORPUS / "expected.yaml").read_text())


def _found(report: dict, case_file: Path) -> Counter:
    """(kind, line, file) of every finding, the file relative to the case's folder."""
    out: Counter = Counter()
    for f in report["findings"]:
        where = Path(f["file"])
        name = None if where.resolve() == case_file.resolve() else where.name
        out[(f["kind"], f["line"], name)] += 1
    return out


@pytest.mark.parametrize("case", CASES, ids=[f"{c['id']}-{Path(c['file']).parent.name}" for c in CASES])
def test_the_checker_says_exactly_what_is_true(case, envsolve, monkeypatch):
    file = CORPUS / case["file"]
    monkeypatch.chdir(file.parent)
    result = envsolve("check", file.name, "--json")
    assert result.code == case["exit"], result
    if case["exit"] == 2:
        return
    report = json.loads(result.out)
    expected = Counter((f["kind"], f["line"], Path(f["file"]).name if f.get("file") else None) for f in case["findings"])
    assert _found(report, file) == expected, report["findings"]


def test_a_folder_run_reads_every_case_by_name_or_content(envsolve):
    """Discovery: every case file (cuda12-requirements.txt, constraints-dev.txt, gpu_requirements.txt,
    uv.lock, *.conda-lock.yml...) is checked when the corpus folder is named."""
    report = json.loads(envsolve("check", CORPUS, "--json").out)
    checked = {Path(v["file"]).resolve() for v in report["verdicts"]} | {Path(e["file"]).resolve() for e in report["errors"]}
    missing = [c["file"] for c in CASES if (CORPUS / c["file"]).resolve() not in checked]
    assert not missing, missing


def test_the_pre_commit_hook_matches_the_same_names():
    import re

    hook = yaml.safe_load((Path(__file__).parent.parent / ".pre-commit-hooks.yaml").read_text())[0]
    pattern = re.compile(hook["files"])
    named = [c["file"] for c in CASES if not pattern.search(c["file"])]
    # Files found by content alone are the hook's blind spot; none of the corpus's is.
    assert not named, named
