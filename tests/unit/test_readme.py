"""`.ci/run` runs exactly the README's set-up and test commands; the README's examples are valid."""

from __future__ import annotations

import re
from pathlib import Path

from sdmission.schema import scenario as schema

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text(encoding="utf-8")
CI = (ROOT / ".ci" / "run").read_text(encoding="utf-8")


def _bash_blocks(text: str) -> list[str]:
    return [b.strip() for b in re.findall(r"```bash\n(.*?)```", text, flags=re.S)]


def _quick_start() -> list[str]:
    section = README.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    return _bash_blocks(section)


def test_quick_start_has_the_two_commands() -> None:
    assert _quick_start() == [
        "pip install -e . && python -m sdmission run",
        'pip install -e ".[test]" && pytest',
    ]


def test_ci_runs_exactly_the_readme_test_command() -> None:
    commands = [line.strip() for line in CI.splitlines()
                if line.strip() and not line.lstrip().startswith("#")]
    test_command = _quick_start()[1]
    assert commands[-1] == test_command
    assert commands.count(test_command) == 1
    # a fresh environment first, and errors stop the script (pytest exits 5 when it collects
    # nothing, so an empty test run fails CI)
    assert "set -euo pipefail" in commands
    assert any(c.startswith("python3 -m venv ") for c in commands)
    assert not any("pytest" in c for c in commands[:-1])
    # the main job runs too, exactly as the README shows it
    assert commands.count(_quick_start()[0]) == 1


def test_readme_scenario_example_is_a_valid_scenario_file() -> None:
    from ruamel.yaml import YAML

    section = README.split("## Scenario files", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```yaml\n(.*?)```", section, flags=re.S)
    assert blocks, "the README shows a scenario example"
    data = YAML(typ="safe", pure=True).load(blocks[0])
    parsed = schema.ScenarioFile.model_validate(data)
    assert parsed.levers and parsed.assumptions and parsed.extends


def test_readme_scenario_example_passes_the_model_checks(tmp_path: Path) -> None:
    from sdmission.model.catalogue import load_catalogue
    from sdmission.scenario.check import check_scenario
    from sdmission.scenario.load import load_scenario

    section = README.split("## Scenario files", 1)[1].split("\n## ", 1)[0]
    text = re.findall(r"```yaml\n(.*?)```", section, flags=re.S)[0]
    text = text.replace("extends: baseline", f"extends: {ROOT / 'scenarios' / 'baseline.yaml'}")
    (tmp_path / "my-levy.yaml").write_text(text)
    scn = load_scenario(tmp_path / "my-levy.yaml")
    mini = ROOT / "tests" / "data" / "models" / "mini_levers.mdl"  # same lever table, fast
    assert check_scenario(scn, load_catalogue(mini)) == []
    assert scn.chain_text() == "my-levy <- baseline <- base"
