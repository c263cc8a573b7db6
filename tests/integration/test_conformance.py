"""Conformance with Vensim's own output and with PySD over the SDXorg test models (issue #15).

Every model ends ``agrees``, ``refused`` (a clear ``UnsupportedFunctionError``) or ``known difference``
(listed with its reason in ``conformance.KNOWN_DIFFERENCES``); never ``disagrees`` or ``error``.
PySD runs only for models the batch engine runs (once each per session).
"""

from __future__ import annotations

import time

import pytest

from sdmission.model.engines.batch import conformance

CASES = conformance.discover()
_OUTCOMES: dict[str, conformance.Outcome] = {}
_SECONDS: dict[str, float] = {}


def _outcome(case: conformance.Case) -> conformance.Outcome:
    if case.name not in _OUTCOMES:
        t0 = time.perf_counter()
        _OUTCOMES[case.name] = conformance.run_case(case, conformance.CHECKED_ENGINES)
        _SECONDS[case.name] = time.perf_counter() - t0
    return _OUTCOMES[case.name]


def test_the_suite_is_in_the_project() -> None:
    assert len(CASES) >= 100, f"expected the ~102 SDXorg models under {conformance.TEST_MODELS}"
    assert (conformance.TEST_MODELS.parent / "LICENSE").is_file()


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_model_ends_in_an_allowed_state(case: conformance.Case) -> None:
    o = _outcome(case)
    assert o.state in ("agrees", "refused", "known difference"), f"{case.name}: {o.state}: {o.detail}"
    if o.state == "refused":
        assert o.detail, "a refusal names the feature and the variable"


def test_known_differences_are_still_different() -> None:
    """A known difference that now agrees must be removed from the list (it would hide a regression)."""
    stale = [n for n in conformance.KNOWN_DIFFERENCES
             if n in _OUTCOMES and _OUTCOMES[n].state == "agrees"]
    assert not stale, f"now agreeing, remove from KNOWN_DIFFERENCES: {stale}"


def test_cli_refuses_clearly_and_runs_external_data(tmp_path, capsys) -> None:  # type: ignore[no-untyped-def]
    """``simulate --engine batch``: exit 1 naming feature and variable (no traceback) for a refused
    model; exit 0 for a model that reads GET XLS data files next to it."""
    from sdmission.cli import main

    root = conformance.TEST_MODELS
    rc = main(["simulate", str(root / "vector_select" / "test_vector_select.mdl"), "--engine", "batch",
               "--out", str(tmp_path / "v.nc")])
    err = capsys.readouterr().err
    assert rc == 1
    assert "VECTOR SELECT" in err and "eout2_1" in err and "Traceback" not in err
    rc = main(["simulate", str(root / "get_lookups_subset" / "test_get_lookups_subset.mdl"), "--engine", "batch",
               "--out", str(tmp_path / "g.nc")])
    assert rc == 0, capsys.readouterr().err


def test_the_published_table_and_the_readme_match_this_run() -> None:
    """``docs/conformance.md`` (generated) lists every model in the state it ends in now, at least
    90 % of the PySD-runnable models agree, and the README quotes the same count."""
    import re
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    table = (root / "docs" / "conformance.md").read_text(encoding="utf-8")
    outcomes = [_outcome(c) for c in CASES]
    published = dict(re.findall(r"^\| ([\w/.-]+) \| (agrees|refused|known difference|disagrees|error) \|",
                                table, flags=re.M))
    now = {o.case.name: o.state for o in outcomes}
    assert published == now, "regenerate docs/conformance.md: " + str(
        {k: (published.get(k), v) for k, v in now.items() if published.get(k) != v})
    # Whether PySD runs a refused model is measured only by the full generator (`--write`); this
    # run measures it where it runs PySD anyway, so the denominator is the table's column.
    pysd_runs = dict(re.findall(r"^\| ([\w/.-]+) \| [a-z ]+ \|[^|]*\|[^|]*\|[^|]*\| (yes|no) \|",
                                table, flags=re.M))
    assert set(pysd_runs) == set(now)
    runnable = [o for o in outcomes if pysd_runs[o.case.name] == "yes"]
    assert all(pysd_runs[o.case.name] == "yes" for o in outcomes if o.state == "agrees")
    agreeing = [o for o in runnable if o.state == "agrees"]
    assert len(agreeing) >= 0.9 * len(runnable), f"{len(agreeing)} of {len(runnable)} PySD-runnable models agree"
    pct = round(100 * len(agreeing) / len(runnable))
    assert f"{len(agreeing)} / {len(runnable)} ({pct} %)" in table
    readme = (root / "README.md").read_text(encoding="utf-8")
    assert f"{len(agreeing)} of the {len(runnable)} that PySD runs agree ({pct} %)" in readme
    counts = {state: sum(o.state == state for o in outcomes) for state in ("refused", "known difference")}
    said = " ".join(readme.split())
    assert f"On the {len(CASES)} SDXorg test models" in said
    assert f"{counts['refused']} are refused" in said and f"{counts['known difference']} is a known difference" in said
