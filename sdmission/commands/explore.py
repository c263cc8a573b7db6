"""``python -m sdmission explore [SCENARIO]``: move an instrument, see the trajectories redraw."""

from __future__ import annotations

import argparse
import sys
import threading
import time
from pathlib import Path

from sdmission.commands._options import add_engine, add_scenarios_dir, settings_of
from sdmission.errors import SdmissionError
from sdmission.study.case import resolve_scenarios

HELP = "interactive explorer in the browser: levers, trajectories, targets; save as scenario"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("scenario", nargs="?", default="baseline", metavar="SCENARIO",
                        help="starting scenario: a name in the scenarios folder or a .yaml path "
                             "(default: baseline)")
    add_scenarios_dir(parser)
    add_engine(parser, "batch")
    parser.add_argument("--save-dir", type=Path, default=None,
                        help="where 'save as scenario' writes (default: the starting scenario's folder)")
    parser.add_argument("--targets", default=None, metavar="SET",
                        help="target set drawn first (default: the scenario's own, else 'design')")
    parser.add_argument("--lang", choices=("en", "nl"), default="en", help="page language at start")
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default: 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8050, help="port (default: 8050; 0 = any free port)")


def run(args: argparse.Namespace) -> int:
    try:
        import uvicorn

        from sdmission.explore.app import create_app
    except ImportError as exc:
        raise SdmissionError(f"the explorer needs its extra: pip install -e '.[explore]' ({exc})") from exc
    folder = settings_of(args).scenarios_dir
    start = resolve_scenarios([args.scenario], folder)[0]
    print(f"loading {start} …", file=sys.stderr, flush=True)
    app = create_app(start, scenarios_dir=folder, save_dir=args.save_dir, engine=args.engine,
                     targets=args.targets, lang=args.lang)
    server = uvicorn.Server(uvicorn.Config(app, host=args.host, port=args.port, log_level="warning"))
    threading.Thread(target=_announce, args=(server, args.host), daemon=True).start()
    try:
        server.run()
    except SystemExit as exc:  # uvicorn exits when it cannot listen
        raise SdmissionError(f"cannot listen on {args.host}:{args.port} (in use?); "
                             "choose another --port, or --port 0 for any free one") from exc
    return 0


def _announce(server: object, host: str) -> None:
    """Print the URL once the server listens (the port is known only then when ``--port 0``)."""
    for _ in range(6000):
        if getattr(server, "started", False):
            servers = getattr(server, "servers", [])
            port = next((s.sockets[0].getsockname()[1] for s in servers if s.sockets), None)
            shown = "localhost" if host in ("127.0.0.1", "0.0.0.0", "::1") else host
            print(f"sdmission explorer: http://{shown}:{port}/  (Ctrl+C to stop)", flush=True)
            return
        time.sleep(0.05)
