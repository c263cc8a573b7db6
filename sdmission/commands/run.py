"""``python -m sdmission run [SCENARIO …]``: simulate scenarios, write results, print target checks."""

from __future__ import annotations

import argparse
import shlex
import sys
from pathlib import Path
from typing import Any

import xarray as xr
from tqdm import tqdm

from sdmission.errors import InputError, Problem, SdmissionError
from sdmission.messages import did_you_mean, fmt, show
from sdmission.model.catalogue import Catalogue
from sdmission.scenario.check import check_scenario
from sdmission.scenario.load import SUFFIXES, Scenario, load_scenario
from sdmission.study.results import write_scenario_results
from sdmission.study.run import simulate

HELP = "run scenarios: write results/<scenario>.nc, a headline CSV and the target table"
ENGINES = ("pysd", "batch")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "scenarios", nargs="*", metavar="SCENARIO",
        help="scenario name (in the scenarios folder) or path to a .yaml file; "
             "default: every scenario that is not abstract",
    )
    parser.add_argument("--out", type=Path, default=Path("results"),
                        help="output folder (default: results)")
    parser.add_argument("--scenarios-dir", type=Path, default=None,
                        help="folder of named scenarios (default: ./scenarios, else the project's)")
    parser.add_argument("--engine", choices=ENGINES, default="batch",
                        help="simulation engine: batch (default; vectorised, checked against PySD) "
                             "or pysd (the reference)")
    parser.add_argument("--targets", default=None, metavar="SET",
                        help="target set to check (default: each scenario's own, else 'design')")
    parser.add_argument("--plots", action="store_true", help="also write the report figures")
    parser.add_argument("--lang", choices=("en", "nl"), default="en", help="figure language")


def default_scenarios_dir() -> Path:
    """``./scenarios`` when it exists, else the project's own ``scenarios/`` folder."""
    here = Path.cwd() / "scenarios"
    return here if here.is_dir() else Path(__file__).resolve().parents[2] / "scenarios"


def resolve_scenarios(names: list[str], folder: Path) -> list[Path]:
    """Files for the given names/paths; with no names, every non-abstract scenario in ``folder``."""
    available = sorted(p for p in folder.glob("*") if p.suffix in SUFFIXES) if folder.is_dir() else []
    if not names:
        if not available:
            raise InputError([Problem(f"no scenario files (*.yaml) in {folder}")])
        return [p for p in available if not load_scenario(p).abstract]
    out: list[Path] = []
    problems: list[Problem] = []
    for name in names:
        path = Path(name)
        if path.suffix in SUFFIXES or path.parent != Path("."):
            if path.is_file():
                out.append(path)
            else:
                problems.append(Problem("file not found", path))
            continue
        match = next((p for p in available if p.stem == name), None)
        if match is None:
            stems = [p.stem for p in available]
            problems.append(Problem(fmt("unknown scenario", given=show(name),
                                        allowed=stems or f"none found in {folder}",
                                        suggestion=did_you_mean(name, stems)), key="SCENARIO"))
        else:
            out.append(match)
    if problems:
        raise InputError(problems)
    return out


def load_engine(mdl_path: Path, engine: str) -> tuple[Any, Catalogue]:
    """An engine for ``mdl_path`` and the model's catalogue."""
    if engine == "pysd":
        from sdmission.model.engines.pysd import PysdEngine

        eng = PysdEngine(mdl_path)
        return eng, eng.catalogue
    try:
        from sdmission.model.engines.factory import load_engine as factory
    except ImportError as exc:
        raise SdmissionError(
            f"the batch engine is not available in this installation ({exc}); "
            "use --engine pysd"
        ) from exc
    from sdmission.model.catalogue import load_catalogue

    return factory(mdl_path, engine), load_catalogue(mdl_path)


def _targets_module() -> Any:
    try:
        from sdmission.study import targets
    except ImportError:
        return None
    return targets


def format_target_table(scenario: str, checks: list[Any]) -> str:
    """Plain-text table of target checks for one scenario."""
    header = ("target", "year", "threshold", "value", "status", "first met", "gap")
    rows = [header]
    for c in checks:
        t = c.target
        rows.append((
            t.label or t.id,
            str(t.year),
            f"{t.sense} {t.threshold:.4g} {t.units}",
            f"{c.value:.4g}",
            "met" if c.met else "NOT MET",
            str(c.first_year_met) if c.first_year_met is not None else "-",
            f"{c.gap:.3g}",
        ))
    widths = [max(len(r[i]) for r in rows) for i in range(len(header))]
    lines = [f"targets for scenario '{scenario}':"]
    for i, r in enumerate(rows):
        lines.append("  " + "  ".join(cell.ljust(w) for cell, w in zip(r, widths, strict=True)))
        if i == 0:
            lines.append("  " + "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def _target_report(targets: Any, ds: xr.Dataset, tset: Any) -> str:
    """The target table; targets after the run's last year are listed as not evaluated."""
    import dataclasses

    last = float(ds["time"].max())
    inside = tuple(t for t in tset.targets if t.year <= last)
    outside = [t for t in tset.targets if t.year > last]
    name = str(ds.attrs.get("scenario", ""))
    text = (format_target_table(name, targets.check(ds, dataclasses.replace(tset, targets=inside)))
            if inside else f"targets for scenario '{name}': none within the simulated years")
    if outside:
        text += "\n  not evaluated (after the run's final time {:g}): {}".format(
            last, ", ".join(t.label or t.id for t in outside))
    return text


def run(args: argparse.Namespace) -> int:
    folder = args.scenarios_dir or default_scenarios_dir()
    files = resolve_scenarios(list(args.scenarios), folder)
    # 1. Load every scenario and check it against its model before anything runs.
    scenarios: list[Scenario] = []
    problems: list[Problem] = []
    for f in files:
        try:
            scenarios.append(load_scenario(f))
        except InputError as exc:
            problems += exc.problems
    if problems:
        raise InputError(problems)
    engines: dict[Path, tuple[Any, Catalogue]] = {}
    for scn in scenarios:
        if scn.model_path not in engines:
            engines[scn.model_path] = load_engine(scn.model_path, args.engine)
        problems += check_scenario(scn, engines[scn.model_path][1])
    if problems:
        raise InputError(problems)
    targets = _targets_module()
    target_sets: dict[str, Any] = {}
    if targets is None:
        print("note: sdmission.study.targets is not available; no target table", file=sys.stderr)
    else:
        for scn in scenarios:
            name = args.targets or scn.targets
            if name not in target_sets:
                target_sets[name] = targets.get_target_set(name)
    # 2. Simulate, write, check targets.
    command = "python -m sdmission " + shlex.join(sys.argv[1:]) if sys.argv[1:] else None
    datasets: list[xr.Dataset] = []
    bar = tqdm(scenarios, desc="scenarios", unit="scenario", file=sys.stderr,
               disable=len(scenarios) < 2 and not sys.stderr.isatty())
    for scn in bar:
        bar.set_postfix_str(scn.name)
        engine, catalogue = engines[scn.model_path]
        ds = simulate(scn, engine, catalogue, command=command)
        nc, csv = write_scenario_results(ds, args.out)
        datasets.append(ds)
        tqdm.write(f"{scn.name}: wrote {nc} and {csv}", file=sys.stdout)
        if targets is not None:
            tqdm.write(_target_report(targets, ds, target_sets[args.targets or scn.targets]),
                       file=sys.stdout)
    # 3. Figures (module owned by sdmission.report.figures).
    if args.plots:
        try:
            from sdmission.report import figures as plots
        except ImportError as exc:
            raise SdmissionError(f"--plots: sdmission.report.figures is not available ({exc})") from exc
        save_all = getattr(plots, "save_all", None)
        if save_all is None:
            raise SdmissionError("--plots: sdmission.report.figures has no save_all(datasets, out_dir, lang)")
        written = save_all(datasets, args.out, args.lang)
        if written:
            print(f"figures: {len(list(written))} files in {args.out}")
    return 0
