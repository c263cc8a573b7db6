"""Intermediate representation of a compiled model: variables, stateful objects, expression trees.

The compiler (``compiler.py``) turns PySD's abstract model into this form; the code generator
(``codegen.py``) turns it into one numpy function. Everything here is plain, picklable data.

Layouts
-------
Every expression is evaluated in a *layout*: a tuple of axis labels for the trailing array axes
(after the leading member axis, and after the time axis for precomputed time paths). The labels are
subscript range names (``"route"``), subrange names (``"clean route"``) or summation labels
(``"route!"``). A node's array has one axis per layout label, possibly of length 1 (broadcast).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

# Selection applied to one axis of a referenced variable.
#   ("all", label)                 keep the axis, give it this layout label
#   ("elem", position)             pick one element, dropping the axis
#   ("sub", label, positions)      keep a subrange of the axis, give it this label
AxisSel = tuple


@dataclass(frozen=True)
class Num:
    """A numeric literal."""

    value: float


@dataclass(frozen=True)
class ArrayLit:
    """A literal array (``x[route] = 1, 2, 3 …``) over the enclosing layout; ``ModelIR.arrays[index]``."""

    index: int


@dataclass(frozen=True)
class TimeRef:
    """The model's current time (years or the model's time unit)."""


@dataclass(frozen=True)
class Ref:
    """A reference to a model variable, reshaped into the enclosing layout."""

    name: str
    sel: tuple[AxisSel, ...]
    layout: tuple[str, ...]


@dataclass(frozen=True)
class StRef:
    """The output of hoisted stateful object number ``index`` (already in the enclosing layout)."""

    index: int


@dataclass(frozen=True)
class Op:
    """An infix operation chain ``a op b op c`` (left-associative) or a unary ``negative``/``:NOT:``."""

    ops: tuple[str, ...]
    args: tuple[Node, ...]


@dataclass(frozen=True)
class Call:
    """An elementwise function call (names of ``codegen.FUNCTIONS``)."""

    fn: str
    args: tuple[Node, ...]


@dataclass(frozen=True)
class Reduce:
    """SUM/PROD/VMIN/VMAX over the last ``naxes`` axes of ``arg``'s layout."""

    fn: str
    arg: Node
    naxes: int
    labels: tuple[str, ...] = ()  # the ``!`` labels summed over (the last ``naxes`` of arg's layout)


@dataclass(frozen=True)
class Lookup:
    """Piecewise-linear lookup table ``table`` (index into ``ModelIR.tables``) applied to ``x``."""

    table: int
    x: Node


@dataclass(frozen=True)
class LookupN:
    """Subscripted lookup: per element its own table. ``ids`` gives, over the enclosing layout,
    the flat element number of the table to use (a reference to the lookup's id variable);
    ``ModelIR.lookup_groups[group][id]`` is that element's index into ``ModelIR.tables``."""

    group: int
    ids: Node
    x: Node


@dataclass(frozen=True)
class DataSeries:
    """A data variable (GET … DATA) over the enclosing layout: ``ModelIR.data[index]``."""

    index: int


Node = Num | ArrayLit | TimeRef | Ref | StRef | Op | Call | Reduce | Lookup | LookupN | DataSeries

StatefulKind = Literal["integ", "integ_nonneg", "smooth", "delay", "delay_n", "delay_fixed", "trend", "initial", "sample_if_true",
                       "forecast", "active_initial"]


@dataclass(frozen=True)
class Stateful:
    """A stateful object hoisted out of an equation (INTEG, SMOOTH…, DELAY…, TREND, INITIAL…).

    Attributes
    ----------
    kind
        Which object.
    args
        Expression trees by role: ``input``, ``time`` (smooth/delay/average time), ``init``,
        ``trend`` (TREND initial trend), ``cond`` (SAMPLE IF TRUE).
    order
        Number of stages (SMOOTH3/DELAY3: 3; otherwise 1).
    layout
        Layout labels of the state (trailing axes after the member axis).
    owner
        Python name of the variable whose equation contains it (for messages).
    int_init
        The initial value is an integer literal: PySD then keeps an integer state array and
        truncates the input on the first step (SMOOTH only; reproduced for agreement).
    """

    kind: StatefulKind
    args: dict[str, Node]
    order: int
    layout: tuple[str, ...]
    owner: str
    int_init: bool = False


@dataclass(frozen=True)
class Component:
    """One equation of a variable: where it writes and what it computes.

    ``index`` has one entry per axis of the variable: ``("all",)``, ``("elem", position)`` or
    ``("sub", positions)``; ``layout`` lists the labels of the non-``elem`` entries in order.
    """

    index: tuple[tuple, ...]
    layout: tuple[str, ...]
    expr: Node
    mask: int | None = None  # ``:EXCEPT:``: ``ModelIR.arrays`` index, 1 where the equation applies


@dataclass(frozen=True)
class Variable:
    """A model variable (one PySD element).

    Attributes
    ----------
    py_name, real_name, units, doc
        Names and documentation as PySD reports them.
    dims
        Subscript range names of the variable's axes, in declared order.
    components
        Its equations (one for most variables; several for element-by-element definitions).
    constant
        Every component is a number or array literal (PySD type ``Constant``).
    control
        INITIAL TIME, FINAL TIME, TIME STEP or SAVEPER.
    """

    py_name: str
    real_name: str
    units: str
    doc: str
    dims: tuple[str, ...]
    components: tuple[Component, ...]
    constant: bool = False
    control: bool = False
    limits: tuple[float | None, float | None] = (None, None)
    internal: bool = False  # e.g. the element numbers of a subscripted lookup: never returned


@dataclass(frozen=True)
class ModelIR:
    """The whole compiled model."""

    source_hash: str
    variables: dict[str, Variable]
    statefuls: tuple[Stateful, ...]
    tables: tuple[tuple[tuple[float, ...], tuple[float, ...]], ...]
    subscripts: dict[str, tuple[str, ...]]
    arrays: tuple[tuple[tuple[int, ...], tuple[float, ...]], ...] = ()
    named_lookups: frozenset[str] = field(default_factory=frozenset)
    lookup_groups: tuple[tuple[int, ...], ...] = ()
    # (times, flat values, shape (Td, *layout), method) of each data series
    data: tuple[tuple[tuple[float, ...], tuple[float, ...], tuple[int, ...], str], ...] = ()
    # (name relative to the model's folder, sha256) of every data file read at compile time
    externals: tuple[tuple[str, str], ...] = ()

    def label_size(self, label: str) -> int:
        """Number of elements behind a layout label (``route``, ``clean route``, ``route!``)."""
        return len(self.subscripts[label.rstrip("!")])

    def shape(self, dims: tuple[str, ...]) -> tuple[int, ...]:
        """Trailing shape of an array over these layout labels."""
        return tuple(self.label_size(d) for d in dims)
