"""Issue 28, item 5: forged callback inputs (a state that is a string, a query string that is a number,
a dict where a list is expected, NaN, huge or deeply nested values…) are answered with a 4xx or handled
as absent, never a 500: every callback of the dashboard, read from ``/_dash-dependencies``."""
from __future__ import annotations

import json
import logging

import pytest

from benchmarks.fuzz_callbacks import build_app, dependencies, forged_requests, signed_in_client
from callbacks.shell import next_state
from callbacks.state import client_of, lang_of, parse_state
from layouts import ids


@pytest.fixture(scope="module")
def app(tiny_model_dir, demo_data_dir, tmp_path_factory):
    return build_app(tiny_model_dir, demo_data_dir, tmp_path_factory.mktemp("instance"))


@pytest.fixture(scope="module")
def client(app):
    return signed_in_client(app.server)


@pytest.fixture
def known(tiny_scorer):
    return int(tiny_scorer.population.index[0])


def test_every_callback_forged_is_never_a_5xx(app, client, known, caplog):
    deps = dependencies(client)
    assert len(deps) >= 20                          # the whole dashboard, not an empty list
    statuses: dict[int, int] = {}
    reached: set[str] = set()
    with caplog.at_level(logging.ERROR):
        for forged in forged_requests(deps, 6 * len(deps) * 3, seed=1, known_client=known):
            status = forged.send(client).status_code
            statuses[status] = statuses.get(status, 0) + 1
            reached.add(forged.body["output"])
            assert status < 500, forged.what
    assert reached == {d["output"] for d in deps}
    assert not [r for r in caplog.records if r.exc_info], "a traceback in the log"
    assert statuses.get(200, 0) + statuses.get(204, 0) > 0      # some forged values are read as absent


def _route(client, search, state, known_lang="en"):
    deps = dependencies(client)
    dep = next(d for d in deps if d["output"].startswith(f"..{ids.URL}.search"))
    outputs = [dict(zip(("id", "property"), o.rsplit(".", 1))) for o in dep["output"].strip(".").split("...")]
    values = {f"{ids.URL}.search": search, f"{ids.LANG}.value": known_lang, f"{ids.STATE}.data": state}
    entries = [[] if i["id"].startswith("{") else {**i, "value": values.get(f"{i['id']}.{i['property']}")}
               for i in dep["inputs"]]
    body = {"output": dep["output"], "outputs": outputs, "changedPropIds": [f"{ids.URL}.search"],
            "inputs": entries, "state": [{**s, "value": values.get(f"{s['id']}.{s['property']}")}
                                         for s in dep["state"]]}
    return client.post("/_dash-update-component", data=json.dumps(body), content_type="application/json")


def test_a_page_request_still_passes_and_forged_state_is_a_400(client, known):
    ok = _route(client, f"?lang=en&client={known}", {"lang": "fr", "client": None})
    assert ok.status_code == 200
    assert ok.get_json()["response"][ids.STATE]["data"] == {"lang": "en", "client": known}
    for search, state in ((5, None), ({"a": 1}, None), ("?client=1", "x"), ("?client=1", [1, 2])):
        refused = _route(client, search, state)
        assert refused.status_code == 400 and refused.mimetype == "application/json", (search, state)
        assert refused.get_json()["error"]["code"] == "invalid_callback"
    # a state of the right kind with junk inside: read as the defaults
    junk = _route(client, "?lang=zz&client=abc", {"lang": ["fr"], "client": {"x": 1}})
    assert junk.status_code == 200
    assert junk.get_json()["response"][ids.STATE]["data"] == {"lang": "fr", "client": None}


@pytest.mark.parametrize("value", ["x", 5, 1.5, True, [], [1], {"lang": 5, "client": "x"}, {"client": 10**30}])
def test_the_state_rules_take_anything(tiny_scorer, value):
    assert parse_state(value) == {"lang": "fr", "client": None}
    assert lang_of(value) == "fr"
    assert client_of(tiny_scorer, value) is None
    out = next_state(tiny_scorer, ids.LANG, False, value, "en", value, value, value)
    assert out[2]["lang"] == "en"
    out = next_state(tiny_scorer, ids.URL, False, value, value, value, value, value)
    assert out[2] == {"lang": "fr", "client": None}
