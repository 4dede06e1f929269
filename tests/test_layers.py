"""The package's layering: catalog -> rules -> solver -> explain / report / emit -> cli.

Every import counts, including those inside functions (a lazy import is still a dependency).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).parent.parent / "resolver"

# Lowest first. A module may import from its own layer or a lower one, never a higher one.
LAYERS = [
    ("foundation", {"resolver", "resolver.compat", "resolver.errors", "resolver.platforms", "resolver.strictyaml", "resolver.writer",
                    "resolver.lockread", "resolver.inputs", "resolver.schema", "resolver.fatbin", "resolver.progress"}),
    ("catalog", {"resolver.catalog"}),
    ("rules", {"resolver.rules"}),  # and every resolver.rules.* module
    ("solver", {"resolver.project", "resolver.request", "resolver.candidates", "resolver.provider", "resolver.solver", "resolver.probe",
                "resolver.pypi", "resolver.simpleindex"}),
    ("consumers", {"resolver.kernel_harvest", "resolver.explain", "resolver.report", "resolver.lockset", "resolver.emit",
                   "resolver.closure", "resolver.check", "resolver.doctor", "resolver.matrix", "resolver.explore",
                   "resolver.explore_page", "resolver.lint", "resolver.show", "resolver.sync", "resolver.release_files",
                   "resolver.verify", "resolver.smoke"}),
    ("cli", {"resolver.cli", "resolver.__main__"}),
]


def _modules() -> dict[str, Path]:
    out = {}
    for path in PACKAGE.rglob("*.py"):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        out[name] = path
    return out


def _imports(name: str, path: Path, known: set[str]) -> set[str]:
    """Modules of the package that ``name`` imports anywhere in its file."""
    found = set()
    package = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        targets: list[str] = []
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - (node.level - 1)]
                prefix = ".".join(base + ([node.module] if node.module else []))
            else:
                prefix = node.module or ""
            targets = [prefix] + [f"{prefix}.{a.name}" for a in node.names]
        elif isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        found.update(t for t in targets if t in known and t != name)
    return found


def _layer(name: str) -> int:
    for i, (_, members) in enumerate(LAYERS):
        if name in members or (name.startswith("resolver.rules.") and "resolver.rules" in members):
            return i
    raise AssertionError(f"{name} is in no layer: add it to tests/test_layers.py")


MODULES = _modules()
GRAPH = {name: _imports(name, path, set(MODULES)) for name, path in MODULES.items()}


@pytest.mark.parametrize("name", sorted(MODULES))
def test_imports_point_down(name):
    upward = sorted(t for t in GRAPH[name] if _layer(t) > _layer(name))
    assert not upward, f"{name} ({LAYERS[_layer(name)][0]}) imports {upward} from a higher layer"


def test_no_import_cycles():
    state: dict[str, int] = {}  # 1 visiting, 2 done

    def visit(node: str, path: list[str]) -> None:
        state[node] = 1
        for nxt in sorted(GRAPH[node]):
            if state.get(nxt) == 1:
                raise AssertionError("import cycle: " + " -> ".join(path[path.index(nxt):] + [nxt]))
            if nxt not in state:
                visit(nxt, path + [nxt])
        state[node] = 2

    for name in sorted(GRAPH):
        if name not in state:
            visit(name, [name])


def test_only_the_cli_imports_click():
    users = sorted(name for name, path in MODULES.items()
                   if any(isinstance(n, (ast.Import, ast.ImportFrom)) and "click" in
                          ([a.name for a in n.names] if isinstance(n, ast.Import) else [n.module or ""])
                          for n in ast.walk(ast.parse(path.read_text(encoding="utf-8")))))
    assert users == ["resolver.cli"]


def test_the_rules_core_depends_on_the_catalog_only():
    for name, targets in GRAPH.items():
        if name == "resolver.rules" or name.startswith("resolver.rules."):
            outside = {t for t in targets if not t.startswith("resolver.rules")}
            assert outside <= {"resolver.catalog", "resolver.platforms", "resolver.errors"}, (name, outside)
