"""The one guarded YAML reader (scenario files, the target registry) and the YAML writer.

Every YAML file the package reads goes through :func:`read_yaml`; they are plain data. Before
anything is built we scan the event stream and refuse: aliases (``*name``: the way 'billion laughs'
bombs expand), any explicit tag other than the standard scalar/collection tags
(``!!python/object…`` and friends), several documents, and files over ``MAX_BYTES``. Only then is the text loaded with ruamel's *safe* loader, and a map from key
path to line number built from the composed node tree.
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.events import (
    AliasEvent,
    CollectionEndEvent,
    CollectionStartEvent,
    DocumentStartEvent,
)
from ruamel.yaml.nodes import MappingNode, Node, SequenceNode

from sdmission.errors import InputError, Problem

MAX_BYTES = 1_048_576  # 1 MiB: a scenario is a page of text; anything bigger is a mistake
MAX_DEPTH = 32  # nesting of lists and mappings; a scenario needs about 6
MAX_NODES = 100_000  # scalars, lists and mappings in one file
_STD = "tag:yaml.org,2002:"
ALLOWED_TAGS = frozenset(
    {None, "!"} | {_STD + t for t in ("str", "int", "float", "bool", "null", "map", "seq")}
)

KeyPath = tuple[Any, ...]


@dataclass(frozen=True)
class YamlDoc:
    """A loaded YAML file: its data, its text, and the line of every key path (1-based)."""

    path: Path
    text: str
    data: Any
    lines: Mapping[KeyPath, int] = field(default_factory=dict)

    def line(self, keypath: KeyPath) -> int | None:
        """Line of the deepest existing prefix of ``keypath`` (the key itself when present)."""
        for n in range(len(keypath), -1, -1):
            found = self.lines.get(tuple(keypath[:n]))
            if found is not None:
                return found
        return None


def _show_tag(tag: str) -> str:
    return "!!" + tag[len(_STD) :] if tag.startswith(_STD) else tag


def _scan(text: str, path: Path) -> list[Problem]:
    problems: list[Problem] = []
    documents = aliases = depth = nodes = 0
    try:
        for event in YAML(typ="safe", pure=True).parse(text):
            line = event.start_mark.line + 1 if event.start_mark else None
            nodes += 1
            if isinstance(event, CollectionStartEvent):
                depth += 1
                if depth > MAX_DEPTH:
                    problems.append(Problem(f"YAML nested too deeply (more than {MAX_DEPTH} levels of "
                                            "lists and mappings)", path, line))
                    break
            elif isinstance(event, CollectionEndEvent):
                depth -= 1
            if nodes > MAX_NODES:
                problems.append(Problem(f"YAML file too large (more than {MAX_NODES} values)", path, line))
                break
            if isinstance(event, DocumentStartEvent):
                documents += 1
                if documents == 2:
                    problems.append(
                        Problem("a scenario file holds one YAML document (found a second '---')",
                                path, line)
                    )
            elif isinstance(event, AliasEvent):
                aliases += 1
                if aliases == 1:  # one problem is enough; a bomb has thousands
                    problems.append(
                        Problem(
                            f"YAML aliases are not allowed (given '*{event.anchor}'); write the "
                            "value out (use 'extends' to share settings between scenarios)",
                            path, line,
                        )
                    )
            tag = getattr(event, "tag", None)
            if tag is not None and tag not in ALLOWED_TAGS:
                problems.append(
                    Problem(
                        f"YAML tag '{_show_tag(tag)}' is not allowed; scenario files hold plain "
                        "data only (numbers, text, lists, mappings)",
                        path, line,
                    )
                )
    except MarkedYAMLError as exc:
        problems.append(_marked(exc, path))
    except YAMLError as exc:  # e.g. ReaderError: a control character
        problems.append(Problem(f"invalid YAML: {_reader_text(exc)}", path))
    except RecursionError:
        problems.append(Problem("YAML nested too deeply", path))
    return problems


def _reader_text(exc: YAMLError) -> str:
    """A reader error without the file's content (ruamel quotes the offending text)."""
    character = getattr(exc, "character", None)
    position = getattr(exc, "position", None)
    if character is not None:
        code = ord(character) if isinstance(character, str) else int(character)
        where = f" at character {position}" if position is not None else ""
        return f"special character U+{code:04X}{where} is not allowed"
    return type(exc).__name__


def _marked(exc: MarkedYAMLError, path: Path) -> Problem:
    mark = exc.problem_mark or exc.context_mark
    line = mark.line + 1 if mark is not None else None
    what = " ".join(str(x) for x in (exc.context, exc.problem) if x)
    return Problem(f"invalid YAML: {what}", path, line)


def _walk(node: Node, data: Any, keypath: KeyPath, out: dict[KeyPath, int]) -> None:
    if isinstance(node, MappingNode) and isinstance(data, dict):
        for (knode, vnode), key in zip(node.value, data.keys(), strict=False):
            out[(*keypath, key)] = knode.start_mark.line + 1
            _walk(vnode, data[key], (*keypath, key), out)
    elif isinstance(node, SequenceNode) and isinstance(data, list):
        for i, (vnode, item) in enumerate(zip(node.value, data, strict=False)):
            out[(*keypath, i)] = vnode.start_mark.line + 1
            _walk(vnode, item, (*keypath, i), out)


def read_yaml(path: Path | str) -> YamlDoc:
    """Read one YAML file safely; raise :class:`InputError` listing every problem found.

    Parameters
    ----------
    path
        File to read (UTF-8, at most ``MAX_BYTES`` bytes).
    """
    p = Path(path)
    if not p.is_file():
        raise InputError([Problem("file not found", p)])
    size = p.stat().st_size
    if size > MAX_BYTES:
        raise InputError(
            [Problem(f"file too large (given {size} bytes; allowed at most {MAX_BYTES} bytes)", p)]
        )
    try:
        text = p.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise InputError([Problem(f"file is not UTF-8 text ({exc.reason})", p)]) from exc
    except OSError as exc:
        raise InputError([Problem(f"cannot read the file: {exc.strerror or exc}", p)]) from exc
    problems = _scan(text, p)
    if problems:
        raise InputError(problems)
    yaml = YAML(typ="safe", pure=True)
    try:
        data = yaml.load(text)
        node = YAML(typ="safe", pure=True).compose(text)
    except MarkedYAMLError as exc:  # e.g. duplicate keys
        raise InputError([_marked(exc, p)]) from exc
    except YAMLError as exc:
        raise InputError([Problem(f"invalid YAML: {_reader_text(exc)}", p)]) from exc
    except RecursionError as exc:
        raise InputError([Problem("YAML nested too deeply", p)]) from exc
    lines: dict[KeyPath, int] = {(): 1}
    if node is not None:
        _walk(node, data, (), lines)
    return YamlDoc(path=p, text=text, data=data, lines=lines)


def dump_yaml(data: Any) -> str:
    """Plain YAML text of plain data (block style, keys in insertion order)."""
    yaml = YAML(typ="safe", pure=True)
    yaml.default_flow_style = False
    yaml.sort_base_mapping_type_on_output = False  # type: ignore[assignment]
    buf = io.StringIO()
    yaml.dump(data, buf)
    return buf.getvalue()
