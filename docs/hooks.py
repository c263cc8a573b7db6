"""MkDocs hook: generate docs/parameters.md from models/parameters.csv before every build."""

from __future__ import annotations

from typing import Any

from sdmission.report.tables import write_parameter_page


def on_pre_build(config: Any, **kwargs: Any) -> None:
    write_parameter_page()
