"""model/source.py: the .mdl read once per content hash; controls, grid and default paths."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

from sdmission.errors import InputError, ModelError
from sdmission.model import source

ROOT = Path(__file__).resolve().parents[2]
MODELS = [ROOT / "models" / "sdmission.mdl", *sorted((ROOT / "tests" / "data" / "models").glob("*.mdl"))]


# The optimiser's former regex readers (analysis/optimise/core.py: _equations, read_grid,
# model_default_path), kept here as the oracle the source API must reproduce.
def _old_equations(mdl_text: str) -> dict[str, str]:
    body = mdl_text.split("\\\\\\---///")[0]
    out: dict[str, str] = {}
    for chunk in body.split("|"):
        eq = chunk.split("~")[0].strip()
        if eq.startswith("{UTF-8}"):
            eq = eq[len("{UTF-8}"):].strip()
        m = re.match(r"^([A-Za-z][\w .]*?)\s*=\s*(.+)$", eq, re.S)
        if m and "[" not in m.group(1):
            out[re.sub(r"\s+", "_", m.group(1).strip().lower())] = m.group(2).replace("\\\n", " ")
    return out


def _old_grid(mdl: Path) -> tuple[float, float, float, float]:
    eqs = _old_equations(mdl.read_text(encoding="utf-8"))
    t0, t1, dt, save = (float(eqs[k].strip()) for k in ("initial_time", "final_time", "time_step", "saveper"))
    return t0, t1, dt, save


def _old_default_path(mdl: Path, py_name: str) -> tuple[np.ndarray, np.ndarray] | None:
    rhs = _old_equations(mdl.read_text(encoding="utf-8")).get(py_name)
    if rhs is None:
        return None
    try:
        return np.array([0.0]), np.array([float(rhs.strip())])
    except ValueError:
        pass
    m = re.match(r"\s*WITH\s+LOOKUP\s*\(\s*Time\s*,\s*\((.*)\)\s*\)\s*$", rhs, re.S | re.I)
    if not m:
        return None
    pts = re.findall(r"\(\s*([-+\d.eE]+)\s*,\s*([-+\d.eE]+)\s*\)", re.sub(r"\[.*?\]", "", m.group(1)))
    return np.array([float(x) for x, _ in pts]), np.array([float(y) for _, y in pts])


@pytest.mark.parametrize("mdl", MODELS, ids=[m.name for m in MODELS])
def test_grid_equals_the_former_reader(mdl: Path) -> None:
    g = source.read_grid(mdl)
    assert (g.initial, g.final, g.step, g.saveper) == _old_grid(mdl)
    n = int(round((g.final - g.initial) / g.step))
    np.testing.assert_array_equal(g.times, g.initial + g.step * np.arange(n + 1))


@pytest.mark.parametrize("mdl", MODELS, ids=[m.name for m in MODELS])
def test_default_paths_equal_the_former_reader(mdl: Path) -> None:
    """Same breakpoints wherever the former reader gave a path; an input error wherever it gave none."""
    src = source.read(mdl)
    compared = 0
    for info in src.variables.values():
        want = _old_default_path(mdl, info.py_name)
        if want is None:
            with pytest.raises(InputError) as err:
                src.default_path(info.py_name, key=f"optimise.levers.{info.py_name}")
            assert err.value.problems[0].key == f"optimise.levers.{info.py_name}"
            continue
        x, y = src.default_path(info.py_name)
        assert x.dtype == want[0].dtype and y.dtype == want[1].dtype
        np.testing.assert_array_equal(x, want[0])
        np.testing.assert_array_equal(y, want[1])
        compared += 1
    assert compared >= 4  # at least the four controls


def test_default_path_messages() -> None:
    mdl = ROOT / "models" / "sdmission.mdl"
    with pytest.raises(InputError, match="is not a scalar variable"):
        source.default_path(mdl, "no_such_variable")
    with pytest.raises(InputError, match=r"must be a number or WITH LOOKUP\(Time, …\)"):
        source.default_path(mdl, "industry_ghg")


def _model(tmp_path: Path, controls: str, extra: str = "") -> Path:
    mdl = tmp_path / "m.mdl"
    mdl.write_text("{UTF-8}\nx = 1\n\t~\tDmnl\n\t~\t|\n\n" + extra + controls, encoding="utf-8")
    return mdl


CONTROLS = ("INITIAL TIME = 2000\n\t~\tYear\n\t~\t|\n\nFINAL TIME = INITIAL TIME + 10 * span\n\t~\tYear\n\t~\t|\n\n"
            "TIME STEP = 0.5\n\t~\tYear\n\t~\t|\n\nSAVEPER = TIME STEP * 2\n\t~\tYear\n\t~\t|\n")


def test_controls_given_by_expressions_of_constants(tmp_path: Path) -> None:
    mdl = _model(tmp_path, CONTROLS, "span = 3\n\t~\tYear\n\t~\t|\n\n")
    assert source.read(mdl).controls == {"initial_time": 2000.0, "final_time": 2030.0, "time_step": 0.5,
                                         "saveper": 1.0}


def test_control_that_is_not_a_constant_is_a_clear_error(tmp_path: Path) -> None:
    mdl = _model(tmp_path, CONTROLS, "span = INTEG(1, 0)\n\t~\tYear\n\t~\t|\n\n")
    with pytest.raises(ModelError, match="FINAL TIME must be a number or an expression of other constants"):
        _ = source.read(mdl).controls


def test_read_once_per_content(tmp_path: Path) -> None:
    mdl = _model(tmp_path, CONTROLS, "span = 1\n\t~\tYear\n\t~\t|\n\n")
    first = source.read(mdl)
    assert source.read(mdl) is first
    assert first.abstract() is source.read(mdl).abstract()
    mdl.write_text(mdl.read_text(encoding="utf-8").replace("span = 1", "span = 2"), encoding="utf-8")
    second = source.read(mdl)
    assert second is not first and second.controls["final_time"] == 2020.0


def test_sketch_and_equations_split() -> None:
    src = source.read(ROOT / "tests" / "data" / "models" / "plot_demo.mdl")
    assert src.text == src.equations_text + src.sketch
    assert not src.sketch or src.sketch.startswith(source.SKETCH_MARKER)


def test_variables_carry_tags_units_and_limits() -> None:
    src = source.read(ROOT / "models" / "sdmission.mdl")
    levy = src.variables["co2_levy_tariff"]
    assert levy.tag == "lever" and levy.units == "EUR/tCO2" and levy.limits == (0.0, 1000.0)
    assert levy.expression.upper().startswith("WITH LOOKUP")
    assert levy.py_name == "co2_levy_tariff" and levy.group


def test_builders_do_not_change_the_shared_abstract_model() -> None:
    """The catalogue builder and the batch compiler read the cached abstract model without changing it."""
    from sdmission.model.catalogue import load_catalogue
    from sdmission.model.engines.batch.compiler import compile_model

    mdl = ROOT / "models" / "sdmission.mdl"
    before = repr(source.read(mdl).abstract())
    load_catalogue(mdl)
    compile_model(mdl)
    assert repr(source.read(mdl).abstract()) == before


def test_evaluate_walks_the_tree_only() -> None:
    from pysd.translators.structures import abstract_expressions as ae

    tree = ae.ArithmeticStructure(["+", "*"], (1, ae.ReferenceStructure("a"), 3))
    assert source.evaluate(tree, {"a": 2.0}) == 7.0
    with pytest.raises(ValueError, match="not a constant"):
        source.evaluate(tree, {})
    with pytest.raises(ValueError, match="not a constant expression"):
        source.evaluate(ae.CallStructure(ae.ReferenceStructure("exp"), (1,)), {})


@pytest.mark.parametrize("ops, args, want", [
    (["+", "*"], (1, 2, 3), 7.0),
    (["*", "+", "/"], (2, 3, 8, 4), 8.0),
    (["-", "-"], (10, 3, 2), 5.0),
    (["^", "^"], (2, 3, 2), 512.0),
    (["/", "*"], (8, 2, 4), 16.0),
])
def test_evaluate_follows_precedence(ops: list[str], args: tuple[float, ...], want: float) -> None:
    from pysd.translators.structures import abstract_expressions as ae

    assert source.evaluate(ae.ArithmeticStructure(ops, args)) == want


@pytest.mark.parametrize("mdl", MODELS, ids=[m.name for m in MODELS])
def test_py_names_are_pysds(mdl: Path) -> None:
    """``variables[...].py_name`` is the name PySD's builder gives (the catalogue's key)."""
    from sdmission.model.catalogue import load_catalogue

    cat = load_catalogue(mdl)
    assert {v.py_name for v in source.read(mdl).variables.values()} | {"time"} == set(cat)


def test_cached_copy_holds_the_hashed_bytes(tmp_path: Path) -> None:
    from sdmission.model import translate

    mdl = _model(tmp_path, CONTROLS, "span = 1\n\t~\tYear\n\t~\t|\n\n")
    copy = translate.cached_copy(mdl)
    assert copy.read_bytes() == mdl.read_bytes()
    assert copy.parent.name == source.read(mdl).digest[:16] == translate.model_hash(mdl)[:16]
