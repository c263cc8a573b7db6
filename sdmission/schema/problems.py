"""The one converter from pydantic validation errors to located :class:`~sdmission.errors.Problem`.

Every schema block (scenario files, the target registry, ``uncertainties:``, ``optimise:``) is
validated by pydantic; this module turns each error into one problem with file, line, key path,
what was given, what is allowed and a 'did you mean'. The allowed keys of a mapping are read from
the schema itself (:func:`keys_at`), so a new field needs no change here.
"""

from __future__ import annotations

import types
import typing
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Annotated, Any

from pydantic import BaseModel, Tag, ValidationError
from pydantic_core import ErrorDetails

from sdmission.errors import Problem
from sdmission.messages import did_you_mean, fmt, show, type_name
from sdmission.schema.scenario import PATH_TAGS, allowed_keys
from sdmission.yamlio import KeyPath

LineOf = Callable[[KeyPath], "int | None"]
AllowedFor = Callable[[KeyPath], list[str]]

_PATH_FORMS = "a number, {value: …}, {knots: …}, {ramp: …} or {element: path}"
_NAME_RULE = "letters, digits, '_', '.', '-' (starting with a letter or digit)"


# --- the allowed keys of the mapping at a pydantic ``loc`` ------------------------------------
def _tagged(member: Any, tag: str) -> bool:
    """Whether a union member is ``Annotated[..., Tag(tag)]``."""
    if typing.get_origin(member) is not Annotated:
        return False
    return any(isinstance(m, Tag) and m.tag == tag for m in member.__metadata__)


def _strip(tp: Any) -> Any:
    while typing.get_origin(tp) is Annotated:
        tp = typing.get_args(tp)[0]
    return tp


def _union_step(tp: Any, item: Any) -> tuple[Any, bool]:
    """``(member, consumed)``: the member a union tag names, else its single non-None member."""
    members = typing.get_args(tp)
    for m in members:
        if isinstance(item, str) and _tagged(m, item):
            return m, True
    rest = [m for m in members if m is not type(None)]
    return (rest[0], False) if len(rest) == 1 else (None, False)


def _step(tp: Any, item: Any) -> Any:
    """The type found one ``loc`` item below ``tp`` (None when it cannot be told)."""
    while True:
        tp = _strip(tp)
        origin = typing.get_origin(tp)
        if origin in (typing.Union, types.UnionType):
            tp, consumed = _union_step(tp, item)
            if tp is None or consumed:
                return tp
            continue
        break
    if isinstance(tp, type) and issubclass(tp, BaseModel):
        for name, f in tp.model_fields.items():
            if item in (name, f.alias):
                return f.annotation
        return None
    args = typing.get_args(tp)
    if origin is dict and len(args) == 2:
        return args[1]
    if origin in (tuple, list) and args and isinstance(item, int):
        if origin is list or (len(args) == 2 and args[1] is Ellipsis):
            return args[0]
        return args[item] if item < len(args) else None
    return None


def keys_at(model: type[BaseModel], loc: Sequence[Any]) -> list[str]:
    """Keys allowed in the mapping at ``loc`` (a pydantic error location) below ``model``."""
    tp: Any = model
    for item in loc:
        if item == "[key]":
            continue
        tp = _step(tp, item)
        if tp is None:
            return []
    tp = _strip(tp)
    if typing.get_origin(tp) in (typing.Union, types.UnionType):
        tp, _ = _union_step(tp, None)
        tp = _strip(tp)
    return allowed_keys(tp) if isinstance(tp, type) and issubclass(tp, BaseModel) else []


# --- location ---------------------------------------------------------------------------------
def data_path(data: Any, loc: KeyPath) -> KeyPath:
    """Map a pydantic ``loc`` onto the key path in the YAML data (dropping union tags)."""
    out: list[Any] = []
    node = data
    for item in loc:
        if item == "[key]":
            continue
        if isinstance(node, dict) and item in node:
            out.append(item)
            node = node[item]
        elif isinstance(node, dict) and isinstance(item, str):
            # a number-like key that pydantic turned into str, or a tag/unknown name
            match = next((k for k in node if str(k) == item), None)
            if match is not None and item not in PATH_TAGS:
                out.append(match)
                node = node[match]
            elif item not in PATH_TAGS:
                out.append(item)
                node = None
        elif isinstance(node, list) and isinstance(item, int) and 0 <= item < len(node):
            out.append(item)
            node = node[item]
        elif item not in PATH_TAGS:
            out.append(item)
            node = None
    return tuple(out)


def dotted(keypath: KeyPath) -> str:
    """``a.b.0.c``."""
    return ".".join(str(k) for k in keypath)


def bracketed(keypath: KeyPath) -> str:
    """``a.b[0].c``."""
    out = ""
    for part in keypath:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


# --- messages ---------------------------------------------------------------------------------
def _typed(given: Any) -> str:
    return f"{show(given)} ({type_name(given)})"


def _literal(err: ErrorDetails, given: Any) -> str:
    expected = str(err.get("ctx", {}).get("expected", ""))
    choices = [c.strip(" '") for c in expected.replace(" or ", ",").split(",") if c.strip()]
    return fmt("not allowed", given=show(given), allowed=expected,
               suggestion=did_you_mean(str(given), choices))


def _number(kind: str, given: Any) -> str:
    what = "a finite number" if kind == "finite_number" else "a number"
    return fmt("wrong type", given=_typed(given), allowed=what)


_BOUND_WORDS = {"greater_than": "more than", "greater_than_equal": "at least",
                "less_than": "less than", "less_than_equal": "at most"}


def _bound(err: ErrorDetails, given: Any) -> str:
    """``out of range (given 2500; allowed: at most 2100)`` for pydantic's ge/gt/le/lt errors."""
    ctx = err.get("ctx") or {}
    kind = err["type"]
    limit = next((ctx[k] for k in ("gt", "ge", "lt", "le") if k in ctx), None)
    allowed = f"{_BOUND_WORDS[kind]} {show(limit)}" if limit is not None else None
    return fmt("out of range", given=show(given), allowed=allowed)


def _length(err: ErrorDetails, given: Any) -> str:
    ctx = err.get("ctx") or {}
    if err["type"] == "string_too_short":
        n = ctx.get("min_length", 1)
        return fmt("text too short", given=show(given), allowed=f"at least {n} character(s)")
    n = ctx.get("max_length")
    return fmt("too long", given=f"{len(given)} items" if hasattr(given, "__len__") else show(given),
               allowed=f"at most {n}" if n is not None else None)


_BY_KIND: dict[str, Callable[[ErrorDetails, Any], str]] = {
    **{kind: _bound for kind in _BOUND_WORDS},
    "string_too_short": _length,
    "string_too_long": _length,
    "too_long": _length,
    "union_tag_not_found": lambda _e, g: fmt("wrong type", given=_typed(g), allowed=_PATH_FORMS),
    "union_tag_invalid": lambda _e, g: fmt("wrong type", given=_typed(g), allowed=_PATH_FORMS),
    "finite_number": lambda _e, g: _number("finite_number", g),
    "string_pattern_mismatch": lambda _e, g: fmt("invalid name", given=show(g), allowed=_NAME_RULE),
    "dict_type": lambda _e, g: fmt("wrong type", given=_typed(g), allowed="a mapping"),
    "model_type": lambda _e, g: fmt("wrong type", given=_typed(g), allowed="a mapping"),
    "model_attributes_type": lambda _e, g: fmt("wrong type", given=_typed(g), allowed="a mapping"),
    "list_type": lambda _e, g: fmt("wrong type", given=_typed(g), allowed="a list"),
    "literal_error": _literal,
    "too_short": lambda _e, _g: "must not be empty",
    "value_error": lambda e, _g: str(e["msg"]).removeprefix("Value error, "),
}


def _message(err: ErrorDetails) -> str:
    """The message of one error other than an unknown or missing key."""
    kind = err["type"]
    given = err.get("input")
    if kind in _BY_KIND:
        return _BY_KIND[kind](err, given)
    if kind.startswith(("float_", "int_")):
        return _number(kind, given)
    if kind.startswith("string_"):
        return fmt("wrong type", given=_typed(given), allowed="text")
    if kind.startswith("bool_"):
        return fmt("wrong type", given=show(given), allowed="true or false")
    return fmt(str(err["msg"]), given=show(given))


def _unknown_key(key: Any, allowed: list[str], name_first: bool) -> str:
    suggestion = did_you_mean(str(key), allowed) if allowed else None
    if name_first:
        return fmt(f"unknown key {show(key)}", allowed=allowed or None, suggestion=suggestion)
    return fmt("unknown key", given=show(key), allowed=allowed or None, suggestion=suggestion)


def validation_problems(
    exc: ValidationError,
    data: Any,
    *,
    file: Path | str | None,
    line_of: LineOf,
    allowed_for: AllowedFor,
    prefix: KeyPath = (),
    key_text: Callable[[KeyPath], str] = dotted,
    name_first: bool = False,
) -> list[Problem]:
    """Turn pydantic errors into located problems (one per distinct error).

    Parameters
    ----------
    exc
        The validation error.
    data
        The plain data that was validated (to map error locations onto key paths).
    file, line_of
        Where the data comes from and the line of a key path (``prefix`` included).
    allowed_for
        Keys allowed in the mapping at a pydantic location (``loc`` without the unknown key).
    prefix
        Key path of ``data`` in its file (e.g. ``("uncertainties",)``).
    key_text
        How a key path is written in the message (:func:`dotted` or :func:`bracketed`).
    name_first
        Write an unknown key as ``unknown key 'x' (allowed …)`` instead of
        ``unknown key (given 'x'; allowed …)``.
    """
    problems: list[Problem] = []
    seen: set[tuple[KeyPath, str]] = set()
    for err in exc.errors(include_url=False):
        loc = tuple(err["loc"])
        keypath = (*prefix, *data_path(data, loc))
        if err["type"] == "extra_forbidden":
            msg = _unknown_key(keypath[-1], allowed_for(loc[:-1]), name_first)
        elif err["type"] == "missing":
            msg = f"missing required key '{keypath[-1]}'"
        else:
            msg = _message(err)
        ident = (keypath, msg)
        if ident in seen:
            continue
        seen.add(ident)
        problems.append(Problem(msg, file, line_of(keypath), key_text(keypath) or None))
    return problems
