"""config.example.toml documents every table and key of the schema, and nothing else.

The schema is read through its public models (mailflow.config.schema.ConfigFile and the
tables it holds); the example is read as a person reads it, commented-out lines
included, since a setting that is off is still documented by its commented line. A key
`NAME_env` counts as documented with `NAME`: the example says once, at its top, that
any value may come from the environment that way. A table whose keys are free (the
roles under [security.roles], an account's effort units) takes any key.
"""

from __future__ import annotations

import re
import types
import typing
from typing import Any

from pydantic import BaseModel

from mailflow.config.schema import ConfigFile
from tests.helpers import EXAMPLE_CONFIG

HEADER = re.compile(r"^#?\s*\[\[?([a-z_.]+)\]\]?\s*$")
# a key line, written or commented out, with a TOML value (not prose such as "x=pass")
KEY = re.compile(r'^#?\s*([a-z_]+)\s*=\s*(?:"|\[|\{|[-+]?\d|true\b|false\b)')


def _fields(model: Any) -> dict[str, Any]:
    """A table's fields, whether it is a pydantic model or a pydantic dataclass."""
    fields = model.model_fields if hasattr(model, "model_fields") else model.__pydantic_fields__
    return dict(fields)


def _is_table(annotation: Any) -> bool:
    return isinstance(annotation, type) and (
        issubclass(annotation, BaseModel) or hasattr(annotation, "__pydantic_fields__")
    )


def _inner(annotation: Any) -> tuple[Any, bool]:
    """The table a field holds (through Optional, list, Annotated), and whether it is a
    table with free keys (a dict)."""
    if _is_table(annotation):
        return annotation, False
    origin = typing.get_origin(annotation)
    if origin is dict:
        return None, True
    found: tuple[Any, bool] = (None, False)
    if origin in (list, typing.Union, types.UnionType, typing.Annotated):
        for arg in typing.get_args(annotation):
            model, free = _inner(arg)
            if model is not None or free:
                return model, free
    return found


def schema_keys(model: Any, prefix: str = "") -> tuple[set[str], set[str]]:
    """Every table and key path of the schema, and the paths of tables with free keys."""
    keys: set[str] = set()
    free: set[str] = set()
    for name, field in _fields(model).items():
        path = f"{prefix}{name}"
        keys.add(path)
        inner, is_free = _inner(field.annotation)
        if inner is not None:
            more, more_free = schema_keys(inner, f"{path}.")
            keys |= more
            free |= more_free
        elif is_free:
            free.add(path)
    return keys, free


def example_keys(text: str) -> set[str]:
    """Every table header and key the example shows, written or commented out."""
    section, out = "", set()
    for raw in text.splitlines():
        line = raw.strip()
        header = HEADER.match(line)
        if header:
            section = header.group(1)
            out.add(section)
            continue
        key = KEY.match(line)
        if key:
            out.add(f"{section}.{key.group(1)}" if section else key.group(1))
    return out


def _documented(key: str, shown: set[str]) -> bool:
    return key in shown or (key.endswith("_env") and key.removesuffix("_env") in shown)


def test_every_setting_of_the_schema_is_in_the_example():
    keys, _ = schema_keys(ConfigFile)
    shown = example_keys(EXAMPLE_CONFIG.read_text("utf-8"))
    missing = sorted(k for k in keys if not _documented(k, shown))
    assert not missing, f"config.example.toml does not document: {missing}"


def test_the_example_shows_no_setting_the_schema_does_not_know():
    keys, free = schema_keys(ConfigFile)
    shown = example_keys(EXAMPLE_CONFIG.read_text("utf-8"))
    unknown = sorted(
        k for k in shown if k not in keys and not any(k.startswith(f"{f}.") for f in free)
    )
    assert not unknown, f"config.example.toml shows settings the schema lacks: {unknown}"


def test_the_reading_of_the_example_sees_commented_tables_and_keys():
    shown = example_keys('[a]\nx = 1\n# y = 2\n# [b.c]\n# z = "q"\n# Prose: w = 3\n')
    assert shown == {"a", "a.x", "a.y", "b.c", "b.c.z"}
