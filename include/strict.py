"""The strict pydantic base every config model uses, and the one way a ValidationError becomes a message.

A message names each problem's key path (`universe.exchanges[0].id`, `params.fast.low`), the bad value
and, for an unknown key, the keys that are valid there, so a user can fix the file from it alone.
"""
from __future__ import annotations

import types
import typing
from typing import Any, Union

from pydantic import BaseModel, ConfigDict, ValidationError


class Strict(BaseModel):
    """Unknown keys are errors, so a typo in a key never passes silently."""

    model_config = ConfigDict(extra="forbid", frozen=True)


def describe_validation_errors(exc: ValidationError, source: str | None = None,
                               model: type[BaseModel] | None = None) -> str:
    """All of exc's problems in one line, `source: ` first; `model` (the validated class) lets an
    unknown key list the valid ones."""
    text = "; ".join(describe_error(error, model) for error in exc.errors())
    return f"{source}: {text}" if source else text


def key_path(loc: tuple) -> str:
    """('universe', 'exchanges', 0, 'id') -> 'universe.exchanges[0].id' (a bad dict key is named by the key)."""
    return "".join(f"[{part}]" if isinstance(part, int) else f".{part}" for part in loc
                   if part != "[key]").lstrip(".")


def describe_error(error: dict, model: type[BaseModel] | None = None) -> str:
    loc = tuple(error["loc"])
    where = key_path(loc)
    kind = error["type"]
    if kind == "extra_forbidden":
        holder = _model_at(model, loc[:-1]) if model else None
        valid = f"; valid keys: {', '.join(holder.model_fields)}" if holder else " (check its spelling)"
        return f"{where}: unknown key{valid}"
    if kind == "missing":
        return f"{where}: required key is missing"
    if kind == "value_error":  # our own validators' messages name the bad value themselves
        message = str(error["ctx"]["error"])
        return f"{where}: {message}" if where else message
    return f"{where or '(top level)'}: {error['input']!r} is invalid: {error['msg']}"


def _model_at(model: Any, loc: tuple) -> type[BaseModel] | None:
    """The model class whose keys live at loc (list indexes and dict keys step into the element type)."""
    annotation = model
    for part in loc:
        annotation = _unwrap(annotation)
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            field = annotation.model_fields.get(part) if isinstance(part, str) else None
            if field is None:
                return None
            annotation = field.annotation
            continue
        origin, args = typing.get_origin(annotation), typing.get_args(annotation)
        if origin in (list, tuple, set, frozenset) and args:
            annotation = args[0]
        elif origin is dict and len(args) == 2:
            annotation = args[1]
        else:
            return None
    annotation = _unwrap(annotation)
    return annotation if isinstance(annotation, type) and issubclass(annotation, BaseModel) else None


def _unwrap(annotation: Any) -> Any:
    """Annotated[X, ...] -> X; X | None -> X (a union of several types stays as it is)."""
    while True:
        origin = typing.get_origin(annotation)
        if origin is typing.Annotated:
            annotation = typing.get_args(annotation)[0]
        elif origin in (Union, types.UnionType):
            kept = [arg for arg in typing.get_args(annotation) if arg is not type(None)]
            if len(kept) != 1:
                return annotation
            annotation = kept[0]
        else:
            return annotation
