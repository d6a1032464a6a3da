"""Forged callback inputs: signed-in ``POST /_dash-update-component`` requests for every callback of
the dashboard, each input and state set to values the page never sends (a state that is a string, a
query string that is a number, a dict where a list is expected, huge strings, deep nesting, NaN…),
counted by status. What must never happen: a 5xx (a traceback in the log).

    python -m benchmarks.fuzz_callbacks --requests 2000            # a tiny model trained on demo data
    python -m benchmarks.fuzz_callbacks --model-dir artifacts/model --data-dir data/demo

The callbacks are read from ``/_dash-dependencies``, so a callback added later is fuzzed too;
``tests/test_forged_callbacks.py`` runs the same cases, bounded.
"""
from __future__ import annotations

import argparse
import json
import random
import tempfile
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

#: The sign-in used for the fuzz.
USER, PASSWORD = "fuzz", "correct horse battery staple"


def _nested(depth: int) -> Any:
    value: Any = "x"
    for i in range(depth):
        value = [value] if i % 2 else {"a": value}
    return value


#: Values a page never sends for any property; every input and state is set to each of them in turn.
FORGED: tuple[Any, ...] = (
    "x", "", " ", "?client=abc&lang=zz", "?lang=en&client=" + "9" * 5000, "é²\u202e\x00", 0, -1, 1.5, 10**30,
    -(10**30), True, False, None, float("nan"), float("inf"), [], {}, [1, "a", None, {}], {"a": {"b": [1]}},
    "x" * 200_000, _nested(60), {"lang": 5, "client": "x"}, {"lang": ["fr"], "client": {"x": 1}},
    {"lang": "en", "client": 10**30}, {"lang": "en", "client": -5}, {"lang": "en", "client": True},
    {"lang": "en", "client": [100001]}, {"lang": None}, {"client": "100001"}, [{"lang": "en"}],
    {"lang": "en", "client": None, "expert": "yes"}, {"id": "x", "property": "value", "value": 1},
)


def dependencies(client: Any) -> list[dict[str, Any]]:
    """Every callback of the dashboard, clientside ones included (the page never posts them; a forger may)."""
    deps: list[dict[str, Any]] = client.get("/_dash-dependencies").get_json()
    return deps


def _is_pattern(spec_id: str) -> bool:
    return spec_id.startswith("{")


def _concrete(spec_id: str, rng: random.Random) -> Any:
    """A plain id as it is; a pattern id (``{"client": ["ALL"], ...}``) as one matching component's id."""
    if not _is_pattern(spec_id):
        return spec_id
    pattern = json.loads(spec_id)
    return {k: (rng.choice((100001, "x", 0)) if isinstance(v, list) else v) for k, v in pattern.items()}


def _outputs(dep: dict[str, Any], rng: random.Random) -> Any:
    parts = dep["output"].strip(".").split("...") if dep["output"].startswith("..") else [dep["output"]]
    outs: list[Any] = []
    for part in parts:
        spec_id, prop = part.rsplit(".", 1)
        outs.append([] if _is_pattern(spec_id) else {"id": spec_id, "property": prop})
    return outs if dep["output"].startswith("..") else outs[0]


def _entry(spec: dict[str, Any], value: Any, rng: random.Random, structural: bool) -> Any:
    """One input or state as the renderer sends it; a pattern's entry is a list of matched components
    (forged into something else when ``structural``)."""
    if not _is_pattern(spec["id"]):
        return {"id": spec["id"], "property": spec["property"], "value": value}
    if structural:
        return value
    return [{"id": _concrete(spec["id"], rng), "property": spec["property"], "value": value}
            for _ in range(rng.randint(0, 3))]


@dataclass(frozen=True)
class Forged:
    """One forged callback request: its body and a one-line description."""
    what: str
    body: dict[str, Any]

    def send(self, client: Any) -> Any:
        # NaN and Infinity as Python's json writes them (and Flask reads them): the renderer never does
        return client.post("/_dash-update-component", data=json.dumps(self.body),
                           content_type="application/json")


def forged_requests(deps: list[dict[str, Any]], count: int, seed: int = 0,
                    known_client: int = 100001) -> Iterator[Forged]:
    """``count`` forged requests spread over every callback: each input and state in turn is the one
    forged (the others plausible, so the forged value reaches the code), or every one of them is."""
    rng = random.Random(seed)
    plausible: dict[str, Any] = {"data": {"lang": "en", "client": known_client}, "search": f"?client={known_client}",
                                 "value": None, "n_clicks": 1}
    slots = [(d, kind, i) for d in deps for kind in ("inputs", "state") for i in range(len(d[kind]))]
    for n in range(count):
        dep, kind, index = slots[n % len(slots)]
        every = rng.random() < 0.2
        structural = rng.random() < 0.1
        specs = {k: dep[k] for k in ("inputs", "state")}

        def value(k: str, i: int, spec: dict[str, Any], every: bool = every, forged: tuple[str, int] = (kind, index)
                  ) -> Any:
            if every or (k, i) == forged:
                return rng.choice(FORGED)
            if spec["property"] == "data" and spec["id"] != "state" and not spec["id"].startswith("view-"):
                return None            # the other stores: not set yet
            return plausible.get(spec["property"])

        body = {"output": dep["output"], "outputs": _outputs(dep, rng),
                "inputs": [_entry(s, value("inputs", i, s), rng, structural and (kind, index) == ("inputs", i))
                           for i, s in enumerate(specs["inputs"])],
                "state": [_entry(s, value("state", i, s), rng, structural and (kind, index) == ("state", i))
                          for i, s in enumerate(specs["state"])]}
        trigger = dep["inputs"][index if kind == "inputs" else rng.randrange(len(dep["inputs"]))]
        body["changedPropIds"] = [f"{trigger['id']}.{trigger['property']}"] if rng.random() < 0.9 else []
        yield Forged(f"{dep['output'][:80]} {kind}[{index}] {json.dumps(body, default=str)[:300]}", body)


@dataclass
class Tally:
    requests: int = 0
    statuses: Counter[int] = field(default_factory=Counter)
    examples: dict[int, str] = field(default_factory=dict)

    def add(self, what: str, status: int) -> None:
        self.requests += 1
        self.statuses[status] += 1
        self.examples.setdefault(status, what)

    @property
    def server_errors(self) -> int:
        return sum(n for s, n in self.statuses.items() if s >= 500)


def signed_in_client(server: Any) -> Any:
    from tests.helpers import post_login

    client = server.test_client()
    answer = post_login(client, USER, PASSWORD)
    if answer.status_code != 302:
        raise RuntimeError(f"sign-in failed: {answer.status_code}")
    return client


def run(server: Any, requests: int, on_answer: Callable[[str, int], None], seed: int = 0) -> None:
    """``requests`` forged callback requests through a signed-in Flask test client."""
    from app import services_of

    client = signed_in_client(server)
    known = int(services_of(server).scorer.population.index[0])
    for forged in forged_requests(dependencies(client), requests, seed, known):
        on_answer(forged.what, forged.send(client).status_code)


def build_app(model_dir: Path, data_dir: Path, instance: Path) -> Any:
    """The dashboard as production builds it (``app.create_app``), one user, scoring log off."""
    import auth
    from app import create_app
    from settings import get_settings

    users = instance / "users.json"
    auth.add_user(users, USER, PASSWORD)
    settings = get_settings({"INSTANCE_DIR": str(instance), "USERS_FILE": str(users), "SCORING_LOG": "off",
                             "DRIFT_DIR": str(instance / "reports"),
                             "HOME_CREDIT_DIR": str(data_dir), "MODEL_DIR": str(model_dir),
                             "SECRET_KEY": "f" * 32})
    return create_app(settings)


def main() -> None:
    import logging

    p = argparse.ArgumentParser()
    p.add_argument("--model-dir", help="a trained model (default: a tiny one trained on demo data)")
    p.add_argument("--data-dir", help="its data folder (default: demo data generated here)")
    p.add_argument("--requests", type=int, default=2000)
    p.add_argument("--seed", type=int, default=0)
    a = p.parse_args()
    tracebacks: list[str] = []

    class _Count(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            if record.exc_info:
                tracebacks.append(record.getMessage())

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        data_dir = Path(a.data_dir) if a.data_dir else None
        model_dir = Path(a.model_dir) if a.model_dir else None
        if data_dir is None:
            from data.generate import generate_tables, write_tables

            data_dir = root / "data"
            write_tables(generate_tables(3000, 400, seed=7), data_dir, fmt="parquet")
        if model_dir is None:
            from tests.tiny_model import quick_model

            model_dir = quick_model(data_dir, root / "model", folds=3, seed=7)
        (root / "instance").mkdir()
        app = build_app(model_dir, data_dir, root / "instance")
        app.server.logger.addHandler(_Count())
        tally = Tally()
        run(app.server, a.requests, tally.add, a.seed)
    print(f"forged callback requests {tally.requests}  5xx {tally.server_errors}  tracebacks logged {len(tracebacks)}")
    print("per status: " + ", ".join(f"{s}: {n}" for s, n in sorted(tally.statuses.items())))
    for status, example in sorted(tally.examples.items()):
        if status >= 400:
            print(f"  first {status}: {example}")


if __name__ == "__main__":
    main()
