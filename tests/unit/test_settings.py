"""``sdmission.settings``: project folders found from the working directory, not the package."""

from __future__ import annotations

from pathlib import Path

import pytest

from sdmission.settings import discover, find_project_root, parameter_table_file

ROOT = Path(__file__).resolve().parents[2]


def test_found_in_the_working_directory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "scenarios").mkdir()
    monkeypatch.chdir(tmp_path)
    s = discover()
    assert s.root == tmp_path.resolve()
    # inside the working directory the paths stay relative, as the commands print them
    assert (s.scenarios_dir, s.models_dir, s.results_dir) == (
        Path("scenarios"), Path("models"), Path("results"))
    assert s.default_model == Path("models") / "sdmission.mdl"


def test_found_in_a_parent(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "scenarios").mkdir()
    deep = tmp_path / "docs" / "notes"
    deep.mkdir(parents=True)
    monkeypatch.chdir(deep)
    assert find_project_root() == tmp_path.resolve()
    s = discover()
    assert s.scenarios_dir == tmp_path.resolve() / "scenarios"
    assert s.results_dir == tmp_path.resolve() / "results"


def test_none_found_and_the_option(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    s = discover()
    assert s.root is None and s.scenarios_dir == Path("scenarios")  # missing: commands say so
    assert discover(scenarios_dir=tmp_path / "mine").scenarios_dir == tmp_path / "mine"
    assert find_project_root(ROOT / "sdmission" / "study") == ROOT  # from any start folder


def test_the_project_parameter_table() -> None:
    assert parameter_table_file(ROOT / "models" / "sdmission.mdl") == ROOT / "models" / "parameters.csv"
    assert parameter_table_file(ROOT / "tests" / "data" / "models" / "unc_toy.mdl") is None


def test_one_output_folder_per_command_documented_in_the_readme() -> None:
    from sdmission.cli import COMMANDS
    from sdmission.settings import OUTPUTS

    s = discover(ROOT)
    folders = list(OUTPUTS.values())
    assert len(set(folders)) == len(folders), "two kinds of output share a folder"
    assert set(OUTPUTS) - {"figures"} <= set(COMMANDS)
    assert s.output_dir("run") == s.results_dir / "runs"
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    analyst = (ROOT / "docs" / "analyst.md").read_text(encoding="utf-8")
    for folder in folders:
        assert f"`results/{folder}/" in readme and f"`results/{folder}/" in analyst, folder


def test_plot_reads_only_the_run_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """After ``sensitivity`` and ``ensemble`` (issue #14) ``plot`` still finds only ``run``'s files."""
    from sdmission.commands.plot import default_results
    from sdmission.errors import InputError

    (tmp_path / "scenarios").mkdir()
    for sub, name in (("runs", "baseline.nc"), ("runs", "mission-mix.nc"),
                      ("sensitivity", "baseline_sobol.nc"), ("ensembles", "ensemble.nc")):
        (tmp_path / "results" / sub).mkdir(parents=True, exist_ok=True)
        (tmp_path / "results" / sub / name).write_bytes(b"")
    monkeypatch.chdir(tmp_path)
    found = default_results(discover().output_dir("run"))
    assert [p.name for p in found] == ["baseline.nc", "mission-mix.nc"]
    with pytest.raises(InputError, match="run `python -m sdmission run` first"):
        default_results(discover().output_dir("sensitivity") / "none")
