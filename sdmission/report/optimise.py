"""Figures of an optimisation: convergence of the search and the trade-off front.

Pure functions from an :class:`~sdmission.analysis.optimise.OptimiseResult` to a matplotlib
:class:`~matplotlib.figure.Figure`; saving is the caller's job (:mod:`sdmission.report.save`).
"""

from __future__ import annotations

import textwrap

from matplotlib.figure import Figure

from sdmission.analysis.optimise.search import OptimiseResult
from sdmission.schema.optimise import ParetoSpec


def plot_convergence(result: OptimiseResult) -> Figure:
    """Figure: best objective and its worst normalised violation per DE generation."""
    fig = Figure(figsize=(7, 4))
    ax = fig.add_subplot(111)
    gens = [h["generation"] for h in result.history]
    ax.plot(gens, [h["best"] for h in result.history], marker="o", ms=3, label="best objective")
    ax.set_xlabel("DE generation")
    ax.set_ylabel("objective (MEUR)")
    ax2 = ax.twinx()
    ax2.plot(gens, [max(h["worst_violation"], 0.0) for h in result.history], color="tab:red",
             ls="--", label="worst violation (normalised)")
    ax2.set_ylabel("worst target violation (normalised, 0 = met)")
    ax.set_title("Convergence of the least-cost search", loc="left")
    handles = ax.get_legend_handles_labels()[0] + ax2.get_legend_handles_labels()[0]
    ax.legend(handles, [str(h.get_label()) for h in handles], loc="upper center",
              bbox_to_anchor=(0.5, -0.18), ncol=2, frameon=False)
    fig.tight_layout()
    return fig


def plot_pareto(result: OptimiseResult, spec: ParetoSpec) -> Figure:
    """Figure: the trade-off front with its cheapest, lowest and knee points named."""
    fig = Figure(figsize=(7, 5))
    ax = fig.add_subplot(111)
    c = [s.cost for s in result.pareto]
    e = [s.secondary for s in result.pareto]
    ax.plot(e, c, marker="o", color="tab:blue")
    for role, i in result.pareto_roles.items():
        ax.annotate(role, (e[i], c[i]), textcoords="offset points", xytext=(6, 6))
        ax.plot([e[i]], [c[i]], marker="s", color="tab:orange")
    ax.set_xlabel(f"{spec.aggregate} of {spec.metric}, {spec.window[0]}–{spec.window[1]}")
    ax.set_ylabel("objective (MEUR)")
    met = ("all targets met" if not result.pareto_dropped
           else "out-of-reach targets left out: " + ", ".join(result.pareto_dropped))
    ax.set_title("\n".join([f"Trade-off: public cost vs {spec.metric}", *textwrap.wrap(f"({met})", 80)]),
                 loc="left", fontsize=9)
    fig.tight_layout()
    return fig
