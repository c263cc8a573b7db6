"""Saving figures: the one dpi and metadata policy for every figure sdmission writes.

Raster output is 300 dpi (16 cm at 300 dpi is the report's page width); SVG and PDF carry no date,
so the same results give the same bytes. SVG text is saved as text (``svg.fonttype: none``) and PDF
fonts as TrueType, so a report author can edit every label; these are read when saving, so they are
set here rather than only in the drawing style. Every file is written atomically (:mod:`sdmission.io`).
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Final, cast

import matplotlib as mpl
from matplotlib.figure import Figure

from sdmission.errors import InputError, Problem
from sdmission.io import atomic_write

DPI = 300
SAVE_RC: Final[dict[str, Any]] = {"svg.fonttype": "none", "pdf.fonttype": 42}
FORMATS = ("png", "svg", "pdf")


def save_figure(fig: Figure, path: Path | str) -> Path:
    """Write ``fig`` to ``path`` (format from the suffix: png, svg or pdf) atomically."""
    target = Path(path)
    fmt = target.suffix.lstrip(".").lower()
    if fmt not in FORMATS:
        raise ValueError(f"unknown figure format '{fmt}' (allowed: {', '.join(FORMATS)})")
    metadata = {"Date": None} if fmt in ("svg", "pdf") else None

    def write(tmp: Path) -> None:
        with mpl.rc_context(cast(Any, SAVE_RC)), warnings.catch_warnings():
            # A crowded figure (e.g. Sobol' bars of many uncertainties on a small sample) keeps its
            # unconstrained layout; matplotlib's warning about it must not fail the command.
            warnings.filterwarnings("ignore", message="constrained_layout not applied")
            fig.savefig(tmp, format=fmt, dpi=DPI, metadata=metadata)

    return atomic_write(target, write)


def save_formats(fig: Figure, out_dir: Path | str, stem: str, formats: Sequence[str]) -> list[Path]:
    """Write ``fig`` as ``out_dir/stem.<fmt>`` for each of ``formats``."""
    return [save_figure(fig, Path(out_dir) / f"{stem}.{fmt}") for fmt in formats]


def parse_formats(text: str | Sequence[str]) -> tuple[str, ...]:
    """``"png,svg"`` (or a sequence) → ``("png", "svg")``; unknown formats raise InputError."""
    items = text.split(",") if isinstance(text, str) else list(text)
    out = tuple(dict.fromkeys(i.strip().lower().lstrip(".") for i in items if i.strip()))
    bad = [f for f in out if f not in FORMATS]
    if bad or not out:
        raise InputError([Problem(f"unknown figure format(s) {', '.join(bad) or '(none given)'}; "
                                  f"allowed: {', '.join(FORMATS)}", key="--format")])
    return out
