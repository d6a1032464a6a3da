"""Helpers shared by the test modules (not tests themselves)."""
from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from typing import Any

import numpy as np
import pandas as pd

from data.schema import CHILD_TABLES


def choose_client(duo: Any, client: int, enter: bool = False) -> None:
    """The client's number typed in the dashboard's search box, then its suggestion clicked (or Enter)."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    from layouts import ids

    duo.find_element(f"#{ids.SEARCH}").click()
    box = wait_until(lambda: duo.driver.find_element(By.CSS_SELECTOR, ".dash-dropdown-content input[type=search]"),
                     message="search box")
    box.send_keys(str(client))
    option = wait_until(lambda: [o for o in duo.driver.find_elements(By.CSS_SELECTOR, ".dash-dropdown-option")
                                 if o.text.strip() == str(client)], message="suggested client")[0]
    if enter:
        box.send_keys(Keys.ENTER)
    else:
        option.click()


def serve(duo: Any, app: Any) -> None:
    """Serve ``app`` to dash_duo's browser without opening it: ``duo.server_url`` is set, the browser
    stays where it is until the test goes to the page it is about (dash_duo's ``start_server`` would load
    the dashboard first, some 2 s of a core in Chromium, for a test that then loads another address)."""
    duo.start_server(app, navigate=False)
    duo._url = duo.server.url            # dash.testing's setter of server_url would load the page


def sign_in_browser(duo: Any, app: Any, user: str, password: str, then: str = "/") -> None:
    """Serve ``app`` to dash_duo's browser and sign ``user`` in through the real form, which leads to
    ``then`` (the sign-in's ``next``: the page the test is about, loaded once instead of the dashboard's
    home page first)."""
    from urllib.parse import quote

    serve(duo, app)
    duo.driver.get(f"{duo.server_url}/login?next={quote(then, safe='')}")
    duo.find_element("input[name=username]").send_keys(user)
    duo.find_element("input[name=password]").send_keys(password)
    duo.driver.execute_script("document.querySelector('form').submit()")
    try:
        wait_until(lambda: "/login" not in duo.driver.current_url, message="signed in")
    except AssertionError as exc:
        raise AssertionError(f"{exc}; page: {duo.driver.find_element('tag name', 'body').text[:300]!r}") from None


def goto(duo: Any, path: str) -> None:
    """Show ``path`` (``/?client=…&lang=…``) in the dashboard the browser shows, the way the app's own
    links and the browser's Back and Forward buttons do: the address changes, ``dcc.Location`` reads it
    and the callbacks answer, without loading the page again (a load costs the browser some 2.5 s of a
    core, this some 0.8 s). A browser not on this app's dashboard yet loads the page.

    Tests of a direct link, a reload or a page view use ``driver.get``."""
    on_dashboard = duo.driver.current_url.startswith(duo.server_url) and "/login" not in duo.driver.current_url \
        and duo.driver.execute_script("return !!document.getElementById('react-entry-point')")
    if not on_dashboard:
        duo.driver.get(f"{duo.server_url}{path}")
        return
    duo.driver.execute_script("window.history.pushState(null, '', arguments[0]);"
                              "window.dispatchEvent(new PopStateEvent('popstate'));", path)


def file_page(client: int, lang: str = "fr") -> str:
    """The address of a client's file in the dashboard, its language said (a page opened in the page
    keeps no language of its own)."""
    return f"/?client={client}&lang={lang}"


def settled(read: Callable[[], Any], ok: Callable[[Any], bool], timeout: float = 20) -> Any:
    """What ``read()`` gives once ``ok`` holds of it (the page may show the previous client's or
    language's for a moment), or what it gives after ``timeout`` s: the test asserts on that value,
    so a page that never shows the right thing fails naming what it showed."""
    with suppress(AssertionError):
        wait_until(lambda: ok(read()), timeout, message="settled")
    return read()


def absent(duo: Any, selector: str) -> bool:
    """No element matches the CSS ``selector`` now (``find_elements`` would first wait the driver's
    implicit 2 s for one to appear)."""
    return bool(duo.driver.execute_script("return document.querySelector(arguments[0]) === null", selector))


@contextmanager
def served_without_sign_in(app: Any, duo: Any) -> Iterator[Any]:
    """The app served to dash_duo's browser with the sign-in switched off (the sign-in has its own test),
    nothing opened yet (:func:`serve`): each test loads the address it is about."""
    app.server.config["LOGIN_DISABLED"] = True
    try:
        serve(duo, app)
        yield duo
    finally:
        app.server.config["LOGIN_DISABLED"] = False


def wait_until(predicate: Callable[[], Any], timeout: float = 20, message: str = "condition") -> Any:
    """Poll a browser condition until it is truthy; the page updates asynchronously."""
    end = time.time() + timeout
    last = None
    while time.time() < end:
        try:
            last = predicate()
            if last:
                return last
        except Exception as exc:        # element not there yet, stale, …
            last = exc
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {message} (last: {last!r})")


def walk(component: Any) -> Iterator[Any]:
    """Every Dash component in a tree (or list of trees), parents first."""
    if isinstance(component, (list, tuple)):
        for c in component:
            yield from walk(c)
    elif hasattr(component, "to_plotly_json"):
        yield component
        yield from walk(getattr(component, "children", None))


def plain(v):
    if v is None or (isinstance(v, float) and math.isnan(v)) or v is pd.NA:
        return None
    if isinstance(v, (int, np.integer)):
        return int(v)
    if isinstance(v, (np.floating, float)):
        return float(v)
    return str(v)


def rows_of(frame: pd.DataFrame) -> list[dict]:
    return [{k: plain(v) for k, v in r.items()} for r in frame.astype(object).to_dict("records")]


def request_body(tables, client_id: int) -> dict:
    """A known client's raw rows, as a program would send them to ``POST /api/v1/predict``."""
    source = "application_train" if client_id in set(tables["application_train"]["SK_ID_CURR"]) else "application_test"
    app_row = tables[source].loc[tables[source]["SK_ID_CURR"] == client_id].drop(columns=["TARGET"], errors="ignore")
    body = {"application": rows_of(app_row)[0]}
    bureau_ids = set()
    for name in CHILD_TABLES:
        if name not in tables:
            continue
        t = tables[name]
        if name == "bureau_balance":
            part = t[t["SK_ID_BUREAU"].isin(bureau_ids)]
        else:
            part = t[t["SK_ID_CURR"] == client_id]
        if name == "bureau":
            bureau_ids = set(part["SK_ID_BUREAU"])
        body[name] = rows_of(part)
    return body


def csrf_token(client: Any, url: str = "/login") -> str:
    """The sign-in form's CSRF token, read from the page as a browser gets it."""
    import re

    html = client.get(url).get_data(as_text=True)
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, "no csrf_token field in the sign-in form"
    return match.group(1)


def post_login(client: Any, user: str, password: str, url: str = "/login", **kw: Any) -> Any:
    """POST the sign-in form like a browser: fetch the form first, send its CSRF token back."""
    return client.post(url, data={"username": user, "password": password, "csrf_token": csrf_token(client, url)},
                       **kw)


def start_server_here(monkeypatch: Any, capsys: Any, env: dict[str, str]) -> Any:
    """``app.create_server()`` in the test's own process with ``env`` as its environment (anything the
    test's environment names besides, ``DATABASE_URL`` and ``USERS_FILE`` removed), as a finished process:
    exit code (``SystemExit``'s, 0 if it started), stdout, stderr. For a start that stops before anything is
    served or started in the background, a fresh interpreter (2-3 s of a core) would check nothing more."""
    import subprocess

    import app

    for key in ("DATABASE_URL", "USERS_FILE"):
        monkeypatch.delenv(key, raising=False)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    capsys.readouterr()
    try:
        app.create_server()
        code = 0
    except SystemExit as stop:
        code = stop.code if isinstance(stop.code, int) else 1
    out = capsys.readouterr()
    return subprocess.CompletedProcess(["app.create_server()"], code, out.out, out.err)


def lightgbm_cv_auc(x: pd.DataFrame, y: Any, *, n_estimators: int, learning_rate: float, folds: int = 3,
                    seed: int = 0) -> float:
    """Mean ROC AUC of a small LightGBM over stratified folds: an outside learner's view of how much risk a
    table carries (the demo's against the real clients', the application's against its history's), so
    that the check does not lean on the product's own model. Text columns become category codes."""
    import lightgbm as lgb
    from sklearn.model_selection import StratifiedKFold, cross_val_score

    x = x.apply(lambda s: s.astype("category").cat.codes.where(s.notna(), np.nan)
                if s.dtype == object or isinstance(s.dtype, pd.CategoricalDtype) else s)
    model = lgb.LGBMClassifier(n_estimators=n_estimators, learning_rate=learning_rate, num_leaves=15,
                               min_child_samples=50, subsample=0.8, subsample_freq=1, colsample_bytree=0.5,
                               max_bin=63, n_jobs=1, verbose=-1)
    cv = StratifiedKFold(folds, shuffle=True, random_state=seed)
    return float(cross_val_score(model, x, y, cv=cv, scoring="roc_auc").mean())
