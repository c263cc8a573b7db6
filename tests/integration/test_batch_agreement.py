"""The batch engine agrees with PySD (rtol 1e-9) on every test model and on the project model."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
import xarray as xr

from sdmission.constants import MEMBER, TIME
from sdmission.model.engines.batch import BatchEngine
from sdmission.model.engines.batch.crosscheck import max_rel_diff, member_params, pysd_run

MODELS = Path(__file__).resolve().parents[1] / "data" / "models"
SUPPORTED = ["fn_arith.mdl", "fn_stateful.mdl", "fn_lookup.mdl", "fn_subscripts.mdl"]
RTOL = 1e-9


@pytest.fixture(autouse=True)
def _numpy_path(monkeypatch: pytest.MonkeyPatch) -> None:
    """``engine.run`` here is the numpy path (whatever the disk cache holds); the C path is run
    explicitly (``compiled("c")``), and the kernel-policy test sets ``SDMISSION_COMPILED`` itself."""
    monkeypatch.setenv("SDMISSION_COMPILED", "0")


def _assert_agree(ds: xr.Dataset, member: int, ref: dict[str, np.ndarray], names: list[str]) -> None:
    np.testing.assert_allclose(ds[TIME].values, ref["__time__"], rtol=0, atol=1e-9)
    bad = {}
    for name in names:
        d = max_rel_diff(ds[name].isel({MEMBER: member}).values, ref[name])
        if not d <= RTOL:
            bad[name] = d
    assert not bad, f"variables disagree with PySD (max rel diff): {bad}"


def _scalar_constants(engine: BatchEngine) -> list[str]:
    return [n for n in engine.constants if not engine.model.variables[n].dims]


def _random_constants(engine: BatchEngine, n: int, seed: int, spread: float) -> dict[str, xr.DataArray]:
    """Every constant (scalar or subscripted) times independent uniform factors, per member."""
    rng = np.random.default_rng(seed)
    defaults = engine.run(return_vars=list(engine.constants)).isel({MEMBER: 0, TIME: 0})
    inputs = {}
    for name in engine.constants:
        da = defaults[name].drop_vars([MEMBER, TIME])
        factors = rng.uniform(1 - spread, 1 + spread, (n,) + da.shape)
        inputs[name] = (da * xr.DataArray(factors, dims=(MEMBER, *da.dims))).transpose(MEMBER, *da.dims)
    return inputs


@pytest.mark.parametrize("model", SUPPORTED)
def test_defaults_agree_with_pysd(model: str) -> None:
    engine = BatchEngine(MODELS / model)
    ds = engine.run()
    names = list(engine.variables)
    _assert_agree(ds, 0, pysd_run(MODELS / model, {}, names), names)


@pytest.mark.parametrize("model", SUPPORTED)
def test_random_draws_agree_with_pysd_member_by_member(model: str) -> None:
    engine = BatchEngine(MODELS / model)
    n = 3
    inputs = _random_constants(engine, n, seed=20260, spread=0.2)
    assert inputs, "test model has no constants to vary"
    ds = engine.run(inputs)
    names = list(engine.variables)
    for i in range(n):
        _assert_agree(ds, i, pysd_run(MODELS / model, member_params(inputs, i), names), names)


def test_time_path_input_agrees_with_pysd() -> None:
    """A time path on the integration grid replaces a WITH LOOKUP lever, as a pd.Series does in PySD."""
    engine = BatchEngine(MODELS / "fn_lookup.mdl")
    grid = np.arange(2000.0, 2032.0 + 0.25, 0.5)
    paths = np.stack([30 + 10 * np.sin(grid / 3), 50 - 0.5 * (grid - 2000)])
    inputs = {"price_path": xr.DataArray(paths, dims=[MEMBER, TIME], coords={TIME: grid})}
    ds = engine.run(inputs)
    names = list(engine.variables)
    for i in range(2):
        _assert_agree(ds, i, pysd_run(MODELS / "fn_lookup.mdl", member_params(inputs, i), names), names)
    np.testing.assert_allclose(ds["price_path"].sel(time=2010).values, paths[:, 20])


def test_subscripted_input_agrees_with_pysd() -> None:
    engine = BatchEngine(MODELS / "fn_subscripts.mdl")
    base = xr.DataArray([[12.0, 18.0, 33.0]], dims=[MEMBER, "region"],
                        coords={"region": ["north", "south", "east"]})
    ds = engine.run({"base": base})
    names = list(engine.variables)
    _assert_agree(ds, 0, pysd_run(MODELS / "fn_subscripts.mdl", member_params({"base": base}, 0), names), names)


def test_final_time_override_agrees_with_pysd() -> None:
    engine = BatchEngine(MODELS / "fn_stateful.mdl")
    ds = engine.run(final_time=9)
    names = list(engine.variables)
    assert float(ds[TIME][-1]) == 9.0
    _assert_agree(ds, 0, pysd_run(MODELS / "fn_stateful.mdl", {}, names, final_time=9), names)


@pytest.mark.slow
def test_project_model_random_draw_agrees_with_pysd(project_model_path: Path) -> None:
    """One PySD run of the project model takes about 35 s here, so one seeded draw is checked."""
    if not project_model_path.exists():
        pytest.fail(f"project model missing: {project_model_path}")
    engine = BatchEngine(project_model_path)
    rng = np.random.default_rng(7)
    inputs = {}
    for name in _scalar_constants(engine):
        default = engine.model.variables[name].components[0].expr.value  # type: ignore[union-attr]
        inputs[name] = xr.DataArray(default * rng.uniform(0.9, 1.1, 2), dims=[MEMBER])
    ds = engine.run(inputs)
    names = list(engine.variables)
    _assert_agree(ds, 1, pysd_run(project_model_path, member_params(inputs, 1), names), names)


# -- the compiled (numba) path equals the numpy path ---------------------------------------------
COMPILED = ["fn_arith.mdl", "fn_lookup.mdl"]


def _assert_same(a: xr.Dataset, b: xr.Dataset) -> None:
    np.testing.assert_allclose(a[TIME].values, b[TIME].values, rtol=0, atol=0)
    bad = {n: d for n in a.data_vars if not (d := max_rel_diff(b[n].values, a[n].values)) <= RTOL}
    assert not bad, f"compiled differs from numpy (max rel diff): {bad}"


@pytest.mark.parametrize("model", COMPILED)
def test_compiled_equals_numpy_defaults_and_members(model: str) -> None:
    engine = BatchEngine(MODELS / model)
    _assert_same(engine.run(), engine.compiled().run())
    inputs = _random_constants(engine, 3, seed=11, spread=0.2)
    _assert_same(engine.run(inputs), engine.compiled().run(inputs))


def test_compiled_time_path_input_equals_numpy() -> None:
    engine = BatchEngine(MODELS / "fn_lookup.mdl")
    grid = np.arange(2000.0, 2032.0 + 0.25, 0.5)
    inputs = {"price_path": xr.DataArray(np.stack([30 + grid * 0, 50 - 0.5 * (grid - 2000)]),
                                         dims=[MEMBER, TIME], coords={TIME: grid})}
    _assert_same(engine.run(inputs), engine.compiled().run(inputs))


@pytest.mark.slow
@pytest.mark.skipif(not os.environ.get("SDMISSION_TEST_COMPILED_PROJECT"),
                    reason="compiles the project model from cold (minutes on 2 cores); "
                           "set SDMISSION_TEST_COMPILED_PROJECT=1 (benchmarks/bench_batch.py checks it too)")
def test_project_model_compiled_equals_numpy(project_model_path: Path) -> None:
    engine = BatchEngine(project_model_path)
    _assert_same(engine.run(), engine.compiled().run())


# -- the C path (system C compiler) equals the numpy path, and is what `run` takes by default ------
needs_cc = pytest.mark.skipif(__import__("sdmission.model.engines.batch.compiled", fromlist=["c_compiler"])
                              .c_compiler() is None, reason="no C compiler on this machine (the C path is off)")


@needs_cc
@pytest.mark.parametrize("model", COMPILED)
def test_c_path_equals_numpy_defaults_and_members(model: str) -> None:
    engine = BatchEngine(MODELS / model)
    _assert_same(engine._dataset(engine._setup(None, None, None), engine._run_numpy(engine._setup(None, None, None))),
                 engine.compiled("c").run())
    inputs = _random_constants(engine, 3, seed=11, spread=0.2)
    setup = engine._setup(inputs, None, None)
    _assert_same(engine._dataset(setup, engine._run_numpy(setup)), engine.compiled("c").run(inputs))


@needs_cc
def test_c_path_time_path_input_equals_numpy() -> None:
    engine = BatchEngine(MODELS / "fn_lookup.mdl")
    grid = np.arange(2000.0, 2032.0 + 0.25, 0.5)
    inputs = {"price_path": xr.DataArray(np.stack([30 + grid * 0, 50 - 0.5 * (grid - 2000)]),
                                         dims=[MEMBER, TIME], coords={TIME: grid})}
    setup = engine._setup(inputs, None, None)
    _assert_same(engine._dataset(setup, engine._run_numpy(setup)), engine.compiled("c").run(inputs))


@needs_cc
@pytest.mark.parametrize("model", [*COMPILED, "plot_demo.mdl", "mini_levers.mdl"])
def test_c_path_constant_given_as_a_time_path_equals_numpy(model: str) -> None:
    """A literal constant that a scenario sets as a time path (a phase-out year, a subscripted
    budget): the path, not the constant's default, reaches every equation (the C path once read the
    default, and the optimiser fell back to numpy)."""
    engine = BatchEngine(MODELS / model)
    setup0 = engine._setup(None, None, None)
    grid = setup0.grid
    defaults = engine.run(return_vars=list(engine.constants)).isel({MEMBER: 0, TIME: 0})
    inputs = {}
    for name in engine.constants:
        da = defaults[name].drop_vars([MEMBER, TIME])
        step = xr.DataArray(np.where(grid < grid[len(grid) // 2], 1.0, 1.5), dims=[TIME], coords={TIME: grid})
        inputs[name] = (da * step).transpose(TIME, *da.dims)
    setup = engine._setup(inputs, None, None)
    assert setup.plan.time_inputs, "no constant became a time input"
    ref = engine._dataset(setup, engine._run_numpy(setup))
    changed = [n for n in engine.constants if not np.allclose(ref[n].isel({MEMBER: 0, TIME: 0}), ref[n].isel({MEMBER: 0, TIME: -1}))]
    assert changed, "the step in the paths is not seen on the numpy path"
    _assert_same(ref, engine.compiled("c").run(inputs))


@needs_cc
def test_project_model_c_path_equals_numpy(project_model_path: Path) -> None:
    """Every variable of the project model, defaults and two members drawing every scalar constant."""
    engine = BatchEngine(project_model_path)
    setup = engine._setup(None, None, None)
    _assert_same(engine._dataset(setup, engine._run_numpy(setup)), engine.compiled("c").run())
    rng = np.random.default_rng(3)
    inputs = {n: xr.DataArray(engine.model.variables[n].components[0].expr.value  # type: ignore[union-attr]
                              * rng.uniform(0.9, 1.1, 2), dims=[MEMBER]) for n in _scalar_constants(engine)}
    setup = engine._setup(inputs, ["national_ghg", "industry_ghg", "circular_share", "public_cost"], None)
    _assert_same(engine._dataset(setup, engine._run_numpy(setup)),
                 engine.compiled("c").run(inputs, return_vars=list(setup.plan.outputs)))


@needs_cc
def test_run_takes_the_c_path_when_it_pays_and_numpy_when_told(monkeypatch: pytest.MonkeyPatch) -> None:
    from sdmission.model.engines.batch.engine import C_MIN_MEMBERS

    engine = BatchEngine(MODELS / "fn_arith.mdl")
    monkeypatch.setenv("SDMISSION_COMPILED", "0")
    assert engine.kernel_for(engine._setup(None, None, None)) == "numpy"
    monkeypatch.setenv("SDMISSION_COMPILED", "auto")
    # 'arith' (an auxiliary) set as a constant: a plan of its own, compiled nowhere yet
    one = {"arith": xr.DataArray([1.5], dims=[MEMBER])}
    assert engine.kernel_for(engine._setup(one, None, None)) == "numpy"  # one run: not worth a compile
    members = {"arith": xr.DataArray(np.linspace(1, 2, C_MIN_MEMBERS), dims=[MEMBER])}
    big = engine._setup(members, None, None)
    assert engine.kernel_for(big) == "c"  # a large ensemble pays for the compile
    ref = engine._dataset(big, engine._run_numpy(big))
    _assert_same(ref, engine.run(members))
    assert engine._c_plans[(big.plan.const_inputs - frozenset(engine.constants), big.plan.time_inputs)] is True
    # a fresh engine finds that plan's library on disk and takes the C path even for one run
    again = BatchEngine(MODELS / "fn_arith.mdl")
    assert again.kernel_for(again._setup(one, None, None)) == "c"


@needs_cc
def test_tampered_c_library_is_compiled_again(monkeypatch: pytest.MonkeyPatch) -> None:
    from sdmission.model.engines.batch.compiled import CFunction
    from sdmission.model.engines.batch.engine import IR_VERSION

    engine = BatchEngine(MODELS / "fn_lookup.mdl")
    fn = engine.compiled("c").function(engine._setup(None, None, None).plan)
    # not the library its signed description names (a new file: the loaded one stays mapped)
    tampered = fn.path.with_suffix(".tmp")
    tampered.write_bytes(fn.path.read_bytes() + b"\0")
    tampered.replace(fn.path)
    again = BatchEngine(MODELS / "fn_lookup.mdl")
    plan = again._setup(None, None, None).plan
    with pytest.raises(LookupError):
        CFunction(again.model, plan, again.constants, ir_version=IR_VERSION, cached_only=True)
    _assert_same(engine.compiled("c").run(), again.compiled("c").run())


@needs_cc
def test_prepared_run_equals_run_with_merged_inputs() -> None:
    engine = BatchEngine(MODELS / "fn_lookup.mdl")
    grid = np.arange(2000.0, 2032.0 + 0.25, 0.5)
    base = {"price_path": xr.DataArray(30 + grid * 0, dims=[TIME], coords={TIME: grid})}
    changed = {"price_path": xr.DataArray(50 - 0.5 * (grid - 2000), dims=[TIME], coords={TIME: grid})}
    for backend in (None, "c"):
        p = engine.prepare(base, backend=backend)
        setup = engine._setup(changed, None, None)
        _assert_same(engine._dataset(setup, engine._run_numpy(setup)), p.dataset(p.run(changed)))
        setup = engine._setup(base, None, None)
        _assert_same(engine._dataset(setup, engine._run_numpy(setup)), p.dataset(p.run()))  # base restored
