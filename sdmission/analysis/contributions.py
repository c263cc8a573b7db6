"""What each instrument of a policy mix contributes: Shapley decomposition or leave-one-out.

An *instrument* is a group of inputs (levers, or assumptions) whose paths differ between a scenario
and its reference (``baseline``); :data:`DEFAULT_GROUPS` joins levers that make one instrument
(Invest-NL equity and its industry share…). With ``k`` instruments, member ``m`` of ONE engine call
runs the subset whose bits are set in ``m`` (the instrument at the scenario's path, the others at
the reference's), so member ``0`` is the reference and member ``2^k - 1`` the scenario.

Shapley value of instrument ``i`` for an outcome ``f`` (any array over time)::

    phi_i = sum over S not containing i of |S|! (k - |S| - 1)! / k! * (f(S + i) - f(S))

The values add up to ``f(all) - f(none)`` exactly (efficiency). ``solo_i = f({i}) - f(none)`` is
the instrument on its own, and ``interaction = f(all) - f(none) - sum_i solo_i`` the synergy of the
mix, which the Shapley values share out. Leave-one-out (``method="loo"``, ``k + 2`` members):
``contribution_i = f(all) - f(all - i)`` and ``interaction = f(all) - f(none) - sum_i
contribution_i``. Either way ``sum(contribution) + interaction`` and ``sum(solo) + interaction``
(Shapley) equal the scenario minus the reference.

Outcomes are time series (dims ``(instrument, time)``), so every metric derived linearly from them
(a year's value, a cumulative sum) decomposes the same way.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import xarray as xr

from sdmission.constants import MEMBER, TIME
from sdmission.errors import InputError, Problem
from sdmission.model.engines.protocol import Engine

Method = Literal["shapley", "loo"]
METHODS: tuple[Method, ...] = ("shapley", "loo")
INSTRUMENT_DIM = "instrument"
MAX_SHAPLEY = 12
"""Most instruments a Shapley decomposition runs (``2^12`` members); beyond: ``--method loo``."""

DEFAULT_GROUPS: Mapping[str, tuple[str, ...]] = {
    "invest_nl": ("invest_nl_equity", "invest_nl_industry_share"),
    "co2_levy": ("co2_levy_tariff", "levy_dispensation_factor", "levy_ets_deduction"),
    "sde": ("sde_budget", "sde_max_intensity"),
}
"""Levers that act as one instrument (a name for each group); other inputs are one each."""

OUTCOMES: tuple[str, ...] = ("industry_ghg", "circular_share", "public_cost_total")
"""Outcome variables decomposed over time: GHG (Mt CO2e/yr), circularity (Dmnl), public cost
(MEUR/yr)."""


@dataclass(frozen=True)
class Decomposition:
    """A decomposition of ``scenario - reference``.

    ``ds`` has ``contribution`` and (Shapley) ``solo`` with dims ``(instrument, time)``,
    ``interaction``, ``total``, ``reference`` and ``scenario`` with dim ``time``, one set per
    outcome (variables ``<outcome>_<what>``); ``members`` is the number of runs.
    """

    method: Method
    instruments: Mapping[str, tuple[str, ...]]
    ds: xr.Dataset
    members: int


def _same(a: xr.DataArray, b: xr.DataArray) -> bool:
    try:
        a2, b2 = xr.broadcast(a, b)
    except ValueError:
        return False
    return bool(np.array_equal(a2.values, b2.transpose(*a2.dims).values))


def differing_inputs(scenario: Mapping[str, xr.DataArray], reference: Mapping[str, xr.DataArray],
                     defaults: Mapping[str, xr.DataArray] | None = None) -> list[str]:
    """Inputs whose arrays differ between ``scenario`` and ``reference`` (sorted).

    An input only one side gives differs unless ``defaults`` gives an equal array for it.
    """
    out = []
    for name in sorted({*scenario, *reference}):
        a = scenario.get(name, (defaults or {}).get(name))
        b = reference.get(name, (defaults or {}).get(name))
        if a is None or b is None or not _same(a, b):
            out.append(name)
    return out


def group_instruments(names: Sequence[str],
                      groups: Mapping[str, Sequence[str]] = DEFAULT_GROUPS) -> dict[str, tuple[str, ...]]:
    """Instrument name -> its inputs: ``groups`` where they apply, else one input each."""
    out: dict[str, tuple[str, ...]] = {}
    left = list(names)
    for group, members in groups.items():
        found = tuple(n for n in left if n in members)
        if found:
            out[group] = found
            left = [n for n in left if n not in found]
    out.update({n: (n,) for n in left})
    return dict(sorted(out.items()))


def subset_masks(k: int, method: Method) -> np.ndarray:
    """Boolean ``(members, k)``: which instruments are at the scenario's path in each member.

    Shapley: all ``2^k`` subsets, member ``m`` has bit ``i`` of ``m``. Leave-one-out: none, all,
    then all but ``i`` for each ``i``.
    """
    if method == "shapley":
        m = np.arange(2**k)[:, None]
        return ((m >> np.arange(k)[None, :]) & 1).astype(bool)
    rows = [np.zeros(k, bool), np.ones(k, bool)]
    rows += [~np.eye(k, dtype=bool)[i] for i in range(k)]
    return np.array(rows).reshape(len(rows), k)


def member_inputs(scenario: Mapping[str, xr.DataArray], reference: Mapping[str, xr.DataArray],
                  instruments: Mapping[str, Sequence[str]], masks: np.ndarray,
                  defaults: Mapping[str, xr.DataArray] | None = None) -> dict[str, xr.DataArray]:
    """Engine inputs with a ``member`` dim: the reference's inputs, each instrument switched to
    the scenario's paths in the members where its mask is set."""
    out = dict(reference)
    for j, inputs in enumerate(instruments.values()):
        on = xr.DataArray(masks[:, j], dims=(MEMBER,))
        for name in inputs:
            a = scenario.get(name, (defaults or {}).get(name))
            b = reference.get(name, (defaults or {}).get(name))
            if a is None or b is None:
                raise InputError([Problem(f"input '{name}' has no reference value; give it in "
                                          "both scenarios", key=name)])
            da = xr.where(on, a, b)
            out[name] = da.transpose(MEMBER, ...).assign_attrs(a.attrs)
    return out


def shapley_weights(k: int) -> np.ndarray:
    """``w[s] = s! (k - s - 1)! / k!`` for subset sizes ``s = 0 … k-1``."""
    return np.array([math.factorial(s) * math.factorial(k - s - 1) / math.factorial(k)
                     for s in range(k)])


def _shapley(f: np.ndarray, masks: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Shapley values and solo effects ``(k, …)`` of ``f`` (``(2^k, …)``, member = bit mask)."""
    n, k = masks.shape
    w = shapley_weights(k)
    size = masks.sum(axis=1)
    idx = np.arange(n)
    phi = np.zeros((k, *f.shape[1:]))
    solo = np.zeros_like(phi)
    for i in range(k):
        without = idx[~masks[:, i]]
        with_i = without | (1 << i)
        weights = w[size[without]].reshape(-1, *([1] * (f.ndim - 1)))
        phi[i] = (weights * (f[with_i] - f[without])).sum(axis=0)
        solo[i] = f[1 << i] - f[0]
    return phi, solo


def decompose(f: np.ndarray, masks: np.ndarray, method: Method
              ) -> tuple[np.ndarray, np.ndarray | None, np.ndarray]:
    """``(contribution (k, …), solo (k, …) or None, interaction (…))`` of outcome ``f``
    (``(members, …)`` in the order of :func:`subset_masks`)."""
    k = masks.shape[1]
    if method == "shapley":
        total = f[2**k - 1] - f[0]
        phi, solo = _shapley(f, masks)
        return phi, solo, total - solo.sum(axis=0)
    none, full = f[0], f[1]
    contribution = np.stack([full - f[2 + i] for i in range(k)]) if k else np.zeros((0, *f.shape[1:]))
    return contribution, None, (full - none) - contribution.sum(axis=0)


def contributions(engine: Engine, scenario: Mapping[str, xr.DataArray],
                  reference: Mapping[str, xr.DataArray], *, method: Method = "shapley",
                  groups: Mapping[str, Sequence[str]] = DEFAULT_GROUPS,
                  outcomes: Sequence[str] = OUTCOMES, final_time: float | None = None,
                  defaults: Mapping[str, xr.DataArray] | None = None) -> Decomposition:
    """Decompose ``scenario - reference`` over the instruments that differ (one engine call).

    Parameters
    ----------
    engine
        A batch-capable engine (every member runs in one call).
    scenario, reference
        Engine inputs of the two scenarios (``study.prepare`` cases' ``inputs``).
    method
        ``shapley`` (``2^k`` members) or ``loo`` (leave-one-out, ``k + 2`` members).
    groups
        Inputs that act as one instrument.
    outcomes
        Variables to decompose; each must have dims ``(member, time)`` in the engine's output.
    defaults
        Inputs' values where one side does not give them (the model's defaults).
    """
    if method not in METHODS:
        raise InputError([Problem(f"unknown method '{method}'; allowed: {', '.join(METHODS)}",
                                  key="--method")])
    instruments = group_instruments(differing_inputs(scenario, reference, defaults), groups)
    k = len(instruments)
    if k == 0:
        raise InputError([Problem("the scenario's inputs equal the reference's: nothing to "
                                  "decompose", key="SCENARIO")])
    if method == "shapley" and k > MAX_SHAPLEY:
        raise InputError([Problem(f"{k} instruments differ; a Shapley decomposition runs 2^{k} "
                                  f"members (at most {MAX_SHAPLEY} instruments): use --method loo",
                                  key="--method")])
    masks = subset_masks(k, method)
    ds = engine.run(member_inputs(scenario, reference, instruments, masks, defaults),
                    return_vars=list(outcomes), final_time=final_time)
    names = list(instruments)
    out = xr.Dataset(coords={INSTRUMENT_DIM: names, TIME: ds[TIME].values})
    for var in outcomes:
        da = ds[var].transpose(MEMBER, TIME)
        f = np.asarray(da.values, dtype=float)
        contribution, solo, interaction = decompose(f, masks, method)
        full = 2**k - 1 if method == "shapley" else 1
        out[f"{var}_contribution"] = ((INSTRUMENT_DIM, TIME), contribution)
        if solo is not None:
            out[f"{var}_solo"] = ((INSTRUMENT_DIM, TIME), solo)
        out[f"{var}_interaction"] = ((TIME,), interaction)
        out[f"{var}_reference"] = ((TIME,), f[0])
        out[f"{var}_scenario"] = ((TIME,), f[full])
        out[f"{var}_total"] = ((TIME,), f[full] - f[0])
    out.attrs.update(method=method, members=str(len(masks)),
                     instruments="\n".join(f"{n}: {', '.join(v)}" for n, v in instruments.items()))
    return Decomposition(method, instruments, out, len(masks))


SUMMARY_COLUMNS: Mapping[str, str] = {
    "ghg_reduction_2030": "Mt CO2e/yr",
    "ghg_reduction_2050": "Mt CO2e/yr",
    "ghg_reduction_cumulative": "Mt CO2e",
    "circular_share_2050": "percentage points",
    "public_cost_cumulative": "MEUR",
    "cost_effectiveness": "EUR/t CO2e",
}
"""Columns of :func:`summary` and their units."""


def _at(da: xr.DataArray, year: float) -> xr.DataArray:
    return da.sel({TIME: year}, method="nearest")


def _cumulative(da: xr.DataArray, start: float) -> xr.DataArray:
    t = da[TIME].values
    step = float(t[1] - t[0]) if t.size > 1 else 1.0
    return da.where(da[TIME] >= start).sum(TIME) * step


def summary(dec: Decomposition, *, start: float = 2025.0, years: tuple[float, float] = (2030, 2050)
            ) -> dict[str, dict[str, float]]:
    """Per instrument (then ``interaction`` and ``total``) the metrics of :data:`SUMMARY_COLUMNS`.

    GHG reductions are ``reference - scenario`` of ``industry_ghg`` (positive: less emitted), the
    cumulative sums run from ``start`` to the last year; the circular share is in percentage
    points in the second of ``years``; the public cost is ``public_cost_total`` summed from
    ``start``; cost-effectiveness is that cost over the cumulative reduction (MEUR/Mt = EUR/t;
    NaN when the reduction is not positive).
    """
    ds = dec.ds
    rows: dict[str, dict[str, float]] = {}
    for label in [*dec.instruments, "interaction", "total"]:
        def get(var: str, label: str = label) -> xr.DataArray:
            if label in ("interaction", "total"):
                return ds[f"{var}_{label}"]
            return ds[f"{var}_contribution"].sel({INSTRUMENT_DIM: label}, drop=True)

        ghg = -get("industry_ghg")
        cost = float(_cumulative(get("public_cost_total"), start))
        reduction = float(_cumulative(ghg, start))
        rows[label] = {
            "ghg_reduction_2030": float(_at(ghg, years[0])),
            "ghg_reduction_2050": float(_at(ghg, years[1])),
            "ghg_reduction_cumulative": reduction,
            "circular_share_2050": 100.0 * float(_at(get("circular_share"), years[1])),
            "public_cost_cumulative": cost,
            "cost_effectiveness": (cost / reduction if reduction > 1e-9 and label != "interaction"
                                   else float("nan")),
        }
    return rows
