"""Reading YAML data files so that every error can name its file and line."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Dict, Type

import yaml


class YamlFileError(ValueError):
    """A data file that cannot be read or parsed; the message names file and line."""


class Node(dict):
    """A mapping that remembers its own line and the line of each of its keys."""

    line: int = 1
    key_lines: Dict[str, int]

    def line_of(self, key: str) -> int:
        return self.key_lines.get(key, self.line)


class _LineLoader(yaml.SafeLoader):
    """SafeLoader whose mappings are ``Node``s; a key given twice is an error."""


def _construct_mapping(loader: _LineLoader, node: yaml.MappingNode) -> Node:
    mapping = Node()
    mapping.line = node.start_mark.line + 1
    mapping.key_lines = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        if key in mapping:
            raise yaml.MarkedYAMLError(
                "while reading a mapping",
                node.start_mark,
                f"found the key '{key}' twice",
                key_node.start_mark,
            )
        mapping[key] = loader.construct_object(value_node, deep=True)
        mapping.key_lines[str(key)] = key_node.start_mark.line + 1
    return mapping


_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def read_text(path: Path, cannot: str, error: Type[Exception]) -> str:
    """The UTF-8 text of ``path``, or ``error`` naming the file and what is wrong (``cannot``: the verb)."""
    try:
        return path.read_text(encoding="utf-8")
    except OSError as e:
        raise error(f"{path}: {cannot}: {e.strerror}") from e
    except UnicodeDecodeError as e:
        raise error(f"{path}: not UTF-8 text ({e.reason} at byte {e.start})") from e


def read_yaml(path: Path) -> Any:
    """Parse ``path``; mappings come back as ``Node``s carrying line numbers."""
    text = read_text(path, "cannot read", YamlFileError)
    try:
        return yaml.load(text, Loader=_LineLoader)  # noqa: S506 - a SafeLoader subclass
    except yaml.MarkedYAMLError as e:
        mark = e.problem_mark or e.context_mark
        line = mark.line + 1 if mark else 1
        raise YamlFileError(f"{path}:{line}: not valid YAML: {e.problem}") from e
    except yaml.YAMLError as e:
        raise YamlFileError(f"{path}: not valid YAML: {e}") from e
