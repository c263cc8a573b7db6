"""The one path from scenario files to ready-to-run cases: :func:`prepare`.

::

    names | paths --resolve_scenarios--> files --load_scenario--> Scenario
      --load_catalogue (one per model)--> check_scenario --> target set (+ uncertainty space)
      --load_engine (one per model)--> scenario_inputs --> Case

Every problem of every file (schema, ``extends``, names and limits against the model, unknown target
sets, uncertainties) is reported at once, before any engine is built. ``run``, ``optimise``,
``ensemble`` and ``sensitivity`` take their cases from :func:`prepare`; ``validate`` runs the same
checks file by file with :func:`check_file` (it builds no engine).

Importing this module imports no SciPy, SALib or Dask: the uncertainty space is resolved (and
:mod:`sdmission.analysis.uncertainty` imported) only when ``prepare(..., uncertainties=True)``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import xarray as xr

from sdmission.errors import InputError, Problem, SdmissionError
from sdmission.messages import did_you_mean, fmt, show
from sdmission.model.catalogue import Catalogue, load_catalogue
from sdmission.model.engines.factory import EngineName, load_engine
from sdmission.model.engines.protocol import Engine
from sdmission.scenario.check import check_scenario, history_check, scenario_inputs
from sdmission.scenario.load import SUFFIXES, Scenario, load_scenario
from sdmission.settings import Settings, discover, parameter_table_file
from sdmission.study.targets import TargetSet, get_target_set

if TYPE_CHECKING:
    from sdmission.analysis.uncertainty import UncertaintySpace

#: ``targets=`` of :func:`prepare`: a set name for every scenario, or a rule per scenario.
TargetChoice = str | Callable[[Scenario], str] | None
#: ``checks=`` of :func:`prepare`: a command's own checks of a scenario against its model.
ExtraCheck = Callable[[Scenario, Catalogue], list[Problem]]


@dataclass(frozen=True)
class Case:
    """One checked scenario, ready to run.

    Attributes
    ----------
    scenario
        The merged scenario (its ``extends`` chain applied).
    catalogue
        The model's variable table.
    engine
        The engine for the scenario's model (cases of one model share one engine).
    inputs
        Engine inputs: every lever and assumption on the integration grid (see
        :func:`sdmission.scenario.check.scenario_inputs`).
    target_set
        The targets the scenario is checked against.
    space
        The scenario's uncertainties (only with ``prepare(..., uncertainties=True)``).
    """

    scenario: Scenario
    catalogue: Catalogue
    engine: Engine
    inputs: Mapping[str, xr.DataArray]
    target_set: TargetSet
    space: UncertaintySpace | None = None

    @property
    def name(self) -> str:
        return self.scenario.name

    @property
    def model_path(self) -> Path:
        return self.scenario.model_path

    @property
    def final_time(self) -> float | None:
        return self.scenario.final_time


# --------------------------------------------------------------------------------------------------
# Names -> files
# --------------------------------------------------------------------------------------------------


def _is_path(name: str | Path) -> bool:
    path = Path(name)
    return isinstance(name, Path) or path.suffix in SUFFIXES or path.parent != Path(".")


def resolve_scenarios(names: Sequence[str | Path], folder: Path) -> list[Path]:
    """Files for the given names/paths; with no names, every non-abstract scenario in ``folder``.

    A name with a ``.yaml``/``.yml`` suffix or a folder part (or a :class:`~pathlib.Path`) is a file
    path; any other name is a scenario in ``folder``. Every unknown name is reported at once, with
    a did-you-mean.
    """
    available = sorted(p for p in folder.glob("*") if p.suffix in SUFFIXES) if folder.is_dir() else []
    if not names:
        if not available:
            raise InputError([Problem(f"no scenario files (*.yaml) in {folder}")])
        return [p for p in available if not load_scenario(p).abstract]
    out: list[Path] = []
    problems: list[Problem] = []
    for name in names:
        if _is_path(name):
            path = Path(name)
            if path.is_file():
                out.append(path)
            else:
                problems.append(Problem("file not found", path))
            continue
        match = next((p for p in available if p.stem == name), None)
        if match is None:
            stems = [p.stem for p in available]
            none = (f"none found in {folder}" if folder.is_dir() else
                    f"no scenarios folder {folder.resolve()}; run from the project folder or "
                    "give --scenarios-dir")
            problems.append(Problem(fmt("unknown scenario", given=show(str(name)),
                                        allowed=stems or none,
                                        suggestion=did_you_mean(str(name), stems)), key="SCENARIO"))
        else:
            out.append(match)
    if problems:
        raise InputError(problems)
    return out


# --------------------------------------------------------------------------------------------------
# Files -> checked scenarios
# --------------------------------------------------------------------------------------------------


def check_file(path: Path | str, catalogues: dict[Path, Catalogue], *, model: bool = True,
               history: bool = False, blocks: bool = False) -> tuple[Scenario | None, list[Problem]]:
    """Load one scenario file and check it against its model.

    Parameters
    ----------
    path
        The scenario file.
    catalogues
        Catalogues already read, by model path; a newly read one is added (one read per model).
    model
        ``False``: check the schema and ``extends`` only.
    history
        Also report levers whose own path would change a year before ``policy_start`` (what
        ``validate`` checks; :func:`prepare` applies the shared history instead).
    blocks
        Also check the target set and the ``uncertainties:`` / ``optimise:`` blocks against the
        model, including the size of a robust search (what ``validate`` checks; the commands
        check what they use through :func:`prepare`).

    A file with schema errors is still checked against its model where the errors leave the rest
    readable (an unknown lever next to a mistyped ``description:``): every problem at once.

    Returns
    -------
    tuple
        The scenario (``None`` when it does not load) and its problems (empty: valid).
    """
    schema_problems: list[Problem] = []
    try:
        scn = load_scenario(path)
    except InputError as exc:
        partial = getattr(exc, "partial", None)
        if not model or partial is None:
            return None, list(exc.problems)
        scn, schema_problems = partial, list(exc.problems)
    if not model:
        return scn, []
    if scn.model_path not in catalogues:
        try:
            catalogues[scn.model_path] = load_catalogue(scn.model_path)
        except SdmissionError as exc:
            found = Problem(f"cannot read the model: {exc}", *scn.where("model"), "model")
            return (None if schema_problems else scn), [*schema_problems, found]
    catalogue = catalogues[scn.model_path]
    problems = check_scenario(scn, catalogue)
    if history and not problems and not schema_problems:
        problems = history_check(scn, catalogue)
    if blocks:
        problems += [p for p in _block_problems(scn, catalogue) if p not in problems]
    if schema_problems:
        merged = schema_problems + [p for p in problems if p not in schema_problems]
        return None, sorted(merged, key=lambda p: (str(p.file), p.line or 0))
    return scn, problems


def _block_problems(scn: Scenario, catalogue: Catalogue) -> list[Problem]:
    """The target set, the ``uncertainties:`` block and the ``optimise:`` block (limits, knots,
    windows, the robust search's size) of one scenario, as ``validate`` checks them."""
    from sdmission.study.checks import _spec, check_optimise

    problems: list[Problem] = []
    spec = _spec(scn) if "optimise" in scn.blocks else None
    names = [scn.targets] + ([spec.targets] if spec is not None and spec.targets else [])
    for name in dict.fromkeys(names):
        try:
            get_target_set(name)
        except InputError as exc:
            file, line = scn.where("targets") if name == scn.targets else scn.where("optimise", "targets")
            problems += [p if p.file is not None else Problem(p.message, file, line, p.key or "targets")
                         for p in exc.problems]
    if "uncertainties" in scn.blocks:
        try:
            uncertainty_space(scn)
        except InputError as exc:
            problems += exc.problems
    if spec is not None:
        problems += [p for p in check_optimise(scn, catalogue) if p not in problems]
    return problems


def uncertainty_space(scn: Scenario) -> UncertaintySpace:
    """The scenario's ``uncertainties:`` block resolved against its model's parameter table.

    Without a block every uncertain parameter of the table is sampled (``defaults: all``).
    Raises :class:`InputError` with every problem of the block.
    """
    from sdmission.analysis.uncertainty import (
        BLOCK_KEY,
        UncertaintiesBlock,
        load_parameter_table,
        resolve,
    )

    block = scn.blocks.get(BLOCK_KEY)
    if not isinstance(block, UncertaintiesBlock):
        block = UncertaintiesBlock.model_validate({"defaults": "all"})
    link = next((lk for lk in scn.chain if BLOCK_KEY in lk.blocks), scn.chain[0])
    table = load_parameter_table(scn.model_path, parameter_table_file(scn.model_path))
    space = resolve(block, table, source=link.path,
                    line_of=link.doc.line)
    catalogue = load_catalogue(scn.model_path)
    problems = _outside_model_limits(space, block, catalogue, link)
    if problems:
        raise InputError(problems)
    return _clipped_defaults(space, block, catalogue)


def _clipped_defaults(space: UncertaintySpace, block: Any, catalogue: Catalogue) -> UncertaintySpace:
    """Ranges taken from the parameter table (not written in the block) clipped to the model's limits.

    The table's relative ranges (``[0.5x, 1.5x]``) can leave a share's ``[0, 1]``; the model's own
    limits win. Ranges written in the block are checked instead (:func:`_outside_model_limits`).
    """
    import dataclasses

    given = _given_sides(block)
    out = []
    for u in space.uncertainties:
        var = catalogue.get(u.name)
        if var is not None and u.distribution == "uniform":
            lo, hi = var.limits
            sides = given.get(u.name, set())
            low = u.low if lo is None or "low" in sides else max(u.low, lo)
            high = u.high if hi is None or "high" in sides else min(u.high, hi)
            if (low, high) != (u.low, u.high) and high > low:
                u = dataclasses.replace(u, low=low, high=high)
        out.append(u)
    return dataclasses.replace(space, uncertainties=tuple(out))


def _given_sides(block: Any) -> dict[str, set[str]]:
    """Which of ``low``/``high`` each parameter's entries write out."""
    given: dict[str, set[str]] = {}
    for e in block.parameters:
        given.setdefault(e.name, set()).update(s for s in ("low", "high") if getattr(e, s) is not None)
    return given


def _outside_model_limits(space: UncertaintySpace, block: Any, catalogue: Catalogue,
                          link: Any) -> list[Problem]:
    """Ranges written in the block must lie within the model's own limits (the units field)."""
    from sdmission.analysis.uncertainty import BLOCK_KEY

    entries = {e.name: i for i, e in reversed(list(enumerate(block.parameters)))}
    given = _given_sides(block)
    problems: list[Problem] = []
    for u in space.uncertainties:
        var = catalogue.get(u.name)
        sides = given.get(u.name, set())
        if var is None or not sides:
            continue
        lo, hi = var.limits
        for side, value, bad in (("low", u.low, lo is not None and u.low < lo),
                                 ("high", u.high, hi is not None and u.high > hi)):
            if not bad or side not in sides:
                continue
            i = entries.get(u.name)
            keys = (BLOCK_KEY, "parameters", i, side) if i is not None else (BLOCK_KEY, "defaults")
            allowed = f"[{'?' if lo is None else f'{lo:g}'}, {'?' if hi is None else f'{hi:g}'}]"
            problems.append(Problem(
                f"'{u.label}': {side} {value:g} is outside the model's limits (allowed: {allowed}, "
                f"from the units field of '{var.real_name}')", link.path, link.doc.line(keys),
                f"{BLOCK_KEY}.parameters[{i}].{side}" if i is not None else f"{BLOCK_KEY}.defaults"))
    return problems


def _target_name(targets: TargetChoice, scn: Scenario) -> str:
    if targets is None:
        return scn.targets
    return targets if isinstance(targets, str) else targets(scn)


def _extras(scenarios: Sequence[Scenario], targets: TargetChoice, uncertainties: bool
            ) -> tuple[list[TargetSet], list[UncertaintySpace | None], list[Problem]]:
    """Target set (and uncertainty space) of each scenario; every problem collected."""
    sets: dict[str, TargetSet] = {}
    tsets: list[TargetSet] = []
    spaces: list[UncertaintySpace | None] = []
    problems: list[Problem] = []
    for scn in scenarios:
        name = _target_name(targets, scn)
        try:
            if name not in sets:
                sets[name] = get_target_set(name)
            tsets.append(sets[name])
        except InputError as exc:
            problems += [p for p in exc.problems if p not in problems]
        try:
            spaces.append(uncertainty_space(scn) if uncertainties else None)
        except InputError as exc:
            problems += exc.problems
    return tsets, spaces, problems


# --------------------------------------------------------------------------------------------------
# The one preparation path
# --------------------------------------------------------------------------------------------------


def prepare(
    scenarios: Sequence[str | Path],
    *,
    engine: EngineName = "auto",
    targets: TargetChoice = None,
    settings: Settings | None = None,
    uncertainties: bool = False,
    checks: ExtraCheck | None = None,
) -> list[Case]:
    """Scenario names or paths → checked, ready-to-run cases (in the order given).

    Parameters
    ----------
    scenarios
        Names in the scenarios folder and/or paths to ``.yaml`` files; empty: every non-abstract
        scenario in the folder.
    engine
        ``auto``, ``batch`` or ``pysd`` (see :mod:`sdmission.model.engines.factory`); one engine per
        model, shared by its cases.
    targets
        Target set for every scenario (default: each scenario's own ``targets:``), or a function
        ``scenario -> set name``.
    settings
        Where the scenarios folder is (default: :func:`sdmission.settings.discover`).
    uncertainties
        Also resolve each scenario's uncertainty space (imports SciPy).
    checks
        A command's own checks (e.g. ``optimise``'s block against the model), run on every
        scenario that passes the common ones; their problems are reported with all others.

    Raises
    ------
    InputError
        With every problem of every scenario, before any engine is built.
    """
    folder = (settings or discover()).scenarios_dir
    files = resolve_scenarios(list(scenarios), folder)
    catalogues: dict[Path, Catalogue] = {}
    loaded: list[Scenario] = []
    problems: list[Problem] = []
    for f in files:
        scn, found = check_file(f, catalogues)
        if scn is not None and not found and checks is not None:
            found = checks(scn, catalogues[scn.model_path])
        problems += found
        if scn is not None and not found:
            loaded.append(scn)
    tsets, spaces, found = _extras(loaded, targets, uncertainties)
    problems += found
    if problems:
        raise InputError(problems)
    engines: dict[Path, Engine] = {}
    cases: list[Case] = []
    for scn, tset, space in zip(loaded, tsets, spaces, strict=True):
        if scn.model_path not in engines:
            engines[scn.model_path] = load_engine(scn.model_path, engine)
        cat = catalogues[scn.model_path]
        cases.append(Case(scenario=scn, catalogue=cat, engine=engines[scn.model_path],
                          inputs=scenario_inputs(scn, cat), target_set=tset, space=space))
    return cases
