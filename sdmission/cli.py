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
    "responses",
    "plot",
    "validate",
    "scenarios",
    "levers",
    "calibrate",
    "optimise",
    "ensemble",
    "sensitivity",
    "discover",
    "units",
    "diagram",
    "simulate",
    "explore",
)

#: ``--help`` examples of the commands whose module defines no ``EPILOG``.
EXAMPLES: dict[str, tuple[str, ...]] = {
    "explore": ("python -m sdmission explore", "python -m sdmission explore mission-mix --lang nl"),
    "run": ("python -m sdmission run", "python -m sdmission run baseline mission-mix --plots",
            "python -m sdmission run scenarios/my-case.yaml --engine pysd --out results/check"),
    "validate": ("python -m sdmission validate scenarios/*.yaml",
                 "python -m sdmission validate scenarios/my-case.yaml --no-model"),
    "calibrate": ("python -m sdmission calibrate", "python -m sdmission calibrate --fit",
                  "python -m sdmission calibrate --fit-window 2015 2019 --holdout 2020 2023"),
    "optimise": ("python -m sdmission optimise mission-mix",
                 "python -m sdmission optimise scenarios/mission-mix.yaml --no-pareto --seed 2"),
    "ensemble": ("python -m sdmission ensemble baseline mission-mix --members 200",
                 "python -m sdmission ensemble baseline --members 1000 --sampler sobol --seed 1"),
    "sensitivity": ("python -m sdmission sensitivity baseline --members 64",),
    "discover": ("python -m sdmission discover results/ensembles/ensemble.nc",
                 "python -m sdmission discover results/ensembles/ensemble.nc --scenario mission-mix "
                 "--target national-ghg-2030"),
    "units": ("python -m sdmission units", "python -m sdmission units models/sdmission.mdl"),
    "diagram": ("python -m sdmission diagram", "python -m sdmission diagram --format png"),
    "simulate": ("python -m sdmission simulate models/sdmission.mdl",
                 "python -m sdmission simulate models/sdmission.mdl --set co2_levy_tariff=150 "
                 "--final-time 2040 --out /tmp/levy.nc"),
}

EXIT_OK = 0
EXIT_INPUT = 1
EXIT_UNEXPECTED = 3


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m sdmission",
        description="Scenario model for the decarbonisation and circularity of Dutch industry.",
    )
    parser.add_argument("--version", action="version", version=f"sdmission {__version__}")
    parser.add_argument("--debug", action="store_true",
                        help="show tracebacks on errors (accepted anywhere on the command line)")
    parser.add_argument("--quiet", "-q", action="store_true",
                        help="no progress bars (accepted anywhere; bars are drawn only on a terminal)")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMANDS:
        module = importlib.import_module(f"sdmission.commands.{name}")
        p = sub.add_parser(name, help=module.HELP, description=module.HELP,
                           epilog=_epilog(name, module),
                           formatter_class=argparse.RawDescriptionHelpFormatter)
        module.add_arguments(p)
        p.set_defaults(_run=module.run)
    return parser


def _epilog(name: str, module: object) -> str | None:
    own = getattr(module, "EPILOG", None)
    if own is not None or name not in EXAMPLES:
        return own
    return "examples:\n" + "\n".join(f"  {line}" for line in EXAMPLES[name])


#: Options of every command, accepted anywhere on the command line (before a ``--``).
GLOBAL_FLAGS: dict[str, str] = {"--debug": "debug", "--quiet": "quiet", "-q": "quiet"}


def split_flags(argv: Sequence[str]) -> tuple[list[str], set[str]]:
    """``argv`` without the :data:`GLOBAL_FLAGS` (anywhere before a ``--``) and the names of those
    that were there (``{"debug", "quiet"}``)."""
    args = list(argv)
    end = args.index("--") if "--" in args else len(args)
    found = {GLOBAL_FLAGS[a] for a in args[:end] if a in GLOBAL_FLAGS}
    return [a for i, a in enumerate(args) if not (i < end and a in GLOBAL_FLAGS)], found


#: Commands whose ``--out`` is a file (with its suffix); every other ``--out`` is a folder.
OUT_FILES: dict[str, str] = {"simulate": ".nc"}


def check_out(args: argparse.Namespace) -> None:
    """Check ``--out`` before the command does any work (issue #13: found only after simulating)."""
    from sdmission.io import check_output_file, check_output_folder

    out = getattr(args, "out", None)
    if out is None:
        return
    if args.command in OUT_FILES:
        check_output_file(out, "--out", OUT_FILES[args.command])
    else:
        check_output_folder(out, "--out")


def _report(exc: BaseException) -> str:
    """The one-line cause of a known failure (exit 1), or '' for a real bug (exit 3)."""
    if isinstance(exc, SdmissionError):
        return str(exc)
    if isinstance(exc, OSError) and exc.filename is not None:  # a file the user named or a full disk
        return f"{exc.filename}: {exc.strerror or exc}"
    if isinstance(exc, MemoryError):
        return ("out of memory; the run is larger than this machine can hold (fewer members, "
                "variables or years)")
    return ""


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    rest, flags = split_flags(list(argv) if argv is not None else sys.argv[1:])
    args = parser.parse_args(rest)
    args.debug = args.debug or "debug" in flags
    args.quiet = args.quiet or "quiet" in flags
    if args.command is None:
        parser.print_help()
        return EXIT_INPUT
    try:
        check_out(args)
        return int(args._run(args))
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # noqa: BLE001 - the top-level handler is the one place for this
        if args.debug:
            raise
        known = _report(exc)
        if known:
            print(f"error: {known}", file=sys.stderr)
            return EXIT_INPUT
        print(
            f"unexpected error: {type(exc).__name__}: {exc}\n(run with --debug for the traceback)",
            file=sys.stderr,
        )
        return EXIT_UNEXPECTED
