"""``python -m sdmission plot`` in-process: files, formats, languages, targets and errors."""

from __future__ import annotations

import struct
from pathlib import Path

import pytest
import xarray as xr

from sdmission.cli import main
from sdmission.report import save_all
from sdmission.study.targets import get_target_set
from tests.unit.test_plots_demo_data import demo_runs

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
    names = sorted(p.name for p in (results / "figures").iterdir())
    assert names == sorted(f"{s}_nl.pdf" for s in STEMS if "baseline" not in s)
    assert (results / "figures" / "ghg_trajectories_nl.pdf").read_bytes().startswith(b"%PDF")


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
