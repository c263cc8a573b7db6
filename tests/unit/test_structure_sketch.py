"""Generated Vensim sketch: one view per group; PySD still translates and splits the model by view."""

from __future__ import annotations

import math
from pathlib import Path

import pysd
import pytest

from sdmission.errors import ModelError
from sdmission.model.sketch import SKETCH_END, SKETCH_START, sketch_text, with_sketch
from tests.unit.test_structure import POPULATION


@pytest.fixture()
def population(tmp_path: Path) -> Path:
    path = tmp_path / "population.mdl"
    path.write_text(POPULATION)
    return path


def test_sketch_views_variables_and_arrows(population: Path) -> None:
    text = sketch_text(population)
    lines = text.splitlines()
    assert lines[0] == SKETCH_START and lines[-1] == SKETCH_END
    assert [ln[1:] for ln in lines if ln.startswith("*")] == ["Population", "Parameters"]
    view = lines[: lines.index("*Parameters") - 2]
    variables = {ln.split(",")[2]: ln.split(",") for ln in view if ln.startswith("10,")}
    assert variables["population"][7] == "3"  # stock: box
    assert variables["births"][7] == "8"
    assert variables["lifetime"][8] == "2"  # input from another group: shadow variable
    ids = {name: fields[1] for name, fields in variables.items()}
    arrows = {(ln.split(",")[2], ln.split(",")[3]): ln.split(",")[6] for ln in view if ln.startswith("1,")}
    assert arrows[(ids["deaths"], ids["population"])] == "45"  # '-'
    assert arrows[(ids["births"], ids["population"])] == "43"  # '+'
    assert arrows[(ids["crowding"], ids["birth rate"])] == "45"


def test_with_sketch_never_overwrites_the_source(population: Path) -> None:
    with pytest.raises(ModelError, match="refusing to overwrite"):
        with_sketch(population, population)


# PySD 3.14.3 calls DataFrame.set_index(inplace=True), deprecated by recent pandas: not ours to fix.
@pytest.mark.filterwarnings("ignore:The inplace keyword in DataFrame.set_index is deprecated")
def test_pysd_translates_project_model_with_sketch(project_model_path: Path, tmp_path: Path) -> None:
    copy = with_sketch(project_model_path, tmp_path / "sdmission_sketch.mdl")
    source = project_model_path.read_text(encoding="utf-8").split("\\\\\\---///")[0].rstrip()
    assert copy.read_text(encoding="utf-8").startswith(source)
    model = pysd.read_vensim(str(copy), split_views=True)
    modules = sorted(p.stem for p in (tmp_path / "modules_sdmission_sketch").glob("*.py"))
    assert {"production", "costs", "innovation_system", "circular_materials", "levers"} <= set(modules)
    out = model.run(final_time=2020, return_columns=["industry ghg"])
    assert all(math.isfinite(v) and v > 0 for v in out["industry ghg"])
