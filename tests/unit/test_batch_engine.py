"""Batch engine unit tests: member independence, errors, lookups at their ends, cache, time grid."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest
import xarray as xr

from sdmission.constants import MEMBER, TIME
from sdmission.errors import ModelError, UnsupportedFunctionError
from sdmission.model.engines.batch import BatchEngine, load_ir
from sdmission.model.engines.batch.engine import time_grid
from sdmission.model.engines.factory import load_engine
from sdmission.model.translate import cache_dir, model_hash

MODELS = Path(__file__).resolve().parents[1] / "data" / "models"


@pytest.fixture(scope="module")
def stateful() -> BatchEngine:
    return BatchEngine(MODELS / "fn_stateful.mdl")


@pytest.fixture(scope="module")
def subscripts() -> BatchEngine:
    return BatchEngine(MODELS / "fn_subscripts.mdl")


def test_result_dims_and_order(subscripts: BatchEngine) -> None:
    ds = subscripts.run(return_vars=["capacity", "total_capacity", "grand_total"])
    assert ds["capacity"].dims == (MEMBER, TIME, "region", "tech")
    assert ds["total_capacity"].dims == (MEMBER, TIME, "region")
    assert ds["grand_total"].dims == (MEMBER, TIME)
    assert list(ds["tech"].values) == ["old", "mid", "new", "best"]
    np.testing.assert_allclose(ds[TIME].values, np.arange(0.0, 21.0))
    # Stock balance: the grand total is the sum of the 2-D stock.
    np.testing.assert_allclose(ds["grand_total"], ds["capacity"].sum(["region", "tech"]), rtol=1e-12)


def test_member_i_equals_single_run_and_order_does_not_matter(stateful: BatchEngine) -> None:
    times = np.array([2.0, 3.0, 4.5, 6.0])
    inits = np.array([1.0, 7.5, 12.0, 0.5])
    batch = stateful.run({"delay_time": xr.DataArray(times, dims=[MEMBER]),
                          "init_value": xr.DataArray(inits, dims=[MEMBER])})
    rev = stateful.run({"delay_time": xr.DataArray(times[::-1], dims=[MEMBER]),
                        "init_value": xr.DataArray(inits[::-1], dims=[MEMBER])})
    for i in range(len(times)):
        single = stateful.run({"delay_time": xr.DataArray(times[i]), "init_value": xr.DataArray(inits[i])})
        for name in stateful.variables:
            # Same elementwise operations on every member; 1e-13 allows for reduction order only.
            np.testing.assert_allclose(batch[name][i].values, single[name][0].values, rtol=1e-13, err_msg=name)
            np.testing.assert_allclose(rev[name][len(times) - 1 - i].values, single[name][0].values,
                                       rtol=1e-13, err_msg=name)
    # The members really differ (the test would pass vacuously otherwise).
    assert not np.allclose(batch["d3"][0].values, batch["d3"][3].values)


def test_member_coords_are_kept(stateful: BatchEngine) -> None:
    da = xr.DataArray([2.0, 4.0], dims=[MEMBER], coords={MEMBER: ["low", "high"]})
    ds = stateful.run({"delay_time": da}, return_vars=["s1"])
    assert list(ds[MEMBER].values) == ["low", "high"]


def test_lookups_at_and_beyond_their_ends() -> None:
    engine = BatchEngine(MODELS / "fn_lookup.mdl")
    ds = engine.run(return_vars=["effect_at_end", "price_path", "effect", "ratio"])
    # effect table: y(0)=1, y(2)=0.35; beyond the ends PySD holds the end values (no extrapolation).
    np.testing.assert_allclose(ds["effect_at_end"].values, 0.35 + 1.0 + 1.0 + 0.35)
    price = ds["price_path"].isel({MEMBER: 0}).to_series()
    assert price[2000.0] == 10.0 and price[2004.0] == 10.0  # before the first x (2005)
    assert price[2026.0] == 20.0 and price[2032.0] == 20.0  # after the last x (2025)
    assert price[2015.0] == pytest.approx(35.0)  # interior: linear between (2010,30) and (2020,40)
    ratio = ds["ratio"].isel({MEMBER: 0}).values
    assert ratio.max() > 2.0, "the named lookup's argument should leave the table's range"
    effect = ds["effect"].isel({MEMBER: 0}).values
    np.testing.assert_allclose(effect[ratio > 2.0], 0.35)


def test_unsupported_function_names_function_and_variable() -> None:
    with pytest.raises(UnsupportedFunctionError) as info:
        BatchEngine(MODELS / "fn_unsupported.mdl")
    assert info.value.function == "GET TIME VALUE"
    assert info.value.variable == "value_now"
    assert "--engine pysd" in str(info.value)


def test_ir_is_cached_by_hash_outside_the_model_folder(tmp_path: Path) -> None:
    mdl = tmp_path / "copy.mdl"
    shutil.copyfile(MODELS / "fn_arith.mdl", mdl)
    model = load_ir(mdl)
    assert model.source_hash == model_hash(mdl)
    cached = list((cache_dir() / model.source_hash[:16]).glob("batch-ir-*.json"))
    assert len(cached) == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["copy.mdl"]  # nothing written beside it
    assert load_ir(mdl) == model  # second load comes from the cache and is the same IR


def test_bad_inputs_get_clear_errors(stateful: BatchEngine) -> None:
    with pytest.raises(ModelError, match="did you mean 'delay_time'"):
        stateful.run({"delay_tme": xr.DataArray(3.0)})
    with pytest.raises(ModelError, match="cannot be set"):
        stateful.run({"s1": xr.DataArray(3.0)})
    with pytest.raises(ModelError, match="control variable"):
        stateful.run({"time_step": xr.DataArray(0.5)})
    with pytest.raises(ModelError, match="number of members"):
        stateful.run({"delay_time": xr.DataArray([2.0, 3.0], dims=[MEMBER]),
                      "init_value": xr.DataArray([1.0, 2.0, 3.0], dims=[MEMBER])})
    with pytest.raises(ModelError, match="dims"):
        stateful.run({"delay_time": xr.DataArray([2.0, 3.0], dims=["scenario"])})
    with pytest.raises(ModelError, match="integration"):
        stateful.run({"init_value": xr.DataArray([1.0, 2.0], dims=[TIME], coords={TIME: [0.0, 15.0]})})


def test_time_grid_matches_pysd_rules() -> None:
    times, flags, saved = time_grid(0.0, 0.125, 12.0, 0.5)
    assert len(times) == 97 and times[-1] == 12.0
    np.testing.assert_allclose(saved, np.arange(0.0, 12.5, 0.5))
    assert sum(flags) == 25
    # dt that is not a binary fraction: time accumulates by repeated addition, as in PySD.
    times, flags, saved = time_grid(0.0, 0.1, 1.0, 0.5)
    assert len(times) == 11 and sum(flags) == 3
    np.testing.assert_allclose(saved, [0.0, 0.5, 1.0])
    with pytest.raises(ModelError):
        time_grid(0.0, 0.0, 1.0, 1.0)


def test_load_engine_factory() -> None:
    engine = load_engine(MODELS / "fn_arith.mdl")
    assert engine.name == "batch"
    assert load_engine(MODELS / "fn_arith.mdl", "batch") is engine
    with pytest.raises(ModelError, match="unknown engine"):
        load_engine(MODELS / "fn_arith.mdl", "fast")
    with pytest.raises(ModelError, match="not found"):
        load_engine(MODELS / "missing.mdl")


CONTROL_EXPRESSIONS = """{UTF-8}
base = 3 ~ Widget ~ |
growth = base * 0.1 + offset ~ 1/Month ~ a constant expression of constants |
offset = 0.05 ~ 1/Month ~ |
stock = INTEG(stock * growth, base) ~ Widget ~ |
INITIAL TIME = 2 ~ Month ~ |
FINAL TIME = INITIAL TIME + horizon ~ Month ~ |
horizon = 10 ~ Month ~ |
TIME STEP = 0.25 ~ Month ~ |
SAVEPER = TIME STEP * 2 ~ Month ~ |
"""


def test_control_variables_and_constants_as_expressions(tmp_path: Path) -> None:
    """SAVEPER = TIME STEP * 2, FINAL TIME = INITIAL TIME + horizon, constants of constants."""
    from sdmission.model.engines.batch.crosscheck import max_rel_diff, pysd_run

    mdl = tmp_path / "control.mdl"
    mdl.write_text(CONTROL_EXPRESSIONS)
    engine = BatchEngine(mdl)
    ds = engine.run()
    np.testing.assert_allclose(ds[TIME].values, np.arange(2.0, 12.0 + 0.25, 0.5))
    ref = pysd_run(mdl, {}, ["stock", "growth"])
    np.testing.assert_allclose(ds[TIME].values, ref["__time__"])
    assert max_rel_diff(ds["stock"].isel({MEMBER: 0}).values, ref["stock"]) <= 1e-9
    assert float(ds["growth"].isel({MEMBER: 0, TIME: 0})) == pytest.approx(0.35)


def test_time_dependent_final_time_is_refused_clearly(tmp_path: Path) -> None:
    mdl = tmp_path / "dyn.mdl"
    mdl.write_text(CONTROL_EXPRESSIONS.replace("INITIAL TIME + horizon", "IF THEN ELSE(Time > 5, Time, 20)"))
    with pytest.raises(UnsupportedFunctionError) as info:
        BatchEngine(mdl)
    assert info.value.variable == "final_time"


def test_external_data_files_are_hashed_into_the_ir(tmp_path: Path) -> None:
    """GET XLS LOOKUPS read at compile time; a changed data file invalidates the cached IR."""
    from sdmission.model.engines.batch.engine import _externals_unchanged

    src = MODELS.parent / "test-models" / "tests" / "get_lookups_subset"
    folder = tmp_path / "m"
    shutil.copytree(src, folder)
    model = load_ir(folder / "test_get_lookups_subset.mdl")
    assert [name for name, _ in model.externals] == ["input.xls"]
    assert _externals_unchanged(model, folder)
    (folder / "input.xls").write_bytes((folder / "input.xls").read_bytes() + b"\0")
    assert not _externals_unchanged(model, folder)
    assert _externals_unchanged(model, src)  # checked against the files next to the model loaded


def test_compiled_path_refuses_what_it_does_not_compile(stateful: BatchEngine) -> None:
    with pytest.raises(UnsupportedFunctionError, match="compiled path"):
        stateful.compiled().run()
