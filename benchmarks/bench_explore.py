"""How fast the explorer redraws after a lever change (not a test; run it by hand).

    python benchmarks/bench_explore.py [--scenario scenarios/baseline.yaml] [--moves 30] [--no-browser]

Starts the explorer's app in this process (uvicorn on a free loopback port) and times, for
``--moves`` changes of the CO2 levy (a different level each time, from 2027):

1. **engine**: the model run alone (``Runner.run``: the changed inputs, the drawn outputs);
2. **server**: ``/api/run`` inside the server: settings -> scenario -> run -> series and targets;
3. **HTTP**: one ``POST /api/run`` round trip from a client on the same machine;
4. **browser** (headless Chromium, when ``chromium`` and ``playwright`` are installed): the page's
   own measurement from the slider's ``input`` event to both the charts and the target panel
   redrawn (``window.__explore.lastRedrawMs``) — the number the < 100 ms aim is about.

Prints median and 90th percentile per stage, the CPU time of the engine and server stages (about
their wall time on an idle machine) and the load average: on the shared 2-core development machine
wall times grow with the number of other jobs.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import shutil
import socket
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]


def _stats(name: str, ms: list[float]) -> str:
    ms = sorted(ms)
    p90 = ms[min(len(ms) - 1, int(round(0.9 * (len(ms) - 1))))]
    return f"| {name} | {len(ms)} | {statistics.median(ms):.1f} | {p90:.1f} | {ms[0]:.1f} |"


def _levels(n: int) -> list[float]:
    return [float(150 + (37 * k) % 250) for k in range(n)]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--scenario", type=Path, default=ROOT / "scenarios" / "baseline.yaml")
    ap.add_argument("--moves", type=int, default=30)
    ap.add_argument("--no-browser", action="store_true")
    args = ap.parse_args(argv)

    import uvicorn

    from sdmission.explore.app import create_app
    from sdmission.explore.explorer import Explorer

    levels = _levels(args.moves)
    # 1. engine alone
    ex = Explorer(args.scenario)
    engine_ms: list[float] = []
    engine_cpu: list[float] = []
    for lev in levels:
        scn = ex.scenario_for({"co2_levy_tariff": {"level": lev, "start": 2027, "ramp": 0}})
        t, cpu = time.perf_counter(), time.thread_time()
        ex.runner.run(scn)
        engine_ms.append(1000 * (time.perf_counter() - t))
        engine_cpu.append(1000 * (time.thread_time() - cpu))

    # 2./3. server and HTTP
    app = create_app(args.scenario, scenarios_dir=args.scenario.parent,
                     save_dir=Path(tempfile.mkdtemp(prefix="bench-explore-")))
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    srv = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    while not srv.started:
        time.sleep(0.05)
    conn = http.client.HTTPConnection("127.0.0.1", port)
    http_ms: list[float] = []
    server_ms: list[float] = []
    server_cpu: list[float] = []
    for lev in levels:
        body = json.dumps({"settings": {"co2_levy_tariff": {"level": lev, "start": 2027, "ramp": 0}}})
        t = time.perf_counter()
        conn.request("POST", "/api/run", body, {"Content-Type": "application/json"})
        res = json.loads(conn.getresponse().read())
        http_ms.append(1000 * (time.perf_counter() - t))
        server_ms.append(res["timing_ms"]["total"])
        server_cpu.append(res["timing_ms"]["cpu"])

    # 4. the page in headless Chromium
    browser_ms: list[float] = []
    draw_ms: list[float] = []
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if not args.no_browser and chromium:
        from playwright.sync_api import sync_playwright

        with sync_playwright() as p:
            b = p.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
            pg = b.new_page(viewport={"width": 1440, "height": 900})
            pg.goto(f"http://127.0.0.1:{port}/")
            pg.wait_for_selector("[data-testid=target-row-national-ghg-2030]", timeout=60_000)
            pg.fill("[data-testid=lever-co2_levy_tariff-start]", "2027")
            for lev in levels:
                runs = pg.evaluate("window.__explore.runs")
                pg.fill("[data-testid=lever-co2_levy_tariff-level]", str(int(lev)))
                pg.wait_for_function(f"window.__explore.runs > {runs} && !window.__explore.inflight")
                browser_ms.append(float(pg.evaluate("window.__explore.lastRedrawMs")))
                draw_ms.append(float(pg.evaluate("window.__explore.lastDrawMs")))
            b.close()
    srv.should_exit = True
    thread.join(timeout=10)

    load = os.getloadavg()
    print(f"explorer redraw after a CO2-levy change, {args.scenario.name}, {os.cpu_count()} cores, "
          f"load average {load[0]:.1f} / {load[1]:.1f} / {load[2]:.1f}")
    print("| stage | moves | median ms | p90 ms | min ms |")
    print("|---|---:|---:|---:|---:|")
    print(_stats("engine run (Runner.run)", engine_ms))
    print(_stats("  its CPU time (about the wall time on an idle machine)", engine_cpu))
    print(_stats("server /api/run (run + series + targets)", server_ms))
    print(_stats("  its CPU time", server_cpu))
    print(_stats("HTTP round trip", http_ms))
    if browser_ms:
        print(_stats("browser: input event -> charts + table redrawn", browser_ms))
        print(_stats("  of which drawing (4 uPlot charts + target table)", draw_ms))
    else:
        print("| browser | - | (no chromium/playwright, or --no-browser) | | |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
