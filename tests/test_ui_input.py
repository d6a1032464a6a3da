"""Ordinary input that must not break the dashboard: '²' (a key of French keyboards, a Unicode digit
``int`` refuses), thousands of digits (beyond ``int``'s 4,300-digit limit) and forged URLs."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from callbacks.state import parse_state
from model.clients.directory import parse_client_id, suggest


@pytest.mark.parametrize("value, expected", [
    ("100002", 100002), (" 42 ", 42), (100002, 100002), (np.int64(7), 7), ("9" * 18, 10**18 - 1),
    ("²", None), ("1²", None), ("١٢٣", None), ("９", None), ("9" * 19, None), ("1" * 5000, None),
    ("-5", None), ("+5", None), ("1.0", None), ("", None), ("12\n", 12), (None, None), (True, None),
    (1.0, None), (-1, None), (10**18, None), ([1], None),
])
def test_parse_client_id(value, expected):
    assert parse_client_id(value) == expected


def test_url_and_suggestions_refuse_what_int_cannot_read():
    assert parse_state("?client=%C2%B2")["client"] is None
    assert parse_state("?client=" + "1" * 5000)["client"] is None
    assert parse_state("?client=100002&lang=en") == {"lang": "en", "client": 100002}
    directory = pd.DataFrame(index=pd.Index([100002, 100003, 100010]))
    assert suggest(directory, "²") == [] and suggest(directory, "1" * 5000) == []
    assert suggest(directory, "10000") == [100002, 100003]


def test_unknown_dash_component_file_is_a_404_without_traceback(tiny_scorer, demo_data_dir, tmp_path, caplog):
    """Issue 16 item 12: an anonymous request for a file Dash does not serve was a 500 with a traceback."""
    import logging

    from app import create_app
    from settings import get_settings

    app = create_app(get_settings({"INSTANCE_DIR": str(tmp_path), "SCORING_LOG": "off",
                                   "HOME_CREDIT_DIR": str(demo_data_dir)}), tiny_scorer)
    client = app.server.test_client()
    with caplog.at_level(logging.DEBUG):
        for path in ("/_dash-component-suites/x/y.js", "/_dash-component-suites/dash/nothing.js"):
            resp = client.get(path)
            assert resp.status_code == 404, path
    assert "Traceback" not in caplog.text and "DependencyException" not in caplog.text
