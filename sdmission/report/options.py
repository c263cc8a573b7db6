"""The figure options every command that draws shares: ``--lang en|nl`` and ``--title/--no-title``.

Kept apart from the drawing modules (no matplotlib import), so a command's ``--help`` stays fast.
"""

from __future__ import annotations

import argparse

from sdmission.report.labels import LANGS


def add_figure_arguments(parser: argparse.ArgumentParser) -> None:
    """Add ``--lang`` (default ``en``) and ``--title/--no-title`` (default ``--no-title``)."""
    parser.add_argument("--lang", default="en", choices=LANGS,
                        help="language of the figures' texts (default: %(default)s)")
    parser.add_argument("--title", action=argparse.BooleanOptionalAction, default=False,
                        help="titles on the figures (default: --no-title; report authors write "
                             "their own captions)")
