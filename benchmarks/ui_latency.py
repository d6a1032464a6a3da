"""Time from choosing a client in Chromium to its gauge and waterfall drawn (median over ~20 clients),
and from a what-if change (a new amount, Enter) to the simulated gauge redrawn.

    .venv/bin/python -m benchmarks.ui_latency --model-dir /path/to/model [--clients 20]
    .venv/bin/python -m benchmarks.ui_latency --model-dir artifacts/model --data-dir data/demo --what-if 20

Starts the dashboard in-process (sign-in switched off), drives headless Chromium through
the client-number search box, and for each client measures, with the page's own clock,
from the mouse press on the suggestion until the gauge shows that client's probability and
the waterfall's bars add up to it (checked on every animation frame, so WebDriver's own
round trips are not counted). The first client (cold caches, first plotly draw) is
reported apart, then the server time of each callback, to show where the time goes.
"""
from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import threading
import time

from selenium import webdriver
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from werkzeug.serving import make_server

from layouts import ids

# Arms a watcher: time of the next mouse press, then of the first animation frame where the
# gauge shows `want` (its text, French format) and the waterfall's bars sum to `end` (%).
JS_ARM = """
const [want, end] = arguments;
window.__uiLatency = null;
let pressed = null;
document.addEventListener('mousedown', () => { pressed = performance.now(); }, {capture: true, once: true});
function check() {
  if (pressed !== null) {
    const n = document.querySelector('#%s .number');
    const w = document.querySelector('#%s .js-plotly-plot');
    const x = w && w.data && w.data[0] && w.data[0].type === 'waterfall' ? w.data[0].x : null;
    const shown = n ? parseFloat(n.textContent.replace(/[\\s\\u202f\\u00a0%%]/g, '').replace(',', '.')) : NaN;
    const sum = x ? x.slice(0, -1).reduce((a, b) => a + b, 0) : NaN;
    if (Math.abs(shown - want) < 0.051 && Math.abs(sum - end) < 0.05) {
      window.__uiLatency = performance.now() - pressed;
      return;
    }
  }
  requestAnimationFrame(check);
}
requestAnimationFrame(check);
""" % (ids.GAUGE, ids.WATERFALL)  # noqa: UP031 - JavaScript: %s keeps its braces as they are


# Arms a watcher for the what-if: time of the next Enter in an amount box, then of the first
# animation frame where the simulated gauge shows `want`.
JS_ARM_WHAT_IF = """
const [want] = arguments;
window.__uiLatency = null;
let pressed = null;
document.addEventListener('keydown', (e) => { if (e.key === 'Enter') pressed = performance.now(); },
                          {capture: true, once: true});
function check() {
  if (pressed !== null) {
    const n = document.querySelector('#%s .number');
    const shown = n ? parseFloat(n.textContent.replace(/[\\s\\u202f\\u00a0%%]/g, '').replace(',', '.')) : NaN;
    if (Math.abs(shown - want) < 0.051) { window.__uiLatency = performance.now() - pressed; return; }
  }
  requestAnimationFrame(check);
}
requestAnimationFrame(check);
""" % ids.SIM_GAUGE  # noqa: UP031 - JavaScript: %s keeps its braces as they are


def what_if(driver, app, port: int, changes: int) -> list[float]:
    """Seconds from Enter in the amount box to the simulated gauge showing the expected PD.

    Each change is a new amount for a refused or referred client; the expected PD is computed
    beforehand by the same Simulator, so the watcher knows which number to wait for.
    """
    from app import services_of
    from model.simulation import CREDIT

    services = services_of(app.server)
    scorer, simulator = services.scorer, services.simulator
    pds = scorer.scores["PROBABILITY"].reindex(scorer.population.index).to_numpy()
    clients = scorer.population.index[scorer.rule.decide_all(pds) != "granted"][:3]
    times = []
    for client in clients:
        driver.get(f"http://127.0.0.1:{port}/?client={int(client)}")
        _wait(lambda: driver.find_element(By.ID, ids.tab("simulate")).is_displayed())
        driver.execute_script("arguments[0].click()", driver.find_element(By.ID, ids.tab("simulate")))
        box = _wait(lambda: driver.find_element(By.ID, ids.lever(CREDIT)))
        _wait(lambda b=box: b.get_attribute("value"))
        asked = float(box.get_attribute("value"))
        shown = round(simulator.simulate(int(client), {}).score.probability * 100, 1)
        measured, k = 0, 0
        while measured < changes // len(clients) + 1 and k < 200:
            k += 1
            amount = round(asked * (1.0 - 0.9 * ((k * 0.37) % 1.0)), 0)
            want = round(simulator.simulate(int(client), {CREDIT: amount}).score.probability * 100, 1)
            if want == shown:        # the gauge would not move: nothing to time
                continue
            box.send_keys(Keys.CONTROL, "a")      # select and type over, as a manager does
            box.send_keys(str(int(amount)))
            driver.execute_script(JS_ARM_WHAT_IF, want)
            box.send_keys("\n")
            times.append(_wait(lambda: driver.execute_script("return window.__uiLatency")) / 1000)
            shown, measured = want, measured + 1
    return times


def _wait(fn, timeout=30.0):
    end = time.perf_counter() + timeout
    while time.perf_counter() < end:
        try:
            r = fn()
            if r:
                return r
        except Exception:   # noqa: BLE001 - element not there yet
            pass
        time.sleep(0.005)
    raise TimeoutError


def _record_callback_times(server) -> dict[str, list[float]]:
    """Server-side milliseconds of every callback request, keyed by its outputs."""
    from flask import g, request

    timings: dict[str, list[float]] = {}

    @server.before_request
    def _start():
        g.t0 = time.perf_counter()

    @server.after_request
    def _stop(response):
        if request.path.endswith("_dash-update-component"):
            output = (request.get_json(silent=True) or {}).get("output", "?")
            timings.setdefault(output[:90], []).append((time.perf_counter() - g.t0) * 1000)
        return response
    return timings


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model-dir", required=True)
    ap.add_argument("--clients", type=int, default=20)
    ap.add_argument("--port", type=int, default=8765)
    ap.add_argument("--data-dir", default=None, help="the model's data (for the what-if); default HOME_CREDIT_DIR")
    ap.add_argument("--what-if", type=int, default=0, help="also time this many what-if changes")
    args = ap.parse_args(argv)

    from app import create_app
    from model.scoring import Scorer
    from settings import get_settings

    scorer = Scorer.load(args.model_dir)
    env = {"INSTANCE_DIR": tempfile.mkdtemp(prefix="ui-latency-"), "API_KEYS": "bench", "SCORING_LOG": "off"}
    if args.data_dir:
        env["HOME_CREDIT_DIR"] = args.data_dir
    settings = get_settings(env)
    t0 = time.perf_counter()
    app = create_app(settings, scorer)
    print(f"app built in {time.perf_counter() - t0:.1f} s for {len(scorer.population):,} clients")
    app.server.config["LOGIN_DISABLED"] = True
    timings = _record_callback_times(app.server)
    server = make_server("127.0.0.1", args.port, app.server, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()

    opts = Options()
    for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=1366,768"):
        opts.add_argument(flag)
    driver = webdriver.Chrome(options=opts)
    try:
        driver.get(f"http://127.0.0.1:{args.port}/")
        _wait(lambda: driver.find_elements(By.CSS_SELECTOR, f"#{ids.CLIENT_TABLE} td"))
        # between clients the file is closed (meeting mode ends): the search screen is back
        sample = scorer.scores.sample(args.clients + 1, random_state=0)
        times = []
        for client, prob in zip(sample.index, sample["PROBABILITY"]):
            driver.find_element(By.ID, ids.SEARCH).click()
            box = _wait(lambda: driver.find_element(By.CSS_SELECTOR, ".dash-dropdown-content input[type=search]"))
            box.send_keys(str(client))
            option = _wait(lambda c=client: [o for o in driver.find_elements(By.CSS_SELECTOR, ".dash-dropdown-option")
                                    if o.text.strip() == str(c)])[0]
            driver.execute_script(JS_ARM, round(float(prob) * 100, 1), float(prob) * 100)
            option.click()
            times.append(_wait(lambda: driver.execute_script("return window.__uiLatency")) / 1000)
            driver.find_element(By.ID, ids.CLOSE_CLIENT).click()
            _wait(lambda: driver.find_elements(By.CSS_SELECTOR, f"#{ids.CLIENT_TABLE} td"))
        first, rest = times[0], times[1:]
        print(f"first client (cold): {first * 1000:.0f} ms")
        print(f"median over {len(rest)} clients: {statistics.median(rest) * 1000:.0f} ms "
              f"(min {min(rest) * 1000:.0f}, max {max(rest) * 1000:.0f})")
        print("server time per callback while choosing clients (median ms, calls):")
        for output, ms in sorted(timings.items(), key=lambda kv: -statistics.median(kv[1])):
            print(f"  {statistics.median(ms):7.1f}  {len(ms):3d}  {output}")
        if args.what_if:
            from app import services_of
            services_of(app.server).simulator.warm_up().join()   # as the server does at start
            timings.clear()
            sim = what_if(driver, app, args.port, args.what_if)
            print(f"what-if: first change {sim[0] * 1000:.0f} ms; median over {len(sim) - 1} changes "
                  f"{statistics.median(sim[1:]) * 1000:.0f} ms (min {min(sim[1:]) * 1000:.0f}, "
                  f"max {max(sim[1:]) * 1000:.0f})")
            for output, ms in sorted(timings.items(), key=lambda kv: -statistics.median(kv[1]))[:6]:
                print(f"  {statistics.median(ms):7.1f}  {len(ms):3d}  {output}")
            timings.clear()
    finally:
        driver.quit()
        server.shutdown()
    return 0


if __name__ == "__main__":
    sys.exit(main())
