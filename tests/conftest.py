"""Shared fixtures: the project model and a cached PySD runner (the model is translated once)."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PROJECT_MODEL = ROOT / "models" / "sdmission.mdl"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--regen-figures", action="store_true", default=False,
                     help="rewrite the reference images in tests/data/figures/ (visual regression)")


@pytest.fixture(scope="session")
def regen_figures(request: pytest.FixtureRequest) -> bool:
    return bool(request.config.getoption("--regen-figures"))


@pytest.fixture(scope="session")
def project_model_path() -> Path:
    return PROJECT_MODEL


@pytest.fixture(scope="session", autouse=True)
def _isolated_cache(tmp_path_factory: pytest.TempPathFactory) -> None:
    """Keep the translation cache of a test session out of the user's home."""
    import os

    os.environ.setdefault("SDMISSION_CACHE", str(tmp_path_factory.mktemp("sdmission-cache")))

