"""axe-core's violations on every screen, in both languages, counted by impact.

    python tools/accessibility.py                 # 1366×768, FR + EN, a refused client
    python tools/accessibility.py --details       # every violation's rule and first targets

Serves the dashboard like tools/screenshots.py and runs axe-core (axe-selenium-python) on the
manager's search screen and on each of a client's screens. ``tests/test_accessibility.py`` holds
the product to 0 critical and 0 serious; this prints the whole picture, minor ones included.
"""
from __future__ import annotations

import argparse
import sys
from collections import Counter
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tools.screenshots import browser, serve, visit_screens  # noqa: E402


def violations(driver: Any) -> list[dict[str, Any]]:
    """axe-core's violations of the page as it is now (WCAG 2.1 A and AA rules and best practices)."""
    from axe_selenium_python import Axe

    axe = Axe(driver)
    if not driver.execute_script("return typeof window.axe === 'object'"):
        axe.inject()                 # once per page: a tab switch keeps the page, and axe-core is 0.5 MB to parse
    # violations only: axe-core then skips building selectors for every passed and incomplete node
    # (its documented speed-up); the violations found are the same
    result: dict[str, Any] = axe.run(options={"resultTypes": ["violations"]})
    found: list[dict[str, Any]] = result["violations"]
    return found


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--size", default="1366x768")
    p.add_argument("--langs", nargs="+", default=["fr", "en"])
    p.add_argument("--client", type=int)
    p.add_argument("--wait", type=float, default=2.5)
    p.add_argument("--details", action="store_true")
    a = p.parse_args(argv)
    port, client = serve(a.client)
    width, height = (int(v) for v in a.size.split("x"))
    driver = browser(width, height)
    worst = 0
    try:
        for lang in a.langs:
            def audit(screen: str, lang: str = lang) -> None:
                nonlocal worst
                found = violations(driver)
                counts = Counter(v["impact"] for v in found)
                worst += counts["critical"] + counts["serious"]
                print(f"{lang} {screen:<8s} critical {counts['critical']}  serious {counts['serious']}  "
                      f"moderate {counts['moderate']}  minor {counts['minor']}", flush=True)
                if a.details:
                    for v in found:
                        targets = [" ".join(n["target"]) for n in v["nodes"][:3]]
                        print(f"    {v['impact']:<8s} {v['id']}: {len(v['nodes'])} node(s), e.g. {targets}")
            visit_screens(driver, port, lang, client, a.wait, audit)
    finally:
        driver.quit()
    print(f"client {client}: {worst} critical or serious violation(s) in all")
    return 0


if __name__ == "__main__":
    sys.exit(main())
