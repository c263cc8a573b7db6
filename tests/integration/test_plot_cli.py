"""``python -m sdmission plot`` in-process: files, formats, languages, targets and errors."""

from __future__ import annotations

import struct
from pathlib import Path

import pytest
import xarray as xr

from sdmission.cli import main
from sdmission.constants import SCENARIO
from sdmission.report import save_all
from sdmission.study.targets import get_target_set
from tests.unit.test_plots_demo_data import demo_ensemble, demo_runs

ROOT = Path(__file__).resolve().parents[2]

STEMS = ("ghg_trajectories", "circular_share", "scenario_comparison",
         "emissions_baseline", "innovation_baseline", "public_cost_baseline",
         "emissions_mission-mix", "innovation_mission-mix", "public_cost_mission-mix")


@pytest.fixture(scope="module")
def result_files(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    folder = tmp_path_factory.mktemp("results")
    paths = []
    for name, ds in demo_runs().items():
        path = folder / f"{name}.nc"
        ds.to_netcdf(path)
        paths.append(path)
    return paths


def png_size(path: Path) -> tuple[int, int]:
    head = path.read_bytes()[:24]
    assert head[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", head[16:24])


def test_plot_writes_png_and_svg_for_every_figure(result_files, tmp_path, capsys):
    out = tmp_path / "figs"
    assert main(["plot", *map(str, result_files), "--out", str(out)]) == 0
    expected = {f"{s}.{fmt}" for s in STEMS for fmt in ("png", "svg")}
    assert {p.name for p in out.iterdir()} == expected  # and no temp files left behind
    width, height = png_size(out / "ghg_trajectories.png")
    assert width == round(6.3 * 300) and height > 600  # 300 dpi at the A4 text width
    svg = (out / "circular_share.svg").read_text(encoding="utf-8")
    assert svg.lstrip().startswith("<?xml") and "<svg" in svg
    assert "18 figure file(s) written" in capsys.readouterr().out


def test_plot_without_paths_reads_results_folder_in_dutch_pdf(result_files, tmp_path,
                                                              monkeypatch):
    monkeypatch.chdir(tmp_path)
    results = tmp_path / "results"
    (results / "runs").mkdir(parents=True)
    xr.load_dataset(result_files[1]).to_netcdf(results / "runs" / "mission-mix.nc")
    code = main(["plot", "--lang", "nl", "--format", "pdf", "--targets", "klimaatwet-2023"])
    assert code == 0
    names = sorted(p.name for p in (results / "figures" / "nl").iterdir())
    assert names == sorted(f"{s}_nl.pdf" for s in STEMS if "baseline" not in s)
    assert (results / "figures" / "nl" / "ghg_trajectories_nl.pdf").read_bytes().startswith(b"%PDF")


def _files(folder: Path) -> set[str]:
    return {p.name for p in folder.iterdir() if p.is_file()}


def test_dutch_figures_go_into_their_own_folder_english_stay_in_figures(result_files, tmp_path,
                                                                        monkeypatch, capsys):
    """Issue #17: every file of results/figures/nl/ is Dutch, results/figures/ holds no Dutch."""
    monkeypatch.chdir(tmp_path)
    runs = tmp_path / "results" / "runs"
    runs.mkdir(parents=True)
    for path in result_files:
        xr.load_dataset(path).to_netcdf(runs / path.name)
    figures = tmp_path / "results" / "figures"
    assert main(["plot", "--lang", "nl", "--format", "png"]) == 0
    assert "written to results/figures/nl" in capsys.readouterr().out
    assert main(["plot", "--format", "png"]) == 0
    assert _files(figures / "nl") == {f"{s}_nl.png" for s in STEMS}
    assert _files(figures) == {f"{s}.png" for s in STEMS}, "Dutch figures in the English folder"
    assert {p.name for p in figures.iterdir() if p.is_dir()} == {"nl"}
    # an explicit --out is used as given: both languages side by side, told apart by _nl
    out = tmp_path / "report"
    assert main(["plot", *map(str, result_files), "--lang", "nl", "--format", "png",
                 "--out", str(out)]) == 0
    assert main(["plot", *map(str, result_files), "--format", "png", "--out", str(out)]) == 0
    assert _files(out) == {f"{s}{sfx}.png" for s in STEMS for sfx in ("", "_nl")}
    assert not (out / "nl").exists()


def test_dutch_fan_charts_go_into_the_dutch_folder(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    ens = tmp_path / "results" / "ensembles" / "ensemble.nc"
    ens.parent.mkdir(parents=True)
    demo_ensemble(6).expand_dims({SCENARIO: ["mission-mix"]}).to_netcdf(ens)
    assert main(["plot", str(ens), "--lang", "nl", "--format", "png"]) == 0
    assert main(["plot", str(ens), "--format", "png"]) == 0
    figures = tmp_path / "results" / "figures"
    assert _files(figures / "nl") == {"ensemble_fans_nl.png"}
    assert _files(figures) == {"ensemble_fans.png"}


@pytest.mark.parametrize("out", [None, "mine"])
def test_run_plots_in_dutch_go_into_the_dutch_folder(tmp_path, monkeypatch, capsys, out):
    """``run --plots --lang nl``: results/figures/nl/, with ``--out X`` X/figures/nl/."""
    monkeypatch.chdir(tmp_path)
    extra = ["--out", out] if out else []
    assert main(["run", "baseline", "--scenarios-dir", str(ROOT / "scenarios"), "--plots",
                 "--lang", "nl", *extra]) == 0
    figures = tmp_path / (out or "results") / "figures"
    assert "ghg_trajectories_nl.png" in _files(figures / "nl")
    assert all(name.endswith(("_nl.png", "_nl.svg")) for name in _files(figures / "nl"))
    assert not _files(figures), "Dutch figures in the English folder"


def test_save_all_takes_a_target_set_and_returns_the_files_it_wrote(result_files, tmp_path):
    ds = xr.load_dataset(result_files[0])
    written = save_all({"baseline": ds}, tmp_path / "f", formats=("svg",),
                       targets=get_target_set("groene-industriepolitiek"))
    assert [p.name for p in written] == [f"{s}.svg" for s in STEMS if "mission-mix" not in s]
    assert all(p.is_file() and p.stat().st_size > 10_000 for p in written)


def test_no_results_error_says_what_to_run(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert main(["plot"]) == 1
    assert "no result files (*.nc) found; run `python -m sdmission run`" in capsys.readouterr().err


def test_missing_variable_unknown_format_and_target_set_are_clear_errors(result_files, tmp_path,
                                                                         capsys):
    broken = tmp_path / "broken.nc"
    xr.load_dataset(result_files[0]).drop_vars(["circular_share", "legitimacy"]).to_netcdf(broken)
    assert main(["plot", str(broken), "--out", str(tmp_path / "x")]) == 1
    err = capsys.readouterr().err
    assert "circular_share" in err and "legitimacy" in err and "'baseline'" in err
    assert not (tmp_path / "x").exists() or not any((tmp_path / "x").iterdir())

    assert main(["plot", str(result_files[0]), "--format", "png,gif"]) == 1
    assert "unknown figure format(s) gif; allowed: png, svg, pdf" in capsys.readouterr().err

    assert main(["plot", str(result_files[0]), "--targets", "desing"]) == 1
    assert "unknown target set 'desing'" in capsys.readouterr().err

    assert main(["plot", str(tmp_path / "nope.nc")]) == 1
    assert "nope.nc: result file not found" in capsys.readouterr().err
