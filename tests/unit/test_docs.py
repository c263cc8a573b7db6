"""The documentation: every ``python -m sdmission`` command it shows is valid, the tour's commands
run in order, its scenario example validates, and the parameter page covers the table."""

from __future__ import annotations

import re
import shlex
import shutil
from pathlib import Path

import pytest

from sdmission.cli import build_parser, main
from sdmission.report.tables import PARAMETERS_CSV, parameter_page

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"
PREFIX = "python -m sdmission "


def commands(page: Path) -> list[str]:
    """Every ``python -m sdmission …`` line of the page's bash blocks, in order."""
    blocks = re.findall(r"```bash\n(.*?)```", page.read_text(encoding="utf-8"), flags=re.S)
    return [line.strip() for b in blocks for line in b.splitlines()
            if line.strip().startswith(PREFIX)]


def all_commands() -> list[tuple[str, str]]:
    return [(p.name, c) for p in sorted(DOCS.glob("*.md")) for c in commands(p)]


def test_the_docs_show_every_command():
    shown = {shlex.split(c)[3] for _, c in all_commands()}
    parser = build_parser()
    sub = next(a for a in parser._actions if a.dest == "command")
    assert set(sub.choices) <= shown, f"commands without an example: {set(sub.choices) - shown}"


@pytest.mark.parametrize("page,command", all_commands())
def test_every_command_in_the_docs_parses(page, command):
    argv = shlex.split(command)[3:]
    try:
        build_parser().parse_args(argv)
    except SystemExit as exc:  # argparse exits 2 on an unknown option or command
        pytest.fail(f"{page}: `{command}` does not parse (exit {exc.code})")


def test_the_tour_runs_in_order(tmp_path, monkeypatch, capsys):
    """Every command of the tour, in order, with results/ moved into a temporary folder."""
    monkeypatch.chdir(ROOT)
    tour = commands(DOCS / "tour.md")
    assert len(tour) >= 4
    for command in tour:
        argv = [a.replace("results/", f"{tmp_path}/results/") for a in shlex.split(command)[3:]]
        assert main(argv) == 0, command
    figures = tmp_path / "results" / "tour" / "figures"
    # plot --lang nl --out …/figures/nl and run --plots --lang nl --out results/tour: one folder
    assert (figures / "nl" / "ghg_trajectories_nl.png").is_file()
    assert (figures / "nl" / "scenario_comparison_nl.png").is_file()
    assert not list(figures.glob("*_nl.*")), "Dutch figures outside figures/nl/"
    assert (tmp_path / "results" / "tour" / "compare" / "comparison.xlsx").is_file()


def test_the_tour_scenario_example_validates(tmp_path, capsys):
    text = (DOCS / "tour.md").read_text(encoding="utf-8")
    block = re.search(r"```yaml\n# scenarios/(.*?)\n(.*?)```", text, flags=re.S)
    assert block, "the tour shows a scenario file"
    folder = tmp_path / "scenarios"
    shutil.copytree(ROOT / "scenarios", folder)
    models = tmp_path / "models"
    shutil.copytree(ROOT / "models", models)
    path = folder / block.group(1)
    path.write_text(block.group(2), encoding="utf-8")
    assert main(["validate", str(path)]) == 0, capsys.readouterr()


def test_the_parameter_page_covers_every_row():
    page = parameter_page()
    rows = PARAMETERS_CSV.read_text(encoding="utf-8").strip().splitlines()[1:]
    names = {r.split(",", 1)[0] for r in rows}
    assert all(f"`{n}`" in page for n in names)
