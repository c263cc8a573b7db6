"""The parameter table: every constant tagged, every uncertain parameter with a range, CSV in sync."""

from __future__ import annotations

import re

import pytest

from sdmission.errors import ModelError
from sdmission.model.parameters import parameter_table, parse_range, tag_of, to_csv
from tests.conftest import PROJECT_MODEL, ROOT


def test_parse_range_forms() -> None:
    assert parse_range("1, 2.5", 2.0) == (1.0, 2.5)
    assert parse_range("0.5x, 2x", 4.0) == (2.0, 8.0)
    assert parse_range("+-50 %", 10.0) == (5.0, 15.0)
    assert parse_range("+-0.15", 0.5) == pytest.approx((0.35, 0.65))
    with pytest.raises(ValueError, match="cannot read range"):
        parse_range("low, high", 1.0)


def test_tag_of() -> None:
    assert tag_of("[lever] CO2 levy") == "lever"
    assert tag_of("  [parameter] x") == "parameter"
    assert tag_of("[unknown] x") is None
    assert tag_of("no tag") is None


def test_project_parameter_table_is_complete_and_in_sync() -> None:
    rows = parameter_table(PROJECT_MODEL)
    uncertain = [r for r in rows if r.kind in ("parameter", "calibrated")]
    assert len(uncertain) > 100
    for r in uncertain:
        assert r.low <= r.value <= r.high, r
        src = r.source.lower()
        named = ("assumption", "midden", ".csv", "et al", "nea", "cbs", "pbl", "eurostat", "fit 2015")
        assert any(k in src for k in named) or re.search(r"\b(19|20)\d\d\b", src), f"{r.name}: no source"
    committed = (ROOT / "models" / "parameters.csv").read_text()
    assert committed == to_csv(rows), "models/parameters.csv is stale: regenerate it (see models/README.md)"


def test_untagged_constant_is_an_error(tmp_path) -> None:
    text = PROJECT_MODEL.read_text().replace("[parameter] Technical lifetime: MIDDEN cards", "Technical lifetime: MIDDEN cards")
    bad = tmp_path / "untagged.mdl"
    bad.write_text(text)
    with pytest.raises(ModelError, match="technology lifetime: constant without a tag"):
        parameter_table(bad)
