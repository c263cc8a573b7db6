"""The optimisation report: plain JSON-able data, markdown, scenario-file lever paths, progress."""

from __future__ import annotations

import sys
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from sdmission.analysis.optimise.problem import FloatArray, OptimisationProblem
from sdmission.analysis.optimise.search import OptimiseResult


def stderr_progress(msg: str) -> None:
    """Default progress printer (stderr, flushed)."""
    print(msg, file=sys.stderr, flush=True)


def lever_paths(problem: OptimisationProblem, x: FloatArray) -> dict[str, Any]:
    """Scenario-file paths of one decision vector: ``{lever: {"knots": {year: value}}}`` or a number.

    Sampled on the integration grid (linear interpolation, held outside) they reproduce exactly the
    inputs the optimiser evaluated.
    """
    out: dict[str, Any] = {}
    for name, bp in problem.breakpoints(np.asarray(x, dtype=float)).items():
        if isinstance(bp, float):
            out[name] = bp
        else:
            xs, ys = bp
            out[name] = {"knots": {float(a): float(b) for a, b in zip(xs, ys, strict=True)}}
    return out


def report_dict(problem: OptimisationProblem, result: OptimiseResult) -> dict[str, Any]:
    """The optimisation report as plain JSON-able data."""
    best = result.best
    scale = problem.scale()
    ds = problem.evaluate(best.x[None, :])
    values = problem.target_values(ds)[0]
    robust = problem.robust_summary(best.x) if problem.robust else None
    targets = []
    for j, t in enumerate(problem.target_set.targets):
        row: dict[str, Any] = {
            "id": t.id, "metric": t.metric, "year": t.year, "sense": t.sense,
            "threshold": t.threshold, "units": t.units, "label": t.label,
            "value": float(values[j]), "met": bool(best.g[j] <= best.tol),
            "gap": max(0.0, float(best.g[j] * scale[j])),
            "binding": t.id in result.binding,
            "marginal_cost": result.marginal_cost.get(t.id),
        }
        if robust is not None:
            r = robust["targets"][j]
            # met = chance constraint; value/nominal_met = the nominal future `run` reproduces
            row.update(met=r["met"], nominal_met=bool(t.holds(values[j])), p_met=r["p_met"],
                       futures_met=r["futures_met"], gap=max(0.0, r["gap_at_p"]),
                       gap_at_p=r["gap_at_p"], gap_quantiles=r["gap_quantiles"])
        targets.append(row)
    o = problem.spec.objective
    decisions = [{"decision": lab, "value": float(v), "lower": float(lo), "upper": float(hi),
                  "at_bound": next((side for l2, side in result.at_bounds if l2 == lab), None)}
                 for lab, v, lo, hi in zip(result.labels, best.x, result.lower, result.upper, strict=True)]
    out: dict[str, Any] = {
        "status": "feasible" if result.feasible else "infeasible",
        "target_set": problem.target_set.name,
        "objective": {"metric": o.metric, "kind": o.kind, "discount_rate": o.discount_rate,
                      "base_year": o.base_year if o.base_year is not None else problem.spec.start,
                      "window": list(o.window or (problem.spec.start, int(problem.grid.final))),
                      "value": best.cost, "units": "MEUR" if o.metric.startswith("public_cost") else ""},
        "targets": targets,
        "unmet_targets": [t["id"] for t in targets if not t["met"]],
        # infeasible: unmet targets that no path within the bounds meets even when sought alone
        "out_of_reach_alone": [i for i, g in result.alone.items() if g > best.tol],
        "reachable_alone": [i for i, g in result.alone.items() if g <= best.tol],
        "worst_normalised_violation": best.worst,
        "decisions": decisions,
        "levers_at_bounds": [{"decision": lab, "bound": side} for lab, side in result.at_bounds],
        "lever_paths": lever_paths(problem, best.x),
        "seed": result.seed,
        "evaluations": result.n_evals, "engine_calls": result.n_calls,
        "engine": getattr(problem.engine, "name", type(problem.engine).__name__),
        "evaluation_seconds": result.eval_seconds, "wall_seconds": result.wall_seconds,
        "evaluations_per_second": result.n_evals / result.eval_seconds if result.eval_seconds else None,
        "messages": list(result.messages),
        "history": result.history,
    }
    if robust is not None:
        out["robust"] = {k: v for k, v in robust.items() if k != "targets"}
        out["robust"]["statement"] = (
            f"P(met) evaluated over {robust['members']} futures ({robust['sampler']}, seed "
            f"{robust['seed']}) drawn once and held fixed; each target must be met in at least "
            f"{robust['k']} of them (p = {robust['p']:g}). Cost and lever paths are those of the "
            "nominal future, which `run` reproduces.")
    if result.pareto and problem.spec.pareto is not None:
        p = problem.spec.pareto
        out["pareto"] = {
            "metric": p.metric, "aggregate": p.aggregate, "window": list(p.window), "sense": p.sense,
            "roles": dict(result.pareto_roles),
            "points": [{"cost": s.cost, "secondary": s.secondary,
                        "decisions": dict(zip(result.labels, map(float, s.x), strict=True))}
                       for s in result.pareto],
        }
    return out


def report_markdown(rep: Mapping[str, Any], scenario: str = "") -> str:
    """Human-readable report (markdown) from :func:`report_dict` output."""
    o = rep["objective"]
    lines = [f"# Optimisation report{(': ' + scenario) if scenario else ''}", ""]
    rb = rep.get("robust")
    chance = (f" with probability at least {rb['p']:g} over {rb['members']} sampled futures (seed "
              f"{rb['seed']})" if rb else "")
    if rep["status"] == "feasible":
        lines += [f"**Feasible.** Least {o['kind'].upper()} of `{o['metric']}` that meets every target "
                  f"of `{rep['target_set']}`{chance}: **{o['value']:,.1f} {o['units']}** (discount rate "
                  f"{o['discount_rate']:.2%}, base year {o['base_year']}, years {o['window'][0]}–"
                  f"{o['window'][1]}).", ""]
    else:
        def ids(xs: Sequence[str]) -> str:
            return ", ".join("`" + t + "`" for t in xs) or "none"

        alone = ""
        if rep.get("out_of_reach_alone") is not None and rep["unmet_targets"]:
            alone = (f" Sought on its own, each of these is still out of reach: "
                     f"{ids(rep['out_of_reach_alone'])}; reachable alone but not together with the "
                     f"others: {ids(rep['reachable_alone'])}.")
        lines += [f"**Infeasible.** No lever paths within the bounds meet every target of "
                  f"`{rep['target_set']}`{chance}. Target(s) not met at the closest approach: "
                  f"{ids(rep['unmet_targets'])}.{alone} The closest approach "
                  f"(smallest worst violation, {rep['worst_normalised_violation']:.3g} of the "
                  f"target's scale) is shown below; cost at that point {o['value']:,.1f} {o['units']}.",
                  "", "Widen the bounds of levers that sit at a bound below, or accept that the "
                  "target is out of reach with these instruments.", ""]
    if rb:
        lines += ["## Robustness", "", rb["statement"], "",
                  "| target | P(met) | required | futures met | gap at p | signed gap 5 / 50 / 95 % |"
                  " met in nominal future |", "|---|---|---|---|---|---|---|"]
        for t in rep["targets"]:
            q = t["gap_quantiles"]
            lines.append(f"| {t['id']} | {t['p_met']:.3f} | {rb['p']:g} | {t['futures_met']}/"
                         f"{rb['members']} | {t['gap_at_p']:.4g} {t['units']} | {q['0.05']:.4g} / "
                         f"{q['0.5']:.4g} / {q['0.95']:.4g} | {'yes' if t['nominal_met'] else 'no'} |")
        cf = rb["cost_over_futures"]
        lines += ["", f"P(every target met) = {rb['p_all_met']:.3f}. Gap = shortfall in the metric's "
                  "units (negative: met with that margin); gap at p = the k-th smallest, the "
                  "relaxation at which P(met) would reach p. Objective in the nominal future "
                  f"{rb['cost_nominal']:,.1f} {o['units']}; over the futures mean {cf['mean']:,.1f}, "
                  f"5–95 % {cf['0.05']:,.1f}–{cf['0.95']:,.1f}.", "",
                  f"Uncertainties ({len(rb['uncertainties'])}): " + "; ".join(rb["uncertainties"][:12])
                  + ("; … (all in report.json)" if len(rb["uncertainties"]) > 12 else ""), ""]
    lines += ["## Targets", "", "| target | condition | value | met | gap | binding | marginal cost |",
              "|---|---|---|---|---|---|---|"]
    for t in rep["targets"]:
        mc = t["marginal_cost"]
        mc_txt = f"{mc:,.4g} {o['units']} per {t['units']}" if mc is not None else "–"
        lines.append(f"| {t['id']} | {t['metric']} {t['sense']} {t['threshold']:g} {t['units']} in "
                     f"{t['year']} | {t['value']:.4g} | {'yes' if t['met'] else '**no**'} | "
                     f"{t['gap']:.4g} | {'yes' if t['binding'] else ''} | {mc_txt} |")
    lines += ["", "Marginal cost = increase of the objective per unit the binding target is tightened "
              "(SLSQP KKT multiplier; for fractions, divide by 100 for one percentage point)."
              + (" Not computed for chance constraints (differential evolution only). Value = the "
                 "nominal future; met = P(met) >= p; gap = the gap at p." if rb else ""), "",
              "## Decisions", "", "| decision | value | bounds | at bound |", "|---|---|---|---|"]
    for d in rep["decisions"]:
        lines.append(f"| {d['decision']} | {d['value']:.6g} | [{d['lower']:g}, {d['upper']:g}] | "
                     f"{d['at_bound'] or ''} |")
    if "pareto" in rep:
        p = rep["pareto"]
        lines += ["", f"## Trade-off: objective vs {p['aggregate']} of `{p['metric']}` "
                  f"{p['window'][0]}–{p['window'][1]}", "", "| point | objective | second metric |",
                  "|---|---|---|"]
        roles = {v: k for k, v in p["roles"].items()}
        for i, pt in enumerate(p["points"]):
            lines.append(f"| {i}{' (' + roles[i] + ')' if i in roles else ''} | {pt['cost']:,.1f} | "
                         f"{pt['secondary']:.5g} |")
    lines += ["", "## Run", "", f"seed {rep['seed']}, engine {rep['engine']}, {rep['evaluations']} model "
              f"evaluations in {rep['engine_calls']} engine calls, {rep['wall_seconds']:.1f} s wall."]
    lines += [f"- {m}" for m in rep["messages"]]
    return "\n".join(lines) + "\n"

