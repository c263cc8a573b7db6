"""Command-line entry point: ``python -m sdmission <command> …``.

Each subcommand lives in ``sdmission/commands/<name>.py`` and defines ``HELP`` (one line),
``add_arguments(parser)`` and ``run(args) -> int``; a command parses its options, gets its cases
from :func:`sdmission.study.case.prepare`, calls one analysis, writes and prints. Commands never
import each other (shared options: ``sdmission/commands/_options.py``; project folders:
:mod:`sdmission.settings`). Exit codes: 0 success, 1 expected error
(bad input; for ``optimise``: infeasible is 2), 3 unexpected error.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from sdmission import __version__
from sdmission.errors import SdmissionError

# Subcommand modules under sdmission.commands, in the order --help lists them.
COMMANDS: tuple[str, ...] = (
    "run",
    "compare",
    "contributions",
    "plot",
    "validate",
    "calibrate",
    "optimise",
    "ensemble",
    "sensitivity",
    "discover",
    "units",
    "diagram",
    "simulate",
)

EXIT_OK = 0
EXIT_INPUT = 1
EXIT_UNEXPECTED = 3


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m sdmission",
        description="Scenario model for the decarbonisation and circularity of Dutch industry.",
    )
    parser.add_argument("--version", action="version", version=f"sdmission {__version__}")
    parser.add_argument("--debug", action="store_true", help="show tracebacks on errors")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMANDS:
        module = importlib.import_module(f"sdmission.commands.{name}")
        p = sub.add_parser(name, help=module.HELP, description=module.HELP,
                           epilog=getattr(module, "EPILOG", None),
                           formatter_class=argparse.RawDescriptionHelpFormatter)
        module.add_arguments(p)
        p.set_defaults(_run=module.run)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(list(argv) if argv is not None else None)
    if args.command is None:
        parser.print_help()
        return EXIT_INPUT
    try:
        return int(args._run(args))
    except SdmissionError as exc:
        if args.debug:
            raise
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_INPUT
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # noqa: BLE001 - the top-level handler is the one place for this
        if args.debug:
            raise
        print(
            f"unexpected error: {type(exc).__name__}: {exc}\n(run with --debug for the traceback)",
            file=sys.stderr,
        )
        return EXIT_UNEXPECTED
