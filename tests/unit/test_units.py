"""Units check: unit algebra, one small model per kind of mismatch (exact message), the CLI."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from sdmission.cli import main
from sdmission.model.units import UnitSyntaxError, check_units, parse_unit

DATA = Path(__file__).resolve().parents[1] / "data" / "models"


def test_parse_and_reduce() -> None:
    assert parse_unit("EUR/(t/Year)").matches(parse_unit("EUR*Year/t"))
    assert parse_unit("MEUR/(FTE*Year)").matches(parse_unit("MEUR/FTE/Year"))
    meur = parse_unit("MEUR")
    assert meur.same_dims(parse_unit("EUR")) and math.isclose(meur.scale, 1e6)
    assert not meur.matches(parse_unit("EUR"))
    conv = parse_unit("TWh/(MWh/t*Mt)")
    assert conv.dimensionless and math.isclose(conv.scale, 1.0)
    assert parse_unit("PJ/(GJ/t*Mt)").matches(parse_unit("Dmnl"))
    assert parse_unit("MtCO2/Mt").matches(parse_unit("tCO2/t"))
    assert not parse_unit("MtCO2").same_dims(parse_unit("Mt")), "CO2 mass is not product mass"
    assert parse_unit("1/Year").matches(parse_unit("Year^-1"))
    assert parse_unit("Mt/Year/Year").matches(parse_unit("Mt/Year^2"))
    assert parse_unit("GJ/MWh").dimensionless and math.isclose(parse_unit("GJ/MWh").scale, 1 / 3.6)


def test_meur_from_eur_per_t_times_mt_per_year() -> None:
    assert (parse_unit("EUR/t") * parse_unit("Mt/Year")).matches(parse_unit("MEUR/Year"))
    assert not (parse_unit("EUR/t") * parse_unit("t/Year")).matches(parse_unit("MEUR/Year"))


def test_unknown_unit_is_its_own_dimension() -> None:
    assert not parse_unit("Person").same_dims(parse_unit("People"))
    assert parse_unit("Person/Year").matches(parse_unit("Person") / parse_unit("Year"))


@pytest.mark.parametrize("text", ["EUR/(t", "EUR//t", "2*EUR", "Year^x"])
def test_bad_units_string(text: str) -> None:
    with pytest.raises(UnitSyntaxError):
        parse_unit(text)


def test_consistent_model_has_no_problems() -> None:
    assert check_units(DATA / "units_ok.mdl") == []


BAD = {
    "units_sum": "line 38: total: terms of a sum differ: Mt/Year vs MtCO2/Year\n"
    "    total = production + emissions",
    "units_scale": "line 38: revenue: declared units differ from the equation's: EUR/Year vs EUR*Mt/(Year*t)\n"
    "    revenue = production * price",
    "units_integ": "line 38: stock: rate of the stock is not stock units per time unit: Mt/Year^2 vs Mt "
    "in 'production * lifetime'\n    stock = INTEG(production * lifetime, 0)",
    "units_smooth": "line 38: perceived price: SMOOTH initial value differs from the declared units: EUR/t vs "
    "Mt/Year in 'production'\n    perceived price = SMOOTHI(price, 2, production)",
    "units_power": "line 38: decay: exponent is not dimensionless: Year vs Dmnl\n    decay = 0.5 ^ lifetime",
    "units_exp": "line 38: growth: argument of EXP is not dimensionless: Year vs Dmnl\n    growth = EXP(lifetime)",
    "units_if": "line 38: switch: IF THEN ELSE branches differ: Mt/Year vs EUR/t\n"
    "    switch = IF THEN ELSE(production > 50, production, price)",
    "units_minmax": "line 38: capped: MIN arguments differ: Mt/Year vs MtCO2/Year\n"
    "    capped = MIN(production, emissions)",
    "units_compare": "line 38: flag: compared values differ: Mt/Year vs Year in 'production > lifetime'\n"
    "    flag = IF THEN ELSE(production > lifetime, 1, 0)",
    "units_literal": "line 38: doubled: declared units differ from the equation's: EUR/t vs EUR*Year/t\n"
    "    doubled = 2 * lifetime * price",
}


@pytest.mark.parametrize("name", sorted(BAD))
def test_one_mismatch_exact_message(name: str) -> None:
    problems = check_units(DATA / f"{name}.mdl")
    assert [str(p) for p in problems] == [BAD[name]]


def test_lenient_literals_let_a_literal_factor_carry_units() -> None:
    assert check_units(DATA / "units_literal.mdl", lenient_literals=True) == []
    # ...but additive and functional rules still hold
    assert len(check_units(DATA / "units_sum.mdl", lenient_literals=True)) == 1


def test_overrides_show_a_fix_before_it_is_made() -> None:
    assert check_units(DATA / "units_scale.mdl", {"revenue": "MEUR/Year"}) == []


def test_missing_units_reported(tmp_path: Path) -> None:
    text = (DATA / "units_ok.mdl").read_text().replace("utilisation = 0.85\n\t~\tDmnl", "utilisation = 0.85\n\t~\t")
    path = tmp_path / "m.mdl"
    path.write_text(text)
    problems = check_units(path)
    assert [(p.variable, p.what) for p in problems] == [("utilisation", "no units declared")]


def test_cli_lists_mismatches_and_exits_1(capsys: pytest.CaptureFixture[str]) -> None:
    path = DATA / "units_minmax.mdl"
    assert main(["units", str(path)]) == 1
    out = capsys.readouterr().out
    assert f"{path}:38: capped: MIN arguments differ: Mt/Year vs MtCO2/Year" in out
    assert out.rstrip().endswith(f"1 units problem in {path}")


def test_cli_consistent_model_exits_0(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["units", str(DATA / "units_ok.mdl")]) == 0
    assert "units consistent" in capsys.readouterr().out


def test_project_model_units_consistent(project_model_path: Path) -> None:
    """Fails while the project model has units problems (the report lists the fixes)."""
    problems = check_units(project_model_path)
    assert not problems, "\n".join(str(p) for p in problems)


def test_smooth_inside_an_expression_is_checked(tmp_path: Path) -> None:
    """A SMOOTHI nested in a sum has its input's units; a wrong initial value inside it is still found."""
    base = (DATA / "units_smooth.mdl").read_text()
    ok = base.replace("SMOOTHI(price, 2, production)", "price + SMOOTHI(price - price, 2, price)")
    bad = base.replace("SMOOTHI(price, 2, production)", "price + SMOOTHI(price - price, 2, production)")
    (tmp_path / "ok.mdl").write_text(ok)
    (tmp_path / "bad.mdl").write_text(bad)
    assert check_units(tmp_path / "ok.mdl") == []
    problems = check_units(tmp_path / "bad.mdl")
    assert [p.what for p in problems] == ["SMOOTH input and initial value differ"]
