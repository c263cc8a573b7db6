"""Property-based tests of every reader (issue #13, part 7): random structures and values end in
exit 0 or a clear exit 1 — never exit 3, never a traceback.

The scenario reader is driven through ``sdmission.cli.main(["validate", …])`` in-process (with and
without the model); the target registry, the ``uncertainties:`` block and the ``optimise:`` block
through their loaders, which must return or raise :class:`~sdmission.errors.InputError` only.
"""

from __future__ import annotations

import contextlib
import io
import math
import tempfile
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sdmission.cli import main
from sdmission.errors import SdmissionError
from sdmission.yamlio import dump_yaml

ROOT = Path(__file__).resolve().parents[2]
BASELINE = ROOT / "scenarios" / "baseline.yaml"
REGISTRY = ROOT / "sdmission" / "data" / "targets.yaml"

FUZZ = settings(max_examples=60, deadline=None, derandomize=True,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

WORDS = [
    "name", "description", "extends", "targets", "levers", "assumptions", "time", "final_time",
    "sources", "abstract", "uncertainties", "optimise", "knots", "value", "ramp", "start", "end",
    "from", "to", "interpolation", "units", "parameters", "defaults", "distribution", "low", "high",
    "mode", "mean", "sd", "element", "weights", "values", "p", "members", "sampler", "seed",
    "bounds", "objective", "discount_rate", "method", "popsize", "maxiter", "robust", "pareto",
    "window", "metric", "kind", "co2_levy_tariff", "capture_rate", "eu_ets_price", "all", "none",
    "linear", "step", "uniform", "triangular", "truncnormal", "discrete", "lhs", "sobol", "mc",
    "abatement_effort", "regional_experiments", "Rotterdam_Moerdijk", "version", "default",
    "metrics", "sets", "id", "year", "sense", "threshold", "label", "label_nl", "source",
]

scalars = st.one_of(
    st.none(), st.booleans(), st.integers(-10**12, 10**12),
    st.floats(allow_nan=True, allow_infinity=True), st.sampled_from(WORDS),
    st.integers(1990, 2100), st.floats(0, 1), st.text(max_size=12),
)
keys = st.one_of(st.sampled_from(WORDS), st.integers(1990, 2100), st.text(min_size=1, max_size=8))
values = st.recursive(
    scalars,
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(keys, inner, max_size=5)),
    max_leaves=25,
)
documents = st.dictionaries(st.sampled_from(WORDS), values, max_size=8)
raw_text = st.text(alphabet=st.sampled_from(list("ab: -[]{},&*!|>'\"#\n\t%@`?0123.\\\x07\x00\u00e9")),
                   max_size=200)


def _dump(data: Any) -> str:
    try:
        return dump_yaml(data)
    except Exception:  # noqa: BLE001 - some generated keys cannot be dumped; use repr text instead
        return repr(data)


def _cli(argv: list[str]) -> tuple[int, str]:
    err = io.StringIO()
    out = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(out):
        code = main(argv)
    return code, err.getvalue()


def _clean(code: int, err: str) -> None:
    assert code in (0, 1), err
    assert "unexpected error" not in err and "Traceback" not in err, err


def _file(folder: str, text: str, name: str = "fuzz.yaml") -> str:
    path = Path(folder) / name
    path.write_text(text, encoding="utf-8", errors="surrogatepass")
    return str(path)


@FUZZ
@given(documents)
def test_scenario_reader_without_model(doc: dict[str, Any]) -> None:
    with tempfile.TemporaryDirectory() as d:
        _clean(*_cli(["validate", "--no-model", _file(d, _dump(doc))]))


@FUZZ
@given(raw_text)
def test_scenario_reader_on_raw_text(text: str) -> None:
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "raw.yaml"
        path.write_bytes(text.encode("utf-8", errors="surrogatepass"))
        _clean(*_cli(["validate", "--no-model", str(path)]))


_OVERRIDES = st.fixed_dictionaries({}, optional={
    "levers": st.dictionaries(st.sampled_from(["co2_levy_tariff", "regional_experiments",
                                               "abatement_effort", "nope"]), values, max_size=3),
    "assumptions": st.dictionaries(st.sampled_from(["eu_ets_price", "capture_rate", "x"]), values,
                                   max_size=2),
    "time": st.one_of(values, st.fixed_dictionaries({"final_time": st.one_of(
        st.floats(allow_nan=True, allow_infinity=True), st.integers(-10**15, 10**15))})),
    "uncertainties": values,
    "optimise": values,
    "targets": st.one_of(st.sampled_from(["design", "nope", ""]), values),
})


@FUZZ
@given(_OVERRIDES)
def test_scenario_reader_against_the_model(overrides: dict[str, Any]) -> None:
    data = {"name": "fuzz", "extends": str(BASELINE), **overrides}
    with tempfile.TemporaryDirectory() as d:
        _clean(*_cli(["validate", _file(d, _dump(data))]))


def _registry_variants() -> st.SearchStrategy[Any]:
    from sdmission.yamlio import read_yaml

    base = read_yaml(REGISTRY).data

    def mutate(path_value: tuple[list[str], Any]) -> Any:
        import copy

        keys_path, value = path_value
        data = copy.deepcopy(base)
        node = data
        for k in keys_path[:-1]:
            if isinstance(node, dict) and k in node:
                node = node[k]
            else:
                return data
        if isinstance(node, dict):
            node[keys_path[-1]] = value
        return data

    paths = st.lists(st.sampled_from(["sets", "design", "targets", "metrics", "version", "default",
                                      "ghg_reduction_vs_1990", "units", "threshold", "year"]),
                     min_size=1, max_size=3)
    return st.one_of(st.tuples(paths, values).map(mutate), documents)


@FUZZ
@given(_registry_variants())
def test_target_registry_reader(data: Any) -> None:
    from sdmission.study.targets import load_target_sets

    with tempfile.TemporaryDirectory() as d:
        path = _file(d, _dump(data), "targets.yaml")
        with contextlib.suppress(SdmissionError):
            load_target_sets(path)


_ENTRY = st.fixed_dictionaries({"name": st.sampled_from(["capture_rate", "eu_ets_price", "nope",
                                                         "storage_availability"])}, optional={
    k: st.one_of(scalars, values) for k in ("distribution", "low", "high", "mode", "mean", "sd",
                                            "element", "weights", "values")})
_BLOCK = st.one_of(values, st.fixed_dictionaries({}, optional={
    "defaults": st.one_of(st.sampled_from(["all", "none", "some"]), scalars),
    "parameters": st.one_of(st.lists(_ENTRY, max_size=3), values)}))


@FUZZ
@given(_BLOCK)
def test_uncertainty_reader(block: Any) -> None:
    from sdmission.scenario.load import load_scenario
    from sdmission.study.case import uncertainty_space

    data = {"name": "fuzz", "extends": str(BASELINE), "uncertainties": block}
    with tempfile.TemporaryDirectory() as d:
        path = _file(d, _dump(data))
        try:
            space = uncertainty_space(load_scenario(path))
        except SdmissionError:
            return
        for u in space.uncertainties:
            assert math.isfinite(u.low) and math.isfinite(u.high) and u.low < u.high


_LEVER = st.fixed_dictionaries({}, optional={
    "knots": st.one_of(st.lists(st.integers(1900, 2200), max_size=4), values),
    "bounds": st.one_of(st.lists(st.floats(allow_nan=True, allow_infinity=True), max_size=3),
                        st.lists(st.lists(st.floats(-1e3, 1e3), min_size=2, max_size=2), max_size=3),
                        values)})
_OPTIMISE = st.one_of(values, st.fixed_dictionaries({
    "start": st.one_of(st.integers(1900, 2200), scalars),
    "levers": st.dictionaries(st.sampled_from(["co2_levy_tariff", "nope", "eu_ets_price"]), _LEVER,
                              max_size=2),
    "objective": st.one_of(values, st.fixed_dictionaries({"discount_rate": scalars}, optional={
        "window": st.lists(st.integers(1900, 2200), min_size=2, max_size=2)})),
}, optional={
    "method": st.dictionaries(st.sampled_from(["popsize", "maxiter", "tol", "seed", "x"]), scalars,
                              max_size=3),
    "robust": st.one_of(values, st.fixed_dictionaries({"p": st.floats(-1, 2), "members": st.integers(
        -5, 10**9)})),
}))


@FUZZ
@given(_OPTIMISE)
def test_optimiser_reader(block: Any) -> None:
    from sdmission.model.catalogue import load_catalogue
    from sdmission.scenario.load import load_scenario
    from sdmission.study.checks import check_optimise

    data = {"name": "fuzz", "extends": str(BASELINE), "optimise": block}
    with tempfile.TemporaryDirectory() as d:
        path = _file(d, _dump(data))
        try:
            scn = load_scenario(path)
        except SdmissionError:
            return
        problems = check_optimise(scn, load_catalogue(scn.model_path))
        assert all(str(p) for p in problems)
        code, err = _cli(["validate", path])  # validate runs the same checks, with the rest
        _clean(code, err)
        assert not problems or code == 1, err  # what check_optimise finds, validate reports
