"""The README's analyst walkthrough, executed line by line in a copy of the project (issue #14).

The commands are parsed from the README's "Analyst walkthrough" section, so the README and this
test cannot drift: a heredoc (``cat > FILE <<'EOF'``) writes its file, every ``python -m sdmission``
line runs in-process through ``cli.main`` from the project folder.
"""

from __future__ import annotations

import re
import shlex
import shutil
from pathlib import Path

import pytest

from sdmission.cli import main

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text(encoding="utf-8")

#: Exit codes allowed per command other than 0 (the README says so under the block).
ALSO_ALLOWED = {"optimise": {2}}


def walkthrough() -> list[tuple[str, str]]:
    """``[("file", path + "\\0" + text) | ("cli", command line)]`` in the README's order."""
    section = README.split("## Analyst walkthrough", 1)[1].split("\n## ", 1)[0]
    (block,) = re.findall(r"```bash\n(.*?)```", section, flags=re.S)
    steps: list[tuple[str, str]] = []
    lines = iter(block.splitlines())
    for line in lines:
        heredoc = re.fullmatch(r"cat > (\S+) <<'(\w+)'", line.strip())
        if heredoc:
            body = []
            for inner in lines:
                if inner.strip() == heredoc.group(2):
                    break
                body.append(inner)
            steps.append(("file", heredoc.group(1) + "\0" + "\n".join(body) + "\n"))
        elif line.startswith("python -m sdmission "):
            steps.append(("cli", line))
        elif line.strip() and not line.startswith("#"):
            raise AssertionError(f"walkthrough line the test cannot run: {line!r}")
    return steps


def test_the_walkthrough_is_parsed() -> None:
    steps = walkthrough()
    commands = [shlex.split(c)[3] for kind, c in steps if kind == "cli"]
    for needed in ("run", "compare", "ensemble", "sensitivity", "discover", "plot", "optimise"):
        assert needed in commands
    order = [commands.index(c) for c in ("run", "compare", "ensemble", "sensitivity", "discover",
                                         "plot", "optimise")]
    assert order == sorted(order)


def test_the_readme_walkthrough_runs_end_to_end(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    project = tmp_path / "project"
    project.mkdir()
    shutil.copytree(ROOT / "scenarios", project / "scenarios")
    shutil.copytree(ROOT / "models", project / "models")
    monkeypatch.chdir(project)
    for kind, text in walkthrough():
        if kind == "file":
            path, body = text.split("\0", 1)
            (project / path).write_text(body, encoding="utf-8")
            continue
        argv = shlex.split(text)[3:]
        code = main(argv)
        out = capsys.readouterr()
        assert code in {0, *ALSO_ALLOWED.get(argv[0], set())}, (text, out.out[-2000:], out.err[-2000:])
    results = project / "results"
    # one folder per command (README "Where every command writes"; sdmission.settings.OUTPUTS)
    runs = results / "runs"
    assert (runs / "my-levy.nc").is_file() and (runs / "my-levy_targets.csv").is_file()
    assert not list(results.glob("*.nc")), "nothing but folders at the top of results/"
    assert (results / "discovery" / "ensemble_discovery.txt").is_file()
    assert (results / "compare" / "baseline_vs_my-levy" / "comparison.xlsx").is_file()
    assert (results / "contributions" / "mission-mix" / "wedge.png").is_file()
    assert (results / "ensembles" / "ensemble.nc").is_file()
    assert (results / "sensitivity" / "my-levy_sobol.nc").is_file()
    assert (results / "figures" / "ghg_trajectories.png").is_file()
    assert (results / "figures" / "ensemble_fans.png").is_file()
    # Dutch figures in their own folder, ready for a report; none left among the English ones
    assert (results / "figures" / "nl" / "ghg_trajectories_nl.png").is_file()
    assert not list((results / "figures").glob("*_nl.*"))
    assert any((results / "optimise" / "my-levy").iterdir())
