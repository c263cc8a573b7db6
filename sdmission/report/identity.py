"""How a scenario looks in figures: its display name per language and its colour, keyed by *name*.

A scenario file may set ``label``, ``label_nl`` and ``colour`` (see
:class:`sdmission.schema.scenario.ScenarioFile`); results carry the leaf file verbatim in the
``scenario_yaml_raw`` attr, so figures read them from the results themselves. Without them a
shipped scenario keeps its table label (:mod:`sdmission.report.labels`) and its palette colour
(:data:`~sdmission.report.style.SCENARIO_COLORS`); any other name gets a colour from its name's
hash, so the same name has the same colour in every figure, whatever else is drawn beside it.
"""

from __future__ import annotations

import io
import zlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

import xarray as xr
from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError

from sdmission.report import labels
from sdmission.report.style import SCENARIO_COLORS

#: Colours for scenarios without a palette colour: the colours of Tol's muted scheme that stay
#: at least ΔE 13 from every palette colour in normal vision and in simulated deuteranopia
#: (tests/unit/test_figure_style.py), best first.
SPARE_COLORS: Final = ("#332288", "#DDCC77", "#117733", "#AA4499", "#999933", "#88CCEE")
_FILE_HEADER: Final = "# --- file:"
#: The reference scenario: drawn on top and thicker in trajectory figures.
BASELINE: Final = "baseline"


@dataclass(frozen=True)
class Identity:
    """Display fields of one scenario (``None``: not set in the scenario file)."""

    name: str
    label: str | None = None
    label_nl: str | None = None
    colour: str | None = None

    def display(self, lang: str) -> str:
        """The name shown in ``lang``: the file's label, else the shipped label, else the name."""
        if lang == "nl" and self.label_nl:
            return self.label_nl
        if self.label and (lang == "en" or f"scenario.{self.name}" not in labels.LABELS):
            return self.label
        return labels.scenario(self.name, lang)


def from_dataset(name: str, ds: xr.Dataset) -> Identity:
    """The identity of ``name`` from the leaf scenario file recorded in ``ds.attrs``."""
    raw = str(ds.attrs.get("scenario_yaml_raw", ""))
    leaf = _leaf_text(raw)
    data: Any = None
    if leaf.strip():
        try:
            data = YAML(typ="safe", pure=True).load(io.StringIO(leaf))
        except YAMLError:
            data = None
    if not isinstance(data, Mapping):
        return Identity(name)
    fields = {k: (str(data[k]) if data.get(k) is not None else None)
              for k in ("label", "label_nl", "colour")}
    return Identity(name, **fields)


def _leaf_text(raw: str) -> str:
    """The first file of ``Scenario.raw_yaml()`` (leaf first, each under a header line)."""
    if not raw.startswith(_FILE_HEADER):
        return raw
    body = raw.split("\n", 1)[1] if "\n" in raw else ""
    return body.split(f"\n{_FILE_HEADER}", 1)[0]


def identities(runs: Mapping[str, xr.Dataset]) -> dict[str, Identity]:
    """``{name: Identity}`` for every run, in order."""
    return {name: from_dataset(name, ds) for name, ds in runs.items()}


def scenario_colors(names: Sequence[str],
                    explicit: Mapping[str, str | None] | None = None) -> dict[str, str]:
    """A colour per scenario, chosen by name.

    A colour set in the scenario file wins; a shipped scenario keeps its palette colour; any other
    name takes the spare colour its name hashes to (CRC-32, stable across runs and machines). Only
    when two unshipped names in one figure hash to the same colour does the later one move on to
    the next free spare, so a figure never gives one colour two meanings.
    """
    given = dict(explicit or {})
    out: dict[str, str] = {}
    for n in names:
        fixed = given.get(n) or SCENARIO_COLORS.get(n)
        if fixed:
            out[n] = fixed
    taken = set(out.values())
    for n in names:
        if n in out:
            continue
        start = zlib.crc32(n.encode("utf-8")) % len(SPARE_COLORS)
        ring = [SPARE_COLORS[(start + k) % len(SPARE_COLORS)] for k in range(len(SPARE_COLORS))]
        out[n] = next((c for c in ring if c not in taken), ring[0])
        taken.add(out[n])
    return {n: out[n] for n in names}


def run_colors(runs: Mapping[str, xr.Dataset]) -> dict[str, str]:
    """:func:`scenario_colors` for results, with the colours their scenario files set."""
    ids = identities(runs)
    return scenario_colors(list(runs), {n: i.colour for n, i in ids.items()})


def run_labels(runs: Mapping[str, xr.Dataset], lang: str) -> dict[str, str]:
    """Display names of the runs in ``lang``."""
    return {n: i.display(lang) for n, i in identities(runs).items()}
