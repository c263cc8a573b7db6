"""Resource limits, checked before any work starts (issue #13: memory bombs refused in < 1 s).

A run is refused, with the figure and how to reduce it, when

- its time grid has more than ``MAX_STEPS`` integration steps (``final_time: 1e12``);
- the arrays it would hold (members x variables x times x 8 bytes, plus the engine's working copy)
  exceed ``max_bytes()``: ``$SDMISSION_MAX_MEMORY_GB`` (default 4 GiB).

Every check returns a list of :class:`~sdmission.errors.Problem` (so callers report them with
the rest) or raises :class:`~sdmission.errors.InputError` through :func:`require`.
"""

from __future__ import annotations

import math
import os
from pathlib import Path

from sdmission.errors import InputError, Problem

MAX_STEPS = 1_000_000
ENV_MEMORY = "SDMISSION_MAX_MEMORY_GB"
DEFAULT_MEMORY_GB = 4.0
#: Bytes per stored value times the engine's copies (result, state, working arrays).
BYTES_PER_VALUE = 8 * 3


def max_bytes() -> float:
    """The memory budget of one command in bytes (``$SDMISSION_MAX_MEMORY_GB``, default 4 GiB)."""
    raw = os.environ.get(ENV_MEMORY)
    try:
        gb = float(raw) if raw else DEFAULT_MEMORY_GB
    except ValueError:
        gb = DEFAULT_MEMORY_GB
    return (gb if math.isfinite(gb) and gb > 0 else DEFAULT_MEMORY_GB) * 2**30


def gib(n_bytes: float) -> str:
    """``'14.9 GiB'``."""
    return f"{n_bytes / 2**30:.3g} GiB"


def n_steps(initial: float, final: float, step: float) -> float:
    """Number of integration steps of a grid (``inf`` for a non-positive or non-finite step)."""
    if not (math.isfinite(step) and step > 0 and math.isfinite(initial) and math.isfinite(final)):
        return math.inf
    return (final - initial) / step


def check_horizon(initial: float, final: float, step: float, *, key: str,
                  file: Path | str | None = None, line: int | None = None) -> list[Problem]:
    """Refuse a time grid of more than ``MAX_STEPS`` steps (or a non-finite one)."""
    steps = n_steps(initial, final, step)
    if steps <= MAX_STEPS:
        return []
    shown = "not finite" if not math.isfinite(steps) else f"{steps:.3g} steps"
    return [Problem(
        f"the time horizon {initial:g}..{final:g} with TIME STEP {step:g} is {shown}; at most "
        f"{MAX_STEPS:,} steps are allowed (final time at most {initial + MAX_STEPS * step:g}); "
        "choose an earlier final time", file, line, key)]


def check_memory(what: str, n_values: float, *, key: str, reduce: str,
                 file: Path | str | None = None, line: int | None = None) -> list[Problem]:
    """Refuse ``n_values`` stored values when they would need more than ``max_bytes()``.

    ``what`` names the product (``'3 scenarios x 1e9 members x 12 variables x 31 times'``) and
    ``reduce`` says how to make it smaller.
    """
    need = float(n_values) * BYTES_PER_VALUE
    budget = max_bytes()
    if need <= budget:
        return []
    return [Problem(
        f"{what} would need about {gib(need)} of memory; the limit is {gib(budget)} "
        f"(${ENV_MEMORY}); {reduce}", file, line, key)]


def require(problems: list[Problem]) -> None:
    """Raise :class:`InputError` when there are problems."""
    if problems:
        raise InputError(problems)


def check_ensemble(scenarios: int, members: int, outputs: int, times: int, uncertainties: int,
                   *, key: str = "--members") -> list[Problem]:
    """Memory of an ensemble: scenarios x members x (outputs x times + uncertainties) values."""
    values = float(scenarios) * members * (outputs * times + uncertainties)
    return check_memory(
        f"an ensemble of {scenarios} scenario(s) x {members:,} members x {outputs} outputs x "
        f"{times} times", values, key=key,
        reduce="use fewer --members (or fewer scenarios), or raise the limit")


#: Outputs the optimiser keeps per member and time (targets, cost, headline metrics); an upper bound.
OPTIMISER_OUTPUTS = 16
ENV_HOURS = "SDMISSION_MAX_HOURS"
DEFAULT_HOURS = 24.0
#: Seconds per member x variable x time step of the batch engine: a lower bound. Measured
#: 1.8e-7 to 1.9e-7 on models/sdmission.mdl (327 variables, 141 steps, 200 and 2,000 members, 2-core
#: machine, nice 10); the estimate uses the faster 1e-7 so that it never overstates the time.
SECONDS_PER_VALUE = 1e-7


def max_seconds() -> float:
    """The time budget of one search in seconds (``$SDMISSION_MAX_HOURS``, default 24 h)."""
    raw = os.environ.get(ENV_HOURS)
    try:
        hours = float(raw) if raw else DEFAULT_HOURS
    except ValueError:
        hours = DEFAULT_HOURS
    return (hours if math.isfinite(hours) and hours > 0 else DEFAULT_HOURS) * 3600


def duration(seconds: float) -> str:
    """``'3.2 h'``, ``'41 days'``."""
    if seconds < 3600:
        return f"{seconds / 60:.2g} min"
    if seconds < 86400 * 2:
        return f"{seconds / 3600:.3g} h"
    return f"{seconds / 86400:.3g} days"


def check_robust(popsize: int, decisions: int, members: int, times: int, variables: int,
                 generations: int = 1, *, key: str = "optimise.robust.members",
                 file: Path | str | None = None, line: int | None = None) -> list[Problem]:
    """Size of a robust optimisation, S candidates x (N + 1) futures per generation.

    ``S = popsize x decisions``. Refused when one generation's arrays (each run holds
    ``OPTIMISER_OUTPUTS x times`` outputs and the engine's state of every variable) exceed
    :func:`max_bytes`, or when ``generations`` of them would take longer than :func:`max_seconds`
    at :data:`SECONDS_PER_VALUE` per run, variable and time step.
    """
    runs = float(popsize) * decisions * (members + 1)
    values = runs * (OPTIMISER_OUTPUTS * times + variables)
    reduce = "use fewer robust members, a smaller method.popsize or fewer knots"
    found = check_memory(
        f"robust optimisation: {popsize} x {decisions} candidates x {members + 1:,} futures "
        f"({runs:.3g} runs per generation) x {times} times", values, key=key, file=file, line=line,
        reduce=reduce)
    seconds = runs * generations * times * variables * SECONDS_PER_VALUE
    budget = max_seconds()
    if seconds > budget:
        found.append(Problem(
            f"robust optimisation: {runs:.3g} runs per generation x {generations:,} generations x "
            f"{times} times x {variables} variables would take at least {duration(seconds)}; the "
            f"limit is {duration(budget)} (${ENV_HOURS}); {reduce}, or a smaller method.maxiter",
            file, line, key))
    return found
