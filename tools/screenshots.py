"""Screenshots of every screen, in both languages and several window sizes, for a person to look at.

    python tools/screenshots.py --out /tmp/shots                       # 1366×768, 1024×768, 800×900, FR + EN
    python tools/screenshots.py --out /tmp/shots --sizes 1920x1080 --client 100002

Serves the dashboard in this process (the model of MODEL_DIR, sign-in off, scoring log off) on a
free port and drives a headless Chromium through every screen: the manager's search, Model and Drift
screens (no file open), then a client's Score, Why, What-if (and its counter-offer), Profile, Compare and File screens, then
the back office: its confirmation dialog and Why in expert mode. The files are named
``<size>-<lang>-<screen>.png``; they are for review and are not kept in git.
"""
from __future__ import annotations

import argparse
import socket
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from layouts import ids  # noqa: E402


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def browser(width: int, height: int):  # type: ignore[no-untyped-def]
    from selenium import webdriver
    from selenium.webdriver.chrome.options import Options

    options = Options()
    for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 "--disable-background-networking", "--hide-scrollbars", f"--window-size={width},{height}"):
        options.add_argument(flag)
    return webdriver.Chrome(options=options)


def serve(client: int | None = None) -> tuple[int, int]:
    """The dashboard of MODEL_DIR served in a background thread: (port, client to open)."""
    from app import create_app
    from settings import get_settings

    instance = tempfile.mkdtemp(prefix="shots-instance-")
    app = create_app(get_settings({"INSTANCE_DIR": instance}))
    app.server.config["LOGIN_DISABLED"] = True
    app.server.extensions["credit_services"].simulator.warm_up().join()   # as create_server() does
    scorer = app.server.extensions["credit_services"].scorer
    if client is None:
        refused = scorer.scores.index[scorer.scores["PROBABILITY"] >= scorer.rule.refer_high]
        client = int(refused[len(refused) // 2])
    port = free_port()
    threading.Thread(target=lambda: app.run(host="127.0.0.1", port=port, debug=False), daemon=True).start()
    time.sleep(2)
    return port, client


def _click(driver: Any, element_id: str) -> None:
    driver.execute_script("window.scrollTo(0, 0); document.getElementById(arguments[0]).click();", element_id)


def visit_screens(driver: Any, port: int, lang: str, client: int, wait: float, seen: Callable[[str], None]) -> None:
    """The manager's screens, then every screen of ``client``'s file, then the back office;
    ``seen(name)`` after each has drawn."""
    query = "" if lang == "fr" else "?lang=en"
    driver.get(f"http://127.0.0.1:{port}/{query}")
    time.sleep(wait)
    seen("search")
    for screen in ids.MANAGER_SCREENS:
        _click(driver, ids.tab(screen))
        time.sleep(wait)
        seen(screen)
    sep = "&" if query else "?"
    driver.get(f"http://127.0.0.1:{port}/{query}{sep}client={client}")
    time.sleep(wait)
    for screen in ids.CLIENT_SCREENS:
        _click(driver, ids.tab(screen))
        time.sleep(wait)
        seen(screen)
        if screen == "simulate":  # the counter-offer is searched on request
            driver.execute_script("document.getElementById(arguments[0]).click();", ids.OFFER_SEARCH)
            time.sleep(wait)
            driver.execute_script("document.getElementById(arguments[0]).scrollIntoView();", ids.OFFER_BODY)
            seen("counter-offer")
    _click(driver, ids.BACK_OFFICE_OPEN)
    time.sleep(wait / 2)
    seen("back-office-dialog")
    _click(driver, ids.BACK_OFFICE_CONFIRM)
    _click(driver, ids.tab("why"))
    _click(driver, ids.EXPERT)
    time.sleep(wait)
    seen("why-expert")


def save(driver: Any, path: str, width: int, height: int, full_page: bool) -> None:
    """The window, or with ``full_page`` the whole page at the window's width."""
    if full_page:
        driver.set_window_size(width, max(height, driver.execute_script("return document.body.scrollHeight") + 140))
        time.sleep(0.5)
    driver.save_screenshot(path)
    if full_page:
        driver.set_window_size(width, height)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--out", type=Path, required=True)
    p.add_argument("--sizes", nargs="+", default=["1366x768", "1024x768", "800x900"])
    p.add_argument("--langs", nargs="+", default=["fr", "en"])
    p.add_argument("--client", type=int, help="client to open (default: a refused one)")
    p.add_argument("--wait", type=float, default=2.5, help="seconds given to each screen to draw")
    p.add_argument("--full-page", action="store_true", help="the whole page, not only the window")
    a = p.parse_args(argv)
    port, client = serve(a.client)
    a.out.mkdir(parents=True, exist_ok=True)
    for size in a.sizes:
        width, height = (int(v) for v in size.split("x"))
        driver = browser(width, height)
        try:
            for lang in a.langs:
                prefix = a.out / f"{size}-{lang}"
                visit_screens(driver, port, lang, client, a.wait,
                              lambda screen, d=driver, p=prefix, w=width, h=height: save(d, f"{p}-{screen}.png",
                                                                                          w, h, a.full_page))
        finally:
            driver.quit()
    print(f"client {client}: {len(list(a.out.glob('*.png')))} screenshots in {a.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
