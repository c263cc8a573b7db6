"""The catalogue is built from the model as data, and equals the table of the loaded PySD model.

The reference below is the former production path (``Catalogue.from_pysd``: import PySD's
generated module, read ``model.doc`` and call ``model.get_coords``); it is kept here only, as the
oracle the new path must match field by field on the project model and every test model.
"""

from __future__ import annotations

import math
import sys
from pathlib import Path
from typing import Any

import pytest

from sdmission.model import translate
from sdmission.model.catalogue import Catalogue, Variable, classify, load_catalogue

ROOT = Path(__file__).resolve().parents[2]
MODELS = [ROOT / "models" / "sdmission.mdl", *sorted((ROOT / "tests" / "data" / "models").glob("*.mdl"))]


def _text(x: Any) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return ""
    return str(x)


def _limit(x: Any) -> float | None:
    if x is None:
        return None
    try:
        value = float(x)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(value) else value


def _from_pysd(model: Any, source: str) -> Catalogue:
    """The former ``Catalogue.from_pysd``: the table from a loaded PySD model."""
    import re

    tag = re.compile(r"^\s*\[(\w+)\]\s*")
    variables: dict[str, Variable] = {}
    for row in model.doc.to_dict("records"):
        py_name = _text(row.get("Py Name"))
        if not py_name:
            continue
        comment_raw = _text(row.get("Comment"))
        pysd_type, pysd_subtype = _text(row.get("Type")), _text(row.get("Subtype"))
        kind = classify(py_name, comment_raw, pysd_type, pysd_subtype)
        limits_raw = row.get("Limits")
        limits = ((_limit(limits_raw[0]), _limit(limits_raw[1]))
                  if isinstance(limits_raw, tuple | list) and len(limits_raw) == 2 else (None, None))
        dims: tuple[str, ...] = ()
        coords: dict[str, tuple[str, ...]] = {}
        func = getattr(model.components, py_name, None)
        if func is not None and kind != "control":
            got = model.get_coords(func)
            if got:
                coord_map, dim_list = got
                dims = tuple(dim_list)
                coords = {d: tuple(str(e) for e in coord_map[d]) for d in dims}
        variables[py_name] = Variable(
            py_name=py_name, real_name=_text(row.get("Real Name")) or py_name, units=_text(row.get("Units")),
            limits=limits, kind=kind, dims=dims, coords=coords,
            comment=tag.sub("", comment_raw, count=1).strip(), pysd_type=pysd_type, pysd_subtype=pysd_subtype,
        )
    time = {name: float(getattr(model.components, name)()) for name in
            ("initial_time", "final_time", "time_step", "saveper")}
    return Catalogue(variables, source=source, time=time)


@pytest.mark.parametrize("mdl", MODELS, ids=[m.name for m in MODELS])
def test_catalogue_equals_the_loaded_pysd_model(mdl: Path) -> None:
    expected = _from_pysd(translate.load(mdl), str(mdl.resolve()))
    got = load_catalogue(mdl)
    assert list(got) == list(expected)  # same variables in the same order
    for name, want in expected.items():
        have = got[name]
        for f in Variable.__dataclass_fields__:
            assert getattr(have, f) == getattr(want, f), (name, f)
    assert got.time == expected.time
    assert got.source == expected.source


def test_catalogue_runs_no_code_from_the_model(tmp_path: Path) -> None:
    """A comment that breaks out of PySD's docstring is read as text (issue #13, item 1)."""
    marker = tmp_path / "ran"
    mdl = tmp_path / "hostile.mdl"
    payload = f'x\\\\"""\\nimport pathlib; pathlib.Path({str(marker)!r}).write_text("1")\\n"""'
    mdl.write_text(
        "{UTF-8}\n"
        f"level = 3\n\t~\tDmnl\n\t~\t[lever] {payload}\n\t|\n\n"
        "INITIAL TIME = 0\n\t~\tYear\n\t~\t|\n\nFINAL TIME = 2\n\t~\tYear\n\t~\t|\n\n"
        "TIME STEP = 1\n\t~\tYear\n\t~\t|\n\nSAVEPER = TIME STEP\n\t~\tYear\n\t~\t|\n",
        encoding="utf-8",
    )
    modules = set(sys.modules)
    cat = load_catalogue(mdl)
    assert not marker.exists()
    assert cat["level"].kind == "lever"
    assert cat.time == {"initial_time": 0.0, "final_time": 2.0, "time_step": 1.0, "saveper": 1.0}
    assert not any(m.startswith("hostile") for m in set(sys.modules) - modules)
