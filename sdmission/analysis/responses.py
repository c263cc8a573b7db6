"""Policy-response validation: single instruments against published estimates (issue #12 item 4).

Each row of the estimates table (``models/data/policy_responses.csv``) names an *experiment* — one
instrument changed from the baseline (existing policy) from the policy start on, same history — a
*metric* computed from that run and the baseline, and the published low / central / high values
with their source. All experiments run as members of ONE batch-engine call.

Verdict of a row (:func:`verdict`): ``within`` when the model value lies in ``[low, high]`` (a
published range), or in ``[central / f, central * f]`` when only a central value and a stated
tolerance factor ``f`` are given; ``outside`` otherwise; ``no estimate`` when nothing is published.
The sign check compares the model value's sign with ``expected_sign``.

Effects are "instrument on minus instrument off" in the direction that makes abatement positive:
``ghg_effect`` = emissions without the instrument minus with it (Mt CO2e/yr).
"""

from __future__ import annotations

import csv
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import xarray as xr

from sdmission.constants import MEMBER, TIME
from sdmission.errors import InputError, Problem

ESTIMATES_FILE = Path(__file__).resolve().parents[2] / "models" / "data" / "policy_responses.csv"
"""The published estimates shipped with the model."""

COLUMNS: tuple[str, ...] = (
    "id", "instrument", "experiment", "metric", "year", "unit", "published_low",
    "published_central", "published_high", "tolerance_factor", "expected_sign", "source_short",
    "citation", "notes", "reason",
)
"""Columns of the estimates file, in order."""

Inputs = dict[str, xr.DataArray]


@dataclass(frozen=True)
class Estimate:
    """One row of the estimates file (NaN where a value is not published)."""

    id: str
    instrument: str
    experiment: str
    metric: str
    year: float
    unit: str
    low: float
    central: float
    high: float
    tolerance: float
    expected_sign: int | None
    source: str
    citation: str
    notes: str
    reason: str
    line: int


# --- experiments ------------------------------------------------------------------------------

@dataclass(frozen=True)
class Experiment:
    """One instrument changed from the baseline.

    ``build(base, scenarios, grid, start)`` returns the run's inputs from the baseline's inputs and
    the shipped scenarios' inputs (by name); ``removes`` is True when the run switches an
    instrument *off* (the effect is then run minus baseline, else baseline minus run).
    """

    description: str
    build: Callable[[Inputs, Mapping[str, Inputs], np.ndarray, float], Inputs]
    removes: bool
    scenario: str | None = None


def _after(da: xr.DataArray, start: float, value: xr.DataArray | float) -> xr.DataArray:
    """``da`` before ``start``, ``value`` from ``start`` on (same dims)."""
    return da.where(da[TIME] < start, value)


def _ramp(grid: np.ndarray, start: float, end: float, size: float) -> xr.DataArray:
    """0 before ``start``, rising linearly to ``size`` at ``end``, held after."""
    frac = np.clip((grid - start) / (end - start), 0.0, 1.0)
    return xr.DataArray(size * frac, dims=(TIME,), coords={TIME: grid})


def _with(base: Inputs, **changes: xr.DataArray) -> Inputs:
    out = dict(base)
    out.update(changes)
    return out


def _scenario(name: str) -> Callable[[Inputs, Mapping[str, Inputs], np.ndarray, float], Inputs]:
    def build(base: Inputs, scenarios: Mapping[str, Inputs], grid: np.ndarray,
              start: float) -> Inputs:
        return dict(scenarios[name])
    return build


EXPERIMENTS: Mapping[str, Experiment] = {
    "baseline": Experiment("the baseline itself (levels, no change)",
                           lambda b, s, g, t: dict(b), removes=False),
    "levy_neutralised": Experiment(
        "CO2 levy tariff 0 from the policy start (scenarios/levy-neutralised.yaml)",
        lambda b, s, g, t: _with(b, co2_levy_tariff=_after(b["co2_levy_tariff"], t, 0.0)),
        removes=True),
    "levy_plus20": Experiment(
        "CO2 levy tariff +20 EUR/t, linearly from the policy start to 2030, held after",
        lambda b, s, g, t: _with(b, co2_levy_tariff=b["co2_levy_tariff"] + _ramp(g, t, 2030, 20.0)),
        removes=False),
    "no_sde": Experiment(
        "no new SDE++ commitments from the policy start (sde budget 0)",
        lambda b, s, g, t: _with(b, sde_budget=_after(b["sde_budget"], t, 0.0)), removes=True),
    "no_levy_no_sde": Experiment(
        "CO2 levy tariff 0 and no new SDE++ commitments from the policy start",
        lambda b, s, g, t: _with(b, co2_levy_tariff=_after(b["co2_levy_tariff"], t, 0.0),
                                 sde_budget=_after(b["sde_budget"], t, 0.0)),
        removes=True),
    "rd_plus10": Experiment(
        "R&D support (WBSO + Innovatiebox) +10 % from the policy start",
        lambda b, s, g, t: _with(b, rd_support=b["rd_support"].where(b["rd_support"][TIME] < t,
                                                                     1.1 * b["rd_support"])),
        removes=False),
    "no_ccs": Experiment(
        "no CO2 storage (assumptions ccs storage capacity and ccs storage announced 0)",
        lambda b, s, g, t: _with(b, ccs_storage_capacity=xr.DataArray(
            np.zeros(g.size), dims=(TIME,), coords={TIME: g}), ccs_storage_announced=xr.DataArray(
            np.zeros(g.size), dims=(TIME,), coords={TIME: g})),
        removes=True),
    "invest_nl": Experiment("Invest-NL scale-up (scenarios/invest-nl.yaml)", _scenario("invest-nl"),
                            removes=False, scenario="invest-nl"),
    "ets_high": Experiment("ETS price of scenarios/ets-high.yaml", _scenario("ets-high"),
                           removes=False, scenario="ets-high"),
    "ets_low": Experiment("ETS price of scenarios/ets-low.yaml", _scenario("ets-low"),
                          removes=False, scenario="ets-low"),
    "topsectors_only": Experiment("scenarios/topsectors-only.yaml", _scenario("topsectors-only"),
                                  removes=False, scenario="topsectors-only"),
    "procurement": Experiment("scenarios/procurement.yaml", _scenario("procurement"),
                              removes=False, scenario="procurement"),
}
"""Experiments by name (the ``experiment`` column of the estimates file)."""


def scenarios_needed(estimates: Sequence[Estimate]) -> list[str]:
    """Shipped scenarios the estimates' experiments read (besides ``baseline``)."""
    names = {EXPERIMENTS[e.experiment].scenario for e in estimates}
    return sorted(n for n in names if n is not None)


# --- metrics ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class Metric:
    """A response metric: ``compute(run, base, year, start, removes) -> float``.

    ``run`` and ``base`` are one member each (dims ``time`` + subscripts); ``needs`` lists the
    model variables read.
    """

    needs: tuple[str, ...]
    compute: Callable[[xr.Dataset, xr.Dataset, float, float, bool], float]
    description: str


def _at(da: xr.DataArray, year: float) -> float:
    """Value in ``year`` (nearest save point); a constant is its own value every year."""
    if TIME not in da.dims:
        return float(da)
    return float(da.sel({TIME: year}, method="nearest"))


def _sum_between(da: xr.DataArray, start: float, end: float) -> float:
    """Integral of a flow (per year) over ``[start, end)`` on the save grid (rectangles)."""
    t = da[TIME].values
    step = float(t[1] - t[0]) if t.size > 1 else 1.0
    return float(da.where((da[TIME] >= start) & (da[TIME] < end), 0.0).sum(TIME)) * step


def _total(ds: xr.Dataset, var: str) -> xr.DataArray:
    """``var`` summed over its subscripts (a time series)."""
    da = ds[var]
    return da.sum([d for d in da.dims if d != TIME]) if da.ndim > 1 else da


def _effect(run: xr.Dataset, base: xr.Dataset, var: str, removes: bool) -> xr.DataArray:
    """Instrument on minus off of ``var`` (time series)."""
    return (_total(base, var) - _total(run, var)) if removes else (_total(run, var) - _total(base, var))


def _ratio(num: float, den: float) -> float:
    return num / den if abs(den) > 1e-12 else math.nan


def _ghg_effect(run: xr.Dataset, base: xr.Dataset, year: float, start: float, removes: bool) -> float:
    return -_at(_effect(run, base, "industry_ghg", removes), year)


def _level(var: str) -> Callable[[xr.Dataset, xr.Dataset, float, float, bool], float]:
    def compute(run: xr.Dataset, base: xr.Dataset, year: float, start: float, removes: bool) -> float:
        return _at(_total(run, var), year)
    return compute


def _sde_commitments(ds: xr.Dataset, start: float, end: float) -> float:
    """SDE++ commitments awarded over ``[start, end]`` (bn EUR): coverage x requests."""
    awarded = ds["sde_coverage"] * ds["sde_requested_commitment"]
    return _sum_between(awarded, start, end + 1) / 1000.0


def _ghg_per_sde(run: xr.Dataset, base: xr.Dataset, year: float, start: float, removes: bool) -> float:
    on, off = (base, run) if removes else (run, base)
    committed = _sde_commitments(on, start, year) - _sde_commitments(off, start, year)
    return _ratio(_ghg_effect(run, base, year, start, removes), committed)


def _sde_awarded_per_commitment(run: xr.Dataset, base: xr.Dataset, year: float, start: float,
                                removes: bool) -> float:
    """CO2 avoided by the projects awarded from the policy start to ``year`` (Mt/yr, if all are
    realised) per bn EUR committed to them: the rounds' own gross measure, no counterfactual."""
    abated = _sum_between(run["sde_awarded_abatement"], start, year + 1)
    return _ratio(abated, _sde_commitments(run, start, year))


def _rd_per_public(run: xr.Dataset, base: xr.Dataset, year: float, start: float, removes: bool) -> float:
    rd = _at(_effect(run, base, "knowledge_creation", removes), year)
    cost = _at(_effect(run, base, "rd_support", removes), year) * _at(base["industry_rd_share"], year)
    return _ratio(rd, cost)


def _private_per_public(run: xr.Dataset, base: xr.Dataset, year: float, start: float,
                        removes: bool) -> float:
    public = _at(_total(run, "public_rd_to_route"), year)
    return _ratio(_at(_total(run, "knowledge_creation"), year) - public, public)


def _private_per_invest_nl(run: xr.Dataset, base: xr.Dataset, year: float, start: float,
                           removes: bool) -> float:
    def equity(ds: xr.Dataset) -> xr.DataArray:
        return ds["invest_nl_equity"] * ds["invest_nl_industry_share"]

    d_equity = equity(base) - equity(run) if removes else equity(run) - equity(base)
    public = _sum_between(d_equity, start, year + 1)
    demo = _sum_between(_effect(run, base, "invest_nl_capital", removes), start, year + 1)
    return _ratio(demo - public, public)


def _requests_per_budget(run: xr.Dataset, base: xr.Dataset, year: float, start: float,
                         removes: bool) -> float:
    return _ratio(_at(run["sde_requested_commitment"], year), _at(run["sde_budget"], year))


METRICS: Mapping[str, Metric] = {
    "ghg_effect": Metric(("industry_ghg",), _ghg_effect,
                         "industry GHG without the instrument minus with it in the year"),
    "levy_revenue": Metric(("levy_revenue",), _level("levy_revenue"), "levy revenue in the year"),
    "captured_co2": Metric(("captured_co2",), _level("captured_co2"), "CO2 stored in the year"),
    "ghg_per_sde_commitment": Metric(
        ("industry_ghg", "sde_coverage", "sde_requested_commitment"), _ghg_per_sde,
        "GHG effect in the year per bn EUR of SDE++ commitments from the policy start to the year"),
    "sde_awarded_abatement_per_commitment": Metric(
        ("sde_awarded_abatement", "sde_coverage", "sde_requested_commitment"),
        _sde_awarded_per_commitment,
        "CO2 avoided by the awarded projects (if realised) per bn EUR of SDE++ commitments, policy "
        "start to the year"),
    "sde_requests_per_budget": Metric(
        ("sde_requested_commitment", "sde_budget"), _requests_per_budget,
        "SDE++ commitments requested over the budget in the year (above 1: oversubscribed)"),
    "rd_per_public_euro": Metric(
        ("knowledge_creation", "rd_support", "industry_rd_share"), _rd_per_public,
        "extra R&D on industrial routes per extra euro of public R&D support (bang for the buck)"),
    "private_rd_per_public": Metric(
        ("knowledge_creation", "public_rd_to_route"), _private_per_public,
        "private R&D per euro of public R&D on industrial routes"),
    "private_per_invest_nl_euro": Metric(
        ("invest_nl_capital", "invest_nl_equity", "invest_nl_industry_share"),
        _private_per_invest_nl,
        "extra private demonstration capital per extra euro of Invest-NL industry equity, summed"),
}
"""Metrics by name (the ``metric`` column of the estimates file)."""


# --- reading the estimates --------------------------------------------------------------------

def _number(text: str, key: str, problems: list[Problem], path: Path, line: int) -> float:
    if text.strip() == "":
        return math.nan
    try:
        return float(text)
    except ValueError:
        problems.append(Problem(f"'{text}' is not a number", file=path, line=line, key=key))
        return math.nan


def read_estimates(path: Path | str = ESTIMATES_FILE) -> list[Estimate]:
    """The published estimates in ``path``; every problem (file, line, column) reported at once."""
    path = Path(path)
    problems: list[Problem] = []
    out: list[Estimate] = []
    with path.open(newline="", encoding="utf-8") as fh:
        reader = csv.DictReader(fh)
        header = tuple(reader.fieldnames or ())
        if header != COLUMNS:
            missing = [c for c in COLUMNS if c not in header]
            extra = [c for c in header if c not in COLUMNS]
            raise InputError([Problem(f"columns must be {', '.join(COLUMNS)}"
                                      + (f"; missing: {', '.join(missing)}" if missing else "")
                                      + (f"; unknown: {', '.join(extra)}" if extra else ""),
                                      file=path, line=1)])
        seen: set[str] = set()
        for row in reader:
            line = reader.line_num
            if None in row or any(v is None for v in row.values()):
                problems.append(Problem("wrong number of fields", file=path, line=line))
                continue
            rid = row["id"].strip()
            if not rid or rid in seen:
                problems.append(Problem(f"id '{rid}' is empty or repeated", file=path, line=line,
                                        key="id"))
            seen.add(rid)
            if row["experiment"] not in EXPERIMENTS:
                problems.append(Problem(f"unknown experiment '{row['experiment']}'; allowed: "
                                        f"{', '.join(EXPERIMENTS)}", file=path, line=line,
                                        key="experiment"))
            if row["metric"] not in METRICS:
                problems.append(Problem(f"unknown metric '{row['metric']}'; allowed: "
                                        f"{', '.join(METRICS)}", file=path, line=line, key="metric"))
            nums = {k: _number(row[k], k, problems, path, line)
                    for k in ("year", "published_low", "published_central", "published_high",
                              "tolerance_factor")}
            if math.isnan(nums["year"]):
                problems.append(Problem("year is required", file=path, line=line, key="year"))
            low, high = nums["published_low"], nums["published_high"]
            if not math.isnan(low) and not math.isnan(high) and low > high:
                problems.append(Problem(f"published_low {low:g} > published_high {high:g}",
                                        file=path, line=line, key="published_low"))
            if math.isnan(low) != math.isnan(high):
                problems.append(Problem("give both published_low and published_high, or neither",
                                        file=path, line=line, key="published_low"))
            tol = nums["tolerance_factor"]
            if not math.isnan(tol) and tol <= 1:
                problems.append(Problem(f"tolerance_factor {tol:g} must be > 1", file=path,
                                        line=line, key="tolerance_factor"))
            sign_text = row["expected_sign"].strip()
            sign: int | None = None
            if sign_text:
                if sign_text not in ("1", "-1"):
                    problems.append(Problem(f"expected_sign '{sign_text}' must be 1, -1 or empty",
                                            file=path, line=line, key="expected_sign"))
                else:
                    sign = int(sign_text)
            if not row["source_short"].strip() or not row["citation"].strip():
                problems.append(Problem("source_short and citation are required (write 'no "
                                        "published estimate found' when there is none)",
                                        file=path, line=line, key="citation"))
            out.append(Estimate(rid, row["instrument"], row["experiment"], row["metric"],
                                nums["year"], row["unit"], low, nums["published_central"], high,
                                tol, sign, row["source_short"], row["citation"], row["notes"],
                                row["reason"], line))
    if problems:
        raise InputError(problems)
    return out


# --- the table maths --------------------------------------------------------------------------

def bounds(e: Estimate) -> tuple[float, float]:
    """The interval a model value must lie in: the published range, or central / f … central * f;
    ``(nan, nan)`` when nothing is published."""
    if not math.isnan(e.low):
        return e.low, e.high
    if not math.isnan(e.central) and not math.isnan(e.tolerance):
        a, b = e.central / e.tolerance, e.central * e.tolerance
        return min(a, b), max(a, b)
    return math.nan, math.nan


def reference_value(e: Estimate) -> float:
    """The published value a ratio is taken against: the central, else the range's middle."""
    if not math.isnan(e.central):
        return e.central
    if not math.isnan(e.low):
        return 0.5 * (e.low + e.high)
    return math.nan


def verdict(e: Estimate, value: float) -> str:
    """``within``, ``outside``, ``no estimate`` (nothing published) or ``not computed``."""
    if math.isnan(value):
        return "not computed"
    lo, hi = bounds(e)
    if math.isnan(lo):
        return "no estimate"
    eps = 1e-9 * max(abs(lo), abs(hi), 1.0)  # floating-point rounding of sums, not a model tolerance
    return "within" if lo - eps <= value <= hi + eps else "outside"


def sign_ok(e: Estimate, value: float) -> bool | None:
    """Whether ``value`` has the expected sign (None when no sign is expected or not computed).
    Zero counts as the expected sign only when the published range includes zero."""
    if e.expected_sign is None or math.isnan(value):
        return None
    if value == 0.0:
        lo, hi = bounds(e)
        return bool(not math.isnan(lo) and lo <= 0.0 <= hi)
    return bool(np.sign(value) == e.expected_sign)


def row_of(e: Estimate, value: float) -> dict[str, object]:
    """One output row: the estimate, the model value, the ratio and the verdict."""
    ref = reference_value(e)
    lo, hi = bounds(e)
    ok = sign_ok(e, value)
    return {
        "id": e.id, "instrument": e.instrument, "experiment": e.experiment, "metric": e.metric,
        "year": int(e.year), "unit": e.unit, "model": value,
        "published_low": e.low, "published_central": e.central, "published_high": e.high,
        "accept_low": lo, "accept_high": hi,
        "ratio": _ratio(value, ref) if not math.isnan(ref) else math.nan,
        "verdict": verdict(e, value),
        "sign": "" if ok is None else ("as expected" if ok else "wrong sign"),
        "source": e.source, "reason": e.reason, "citation": e.citation,
    }


# --- running ----------------------------------------------------------------------------------

def stack_members(members: Sequence[Inputs], defaults: Mapping[str, xr.DataArray]) -> Inputs:
    """One input set with a ``member`` dim from per-member inputs; an input a member does not give
    takes ``defaults`` (the model's own value)."""
    names = sorted({n for m in members for n in m})
    out: Inputs = {}
    for name in names:
        arrays = []
        for m in members:
            da = m.get(name, defaults.get(name))
            if da is None:
                raise InputError([Problem(f"input '{name}' is set by one experiment only and has "
                                          "no model default to compare with", key=name)])
            arrays.append(da)
        b = xr.broadcast(*arrays)
        out[name] = xr.concat(b, dim=MEMBER).transpose(MEMBER, ...)
    return out


@dataclass(frozen=True)
class Responses:
    """The table (rows of :func:`row_of`) and the single-instrument runs (dim ``experiment``)."""

    rows: list[dict[str, object]]
    runs: xr.Dataset
    experiments: list[str]


def run_responses(engine: object, base: Inputs, scenarios: Mapping[str, Inputs],
                  estimates: Sequence[Estimate], *, grid: np.ndarray, start: float,
                  available: Callable[[str], bool], defaults: Callable[[str], xr.DataArray | None],
                  final_time: float | None = None) -> Responses:
    """Run every experiment the estimates need in one engine call and compute every row.

    Parameters
    ----------
    engine
        A batch-capable engine (``run(inputs, return_vars=…, final_time=…)``).
    base, scenarios
        Engine inputs of the baseline and of the shipped scenarios by name.
    grid, start
        The integration grid (years) and the policy start (year).
    available
        Whether the model has a variable (rows whose metric needs a missing one: ``not computed``).
    defaults
        The model's default of an input (for inputs one experiment sets and another does not).
    """
    names = ["baseline"] + sorted({e.experiment for e in estimates} - {"baseline"})
    members = [EXPERIMENTS[n].build(base, scenarios, grid, start) for n in names]
    keys = {k for m in members for k in m}
    fill = {k: d for k in keys if (d := defaults(k)) is not None}
    needed = sorted({v for e in estimates for v in METRICS[e.metric].needs if available(v)})
    ds = engine.run(stack_members(members, fill), return_vars=needed,  # type: ignore[attr-defined]
                    final_time=final_time)
    ds = ds.assign_coords({MEMBER: names}).rename({MEMBER: "experiment"})
    base_run = ds.sel(experiment="baseline")
    rows = []
    for e in estimates:
        metric = METRICS[e.metric]
        if not all(available(v) for v in metric.needs):
            value = math.nan
        else:
            value = metric.compute(ds.sel(experiment=e.experiment), base_run, e.year, start,
                                   EXPERIMENTS[e.experiment].removes)
        rows.append(row_of(e, value))
    return Responses(rows, ds, names)


# --- Markdown ---------------------------------------------------------------------------------

LABELS: Mapping[str, Mapping[str, str]] = {
    "en": {"instrument": "instrument", "metric": "response (unit), year", "model": "model",
           "published": "published (low / central / high)", "ratio": "ratio", "verdict": "verdict",
           "sign": "sign", "source": "source", "reason": "why the model differs / how to read",
           "within": "within", "outside": "outside", "no estimate": "no published estimate found",
           "not computed": "not computed (variable missing)", "as expected": "as expected",
           "wrong sign": "WRONG SIGN"},
    "nl": {"instrument": "instrument", "metric": "respons (eenheid), jaar", "model": "model",
           "published": "gepubliceerd (laag / centraal / hoog)", "ratio": "verhouding",
           "verdict": "oordeel", "sign": "teken", "source": "bron",
           "reason": "waarom het model afwijkt / hoe te lezen", "within": "binnen",
           "outside": "buiten", "no estimate": "geen gepubliceerde schatting gevonden",
           "not computed": "niet berekend (variabele ontbreekt)", "as expected": "als verwacht",
           "wrong sign": "VERKEERD TEKEN"},
}
"""Markdown labels per language."""


def _fmt(v: object) -> str:
    if isinstance(v, float):
        return "–" if math.isnan(v) else f"{v:.3g}"
    return str(v)


def markdown_table(rows: Sequence[Mapping[str, object]], lang: str = "en") -> str:
    """The rows as a Markdown table (labels in ``lang``: en or nl)."""
    if lang not in LABELS:
        raise InputError([Problem(f"unknown language '{lang}'; allowed: {', '.join(LABELS)}",
                                  key="--lang")])
    lab = LABELS[lang]
    head = [lab[k] for k in ("instrument", "metric", "model", "published", "ratio", "verdict",
                             "sign", "source", "reason")]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for r in rows:
        pub = " / ".join(_fmt(r[k]) for k in ("published_low", "published_central", "published_high"))
        lo, hi = r["accept_low"], r["accept_high"]
        if isinstance(lo, float) and not math.isnan(lo) and math.isnan(float(r["published_low"])):  # type: ignore[arg-type]
            pub += f" (accepted {_fmt(lo)}–{_fmt(hi)})"
        sign = str(r["sign"])
        cells = [str(r["instrument"]), f"{r['metric']} ({r['unit']}), {r['year']}", _fmt(r["model"]),
                 pub, _fmt(r["ratio"]), lab[str(r["verdict"])], lab.get(sign, sign),
                 str(r["source"]), str(r["reason"])]
        lines.append("| " + " | ".join(c.replace("|", "/") for c in cells) + " |")
    return "\n".join(lines) + "\n"
