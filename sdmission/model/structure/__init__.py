"""Model structure: the dependency graph, link polarity, feedback loops and group diagrams.

``graph`` (dependency graph and loops), ``signs`` (link polarity from the syntax tree), ``syntax``
(text of and references in PySD's syntax trees), ``layout`` (one group's diagram). The model file
itself is read by ``sdmission.model.source``.

pysimlin (``simlin.load``) was tried first: version 0.8.5 does not compile this model (it reads the
element-wise equations of ``innovation function[knowledge]`` as a dimension name), so it lists no
loops; this package computes them itself.
"""

from sdmission.model.structure.graph import (
    CONTROL_NAMES,
    Kind,
    Loop,
    Polarity,
    Variable,
    dependency_graph,
    feedback_loops,
    loop_polarity,
    loop_table,
    loops_of,
)
from sdmission.model.structure.layout import Placed, group_view, layout, split_view
from sdmission.model.structure.signs import Sign, link_sign
from sdmission.model.structure.syntax import references, render

__all__ = [
    "CONTROL_NAMES", "Kind", "Loop", "Placed", "Polarity", "Sign", "Variable", "dependency_graph",
    "feedback_loops", "group_view", "layout", "link_sign", "loop_polarity", "loop_table", "loops_of",
    "references", "render", "split_view",
]
