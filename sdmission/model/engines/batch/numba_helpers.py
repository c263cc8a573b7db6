# mypy: ignore-errors
"""Scalar helpers of the compiled path (numba); compiled once per machine and cached on disk.

The same formulas as ``codegen.PRELUDE`` (PySD's functions), element by element.
"""
# ruff: noqa

import numpy as np
from numba import njit

_J = dict(cache=True, error_model="numpy", fastmath=False)


@njit(**_J)
def _where(c, a, b):
    return a if c else b


@njit(**_J)
def _minimum(a, b):
    if np.isnan(a) or np.isnan(b):
        return np.nan
    return a if a < b else b


@njit(**_J)
def _maximum(a, b):
    if np.isnan(a) or np.isnan(b):
        return np.nan
    return a if a > b else b


@njit(**_J)
def _not(a):
    return not a


@njit(**_J)
def _and(a, b):
    return bool(a) and bool(b)


@njit(**_J)
def _or(a, b):
    return bool(a) or bool(b)


@njit(**_J)
def _abs(x):
    return abs(x)


@njit(**_J)
def _zidz(a, b):
    return 0.0 if abs(b) < 1e-6 else a / b


@njit(**_J)
def _xidz(a, b, x):
    return x if abs(b) < 1e-6 else a / b


@njit(**_J)
def _logb(x, base):
    return np.log(x) / np.log(base)


@njit(**_J)
def _integer(x):
    return np.trunc(x)


@njit(**_J)
def _modulo(x, m):
    return x - (x if m < 1e-6 else m * np.trunc(x / m))


@njit(**_J)
def _quantum(a, b):
    return a if b < 1e-6 else b * np.trunc(a / b)


@njit(**_J)
def _step(t, dt, value, tstep):
    return value * (1.0 if t + dt / 2 > tstep else 0.0)


@njit(**_J)
def _ramp(t, dt, slope, start, finish):
    final = t if finish > t or np.isnan(t) else finish
    return (1.0 if t + 1e-6 > start else 0.0) * slope * (final - start)


@njit(**_J)
def _pulse(t, dt, start, width):
    return 1.0 if (start - 1e-6 <= t) and (t < start + width) else 0.0


@njit(**_J)
def _pulse_train(t, dt, start, repeat, width, end):
    if repeat == 0:
        return 1.0 if (start - 1e-6 <= t) and (t < start + width) else 0.0
    ok = (start <= t) and (t < end) and (np.mod(t - start + 1e-6, repeat) < width)
    return 1.0 if ok else 0.0


@njit(**_J)
def _lower(order, dt, tmin):
    o = order
    while o > 1 and o * dt > tmin:
        o -= 1
    return o


@njit(**_J)
def _fixed_order(delay_time, dt):
    return int(np.round(max(delay_time / dt, 1.0) + 1e-6))


__all__ = ["_J", "_where", "_minimum", "_maximum", "_not", "_and", "_or", "_abs", "_zidz", "_xidz", "_logb", "_integer", "_modulo", "_quantum", "_step", "_ramp", "_pulse", "_pulse_train", "_lower", "_fixed_order"]
