"""YAML read with line numbers, so a validation error can point at the line a person edits.

PyYAML's composed node tree keeps the start mark of every node; a pydantic error location
(``("outcomes", 1, "thresholds", 0, "value")``) is walked down that tree to the deepest node
that exists, and its line is reported (1-based, as an editor shows it).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from evsynth.errors import InputError

M = TypeVar("M", bound=BaseModel)


def read_yaml(path: Path) -> tuple[Any, yaml.Node | None]:
    """Parse ``path`` safely; return the data and the composed node tree (for line numbers)."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise InputError("file not found", file=path) from exc
    except UnicodeDecodeError as exc:
        raise InputError(f"not UTF-8 text ({exc.reason})", file=path) from exc
    try:
        node, data = _parse(text)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        row = mark.line + 1 if mark is not None else None
        raise InputError(f"invalid YAML: {exc.problem}", file=path, row=row) from exc
    except yaml.YAMLError as exc:
        raise InputError(f"invalid YAML: {exc}", file=path) from exc
    return data, node


# libyaml's loader when PyYAML was built with it (several times faster); same safe constructors.
_Loader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _parse(text: str) -> tuple[yaml.Node | None, Any]:
    """Compose the node tree once and construct the data from it (safe constructors only)."""
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        data = loader.construct_document(node) if node is not None else None
    finally:
        loader.dispose()
    return node, data


def line_of(node: yaml.Node | None, loc: Sequence[int | str]) -> int | None:
    """Line (1-based) of the deepest node on the path ``loc`` that exists in the tree."""
    if node is None:
        return None
    line = node.start_mark.line + 1
    current: yaml.Node = node
    for key in loc:
        child: yaml.Node | None = None
        if isinstance(current, yaml.MappingNode):
            for k_node, v_node in current.value:
                if isinstance(k_node, yaml.ScalarNode) and k_node.value == str(key):
                    child = v_node
                    # A missing or wrong value is best located on its key's line.
                    line = k_node.start_mark.line + 1
                    break
        elif (
            isinstance(current, yaml.SequenceNode)
            and isinstance(key, int)
            and 0 <= key < len(current.value)
        ):
            child = current.value[key]
        if child is None:
            return line
        current = child
        line = current.start_mark.line + 1 if not isinstance(current, yaml.ScalarNode) else line
    return line


def error_message(error: Any) -> str:
    """A pydantic error's message without pydantic's "Value error, " prefix."""
    msg = str(error["msg"])
    return msg.removeprefix("Value error, ")


def field_path(loc: Sequence[int | str]) -> str:
    """``("outcomes", 1, "value")`` -> ``outcomes[1].value`` (the way a person reads it)."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + part
    return out


def validate_yaml(
    model: type[M],
    data: Any,
    node: yaml.Node | None,
    path: Path,
    *,
    prefix: Sequence[int | str] = (),
) -> M:
    """Validate ``data`` as ``model``; the first error becomes an InputError with file and line."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        loc = [*prefix, *first["loc"]]
        raise InputError(
            error_message(first), file=path, row=line_of(node, loc), column=field_path(loc) or None
        ) from exc
