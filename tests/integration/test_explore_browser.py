"""The explorer's real page in headless Chromium (Playwright driving Debian's ``chromium``).

No browser is downloaded: the test launches the system's ``chromium`` (``apt-get install -y
chromium``). Where it (or the ``playwright`` package) is missing the test is skipped on a
developer's machine and FAILS in CI (environment variable ``CI`` set), so CI cannot pass without
running it.
"""

from __future__ import annotations

import os
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import xarray as xr

from sdmission.cli import main

ROOT = Path(__file__).resolve().parents[2]
SCENARIOS = ROOT / "scenarios"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
#: Loose bound on one lever change, input event to charts and table redrawn (the aim is < 100 ms on
#: an idle machine; the benchmark benchmarks/bench_explore.py measures it).
REDRAW_BOUND_MS = float(os.environ.get("SDMISSION_EXPLORE_REDRAW_MS", "2000"))


def _chromium() -> str:
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    reason = None
    if path is None:
        reason = "no chromium on PATH (apt-get install -y chromium)"
    else:
        try:
            import playwright.sync_api  # noqa: F401
        except ImportError:
            reason = "the playwright package is not installed (pip install -e '.[test]')"
    if reason is not None:
        if os.environ.get("CI"):
            pytest.fail(f"browser test cannot run in CI: {reason}")
        pytest.skip(reason)
    assert path is not None
    return path


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    _chromium()
    import uvicorn

    from sdmission.explore.app import create_app

    save_dir = tmp_path_factory.mktemp("explore-browser")
    app = create_app(SCENARIOS / "baseline.yaml", scenarios_dir=SCENARIOS, save_dir=save_dir)
    port = _free_port()
    srv = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    for _ in range(400):
        if srv.started:
            break
        time.sleep(0.05)
    assert srv.started, "the explorer's server did not start"
    yield f"http://127.0.0.1:{port}/", save_dir
    srv.should_exit = True
    thread.join(timeout=10)


@pytest.fixture(scope="module")
def page(server: tuple[str, Path]) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=_chromium(), args=CHROMIUM_ARGS)
        pg = browser.new_page(viewport={"width": 1440, "height": 900})
        errors: list[str] = []
        pg.on("pageerror", lambda e: errors.append(str(e)))
        pg.goto(server[0])
        pg.wait_for_selector("[data-testid=target-row-national-ghg-2030]", timeout=60_000)
        yield pg
        assert not errors, errors
        browser.close()


def _settled(pg: Any, runs_before: int) -> None:
    pg.wait_for_function(f"window.__explore.runs > {runs_before} && !window.__explore.inflight",
                         timeout=60_000)


def _row(pg: Any, target: str) -> dict[str, str]:
    return pg.eval_on_selector(f"[data-testid=target-row-{target}]", "el => ({...el.dataset})")


def test_levy_language_save_and_rerun(page: Any, server: tuple[str, Path], tmp_path: Path) -> None:
    pg = page
    years = pg.evaluate("window.__explore.meta.ghost.series.years")
    ghost = pg.evaluate("window.__explore.meta.ghost.series.national_ghg")
    row0 = _row(pg, "national-ghg-2030")
    i2030 = years.index(2030)

    # 1. when: from 2027 (a timing move alone changes nothing), then how much: 200 EUR/t
    pg.fill("[data-testid=lever-co2_levy_tariff-start]", "2027")
    assert pg.evaluate("Object.keys(window.__explore.settings).length") == 0
    runs = pg.evaluate("window.__explore.runs")
    pg.fill("[data-testid=lever-co2_levy_tariff-level]", "200")
    _settled(pg, runs)
    assert pg.evaluate("window.__explore.settings") == {
        "co2_levy_tariff": {"level": 200, "start": 2027, "ramp": 0}}
    now = pg.evaluate("window.__explore.result.series.national_ghg")
    assert now[i2030] < ghost[i2030], "a higher levy must lower national GHG in 2030"
    assert now[: years.index(2027)] == ghost[: years.index(2027)], "nothing changes before 2027"
    row1 = _row(pg, "national-ghg-2030")
    assert float(row1["value"]) > float(row0["value"]), "the 2030 reduction must grow"
    assert pg.get_attribute("[data-testid=lever-co2_levy_tariff]", "class").endswith("changed")
    redraw = pg.evaluate("window.__explore.lastRedrawMs")
    assert 0 < redraw < REDRAW_BOUND_MS, f"lever change took {redraw:.0f} ms end to end"

    # 2. doubled procurement: the x2 button doubles the starting scenario's value (5 MEUR/yr)
    runs = pg.evaluate("window.__explore.runs")
    pg.click("[data-testid=lever-innovation_procurement-double]")
    _settled(pg, runs)
    assert pg.evaluate("window.__explore.settings.innovation_procurement.level") == 10
    assert pg.input_value("[data-testid=lever-innovation_procurement-level-num]") == "10"

    # 2b. the optional uncertainty band: sampled futures around the explored path
    pg.check("[data-testid=band]")
    pg.wait_for_function("window.__explore.bandRuns > 0 && !window.__explore.bandInflight", timeout=60_000)
    band = pg.evaluate("window.__explore.band")
    assert band["members"] == 20
    assert all(lo <= hi for lo, hi in zip(band["national_ghg"]["p05"], band["national_ghg"]["p95"], strict=True))
    pg.uncheck("[data-testid=band]")

    # 3. language: Dutch labels, same settings and numbers
    runs = pg.evaluate("window.__explore.runs")
    pg.click("[data-testid=lang-nl]")
    pg.wait_for_function("document.getElementById('targets-title').textContent === 'Doelen'")
    _settled(pg, runs)
    assert "Tarief CO₂-heffing" in pg.inner_text("[data-testid=lever-co2_levy_tariff]")
    assert "gehaald" in pg.inner_text("[data-testid=target-panel]")
    assert len(pg.evaluate("window.__explore.settings")) == 2

    # 4. save as scenario, then `python -m sdmission run` on the file: the same numbers
    explored = pg.evaluate("window.__explore.result.series")
    pg.click("[data-testid=save-open]")
    pg.fill("[data-testid=save-name]", "browser-levy")
    pg.fill("[data-testid=save-description]", "Levy 200 EUR/t from 2027 and doubled procurement.")
    pg.click("[data-testid=save-button]")
    pg.wait_for_selector("[data-testid=save-result][data-path]")
    path = Path(pg.get_attribute("[data-testid=save-result]", "data-path"))
    assert path == server[1] / "browser-levy.yaml"
    out = tmp_path / "results"
    assert main(["run", str(path), "--out", str(out)]) == 0
    with xr.open_dataset(out / "browser-levy.nc") as ds:
        # the explorer's C path and run's numpy path agree within rtol 1e-9 (test_batch_agreement)
        np.testing.assert_allclose(ds["national_ghg"].values, np.asarray(explored["national_ghg"]), rtol=1e-9, atol=0)
        np.testing.assert_allclose(ds["circular_share"].values, np.asarray(explored["circular_share"]), rtol=1e-9,
                                   atol=0)

    # 5. a user's scenario file as the start: the one just saved, which already has the levy
    pg.fill("[data-testid=open-path]", str(path))
    pg.click("[data-testid=open-button]")
    pg.wait_for_function("window.__explore.meta.scenario.name === 'browser-levy'")
    assert pg.evaluate("Object.keys(window.__explore.settings).length") == 0
    assert pg.evaluate("window.__explore.meta.ghost.series.national_ghg") == explored["national_ghg"]
    pg.select_option("[data-testid=scenario]", "baseline")
    pg.wait_for_function("window.__explore.meta.scenario.name === 'baseline'")

    # 6. reset all: back to the starting scenario
    pg.fill("[data-testid=lever-co2_levy_tariff-level-num]", "250")
    pg.dispatch_event("[data-testid=lever-co2_levy_tariff-level-num]", "change")
    pg.wait_for_function("Object.keys(window.__explore.settings).length === 1")
    runs = pg.evaluate("window.__explore.runs")
    pg.click("[data-testid=reset-all]")
    _settled(pg, runs)
    assert pg.evaluate("window.__explore.result.series.national_ghg") == ghost
