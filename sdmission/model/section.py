"""What PySD's builder knows about each variable, without writing or importing any generated code.

PySD's ``SectionBuilder`` decides a variable's Python name, type and subtype (``Constant``,
``Stateful``/``Integ``, …) and final subscripts while it *writes* the generated module. Running its
element builders produces only strings; this module runs them on the abstract model of
``model.source`` and keeps the metadata, so the catalogue and the parameter table are built from the
model as data. Constant values are evaluated from the syntax tree (``source.evaluate``: numbers,
arithmetic, references to other constants), never by executing code.
"""

from __future__ import annotations

import functools
import itertools
import textwrap
import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np

from sdmission.errors import ModelError
from sdmission.model import source


@dataclass(frozen=True)
class BuiltElement:
    """One variable as PySD's builder sees it.

    ``dims``/``coords`` are the final subscripts (``()`` for scalars); ``comment`` is the comment
    exactly as PySD's ``model.doc`` shows it (tag included); ``components`` the abstract components.
    """

    name: str
    py_name: str
    units: str
    limits: tuple[Any, Any] | None
    type: str
    subtype: str
    dims: tuple[str, ...]
    coords: dict[str, tuple[str, ...]]
    comment: str
    control: bool
    components: tuple[Any, ...]


def pysd_comment(documentation: str | None) -> str:
    """The comment as PySD's ``model.doc`` shows it: its docstring, built and read back as text.

    PySD turns every backslash into a newline, indents the docstring inside the generated function
    and strips it; the same steps are done here on the string (nothing is compiled or run).
    """
    if not documentation:
        return ""
    doc = documentation.replace("\\", "\n")
    contents = f'"""\n{doc}\n"""\nreturn 0'.replace("\n", "\n" + " " * 16)
    text = textwrap.dedent(f"""
            @decorator
            def function():
                {contents}
            """)
    start = text.index('"""') + 3
    body = text[start:text.rindex('"""')]
    return body.strip().strip("\n").strip()


@dataclass(frozen=True)
class Section:
    """The built metadata of a model's main section: elements in file order, subscript ranges."""

    elements: tuple[BuiltElement, ...]
    subscripts: dict[str, tuple[str, ...]]

    def constant_values(self, element: BuiltElement) -> list[tuple[str, float]]:
        """``(element label, value)`` of a constant: ``''`` for scalars, ``'a'`` / ``'a,b'`` otherwise.

        Elements in C order over ``dims`` (as ``xarray.DataArray.stack`` gives them). Raises
        ``ModelError`` when a value is not a constant expression.
        """
        if not element.dims:
            return [("", self._value(element, element.components[0].ast))]
        shape = tuple(len(element.coords[d]) for d in element.dims)
        values = np.full(shape, np.nan)
        for comp in element.components:
            index = self._index(element, comp)
            block_shape = tuple(len(ix) for ix in index)
            values[np.ix_(*index)] = self._block(element, comp.ast, block_shape)
        labels = itertools.product(*(element.coords[d] for d in element.dims))
        return [(",".join(label), float(v)) for label, v in zip(labels, values.ravel(), strict=True)]

    def _index(self, element: BuiltElement, comp: Any) -> list[list[int]]:
        subs, excepts = comp.subscripts
        if excepts:
            raise ModelError(f"{element.name}: :EXCEPT: in a constant is not read by the parameter table")
        if len(subs) != len(element.dims):
            raise ModelError(f"{element.name}: subscripts {subs} do not match {element.dims}")
        index: list[list[int]] = []
        for sub, dim in zip(subs, element.dims, strict=True):
            members = self.subscripts.get(sub, (sub,))
            coords = element.coords[dim]
            index.append([coords.index(m) for m in members])
        return index

    def _block(self, element: BuiltElement, ast: Any, shape: tuple[int, ...]) -> Any:
        if isinstance(ast, np.ndarray):
            if ast.size != int(np.prod(shape)):
                raise ModelError(f"{element.name}: {ast.size} values for subscripts of shape {shape}")
            return np.asarray(ast, dtype=float).reshape(shape)
        return self._value(element, ast)

    def _value(self, element: BuiltElement, ast: Any) -> float:
        try:
            return source.evaluate(ast)
        except (ValueError, ZeroDivisionError, OverflowError) as exc:
            raise ModelError(f"{element.name}: the value is not a constant ({exc})") from None


def built_section(mdl: Any) -> Section:
    """The built metadata of a model file (cached per content)."""
    src = source.read(mdl)
    return _built(str(src.path.resolve()), src.digest)


@functools.lru_cache(maxsize=16)
def _built(path: str, digest: str) -> Section:
    from pysd.builders.python.python_model_builder import SectionBuilder

    del digest  # part of the cache key only: a changed file gets a fresh section
    abstract = source.read(path).abstract()  # the builder only reads it (tests/unit/test_source.py checks)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        sb = SectionBuilder(abstract.sections[0])
        for el in sb.elements:  # the naming pass of SectionBuilder.build_section
            sb.namespace.add_to_namespace(el.name)
            el.identifier = sb.namespace.namespace[el.name]
            sb.subscripts.elements[el.identifier] = el.subscripts
        for el in sb.elements:
            el.build_element()
    subscripts = {k: tuple(str(e) for e in v) for k, v in sb.subscripts.subscripts.items()}
    by_name = {el.name: el for el in abstract.sections[0].elements}
    out = []
    for el in sb.elements:
        dims = tuple(el.subscripts or ())
        out.append(BuiltElement(
            name=el.name, py_name=el.identifier, units=el.units or "", limits=el.limits,
            type=el.type or "", subtype=el.subtype or "", dims=dims,
            coords={d: subscripts[d] for d in dims}, comment=pysd_comment(el.documentation),
            control=bool(el.control_var), components=tuple(by_name[el.name].components),
        ))
    return Section(tuple(out), subscripts)

