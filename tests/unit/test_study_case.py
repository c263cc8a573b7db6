"""``study.prepare``: the one path from scenario names or files to ready-to-run cases."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from sdmission.errors import InputError, UnsupportedFunctionError
from sdmission.model.engines.factory import ENGINE_CHOICES, load_engine, resolve_engine_name
from sdmission.settings import discover
from sdmission.study.case import Case, prepare, resolve_scenarios

DATA = Path(__file__).resolve().parents[1] / "data"
GOOD = DATA / "scenarios" / "good"
BAD = DATA / "scenarios" / "bad"
MODELS = DATA / "models"


@pytest.fixture()
def folder(tmp_path: Path) -> Path:
    """The good mini scenarios in a scenarios folder of their own (model path made absolute)."""
    d = tmp_path / "scenarios"
    shutil.copytree(GOOD, d)
    (d / "mini-base.yaml").write_text(
        (GOOD / "mini-base.yaml").read_text().replace("../../models", str(MODELS)))
    return d


def _scenario(tmp_path: Path, name: str, model: Path, targets: str | None = None) -> Path:
    p = tmp_path / f"{name}.yaml"
    p.write_text(f"name: {name}\nmodel: {model}\n" + (f"targets: {targets}\n" if targets else ""))
    return p


def test_names_and_paths(folder: Path, tmp_path: Path) -> None:
    other = _scenario(tmp_path, "elsewhere", MODELS / "mini_levers.mdl")
    # no names: every non-abstract scenario of the folder, sorted
    assert [p.name for p in resolve_scenarios([], folder)] == ["mini-a.yaml", "mini-b.yaml"]
    # a bare name is looked up in the folder; a path (suffix, folder part or Path) is taken as is
    assert resolve_scenarios(["mini-b", str(other), other], folder) == [folder / "mini-b.yaml",
                                                                        other, other]
    with pytest.raises(InputError) as exc:
        resolve_scenarios(["mini-c", "mini_a", str(tmp_path / "nope.yaml")], folder)
    text = str(exc.value)
    assert len(exc.value.problems) == 3
    assert "unknown scenario (given 'mini-c'" in text and "did you mean 'mini-a'?" in text
    assert "nope.yaml: file not found" in text


def test_prepare_uses_the_settings_folder(folder: Path) -> None:
    cases = prepare(["mini-b", "mini-a"], engine="pysd", settings=discover(scenarios_dir=folder))
    assert [c.name for c in cases] == ["mini-b", "mini-a"]  # the order given
    case = cases[1]
    assert isinstance(case, Case) and case.engine.name == "pysd"
    assert case.model_path == (MODELS / "mini_levers.mdl").resolve()
    assert case.target_set.name == case.scenario.targets and case.space is None
    assert set(case.inputs) == {*case.scenario.levers, *case.scenario.assumptions}
    assert cases[0].final_time == 2040


def test_every_problem_at_once(folder: Path, tmp_path: Path) -> None:
    unknown_set = _scenario(tmp_path, "unknown-set", MODELS / "mini_levers.mdl", "desing")
    with pytest.raises(InputError) as exc:
        prepare([BAD / "out_of_limits.yaml", BAD / "unknown_key.yaml", folder / "mini-a.yaml",
                 unknown_set, BAD / "unknown_lever.yaml"], engine="pysd")
    files = {p.file.name for p in exc.value.problems if p.file is not None}
    # schema (unknown_key), limits (out_of_limits), names (unknown_lever) and the target set
    assert files >= {"out_of_limits.yaml", "unknown_key.yaml", "unknown_lever.yaml"}
    assert "unknown target set 'desing'" in str(exc.value)
    assert "did you mean 'design'" in str(exc.value)


def test_command_checks_join_the_others(folder: Path) -> None:
    from sdmission.errors import Problem

    def no_levy(scn, catalogue):  # a command's own check, e.g. optimise's block
        assert "co2_levy_tariff" in catalogue
        return [Problem("levy not allowed", scn.file, None, "levers")] if scn.levers else []

    with pytest.raises(InputError) as exc:
        prepare([folder / "mini-a.yaml", BAD / "unknown_key.yaml"], engine="pysd", checks=no_levy)
    assert [p.file.name for p in exc.value.problems if p.file is not None] == [
        "mini-a.yaml", "unknown_key.yaml"]


def test_one_engine_per_model(folder: Path, tmp_path: Path) -> None:
    other = _scenario(tmp_path, "arith", MODELS / "fn_arith.mdl")
    a, b, c = prepare([folder / "mini-a.yaml", folder / "mini-b.yaml", other], engine="pysd")
    assert a.engine is b.engine and a.catalogue is b.catalogue
    assert c.engine is not a.engine and c.model_path.name == "fn_arith.mdl"


def test_engine_choice(tmp_path: Path) -> None:
    assert ENGINE_CHOICES == ("auto", "batch", "pysd")
    unsupported = _scenario(tmp_path, "forecast", MODELS / "fn_unsupported.mdl")
    arith = _scenario(tmp_path, "arith", MODELS / "fn_arith.mdl")
    # auto: batch when it compiles the model, else the PySD reference
    (case,) = prepare([arith], engine="auto")
    assert case.engine.name == "batch" and case.engine is load_engine(MODELS / "fn_arith.mdl", "batch")
    (case,) = prepare([unsupported], engine="auto")
    assert case.engine.name == "pysd"
    assert resolve_engine_name(MODELS / "fn_unsupported.mdl", "auto") == "pysd"
    assert resolve_engine_name(MODELS / "fn_arith.mdl", "auto") == "batch"
    assert resolve_engine_name(MODELS / "fn_arith.mdl", "pysd") == "pysd"
    # batch asked for explicitly: the model it cannot compile is an error
    with pytest.raises(UnsupportedFunctionError, match="FORECAST"):
        prepare([unsupported], engine="batch")


def test_uncertainties_only_when_asked(tmp_path: Path) -> None:
    toy = _scenario(tmp_path, "toy", MODELS / "unc_toy.mdl")
    (case,) = prepare([toy], engine="pysd", uncertainties=True)
    assert case.space is not None and len(case.space) == 5  # defaults: all of the table


def test_preparing_and_validating_import_no_scipy() -> None:
    code = ("import sys\n"
            "import sdmission.study.case, sdmission.cli\n"
            "sdmission.cli.build_parser()\n"
            "bad = sorted(m for m in sys.modules if m.split('.')[0] in ('scipy', 'SALib', 'dask', "
            "'distributed'))\n"
            "assert not bad, bad\n")
    subprocess.run([sys.executable, "-c", code], check=True)


def test_validate_without_the_model_imports_no_scipy() -> None:
    # Checking against the model needs PySD (which imports SciPy); reading scenario files must not.
    code = ("import sys\n"
            "from sdmission.cli import main\n"
            f"assert main(['validate', '--no-model', {str(GOOD / 'mini-a.yaml')!r}]) == 0\n"
            "bad = sorted({m.split('.')[0] for m in sys.modules} & {'scipy', 'SALib', 'dask'})\n"
            "assert not bad, bad\n")
    subprocess.run([sys.executable, "-c", code], check=True, capture_output=True)


def test_no_command_imports_another() -> None:
    import ast

    commands = Path(__file__).resolve().parents[2] / "sdmission" / "commands"
    names = {p.stem for p in commands.glob("*.py")} - {"__init__", "_options"}
    for path in commands.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module:
                mods = [node.module, *(f"{node.module}.{a.name}" for a in node.names)]
            elif isinstance(node, ast.Import):
                mods = [a.name for a in node.names]
            else:
                continue
            for m in mods:
                parts = m.split(".")
                assert not (parts[:2] == ["sdmission", "commands"] and len(parts) > 2
                            and parts[2] in names), f"{path.name} imports {m}"


def test_a_missing_scenarios_folder_says_so(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no scenarios folder .*--scenarios-dir"):
        resolve_scenarios(["baseline"], tmp_path / "scenarios")
