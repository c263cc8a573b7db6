"""The report's figures: every figure at once (:func:`all_figures`) and written to files (:func:`save_all`).

Every figure is a pure function from results (one ``xarray.Dataset`` or a mapping
``{scenario: Dataset}``) to a :class:`matplotlib.figure.Figure`, drawn with the object API on the
Agg canvas (no pyplot, no global state); saving goes through :mod:`sdmission.report.save` (the one
dpi and metadata policy).

=================  ===============================================================================
module             figures
=================  ===============================================================================
``emissions``      :func:`ghg_trajectories`, :func:`emission_wedges`
``circular``       :func:`circular_share`
``compare``        :func:`scenario_comparison`
``innovation``     :func:`innovation_system`
``costs``          :func:`public_cost` (and :func:`npv`)
``uncertainty``    fan charts, Sobol bars, PRIM boxes (ensemble and analysis results)
``optimise``       convergence and Pareto front of an optimisation
=================  ===============================================================================

Conventions
-----------
* Sized for the A4 text width (16 cm, :data:`~sdmission.report.style.WIDTH_IN`), 7.5–9 pt text.
* Colour-blind-safe palettes (Okabe & Ito for scenarios, Paul Tol's *muted* for categories);
  a scenario keeps its colour in every figure (:func:`~sdmission.report.style.scenario_colors`);
  line styles vary too, so figures survive greyscale printing.
* Units in axis labels, a source line under each figure, English or Dutch (``lang="nl"``).
* A ``member`` dim (ensemble) turns trajectories into fan charts: median, 25–75 % and 5–95 % bands.
  Stacked figures show the ensemble mean (means add up; medians do not) and say so.
* Artists tests look for carry a ``gid``: ``scenario:<name>``, ``observed``, ``ref1990``,
  ``target:<id>``, ``stack:<element>``, ``captured``, ``non_co2``, ``net_total``, ``npv:<element>``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Final

from matplotlib.figure import Figure

from sdmission.errors import InputError, Problem
from sdmission.report import labels
from sdmission.report.circular import circular_share
from sdmission.report.compare import COMPARISON_PANELS, scenario_comparison
from sdmission.report.costs import cost_limits, public_cost
from sdmission.report.data import Runs, as_runs, require, with_total_cost
from sdmission.report.emissions import GHG_VARS, emission_wedges, ghg_trajectories, wedge_limits
from sdmission.report.innovation import innovation_system
from sdmission.report.save import parse_formats, save_formats
from sdmission.settings import language_suffix
from sdmission.study.targets import DEFAULT_SET, Target, TargetSet, get_target_set

#: Targets marked by default: the registry's default set and the Klimaatakkoord goal for industry,
#: so the industry panel has its 2030 target too.
REPORT_TARGETS: Final = f"{DEFAULT_SET}+klimaatakkoord-industry"

#: Every variable :func:`all_figures` needs.
REQUIRED: Final = tuple(dict.fromkeys((
    *GHG_VARS, "circular_share", *(p[0] for p in COMPARISON_PANELS), "route_emissions",
    "captured_co2", "innovation_function", "readiness", "public_cost")))


def all_figures(data: Runs, targets: TargetSet | None = None, *,
                lang: str = "en", title: bool = False) -> Iterator[tuple[str, Figure]]:
    """Every report figure as ``(file stem, Figure)``, one at a time.

    Stems: ``ghg_trajectories``, ``circular_share``, ``scenario_comparison`` (all scenarios on one
    axis), then ``emissions_<scenario>``, ``innovation_<scenario>``, ``public_cost_<scenario>``.
    The emission pages share one value axis (:func:`~sdmission.report.emissions.wedge_limits`),
    the public-cost pages one pair of axes (:func:`~sdmission.report.costs.cost_limits`);
    ``title`` puts titles on the figures (report output has none).
    """
    labels.check_lang(lang)
    runs = {k: with_total_cost(v) for k, v in as_runs(data).items()}
    # Check everything first, so a missing variable is reported before any figure is drawn.
    require(runs, REQUIRED, "all_figures")
    yield "ghg_trajectories", ghg_trajectories(runs, targets, lang=lang, title=title)
    yield "circular_share", circular_share(runs, targets, lang=lang, title=title)
    yield "scenario_comparison", scenario_comparison(runs, targets, lang=lang, title=title)
    limits = cost_limits(runs)
    wedges = wedge_limits(runs)
    for name, ds in runs.items():
        one = {name: ds}
        yield f"emissions_{name}", emission_wedges(one, lang=lang, title=title, ylim=wedges)
        yield f"innovation_{name}", innovation_system(one, lang=lang, title=title)
        yield f"public_cost_{name}", public_cost(one, lang=lang, title=title, limits=limits)


def save_all(
    datasets: Runs,
    out_dir: Path | str,
    lang: str = "en",
    formats: Sequence[str] = ("png", "svg"),
    targets: TargetSet | str | None = None,
    *,
    title: bool = False,
) -> list[Path]:
    """Draw and write every report figure; the entry point of ``plot`` and ``run --plots``.

    Parameters
    ----------
    datasets
        ``{scenario: result Dataset}``, or a list of result Datasets named by their ``scenario``
        coordinate (dims ``time`` [, ``member``] + subscripts).
    out_dir
        Folder for the files (created if missing).
    lang
        ``"en"`` or ``"nl"`` (Dutch file names end in ``_nl``).
    formats
        Any of ``png`` (300 dpi), ``svg``, ``pdf``.
    targets
        A :class:`~sdmission.study.targets.TargetSet`, a set name, several names joined by ``+``
        (``design+klimaatakkoord-industry``: every target of each), or ``None`` for
        :data:`REPORT_TARGETS`.
    title
        Put titles on the figures (default none: report authors write their own captions).

    Returns
    -------
    list of Path
        The files written, figure by figure.
    """
    labels.check_lang(lang)
    fmts = parse_formats(formats)
    target_set = resolve_targets(targets)
    out = Path(out_dir)
    suffix = language_suffix(lang)
    written: list[Path] = []
    for stem, fig in all_figures(datasets, target_set, lang=lang, title=title):
        safe = re.sub(r"[^A-Za-z0-9_.-]+", "_", stem)  # scenario names end up in file names
        written += save_formats(fig, out, safe + suffix, fmts)
    return written


def resolve_targets(targets: object) -> TargetSet:
    """A target set from a set, a set name, names joined by ``+``, or ``None``
    (:data:`REPORT_TARGETS`)."""
    if targets is None:
        targets = REPORT_TARGETS
    if isinstance(targets, str):
        return combine([get_target_set(n.strip()) for n in targets.split("+") if n.strip()])
    if isinstance(targets, TargetSet):
        return targets
    raise InputError([Problem(f"targets must be a TargetSet or a set name, not "
                              f"{type(targets).__name__}", key="targets")])


def combine(sets: Sequence[TargetSet]) -> TargetSet:
    """One set holding every target of ``sets`` (named ``a+b``); a target id given twice is kept
    once (the first)."""
    if not sets:
        raise InputError([Problem("no target set named", key="targets")])
    if len(sets) == 1:
        return sets[0]
    seen: dict[str, Target] = {}
    for ts in sets:
        for t in ts.targets:
            seen.setdefault(t.id, t)
    return TargetSet(name="+".join(ts.name for ts in sets),
                     description=" ".join(ts.description for ts in sets),
                     source=" ".join(ts.source for ts in sets), targets=tuple(seen.values()))
