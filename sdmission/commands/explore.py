"""``python -m sdmission explore [SCENARIO]``: move an instrument, see the trajectories redraw."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from sdmission.errors import InputError, Problem, SdmissionError

HELP = "interactive explorer in the browser: levers, trajectories, targets; save as scenario"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("scenario", nargs="?", default="baseline", metavar="SCENARIO",
                        help="starting scenario: a name in the scenarios folder or a .yaml path "
                             "(default: baseline)")
    parser.add_argument("--scenarios-dir", type=Path, default=None,
                        help="folder of named scenarios (default: ./scenarios, else the project's)")
    parser.add_argument("--save-dir", type=Path, default=None,
                        help="where 'save as scenario' writes (default: the starting scenario's folder)")
    parser.add_argument("--targets", default=None, metavar="SET",
                        help="target set drawn first (default: the scenario's own, else 'design')")
    parser.add_argument("--lang", choices=("en", "nl"), default="en", help="page language at start")
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default: 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8050, help="port (default: 8050; 0 = any free port)")


def _scenarios_dir(given: Path | None) -> Path:
    if given is not None:
        return given
    here = Path.cwd() / "scenarios"
    return here if here.is_dir() else Path(__file__).resolve().parents[2] / "scenarios"


def _start_file(name: str, folder: Path) -> Path:
    path = Path(name)
    if path.suffix in (".yaml", ".yml") or path.parent != Path("."):
        if not path.is_file():
            raise InputError([Problem("file not found", path)])
        return path
    for suffix in (".yaml", ".yml"):
        if (folder / f"{name}{suffix}").is_file():
            return folder / f"{name}{suffix}"
    stems = sorted(p.stem for p in folder.glob("*.y*ml"))
    raise InputError([Problem(f"unknown scenario '{name}'; allowed: {', '.join(stems) or 'none in ' + str(folder)}",
                              key="SCENARIO")])


def run(args: argparse.Namespace) -> int:
    try:
        import uvicorn

        from sdmission.explore.app import create_app
    except ImportError as exc:
        raise SdmissionError(f"the explorer needs its extra: pip install -e '.[explore]' ({exc})") from exc
    folder = _scenarios_dir(args.scenarios_dir)
    start = _start_file(args.scenario, folder)
    print(f"loading {start} …", file=sys.stderr, flush=True)
    app = create_app(start, scenarios_dir=folder, save_dir=args.save_dir, targets=args.targets,
                     lang=args.lang)
    config = uvicorn.Config(app, host=args.host, port=args.port, log_level="warning")
    server = uvicorn.Server(config)
    _announce(server, args.host)
    server.run()
    return 0


def _announce(server: object, host: str) -> None:
    """Print the URL once the server listens (the port is known only then when ``--port 0``)."""
    import threading
    import time

    def wait() -> None:
        for _ in range(600):
            if getattr(server, "started", False):
                servers = getattr(server, "servers", [])
                port = next((s.sockets[0].getsockname()[1] for s in servers if s.sockets), None)
                shown = "localhost" if host in ("127.0.0.1", "0.0.0.0", "::1") else host
                print(f"sdmission explorer: http://{shown}:{port}/  (Ctrl+C to stop)", flush=True)
                return
            time.sleep(0.05)

    threading.Thread(target=wait, daemon=True).start()
