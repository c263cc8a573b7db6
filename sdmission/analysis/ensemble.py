"""Ensembles: scenarios × sampled futures, run in member chunks in-process or on a Dask cluster.

Pipeline::

    study.prepare(..., uncertainties=True) -> Case -> EnsembleScenario.from_case
      -> uncertainty.sample(...)                       inputs Dataset (scenario, member, uncertainty)
      -> chunks of K members per scenario              run_chunk(...) on an engine (one call a chunk)
      -> <out>/<name>.chunks/<scenario>__chunk_00012.nc   saved atomically as each chunk finishes
      -> assemble                                      Dataset (scenario, member, time, <subscripts>)
      -> probability_met / ranking                     P(target met) per scenario

Resuming: every chunk file carries ``chunk_key``, a SHA-256 of everything that determines its
contents (model text, engine, scenario name, return variables, final time and the chunk's complete
inputs). A later run with the same settings loads matching chunks instead of recomputing them; a
chunk whose key differs (other seed, model or scenario) is recomputed and overwritten.

Workers: :func:`run_chunk` is a plain top-level function. It receives the model's text and hash,
so a Dask worker on another machine needs only the package installed; the engine is loaded once
per worker process and kept (keyed by model hash and engine name).
"""

from __future__ import annotations

import hashlib
import os
import sys
import time as _time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

import numpy as np
import xarray as xr

from sdmission.analysis.chunks import code_versions, data_hash, feed, remove_orphans
from sdmission.analysis.uncertainty import UNCERTAINTY, UncertaintySpace, engine_inputs
from sdmission.constants import MEMBER, SCENARIO, TIME
from sdmission.errors import InputError, ModelError, Problem
from sdmission.io import atomic_write_bytes
from sdmission.model.engines.factory import load_engine, resolve_engine_name
from sdmission.model.engines.protocol import Engine
from sdmission.study.targets import TARGET, TargetSet, check_all

if TYPE_CHECKING:
    from sdmission.study.case import Case

#: Chunk file name pattern inside ``<out>/<name>.chunks/``.
CHUNK_FMT: Final = "{scenario}__chunk_{index:05d}.nc"
ChunkEvent = Callable[[str, str, int, int], None]  # (status, scenario, chunk index, n chunks)


@dataclass(frozen=True)
class EnsembleScenario:
    """One scenario of an ensemble.

    Attributes
    ----------
    name
        Scenario name (the ``scenario`` coordinate).
    mdl_path
        The Vensim model.
    inputs
        Fixed engine inputs (levers and assumptions): ``{py_name: DataArray}`` without ``member``.
    space
        The scenario's uncertainties.
    target_set
        Targets for P(met).
    final_time
        Last simulated year; ``None`` keeps the model's.
    text
        The scenario's text (provenance).
    """

    name: str
    mdl_path: Path
    inputs: Mapping[str, xr.DataArray]
    space: UncertaintySpace
    target_set: TargetSet
    final_time: float | None = None
    text: str = ""

    @classmethod
    def from_case(cls, case: Case) -> EnsembleScenario:
        """The ensemble view of a case prepared with ``uncertainties=True``."""
        if case.space is None:
            raise ValueError(f"case '{case.name}' has no uncertainty space; prepare it with "
                             "uncertainties=True")
        scn = case.scenario
        return cls(name=scn.name, mdl_path=scn.model_path, inputs=case.inputs, space=case.space,
                   target_set=case.target_set, final_time=scn.final_time, text=scn.merged_yaml())


# --------------------------------------------------------------------------------------------------
# Engines (one per process, per model content and engine name)
# --------------------------------------------------------------------------------------------------

_ENGINES: dict[tuple[str, str], Engine] = {}


def _engine_for(model_text: bytes, model_sha: str, model_name: str, model_path: str,
                engine: str) -> Engine:
    key = (model_sha, engine)
    if key not in _ENGINES:
        path = Path(model_path)
        if not (path.is_file() and _sha(path.read_bytes()) == model_sha):
            from sdmission.model.cache import cache_dir, secure_folder

            folder = secure_folder(cache_dir() / "ensemble-models" / model_sha[:16])
            path = folder / Path(model_name).name
            if not path.is_file():
                atomic_write_bytes(path, model_text, mode=0o600)
        _ENGINES[key] = load_engine(path, engine)
    return _ENGINES[key]


def run_chunk(
    model_text: bytes,
    model_sha: str,
    model_name: str,
    model_path: str,
    engine: str,
    inputs: Mapping[str, xr.DataArray],
    return_vars: Sequence[str],
    final_time: float | None,
    members: Sequence[int],
) -> xr.Dataset:
    """Run one chunk of members (in this process or on a Dask worker).

    Parameters
    ----------
    model_text, model_sha, model_name, model_path
        The ``.mdl`` bytes, their SHA-256, the file name and its path where it was read (used
        when it exists with the same hash, so models reading data files beside them still work).
    engine
        ``batch`` or ``pysd``.
    inputs
        Complete engine inputs; sampled ones carry a ``member`` dim of ``len(members)``.
    return_vars, final_time
        Passed to ``Engine.run``.
    members
        Global member indices of the chunk (become the ``member`` coordinate).

    Returns
    -------
    xr.Dataset
        Dims ``(member, time, <subscripts…>)``.
    """
    eng = _engine_for(model_text, model_sha, model_name, model_path, engine)
    ds = eng.run(inputs, return_vars=list(return_vars), final_time=final_time)
    if ds.sizes.get(MEMBER, 1) != len(members):
        raise ModelError(f"engine returned {ds.sizes.get(MEMBER, 1)} members for a chunk of "
                         f"{len(members)}")
    if MEMBER not in ds.dims:
        ds = ds.expand_dims(MEMBER)
    return ds.assign_coords({MEMBER: np.asarray(members, dtype=np.int64)})


# --------------------------------------------------------------------------------------------------
# Chunk keys and files
# --------------------------------------------------------------------------------------------------


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def chunk_key(model_sha: str, engine: str, scenario: str, inputs: Mapping[str, xr.DataArray],
              return_vars: Sequence[str], final_time: float | None,
              members: Sequence[int]) -> str:
    """SHA-256 of everything that determines a chunk's results (code versions included)."""
    h = hashlib.sha256()
    h.update(f"{code_versions()}|{model_sha}|{engine}|{scenario}|{sorted(return_vars)}|"
             f"{final_time!r}|".encode())
    h.update(np.asarray(members, dtype=np.int64).tobytes())
    for name in sorted(inputs):
        h.update(name.encode())
        feed(h, inputs[name])
    return h.hexdigest()


def _write_chunk(ds: xr.Dataset, path: Path, key: str) -> None:
    from sdmission.study.results import write_netcdf

    write_netcdf(ds.assign_attrs(chunk_key=key, chunk_data_sha256=data_hash(ds)), path)


def _read_chunk(path: Path, key: str) -> xr.Dataset | None:
    """A chunk whose key and data hash both match, else None (recomputed; a forged one with a warning)."""
    if not path.is_file():
        return None
    try:
        with xr.open_dataset(path) as ds:
            if ds.attrs.get("chunk_key") != key:
                return None
            out = ds.load()
    except (OSError, ValueError, RuntimeError):  # a truncated or foreign file: recompute it
        return None
    stored = out.attrs.pop("chunk_data_sha256", None)
    out.attrs.pop("chunk_key", None)
    if stored != data_hash(out):
        print(f"warning: chunk {path} does not match its data hash (changed or damaged); "
              "recomputing it", file=sys.stderr)
        return None
    return out


# --------------------------------------------------------------------------------------------------
# Running
# --------------------------------------------------------------------------------------------------


@dataclass
class RunStats:
    """What :func:`run_ensemble` did: chunks computed vs loaded from disk, and wall time (s)."""

    computed: int = 0
    loaded: int = 0
    seconds: float = 0.0
    members_run: int = 0
    events: list[tuple[str, str, int]] = field(default_factory=list)


@dataclass(frozen=True)
class _Chunk:
    scenario: EnsembleScenario
    index: int
    n_chunks: int
    members: tuple[int, ...]
    inputs: Mapping[str, xr.DataArray]
    key: str
    path: Path | None


def _chunks(scenarios: Sequence[EnsembleScenario], samples: xr.Dataset, engines: Mapping[Path, str],
            return_vars: Sequence[str], chunk_size: int, chunk_dir: Path | None,
            model_shas: Mapping[Path, str]) -> list[_Chunk]:
    n = samples.sizes[MEMBER]
    bounds = list(range(0, n, chunk_size))
    out: list[_Chunk] = []
    for sc in scenarios:
        values = samples["value"]
        if SCENARIO in values.dims:
            values = values.sel({SCENARIO: sc.name})
        for i, start in enumerate(bounds):
            members = tuple(range(start, min(n, start + chunk_size)))
            vals = values.isel({MEMBER: slice(start, start + len(members))})
            sampled = engine_inputs(vals, sc.space)
            clash = sorted(set(sampled) & set(sc.inputs))
            if clash:
                raise InputError([Problem(
                    f"scenario '{sc.name}' sets {', '.join(clash)} as lever/assumption and also "
                    "samples it as an uncertainty (allowed: one or the other)", key="uncertainties")])
            inputs = {**sc.inputs, **{k: v.assign_coords({MEMBER: np.arange(len(members))})
                                      for k, v in sampled.items()}}
            key = chunk_key(model_shas[sc.mdl_path], engines[sc.mdl_path], sc.name, inputs, return_vars,
                            sc.final_time, members)
            path = (chunk_dir / CHUNK_FMT.format(scenario=sc.name, index=i)
                    if chunk_dir is not None else None)
            out.append(_Chunk(sc, i, len(bounds), members, inputs, key, path))
    return out


def run_ensemble(
    scenarios: Sequence[EnsembleScenario],
    samples: xr.Dataset,
    *,
    return_vars: Sequence[str],
    engine: str = "auto",
    chunk_size: int = 100,
    chunk_dir: Path | str | None = None,
    scheduler: str | Any | None = None,
    on_chunk: ChunkEvent | None = None,
    stats: RunStats | None = None,
) -> xr.Dataset:
    """Run every scenario for every sampled member.

    Parameters
    ----------
    scenarios
        The scenarios; names must be unique.
    samples
        From :func:`sdmission.analysis.uncertainty.sample` (with a ``scenario`` dim naming every scenario,
        or without one when all scenarios share one space).
    return_vars
        Model variables to keep (py names).
    engine
        ``auto`` (batch when it compiles the model, else pysd), ``batch`` or ``pysd``; see
        :mod:`sdmission.model.engines.factory`.
    chunk_size
        Members per chunk (one engine call, one file, one Dask task).
    chunk_dir
        Where chunk files go (``None``: not saved, no resume).
    scheduler
        ``None`` in-process; a Dask scheduler address (``tcp://host:8786``) or a
        ``distributed.Client``.
    on_chunk
        Called as ``on_chunk(status, scenario, index, n_chunks)`` with status ``computed`` or
        ``loaded`` as each chunk is saved or found (raising from it interrupts the run; saved chunks
        stay).
    stats
        Filled with counts and timing when given.

    Returns
    -------
    xr.Dataset
        Raw outputs, dims ``(scenario, member, time, <subscripts…>)`` (no units yet: see
        :func:`label`).
    """
    st = stats if stats is not None else RunStats()
    t0 = _time.perf_counter()
    names = [s.name for s in scenarios]
    if len(set(names)) != len(names):
        raise InputError([Problem(f"scenario names must be unique (given {names})", key="scenario")])
    if chunk_size < 1:
        raise InputError([Problem(f"--chunk-size must be at least 1 (given {chunk_size})",
                                  key="chunk-size")])
    texts = {s.mdl_path: Path(s.mdl_path).read_bytes() for s in scenarios}
    shas = {p: _sha(t) for p, t in texts.items()}
    engs = {p: resolve_engine_name(p, engine) for p in texts}
    cdir = Path(chunk_dir) if chunk_dir is not None else None
    if cdir is not None:
        cdir.mkdir(parents=True, exist_ok=True)
        remove_orphans(cdir)
    chunks = _chunks(scenarios, samples, engs, return_vars, chunk_size, cdir, shas)
    results: dict[int, xr.Dataset] = {}
    todo: list[int] = []
    for i, c in enumerate(chunks):
        found = _read_chunk(c.path, c.key) if c.path is not None else None
        if found is not None:
            results[i] = found
            st.loaded += 1
            st.events.append(("loaded", c.scenario.name, c.index))
            if on_chunk:
                on_chunk("loaded", c.scenario.name, c.index, c.n_chunks)
        else:
            todo.append(i)

    def args(c: _Chunk) -> tuple[Any, ...]:
        p = c.scenario.mdl_path
        return (texts[p], shas[p], Path(p).name, str(Path(p).resolve()), engs[p], c.inputs,
                tuple(return_vars), c.scenario.final_time, c.members)

    def done(i: int, ds: xr.Dataset) -> None:
        c = chunks[i]
        if c.path is not None:
            _write_chunk(ds, c.path, c.key)
        results[i] = ds
        st.computed += 1
        st.members_run += len(c.members)
        st.events.append(("computed", c.scenario.name, c.index))
        if on_chunk:
            on_chunk("computed", c.scenario.name, c.index, c.n_chunks)

    if todo and scheduler is None:
        for i in todo:
            done(i, run_chunk(*args(chunks[i])))
    elif todo:
        _run_dask(scheduler, [(i, args(chunks[i])) for i in todo], done)
    per_scenario = []
    for sc in scenarios:
        parts = [results[i] for i, c in enumerate(chunks) if c.scenario is sc]
        per_scenario.append(xr.concat(parts, dim=MEMBER) if len(parts) > 1 else parts[0])
    out = xr.concat(per_scenario, dim=SCENARIO, join="exact").assign_coords({SCENARIO: names})
    st.seconds = _time.perf_counter() - t0
    return out.transpose(SCENARIO, MEMBER, TIME, ...)


def _run_dask(scheduler: str | Any, jobs: list[tuple[int, tuple[Any, ...]]],
              done: Callable[[int, xr.Dataset], None]) -> None:
    from distributed import Client, as_completed

    own = isinstance(scheduler, str)
    client: Client = Client(scheduler, set_as_default=False) if isinstance(scheduler, str) else scheduler
    try:
        futures = {}
        for i, a in jobs:
            fut = client.submit(run_chunk, *a, pure=False, key=f"sdmission-chunk-{i}-{a[1][:8]}-"
                                f"{os.getpid()}-{_time.time_ns()}")
            futures[fut] = i
        for fut in as_completed(list(futures), loop=client.loop):
            ds = fut.result()
            done(futures[fut], ds)
            fut.release()
    finally:
        if own:
            client.close()


# --------------------------------------------------------------------------------------------------
# Labelling, targets, ranking
# --------------------------------------------------------------------------------------------------


def label(raw: xr.Dataset, catalogue: Any, samples: xr.Dataset, attrs: Mapping[str, str]) -> xr.Dataset:
    """Add units/long names from the catalogue, the inputs (``input_value``, ``input_quantile``)
    and provenance attrs to :func:`run_ensemble`'s output."""
    ds = raw.copy()
    for name in ds.data_vars:
        var = catalogue.get(str(name))
        if var is None:
            raise ModelError(f"result variable '{name}' is not in the model's catalogue")
        ds[name].attrs = {"units": var.units or "1", "long_name": var.real_name,
                          "description": var.comment, "kind": var.kind}
    value = samples["value"]
    if SCENARIO not in value.dims:
        value = value.expand_dims({SCENARIO: ds[SCENARIO].values})
    ds["input_value"] = value.sel({SCENARIO: ds[SCENARIO].values}).assign_attrs(
        long_name="sampled value of each uncertainty (its parameter's units; NaN: not sampled)")
    ds["input_quantile"] = samples["quantile"].assign_attrs(samples["quantile"].attrs)
    for c in ("parameter", "element", "units"):
        ds = ds.assign_coords({f"uncertainty_{c}": (UNCERTAINTY, samples[c].values)})
    ds = ds.drop_vars([c for c in ("parameter", "element", "units") if c in ds.coords])
    ds[TIME].attrs = {"units": "year", "long_name": "time"}
    ds[MEMBER].attrs = {"long_name": "ensemble member (one sampled future)"}
    ds.attrs = {"title": "sdmission ensemble", **{k: str(v) for k, v in attrs.items()}}
    return ds


def target_checks(ds: xr.Dataset, target_sets: Mapping[str, TargetSet]) -> dict[str, xr.Dataset]:
    """:func:`sdmission.study.targets.check_all` per scenario (each with its own target set)."""
    out = {}
    for name in ds[SCENARIO].values:
        sub = ds.sel({SCENARIO: name})
        out[str(name)] = check_all(sub, target_sets[str(name)])
    return out


def pmet_table(checks: Mapping[str, xr.Dataset]) -> list[dict[str, Any]]:
    """Rows ``scenario, target_set, target, label, p_met, members, nonfinite`` (plus ``all``).

    ``nonfinite`` counts members whose metric is NaN or infinite at the target year: they count as
    not met in ``p_met`` (a failed simulation is not a success) and are reported so they are seen.
    """
    rows: list[dict[str, Any]] = []
    for name, res in checks.items():
        n = res.sizes[MEMBER]
        bad = ~np.isfinite(np.asarray(res["value"].transpose(MEMBER, TARGET).values, dtype=float))
        for i, t in enumerate(res[TARGET].values):
            r = res.sel({TARGET: t})
            rows.append({"scenario": name, "target_set": res.attrs["target_set"], "target": str(t),
                         "label": str(r["label"].values), "p_met": float(r["met"].mean()),
                         "members": n, "nonfinite": int(bad[:, i].sum())})
        rows.append({"scenario": name, "target_set": res.attrs["target_set"], "target": "all",
                     "label": "every target of the set", "p_met": float(res["all_met"].mean()),
                     "members": n, "nonfinite": int(bad.any(axis=1).sum())})
    return rows


def ranking(checks: Mapping[str, xr.Dataset]) -> list[dict[str, Any]]:
    """Scenarios ranked by P(every target met), then by the mean P(met) over targets.

    Rows ``rank, scenario, target_set, p_all_met, mean_p_met, members``.
    """
    rows = []
    for name, res in checks.items():
        rows.append({"scenario": name, "target_set": res.attrs["target_set"],
                     "p_all_met": float(res["all_met"].mean()),
                     "mean_p_met": float(res["met"].mean()), "members": res.sizes[MEMBER]})
    rows.sort(key=lambda r: (-r["p_all_met"], -r["mean_p_met"], r["scenario"]))
    return [{"rank": k + 1, **r} for k, r in enumerate(rows)]


# --------------------------------------------------------------------------------------------------
# Robust optimisation hook
# --------------------------------------------------------------------------------------------------


def probability_met(
    engine: Engine,
    inputs: Mapping[str, xr.DataArray],
    samples: xr.Dataset,
    space: UncertaintySpace,
    target_set: TargetSet,
    *,
    final_time: float | None = None,
) -> xr.DataArray:
    """P(target met) over an ensemble of futures for S candidate policies, in one engine call.

    Parameters
    ----------
    engine
        Any engine.
    inputs
        Policy inputs; those with a ``member`` dim of size S are S candidates (e.g. the
        optimiser's decoded decision rows); without one, S = 1.
    samples
        Futures from :func:`sdmission.analysis.uncertainty.sample` (N members; no ``scenario`` dim).
    space
        The uncertainties the samples describe.
    target_set
        Targets.
    final_time
        Passed to the engine.

    Returns
    -------
    xr.DataArray
        Dims ``(candidate, target)``: the fraction of the N futures meeting each target; the
        ``target`` coord also has an ``all`` entry (every target met). Runs S × N members.
    """
    sizes = {k: v.sizes[MEMBER] for k, v in inputs.items() if MEMBER in v.dims}
    if len(set(sizes.values())) > 1:
        raise ValueError(f"candidate inputs disagree on their member sizes: {sizes}")
    s = next(iter(sizes.values()), 1)
    values = samples["value"]
    n = values.sizes[MEMBER]
    cand = np.repeat(np.arange(s), n)  # member k = candidate k // n, future k % n
    fut = np.tile(np.arange(n), s)
    tiled = {k: (v.isel({MEMBER: cand}).assign_coords({MEMBER: np.arange(s * n)})
                 if MEMBER in v.dims else v) for k, v in inputs.items()}
    sampled = engine_inputs(values.isel({MEMBER: fut}).assign_coords({MEMBER: np.arange(s * n)}),
                            space)
    ds = engine.run({**tiled, **sampled}, return_vars=list(target_set.metrics),
                    final_time=final_time)
    res = check_all(ds, target_set)
    met = np.asarray(res["met"].transpose(MEMBER, TARGET).values).reshape(s, n, -1)
    allm = np.asarray(res["all_met"].values).reshape(s, n, 1)
    p = np.concatenate([met, allm], axis=-1).mean(axis=1)
    ids = [*map(str, res[TARGET].values), "all"]
    return xr.DataArray(p, dims=("candidate", TARGET), coords={TARGET: ids},
                        attrs={"long_name": "probability of meeting the target", "units": "1",
                               "futures": n})
