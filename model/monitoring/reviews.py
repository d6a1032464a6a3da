"""The client's right to a human review: a manager confirms or overrides the model's decision, in writing.

A review is recorded *beside* the score, never over it: the ``reviews`` table is append-only
(database triggers refuse UPDATE and DELETE, :mod:`model.monitoring.store`), and it keeps the
model's own decision, probability and version as they were when the manager read them. So the
trail shows what the model said, who decided otherwise, when and why.

Rules (each refusal is a :class:`ReviewError` naming the field):

* only referred or refused files are reviewed: a granted decision needs no person's second look;
* ``confirm`` keeps the model's decision; ``override`` must change it;
* the reason is required (not blank), at most :data:`REASON_MAX` characters, and stored without the
  characters nobody sees (bidirectional controls and other format or control characters,
  :mod:`model.text.invisible`): what the client's letter prints is what the manager read;
* the author is the signed-in manager, never blank.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal, get_args

from sqlalchemy import Engine, insert, select

from model.decision import DECISIONS, GRANTED, Decision
from model.monitoring.store import AUTHOR_MAX, REASON_MAX, reviews, writing
from model.scoring import Score
from model.text.invisible import visible_text

__all__ = ["REASON_MAX", "VERDICTS", "Review", "ReviewError", "ReviewStore", "Verdict", "latest_decision"]

Verdict = Literal["confirm", "override"]
VERDICTS: tuple[Verdict, ...] = get_args(Verdict)


class ReviewError(ValueError):
    """A review that cannot be recorded; ``field`` names the input at fault (for the form)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field


@dataclass(frozen=True)
class Review:
    """One human review, as recorded (the model's decision at the time included)."""

    id: int
    timestamp: datetime
    client_id: int
    author: str
    verdict: Verdict
    #: The decision after the review (a :data:`model.decision.DECISIONS` value).
    decision: Decision
    reason: str
    model_decision: Decision
    model_probability: float
    model_version: str


def _check(client_id: int, author: str, verdict: str, decision: str, reason: str,
           score: Score) -> tuple[str, str]:
    """The cleaned author and reason, or a :class:`ReviewError` naming what is wrong."""
    if score.client_id is not None and int(score.client_id) != int(client_id):
        raise ReviewError("client_id", f"the score is client {score.client_id}'s, not client {client_id}'s")
    who = (author or "").strip()
    if not who:
        raise ReviewError("author", "a review is signed by the manager who makes it (no signed-in user)")
    if len(who) > AUTHOR_MAX:
        raise ReviewError("author", f"at most {AUTHOR_MAX} characters")
    if verdict not in VERDICTS:
        raise ReviewError("verdict", f"one of {', '.join(VERDICTS)}, not {verdict!r}")
    if decision not in DECISIONS:
        raise ReviewError("decision", f"one of {', '.join(DECISIONS)}, not {decision!r}")
    if score.model_decision == GRANTED:
        raise ReviewError("model_decision", "the model granted this file: reviews are for referred or refused files")
    if verdict == "confirm" and decision != score.model_decision:
        raise ReviewError("decision", f"a confirmation keeps the model's decision ({score.model_decision}), "
                                      f"not {decision!r}: choose override to change it")
    if verdict == "override" and decision == score.model_decision:
        raise ReviewError("decision", f"an override changes the model's decision; {decision!r} is the model's own")
    why = visible_text(reason or "").strip()
    if not why:
        raise ReviewError("reason", "a review gives its reason in writing (the reason is blank)")
    if len(why) > REASON_MAX:
        raise ReviewError("reason", f"at most {REASON_MAX} characters, got {len(why)}")
    return who, why


class ReviewStore:
    """The ``reviews`` table: :meth:`add` checks and appends, :meth:`for_client` reads a client's trail."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def add(self, client_id: int, author: str, verdict: str, decision: str, reason: str, score: Score) -> Review:
        """Record a review of ``score`` (the model's answer the manager read); refused with a
        :class:`ReviewError` when it breaks a rule of the module docstring."""
        who, why = _check(client_id, author, verdict, decision, reason, score)
        values = {"timestamp": datetime.now(UTC), "client_id": int(client_id), "author": who, "verdict": verdict,
                  "decision": decision, "reason": why, "model_decision": score.model_decision,
                  "model_probability": float(score.probability), "model_version": score.model_version}
        with writing(self.engine, durable=True) as conn:    # a reviewer's words survive a power cut
            new_id = conn.execute(insert(reviews).values(**values).returning(reviews.c.id)).scalar_one()
        return _review({"id": new_id, **values})

    def for_client(self, client_id: int) -> list[Review]:
        """Every review of one client, oldest first (the order they were made in)."""
        query = (select(reviews).where(reviews.c.client_id == int(client_id))
                 .order_by(reviews.c.timestamp, reviews.c.id))
        with self.engine.connect() as conn:
            return [_review(row._mapping) for row in conn.execute(query)]


def latest_decision(reviews: list[Review]) -> Decision | None:
    """The decision a client's file stands at after its reviews (the latest one's), None when unreviewed."""
    return reviews[-1].decision if reviews else None


def _review(m: Mapping[Any, Any]) -> Review:
    return Review(id=int(m["id"]), timestamp=m["timestamp"], client_id=int(m["client_id"]), author=m["author"],
                  verdict=m["verdict"], decision=m["decision"], reason=m["reason"],
                  model_decision=m["model_decision"], model_probability=float(m["model_probability"]),
                  model_version=m["model_version"])
