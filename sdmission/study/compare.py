"""Scenario comparison tables: targets side by side, headline outputs, deltas, provenance.

:func:`comparison` turns the result Datasets of several scenarios (the first is the reference) into
four :class:`pandas.DataFrame` tables; :func:`write_comparison` writes them as ``comparison.xlsx``
(one sheet each) and one CSV each. ``dialect="nl"`` writes the CSVs as Dutch-locale Excel opens
them: ``;`` between fields, a decimal comma, UTF-8 with a byte-order mark. Target values of
fractional metrics (units ``Dmnl``, e.g. a reduction share) are shown in %.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import pandas as pd
import xarray as xr

from sdmission.io import atomic_write
from sdmission.study.results import headline_frame
from sdmission.study.targets import Target, TargetCheck, TargetSet, check

Lang = Literal["en", "nl"]
Dialect = Literal["en", "nl"]
DIALECTS: tuple[Dialect, ...] = ("en", "nl")
SHEETS: tuple[str, ...] = ("headline", "targets", "deltas", "provenance")

#: Column headers, (English, Dutch).
HEADERS: Mapping[str, tuple[str, str]] = {
    "scenario": ("scenario", "scenario"),
    "year": ("year", "jaar"),
    "target": ("target", "doel"),
    "metric": ("metric", "indicator"),
    "target_year": ("target year", "doeljaar"),
    "threshold": ("threshold", "norm"),
    "units": ("units", "eenheid"),
    "value": ("value", "waarde"),
    "met": ("met", "gehaald"),
    "first_met": ("first met", "eerst gehaald"),
    "gap": ("gap", "tekort"),
    "key": ("key", "sleutel"),
    "yes": ("yes", "ja"),
    "no": ("no", "nee"),
    "delta": ("minus", "min"),
}
PROVENANCE_KEYS: tuple[str, ...] = (
    "scenario_chain", "scenario_files", "target_set", "model_path", "model_sha256", "engine",
    "command", "git_commit", "created_utc", "sdmission_version", "pysd_version",
)


def check_lang(lang: str) -> Lang:
    """``lang`` if it is ``en`` or ``nl``, else :class:`ValueError`."""
    if lang == "en":
        return "en"
    if lang == "nl":
        return "nl"
    raise ValueError(f"unknown language '{lang}'; allowed: en, nl")


def header(key: str, lang: str) -> str:
    """A column header in ``lang``."""
    return HEADERS[key][0 if check_lang(lang) == "en" else 1]


@dataclass(frozen=True)
class Comparison:
    """The four tables of a comparison (see the module docstring); ``tables[sheet]``."""

    scenarios: tuple[str, ...]
    tables: Mapping[str, pd.DataFrame]


def is_percent(t: Target) -> bool:
    """Whether ``t``'s metric is a fraction, shown in %."""
    return t.units.strip().lower() in ("dmnl", "1", "")


def shown(t: Target, value: float) -> float:
    """``value`` of target ``t`` as shown: in % for fractions, else in the metric's units."""
    return value * 100.0 if is_percent(t) else value


def targets_frame(checks: Mapping[str, Sequence[TargetCheck]], lang: str = "en") -> pd.DataFrame:
    """Targets side by side: one row per target; value, met, first year met and gap per scenario.

    Fractional metrics are in % (the threshold too); others in the metric's units.
    """
    h = {k: header(k, lang) for k in HEADERS}
    names = list(checks)
    rows = []
    for i, first in enumerate(checks[names[0]]):
        t = first.target
        row: dict[str, object] = {
            h["target"]: (t.label if lang == "en" else t.label_nl) or t.id,
            h["metric"]: t.metric,
            h["target_year"]: t.year,
            h["threshold"]: f"{t.sense} {shown(t, t.threshold):.4g}",
            h["units"]: "%" if is_percent(t) else t.units,
        }
        for name in names:
            c = checks[name][i]
            row[f"{name}: {h['value']}"] = round(shown(t, c.value), 6)
            row[f"{name}: {h['met']}"] = h["yes"] if c.met else h["no"]
            row[f"{name}: {h['first_met']}"] = c.first_year_met
            row[f"{name}: {h['gap']}"] = round(shown(t, c.gap), 6)
        rows.append(row)
    frame = pd.DataFrame(rows)
    for name in names:
        col = f"{name}: {h['first_met']}"
        frame[col] = frame[col].astype("Int64")
    return frame


def _headline(datasets: Sequence[xr.Dataset], lang: str) -> pd.DataFrame:
    frames = []
    for ds in datasets:
        f = headline_frame(ds)
        f.insert(0, "scenario", str(ds.attrs["scenario"]))
        frames.append(f)
    out = pd.concat(frames, ignore_index=True)
    return out.rename(columns={"scenario": header("scenario", lang), "year": header("year", lang)})


def _deltas(datasets: Sequence[xr.Dataset], lang: str) -> pd.DataFrame:
    ref = headline_frame(datasets[0]).set_index("year")
    ref_name = str(datasets[0].attrs["scenario"])
    frames = []
    for ds in datasets[1:]:
        f = headline_frame(ds).set_index("year")
        d = (f - ref.reindex(f.index)).reset_index()
        d.insert(0, "scenario", f"{ds.attrs['scenario']} {header('delta', lang)} {ref_name}")
        frames.append(d)
    if not frames:
        return pd.DataFrame(columns=["scenario", "year"])
    out = pd.concat(frames, ignore_index=True)
    return out.rename(columns={"scenario": header("scenario", lang), "year": header("year", lang)})


def _provenance(datasets: Sequence[xr.Dataset], lang: str) -> pd.DataFrame:
    rows = [{header("scenario", lang): str(ds.attrs["scenario"]), header("key", lang): key,
             header("value", lang): str(ds.attrs.get(key, ""))}
            for ds in datasets for key in PROVENANCE_KEYS]
    return pd.DataFrame(rows)


def comparison(datasets: Sequence[xr.Dataset], target_sets: Sequence[TargetSet],
               lang: str = "en") -> Comparison:
    """The comparison of ``datasets`` (single-member results; the first is the reference).

    Each scenario is checked against its own target set; the targets table needs them to have
    the same targets (the first set's order).
    """
    check_lang(lang)
    names = [str(ds.attrs["scenario"]) for ds in datasets]
    if len(set(names)) != len(names):
        raise ValueError(f"scenarios must differ; given {names}")
    ids = [t.id for t in target_sets[0].targets]
    last = min(float(ds["time"].max()) for ds in datasets)
    checks: dict[str, list[TargetCheck]] = {}
    for ds, tset in zip(datasets, target_sets, strict=True):
        if [t.id for t in tset.targets] != ids:
            raise ValueError(f"scenario '{ds.attrs['scenario']}' uses target set '{tset.name}', "
                             f"'{names[0]}' uses '{target_sets[0].name}'; compare with --targets SET")
        inside = TargetSet(tset.name, tset.description, tset.source,
                           tuple(t for t in tset.targets if t.year <= last))
        checks[str(ds.attrs["scenario"])] = check(ds, inside) if inside.targets else []
    tables = {
        "headline": _headline(datasets, lang),
        "targets": targets_frame(checks, lang) if any(checks.values()) else pd.DataFrame(),
        "deltas": _deltas(datasets, lang),
        "provenance": _provenance(datasets, lang),
    }
    return Comparison(tuple(names), tables)


def write_csv(frame: pd.DataFrame, path: Path | str, dialect: Dialect = "en") -> Path:
    """Write one table as CSV atomically; ``dialect='nl'``: ``;``, decimal comma, UTF-8 BOM."""
    if dialect not in DIALECTS:
        raise ValueError(f"unknown CSV dialect '{dialect}'; allowed: {', '.join(DIALECTS)}")
    nl = dialect == "nl"
    return atomic_write(path, lambda tmp: frame.to_csv(
        tmp, index=False, sep=";" if nl else ",", decimal="," if nl else ".",
        encoding="utf-8-sig" if nl else "utf-8", float_format="%.6g"))


def write_comparison(comp: Comparison, out: Path | str, dialect: Dialect = "en") -> list[Path]:
    """Write ``comparison.xlsx`` (sheets headline, targets, deltas, provenance) and one CSV per
    sheet (``comparison_<sheet>.csv``) to the folder ``out``; return the paths written."""
    folder = Path(out)

    def xlsx(tmp: Path) -> None:
        with pd.ExcelWriter(tmp, engine="openpyxl") as writer:
            for sheet in SHEETS:
                comp.tables[sheet].to_excel(writer, sheet_name=sheet, index=False)
                _fit_columns(writer.sheets[sheet], comp.tables[sheet])

    written = [atomic_write(folder / "comparison.xlsx", xlsx)]
    for sheet in SHEETS:
        written.append(write_csv(comp.tables[sheet], folder / f"comparison_{sheet}.csv", dialect))
    return written


def _fit_columns(ws: object, frame: pd.DataFrame) -> None:
    """Column widths that fit the headers (openpyxl worksheet)."""
    from openpyxl.utils import get_column_letter

    dims = getattr(ws, "column_dimensions", None)
    if dims is None:
        return
    for i, col in enumerate(frame.columns, start=1):
        width = max([len(str(col)), *(len(str(v)) for v in frame[col].head(50))])
        dims[get_column_letter(i)].width = min(60, max(8, math.ceil(width * 1.1)))


def format_targets(comp: Comparison, lang: str = "en") -> str:
    """The targets side by side as plain text (what ``compare`` prints): per scenario the value,
    met or not, the year first met and the gap."""
    frame = comp.tables["targets"]
    if frame.empty:
        return "(no targets within the simulated years)"
    h = {k: header(k, lang) for k in HEADERS}

    def num(v: float) -> str:
        out = f"{v:.1f}"
        return out.replace(".", ",") if lang == "nl" else out

    rows = [[h["target"], h["threshold"], *comp.scenarios]]
    for _, r in frame.iterrows():
        cells = [str(r[h["target"]]), f"{r[h['threshold']]} {r[h['units']]}"]
        for name in comp.scenarios:
            first = r[f"{name}: {h['first_met']}"]
            met = r[f"{name}: {h['met']}"] == h["yes"]
            value, gap = r[f"{name}: {h['value']}"], r[f"{name}: {h['gap']}"]
            cells.append(f"{num(value)} {'✓' if met else '✗'} "
                         f"({h['first_met']} {'-' if pd.isna(first) else int(first)}, "
                         f"{h['gap']} {num(gap)})")
        rows.append(cells)
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip()
             for row in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)
