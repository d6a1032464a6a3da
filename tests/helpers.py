"""Helpers shared by the test modules (not tests themselves)."""
from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any


@contextmanager
def served_without_sign_in(app: Any, duo: Any) -> Iterator[Any]:
    """The app served to dash_duo's browser with the sign-in switched off (the sign-in has its own test)."""
    app.server.config["LOGIN_DISABLED"] = True
    try:
        duo.start_server(app)
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
