"""Load scenario files, apply ``extends`` and report every problem at once.

Precedence of ``extends`` (child = the file that says ``extends: parent``):

1. ``levers`` and ``assumptions``: the child replaces the parent **per key** (the whole path of
   that lever or assumption; there is no merging inside a path). Keys only in the parent are kept.
2. ``time``: merged per field; the child's fields win.
3. Scalar fields (``description``, ``model``, ``targets``, ``policy_start``, ``history``,
   ``counterfactual_history``): the child's value wins when it sets one.
   ``model`` and ``history`` are resolved relative to the file that sets them.
4. ``sources``: the parent's first, then the child's (duplicates dropped).
5. ``name`` and ``abstract`` are never inherited: they describe the file itself.
6. Registered blocks (``optimise:``…): the child's block replaces the parent's whole block.

The chain may be any length; a cycle or a missing parent is an error naming the chain.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from sdmission.errors import InputError, Problem
from sdmission.messages import did_you_mean, fmt, show, type_name
from sdmission.schema import scenario as schema
from sdmission.schema.problems import keys_at, validation_problems
from sdmission.yamlio import KeyPath, YamlDoc, dump_yaml, read_yaml

DEFAULT_MODEL = "../models/sdmission.mdl"
DEFAULT_TARGETS = "design"
SUFFIXES = (".yaml", ".yml")


@dataclass(frozen=True)
class Link:
    """One file of an ``extends`` chain."""

    name: str
    path: Path
    doc: YamlDoc
    file: schema.ScenarioFile
    blocks: Mapping[str, BaseModel] = field(default_factory=dict)


@dataclass(frozen=True)
class Scenario:
    """A scenario with its ``extends`` chain applied.

    ``chain`` lists the files leaf first (``chain[0]`` is the file asked for).
    ``origins[(section, key)]`` is the ``(file, line)`` that set each lever/assumption.
    """

    name: str
    description: str
    sources: tuple[str, ...]
    abstract: bool
    model_path: Path
    final_time: float | None
    levers: Mapping[str, schema.AnyPath]
    assumptions: Mapping[str, schema.AnyPath]
    targets: str
    blocks: Mapping[str, BaseModel]
    chain: tuple[Link, ...]
    origins: Mapping[tuple[str, str], tuple[Path, int | None]]
    policy_start: float = schema.DEFAULT_POLICY_START
    history_path: Path | None = None
    counterfactual_history: bool = False

    @property
    def file(self) -> Path:
        """The leaf file."""
        return self.chain[0].path

    def where(self, section: str, *keys: str | int) -> tuple[Path, int | None]:
        """``(file, line)`` of ``section.key[.subkey…]`` in the file that set it.

        A block (``optimise:``, ``uncertainties:``…) is looked up in the file of the chain that
        holds it (the nearest to the leaf); a key missing there gives the block's own line.
        """
        origin = self.origins.get((section, str(keys[0]))) if keys else None
        if origin is None:
            for link in self.chain:
                if section in link.blocks or (section not in ("levers", "assumptions")
                                              and (section,) in link.doc.lines):
                    return link.path, link.doc.line((section, *keys))
            return self.file, None
        path = origin[0]
        for link in self.chain:
            if link.path == path:
                return path, link.doc.line((section, *keys))
        return origin

    def chain_text(self) -> str:
        """``leaf <- parent <- grandparent``."""
        return " <- ".join(link.name for link in self.chain)

    def merged_dict(self) -> dict[str, Any]:
        """The fully merged scenario as plain data (as a file would say it)."""
        out: dict[str, Any] = {
            "name": self.name,
            "description": self.description,
            "sources": list(self.sources),
            "model": str(self.model_path),
            "targets": self.targets,
        }
        if self.final_time is not None:
            out["time"] = {"final_time": self.final_time}
        out["policy_start"] = (int(self.policy_start) if self.policy_start.is_integer()
                               else self.policy_start)
        if self.history_path is not None:
            out["history"] = str(self.history_path)
        if self.counterfactual_history:
            out["counterfactual_history"] = True
        out["levers"] = {k: _dump_path(v) for k, v in self.levers.items()}
        out["assumptions"] = {k: _dump_path(v) for k, v in self.assumptions.items()}
        for key, block in self.blocks.items():
            out[key] = _plain(block.model_dump(mode="json", by_alias=True, exclude_none=True))
        return out

    def merged_yaml(self) -> str:
        """:meth:`merged_dict` as YAML text."""
        return dump_yaml(self.merged_dict())

    def raw_yaml(self) -> str:
        """Every file of the chain verbatim, leaf first, each under a ``# --- file:`` header."""
        return "".join(f"# --- file: {link.path}\n{link.doc.text.rstrip()}\n" for link in self.chain)


def _plain(obj: Any) -> Any:
    """Plain YAML-able data; whole-number float years as ints (``2021`` not ``2021.0``)."""
    if isinstance(obj, BaseModel):
        return _plain(obj.model_dump(by_alias=True, exclude_none=True))
    if isinstance(obj, dict):
        return {(int(k) if isinstance(k, float) and k.is_integer() else k): _plain(v)
                for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [_plain(v) for v in obj]
    return obj


def _dump_path(path: Any) -> Any:
    return _plain(path)


# --- pydantic errors -> problems ------------------------------------------------------------
def _allowed_for(loc_parent: KeyPath) -> list[str]:
    """Allowed keys of the mapping at ``loc_parent`` of a scenario file (a pydantic loc)."""
    return schema.top_level_keys() if not loc_parent else keys_at(schema.ScenarioFile, loc_parent)


def problems_from_validation(
    exc: ValidationError, doc: YamlDoc, data: Any, prefix: KeyPath = (),
    model: type[BaseModel] | None = None,
) -> list[Problem]:
    """Turn pydantic errors into located problems (one per error).

    ``model`` is the schema of a block at ``prefix`` (its keys are the allowed ones); without it
    the scenario file's own schema is used.
    """
    allowed = _allowed_for if model is None else functools.partial(keys_at, model)
    return validation_problems(exc, data, file=doc.path, line_of=doc.line, allowed_for=allowed,
                               prefix=prefix)


# --- one file --------------------------------------------------------------------------------
def parse_file(path: Path | str) -> Link:
    """Read and validate one scenario file (no ``extends`` applied)."""
    doc = read_yaml(path)
    data = doc.data
    if not isinstance(data, dict):
        given = "an empty file" if data is None else f"{show(data)} ({type_name(data)})"
        raise InputError(
            [Problem(fmt("a scenario file must be a mapping of keys", given=given,
                         allowed=", ".join(schema.top_level_keys())), doc.path, 1)]
        )
    problems: list[Problem] = []
    non_str = [k for k in data if not isinstance(k, str)]
    for k in non_str:
        problems.append(
            Problem(fmt("top-level keys must be names", given=show(k)), doc.path, doc.line((k,)))
        )
    block_models = schema.registered_blocks()
    core = {k: v for k, v in data.items() if k not in block_models and isinstance(k, str)}
    blocks: dict[str, BaseModel] = {}
    for key, model in block_models.items():
        if key in data:
            try:
                blocks[key] = model.model_validate(data[key])
            except ValidationError as exc:
                problems += problems_from_validation(exc, doc, data[key], (key,), model)
    parsed: schema.ScenarioFile | None = None
    try:
        parsed = schema.ScenarioFile.model_validate(core)
    except ValidationError as exc:
        problems += problems_from_validation(exc, doc, core)
        parsed = _readable_part(core, exc)
    if problems or parsed is None:
        error = SchemaProblems(sorted(problems, key=lambda p: p.line or 0))
        if parsed is not None and not non_str:
            error.link = Link(name=parsed.name or doc.path.stem, path=doc.path, doc=doc,
                              file=parsed, blocks=blocks)
        raise error
    return Link(name=parsed.name or doc.path.stem, path=doc.path, doc=doc, file=parsed,
                blocks=blocks)


class SchemaProblems(InputError):
    """Schema problems of a scenario; ``link`` / ``partial`` hold what could still be read.

    ``link`` is the file without the keys that failed (a bad lever path drops that lever only);
    ``partial`` (set by :func:`load_scenario`) is the merged scenario of such links, so that the
    model checks can still report their problems with the schema's (all problems at once).
    """

    link: Link | None = None
    partial: Scenario | None = None


def _readable_part(core: dict[str, Any], exc: ValidationError) -> schema.ScenarioFile | None:
    """The file's schema without the entries pydantic refused (None when even that fails)."""
    data = dict(core)
    for section in ("levers", "assumptions"):
        if isinstance(data.get(section), dict):
            data[section] = dict(data[section])
    for err in exc.errors(include_url=False):
        loc = err["loc"]
        if not loc:
            return None
        top = loc[0]
        if top in ("levers", "assumptions") and len(loc) > 1 and isinstance(data.get(top), dict):
            data[top].pop(loc[1], None)
        elif top in ("name", "extends", "model"):
            return None  # the chain or the model would be a guess: check nothing against it
        else:
            data.pop(str(top), None)
    try:
        return schema.ScenarioFile.model_validate(data)
    except ValidationError:
        return None


def resolve_parent(ref: str, child: Path) -> Path:
    """Path of ``extends: ref`` as seen from the file ``child``."""
    if "/" in ref or "\\" in ref or ref.endswith(SUFFIXES):
        return (child.parent / ref).resolve()
    for suffix in SUFFIXES:
        cand = child.parent / f"{ref}{suffix}"
        if cand.is_file():
            return cand.resolve()
    return (child.parent / f"{ref}.yaml").resolve()


def load_chain(path: Path | str) -> tuple[Link, ...]:
    """The ``extends`` chain of a file, leaf first; every problem of every file reported."""
    current = Path(path).resolve()
    if current.suffix not in SUFFIXES:
        raise InputError([Problem(fmt("not a scenario file", given=show(current.name),
                                      allowed="a .yaml or .yml file"), current)])
    chain: list[Link] = []
    seen: list[Path] = []
    problems: list[Problem] = []
    broken = False  # a file that could not be read at all, or a chain that does not close
    while True:
        seen.append(current)
        try:
            link = parse_file(current)
        except SchemaProblems as exc:
            problems += exc.problems
            if exc.link is None:
                broken = True
                break
            link = exc.link
        except InputError as exc:
            problems += exc.problems
            broken = True
            break
        chain.append(link)
        ref = link.file.extends
        if ref is None:
            break
        parent = resolve_parent(ref, current)
        line = link.doc.line(("extends",))
        names = " -> ".join(p.name for p in [*seen, parent])
        if parent in seen:
            problems.append(Problem(f"extends cycle: {names}", current, line, "extends"))
            break
        if parent.suffix not in SUFFIXES:  # never read (or echo) a file that is not a scenario
            problems.append(Problem(fmt("extends must name a scenario file", given=show(ref),
                                        allowed="a .yaml or .yml file"), current, line, "extends"))
            break
        if not parent.is_file():
            siblings = sorted(p.stem for p in current.parent.glob("*.y*ml"))
            problems.append(Problem(
                fmt(f"parent scenario not found: {parent} (chain: {names})", given=show(ref),
                    allowed="a scenario name in the same folder or a relative path",
                    suggestion=did_you_mean(ref, siblings)),
                current, line, "extends",
            ))
            break
        current = parent
    if problems:
        error = SchemaProblems(problems)
        if chain and not broken and not any(p.key == "extends" for p in problems):
            error.partial = merge(tuple(chain))
        raise error
    return tuple(chain)


def merge(chain: tuple[Link, ...]) -> Scenario:
    """Apply the precedence rules (see module docstring) to a leaf-first chain."""
    leaf = chain[0]
    levers: dict[str, schema.AnyPath] = {}
    assumptions: dict[str, schema.AnyPath] = {}
    origins: dict[tuple[str, str], tuple[Path, int | None]] = {}
    sources: list[str] = []
    description = ""
    model_path: Path | None = None
    targets: str | None = None
    final_time: float | None = None
    policy_start = schema.DEFAULT_POLICY_START
    history: Path | None = None
    counterfactual = False
    blocks: dict[str, BaseModel] = {}
    for link in reversed(chain):  # root first, so later (child) files win
        f = link.file
        for section, target in (("levers", levers), ("assumptions", assumptions)):
            for key, value in getattr(f, section).items():
                target[key] = value
                origins[(section, key)] = (link.path, link.doc.line((section, key)))
        sources += [s for s in f.sources if s not in sources]
        if "description" in f.model_fields_set:
            description = f.description
        if f.model is not None:
            model_path = (link.path.parent / f.model).resolve()
        if f.targets is not None:
            targets = f.targets
        if f.time is not None and f.time.final_time is not None:
            final_time = f.time.final_time
        blocks.update(link.blocks)
        policy_start = f.policy_start if f.policy_start is not None else policy_start
        if f.history is not None:
            history = resolve_parent(f.history, link.path)
        if f.counterfactual_history is not None:
            counterfactual = f.counterfactual_history
    if history is None:
        default = resolve_parent(schema.DEFAULT_HISTORY, leaf.path)
        history = default if default.is_file() else None
    if history is not None and history == leaf.path.resolve():
        history = None  # the history scenario itself
    if model_path is None:
        model_path = (leaf.path.parent / DEFAULT_MODEL).resolve()
    return Scenario(
        name=leaf.name,
        description=description,
        sources=tuple(sources),
        abstract=leaf.file.abstract,
        model_path=model_path,
        final_time=final_time,
        levers=levers,
        assumptions=assumptions,
        targets=targets or DEFAULT_TARGETS,
        blocks=blocks,
        chain=chain,
        origins=origins,
        policy_start=policy_start,
        history_path=history,
        counterfactual_history=counterfactual,
    )



def load_scenario(path: Path | str) -> Scenario:
    """Read a scenario file, apply its ``extends`` chain; raise :class:`InputError` on problems."""
    return merge(load_chain(path))
