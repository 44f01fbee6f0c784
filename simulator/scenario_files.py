"""Reading scenario and sweep-spec files: TOML, YAML or JSON into a plain mapping.

Every problem is one line naming the file: a folder or unreadable path, bytes that are not
UTF-8 text, a syntax error with its line and column, or a key given twice (TOML refuses
that itself; YAML and JSON would silently keep the last value, so they are refused here).
The format follows the suffix (``.toml``, ``.yaml``/``.yml``, ``.json``); any other suffix is
read as JSON when the text starts with ``{`` and as TOML otherwise.
"""

from __future__ import annotations

import json
import tomllib
from pathlib import Path
from typing import Any

import yaml

from simulator.errors import GridShiftError


class _UniqueKeyLoader(yaml.SafeLoader):
    """A safe YAML loader that refuses a key given twice in one mapping."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict:
        seen: set[Any] = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    None, None, f"key '{key}' given twice", key_node.start_mark)
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


def _unique_pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise ValueError(f"key '{key}' given twice")
        out[key] = value
    return out


def file_format(path: Path, text: str) -> str:
    """``toml``, ``yaml`` or ``json`` by the file's suffix (or its first character)."""
    suffix = path.suffix.lower()
    if suffix in (".yaml", ".yml"):
        return "yaml"
    if suffix in (".json", ".toml"):
        return suffix[1:]
    return "json" if text.lstrip().startswith("{") else "toml"


def parse_text(text: str, fmt: str, where: str, error: type[GridShiftError]) -> Any:
    """Parse ``text`` as ``fmt``; syntax errors raise ``error`` with the line and column."""
    try:
        if fmt == "yaml":
            return yaml.load(text, Loader=_UniqueKeyLoader)  # noqa: S506 - a SafeLoader
        if fmt == "json":
            return json.loads(text, object_pairs_hook=_unique_pairs)
        return tomllib.loads(text)
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        at = f" at line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
        problem = getattr(err, "problem", None) or str(err).splitlines()[0]
        raise error(f"{where}: not valid YAML{at}: {problem}") from None
    except json.JSONDecodeError as err:
        raise error(f"{where}: not valid JSON at line {err.lineno}, column {err.colno}: "
                    f"{err.msg}") from None
    except tomllib.TOMLDecodeError as err:
        raise error(f"{where}: not valid TOML: {str(err).splitlines()[0]}") from None
    except (ValueError, RecursionError) as err:  # a duplicate JSON key, absurd nesting
        raise error(f"{where}: not valid {fmt.upper()}: {str(err)[:200]}") from None


def load_mapping(path: Path, what: str, error: type[GridShiftError]) -> dict[str, Any]:
    """The top-level table of a TOML/YAML/JSON file; every failure is one ``error`` line."""
    where = f"{what} '{path}'"
    if path.is_dir():
        raise error(f"{where}: is a folder, not a {what} file")
    try:
        raw = path.read_bytes()
    except OSError as err:
        raise error(f"{where}: cannot read: {err.strerror or err}") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as err:
        raise error(f"{where}: not UTF-8 text (byte {err.start} is {raw[err.start]:#04x}); "
                    f"is this really a {what} file?") from None
    if "\x00" in text:
        raise error(f"{where}: contains NUL bytes; is this really a {what} file?")
    data = parse_text(text, file_format(path, text), where, error)
    if not isinstance(data, dict):
        raise error(f"{where}: top level must be a table of {what} fields")
    return data
