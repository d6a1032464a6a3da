"""One row of the scoring log per file opened, not one per page view.

The dashboard shows a client's score on every page view, language switch and return to the
file; each display used to write a row, so the file's history listed "Tableau de bord" three
times in three minutes. The rule: a score shown in the dashboard is written once per
(sign-in session, client, model version). The first display writes the row *before* the score
is shown (no score without its row, docs/scoring-log.md); later displays in the same sign-in
find the row's mark in the sign-in's session and write nothing. Another sign-in (another
manager, or the same one after signing in again), another client or another model writes a
new row.

The marks live in the signed Flask session cookie, beside the sign-in's token they belong to:
every worker and host reads the same marks without a shared cache, a sign-out (which clears the
session) or a new sign-in starts afresh, and a browser cannot forge one. A mark is set only once
its row is written, so a failed write leaves none and the next display tries again; a mark lost
(two answers writing the cookie at once, the oldest of :data:`MAX_MARKS` dropped) costs one more
row, never a missing one. Without a sign-in (switched off for a demonstration or a test) the
browser's session stands for it.
"""
from __future__ import annotations

import hashlib
from typing import Any

from flask import has_request_context, session

from auth import SESSION_TOKEN_KEY
from model.scoring import Score
from services import Services

#: Flask session key of the marks: {"sign_in": digest of the sign-in's token, "marks": [...]}.
MARKS_KEY = "dashboard_logged"
#: Marks kept per sign-in (the oldest dropped first): a day of meetings, in a few hundred bytes.
MAX_MARKS = 100


def _digest(text: str, size: int) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:size]


def log_shown(services: Services, client: int, score: Score) -> None:
    """Write the dashboard's row of ``score`` unless this sign-in already has one for this client and
    model; raises what :meth:`ScoringLog.log` raises (the caller then shows no score)."""
    scoring_log = services.scoring_log
    if not scoring_log.enabled:
        return
    if not has_request_context():        # no session to hold a mark: every display is written
        scoring_log.log(score, services.scorer.feature_values(client), "dashboard")
        return
    token = session.get(SESSION_TOKEN_KEY)
    sign_in = _digest(token if isinstance(token, str) else "", 16)
    mark = _digest(f"{int(client)}:{score.model_version}", 12)
    held: Any = session.get(MARKS_KEY)
    marks = list(held["marks"]) if isinstance(held, dict) and held.get("sign_in") == sign_in and \
        isinstance(held.get("marks"), list) else []
    if mark in marks:
        return
    scoring_log.log(score, services.scorer.feature_values(client), "dashboard")
    session[MARKS_KEY] = {"sign_in": sign_in, "marks": [*marks, mark][-MAX_MARKS:]}
