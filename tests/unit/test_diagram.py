"""Diagrams: one SVG/PNG per group, flows next to their stock, stubs for inputs from other groups."""

from __future__ import annotations

from pathlib import Path

import pytest

from sdmission.cli import main
from sdmission.commands.diagram import MAX_COLS, MAX_WIDTH_IN, PAGE_WIDTH_IN, PRINTED_PT, draw_parts, slug
from sdmission.model.structure import dependency_graph, group_view, layout, split_view
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
    assert names == ["index.md", "loops.md", "parameters.png", "parameters.svg", "population.png",
                     "population.svg"]
    assert "[![Population](population.png)](population.svg)" in (out / "index.md").read_text()
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


ROOT = Path(__file__).resolve().parents[2]


def test_max_width_prints_the_smallest_text_readably_at_page_width() -> None:
    from sdmission.commands.diagram import SMALLEST_PT

    assert SMALLEST_PT * PAGE_WIDTH_IN / MAX_WIDTH_IN >= PRINTED_PT - 1e-9
    assert PRINTED_PT >= 6.0 and MAX_COLS >= 3


def test_a_wide_view_is_split_into_parts_that_fit_and_keep_every_variable_and_link() -> None:
    import networkx as nx

    # a chain of 12 auxiliaries: 12 columns, far more than fit
    view = nx.DiGraph()
    names = [f"v{i}" for i in range(12)]
    info = {n: {"label": n, "kind": "aux", "source_group": ""} for n in names}
    nx.add_path(view, names, sign="+", flow=0)
    parts = split_view(view, info, 4, "Chain")
    assert len(parts) == 4
    own = [n for v, i in parts for n in v.nodes if i[n]["kind"] != "stub"]
    assert sorted(own) == sorted(names), "every variable in exactly one part"
    for k, (v, i) in enumerate(parts):
        placed = layout(v, i)
        assert 1 + max(p.col for p in placed.values()) <= 4
        if k:  # the link into this part comes from the previous part, named as such
            stubs = [i[n] for n in v.nodes if i[n]["kind"] == "stub"]
            assert [s["source_group"] for s in stubs] == [f"Chain ({k}/4)"]
    assert split_view(view, info, 20, "Chain") == [(view, info)]


@pytest.mark.parametrize("group", ["Costs", "SDE++", "CO2 cost and levy"])
def test_model_diagrams_fit_the_page_width(group: str) -> None:
    """The widest groups of the shipped model: every part is at most MAX_WIDTH_IN wide."""
    graph = dependency_graph(ROOT / "models" / "sdmission.mdl")
    groups = {d["group"] for _, d in graph.nodes(data=True)}
    if group not in groups:
        pytest.fail(f"group {group!r} is not in the model (groups: {sorted(groups)}); pick another wide one")
    figures = draw_parts(graph, group)
    assert figures
    widths = [fig.get_figwidth() for fig in figures]
    assert max(widths) <= MAX_WIDTH_IN + 1e-9, widths
