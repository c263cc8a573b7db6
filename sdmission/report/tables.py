"""Tables for the documentation: the parameter table as Markdown.

``docs/parameters.md`` is generated from ``models/parameters.csv`` by :func:`parameter_page` at every
docs build (the MkDocs hook ``docs/hooks.py``), so it is never stale and not in git;
``tests/unit/test_docs.py`` checks the page covers every row.
"""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Final

ROOT: Final = Path(__file__).resolve().parents[2]
PARAMETERS_CSV: Final = ROOT / "models" / "parameters.csv"
PARAMETER_PAGE: Final = ROOT / "docs" / "parameters.md"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ").strip()


def parameter_page(csv_path: Path = PARAMETERS_CSV) -> str:
    """The parameter table (name, element, value, units, range, kind, source) as a Markdown page."""
    with csv_path.open(newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    lines = [
        "# Parameter table",
        "",
        f"Generated from `models/parameters.csv` ({len(rows)} rows): every constant of the model with "
        "its value, units, the range that ensembles and sensitivity analysis sample (`low`–`high`), "
        "its kind (`parameter`, `calibrated`, …) and its source. Edit the CSV, not this page.",
        "",
        "| name | element | value | units | range | kind | source |",
        "|---|---|---:|---|---|---|---|",
    ]
    for r in rows:
        rng = f"{r['low']} – {r['high']}" if r.get("low") or r.get("high") else ""
        lines.append("| " + " | ".join(_cell(x) for x in (
            f"`{r['name']}`", r.get("element", ""), r.get("value", ""), r.get("units", ""), rng,
            r.get("kind", ""), r.get("source", ""))) + " |")
    return "\n".join(lines) + "\n"


def write_parameter_page(path: Path = PARAMETER_PAGE) -> Path:
    """Write :func:`parameter_page` to ``docs/parameters.md``."""
    path.write_text(parameter_page(), encoding="utf-8")
    return path
