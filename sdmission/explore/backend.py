"""The explorer's one door into the rest of sdmission.

Everything the explorer needs from the package — loading a scenario, the model's variable table and
defaults, an engine, running a scenario, target checks, labels and palettes, writing YAML — goes
through this module, so that a change of the package's internals (``study.prepare``, the engine
factory, the model reader) is a change here only.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import xarray as xr
from pydantic import TypeAdapter, ValidationError

from sdmission.constants import CLUSTER, MEMBER, TIME
from sdmission.errors import InputError, ModelError, Problem, SdmissionError
from sdmission.model.catalogue import Catalogue
from sdmission.model.engines.factory import EngineName
from sdmission.report import labels
from sdmission.scenario.check import check_scenario, scenario_inputs
from sdmission.scenario.load import SUFFIXES, Scenario, dump_yaml, load_scenario
from sdmission.schema import scenario as schema
from sdmission.study import targets as targets_mod
from sdmission.study.case import prepare, uncertainty_space

#: Result variables the page draws (python names of model variables).
OUTPUTS: tuple[str, ...] = (
    "national_ghg",
    "ghg_reduction_vs_1990",
    "industry_ghg",
    "industry_ghg_reduction_vs_1990",
    "route_emissions",
    "captured_co2",
    "circular_share",
    "public_cost",
)

TargetSet = targets_mod.TargetSet
TargetCheck = targets_mod.TargetCheck
text = labels.text
element_label = labels.element
scenario_label = labels.scenario
LANGS = labels.LANGS
_PATH = TypeAdapter(schema.Path_)


@dataclasses.dataclass(frozen=True)
class Model:
    """A model ready to run: its catalogue, engine and time settings."""

    path: Path
    catalogue: Catalogue
    engine: Any

    @property
    def t0(self) -> float:
        """INITIAL TIME (Year)."""
        return float(self.catalogue.time["initial_time"])

    @property
    def dt(self) -> float:
        """TIME STEP (Year)."""
        return float(self.catalogue.time["time_step"])


def prepare_start(path: Path | str, engine: EngineName = "batch") -> tuple[Scenario, Model]:
    """A starting scenario file, checked against its model, and the model ready to run.

    :func:`sdmission.study.case.prepare` (the one path from files to cases) does the work; the
    engine factory keeps one engine per model file, so every starting scenario of a model shares it.
    Raises :class:`InputError` with every problem of the file.
    """
    case = prepare([Path(path)], engine=engine)[0]
    return case.scenario, Model(path=case.model_path, catalogue=case.catalogue, engine=case.engine)


def load(path: Path | str) -> Scenario:
    """A scenario file with its ``extends`` chain applied (:class:`InputError` on problems)."""
    return load_scenario(path)


def list_scenarios(folder: Path) -> list[Path]:
    """Scenario files of a folder that are not abstract, sorted by name."""
    out: list[Path] = []
    for p in sorted(folder.glob("*")) if folder.is_dir() else []:
        if p.suffix not in SUFFIXES:
            continue
        try:
            if not load_scenario(p).abstract:
                out.append(p)
        except InputError:
            continue  # a broken file is listed by `validate`, not offered here
    return out


def controls_of(model: Model) -> list[tuple[str, str, str, tuple[float | None, float | None], tuple[str, ...]]]:
    """``(py_name, section, units, limits, elements)`` of every lever, then every assumption."""
    out = []
    for kind, section in (("lever", "levers"), ("assumption", "assumptions")):
        for v in model.catalogue.of_kind(kind):  # type: ignore[arg-type]
            elements = v.coords[v.dims[0]] if len(v.dims) == 1 else ()
            if len(v.dims) > 1:
                continue  # no control for a lever with two subscripts (none in the model today)
            out.append((v.py_name, section, v.units, v.limits, tuple(elements)))
    return out


def model_default(model: Model, name: str) -> Any:
    """The model's own path for a variable, as a schema path (``{element: path}`` if subscripted).

    A scalar's default comes from :func:`sdmission.model.source.ModelSource.default_path` (a
    number, or a ``WITH LOOKUP(Time, …)`` as a linear knots path: PySD's lookups interpolate
    linearly and hold flat beyond their ends, as knots paths do). A subscripted lever's default is
    read from one run of the model and must be constant in time.
    """
    from sdmission.model import source

    var = model.catalogue[name]
    if not var.dims:
        xs, ys = source.read(model.path).default_path(name)
        if len(xs) == 1:
            return float(ys[0])
        return schema.KnotsPath.model_validate(
            {"knots": {float(x): float(y) for x, y in zip(xs, ys, strict=True)}, "interpolation": "linear"})
    raw = model.engine.run({}, return_vars=[name])
    values = np.asarray(raw[name].isel({MEMBER: 0}).transpose(TIME, *var.dims).values, dtype=float)
    if len(var.dims) != 1 or not np.all(values == values[:1]):
        raise InputError([Problem(f"'{name}': the explorer needs a subscripted lever's default to be a "
                                  "constant with one subscript", key=name)])
    return {e: float(v) for e, v in zip(var.coords[var.dims[0]], values[0], strict=True)}


def base_path(scn: Scenario, model: Model, name: str, section: str) -> Any:
    """The starting scenario's path for a lever/assumption: its own, else the model's default."""
    own = getattr(scn, section).get(name)
    if own is None:
        return model_default(model, name)
    var = model.catalogue[name]
    if var.dims and not isinstance(own, dict):
        return {e: own for e in var.coords[var.dims[0]]}
    return own


def with_changes(scn: Scenario, changes: Mapping[str, Mapping[str, Any]], name: str) -> Scenario:
    """``scn`` with the plain-data paths of ``changes`` (``{"levers": …, "assumptions": …}``).

    The same merge as ``extends`` (a path replaces the parent's whole path), so the result equals
    what loading a saved file that extends ``scn`` gives.
    """
    parsed: dict[str, dict[str, Any]] = {}
    problems: list[Problem] = []
    for section in ("levers", "assumptions"):
        parsed[section] = dict(getattr(scn, section))
        for key, plain in changes.get(section, {}).items():
            try:
                parsed[section][key] = _PATH.validate_python(plain)
            except ValidationError as exc:
                problems.append(Problem(f"{key}: {exc.errors()[0]['msg']}", key=f"{section}.{key}"))
    if problems:
        raise InputError(problems)
    return dataclasses.replace(scn, name=name, levers=parsed["levers"], assumptions=parsed["assumptions"])


class Runner:
    """Runs of one starting scenario and its variations, with the unchanged inputs prepared once.

    The inputs are :func:`sdmission.scenario.check.scenario_inputs` of the scenario, as for
    ``python -m sdmission run``. ``fill`` (``{name: (section, path)}``, the starting paths of every
    control) adds the paths the scenario leaves to the model, and every input is passed as a time
    path: the engine then sees the same set of inputs whatever was changed, so it compiles its
    program once, and the numbers stay those of the model's own defaults (the tests check that
    ``run`` on a saved file gives the same numbers, within the engines' agreement tolerance rtol
    1e-9 when the explorer runs the C path and ``run`` the numpy one).
    """

    def __init__(self, start: Scenario, model: Model, fill: Mapping[str, tuple[str, Any]]):
        self.start = start
        self.model = model
        self.grid = model.catalogue.time_grid(start.final_time)
        levers = {k: p for k, (sec, p) in fill.items() if sec == "levers"}
        assumptions = {k: p for k, (sec, p) in fill.items() if sec == "assumptions"}
        full = dataclasses.replace(start, levers={**levers, **start.levers},
                                   assumptions={**assumptions, **start.assumptions})
        self.base_inputs = self._inputs(full)
        self._futures: dict[tuple[int, int], dict[str, xr.DataArray]] = {}
        self.prepared, self.path_name = self._prepare()

    def _prepare(self) -> tuple[Any, str]:
        """The fastest prepared run of the base inputs that equals the numpy engine's run.

        With the batch engine the inputs are prepared once (:class:`PreparedRun`); a lever change
        then prepares only the changed paths. The C path is used when it compiles the model and its
        run of the starting scenario equals the numpy engine's (rtol 1e-9, every drawn output),
        else the numpy path. Returns ``(prepared run or None, "c" | "numpy" | engine name)``.
        """
        from sdmission.model.engines.factory import fast_backend

        engine = self.model.engine
        if not hasattr(engine, "prepare"):
            return None, str(getattr(engine, "name", "pysd"))
        final = self.start.final_time
        numpy_run = engine.prepare(self.base_inputs, return_vars=OUTPUTS, final_time=final)
        backend = fast_backend(engine)
        if backend is None:
            return numpy_run, "numpy"
        try:
            fast = engine.prepare(self.base_inputs, return_vars=OUTPUTS, final_time=final, backend=backend)
            if agree(fast.run(), numpy_run.run()):
                return fast, backend
        except SdmissionError as exc:
            from sdmission.model.cache import note

            note(f"explorer: the {backend} path is not used ({exc}); numpy path instead")
        return numpy_run, "numpy"

    def _inputs(self, scn: Scenario) -> dict[str, xr.DataArray]:
        inputs = scenario_inputs(scn, self.model.catalogue)
        return {k: v if TIME in v.dims else v.expand_dims({TIME: self.grid}).transpose(TIME, ...)
                for k, v in inputs.items()}

    def run(self, scn: Scenario, *, members: int = 0, seed: int = 1,
            outputs: Sequence[str] = OUTPUTS) -> xr.Dataset:
        """Run ``scn`` (the start with some paths replaced); dims ``(time, …)``.

        With ``members > 0`` it runs that many sampled futures instead (dims ``(member, time, …)``):
        the scenario's ``uncertainties:`` block, else every uncertain parameter of the model's
        parameter table (uniform over its range), Latin hypercube with ``seed``.
        """
        problems = check_scenario(scn, self.model.catalogue)
        if problems:
            raise InputError(problems)
        if scn.final_time != self.start.final_time:
            raise InputError([Problem("the explorer keeps the starting scenario's final time")])
        changed = {sec: {k: p for k, p in getattr(scn, sec).items() if p is not getattr(self.start, sec).get(k)}
                   for sec in ("levers", "assumptions")}
        inputs = dict(self.base_inputs)
        if changed["levers"] or changed["assumptions"]:
            inputs.update(self._inputs(dataclasses.replace(scn, levers=changed["levers"],
                                                           assumptions=changed["assumptions"])))
        if members:
            inputs.update(self.futures(members, seed))
            return self.model.engine.run(inputs, return_vars=outputs, final_time=scn.final_time)
        if self.prepared is not None and tuple(outputs) == OUTPUTS:
            new = {k: v for k, v in inputs.items() if v is not self.base_inputs.get(k)}
            try:
                ds = self.prepared.dataset(self.prepared.run(new))
                return ds.isel({MEMBER: 0}, drop=True)
            except ModelError:
                pass  # an input outside the prepared set: the full run below
        raw = self.model.engine.run(inputs, return_vars=outputs, final_time=scn.final_time)
        return raw.isel({MEMBER: 0}, drop=True) if MEMBER in raw.dims else raw

    def futures(self, members: int, seed: int) -> dict[str, xr.DataArray]:
        """Engine inputs of ``members`` sampled futures (parameters only; dims ``(member, …)``)."""
        if (members, seed) not in self._futures:
            self._futures[(members, seed)] = self._sample(members, seed)
        return self._futures[(members, seed)]

    def _sample(self, members: int, seed: int) -> dict[str, xr.DataArray]:
        from sdmission.analysis import uncertainty as unc

        space = uncertainty_space(self.start)
        samples = unc.sample(space, members, seed=seed)
        return unc.engine_inputs(samples["value"], space)


def agree(a: Mapping[str, np.ndarray], b: Mapping[str, np.ndarray], rtol: float = 1e-9) -> bool:
    """Same variables, each equal within ``rtol`` (the agreement tests' measure)."""
    from sdmission.model.engines.batch.engine import agree as same

    return set(a) == set(b) and all(same(a[k], b[k], rtol) for k in a)


def target_sets() -> dict[str, TargetSet]:
    """Every shipped target set by name."""
    return targets_mod.load_target_sets()


def check_targets(ds: xr.Dataset, tset: TargetSet) -> list[TargetCheck]:
    """Target checks of one run (only the targets within the run's years)."""
    last = float(ds[TIME].max())
    inside = tuple(t for t in tset.targets if t.year <= last)
    return targets_mod.check(ds, dataclasses.replace(tset, targets=inside)) if inside else []


def scenario_yaml(data: Mapping[str, Any]) -> str:
    """Plain scenario data as YAML text (the project's writer)."""
    return dump_yaml(dict(data))


def palettes() -> dict[str, Any]:
    """The report figures' colour-blind-safe colours (Okabe-Ito scenarios, Paul Tol categories)."""
    from sdmission.report import style

    return {"routes": dict(style.ROUTE_COLORS), "muted": list(style.MUTED),
            "scenarios": dict(style.SCENARIO_COLORS)}


def reference_levels() -> dict[str, float]:
    """1990 levels (Mt CO2-eq/yr) the reduction targets refer to."""
    from sdmission.constants import INDUSTRY_GHG_1990_MT, NATIONAL_GHG_1990_MT

    return {"national": NATIONAL_GHG_1990_MT, "industry": INDUSTRY_GHG_1990_MT}


def sum_over(da: xr.DataArray, dims: Sequence[str]) -> np.ndarray:
    """``da`` summed over ``dims`` (those it has), as a float array over the rest."""
    return np.asarray(da.sum([d for d in dims if d in da.dims]).values, dtype=float)


CLUSTER_DIM = CLUSTER
