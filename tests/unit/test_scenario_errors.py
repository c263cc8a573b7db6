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
