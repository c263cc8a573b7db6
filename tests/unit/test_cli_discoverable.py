"""Discoverable CLI (issue #14 item 4): examples in every --help, --debug anywhere, levers, scenarios."""

from __future__ import annotations

import shlex
from pathlib import Path

import pytest

from sdmission import cli

ROOT = Path(__file__).resolve().parents[2]


def _examples(parser_help: str) -> list[str]:
    text = parser_help.split("examples:", 1)[1]
    return [line.strip() for line in text.splitlines() if line.strip().startswith("python -m")]


@pytest.mark.parametrize("name", cli.COMMANDS)
def test_every_help_has_examples_that_parse(name: str) -> None:
    parser = cli.build_parser()
    sub = next(a for a in parser._actions if a.dest == "command")
    text = sub.choices[name].format_help()  # type: ignore[attr-defined]
    examples = _examples(text)
    assert examples, f"'{name} --help' shows no examples"
    for example in examples:
        argv = shlex.split(example.split(" > ")[0])[3:]
        assert argv[0] == name
        parser.parse_args(argv)  # exits (SystemExit) on an example that does not parse


def test_debug_is_accepted_anywhere() -> None:
    assert cli.split_flags(["validate", "x.yaml", "--debug"]) == (["validate", "x.yaml"], {"debug"})
    assert cli.split_flags(["--debug", "run", "-q"]) == (["run"], {"debug", "quiet"})
    assert cli.split_flags(["run", "--", "--debug"]) == (["run", "--", "--debug"], set())
    with pytest.raises(Exception, match="file not found"):
        cli.main(["validate", "/nonexistent/x.yaml", "--debug"])
    assert cli.main(["validate", "/nonexistent/x.yaml"]) == 1


def test_levers_lists_units_limits_defaults_and_setters(capsys: pytest.CaptureFixture[str]) -> None:
    d = ["--scenarios-dir", str(ROOT / "scenarios"), "--model", str(ROOT / "models" / "sdmission.mdl")]
    assert cli.main(["levers", *d]) == 0
    out = capsys.readouterr().out
    assert "co2_levy_tariff  (EUR/tCO2, limits [0, 1000])" in out
    assert "set by:  baseline levy-neutralised" in out
    assert "regional_experiments[cluster]" in out and "default: 2, 1, 1, 1, 0.5, 0.5" in out
    assert cli.main(["levers", "--csv", "--assumptions", *d]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "name,units,limits,dims,default,set_by,description"
    # the ETS price is set by base and by the ets-low/ets-high assumption scenarios
    assert any(line.startswith("eu_ets_price,") and ",base" in line for line in lines)
    assert cli.main(["levers", "co2_levy_tarif", *d]) == 1
    assert "did you mean 'co2_levy_tariff'?" in capsys.readouterr().err


def test_scenarios_lists_chain_history_and_own_levers(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["scenarios", "--scenarios-dir", str(ROOT / "scenarios")]) == 0
    out = capsys.readouterr().out
    assert "base (abstract)" in out
    assert "invest-nl  [invest-nl <- baseline <- base; levers from 2025, history of baseline]" in out
    assert "sets levers: invest_nl_equity, invest_nl_industry_share" in out


def test_optimiser_progress_is_one_bar_per_search(capsys: pytest.CaptureFixture[str],
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    import argparse

    from sdmission.commands import _options
    from sdmission.commands.optimise import GenerationBar

    monkeypatch.setattr(_options, "_stderr_is_tty", lambda: True)  # capsys is no terminal

    bar = GenerationBar(argparse.Namespace(quiet=False), maxiter=5)
    for g in range(1, 4):
        bar(f"DE gen {g:3d}: objective 1.0  worst violation +0.1  evals {g * 8}")
    assert bar.bar is not None and bar.bar.n == 3 and bar.bar.total == 5
    bar("polish: objective 0.9")  # a plain message closes the bar and is printed
    assert bar.bar is None
    bar("alone t1 gen   1: objective 2.0  worst violation +0.2  evals 9")
    assert bar.what == "alone t1"
    bar.close()
    err = capsys.readouterr().err
    assert "polish: objective 0.9" in err and "gen   2" not in err
