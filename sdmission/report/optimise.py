"""Figures of an optimisation: convergence of the search and the trade-off front, in the report style.

Pure functions from an :class:`~sdmission.analysis.optimise.OptimiseResult` to a matplotlib
:class:`~matplotlib.figure.Figure`; saving is the caller's job (:mod:`sdmission.report.save`).

Why the convergence line can no longer rise: differential evolution with constraints ranks a
solution that meets every target above any that does not, whatever their cost, so the best
member's cost jumps *up* in the generation the search first meets the targets (or meets them
more safely). The figure draws the lowest cost found so far among generations whose best member
meets every target — a monotone line — and the best member of generations that do not yet meet
them as hollow markers, with the worst shortfall on a second axis.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from matplotlib.figure import Figure

from sdmission.analysis.optimise.search import OptimiseResult
from sdmission.report import labels
from sdmission.report.style import DecimalComma, finish, new_figure, styled
from sdmission.schema.optimise import ParetoSpec

if TYPE_CHECKING:
    from sdmission.study.targets import TargetSet


def figure_title(kind: str, scenario: str, lang: str = "en") -> str:
    """Title of the ``"convergence"`` or ``"pareto"`` figure (report output has none)."""
    return labels.text(f"title.{kind}", lang, name=labels.scenario(scenario, lang))


def best_so_far(best: np.ndarray, violation: np.ndarray) -> np.ndarray:
    """Lowest ``best`` cost so far among generations with ``violation <= 0``; NaN before the first.

    Both arrays have shape ``(generations,)``; the result is non-increasing where finite.
    """
    feasible = np.where(np.asarray(violation) <= 0.0, np.asarray(best, dtype=float), np.inf)
    out = np.minimum.accumulate(feasible)
    return np.where(np.isfinite(out), out, np.nan)


@styled
def plot_convergence(result: OptimiseResult, *, lang: str = "en", title: str | None = None,
                     scenario: str | None = None) -> Figure:
    """Lowest cost so far with every target met, and the worst shortfall, per DE generation."""
    labels.check_lang(lang)
    fig = new_figure(3.0, title=title)
    ax = fig.add_subplot(111)
    gens = np.array([h["generation"] for h in result.history], dtype=float)
    best = np.array([h["best"] for h in result.history], dtype=float)
    worst = np.array([h["worst_violation"] for h in result.history], dtype=float)
    line = best_so_far(best, worst)
    ax.plot(gens, line, color="#332288", linewidth=1.6, drawstyle="steps-post", gid="best_feasible",
            label=labels.text("legend.best_feasible", lang))
    infeasible = worst > 0.0
    ax.plot(gens[infeasible], best[infeasible], linestyle="none", marker="o", markersize=3,
            markerfacecolor="white", markeredgecolor="#332288", gid="best_infeasible",
            label=labels.text("legend.best_infeasible", lang))
    ax.set_xlabel(labels.text("axis.generation", lang))
    ax.set_ylabel(labels.text("axis.objective", lang))
    ax2 = ax.twinx()
    ax2.plot(gens, np.clip(worst, 0.0, None), color="#CC3311", linestyle="--", linewidth=1.0,
             label=labels.text("legend.violation", lang), gid="violation")
    ax2.set_ylabel(labels.text("axis.violation", lang), fontsize=7)
    ax2.spines["right"].set_visible(True)
    ax2.grid(False)
    ax2.set_ylim(bottom=0.0)
    if lang == "nl":
        ax.yaxis.set_major_formatter(DecimalComma())
        ax2.yaxis.set_major_formatter(DecimalComma())
    handles = ax.get_legend_handles_labels()[0] + ax2.get_legend_handles_labels()[0]
    fig.legend(handles=handles, loc="outside upper center", ncols=2, fontsize=6.5)
    name = labels.scenario(scenario, lang) if scenario else "–"
    return finish(fig, lang, [labels.text("source.optimiser", lang, name=name)])


@styled
def plot_pareto(result: OptimiseResult, spec: ParetoSpec, *, lang: str = "en",
                title: str | None = None, scenario: str | None = None,
                targets: TargetSet | None = None) -> Figure:
    """The trade-off front with its cheapest, lowest and knee points named.

    ``targets`` (the problem's target set) names the targets left out of the front by their own
    label in ``lang``, as the PRIM figures do; without it (or for an id it lacks) the id is shown.
    """
    labels.check_lang(lang)
    fig = new_figure(3.4, title=title)
    ax = fig.add_subplot(111)
    c = [s.cost for s in result.pareto]
    e = [s.secondary for s in result.pareto]
    ax.plot(e, c, marker="o", markersize=3, color="#332288", label=labels.text("legend.pareto", lang),
            gid="pareto")
    for role, i in result.pareto_roles.items():
        key = f"pareto.{role}"
        ax.annotate(labels.text(key, lang) if key in labels.LABELS else role, (e[i], c[i]),
                    textcoords="offset points", xytext=(6, 6), fontsize=6.5)
        ax.plot([e[i]], [c[i]], marker="s", markersize=5, color="#CC3311", linestyle="none")
    agg = f"aggregate.{spec.aggregate}"
    ax.set_xlabel(labels.text("axis.pareto_x", lang,
                              aggregate=labels.text(agg, lang) if agg in labels.LABELS
                              else spec.aggregate,
                              metric=labels.variable(spec.metric, lang).lower(),
                              start=spec.window[0], end=spec.window[1]))
    ax.set_ylabel(labels.text("axis.objective", lang))
    if lang == "nl":
        ax.yaxis.set_major_formatter(DecimalComma())
        ax.xaxis.set_major_formatter(DecimalComma())
    met = (labels.text("source.all_met", lang) if not result.pareto_dropped
           else labels.text("source.dropped", lang, ids=labels.join(
               [_target_name(i, targets, lang) for i in result.pareto_dropped], lang)))
    name = labels.scenario(scenario, lang) if scenario else "–"
    return finish(fig, lang, [labels.text("source.optimiser", lang, name=name), met])


def _target_name(target_id: str, targets: TargetSet | None, lang: str) -> str:
    """A target by its own label in ``lang`` (quoted, as in the PRIM figures), else its id."""
    from sdmission.errors import InputError
    from sdmission.report.uncertainty import target_label

    if targets is None:
        return target_id
    try:
        return f"'{target_label(targets.get(target_id), lang)}'"
    except InputError:
        return target_id
