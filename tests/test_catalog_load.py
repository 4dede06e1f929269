"""Loading catalogs: bad input gives one clear line per problem, with file, line and field path."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from resolver import catalog, strictyaml

CASES = yaml.safe_load((Path(__file__).parent / "cases" / "catalog_errors.yaml").read_text(encoding="utf-8"))


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_bad_catalog_input_is_one_clear_error(case, mini, envsolve, monkeypatch):
    target = mini / case["file"]
    target.write_text(case["text"], encoding="utf-8")
    monkeypatch.chdir(mini.parent)
    result = envsolve("--catalog-dir", mini, "catalog", "lint")
    assert result.code == 2, result
    expected = case["error"].replace("{file}", f"catalogs/{case['file']}")
    assert expected in result.err.splitlines(), result.err
    assert "Traceback" not in result.err


def test_every_problem_is_reported_in_one_run(mini, envsolve, monkeypatch):
    (mini / "gpus.yaml").write_text("schema: envsolve.catalog/1\nkind: gpus\ngpus:\n  - name: T4\n")
    (mini / "cuda.yaml").write_text("schema: envsolve.catalog/1\nkind: cuda\nmajors: []\ntoolkits: [{version: 12.1}]\n")
    monkeypatch.chdir(mini.parent)
    result = envsolve("--catalog-dir", mini, "catalog", "lint")
    assert result.code == 2
    lines = result.err.splitlines()
    assert "catalogs/gpus.yaml:4 gpus[T4]: missing required field 'compute_capability'" in lines
    assert any(line.startswith("catalogs/cuda.yaml:4 toolkits[0].version: expected a CUDA version") for line in lines)


def test_other_commands_refuse_a_broken_catalog_with_exit_2(mini, envsolve, monkeypatch):
    (mini / "gpus.yaml").write_bytes(b"\xff\xfe\x00k")
    monkeypatch.chdir(mini.parent)
    result = envsolve("--catalog-dir", mini, "catalog", "show", "torch")
    assert result.code == 2
    assert result.err == "error: catalogs/gpus.yaml: file is UTF-16; save it as UTF-8\n"


def test_missing_catalog_folder(tmp_path, envsolve):
    result = envsolve("--catalog-dir", tmp_path / "nope", "catalog", "show", "torch")
    assert result.code == 2
    assert "catalog folder not found" in result.err


def test_versions_stay_strings(mini):
    cat = catalog.load(mini, use_cache=False)
    assert "12.8" in cat.toolkits and cat.toolkits["12.8"].driver_min["linux"] == "570.26"


def test_variants_from_copies_and_overrides(mini):
    cat = catalog.load(mini, use_cache=False)
    torch = cat.framework("torch")
    assert [v.name for v in torch.release("2.4.1").variants] == ["cu124", "cu118", "cpu"]
    assert torch.release("2.4.1").variant("cu118").index == "https://download.pytorch.org/whl/cu118"


def test_cache_is_used_and_invalidated_by_a_file_change(mini, tmp_path, monkeypatch):
    monkeypatch.setenv("ENVSOLVE_CACHE_DIR", str(tmp_path / "c"))
    first = catalog.load(mini)
    assert list((tmp_path / "c").glob("catalog-*.pickle"))
    assert catalog.load(mini).digest == first.digest
    text = (mini / "gpus.yaml").read_text()
    (mini / "gpus.yaml").write_text(text.replace("aliases: [K80]", "aliases: [K80, Tesla K80 (test)]"))
    again = catalog.load(mini)
    assert again.digest != first.digest
    assert "Tesla K80 (test)" in again.gpus[0].aliases


def test_unwritable_cache_only_costs_time(mini, tmp_path, monkeypatch):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    monkeypatch.setenv("ENVSOLVE_CACHE_DIR", str(blocker / "sub"))
    assert catalog.load(mini).toolkits


def test_digest_ignores_the_working_folder(mini, monkeypatch, tmp_path):
    a = catalog.load(mini, use_cache=False).digest
    monkeypatch.chdir(tmp_path)
    assert catalog.load(mini, use_cache=False).digest == a


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.one_of(st.binary(max_size=300), st.text(max_size=300).map(lambda t: t.encode("utf-8", "surrogatepass"))))
def test_any_bytes_give_a_catalog_or_a_catalog_error(mini, data):
    (mini / "os.yaml").write_bytes(data)
    try:
        catalog.load(mini, use_cache=False)
    except catalog.CatalogError as exc:
        assert exc.diagnostics and all(d.message for d in exc.diagnostics)


_scalar = st.one_of(st.text(max_size=8), st.integers(), st.floats(allow_nan=False), st.booleans(), st.none())
_tree = st.recursive(_scalar, lambda c: st.lists(c, max_size=4) | st.dictionaries(st.text(max_size=6), c, max_size=4), max_leaves=20)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.sampled_from(["cuda", "gpus", "os", "framework", "pypi"]), st.dictionaries(st.text(max_size=12), _tree, max_size=6))
def test_any_yaml_shape_gives_a_catalog_or_a_catalog_error(mini, kind, body):
    doc = {"schema": "envsolve.catalog/1", "kind": kind, **body}
    (mini / "cuda.yaml" if kind == "cuda" else mini / "extra.yaml").write_text(yaml.safe_dump(doc))
    try:
        catalog.load(mini, use_cache=False)
    except catalog.CatalogError as exc:
        assert exc.diagnostics


@given(st.integers(0, 99), st.integers(0, 99))
def test_x_y0_versions_are_kept_exactly(major, minor):
    text = f'v: "{major}.{minor}0"\n'
    assert strictyaml.load(text).data["v"].text == f"{major}.{minor}0"


def test_deep_nesting_is_refused_quickly():
    with pytest.raises(strictyaml.YamlError, match="nesting"):
        strictyaml.load("a: " + "[" * 5000 + "]" * 5000)


def test_a_missing_catalog_file_is_named(mini, envsolve, monkeypatch):
    (mini / "gpus.yaml").unlink()
    monkeypatch.chdir(mini.parent)
    result = envsolve("--catalog-dir", mini, "catalog", "lint")
    assert result.code == 2
    assert "catalogs/gpus.yaml: expected exactly one file of kind 'gpus', found 0" in result.err.splitlines()


@pytest.mark.parametrize("name", ["cuda.yaml", "torch.yaml", "pypi/torch.yaml"])
def test_truncated_catalog_files_give_clean_errors(mini, name):
    """Truncation sweep: a catalog file cut at any of ~60 offsets loads or fails with diagnostics."""
    path = mini / name
    blob = path.read_bytes()
    offsets = sorted({*range(0, len(blob), max(1, len(blob) // 50)), *(i for i, b in enumerate(blob) if b == 10)})[:120]
    for offset in offsets:
        path.write_bytes(blob[:offset])
        try:
            catalog.load(mini, use_cache=False)
        except catalog.CatalogError as exc:
            assert exc.diagnostics and all(d.file.endswith(name) or d.file.endswith(".yaml") for d in exc.diagnostics)
    path.write_bytes(blob)


@given(st.text(max_size=60))
def test_every_accepted_url_is_plain_https(text):
    from resolver.schema import url_error

    if url_error(text) is None:
        import urllib.parse

        parts = urllib.parse.urlsplit(text)
        assert parts.scheme == "https" and not parts.username and not parts.password
        assert text.isascii() and not any(ch.isspace() or ord(ch) < 32 for ch in text)
        assert urllib.parse.urlunsplit(parts) == text
