"""A parsed file checked against the schema, table by table: every problem with its key.

Each table is validated on its own, so that a mistake in one still lets the others be read
and their meaning checked (mailflow.config.meaning): one run of `mailflow check` lists
every problem. An unknown table or key is named with the nearest known one.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache
from typing import Any, get_args

from pydantic import BaseModel, TypeAdapter, ValidationError
from pydantic.dataclasses import is_pydantic_dataclass, rebuild_dataclass

from mailflow.config.known import Known, did_you_mean
from mailflow.config.schema import ConfigFile

Problem = tuple[str, str]
"""The key as written in the file (`people[2].email`, `[deamon]`) and what is wrong."""

_NOT_A_TABLE = {"model_type", "dict_type", "dataclass_type", "model_attributes_type"}
_UNKNOWN = {"extra_forbidden", "unexpected_keyword_argument"}


def check_tables(
    data: dict[str, Any], known: Known, names: Iterable[str] | None = None
) -> tuple[dict[str, Any], list[Problem]]:
    """The tables that are right, by name, and the problems of the others: of every table
    and of the file's unknown ones, or of the tables named alone."""
    fields = ConfigFile.model_fields
    problems = unknown_tables(data) if names is None else []
    tables: dict[str, Any] = {}
    for name in fields if names is None else names:
        field = fields[name]
        if name not in data and not field.is_required():
            tables[name] = field.get_default(call_default_factory=True)
            continue
        try:
            tables[name] = _adapter(name).validate_python(
                data.get(name, {}), context={"known": known}
            )
        except ValidationError as exc:
            problems += _problems(data, (name,), exc)
    return tables, problems


def unknown_tables(data: dict[str, Any]) -> list[Problem]:
    """The tables of the file the schema does not know, each with the nearest known one."""
    return [_unknown(data, (name,)) for name in data if name not in ConfigFile.model_fields]


@cache
def _adapter(name: str) -> TypeAdapter[Any]:
    """The table's validator. Its model is built here, on the table's first use (the models
    defer it): the tables a command never reads cost it nothing."""
    annotation: Any = ConfigFile.model_fields[name].annotation
    model = _model_in(annotation)
    if is_pydantic_dataclass(model):
        rebuild_dataclass(model)
    elif model is not None:
        model.model_rebuild()
    return TypeAdapter(annotation)


def _problems(data: dict[str, Any], prefix: tuple[str], exc: ValidationError) -> list[Problem]:
    out: dict[str, str] = {}
    for error in exc.errors():
        loc = _written(data, prefix + tuple(error["loc"]))
        kind = error["type"]
        if kind in _UNKNOWN:
            key, message = _unknown(data, loc)
        else:
            key, message = _key(loc), _message(kind, error)
        out.setdefault(key, message)
    return list(out.items())


def _message(kind: str, error: Any) -> str:
    got = error.get("input")
    if kind == "value_error":
        return str(error["ctx"]["error"])
    if kind in _NOT_A_TABLE:
        return f"is {got!r}; expected a table"
    if kind == "missing":
        return "is missing"
    shown = "" if isinstance(got, dict | list) else f"is {got!r}; "
    text = str(error["msg"])
    return f"{shown}expected: {text[0].lower()}{text[1:]}"


def _written(data: Any, loc: tuple[Any, ...]) -> tuple[str | int, ...]:
    """The path of keys as in the file, without pydantic's marks for union branches."""
    out: list[str | int] = []
    here = data
    for part in loc:
        if part == "[key]" or (here is not None and not isinstance(here, dict | list)):
            break
        if isinstance(here, list) and not isinstance(part, int):
            continue
        out.append(part)
        here = here.get(part) if isinstance(here, dict) else here[part] if here else None
    return tuple(out)


def _key(loc: tuple[str | int, ...]) -> str:
    key = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in loc)
    return key.lstrip(".")


def _unknown(data: dict[str, Any], loc: tuple[Any, ...]) -> Problem:
    """An unknown table or key, with the nearest known one of its place."""
    model = _model_at(loc[:-1])
    fields = _fields(model) if model else {}
    here = _key(loc[:-1])
    parent = f"{here}." if here else ""

    def shown(name: str) -> str:
        return f"[{parent}{name}]" if _is_table(fields[name].annotation) else f"{parent}{name}"

    near = did_you_mean(str(loc[-1]), fields, shown)
    if isinstance(_value_at(data, loc), dict):
        return f"[{_key(loc)}]", f"is not a known table{near}"
    return _key(loc), f"is not a known setting{near}"


def _value_at(data: Any, loc: tuple[Any, ...]) -> Any:
    for part in loc:
        data = data[part]
    return data


def _model_at(loc: tuple[Any, ...]) -> Any:
    model: Any = ConfigFile
    for part in loc:
        if isinstance(part, int):
            continue
        field = _fields(model).get(part)
        model = _model_in(field.annotation) if field else None
        if model is None:
            return None
    return model


def _fields(model: Any) -> dict[str, Any]:
    if isinstance(model, type) and issubclass(model, BaseModel):
        return dict(model.model_fields)
    return dict(getattr(model, "__pydantic_fields__", {}))


def _model_in(annotation: Any) -> Any:
    if isinstance(annotation, type) and (
        issubclass(annotation, BaseModel) or is_pydantic_dataclass(annotation)
    ):
        return annotation
    return next((m for a in get_args(annotation) if (m := _model_in(a))), None)


def _is_table(annotation: Any) -> bool:
    """A table of its own in TOML ([daemon], [security.roles]), not an array of tables."""
    origin = getattr(annotation, "__origin__", None)
    return origin is dict or (origin is not list and _model_in(annotation) is not None)
