"""Property-based fuzz of the JSON API: schemathesis against the OpenAPI contract plus raw requests
outside it, counting what must never happen (a 5xx, a non-JSON answer under ``/api/``, a
non-finite number in an answer).

    python -m benchmarks.fuzz --model-dir artifacts/model --requests 5000

The checks and the raw-request strategies live here, and ``tests/test_fuzz.py`` runs the same
ones, bounded, in ``make test``.
"""
from __future__ import annotations

import argparse
import json
import math
import tempfile
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

from flask import Flask
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from hypothesis.errors import Unsatisfiable

from api.errors import is_api_path
from api.openapi import OPENAPI_PATH
from api.routes import ROUTES
from api.validation import APPLICATION, REQUIRED
from data.schema import CHILD_TABLES, TABLES

#: The key the fuzzed app accepts.
KEY = "fuzz-api-key-0123456789abcdef"
HEADER = "X-API-Key"
METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "HEAD")
#: A valid minimal application (the REQUIRED columns), the base of the raw cases.
BASE_APPLICATION: dict[str, float] = {"AMT_INCOME_TOTAL": 150000.0, "AMT_CREDIT": 300000.0,
                                      "AMT_ANNUITY": 15000.0, "DAYS_BIRTH": -12000, "DAYS_EMPLOYED": -1500}
HUGE = (1e300, -1e300, 1e308, -1e308, 3.5e38, 2.0**63, 1e19)
assert set(BASE_APPLICATION) == set(REQUIRED)


# --------------------------------------------------------------------------- what must never happen

class _NonFinite(ValueError):
    pass


def _refuse_constant(name: str) -> float:
    raise _NonFinite(name)


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise _NonFinite(text)
    return value


def answer_problems(method: str, path: str, status: int, mimetype: str, body: bytes) -> list[str]:
    """What is wrong with one answer: ``"5xx"``, ``"non-JSON"`` (under /api/), ``"non-finite"``."""
    problems = ["5xx"] if status >= 500 else []
    if not is_api_path(path) or method == "HEAD":
        return problems
    if mimetype != "application/json":
        return [*problems, "non-JSON"]
    try:
        json.loads(body.decode("utf-8"), parse_constant=_refuse_constant, parse_float=_finite_float)
    except _NonFinite:
        problems.append("non-finite")
    except ValueError:
        problems.append("non-JSON")
    return problems


# --------------------------------------------------------------------------- raw requests, outside the contract

@dataclass(frozen=True)
class RawRequest:
    method: str
    path: str
    headers: Mapping[str, str] = field(default_factory=dict)
    body: bytes | None = None
    #: The only acceptable status, when there is one (e.g. 400 for duplicate keys).
    expect: int | None = None

    def send(self, client: Any) -> Any:
        """Through a Werkzeug test client, header bytes as a real server hands them to WSGI (latin-1)."""
        environ = {f"HTTP_{k.upper().replace('-', '_')}": v.encode("utf-8").decode("latin-1")
                   for k, v in self.headers.items()}
        return client.open(self.path, method=self.method, data=self.body, environ_overrides=environ,
                           content_type="application/json" if self.body is not None else None)


_KNOWN_PATHS = tuple(path.replace("<raw_id>", "100001") for path, _ in ROUTES)
_PATH_TEXT = st.text(st.sampled_from("abcv1/._-~%é²0123456789") | st.characters(codec="utf-8"), max_size=30)


def _numeric_columns(table: str) -> list[str]:
    return [c.name for c in TABLES[table].columns if c.kind != "category"]


def _child_row(table: str) -> dict[str, object]:
    """The smallest row validation accepts shape-wise: every int column given."""
    return {c.name: 1 for c in TABLES[table].columns if c.kind == "int" and c.name != "SK_ID_CURR"}


def _json(value: object) -> bytes:
    return json.dumps(value).encode()


@st.composite
def huge_number_case(draw: st.DrawFn) -> RawRequest:
    """A valid body but one numeric field, of the application or a child row, set to a huge finite number."""
    table = draw(st.sampled_from((APPLICATION, *CHILD_TABLES)))
    column = draw(st.sampled_from([c for c in _numeric_columns(table) if c != "SK_ID_CURR"]))
    value = draw(st.sampled_from(HUGE))
    body: dict[str, Any] = {"application": dict(BASE_APPLICATION)}
    if table == APPLICATION:
        body["application"][column] = value
    else:
        body[table] = [{**_child_row(table), column: value}]
    top = draw(st.sampled_from(("", "?top=5", "?lang=en&top=400")))
    return RawRequest("POST", f"/api/v1/predict{top}", {HEADER: KEY}, _json(body))


@st.composite
def duplicate_key_case(draw: st.DrawFn) -> RawRequest:
    """A body where one key appears twice (the first one invalid): must be refused, not half-read."""
    column = draw(st.sampled_from(list(REQUIRED)))
    inner = ", ".join(f'"{k}": {json.dumps(v)}' for k, v in BASE_APPLICATION.items())
    where = draw(st.sampled_from(("column", "table")))
    if where == "column":
        text = f'{{"application": {{"{column}": -5, {inner}}}}}'
    else:
        text = f'{{"application": {{"AMT_CREDIT": -5}}, "application": {{{inner}}}}}'
    return RawRequest("POST", "/api/v1/predict", {HEADER: KEY}, text.encode(), expect=400)


def raw_requests() -> st.SearchStrategy[RawRequest]:
    """Requests a contract-driven fuzz never sends: odd keys, paths, methods, duplicate keys, huge numbers."""
    key = st.text(st.characters(codec="utf-8", exclude_characters="\r\n\x00"), max_size=40) | st.sampled_from(
        ("é", "²", "ключ", KEY + "é", " " + KEY, ""))
    odd_key = st.builds(lambda k, p: RawRequest("GET", p, {HEADER: k}), key, st.sampled_from(_KNOWN_PATHS))
    odd_path = st.builds(lambda m, p, prefix: RawRequest(m, prefix + quote(p, safe="/%~."), {HEADER: KEY}),
                         st.sampled_from(METHODS), _PATH_TEXT,
                         st.sampled_from(("/api/", "/api//", "/api/v1/", "/api/v1//")))
    odd_method = st.builds(lambda m, p: RawRequest(m, p, {HEADER: KEY}),
                           st.sampled_from(("OPTIONS", "HEAD", "PUT", "PATCH", "DELETE")),
                           st.sampled_from(_KNOWN_PATHS))
    return st.one_of(odd_key, odd_path, odd_method, duplicate_key_case(), huge_number_case())


# --------------------------------------------------------------------------- the run

def build_server(model_dir: Path, instance: Path, scorer: Any) -> Flask:
    """The production Flask configuration (``app.create_flask``) with one API key."""
    import auth
    from app import create_flask
    from settings import Settings

    users = instance / "users.json"
    if not users.exists():
        auth.add_user(users, "fuzz", "correct horse battery staple")
    server, _ = create_flask(Settings(instance_dir=instance, users_file=users, api_keys=(KEY,),
                                      model_dir=model_dir, secret_key="f" * 32), scorer)
    return server


@dataclass
class Tally:
    requests: int = 0
    statuses: Counter[int] = field(default_factory=Counter)
    problems: Counter[str] = field(default_factory=Counter)
    examples: dict[str, str] = field(default_factory=dict)

    def add(self, what: str, status: int, problems: list[str]) -> None:
        self.requests += 1
        self.statuses[status] += 1
        for p in problems:
            self.problems[p] += 1
            self.examples.setdefault(f"{p} {status}", what)


def run(server: Flask, requests: int, on_answer: Callable[[str, int, list[str]], None]) -> None:
    """At least ``requests`` fuzzed requests: about half from the contract (positive and negative), the
    rest raw. Operations without inputs have no negative case, so the raw half makes up the difference."""
    import schemathesis
    from schemathesis.generation import GenerationMode

    schema = schemathesis.openapi.from_wsgi(OPENAPI_PATH, server)
    operations = [op.ok() for op in schema.get_all_operations()]
    budget = max(1, requests // 2 // (2 * len(operations)))
    sent = 0
    fuzz_settings = settings(max_examples=budget, deadline=None, phases=[Phase.generate],
                             suppress_health_check=list(HealthCheck), database=None)
    for operation in operations:
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            @fuzz_settings
            @given(case=operation.as_strategy(generation_mode=mode))
            def one(case: Any) -> None:
                nonlocal sent
                response = case.call(headers={HEADER: KEY})
                mimetype = (response.headers.get("content-type") or [""])[0].split(";")[0].strip()
                problems = answer_problems(case.method.upper(), case.formatted_path, response.status_code,
                                           mimetype, response.content)
                on_answer(f"{case.method.upper()} {case.formatted_path} {case.query} {str(case.body)[:300]}",
                          response.status_code, problems)
                sent += 1

            try:
                one()
            except Unsatisfiable:       # no input to break (health, openapi.json): no negative case
                pass
    client = server.test_client()

    @settings(max_examples=max(1, requests - sent), deadline=None, phases=[Phase.generate],
              suppress_health_check=list(HealthCheck), database=None)
    @given(raw=raw_requests())
    def raw_one(raw: RawRequest) -> None:
        response = raw.send(client)
        problems = answer_problems(raw.method, raw.path, response.status_code, response.mimetype, response.data)
        if raw.expect is not None and response.status_code != raw.expect:
            problems.append(f"not {raw.expect}")
        on_answer(f"{raw.method} {raw.path} {dict(raw.headers)!r} {(raw.body or b'')[:300]!r}",
                  response.status_code, problems)

    raw_one()


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--model-dir", default="artifacts/model")
    p.add_argument("--requests", type=int, default=5000)
    a = p.parse_args()
    from model.scoring import Scorer

    tally = Tally()
    with tempfile.TemporaryDirectory() as tmp:
        run(build_server(Path(a.model_dir), Path(tmp), Scorer.load(a.model_dir)), a.requests, tally.add)
    print(f"requests {tally.requests}  5xx {tally.problems['5xx']}  non-JSON under /api/ "
          f"{tally.problems['non-JSON']}  non-finite numbers {tally.problems['non-finite']}  "
          f"other {sum(v for k, v in tally.problems.items() if k not in ('5xx', 'non-JSON', 'non-finite'))}")
    print("per status: " + ", ".join(f"{s}: {n}" for s, n in sorted(tally.statuses.items())))
    for kind, example in sorted(tally.examples.items()):
        print(f"  first {kind}: {example}")


if __name__ == "__main__":
    main()
