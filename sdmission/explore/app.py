"""The explorer's web app: a Starlette (ASGI) app serving one static page and a small JSON API.

Routes
------
``GET  /``                  the page (``static/index.html``; charts drawn by the vendored uPlot)
``GET  /api/meta``          ``?scenario=KEY&lang=en|nl``: controls, families, labels, target sets,
                            scenarios, colours, and the starting scenario's run
``POST /api/run``           ``{scenario, settings, targets}``: series and the target panel
``POST /api/band``          ``{scenario, settings, members}``: 5-95 % of national GHG and the
                            circular share over sampled futures (the optional uncertainty band)
``POST /api/save``          ``{scenario, settings, targets, name, description, overwrite}``: writes
                            a scenario YAML that extends the starting one
``POST /api/open``          ``{path}``: add a user scenario file to the list

``settings`` is ``{lever: {level, start, ramp}}`` for the changed controls only. Errors the user can
fix answer 422 with ``{"errors": [text, …]}``.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from sdmission.errors import InputError, SdmissionError
from sdmission.explore import backend
from sdmission.explore import levers as lv
from sdmission.explore.explorer import Explorer

STATIC = Path(__file__).parent / "static"

#: Page texts sent to the client (keys of :mod:`sdmission.report.labels`).
UI_KEYS: tuple[str, ...] = (
    "explore.title", "explore.start_scenario", "explore.open", "explore.open_placeholder", "explore.target_set", "explore.language",
    "explore.level", "explore.start", "explore.ramp", "explore.marker", "explore.reset",
    "explore.reset_all", "explore.changed", "explore.ghost", "explore.current", "explore.redraw",
    "explore.save", "explore.name", "explore.description", "explore.saved", "explore.targets",
    "explore.col_target", "explore.col_value", "explore.col_start", "explore.col_met",
    "explore.col_first", "explore.col_gap", "explore.met", "explore.not_met", "explore.never",
    "explore.total", "explore.band_toggle", "explore.band",
    "title.ghg", "title.wedges", "title.circular", "title.cost", "axis.ghg", "axis.meur",
    "axis.year", "axis.share", "var.national_ghg", "legend.level_1990", "legend.target",
    "legend.non_co2", "legend.captured", "legend.net_total", "legend.net_zero",
)


class State:
    """Scenarios on offer and one :class:`Explorer` per starting scenario (built on first use)."""

    def __init__(self, start: Path, *, scenarios_dir: Path, save_dir: Path, engine: backend.EngineName,
                 targets: str | None, lang: str):
        self.scenarios_dir = scenarios_dir
        self.save_dir = save_dir
        self.engine = engine
        self.lang = lang
        self.extra: list[Path] = [start.resolve()]
        self.lock = threading.Lock()
        self._explorers: dict[Path, Explorer] = {}
        self._files: dict[str, Path] | None = None
        self.start_key = self.key_of(start.resolve())
        self.targets = targets

    def files(self, refresh: bool = True) -> dict[str, Path]:
        """``{key: path}`` of every scenario on offer (the folder's, the save folder's, opened ones).

        Listing reads every file of the folders; a lever change uses the last listing instead.
        """
        if not refresh and self._files is not None:
            return self._files
        paths: list[Path] = []
        for folder in dict.fromkeys([self.scenarios_dir.resolve(), self.save_dir.resolve()]):
            paths += [p.resolve() for p in backend.list_scenarios(folder)]
        paths += self.extra
        out: dict[str, Path] = {}
        for p in dict.fromkeys(paths):
            key = p.stem if p.stem not in out else str(p)
            out[key] = p
        self._files = out
        return out

    def key_of(self, path: Path) -> str:
        """The key a file is listed under."""
        for refresh in (False, True):
            for key, p in self.files(refresh=refresh).items():
                if p == path:
                    return key
        raise InputError([backend.Problem(f"not a scenario on offer: {path}")])

    def explorer(self, key: str | None) -> Explorer:
        """The explorer of a listed scenario (the start scenario when ``key`` is None)."""
        key = key or self.start_key
        files = self.files(refresh=False)
        if key not in files:
            files = self.files()
        if key not in files:
            raise InputError([backend.Problem(f"unknown scenario '{key}'; allowed: {', '.join(files)}",
                                              key="scenario")])
        path = files[key]
        if path not in self._explorers:
            self._explorers[path] = Explorer(path, engine=self.engine)
        return self._explorers[path]


def _error(exc: SdmissionError, status: int = 422) -> JSONResponse:
    if isinstance(exc, InputError):
        return JSONResponse({"errors": [p.message if p.file is None else str(p) for p in exc.problems]},
                            status_code=status)
    return JSONResponse({"errors": [str(exc)]}, status_code=status)


async def _body(request: Request) -> dict[str, Any]:
    try:
        data = await request.json()
    except ValueError as exc:
        raise InputError([backend.Problem(f"request body is not JSON ({exc})")]) from exc
    if not isinstance(data, dict):
        raise InputError([backend.Problem("request body must be a JSON object")])
    return data


def _settings(data: dict[str, Any]) -> dict[str, Any]:
    settings = data.get("settings") or {}
    if not isinstance(settings, dict):
        raise InputError([backend.Problem("settings must be an object {lever: {level, start, ramp}}")])
    return settings


def create_app(start: Path, *, scenarios_dir: Path, save_dir: Path | None = None,
               engine: backend.EngineName = "batch",
               targets: str | None = None, lang: str = "en") -> Starlette:
    """The explorer app for a starting scenario file.

    Parameters
    ----------
    start
        Starting scenario file.
    scenarios_dir
        Folder whose scenarios the page offers.
    save_dir
        Where "save as scenario" writes (default: the starting scenario's folder).
    engine
        ``batch`` (default), ``auto`` or ``pysd`` (:mod:`sdmission.model.engines.factory`; PySD takes
        seconds per change).
    targets
        Target set drawn first (default: the starting scenario's).
    lang
        Language the page opens in.
    """
    state = State(start, scenarios_dir=scenarios_dir, save_dir=save_dir or start.resolve().parent,
                  engine=engine, targets=targets, lang=backend.labels.check_lang(lang))
    state.explorer(None)  # load the model and run the start scenario before the URL is printed

    app = Starlette(routes=ROUTES)
    app.state.explore = state
    return app


def _state(request: Request) -> State:
    state: State = request.app.state.explore
    return state


async def index(request: Request) -> Response:
    return FileResponse(STATIC / "index.html", headers={"Cache-Control": "no-store"})


async def meta(request: Request) -> Response:
    state = _state(request)
    lang = request.query_params.get("lang") or state.lang
    try:
        lang = backend.labels.check_lang(lang)
        with state.lock:
            ex = state.explorer(request.query_params.get("scenario") or None)
            key = state.key_of(ex.start_path)
            sets = backend.target_sets()
            tset = request.query_params.get("targets") or state.targets or ex.scenario.targets
            ev = ex.evaluate({}, tset)
    except SdmissionError as exc:
        return _error(exc)
    files = state.files()
    return JSONResponse({
        "lang": lang, "langs": list(backend.LANGS),
        "scenario": {"key": key, "name": ex.scenario.name, "file": str(ex.start_path),
                     "label": backend.scenario_label(ex.scenario.name, lang),
                     "description": ex.scenario.description, "targets": ex.scenario.targets},
        "scenarios": [{"key": k, "label": backend.scenario_label(p.stem, lang), "file": str(p)}
                      for k, p in files.items()],
        "target_sets": [{"name": n, "description": s.description} for n, s in sets.items()],
        "target_set": tset,
        "families": [{"id": f, "label": backend.text(f"family.{f}", lang)} for f in lv.FAMILY_ORDER],
        "controls": ex.controls_meta(lang),
        "ui": {k: backend.text(k, lang) for k in UI_KEYS},
        "routes": [{"id": r, "label": backend.element_label("route", r, lang)}
                   for r in ev["series"]["routes"]],
        "instruments": [{"id": i, "label": backend.element_label("instrument", i, lang)}
                        for i in ev["series"]["public_cost"]],
        "palettes": backend.palettes(),
        "reference": backend.reference_levels(),
        "save_dir": str(state.save_dir),
        "ghost": ev,
    })


async def run(request: Request) -> Response:
    state = _state(request)
    try:
        data = await _body(request)
        with state.lock:
            ex = state.explorer(data.get("scenario"))
            out = ex.evaluate(_settings(data), str(data.get("targets") or ex.scenario.targets))
    except SdmissionError as exc:
        return _error(exc)
    return JSONResponse(out)


async def band(request: Request) -> Response:
    state = _state(request)
    try:
        data = await _body(request)
        members = data.get("members", 20)
        if not isinstance(members, int) or isinstance(members, bool) or not 2 <= members <= 200:
            raise InputError([backend.Problem(f"members must be a whole number in [2, 200], given {members!r}")])
        with state.lock:
            ex = state.explorer(data.get("scenario"))
            out = ex.band(_settings(data), members)
    except SdmissionError as exc:
        return _error(exc)
    return JSONResponse(out)


async def save(request: Request) -> Response:
    state = _state(request)
    try:
        data = await _body(request)
        with state.lock:
            ex = state.explorer(data.get("scenario"))
            path, text = ex.save(_settings(data), name=str(data.get("name") or ""),
                                 description=str(data.get("description") or ""),
                                 target_set=data.get("targets"), save_dir=state.save_dir,
                                 overwrite=bool(data.get("overwrite")))
    except SdmissionError as exc:
        return _error(exc)
    return JSONResponse({"path": str(path), "yaml": text, "key": state.key_of(path)})


async def open_file(request: Request) -> Response:
    state = _state(request)
    try:
        data = await _body(request)
        path = Path(str(data.get("path") or "")).expanduser().resolve()
        if not path.is_file():
            raise InputError([backend.Problem(f"file not found: {path}", key="path")])
        with state.lock:
            if path not in state._explorers:  # reports every problem of the file now
                state._explorers[path] = Explorer(path, engine=state.engine)
            if path not in state.extra:
                state.extra.append(path)
            key = state.key_of(path)
    except SdmissionError as exc:
        return _error(exc)
    return JSONResponse({"key": key})


async def favicon(request: Request) -> Response:
    return Response(status_code=204)


ROUTES = [
    Route("/", index),
    Route("/favicon.ico", favicon),
    Route("/api/meta", meta),
    Route("/api/run", run, methods=["POST"]),
    Route("/api/band", band, methods=["POST"]),
    Route("/api/save", save, methods=["POST"]),
    Route("/api/open", open_file, methods=["POST"]),
    Mount("/static", StaticFiles(directory=STATIC), name="static"),
]
