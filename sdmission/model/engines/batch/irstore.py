"""The batch IR on disk as JSON: reading it back can never run code (issue #13).

The IR (:mod:`sdmission.model.engines.batch.ir`) is plain data: frozen dataclasses, tuples, dicts,
frozensets, numbers and text. :func:`dumps` writes it as JSON with explicit tags
(``{"@": "Ref", "f": {...}}`` for a dataclass, ``{"@map": [[k, v], ...]}`` for a dict,
``{"@set": [...]}`` for a frozenset; every JSON list is a tuple). :func:`loads` rebuilds only the
IR's own dataclasses, from exactly their fields, and then :func:`check` verifies every value that
reaches generated code: variable names are Python identifiers, functions, reducers, operators,
stateful kinds and data methods are the compiler's own, numbers are numbers. So even a cache file
forged with a leaked signing key can at worst describe another model, never inject code.
"""

from __future__ import annotations

import dataclasses
import json
import keyword
import math
import re
import typing
from typing import Any

from sdmission.model.engines.batch import ir

__all__ = ["IRFormatError", "check", "dumps", "loads"]

MAGIC = b"SDMIR-JSON1\n"
_CLASSES: dict[str, type] = {
    name: obj for name, obj in vars(ir).items()
    if isinstance(obj, type) and dataclasses.is_dataclass(obj) and obj.__module__ == ir.__name__
}
#: Operators of PySD's abstract syntax tree that the code generators render.
_OPS = frozenset({"+", "-", "*", "/", "^", "=", "<>", "<", ">", "<=", ">=", ":AND:", ":OR:",
                  "negative", ":NOT:"})
_METHODS = frozenset({"interpolate", "raw", "look_forward", "hold_backward"})
_KINDS = frozenset(typing.get_args(ir.StatefulKind))


class IRFormatError(ValueError):
    """The stored IR is not one this version wrote (damaged, forged or from another version)."""


# --- writing -----------------------------------------------------------------------------------
def _enc(obj: Any) -> Any:
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        name = type(obj).__name__
        if _CLASSES.get(name) is not type(obj):
            raise TypeError(f"not an IR class: {type(obj)!r}")
        return {"@": name, "f": {f.name: _enc(getattr(obj, f.name)) for f in dataclasses.fields(obj)}}
    if isinstance(obj, bool) or obj is None or isinstance(obj, str):
        return obj
    if isinstance(obj, int):
        return int(obj)
    if isinstance(obj, float):
        return float(obj)
    if isinstance(obj, tuple | list):
        return [_enc(x) for x in obj]
    if isinstance(obj, dict):
        return {"@map": [[_enc(k), _enc(v)] for k, v in obj.items()]}
    if isinstance(obj, frozenset | set):
        return {"@set": sorted((_enc(x) for x in obj), key=repr)}
    if hasattr(obj, "item") and hasattr(obj, "dtype"):  # a numpy scalar
        return _enc(obj.item())
    raise TypeError(f"cannot store {type(obj).__name__} in the IR")


def dumps(model: ir.ModelIR) -> bytes:
    """The IR as tagged JSON (UTF-8), prefixed with :data:`MAGIC`."""
    return MAGIC + json.dumps(_enc(model), separators=(",", ":"), allow_nan=True).encode()


# --- reading -----------------------------------------------------------------------------------
def _dec(obj: Any, depth: int = 0) -> Any:
    if depth > 200:
        raise IRFormatError("nested too deeply")
    if obj is None or isinstance(obj, bool | int | float | str):
        return obj
    if isinstance(obj, list):
        return tuple(_dec(x, depth + 1) for x in obj)
    if not isinstance(obj, dict):
        raise IRFormatError(f"unexpected {type(obj).__name__}")
    if set(obj) == {"@", "f"}:
        cls = _CLASSES.get(obj["@"]) if isinstance(obj["@"], str) else None
        fields = obj["f"]
        if cls is None or not isinstance(fields, dict):
            raise IRFormatError(f"unknown IR class {obj['@']!r}")
        names = {f.name for f in dataclasses.fields(cls)}
        required = {f.name for f in dataclasses.fields(cls)
                    if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING}
        if not set(fields) <= names or not required <= set(fields):
            raise IRFormatError(f"fields of {cls.__name__} do not match")
        return cls(**{k: _dec(v, depth + 1) for k, v in fields.items()})
    if set(obj) == {"@map"} and isinstance(obj["@map"], list):
        out = {}
        for pair in obj["@map"]:
            if not (isinstance(pair, list) and len(pair) == 2):
                raise IRFormatError("bad mapping entry")
            out[_dec(pair[0], depth + 1)] = _dec(pair[1], depth + 1)
        return out
    if set(obj) == {"@set"} and isinstance(obj["@set"], list):
        return frozenset(_dec(x, depth + 1) for x in obj["@set"])
    raise IRFormatError("unexpected mapping")


def loads(data: bytes) -> ir.ModelIR:
    """The IR stored by :func:`dumps`, checked by :func:`check`; :class:`IRFormatError` otherwise."""
    if not data.startswith(MAGIC):
        raise IRFormatError("not a stored IR")
    try:
        raw = json.loads(data[len(MAGIC):].decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise IRFormatError(f"not valid JSON: {exc}") from exc
    try:
        model = _dec(raw)
    except (TypeError, RecursionError) as exc:
        raise IRFormatError(str(exc)) from exc
    if not isinstance(model, ir.ModelIR):
        raise IRFormatError("not a model")
    check(model)
    return model


# --- what reaches generated code ----------------------------------------------------------------
def _ident(name: Any, what: str) -> None:
    if not (isinstance(name, str) and name.isidentifier() and not keyword.iskeyword(name)):
        raise IRFormatError(f"{what} {name!r} is not an identifier")


def _number(v: Any, what: str) -> None:
    if isinstance(v, bool) or not isinstance(v, int | float):
        raise IRFormatError(f"{what} is not a number: {v!r}")


def _int(v: Any, what: str) -> None:
    if isinstance(v, bool) or not isinstance(v, int):
        raise IRFormatError(f"{what} is not an integer: {v!r}")


def _node(node: Any) -> None:
    """Check one expression tree (iteratively: a deep tree cannot overflow the stack)."""
    stack = [node]
    while stack:
        n = stack.pop()
        if isinstance(n, ir.Num):
            _number(n.value, "a literal")
        elif isinstance(n, ir.ArrayLit | ir.StRef | ir.DataSeries):
            _int(n.index, "an index")
        elif isinstance(n, ir.TimeRef):
            pass
        elif isinstance(n, ir.Ref):
            _ident(n.name, "variable")
        elif isinstance(n, ir.Op):
            if not (isinstance(n.ops, tuple) and all(o in _OPS for o in n.ops)):
                raise IRFormatError(f"unknown operator in {n.ops!r}")
            stack.extend(n.args)
        elif isinstance(n, ir.Call):
            if n.fn not in _functions():
                raise IRFormatError(f"unknown function {n.fn!r}")
            stack.extend(n.args)
        elif isinstance(n, ir.Reduce):
            if n.fn not in _reducers():
                raise IRFormatError(f"unknown reducer {n.fn!r}")
            _int(n.naxes, "an axis count")
            stack.append(n.arg)
        elif isinstance(n, ir.Lookup):
            _int(n.table, "a table")
            stack.append(n.x)
        elif isinstance(n, ir.LookupN):
            _int(n.group, "a lookup group")
            stack.extend((n.ids, n.x))
        else:
            raise IRFormatError(f"unexpected node {type(n).__name__}")


def _functions() -> frozenset[str]:
    from sdmission.model.engines.batch.compiler import _CALLS

    return frozenset(fn for fn, _ in _CALLS.values())


def _reducers() -> frozenset[str]:
    from sdmission.model.engines.batch.compiler import _REDUCERS

    return frozenset(_REDUCERS.values())


def _variables(model: ir.ModelIR) -> None:
    if not isinstance(model.variables, dict):
        raise IRFormatError("variables are not a mapping")
    for key, var in model.variables.items():
        if not isinstance(var, ir.Variable) or var.py_name != key:
            raise IRFormatError(f"variable {key!r} does not match its entry")
        _ident(key, "variable")
        for c in var.components:
            if not isinstance(c, ir.Component):
                raise IRFormatError(f"bad component of {key!r}")
            _node(c.expr)
            if c.mask is not None:
                _int(c.mask, "a mask")
        for lim in var.limits:
            if lim is not None:
                _number(lim, "a limit")


def _statefuls(model: ir.ModelIR) -> None:
    for st in model.statefuls:
        if not isinstance(st, ir.Stateful) or st.kind not in _KINDS or not isinstance(st.args, dict):
            raise IRFormatError("bad stateful object")
        _int(st.order, "an order")
        _ident(st.owner, "owner")
        for role, arg in st.args.items():
            _ident(role, "role")
            _node(arg)


def _values(model: ir.ModelIR) -> None:
    for xs, ys in model.tables:
        for v in (*xs, *ys):
            _number(v, "a table value")
    for shape, values in model.arrays:
        for s in shape:
            _int(s, "an array size")
        if len(values) != math.prod(shape):
            raise IRFormatError("an array literal does not match its shape")
        for v in values:
            _number(v, "an array value")
    for times, values, shape, method in model.data:
        if method not in _METHODS:
            raise IRFormatError(f"unknown data method {method!r}")
        for v in (*times, *values):
            _number(v, "a data value")
        for s in shape:
            _int(s, "a data size")
    for group in model.lookup_groups:
        for t in group:
            _int(t, "a table")


def check(model: ir.ModelIR) -> None:
    """Raise :class:`IRFormatError` unless every name, function and number is one codegen accepts."""
    if not (isinstance(model.source_hash, str) and re.fullmatch(r"[0-9a-f]{64}", model.source_hash)):
        raise IRFormatError("bad source hash")
    _variables(model)
    _statefuls(model)
    _values(model)
    for name in model.named_lookups:
        _ident(name, "lookup")
    for name, digest in model.externals:
        if not isinstance(name, str) or name.startswith("/") or ".." in name.split("/") \
                or not (isinstance(digest, str) and re.fullmatch(r"[0-9a-f]{64}", digest)):
            raise IRFormatError(f"bad data file entry {name!r}")
