"""Dimensional check of every equation of a Vensim ``.mdl`` (rules in ``units.check``).

``algebra``: units as exponent vectors with a scale, read from Vensim units strings; ``check``: the
walk over each equation's syntax tree.
"""

from sdmission.model.units.algebra import DMNL, Unit, UnitSyntaxError, format_names, parse_unit, unit_of_name
from sdmission.model.units.check import UnitProblem, check_units, iter_report

__all__ = ["DMNL", "Unit", "UnitProblem", "UnitSyntaxError", "check_units", "format_names", "iter_report",
           "parse_unit", "unit_of_name"]
