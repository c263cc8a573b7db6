"""Report figures and tables: pure functions from results to matplotlib Figures.

Saving is the caller's job and goes through :mod:`sdmission.report.save` (one dpi and metadata
policy). :func:`all_figures` draws every report figure, :func:`save_all` also writes them; the
modules are listed in :mod:`sdmission.report.figures`.
"""

from __future__ import annotations

from sdmission.report.circular import circular_share
from sdmission.report.compare import COMPARISON_PANELS, scenario_comparison
from sdmission.report.costs import DISCOUNT_RATE, NPV_START, npv, public_cost
from sdmission.report.data import Runs, as_runs, observed, require
from sdmission.report.emissions import GHG_VARS, emission_wedges, ghg_trajectories
from sdmission.report.figures import REQUIRED, all_figures, save_all
from sdmission.report.innovation import innovation_system
from sdmission.report.save import FORMATS, parse_formats, save_figure, save_formats
from sdmission.report.style import SCENARIO_COLORS, WIDTH_IN, category_colors, scenario_colors

__all__ = [
    "COMPARISON_PANELS", "DISCOUNT_RATE", "FORMATS", "GHG_VARS", "NPV_START", "REQUIRED", "Runs",
    "SCENARIO_COLORS", "WIDTH_IN", "all_figures", "as_runs", "category_colors", "circular_share",
    "emission_wedges", "ghg_trajectories", "innovation_system", "npv", "observed", "parse_formats",
    "public_cost", "require", "save_all", "save_figure", "save_formats", "scenario_colors",
    "scenario_comparison",
]
