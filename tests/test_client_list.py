"""The manager's client list (callbacks/search.py), through the dashboard's own callback route: its
paging (next, previous, the ends, back to page 1 on new filters, kept across a language switch),
the filter reset, and the message for a filter it does not know (issue 29).

Expected pages are written from the tiny model's clients by hand: the client numbers sorted, cut in
pages of 15 (``PAGE_SIZE``'s default), the decisions read from the probabilities and the model's rule.
"""
from __future__ import annotations

import json
import math
import re
from typing import Any

import pytest

from layouts import ids
from tests.helpers import walk

PAGE = 15
LIST_OUTPUTS = (ids.CLIENT_TABLE, ids.CLIENT_PAGE, ids.PAGE_INFO, ids.PAGE_PREVIOUS, ids.PAGE_NEXT,
                ids.RESULT_COUNT, ids.FILTER_ERROR)


@pytest.fixture(scope="module")
def web(dashboard_app):
    """A test client of the dashboard (sign-in switched off: it has its own tests) and its callbacks."""
    dashboard_app.server.config["LOGIN_DISABLED"] = True
    client = dashboard_app.server.test_client()
    yield client, client.get("/_dash-dependencies").get_json()
    dashboard_app.server.config["LOGIN_DISABLED"] = False


def _callback(deps: list[dict[str, Any]], first_output: str) -> dict[str, Any]:
    """The callback whose first output is ``first_output`` ("component id.property")."""
    found = [d for d in deps if d["output"].strip(".").split("...")[0] == first_output]
    assert len(found) == 1, f"one callback writes {first_output} first, found {len(found)}"
    return found[0]


def _call(web, first_output: str, values: dict[str, Any], changed: str) -> dict[str, dict[str, Any]]:
    """POST one callback as the page's renderer does; {component id: {property: value}} of its answer."""
    client, deps = web
    dep = _callback(deps, first_output)
    parts = dep["output"].strip(".").split("...")
    outputs = [dict(zip(("id", "property"), p.rsplit(".", 1), strict=True)) for p in parts]

    def entry(spec: dict[str, str]) -> dict[str, Any]:
        return {**spec, "value": values.get(f"{spec['id']}.{spec['property']}")}

    body = {"output": dep["output"], "outputs": outputs if dep["output"].startswith("..") else outputs[0],
            "inputs": [entry(i) for i in dep["inputs"]], "state": [entry(s) for s in dep["state"]],
            "changedPropIds": [changed]}
    resp = client.post("/_dash-update-component", data=json.dumps(body), content_type="application/json")
    assert resp.status_code == 200, resp.get_data(as_text=True)[:300]
    answer: dict[str, dict[str, Any]] = resp.get_json()["response"]
    return answer


def _list(web, *, page: int = 0, trigger: str = ids.STATE, lang: str = "fr", client: int | None = None,
          **filters: Any) -> dict[str, Any]:
    """The client list's answer: the outputs by id (a missing one was left unchanged)."""
    values: dict[str, Any] = {f"{ids.STATE}.data": {"lang": lang, "client": client}, f"{ids.CLIENT_PAGE}.data": page,
                              f"{ids.PAGE_PREVIOUS}.n_clicks": 1 if trigger == ids.PAGE_PREVIOUS else None,
                              f"{ids.PAGE_NEXT}.n_clicks": 1 if trigger == ids.PAGE_NEXT else None}
    for name in ids.FILTER_NAMES:
        values[f"{ids.filter_id(name)}.value"] = filters.get(name, [])
    prop = {ids.STATE: "data", ids.PAGE_PREVIOUS: "n_clicks", ids.PAGE_NEXT: "n_clicks"}.get(trigger, "value")
    answer = _call(web, f"{ids.CLIENT_TABLE}.children", values, f"{trigger}.{prop}")
    out = {}
    for name in LIST_OUTPUTS:
        if name in answer:
            [(_, value)] = answer[name].items()
            out[name] = value
    return out


def _clients(table: Any) -> list[int]:
    """The client numbers of a table answered as JSON (the buttons that open a file), in order."""
    def nodes(node: Any):
        if isinstance(node, list):
            for n in node:
                yield from nodes(n)
        elif isinstance(node, dict):
            yield node
            yield from nodes(node.get("props", {}).get("children"))
    return [n["props"]["id"]["client"] for n in nodes(table)
            if isinstance(n.get("props", {}).get("id"), dict) and n["props"]["id"].get("type") == ids.OPEN_CLIENT]


def _plain(text: str) -> str:
    return re.sub(r"[\u00a0\u202f]", " ", text)


@pytest.fixture(scope="module")
def everyone(tiny_scorer) -> list[int]:
    return sorted(int(c) for c in tiny_scorer.population.index)


@pytest.fixture(scope="module")
def refused(tiny_scorer) -> list[int]:
    pds = tiny_scorer.scores["PROBABILITY"].reindex(tiny_scorer.population.index)
    return sorted(int(c) for c, p in pds.items() if p >= tiny_scorer.rule.refer_high)


def test_the_first_page_is_the_first_fifteen_clients_with_previous_disabled(web, everyone):
    pages = math.ceil(len(everyone) / PAGE)
    assert pages > 3                                        # enough clients to page through
    out = _list(web)
    assert _clients(out[ids.CLIENT_TABLE]) == everyone[:PAGE]
    assert out[ids.CLIENT_PAGE] == 0
    assert _plain(out[ids.PAGE_INFO]) == f"Page 1 sur {pages}"
    assert out[ids.PAGE_PREVIOUS] is True and out[ids.PAGE_NEXT] is False
    assert _plain(out[ids.RESULT_COUNT]) == f"{len(everyone):,} client(s) trouvé(s)".replace(",", " ")
    assert out[ids.FILTER_ERROR] == ""


def test_next_and_previous_move_one_page_and_stop_at_both_ends(web, everyone):
    pages = math.ceil(len(everyone) / PAGE)
    second = _list(web, page=0, trigger=ids.PAGE_NEXT)
    assert second[ids.CLIENT_PAGE] == 1 and _clients(second[ids.CLIENT_TABLE]) == everyone[PAGE:2 * PAGE]
    assert _plain(second[ids.PAGE_INFO]) == f"Page 2 sur {pages}"
    assert second[ids.PAGE_PREVIOUS] is False and second[ids.PAGE_NEXT] is False

    back = _list(web, page=3, trigger=ids.PAGE_PREVIOUS)
    assert back[ids.CLIENT_PAGE] == 2 and _clients(back[ids.CLIENT_TABLE]) == everyone[2 * PAGE:3 * PAGE]

    last = _list(web, page=pages - 2, trigger=ids.PAGE_NEXT)
    assert last[ids.CLIENT_PAGE] == pages - 1
    assert _clients(last[ids.CLIENT_TABLE]) == everyone[(pages - 1) * PAGE:]
    assert last[ids.PAGE_NEXT] is True and last[ids.PAGE_PREVIOUS] is False
    beyond = _list(web, page=pages - 1, trigger=ids.PAGE_NEXT)          # a click on a disabled "next"
    assert beyond[ids.CLIENT_PAGE] == pages - 1 and _plain(beyond[ids.PAGE_INFO]) == f"Page {pages} sur {pages}"
    before = _list(web, page=0, trigger=ids.PAGE_PREVIOUS)              # and on a disabled "previous"
    assert before[ids.CLIENT_PAGE] == 0 and _clients(before[ids.CLIENT_TABLE]) == everyone[:PAGE]


def test_new_filters_go_back_to_page_one_and_a_language_switch_keeps_the_page(web, refused):
    pages = math.ceil(len(refused) / PAGE)
    assert pages >= 2, "the tiny model refuses enough clients for two pages"
    filtered = _list(web, page=4, trigger=ids.filter_id("decision"), decision=["refused"])
    assert filtered[ids.CLIENT_PAGE] == 0
    assert _clients(filtered[ids.CLIENT_TABLE]) == refused[:PAGE]
    assert _plain(filtered[ids.PAGE_INFO]) == f"Page 1 sur {pages}"
    assert _plain(filtered[ids.RESULT_COUNT]).startswith(f"{len(refused)} client(s)")
    english = _list(web, page=1, trigger=ids.STATE, lang="en", decision=["refused"])
    assert english[ids.CLIENT_PAGE] == 1 and _clients(english[ids.CLIENT_TABLE]) == refused[PAGE:2 * PAGE]
    assert english[ids.PAGE_INFO] == f"Page 2 of {pages}"
    assert english[ids.RESULT_COUNT] == f"{len(refused)} client(s) found"


def test_a_filter_the_directory_does_not_know_is_ignored_and_said(web, everyone):
    count = f"{len(everyone):,}"
    for lang, message, found in (("fr", "Filtre non reconnu : il a été ignoré.", f"{count.replace(',', ' ')} client(s) trouvé(s)"),
                                 ("en", "Unrecognised filter: it was ignored.", f"{count} client(s) found")):
        out = _list(web, trigger=ids.filter_id("decision"), lang=lang, decision=["maybe"])
        assert _plain(out[ids.FILTER_ERROR]) == message
        assert _clients(out[ids.CLIENT_TABLE]) == everyone[:PAGE]             # the whole list, first page
        assert _plain(out[ids.RESULT_COUNT]) == found
    assert _list(web, trigger=ids.filter_id("decision"), decision=["refused"])[ids.FILTER_ERROR] == ""


def test_clear_the_filters_empties_every_filter(web):
    answer = _call(web, f"{ids.filter_id(ids.FILTER_NAMES[0])}.value", {f"{ids.FILTER_RESET}.n_clicks": 1},
                   f"{ids.FILTER_RESET}.n_clicks")
    assert answer == {ids.filter_id(n): {"value": []} for n in ids.FILTER_NAMES}


def test_the_reset_button_and_the_pager_are_on_the_search_screen():
    """The ids the callbacks answer are the page's: the reset button, both page buttons, the messages."""
    from layouts.search import layout

    shown = {c.id: c for c in walk(layout(lang="fr")) if isinstance(getattr(c, "id", None), str)}

    def words(name: str) -> str:
        return " ".join(str(c.children) for c in walk(shown[name].children) if isinstance(c.children, str))

    assert words(ids.FILTER_RESET) == "Effacer les filtres"
    assert words(ids.PAGE_PREVIOUS) == "Page précédente" and words(ids.PAGE_NEXT) == "Page suivante"
    assert {ids.PAGE_INFO, ids.RESULT_COUNT, ids.FILTER_ERROR, ids.CLIENT_TABLE, ids.CLIENT_PAGE} <= set(shown)


def test_an_open_file_empties_the_list(web, tiny_scorer):
    out = _list(web, client=int(tiny_scorer.population.index[0]))
    assert out[ids.CLIENT_TABLE] is None and ids.CLIENT_PAGE not in out           # the page number is kept
    assert out[ids.PAGE_PREVIOUS] is True and out[ids.PAGE_NEXT] is True
    assert out[ids.RESULT_COUNT] is None and out[ids.PAGE_INFO] is None
