"""A strict YAML reader for catalogs: plain data, with the line of every value.

PyYAML's ``safe_load`` silently keeps the last of two duplicate keys, turns ``12.10`` into the
float ``12.1`` and expands aliases without limit. This module composes the YAML node graph with
the (C, if available) safe composer, then converts it itself, so that it can

- reject duplicate keys, non-standard tags (``!!python/...``), aliases (so no alias bomb) and
  nesting past a depth limit;
- keep the YAML type of every scalar (quoted string, int, float, bool, null), so that the schema
  can refuse a number where a version belongs;
- record the line of every value, addressed by its field path, for error messages.

Nothing here knows about catalogs; :func:`load` returns a :class:`Document` or raises
:class:`YamlError`.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import yaml

try:  # libyaml makes composing ~10x faster; fall back to pure Python where it is missing
    from yaml import CSafeLoader as _Loader
except ImportError:  # pragma: no cover - depends on how PyYAML was built
    from yaml import SafeLoader as _Loader  # type: ignore[assignment]

MAX_DEPTH = 64
MAX_BYTES = 64 * 1024 * 1024

_STR = "tag:yaml.org,2002:str"
_SCALAR_TAGS = {
    _STR: "string",
    "tag:yaml.org,2002:int": "integer",
    "tag:yaml.org,2002:float": "number",
    "tag:yaml.org,2002:bool": "boolean",
    "tag:yaml.org,2002:null": "null",
    "tag:yaml.org,2002:timestamp": "timestamp",
}
_MAP = "tag:yaml.org,2002:map"
_SEQ = "tag:yaml.org,2002:seq"


class YamlError(Exception):
    """The text is not YAML this reader accepts. ``line`` is 1-based, or None."""

    def __init__(self, message: str, line: int | None = None, column: int | None = None):
        super().__init__(message)
        self.message = message
        self.line = line
        self.column = column


@dataclasses.dataclass(frozen=True)
class Scalar:
    """A scalar as written: its text, and its YAML type (``string``, ``integer``...)."""

    text: str
    yaml_type: str
    quoted: bool

    def value(self) -> Any:
        """The value PyYAML would give (used only for non-string scalars)."""
        return yaml.safe_load(self.text) if self.yaml_type != "string" else self.text


@dataclasses.dataclass
class Document:
    """Converted data: dicts, lists and :class:`Scalar` leaves, plus a line for each path."""

    data: Any
    lines: dict[tuple, int]

    def line_of(self, path: tuple) -> int | None:
        """The line of ``path``, or of its nearest parent that has one."""
        while path:
            if path in self.lines:
                return self.lines[path]
            path = path[:-1]
        return self.lines.get(())


def _mark(node) -> tuple[int, int]:
    return node.start_mark.line + 1, node.start_mark.column + 1


def load(text: str | bytes) -> Document:
    """Parse one YAML document strictly. Raises :class:`YamlError` with a line where known."""
    if isinstance(text, bytes):
        if len(text) > MAX_BYTES:
            raise YamlError(f"file is larger than {MAX_BYTES // (1024 * 1024)} MiB")
        if text.startswith((b"\xff\xfe", b"\xfe\xff")):
            raise YamlError("file is UTF-16; save it as UTF-8")
        try:
            decoded = text.decode("utf-8")
        except UnicodeDecodeError as exc:
            line = text[: exc.start].count(b"\n") + 1
            raise YamlError(f"not UTF-8 (byte 0x{text[exc.start]:02x})", line) from None
        text = decoded
    text = text.removeprefix("\ufeff")
    if "\x00" in text:
        raise YamlError("file contains a NUL byte", text[: text.index("\x00")].count("\n") + 1)
    for number, raw in enumerate(text.splitlines(), 1):
        if raw.startswith(("<<<<<<< ", ">>>>>>> ")) or raw == "=======":
            raise YamlError("unresolved git merge conflict marker", number)
    try:
        node = yaml.compose(text, Loader=_Loader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        problem = exc.problem or exc.context or "invalid YAML"
        if mark is not None and text[mark.index : mark.index + 1] == "\t" or "\\t" in problem:
            problem = "tab character in indentation (YAML needs spaces)"
        raise YamlError(
            f"YAML syntax error: {problem}",
            mark.line + 1 if mark else None,
            mark.column + 1 if mark else None,
        ) from None
    except yaml.YAMLError as exc:
        raise YamlError(f"YAML error: {exc}") from None
    if node is None:
        raise YamlError("file is empty")
    lines: dict[tuple, int] = {}
    data = _convert(node, (), lines, 0, set())
    return Document(data, lines)


def _convert(node, path: tuple, lines: dict, depth: int, seen: set) -> Any:
    line, column = _mark(node)
    if depth > MAX_DEPTH:
        raise YamlError(f"nesting deeper than {MAX_DEPTH} levels", line, column)
    if not isinstance(node, yaml.ScalarNode):
        # The composer hands back the anchored node itself for every alias. Aliases are refused
        # outright: catalogs share data with `variants_from`, and an alias bomb costs nothing.
        if id(node) in seen:
            raise YamlError(f"aliases are not allowed (anchor defined at line {line})", line, column)
        seen.add(id(node))
    lines.setdefault(path, line)
    if isinstance(node, yaml.ScalarNode):
        kind = _SCALAR_TAGS.get(node.tag)
        if kind is None:
            raise YamlError(f"tag {node.tag!r} is not allowed", line, column)
        return Scalar(node.value, kind, node.style in ("'", '"'))
    if isinstance(node, yaml.SequenceNode):
        if node.tag != _SEQ:
            raise YamlError(f"tag {node.tag!r} is not allowed", line, column)
        return [
            _convert(item, path + (i,), lines, depth + 1, seen)
            for i, item in enumerate(node.value)
        ]
    if isinstance(node, yaml.MappingNode):
        if node.tag != _MAP:
            raise YamlError(f"tag {node.tag!r} is not allowed", line, column)
        out: dict[str, Any] = {}
        for key_node, value_node in node.value:
            key_line, key_col = _mark(key_node)
            if key_node.tag == "tag:yaml.org,2002:merge":
                raise YamlError("merge keys ('<<') are not allowed", key_line, key_col)
            if not isinstance(key_node, yaml.ScalarNode):
                raise YamlError("mapping keys must be plain strings", key_line, key_col)
            key = key_node.value
            if key in out:
                raise YamlError(f"duplicate key {key!r}", key_line, key_col)
            lines[path + (key,)] = key_line
            out[key] = _convert(value_node, path + (key,), lines, depth + 1, seen)
        return out
    raise YamlError("unsupported YAML node", line, column)  # pragma: no cover
