"""Screenshot of the explorer for the README (``docs/explore.png``); not a test.

    python tools/explore_screenshot.py [--out docs/explore.png] [--lang en]

Starts the explorer on the ``procurement`` scenario, sets the question of issue #16 — a CO2 levy of
200 EUR/t from 2027 plus doubled innovation procurement (1,200 instead of 600 MEUR/yr by 2030) — and
saves a screenshot taken by headless Chromium (Debian's ``chromium``; no browser download). Prints
the answer (national GHG reduction in 2030 and 2050) as the page shows it.
"""

from __future__ import annotations

import argparse
import shutil
import socket
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", type=Path, default=ROOT / "docs" / "explore.png")
    ap.add_argument("--lang", choices=("en", "nl"), default="en")
    args = ap.parse_args(argv)
    import uvicorn
    from playwright.sync_api import sync_playwright

    from sdmission.explore.app import create_app

    scenarios = ROOT / "scenarios"
    app = create_app(scenarios / "procurement.yaml", scenarios_dir=scenarios,
                     save_dir=Path(tempfile.mkdtemp(prefix="explore-shot-")), lang=args.lang)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    srv = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    threading.Thread(target=srv.run, daemon=True).start()
    while not srv.started:
        time.sleep(0.05)
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=chromium, args=ARGS)
        pg = b.new_page(viewport={"width": 1600, "height": 1000}, device_scale_factor=1)
        pg.goto(f"http://127.0.0.1:{port}/")
        pg.wait_for_selector("[data-testid=target-row-national-ghg-2030]", timeout=60_000)

        def settle(change: object) -> None:
            runs = pg.evaluate("window.__explore.runs")
            change()  # type: ignore[operator]
            pg.wait_for_function(f"window.__explore.runs > {runs} && !window.__explore.inflight")

        pg.fill("[data-testid=lever-co2_levy_tariff-start]", "2027")
        settle(lambda: pg.fill("[data-testid=lever-co2_levy_tariff-level]", "200"))
        pg.fill("[data-testid=lever-innovation_procurement-start]", "2025")
        pg.fill("[data-testid=lever-innovation_procurement-ramp]", "5")
        settle(lambda: pg.click("[data-testid=lever-innovation_procurement-double]"))  # 600 -> 1200
        pg.check("[data-testid=band]")
        pg.wait_for_function("window.__explore.bandRuns > 0 && !window.__explore.bandInflight", timeout=60_000)
        for family in ("finance", "knowledge", "regulation", "governance"):
            pg.evaluate(f"document.querySelector('details[data-family={family}]').open = false")
        pg.evaluate("document.getElementById('controls').scrollTop = 0; window.scrollTo(0, 0)")
        pg.mouse.move(1400, 700)  # the cursor on the charts: the legends show values for one year
        time.sleep(0.3)
        args.out.parent.mkdir(parents=True, exist_ok=True)
        pg.screenshot(path=str(args.out))
        for target in ("national-ghg-2030", "national-ghg-2050"):
            row = pg.inner_text(f"[data-testid=target-row-{target}]")
            print(" | ".join(row.split("\t")))
        b.close()
    srv.should_exit = True
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
