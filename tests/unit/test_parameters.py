"""The parameter table: every constant tagged, every uncertain parameter with a range, CSV in sync."""

from __future__ import annotations

import re
from pathlib import Path

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


def _loaded_values(mdl: Path) -> dict[str, list[tuple[str, float]]]:
    """Every constant's values as the loaded PySD model gives them (the former production path)."""
    import warnings

    import numpy as np

    from sdmission.model import translate

    model = translate.load(mdl)
    out: dict[str, list[tuple[str, float]]] = {}
    for _, r in model.doc.iterrows():
        if r["Type"] != "Constant" or r["Py Name"] in ("initial_time", "final_time", "time_step", "saveper"):
            continue
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            raw = getattr(model.components, r["Py Name"])()
        if hasattr(raw, "dims") and raw.dims:
            flat = raw.stack(_e=raw.dims) if len(raw.dims) > 1 else raw.rename({raw.dims[0]: "_e"})
            out[r["Py Name"]] = [
                (",".join(map(str, np.atleast_1d(k))) if len(raw.dims) > 1 else str(k), float(v))
                for k, v in zip(flat["_e"].values, flat.values, strict=True)
            ]
        else:
            out[r["Py Name"]] = [("", float(raw))]
    return out


MODELS = [PROJECT_MODEL, *sorted((ROOT / "tests" / "data" / "models").glob("*.mdl"))]


@pytest.mark.parametrize("mdl", MODELS, ids=[m.name for m in MODELS])
def test_constant_values_equal_the_loaded_pysd_model(mdl: Path) -> None:
    """Values evaluated from the syntax tree equal those of PySD's generated code, element by element."""
    from sdmission.model.section import built_section

    section = built_section(mdl)
    got = {el.py_name: section.constant_values(el) for el in section.elements
           if el.type == "Constant" and not el.control}
    assert got == _loaded_values(mdl)


def test_project_table_units_and_sources_from_pysd_doc() -> None:
    """Units and sources as PySD's doc table gives them (comment text, backslashes as spaces)."""
    from sdmission.model import translate

    doc = translate.load(PROJECT_MODEL).doc.set_index("Py Name")
    for p in parameter_table(PROJECT_MODEL):
        assert p.units == str(doc.loc[p.name, "Units"])
        comment = re.sub(r"^\s*\[(\w+)\]", "", str(doc.loc[p.name, "Comment"]), count=1).strip()
        assert p.source == " ".join(comment.replace("\\", " ").split())
