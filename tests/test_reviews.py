"""Human reviews: checked before they are recorded (each refusal names its field), read back oldest
first with the model's own decision kept beside them, and append-only in the database itself."""
from __future__ import annotations

from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from model.decision import DecisionRule
from model.explain import Explanation
from model.monitoring.reviews import REASON_MAX, Review, ReviewError, ReviewStore
from model.monitoring.scoring_log import ScoringLog, record
from model.monitoring.store import engine_for
from model.scoring import Score

#: Granted below 0.25, referred in [0.25, 0.35), refused from 0.35.
RULE = DecisionRule(threshold=0.3, refer_low=0.25, refer_high=0.35)


def _score(probability: float, client: int | None = 7) -> Score:
    return Score(client, probability, RULE, "E", "20261203-v1", Explanation(0.0, 0.0, ()))


REFUSED, REFERRED, GRANTED = _score(0.5), _score(0.3), _score(0.1)


@pytest.fixture
def engine(tmp_path):
    return engine_for(f"sqlite:///{tmp_path / 'product.db'}")


@pytest.fixture
def reviews(engine) -> ReviewStore:
    return ReviewStore(engine)


def test_scores_of_the_fixture_decide_as_intended():
    assert (REFUSED.decision, REFERRED.decision, GRANTED.decision) == ("refused", "refer", "granted")


def test_a_review_is_recorded_beside_the_models_decision(reviews):
    before = datetime.now(UTC)
    review = reviews.add(7, "  alice ", "override", "granted", "  Revenus confirmés par trois bulletins de paie. ",
                         REFUSED)
    assert isinstance(review, Review) and review.id > 0
    assert (review.client_id, review.author, review.verdict, review.decision) == (7, "alice", "override", "granted")
    assert review.reason == "Revenus confirmés par trois bulletins de paie."
    assert (review.model_decision, review.model_probability, review.model_version) == ("refused", 0.5, "20261203-v1")
    assert before <= review.timestamp <= datetime.now(UTC) and review.timestamp.tzinfo is not None
    assert reviews.for_client(7) == [review]                     # read back exactly as returned


def test_reviews_of_a_client_come_oldest_first_and_only_theirs(reviews):
    first = reviews.add(7, "alice", "confirm", "refer", "Dossier incomplet, à revoir avec l'analyste.", REFERRED)
    reviews.add(8, "bob", "confirm", "refused", "Endettement trop élevé.", _score(0.6, client=8))
    second = reviews.add(7, "carole", "override", "refused", "Analyste : taux d'effort de 48 %.", REFERRED)
    assert reviews.for_client(7) == [first, second]
    assert [r.author for r in reviews.for_client(8)] == ["bob"]
    assert reviews.for_client(9) == []


@pytest.mark.parametrize(("args", "field", "words"), [
    ((7, "alice", "override", "granted", "   ", REFUSED), "reason", "blank"),
    ((7, "alice", "override", "granted", "", REFUSED), "reason", "blank"),
    ((7, "alice", "override", "granted", "x" * (REASON_MAX + 1), REFUSED), "reason", f"at most {REASON_MAX}"),
    ((7, "alice", "approve", "granted", "ok", REFUSED), "verdict", "confirm, override"),
    ((7, "alice", "override", "maybe", "ok", REFUSED), "decision", "granted, refer, refused"),
    ((7, "alice", "confirm", "granted", "ok", REFUSED), "decision", "keeps the model's decision"),
    ((7, "alice", "override", "refused", "ok", REFUSED), "decision", "changes the model's decision"),
    ((7, "alice", "confirm", "granted", "ok", GRANTED), "model_decision", "referred or refused"),
    ((7, "", "override", "granted", "ok", REFUSED), "author", "signed"),
    ((7, "   ", "override", "granted", "ok", REFUSED), "author", "signed"),
    ((7, "a" * 151, "override", "granted", "ok", REFUSED), "author", "at most 150"),
    ((8, "alice", "override", "granted", "ok", REFUSED), "client_id", "client 7's"),
])
def test_bad_reviews_are_refused_naming_the_field(reviews, args, field, words):
    with pytest.raises(ReviewError, match=words) as caught:
        reviews.add(*args)
    assert caught.value.field == field and str(caught.value).startswith(f"{field}:")
    assert isinstance(caught.value, ValueError)
    assert reviews.for_client(7) == [] and reviews.for_client(8) == []


def test_a_reason_of_exactly_the_limit_is_kept(reviews):
    assert len(reviews.add(7, "alice", "confirm", "refused", "é" * REASON_MAX, REFUSED).reason) == REASON_MAX


def test_reviews_and_scores_cannot_be_changed_or_deleted_through_the_engine(engine, reviews):
    review = reviews.add(7, "alice", "override", "granted", "Garant solvable.", REFUSED)
    log = ScoringLog(engine)
    log.append(record(REFUSED, {"A": 1.0}, "dashboard"))
    for statement in ("UPDATE reviews SET decision = 'refused'", "UPDATE reviews SET reason = 'autre'",
                      "DELETE FROM reviews", "UPDATE scores SET decision = 'granted'", "DELETE FROM scores"):
        with pytest.raises(sa.exc.DatabaseError, match="append-only"), engine.begin() as conn:
            conn.exec_driver_sql(statement)
    assert reviews.for_client(7) == [review]
    assert [r["decision"] for r in log.read()] == ["refused"]           # the model's decision, untouched


def test_the_database_refuses_a_review_that_bypasses_the_checks(engine):
    from model.monitoring.store import reviews as table

    row = {"timestamp": datetime.now(UTC), "client_id": 7, "author": "x", "decision": "granted",
           "model_decision": "refused", "model_probability": 0.5, "model_version": "v"}
    for bad in ({"verdict": "maybe", "reason": "ok"}, {"verdict": "confirm", "reason": ""}):
        with pytest.raises(sa.exc.IntegrityError), engine.begin() as conn:
            conn.execute(sa.insert(table).values(**row, **bad))


def test_services_give_every_callback_the_same_review_store(tmp_path, tiny_scorer):
    from app import create_app, services_of
    from settings import get_settings

    app = create_app(get_settings({"INSTANCE_DIR": str(tmp_path), "SCORING_LOG": "off"}), tiny_scorer)
    services = services_of(app.server)
    assert isinstance(services.reviews, ReviewStore) and not services.scoring_log.enabled
    client = next(int(c) for c in tiny_scorer.population.index if tiny_scorer.score_client(int(c)).decision != "granted")
    score = tiny_scorer.score_client(client)
    other = "granted" if score.decision == "refused" else "refused"
    review = services.reviews.add(client, "alice", "override", other, "Pièces justificatives reçues.", score)
    assert ReviewStore(engine_for(f"sqlite:///{tmp_path / 'product.db'}")).for_client(client) == [review]
