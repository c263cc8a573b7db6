"""One explorer session: a starting scenario, its controls, runs of changed settings, saving.

:class:`Explorer` turns the page's settings (``{lever: {level, start, ramp}}``) into a scenario
that extends the starting one, runs it and returns plain JSON-able data; :meth:`Explorer.save`
writes that same scenario as a YAML file, so ``python -m sdmission run`` on the file gives the same
numbers.
"""

from __future__ import annotations

import math
import os
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import xarray as xr

from sdmission.constants import TIME
from sdmission.errors import InputError, Problem
from sdmission.explore import backend
from sdmission.explore import levers as lv
from sdmission.schema.scenario import NAME_PATTERN


def _floats(a: Any) -> list[float | None]:
    """A 1-d array as a JSON list (NaN as null)."""
    return [None if not math.isfinite(v) else float(v) for v in np.asarray(a, dtype=float).ravel()]


class Explorer:
    """The controls and runs of one starting scenario.

    Parameters
    ----------
    start
        The starting scenario file (any shipped or user scenario).
    engine
        Engine name for :func:`sdmission.model.engines.factory.load_engine`.
    """

    def __init__(self, start: Path | str, *, engine: backend.EngineName = "batch"):
        self.start_path = Path(start).resolve()
        self.scenario, self.model = backend.prepare_start(self.start_path, engine)
        self.final_time = float(self.scenario.final_time or self.model.catalogue.time["final_time"])
        self.controls: dict[str, lv.Control] = {}
        for name, section, units, limits, elements in backend.controls_of(self.model):
            base = backend.base_path(self.scenario, self.model, name, section)
            self.controls[name] = lv.make_control(name, section, units, limits, base, elements)  # type: ignore[arg-type]
        self.runner = backend.Runner(self.scenario, self.model,
                                     {c.name: (c.section, c.base) for c in self.controls.values()})
        self.ghost = self.runner.run(self.scenario)
        self._ghost_targets: dict[str, list[dict[str, Any]]] = {}

    # --- what the page shows ---------------------------------------------------------------------
    def controls_meta(self, lang: str) -> list[dict[str, Any]]:
        """Every control with its label, bounds, units and the starting path by whole year."""
        years = np.arange(math.ceil(self.model.t0), math.floor(self.final_time) + 1, dtype=float)
        rows: list[tuple[tuple[int, int, int], dict[str, Any]]] = []
        order = {f: i for i, f in enumerate(lv.FAMILY_ORDER)}
        first = {n: i for i, n in enumerate(lv.FIRST_ASSUMPTIONS)}
        for i, c in enumerate(self.controls.values()):
            try:
                label = backend.text(f"var.{c.name}", lang)
            except KeyError:
                label = c.name.replace("_", " ")
            rows.append(((order.get(c.family, 99), first.get(c.name, 99), i), {
                "name": c.name, "section": c.section, "family": c.family, "label": label,
                "units": c.units, "low": c.low, "high": c.high, "step": c.step, "timed": c.timed,
                "elements": list(c.elements), "start_default": lv.DEFAULT_START,
                "start_min": lv.FIRST_START, "start_max": int(self.final_time), "ramp_max": lv.MAX_RAMP,
                "base_years": _floats(years), "base": _floats(lv.sample(c.base, years, c.elements)),
            }))
        out = [row for _, row in sorted(rows, key=lambda r: r[0])]
        return out

    # --- running ---------------------------------------------------------------------------------
    def changed(self, settings: Mapping[str, Mapping[str, Any]]) -> dict[str, dict[str, Any]]:
        """Plain-data paths of the changed controls (``{"levers": …, "assumptions": …}``)."""
        try:
            out = lv.changed_paths(self.controls, settings, t0=self.model.t0, dt=self.model.dt,
                                   final_time=self.final_time)
        except lv.SettingError as exc:
            raise InputError([Problem(m) for m in exc.messages]) from exc
        return {k: dict(v) for k, v in out.items()}

    def scenario_for(self, settings: Mapping[str, Mapping[str, Any]], name: str = "explored") -> Any:
        """The scenario the settings make: the starting one with the changed paths."""
        return backend.with_changes(self.scenario, self.changed(settings), name)

    def evaluate(self, settings: Mapping[str, Mapping[str, Any]], target_set: str) -> dict[str, Any]:
        """Run the settings; series, target checks (and the starting scenario's), timings.

        ``timing_ms``: ``run`` (the engine, wall time), ``total`` (this call, wall time) and ``cpu``
        (this call's CPU time: about its wall time on an idle machine).
        """
        t, cpu = time.perf_counter(), time.thread_time()
        scn = self.scenario_for(settings)
        ds = self.runner.run(scn) if settings else self.ghost
        t_run = time.perf_counter() - t
        tset = self.target_set(target_set)
        if target_set not in self._ghost_targets:
            self._ghost_targets[target_set] = targets_payload(backend.check_targets(self.ghost, tset))
        out = {"series": series(ds), "targets": targets_payload(backend.check_targets(ds, tset)),
               "ghost_targets": self._ghost_targets[target_set]}
        out["timing_ms"] = {"run": 1000 * t_run, "total": 1000 * (time.perf_counter() - t),
                            "cpu": 1000 * (time.thread_time() - cpu)}
        return out

    def band(self, settings: Mapping[str, Mapping[str, Any]], members: int = 20) -> dict[str, Any]:
        """5-95 % of national GHG and the circular share over ``members`` sampled futures."""
        t = time.perf_counter()
        ds = self.runner.run(self.scenario_for(settings), members=members,
                             outputs=("national_ghg", "circular_share"))
        out: dict[str, Any] = {"members": members, "years": _floats(ds[TIME].values)}
        for var in ("national_ghg", "circular_share"):
            q = np.quantile(np.asarray(ds[var].transpose("member", TIME).values, dtype=float), [0.05, 0.95], axis=0)
            out[var] = {"p05": _floats(q[0]), "p95": _floats(q[1])}
        out["timing_ms"] = {"total": 1000 * (time.perf_counter() - t)}
        return out

    @staticmethod
    def target_set(name: str) -> backend.TargetSet:
        """A shipped target set (:class:`InputError` for an unknown name)."""
        sets = backend.target_sets()
        if name not in sets:
            raise InputError([Problem(f"unknown target set '{name}'; allowed: {', '.join(sets)}",
                                      key="targets")])
        return sets[name]

    # --- saving ----------------------------------------------------------------------------------
    def document(self, settings: Mapping[str, Mapping[str, Any]], *, name: str, description: str,
                 target_set: str | None, save_dir: Path) -> dict[str, Any]:
        """The scenario file's content: ``extends`` the start, only the changed levers."""
        changes = self.changed(settings)
        save_dir = save_dir.resolve()
        ref = (self.start_path.stem if self.start_path.parent == save_dir
               else os.path.relpath(self.start_path, save_dir))
        lines = []
        for key in settings:
            c = self.controls[key]
            try:
                label = backend.text(f"var.{key}", "en")
            except KeyError:
                label = key
            lines.append(lv.describe_change(c, settings[key], f"{label} ({key})"))
        text = description.strip() or f"Explored from '{self.scenario.name}'."
        if lines:
            text += " Changed in the explorer from '" + self.scenario.name + "': " + "; ".join(lines) + "."
        doc: dict[str, Any] = {"name": name, "description": text,
                               "sources": [f"python -m sdmission explore, from {self.scenario.name}"],
                               "extends": ref}
        if target_set and target_set != self.scenario.targets:
            doc["targets"] = target_set
        for section in ("levers", "assumptions"):
            if changes[section]:
                doc[section] = changes[section]
        return doc

    def save(self, settings: Mapping[str, Mapping[str, Any]], *, name: str, description: str,
             target_set: str | None, save_dir: Path, overwrite: bool = False) -> tuple[Path, str]:
        """Write the scenario file; return its path and text.

        Refuses a bad name, an existing file (unless ``overwrite``) and any file of the starting
        scenario's chain; re-reads the written file and checks that it gives the scenario that ran.
        """
        import re

        from sdmission.io import atomic_write_text

        if not re.fullmatch(NAME_PATTERN, name or ""):
            raise InputError([Problem(f"invalid scenario name {name!r}: letters, digits, '_', '.', '-' "
                                      "(starting with a letter or digit)", key="name")])
        path = (save_dir / f"{name}.yaml").resolve()
        chain = {link.path.resolve() for link in self.scenario.chain}
        if path in chain:
            raise InputError([Problem(f"{path} is part of the starting scenario; choose another name",
                                      key="name")])
        if path.exists() and not overwrite:
            raise InputError([Problem(f"{path} exists; choose another name or overwrite", key="name")])
        doc = self.document(settings, name=name, description=description, target_set=target_set,
                            save_dir=save_dir)
        text = "# Written by `python -m sdmission explore`; run it with `python -m sdmission run " \
               f"{path}`.\n" + backend.scenario_yaml(doc)
        save_dir.mkdir(parents=True, exist_ok=True)
        atomic_write_text(path, text)
        again = backend.load(path)
        ran = self.scenario_for(settings)
        if dict(again.levers) != dict(ran.levers) or dict(again.assumptions) != dict(ran.assumptions):
            raise InputError([Problem(f"{path}: the saved file does not reproduce the explored scenario")])
        return path, text


def series(ds: xr.Dataset) -> dict[str, Any]:
    """The drawn series of one run as JSON-able lists (yearly)."""
    route = backend.sum_over(ds["route_emissions"], [backend.CLUSTER_DIM])  # (time, route)
    routes = [str(r) for r in ds["route_emissions"]["route"].values]
    co2 = route.sum(axis=1)
    cost = ds["public_cost"].transpose(TIME, ...)
    instruments = [str(i) for i in cost["instrument"].values]
    cost_v = np.asarray(cost.values, dtype=float)
    return {
        "years": _floats(ds[TIME].values),
        "national_ghg": _floats(ds["national_ghg"].values),
        "ghg_reduction_vs_1990": _floats(ds["ghg_reduction_vs_1990"].values),
        "industry_ghg": _floats(ds["industry_ghg"].values),
        "routes": {r: _floats(route[:, j]) for j, r in enumerate(routes)},
        "non_co2": _floats(np.asarray(ds["industry_ghg"].values, dtype=float) - co2),
        "captured_co2": _floats(ds["captured_co2"].values),
        "circular_share": _floats(ds["circular_share"].values),
        "public_cost": {k: _floats(cost_v[:, j]) for j, k in enumerate(instruments)},
        "public_cost_total": _floats(cost_v.sum(axis=1)),
    }


def targets_payload(checks: list[backend.TargetCheck]) -> list[dict[str, Any]]:
    """Target checks as JSON-able rows."""
    return [{
        "id": c.target.id, "label": c.target.label, "label_nl": c.target.label_nl,
        "metric": c.target.metric, "year": c.target.year, "sense": c.target.sense,
        "threshold": c.target.threshold, "units": c.target.units,
        "value": None if not math.isfinite(c.value) else c.value, "met": c.met,
        "first_year_met": c.first_year_met, "gap": None if not math.isfinite(c.gap) else c.gap,
    } for c in checks]
