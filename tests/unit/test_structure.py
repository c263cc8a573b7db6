"""Model structure: groups, dependency graph with link signs, feedback loops with polarity."""

from __future__ import annotations

from pathlib import Path

import pytest

from sdmission.model.source import read_equations, read_groups
from sdmission.model.structure import (
    dependency_graph,
    feedback_loops,
    loop_polarity,
    loop_table,
)

POPULATION = """{UTF-8}
********************************************************
	.Population
********************************************************~
	|

population = INTEG(births - deaths, initial population)
	~	Person
	~	|

births = population * birth rate
	~	Person/Year
	~	|

deaths = population / lifetime
	~	Person/Year
	~	|

birth rate = normal birth rate * (1 - crowding)
	~	1/Year
	~	|

crowding = population / carrying capacity
	~	Dmnl
	~	|

********************************************************
	.Parameters
********************************************************~
	|

normal birth rate = 0.04
	~	1/Year
	~	|

lifetime = 50
	~	Year
	~	|

carrying capacity = 1000
	~	Person
	~	|

initial population = 100
	~	Person
	~	|

perceived population = SMOOTHI(population, 2, population)
	~	Person
	~	|

start population = INITIAL(population)
	~	Person
	~	|

growth since start = population / start population
	~	Dmnl
	~	|

attractiveness = WITH LOOKUP(crowding, ([(0,0)-(1,1)],(0,1),(0.5,0.8),(1,0)))
	~	Dmnl
	~	|

INITIAL TIME = 0
	~	Year
	~	|

FINAL TIME = 10
	~	Year
	~	|

TIME STEP = 1
	~	Year
	~	|

SAVEPER = 1
	~	Year
	~	|
"""


@pytest.fixture()
def population(tmp_path: Path) -> Path:
    path = tmp_path / "population.mdl"
    path.write_text(POPULATION)
    return path


def test_groups_and_equations(population: Path) -> None:
    groups = read_groups(population)
    assert groups["population"] == "Population"
    assert groups["crowding"] == "Population"
    assert groups["lifetime"] == "Parameters"
    eqs = {e.name: e for e in read_equations(population)}
    assert eqs["birth rate"].text == "normal birth rate * (1 - crowding)"
    assert eqs["birth rate"].units == "1/Year"
    assert eqs["population"].line == 7


def test_graph_kinds_signs_and_initial_edges(population: Path) -> None:
    g = dependency_graph(population)
    kinds = {n: d["kind"] for n, d in g.nodes(data=True)}
    assert kinds["population"] == "stock"
    assert kinds["births"] == kinds["deaths"] == "flow"
    assert kinds["birth_rate"] == "aux"
    assert kinds["lifetime"] == "constant"
    assert kinds["initial_time"] == "control"

    def edge(u: str, v: str) -> dict[str, object]:
        (data,) = g.get_edge_data(u, v).values()
        return dict(data)

    assert edge("births", "population") == {"sign": "+", "initial": False, "flow": 1}
    assert edge("deaths", "population") == {"sign": "-", "initial": False, "flow": -1}
    assert edge("crowding", "birth_rate")["sign"] == "-"
    assert edge("lifetime", "deaths")["sign"] == "-"
    assert edge("carrying_capacity", "crowding")["sign"] == "-"
    assert edge("crowding", "attractiveness")["sign"] == "-"  # falling lookup table
    assert edge("initial_population", "population")["initial"] is True
    assert edge("population", "start_population")["initial"] is True
    assert edge("population", "perceived_population") == {"sign": "+", "initial": False, "flow": 0}


def test_loops_with_polarity(population: Path) -> None:
    loops = feedback_loops(population)
    found = {(lp.variables, lp.polarity) for lp in loops}
    assert found == {
        (("births", "population"), "reinforcing"),
        (("deaths", "population"), "balancing"),
        (("birth_rate", "births", "population", "crowding"), "balancing"),
    }
    table = loop_table(loops)
    assert "| B1 | balancing | 2 | Population | deaths (-) → population (+) |" in table


def test_loop_polarity_rule() -> None:
    assert loop_polarity("++") == "reinforcing"
    assert loop_polarity("+-") == "balancing"
    assert loop_polarity("--") == "reinforcing"
    assert loop_polarity("+?") == "unknown"


def test_project_model_loops(project_model_path: Path) -> None:
    loops = feedback_loops(project_model_path, max_length=6)
    by_vars = {lp.variables: lp.polarity for lp in loops}
    assert by_vars[("capacity", "retirement")] == "balancing"  # replacement outflow
    assert by_vars[("knowledge", "knowledge_obsolescence")] == "balancing"  # depreciation (a named outflow)
    assert by_vars[("readiness", "readiness_growth")] == "unknown"  # logistic: R and B at once
    assert by_vars[("capacity", "retirement", "investment", "new_capacity")] == "reinforcing"  # replacement
    g = dependency_graph(project_model_path)
    groups = {d["group"] for _, d in g.nodes(data=True)}
    assert {"Levers", "Production", "Costs", "Innovation system", "Circular materials"} <= groups
