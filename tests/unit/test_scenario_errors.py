"""One bad scenario file per kind of error: exact message and line."""

from __future__ import annotations

from pathlib import Path

import pytest

from sdmission.errors import InputError
from sdmission.model.catalogue import load_catalogue
from sdmission.scenario.check import checked
from sdmission.scenario.load import load_scenario
from sdmission.yamlio import MAX_BYTES

DATA = Path(__file__).resolve().parents[1] / "data"
BAD = DATA / "scenarios" / "bad"
MINI = DATA / "models" / "mini_levers.mdl"

CLUSTERS = ("Rotterdam_Moerdijk, Noordzeekanaalgebied, Zeeland_West_Brabant, Chemelot, "
            "Noord_Nederland, Cluster_6")
TOP_KEYS = "name, description, sources, abstract, model, extends, time, levers, assumptions, targets"

CASES: dict[str, tuple] = {
    "unknown_key": (3, "levrs: unknown key (given 'levrs'; allowed: " + TOP_KEYS),
    "wrong_type": (5, "levers.co2_levy_tariff: wrong type (given 'high' (text); allowed: a number)"),
    "out_of_limits": (4, "levers.co2_levy_tariff: out of the limits of 'co2_levy_tariff' "
                         "(given 2000; allowed: [0, 1000] EUR/tCO2)"),
    "lever_under_assumptions": (5, "assumptions.co2_levy_tariff: 'co2_levy_tariff' is a lever, "
                                   "not an assumption; move it under 'levers:'"),
    "unknown_element": (8, "levers.regional_experiments.Chemlot: unknown element of 'cluster' "
                           f"(given 'Chemlot'; allowed: {CLUSTERS}; did you mean 'Chemelot'?)"),
    # the cycle closes on the line of cycle_b.yaml that points back to cycle_a.yaml
    "cycle_a": (3, "extends: extends cycle: cycle_a.yaml -> cycle_b.yaml -> cycle_a.yaml",
                "cycle_b"),
    "missing_parent": (3, "extends: parent scenario not found: "
                          f"{BAD / 'mini-bsae.yaml'} (chain: missing_parent.yaml -> mini-bsae.yaml) "
                          "(given 'mini-bsae'; allowed: a scenario name in the same folder or a "
                          "relative path)"),
    "alias_bomb": (3, "YAML aliases are not allowed (given '*a'); write the value out "
                      "(use 'extends' to share settings between scenarios)"),
    "nonmonotonic_knots": (5, "levers.co2_levy_tariff.knots: knot years must increase "
                              "(given 2035 then 2030; allowed: each year greater than the one "
                              "before)"),
    "python_tag": (3, "YAML tag '!!python/object/apply:os.system' is not allowed; scenario files "
                      "hold plain data only (numbers, text, lists, mappings)"),
    "unknown_lever": (4, "levers.co2_levy_tarif: unknown lever (given 'co2_levy_tarif'; allowed: "
                         "co2_levy_tariff, compensation,"),
    "units_mismatch": (6, "levers.co2_levy_tariff.units: units do not match the model's units "
                          "for 'co2_levy_tariff' (given 'EUR/t'; allowed: 'EUR/tCO2')"),
    "bad_interpolation": (5, "levers.co2_levy_tariff.knots.interpolation: not allowed (given "
                             "'stpe'; allowed: 'linear' or 'step'; did you mean 'step'?)"),
}


def problems_of(path: Path) -> list[str]:
    with pytest.raises(InputError) as info:
        checked(load_scenario(path), load_catalogue(MINI))
    return [str(p) for p in info.value.problems]


@pytest.mark.parametrize("name", sorted(CASES))
def test_bad_fixture_message_and_line(name: str) -> None:
    line, message, *where = CASES[name]
    found = problems_of(BAD / f"{name}.yaml")
    assert len(found) == 1, found
    # every message starts with file:line: and carries the exact text
    path = (BAD / f"{(where or [name])[0]}.yaml").resolve()
    assert found[0].startswith(f"{path}:{line}: {message}"), found[0]


def test_unknown_key_suggests_the_right_key() -> None:
    (msg,) = problems_of(BAD / "unknown_key.yaml")
    assert msg.endswith("did you mean 'levers'?)")


def test_unknown_lever_suggests_the_right_lever() -> None:
    (msg,) = problems_of(BAD / "unknown_lever.yaml")
    assert msg.endswith("did you mean 'co2_levy_tariff'?)")


def test_every_schema_problem_is_reported_at_once_sorted_by_line() -> None:
    path = (BAD / "many_problems.yaml").resolve()
    assert problems_of(path) == [
        f"{path}:1: name: invalid name (given 'many problems'; allowed: letters, digits, '_', "
        "'.', '-' (starting with a letter or digit))",
        f"{path}:3: descriptoin: unknown key (given 'descriptoin'; allowed: {TOP_KEYS}"
        + problems_of(path)[1].split(TOP_KEYS, 1)[1],
        f"{path}:6: levers.sde_budget: wrong type (given [1, 2] (list); allowed: a number, "
        "{value: …}, {knots: …}, {ramp: …} or {element: path})",
    ]
    assert "did you mean 'description'?" in problems_of(path)[1]


def test_model_check_reports_every_problem(tmp_path: Path) -> None:
    f = tmp_path / "s.yaml"
    f.write_text(
        f"model: {MINI}\nlevers:\n  co2_levy_tariff: 5000\n  gas_price: 7\n"
        "assumptions:\n  gas_prise: 7\n"
    )
    found = problems_of(f)
    assert [m.split(": ", 2)[1] for m in found] == [
        "levers.co2_levy_tariff", "levers.gas_price", "assumptions.gas_prise"
    ]
    assert "'gas_price' is an assumption, not a lever; move it under 'assumptions:'" in found[1]
    assert "did you mean 'gas_price'?" in found[2]


def test_oversized_file_is_refused(tmp_path: Path) -> None:
    f = tmp_path / "big.yaml"
    f.write_text("description: '" + "x" * MAX_BYTES + "'\n")
    (msg,) = problems_of(f)
    assert msg == (f"{f.resolve()}: file too large (given {f.stat().st_size} bytes; "
                   f"allowed at most {MAX_BYTES} bytes)")


def test_missing_parent_suggests_a_sibling(tmp_path: Path) -> None:
    (tmp_path / "base.yaml").write_text(f"model: {MINI}\n")
    child = tmp_path / "child.yaml"
    child.write_text("extends: bsae\n")
    (msg,) = problems_of(child)
    assert msg.startswith(f"{child.resolve()}:1: extends: parent scenario not found")
    assert msg.endswith("did you mean 'base'?)")


def test_problems_in_a_parent_are_reported_with_the_parent_file(tmp_path: Path) -> None:
    parent = tmp_path / "parent.yaml"
    parent.write_text(f"model: {MINI}\nlevers:\n  co2_levy_tariff: -1\n")
    child = tmp_path / "child.yaml"
    child.write_text("extends: parent\nlevers:\n  sde_budget: 1\n")
    (msg,) = problems_of(child)
    assert msg.startswith(f"{parent.resolve()}:3: levers.co2_levy_tariff: out of the limits")


def test_subscripted_mapping_on_scalar_and_missing_elements(tmp_path: Path) -> None:
    f = tmp_path / "s.yaml"
    f.write_text(
        f"model: {MINI}\nlevers:\n  co2_levy_tariff:\n    knot: 3\n"
        "  regional_experiments:\n    Chemelot: 3\n"
    )
    found = problems_of(f)
    assert "'co2_levy_tariff' has no subscripts" in found[0] and "did you mean 'knots'?" in found[0]
    assert found[1].startswith(f"{f.resolve()}:5: levers.regional_experiments: missing elements "
                               "of 'cluster': Rotterdam_Moerdijk, Noordzeekanaalgebied")


def test_yaml_syntax_error_has_a_line(tmp_path: Path) -> None:
    f = tmp_path / "s.yaml"
    f.write_text("levers:\n  a: [1, 2\n")
    (msg,) = problems_of(f)
    assert msg.startswith(f"{f.resolve()}:3: invalid YAML")


def test_duplicate_key_is_an_error(tmp_path: Path) -> None:
    f = tmp_path / "s.yaml"
    f.write_text("name: a\nname: b\n")
    (msg,) = problems_of(f)
    assert msg.startswith(f"{f.resolve()}:2: invalid YAML") and "duplicate" in msg


def _validate(path: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, list[str]]:
    from sdmission.cli import main

    code = main(["validate", str(path)])
    err = capsys.readouterr().err
    assert "unexpected error" not in err and "Traceback" not in err, err
    return code, [line.removeprefix("error: ") for line in err.splitlines() if line.strip()]


def test_schema_and_model_problems_are_reported_together(tmp_path: Path,
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    """A mistyped description, a bad path and an unknown key do not hide the unknown lever, the
    lever out of its limits or the lever under the wrong section (each with file:line)."""
    f = tmp_path / "s.yaml"
    f.write_text(
        f"model: {MINI}\ndescription: 5\nlevers:\n  co2_levy_tariff: 5000\n  gas_price: 7\n"
        "  rd_support: {knots: nope}\n  co2_levy_tarif: 1\ntimee: 3\n"
    )
    code, lines = _validate(f, capsys)
    assert code == 1
    where = [line.split(": ", 2)[:2] for line in lines]
    assert where == [
        [f"{f}:2", "description"],
        [f"{f}:4", "levers.co2_levy_tariff"],
        [f"{f}:5", "levers.gas_price"],
        [f"{f}:6", "levers.rd_support.knots"],
        [f"{f}:7", "levers.co2_levy_tarif"],
        [f"{f}:8", "timee"],
    ], lines
    assert "did you mean 'co2_levy_tariff'?" in lines[4]


def test_a_schema_error_in_the_model_key_checks_nothing_against_a_guessed_model(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    f = tmp_path / "s.yaml"
    f.write_text("model: [1, 2]\nlevers:\n  not_a_lever_anywhere: 3\n")
    code, lines = _validate(f, capsys)
    assert code == 1
    assert [line.split(": ", 2)[1] for line in lines] == ["model"], lines


ROBUST = DATA / "models" / "opt_robust.mdl"


def test_validate_checks_targets_uncertainties_and_the_optimise_block_at_once(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    f = tmp_path / "opt.yaml"
    f.write_text(f"""\
name: opt
model: {ROBUST}
targets: nosuchset
levers:
  abatement_efort: 3
uncertainties:
  parameters:
    - {{name: emission_factor}}
optimise:
  start: 1900
  levers:
    abatement_effort: {{bounds: [0, 500], knots: [2025, 3000]}}
  objective: {{discount_rate: 0.03, window: [2200, 2300]}}
  method: {{popsize: 200, maxiter: 40, tol: 1.0e-4, seed: 2}}
  robust: {{p: 0.8, members: 100000, sampler: lhs, seed: 1}}
""")
    code, lines = _validate(f, capsys)
    assert code == 1
    keyed = {tuple(line.split(": ", 2)[:2]): line for line in lines}
    expect = {
        (f"{f}:5", "levers.abatement_efort"), (f"{f}:3", "targets"),
        (f"{f}:10", "optimise.start"), (f"{f}:12", "optimise.levers.abatement_effort.knots"),
        (f"{f}:12", "optimise.levers.abatement_effort.bounds"),
        (f"{f}:13", "optimise.objective.window"), (f"{f}:15", "optimise.robust.members"),
    }
    assert set(keyed) == expect, lines
    robust = [line for line in lines if "optimise.robust.members" in line]
    assert len(robust) == 2  # memory of one generation and time of the whole search
    assert "200 x 2 candidates x 100,001 futures" in robust[0] and "GiB" in robust[0]
    assert "fewer robust members" in robust[0]
    assert "41 generations" in robust[1] and "SDMISSION_MAX_HOURS" in robust[1]
    assert "smaller method.maxiter" in robust[1]


def test_validate_refuses_a_long_robust_search_by_time(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """Fits in memory, but 200 x 1 x 1,001 runs x 10,001 generations is refused by the time estimate."""
    import time

    from sdmission import limits

    monkeypatch.delenv(limits.ENV_HOURS, raising=False)
    f = tmp_path / "long.yaml"
    f.write_text(f"""\
name: long
model: {ROBUST}
targets: klimaatakkoord-industry
uncertainties:
  parameters:
    - {{name: emission_factor}}
optimise:
  start: 2025
  levers:
    abatement_effort: {{bounds: [0, 100]}}
  objective: {{discount_rate: 0.03}}
  method: {{popsize: 200, maxiter: 10000, tol: 1.0e-4, seed: 2}}
  robust: {{p: 0.8, members: 1000, sampler: lhs, seed: 1}}
""")
    start = time.perf_counter()
    code, lines = _validate(f, capsys)
    assert time.perf_counter() - start < 5
    assert code == 1
    assert len(lines) == 1 and "would take at least" in lines[0], lines
    assert lines[0].startswith(f"{f}:13: optimise.robust.members"), lines
    # 200 x 1001 runs x 10001 generations x 36 times x 17 variables x 1e-7 s = 34.0 h
    assert "would take at least 34 h; the limit is 24 h" in lines[0], lines
    monkeypatch.setenv(limits.ENV_HOURS, "200")
    code, lines = _validate(f, capsys)
    assert code == 0, lines
