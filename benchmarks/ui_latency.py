"""Latency of the dashboard as a manager feels it, in a real headless Chromium: opening a client's file,
switching to each screen, a what-if change; and where the time goes.

    .venv/bin/python -m benchmarks.ui_latency --model-dir artifacts/model --data-dir data/demo --clients 15
    .venv/bin/python -m benchmarks.ui_latency --model-dir artifacts/model --data-dir data/demo --what-if 20

Starts the dashboard in-process (sign-in switched off, scoring log off) and drives Chromium. For each
of ``--clients`` clients:

* **open**: from the mouse press on the client's number in the search box's suggestions until the
  visible screen (Score) shows that client's probability on the gauge;
* **switch to <screen>**: from the click on each tab of the file (Why, What-if, Profile, Compare,
  File) until that screen shows this client's content (the waterfall adding up to the client's
  probability, the simulated gauge, the profile, the distribution chart, the letter link);
* then, with the file closed, **switch to model** and **switch to drift** (the manager's screens)
  and back to the list.

Every time is read with the page's own clock, checked on every animation frame (WebDriver's round
trips are not counted). Each interaction is also timed until the page is **settled**: every callback
request it caused answered and the next frame drawn, which is when the browser is free again (a
screen drawn early but followed by hidden work still makes the next click wait).

Where the time goes, per interaction: how many callback requests the Dash renderer sent (and how
many the server answered "nothing to update", 204), the server's own time of each callback, and the
browser's main-thread time from Chrome's Performance domain (script, layout, style), which is where
plotly draws figures. The first client (cold caches, first plotly draw) is left out of the medians.
"""
from __future__ import annotations

import argparse
import logging
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any

from selenium import webdriver
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from werkzeug.serving import make_server

from layouts import ids

#: Screens of an open file timed by a tab switch, in tab order; then the manager's screens (file closed).
FILE_SCREENS = ("why", "simulate", "profile", "compare", "file")
MANAGER_SCREENS = ("model", "drift")

# Installed once per page: every callback request of the Dash renderer (output, start, end of its
# body, status) and whether one is still pending.
JS_INSTRUMENT = r"""
if (!window.__bench) {
  const b = window.__bench = {reqs: [], pending: 0, last: performance.now(), updates: 0};
  // every update of the renderer's store: each one runs the selector of every component in the page
  if (window.store) { window.store.subscribe(() => { b.updates += 1; }); }
  const orig = window.fetch;
  window.fetch = function (url, opts) {
    if (!String(url).includes('_dash-update-component')) { return orig.apply(this, arguments); }
    let out = '?';
    try { out = JSON.parse(opts.body).output; } catch (e) { /* not JSON */ }
    const r = {out: out, t0: performance.now(), t1: null, status: null};
    b.reqs.push(r); b.pending += 1; b.last = r.t0;
    const done = () => { if (r.t1 === null) { r.t1 = performance.now(); b.pending -= 1; b.last = r.t1; } };
    return orig.apply(this, arguments).then((resp) => {
      r.status = resp.status;
      resp.clone().arrayBuffer().then(done, done);
      return resp;
    }, (err) => { done(); throw err; });
  };
}
"""

# Arms a watcher: `event` (mousedown / click / keydown Enter) marks the start; `ready` (a predicate
# below, with its argument) the screen shown; then the page is settled once no callback request is
# pending and none has started or ended for 300 ms: the first frame after the last one counts.
JS_ARM = r"""
const [event, ready, arg] = arguments;
const b = window.__bench;
const num = (sel) => {
  const n = document.querySelector(sel);
  return n ? parseFloat(n.textContent.replace(/[\s\u202f\u00a0%%]/g, '').replace(',', '.')) : NaN;
};
const plot = (id) => { const g = document.querySelector('#' + id + ' .js-plotly-plot'); return g && g.data ? g : null; };
const shown = (id) => {
  const s = document.getElementById(id);
  return !!s && s.offsetParent !== null && getComputedStyle(s).visibility !== 'hidden';
};
const PREDICATES = {
  gauge: (want) => Math.abs(num('#%(gauge)s .number') - want) < 0.051,
  sim_amount: (digits) => !!document.querySelector('#%(sim_gauge)s .number')
    && (document.getElementById('%(sim_changes)s') || {textContent: ''}).textContent.replace(/[^0-9]/g, '').includes(digits),
  why: (want) => {
    const w = plot('%(waterfall)s');
    const x = w && w.data[0] && w.data[0].type === 'waterfall' ? w.data[0].x : null;
    return shown('screen-why') && !!x && Math.abs(x.slice(0, -1).reduce((a, c) => a + c, 0) - want) < 0.05;
  },
  simulate: (want) => shown('screen-simulate') && Math.abs(num('#%(sim_gauge)s .number') - want) < 0.051,
  profile: () => shown('screen-profile') && document.getElementById('%(profile)s').textContent.trim().length > 0,
  compare: () => {
    const g = plot('%(distribution)s');
    return shown('screen-compare') && !!g && g.data.length > 0
      && document.getElementById('%(summary)s').textContent.trim().length > 0;
  },
  file: (client) => shown('screen-file')
    && (document.getElementById('%(letter)s').getAttribute('href') || '').includes('/clients/' + client + '/'),
  model: () => { const g = plot('%(importance)s'); return shown('screen-model') && !!g && g.data.length > 0; },
  drift: () => shown('screen-drift') && document.getElementById('%(drift)s').textContent.trim().length > 0,
  list: () => document.querySelectorAll('#%(table)s td').length > 0,
};
window.__uiLatency = null;
const state = {pressed: null, visible: null, frame: null, from: b.reqs.length, updates: b.updates};
const components = () => {
  let n = 0;
  const walk = (x) => {
    if (Array.isArray(x)) { x.forEach(walk); }
    else if (x && typeof x === 'object' && x.namespace && x.type && x.props) {
      n += 1; Object.values(x.props).forEach(walk);
    }
  };
  const layout = window.store ? window.store.getState().layout : null;
  walk(layout && layout.components ? layout.components : layout);
  return n;
};
window.__uiLatency = null;
window.__uiState = state;
const mark = (e) => {
  if (state.pressed === null && (event !== 'keydown' || e.key === 'Enter')) { state.pressed = performance.now(); }
};
document.addEventListener(event, mark, {capture: true, once: event !== 'keydown'});
function check(now) {
  if (state.pressed !== null) {
    if (state.visible === null && PREDICATES[ready](arg)) { state.visible = now - state.pressed; }
    if (state.visible !== null && b.pending === 0) {
      if (state.frame === null || state.frame < b.last) { state.frame = now; }
      if (now - b.last > 300) {
        document.removeEventListener(event, mark, {capture: true});
        const reqs = b.reqs.slice(state.from);
        window.__uiLatency = {visible: state.visible, settled: Math.max(state.visible, state.frame - state.pressed),
                              updates: b.updates - state.updates, components: components(),
                              requests: reqs.map((r) => [r.out.slice(0, 90), r.status, r.t0 - state.pressed, r.t1 - state.pressed])};
        return;
      }
    }
  }
  requestAnimationFrame(check);
}
requestAnimationFrame(check);
""" % {"gauge": ids.GAUGE, "waterfall": ids.WATERFALL, "sim_gauge": ids.SIM_GAUGE,  # noqa: UP031 - JavaScript braces
       "profile": ids.PROFILE_BODY, "distribution": ids.COMPARE_DISTRIBUTION, "summary": ids.COMPARE_SUMMARY,
       "letter": ids.LETTER_LINK, "sim_changes": ids.SIM_CHANGES, "importance": ids.IMPORTANCE, "drift": ids.DRIFT_BODY, "table": ids.CLIENT_TABLE}

#: Chrome's main-thread metrics (seconds, cumulative) read before and after each interaction.
METRICS = ("TaskDuration", "ScriptDuration", "LayoutDuration", "RecalcStyleDuration")


def timeline(rec: Recorder) -> None:
    """One client's interactions (the last), request by request: sent and answered, ms after the action."""
    print("\ntimeline of the last client (ms after the action: sent → answered, status, server ms):")
    for kind, rows in rec.rows.items():
        r = rows[-1]
        print(f"  {kind}: shown at {r['visible']:.0f}, settled at {r['settled']:.0f}, main thread busy "
              f"{r['browser']['TaskDuration']:.0f} ms (script {r['browser']['ScriptDuration']:.0f})")
        for out, status, t0, t1 in sorted(r["requests"], key=lambda q: q[2]):
            print(f"    {t0:6.0f} → {t1:6.0f}  {status}  {r['server'].get(out, 0.0):6.1f}  {out[:70]}")


class Recorder:
    """Every interaction's times, callback requests and browser work, by kind ("open", "why" …)."""

    def __init__(self, driver: Any, server_times: dict[str, list[float]]) -> None:
        self.driver, self.server_times = driver, server_times
        self.rows: dict[str, list[dict[str, Any]]] = {}

    def metrics(self) -> dict[str, float]:
        got = self.driver.execute_cdp_cmd("Performance.getMetrics", {})["metrics"]
        return {m["name"]: m["value"] for m in got if m["name"] in METRICS}

    def time(self, kind: str, event: str, ready: str, arg: Any, act: Callable[[], None],
             timeout: float = 60.0) -> dict[str, Any]:
        """Arm the watcher, ``act`` (a click, a key), wait until shown and settled; keep the row."""
        self.driver.execute_script(JS_INSTRUMENT)
        self.server_times.clear()
        before = self.metrics()
        self.driver.execute_script(JS_ARM, event, ready, arg)
        act()
        got = _wait(lambda: self.driver.execute_script("return window.__uiLatency"), timeout)
        after = self.metrics()
        row = {"visible": got["visible"], "settled": got["settled"], "requests": got["requests"],
               "updates": got["updates"], "components": got["components"],
               "server": {k: sum(v) for k, v in self.server_times.items()},
               "browser": {m: (after.get(m, 0.0) - before.get(m, 0.0)) * 1000 for m in METRICS}}
        self.rows.setdefault(kind, []).append(row)
        return row


def _p95(values: Sequence[float]) -> float:
    if len(values) < 2:
        return values[0]
    return statistics.quantiles(values, n=20, method="inclusive")[18]


def report(rec: Recorder, skip_first: bool = True) -> None:
    """The latency table (median and p95 of "visible" and "settled"), then where the time went."""
    print(f"\n{'interaction':<18}{'n':>4}{'median':>9}{'p95':>8}{'max':>8}{'settled':>9}{'p95':>8}"
          f"{'requests':>10}{'204':>5}{'server':>8}{'busy':>7}{'script':>8}{'layout':>8}{'style':>7}"
          f"{'updates':>8}{'comps':>7}")
    for kind, rows in rec.rows.items():
        cold = rows[0]
        rows = rows[1:] if skip_first and len(rows) > 1 else rows
        vis = [r["visible"] for r in rows]
        set_ = [r["settled"] for r in rows]

        def med(f: Callable[[dict[str, Any]], float], rs: list[dict[str, Any]] = rows) -> float:
            return statistics.median([f(r) for r in rs])
        print(f"{kind:<18}{len(rows):>4}{statistics.median(vis):>9.0f}{_p95(vis):>8.0f}{max(vis):>8.0f}"
              f"{statistics.median(set_):>9.0f}{_p95(set_):>8.0f}"
              f"{med(lambda r: len(r['requests'])):>10.0f}"
              f"{med(lambda r: sum(1 for q in r['requests'] if q[1] == 204)):>5.0f}"
              f"{med(lambda r: sum(r['server'].values())):>8.0f}"
              f"{med(lambda r: r['browser']['TaskDuration']):>7.0f}"
              f"{med(lambda r: r['browser']['ScriptDuration']):>8.0f}"
              f"{med(lambda r: r['browser']['LayoutDuration']):>8.0f}"
              f"{med(lambda r: r['browser']['RecalcStyleDuration']):>7.0f}"
              f"{med(lambda r: r['updates']):>8.0f}{med(lambda r: r['components']):>7.0f}"
              f"   (cold: {cold['visible']:.0f} / {cold['settled']:.0f})")
    print("\nms: median and p95 until shown; until settled; medians of callback requests sent (204: nothing to update),"
          "\nserver time summed over callbacks, browser main-thread time busy (all tasks) / script / layout / style;"
          "\nupdates of the Dash renderer's store (each runs a selector per component) and components in the page after.")
    print("\ncallback requests per interaction (outputs; server ms median; 204 = nothing updated):")
    for kind, rows in rec.rows.items():
        seen: dict[str, list[tuple[int, float]]] = {}
        for r in rows[1:] or rows:
            for out, status, *_ in r["requests"]:
                seen.setdefault(out, []).append((status, r["server"].get(out, 0.0)))
        print(f"  {kind}:")
        for out, calls in sorted(seen.items(), key=lambda kv: -statistics.median(c[1] for c in kv[1])):
            n204 = sum(1 for s, _ in calls if s == 204)
            print(f"    {statistics.median(c[1] for c in calls):6.1f} ms  {len(calls) / max(1, len(rows[1:] or rows)):4.1f}×"
                  f"  {'204' if n204 == len(calls) else '   '}  {out}")


def what_if(rec: Recorder, driver: Any, app: Any, port: int, changes: int) -> None:
    """From Enter in the credit amount box to the simulated result showing that amount (the list of
    changes and the simulated gauge are drawn by the same answer), for refused or referred clients."""
    from app import services_of
    from model.simulation import CREDIT

    scorer = services_of(app.server).scorer
    pds = scorer.scores["PROBABILITY"].reindex(scorer.population.index).to_numpy()
    clients = scorer.population.index[scorer.rule.decide_all(pds) != "granted"][:3]
    for client in clients:
        driver.get(f"http://127.0.0.1:{port}/?client={int(client)}")
        _wait(lambda: driver.find_element(By.ID, ids.tab("simulate")).is_displayed())
        driver.execute_script("arguments[0].click()", driver.find_element(By.ID, ids.tab("simulate")))
        box = _wait(lambda: driver.find_element(By.ID, ids.lever(CREDIT)))
        asked = float(_wait(lambda b=box: "".join(ch for ch in (b.get_attribute("value") or "") if ch.isdigit())))
        _wait(lambda: driver.execute_script(
            "const n = document.querySelector(arguments[0]); return n && n.textContent.length", f"#{ids.SIM_GAUGE} .number"))
        for k in range(changes // len(clients) + 1):
            amount = int(round(asked * (0.9 - 0.6 * ((k * 0.37) % 1.0)), -3))
            box.send_keys(Keys.CONTROL, "a")      # select and type over, as a manager does
            box.send_keys(str(amount))
            rec.time("what-if", "keydown", "sim_amount", str(amount), lambda b=box: b.send_keys("\n"))


def _wait(fn: Callable[[], Any], timeout: float = 30.0) -> Any:
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


def _record_callback_times(server: Any) -> dict[str, list[float]]:
    """Server-side milliseconds of every callback request, keyed by its outputs."""
    from flask import g, request

    timings: dict[str, list[float]] = {}

    @server.before_request
    def _start() -> None:
        g.t0 = time.perf_counter()

    @server.after_request
    def _stop(response: Any) -> Any:
        if request.path.endswith("_dash-update-component"):
            output = (request.get_json(silent=True) or {}).get("output", "?")
            timings.setdefault(output[:90], []).append((time.perf_counter() - g.t0) * 1000)
        return response
    return timings


def _click(driver: Any, element_id: str) -> Callable[[], None]:
    # a script click: the tabs are buttons; WebDriver's own pointer would add its round trip
    return lambda: driver.execute_script("document.getElementById(arguments[0]).click()", element_id)


def open_clients(rec: Recorder, driver: Any, app: Any, n: int) -> None:
    from app import services_of

    services = services_of(app.server)
    scorer, simulator = services.scorer, services.simulator
    _wait(lambda: driver.find_elements(By.CSS_SELECTOR, f"#{ids.CLIENT_TABLE} td"))
    sample = scorer.scores.sample(n + 1, random_state=0)
    for client, prob in zip(sample.index, sample["PROBABILITY"]):
        client = int(client)
        driver.find_element(By.ID, ids.SEARCH).click()
        box = _wait(lambda: driver.find_element(By.CSS_SELECTOR, ".dash-dropdown-content input[type=search]"))
        box.send_keys(str(client))
        option = _wait(lambda c=client: [o for o in driver.find_elements(By.CSS_SELECTOR, ".dash-dropdown-option")
                                         if o.text.strip() == str(c)])[0]
        rec.time("open", "mousedown", "gauge", round(float(prob) * 100, 1), option.click)
        simulated = round(simulator.simulate(client, {}).score.probability * 100, 1)
        args = {"why": float(prob) * 100, "simulate": simulated, "file": client}
        for screen in FILE_SCREENS:
            rec.time(f"switch {screen}", "click", screen, args.get(screen), _click(driver, ids.tab(screen)))
        rec.time("close file", "click", "list", None, _click(driver, ids.CLOSE_CLIENT))
        for screen in MANAGER_SCREENS:
            rec.time(f"switch {screen}", "click", screen, None, _click(driver, ids.tab(screen)))
        driver.execute_script("document.getElementById(arguments[0]).click()", ids.tab("search"))
        _wait(lambda: driver.find_element(By.ID, ids.screen("search")).is_displayed())


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model-dir", required=True)
    ap.add_argument("--clients", type=int, default=20)
    ap.add_argument("--port", type=int, default=8765)
    ap.add_argument("--data-dir", default=None, help="the model's data (for the what-if); default HOME_CREDIT_DIR")
    ap.add_argument("--what-if", type=int, default=10, help="time this many what-if changes (0: none)")
    ap.add_argument("--timeline", action="store_true", help="also print the last client's requests one by one")
    args = ap.parse_args(argv)

    from app import create_app, services_of
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
    services_of(app.server).simulator.warm_up().join()   # as the server does at start
    timings = _record_callback_times(app.server)
    logging.getLogger("werkzeug").setLevel(logging.ERROR)     # no line per request
    server = make_server("127.0.0.1", args.port, app.server, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()

    opts = Options()
    for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=1366,768"):
        opts.add_argument(flag)
    driver = webdriver.Chrome(options=opts)
    driver.execute_cdp_cmd("Performance.enable", {"timeDomain": "threadTicks"})
    rec = Recorder(driver, timings)
    try:
        driver.get(f"http://127.0.0.1:{args.port}/")
        open_clients(rec, driver, app, args.clients)
        if args.what_if:
            what_if(rec, driver, app, args.port, args.what_if)
    finally:
        driver.quit()
        server.shutdown()
    report(rec)
    if args.timeline:
        timeline(rec)
    return 0


if __name__ == "__main__":
    sys.exit(main())
