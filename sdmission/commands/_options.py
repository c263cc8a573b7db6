"""Argument helpers shared by the subcommands (not a command: ``cli`` does not list it).

Every command that reads scenarios gets the same ``--scenarios-dir`` and ``--engine`` options, and
the same defaults from :mod:`sdmission.settings`.
"""

from __future__ import annotations

import argparse
import shlex
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from sdmission.model.engines.factory import ENGINE_CHOICES, ENGINE_HELP
from sdmission.settings import Settings, discover

if TYPE_CHECKING:
    from tqdm import tqdm

T = TypeVar("T")


def add_engine(parser: argparse.ArgumentParser, default: str) -> None:
    """``--engine auto|batch|pysd`` (the same meaning in every command)."""
    parser.add_argument("--engine", choices=ENGINE_CHOICES, default=default,
                        help=f"simulation engine (default {default}); {ENGINE_HELP}")


def add_scenarios_dir(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--scenarios-dir", type=Path, default=None,
                        help="folder of named scenarios (default: scenarios/ in the project folder: "
                             "the working directory or its nearest parent that has one)")


def add_out(parser: argparse.ArgumentParser, what: str = "results/runs/") -> None:
    parser.add_argument("--out", type=Path, default=None,
                        help=f"output folder (default: {what} in the project folder)")


def settings_of(args: argparse.Namespace) -> Settings:
    """The settings seen from the working directory, with ``--scenarios-dir`` when given."""
    return discover(scenarios_dir=getattr(args, "scenarios_dir", None))


def command_line(default: str | None) -> str | None:
    """This process's command line for provenance (``default`` when called without arguments)."""
    return "python -m sdmission " + shlex.join(sys.argv[1:]) if sys.argv[1:] else default


def add_ensemble_arguments(parser: argparse.ArgumentParser, *, many: bool = True) -> None:
    """Arguments shared by ``ensemble`` and ``sensitivity``."""
    parser.add_argument("scenarios", nargs="+" if many else 1, metavar="SCENARIO",
                        help="scenario name (in the scenarios folder) or path to a .yaml file")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    add_out(parser, "results/ensembles/, for sensitivity results/sensitivity/,")
    add_scenarios_dir(parser)
    add_engine(parser, "auto")
    parser.add_argument("--scheduler", default=None, metavar="ADDRESS",
                        help="Dask scheduler address (tcp://host:8786); default: in-process")
    parser.add_argument("--chunk-size", type=int, default=50, metavar="K",
                        help="members per chunk: one engine call, one saved file (default 50)")
    parser.add_argument("--targets", default=None, metavar="SET",
                        help="target set (default: each scenario's own)")


def _stderr_is_tty() -> bool:
    """Whether stderr is a terminal (progress bars are drawn only there)."""
    return sys.stderr.isatty()


def progress_on(args: argparse.Namespace) -> bool:
    """Progress bars on stderr: only on a terminal and without ``--quiet``."""
    return not getattr(args, "quiet", False) and _stderr_is_tty()


def progress_bar(args: argparse.Namespace, iterable: Iterable[T] | None = None, *,
                 total: int | None = None, desc: str, unit: str) -> tqdm[T]:
    """The one progress bar of every command: tqdm on stderr with count, rate and ETA; off when
    stderr is not a terminal or with ``--quiet`` (:func:`progress_on`)."""
    from tqdm import tqdm

    return tqdm(iterable, total=total, desc=desc, unit=unit, file=sys.stderr, dynamic_ncols=True,
                disable=not progress_on(args))


class ChunkBar:
    """``on_chunk`` callback of :func:`sdmission.analysis.ensemble.run_ensemble`: one tqdm bar over
    every chunk of every scenario (rate and ETA), on stderr (see :func:`progress_bar`)."""

    def __init__(self, args: argparse.Namespace, total: int, desc: str) -> None:
        self.bar: Any = progress_bar(args, total=total, desc=desc, unit="chunk")

    def __call__(self, status: str, scenario: str, index: int, n: int) -> None:
        self.bar.set_postfix_str(f"{scenario} {index + 1}/{n} {status}", refresh=False)
        self.bar.update(1)

    def close(self) -> None:
        self.bar.close()
