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
