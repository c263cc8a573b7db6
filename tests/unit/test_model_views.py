"""The project model carries a Vensim sketch: one view per module (group), every variable drawn."""

from __future__ import annotations

import re

from sdmission.model import translate
from tests.conftest import PROJECT_MODEL

CONTROL = {"INITIAL TIME", "FINAL TIME", "TIME STEP", "SAVEPER", "Time"}


def _sketch() -> tuple[list[str], set[str]]:
    text = PROJECT_MODEL.read_text(encoding="utf-8")
    cut = text.find("\\\\\\---///")
    assert cut > 0, "models/sdmission.mdl has no sketch section (Vensim users see no diagram)"
    sketch = text[cut:]
    views = re.findall(r"^\*(.+)$", sketch, flags=re.M)
    names = set()
    for line in sketch.splitlines():
        if line.startswith("10,"):
            name = line.split(",", 3)[2]
            names.add(name.strip('"'))
    return views, names


def test_one_view_per_group() -> None:
    text = PROJECT_MODEL.read_text(encoding="utf-8")
    groups = re.findall(r"^\*{20,}\n\t\.(\S[^\n]*)$", text, flags=re.M)
    views, _ = _sketch()
    expected = [g.strip() for g in groups if g.strip() not in ("sdmission", "Control")]
    assert expected, "no groups found"
    assert [v.strip() for v in views] == expected


def test_every_variable_is_drawn() -> None:
    _, drawn = _sketch()
    doc = translate.load(PROJECT_MODEL).doc
    missing = sorted(set(doc["Real Name"]) - CONTROL - drawn)
    assert not missing, f"variables missing from every view: {missing}"
