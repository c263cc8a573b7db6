"""One message format for every scenario problem: ``message (given X; allowed …; did you mean 'y'?)``."""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Sequence
from typing import Any


def show(value: Any, limit: int = 60) -> str:
    """A short, quoted rendering of a user-given value."""
    if isinstance(value, str):
        text = repr(value)
    elif isinstance(value, float) and value.is_integer():
        text = f"{value:g}"
    elif isinstance(value, dict):
        text = "{" + ", ".join(f"{k}: …" for k in list(value)[:4]) + (", …}" if len(value) > 4 else "}")
    else:
        text = repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def type_name(value: Any) -> str:
    """The YAML-level name of a value's type."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "text"
    if isinstance(value, list):
        return "list"
    if isinstance(value, dict):
        return "mapping"
    return type(value).__name__


def close_matches(word: str, choices: Iterable[str], n: int = 3) -> list[str]:
    """Up to ``n`` choices close to ``word``, closest first (difflib ratio >= 0.6)."""
    return difflib.get_close_matches(str(word), [str(c) for c in choices], n=n, cutoff=0.6)


def did_you_mean(word: str, choices: Iterable[str]) -> str | None:
    """The closest choice to ``word``, or None."""
    found = close_matches(word, choices, n=1)
    return found[0] if found else None


def fmt(
    message: str,
    *,
    given: str | None = None,
    allowed: str | Sequence[str] | None = None,
    suggestion: str | None = None,
) -> str:
    """``message (given X; allowed A; did you mean 'y'?)`` with empty parts left out."""
    parts: list[str] = []
    if given is not None:
        parts.append(f"given {given}")
    if allowed is not None:
        if not isinstance(allowed, str):
            allowed = ", ".join(allowed)
        parts.append(f"allowed: {allowed}")
    if suggestion is not None:
        parts.append(f"did you mean '{suggestion}'?")
    return f"{message} ({'; '.join(parts)})" if parts else message


def suggest(word: str, choices: Iterable[str]) -> str:
    """`` (did you mean 'y'?)`` for the closest choice to ``word``, or ``""``."""
    found = did_you_mean(word, choices)
    return f" (did you mean '{found}'?)" if found else ""
