"""Diagrams: one SVG/PNG per group, flows next to their stock, stubs for inputs from other groups."""

from __future__ import annotations

from pathlib import Path

import pytest

from sdmission.cli import main
from sdmission.commands.diagram import slug
from sdmission.model.structure import dependency_graph, group_view, layout
from tests.unit.test_structure import POPULATION


@pytest.fixture()
def population(tmp_path: Path) -> Path:
    path = tmp_path / "population.mdl"
    path.write_text(POPULATION)
    return path


def test_group_view_has_own_variables_and_stubs(population: Path) -> None:
    view, info = group_view(dependency_graph(population), "Population")
    own = {k for k, v in info.items() if v["kind"] != "stub"}
    assert own == {"population", "births", "deaths", "birth_rate", "crowding"}
    stubs = {v["label"]: v["source_group"] for v in info.values() if v["kind"] == "stub"}
    assert stubs == {"lifetime": "Parameters", "normal birth rate": "Parameters", "carrying capacity": "Parameters"}
    # the initial value is not an influence link, and no link leaves the group
    assert "stub:initial_population" not in view
    assert all(v in own for _, v in view.edges)


def test_layout_puts_flows_left_of_their_stock(population: Path) -> None:
    view, info = group_view(dependency_graph(population), "Population")
    placed = layout(view, info)
    stock = placed["population"].col
    assert placed["births"].col == placed["deaths"].col == stock - 1
    assert placed["stub:lifetime"].col < placed["deaths"].col
    rows = [(p.col, p.row) for p in placed.values()]
    assert len(rows) == len(set(rows)), "two variables in one place"


def test_command_writes_one_figure_per_group_and_loops(population: Path, tmp_path: Path,
                                                        capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "diagrams"
    assert main(["diagram", str(population), "--out", str(out)]) == 0
    names = sorted(p.name for p in out.iterdir())
    assert names == ["loops.md", "parameters.png", "parameters.svg", "population.png", "population.svg"]
    svg = (out / "population.svg").read_text()
    assert "birth rate" in svg and "&lt;lifetime&gt;" in svg
    assert (out / "population.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    loops = (out / "loops.md").read_text()
    assert "| R1 | reinforcing | 2 | Population | births (+) → population (+) |" in loops
    assert "| B2 | balancing | 4 |" in loops


def test_unknown_group_is_an_input_error(population: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["diagram", str(population), "--out", str(tmp_path), "--group", "Nope"]) == 1
    assert "no group 'Nope' (groups: Population, Parameters)" in capsys.readouterr().err


def test_slug() -> None:
    assert slug("CO2 cost and levy") == "co2-cost-and-levy"
    assert slug("SDE++") == "sde"
