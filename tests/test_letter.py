"""The decision letter (model/reporting/letter.py): real scores of the tiny demo model, read back with poppler."""
from __future__ import annotations

import hashlib
import shutil
import statistics
import subprocess
import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from model.artifact import METADATA_FILE, MODEL_FILE, Artifact, artifact_digest
from model.decision import GRANTED, REFUSED
from model.reporting import letter
from model.reporting.letter import (
    CounterOffer,
    LetterError,
    LetterFacts,
    LetterReview,
    letter_facts,
    letter_pdf,
)
from model.text.formatting import date_in_words, format_percent
from model.text.languages import LANGS
from model.text.strings import t

ISSUED = datetime(2026, 12, 1, 9, 30, tzinfo=UTC)
OTHER_LANG = {"fr": "en", "en": "fr"}


@pytest.fixture(scope="module")
def poppler() -> None:
    lacking = [tool for tool in ("pdftotext", "pdfinfo", "pdftoppm") if shutil.which(tool) is None]
    if lacking:
        pytest.skip(f"poppler-utils not installed ({', '.join(lacking)} missing): `make browser` installs it")


@pytest.fixture(scope="module")
def clients(tiny_scorer) -> dict[str, int]:
    """The most and the least risky client of the tiny model: one refused, one granted."""
    p = tiny_scorer.scores["PROBABILITY"]
    refused, granted = int(p.idxmax()), int(p.idxmin())
    assert tiny_scorer.score_client(refused).decision == REFUSED
    assert tiny_scorer.score_client(granted).decision == GRANTED
    return {"refused": refused, "granted": granted}


def facts_of(scorer, client: int, lang, **kwargs) -> LetterFacts:
    return letter_facts(scorer.score_client(client), scorer, lang, issued=ISSUED, **kwargs)


def words(text: str) -> str:
    """Whitespace of any kind (line breaks, U+00A0, U+202F) as one space: text compared across line wraps."""
    return " ".join(text.split())


def read_pdf(pdf: bytes, tmp_path: Path, name: str = "letter") -> tuple[str, int]:
    """The PDF's text (pdftotext) and its number of pages (pdfinfo)."""
    path = tmp_path / f"{name}.pdf"
    path.write_bytes(pdf)
    text = subprocess.run(["pdftotext", "-enc", "UTF-8", str(path), "-"], check=True, capture_output=True,
                          text=True).stdout
    info = subprocess.run(["pdfinfo", str(path)], check=True, capture_output=True, text=True).stdout
    pages = int(next(line.split()[-1] for line in info.splitlines() if line.startswith("Pages:")))
    return words(text), pages


@pytest.mark.parametrize("lang", LANGS)
def test_refused_letter_states_decision_reasons_and_model(tiny_scorer, clients, poppler, tmp_path, lang):
    facts = facts_of(tiny_scorer, clients["refused"], lang)
    assert facts.decision == REFUSED and facts.reasons, "the refused client should carry reasons"
    text, pages = read_pdf(letter_pdf(facts, lang), tmp_path)
    assert pages <= 2
    assert t("letter.outcome.refused", lang) in text
    assert t("letter.outcome.granted", lang) not in text
    assert words(t("letter.decision.refused", lang)) in text
    for reason in facts.reasons:
        assert words(reason) in text
    assert t("letter.reasons_title", lang) in text
    assert words(format_percent(facts.probability, lang, 1)) in text
    assert words(t("letter.risk", lang, probability=format_percent(facts.probability, lang, 1), grade=facts.grade,
                   last=tiny_scorer.master_scale.labels[-1])) in text
    assert words(t("letter.next_review", lang)) in text
    assert facts.model_version in text
    assert facts.artifact_digest in text                      # the full fingerprint, once
    assert text.count(facts.artifact_digest[:16]) >= pages + 1  # and its head in every page's footer
    footer = t("letter.footer", lang, version=facts.model_version, digest=facts.artifact_digest[:16], page=pages,
               pages=pages)
    assert words(footer) in text                               # "page X/Y" with the real total
    assert t("letter.salutation", OTHER_LANG[lang]) not in text


@pytest.mark.parametrize("lang", LANGS)
def test_granted_letter_has_no_reasons_nor_offer(tiny_scorer, clients, poppler, tmp_path, lang):
    offer = CounterOffer(("Une offre qui ne doit pas paraître",))
    facts = facts_of(tiny_scorer, clients["granted"], lang, counter_offer=offer)
    assert facts.reasons == ()
    text, pages = read_pdf(letter_pdf(facts, lang), tmp_path)
    assert pages == 1
    assert t("letter.outcome.granted", lang) in text
    assert t("letter.outcome.refused", lang) not in text
    assert t("letter.reasons_title", lang) not in text
    assert t("letter.offer_title", lang) not in text and offer.lines[0] not in text
    assert words(t("letter.next_granted", lang)) in text
    assert facts.model_version in text and facts.artifact_digest in text
    assert words(date_in_words(ISSUED, lang)) in text


@pytest.mark.parametrize("lang", LANGS)
def test_counter_offer_and_review_are_printed(tiny_scorer, clients, poppler, tmp_path, lang):
    offer = CounterOffer(("Un montant de 180 000 € sur 24 mois", "Un montant de 120 000 € sur 36 mois"))
    review = LetterReview(datetime(2026, 11, 30, 14, 0, tzinfo=UTC), "mdupont", "confirm", REFUSED,
                          "Revenus insuffisants au regard des charges déclarées.")
    facts = facts_of(tiny_scorer, clients["refused"], lang, counter_offer=offer, reviews=(review,))
    text, pages = read_pdf(letter_pdf(facts, lang), tmp_path)
    assert pages <= 2
    assert t("letter.offer_title", lang) in text
    for line in offer.lines:
        assert words(line) in text
    assert t("letter.reviews_title", lang) in text
    assert words(t("letter.review_author", lang, username="mdupont")) in text
    assert words(t("letter.review.confirm", lang, decision=t("letter.after_review.refused", lang))) in text
    assert words(review.reason) in text
    assert words(date_in_words(review.timestamp, lang)) in text


def test_override_changes_the_decision_the_letter_announces(tiny_scorer, clients, poppler, tmp_path):
    review = LetterReview(ISSUED - timedelta(hours=2), "mdupont", "override", GRANTED, "Garant solvable ajouté.")
    facts = facts_of(tiny_scorer, clients["refused"], "fr", reviews=(review,),
                     counter_offer=CounterOffer(("Un montant de 90 000 € sur 12 mois",)))
    assert facts.decision == REFUSED and facts.final_decision == GRANTED
    text, _ = read_pdf(letter_pdf(facts, "fr"), tmp_path)
    assert t("letter.outcome.granted", "fr") in text
    assert t("letter.outcome.refused", "fr") not in text
    assert words(t("letter.decision.reviewed", "fr")) in text
    assert words(t("letter.review.override", "fr", decision=t("letter.after_review.granted", "fr"))) in text
    assert t("letter.reasons_title", "fr") not in text and t("letter.offer_title", "fr") not in text


@pytest.mark.parametrize("lang", LANGS)
def test_long_reasons_offer_and_reviews_still_fit_two_pages(tiny_scorer, clients, poppler, tmp_path, lang):
    filler = "une phrase beaucoup trop longue pour une lettre, répétée sans fin " * 12
    reasons = tuple(f"Raison numéro {i} : {filler}" for i in range(1, 7))
    offer = CounterOffer(tuple(f"Proposition {i} : {filler}" for i in range(1, 13)))
    reviews = tuple(LetterReview(ISSUED - timedelta(days=10 - i), f"conseiller{i}-" + "x" * 150,
                                 "override" if i % 2 else "confirm", REFUSED, f"Motif {i} : {filler}")
                    for i in range(8))
    base = facts_of(tiny_scorer, clients["refused"], lang)
    facts = replace(base, reasons=reasons, counter_offer=offer, reviews=reviews)
    text, pages = read_pdf(letter_pdf(facts, lang), tmp_path)
    assert pages <= 2
    assert "…" in text                                          # cut visibly, not dropped silently
    assert filler * 2 not in text
    for i in range(1, 5):                                      # the first four reasons, each begun
        assert f"Raison numéro {i} :" in text
    assert "Raison numéro 5" not in text                       # at most four reasons
    assert "Proposition 1 :" in text
    detailed = [i for i in range(8) if f"Motif {i} :" in text]
    assert detailed and detailed == list(range(8 - len(detailed), 8))  # the latest reviews are detailed…
    assert len(detailed) <= 3
    assert words(t("letter.reviews_earlier", lang, count=str(8 - len(detailed)))) in text  # …the others counted
    assert facts.artifact_digest in text and words(t("letter.closing", lang)) in text


def test_every_character_has_a_glyph(tiny_scorer, clients, caplog):
    """French numbers (U+202F), the euro sign, guillemets and the minus sign are drawn, not left blank: fpdf2
    names every character its font lacks."""
    offer = CounterOffer(("Un montant de 180 000 € sur 24 mois, soit −20 000 € « au plus »",))
    for lang in LANGS:
        with caplog.at_level("WARNING", logger="fpdf"):
            letter_pdf(facts_of(tiny_scorer, clients["refused"], lang, counter_offer=offer), lang)
    assert not [r for r in caplog.records if "missing" in r.getMessage()]
    with caplog.at_level("WARNING", logger="fpdf"):  # the check sees a character the font lacks
        letter_pdf(facts_of(tiny_scorer, clients["refused"], "fr", counter_offer=CounterOffer(("漢",))), "fr")
    assert [r for r in caplog.records if "missing" in r.getMessage()]


def test_first_page_renders_as_a_letter(tiny_scorer, clients, poppler, tmp_path):
    from PIL import Image

    for lang in LANGS:
        pdf = tmp_path / f"letter-{lang}.pdf"
        pdf.write_bytes(letter_pdf(facts_of(tiny_scorer, clients["refused"], lang), lang))
        subprocess.run(["pdftoppm", "-r", "50", "-png", "-f", "1", "-l", "1", "-singlefile", str(pdf),
                        str(tmp_path / f"page-{lang}")], check=True, capture_output=True)
        image = Image.open(tmp_path / f"page-{lang}.png").convert("L")
        width, height = image.size
        assert abs(width - 413) <= 1 and abs(height - 585) <= 1  # A4 portrait at 50 dpi
        histogram = image.histogram()
        ink = sum(histogram[:160]) / sum(histogram)
        assert 0.01 < ink < 0.30, f"page 1 in {lang} is {ink:.1%} ink"

        def inked(top: float, bottom: float, im=image, w=width, h=height) -> bool:
            band = im.crop((0, int(top * h), w, int(bottom * h)))
            return band.getextrema()[0] < 160

        assert inked(0.0, 0.12), "no letterhead"
        assert inked(0.93, 1.0), "no footer"


def test_generation_is_fast(tiny_scorer, clients):
    facts = facts_of(tiny_scorer, clients["refused"], "fr")
    letter_pdf(facts, "fr")
    times = []
    for _ in range(5):
        start = time.perf_counter()
        letter_pdf(facts, "fr")
        times.append(time.perf_counter() - start)
    assert statistics.median(times) < 3.0


def test_missing_font_is_named(tiny_scorer, clients, tmp_path, monkeypatch):
    facts = facts_of(tiny_scorer, clients["refused"], "fr")
    monkeypatch.setattr(letter, "font_dir", lambda: tmp_path)
    with pytest.raises(LetterError, match=r"DejaVuSans\.ttf.*matplotlib"):
        letter_pdf(facts, "fr")


def test_letter_facts_refuses_what_it_cannot_state(tiny_scorer, clients):
    score = tiny_scorer.score_client(clients["refused"])
    with pytest.raises(LetterError, match="another model"):
        letter_facts(replace(score, model_version="someone-else"), tiny_scorer, "fr")
    with pytest.raises(LetterError, match="client number"):
        letter_facts(replace(score, client_id=None), tiny_scorer, "fr")
    with pytest.raises(ValueError, match="verdict"):
        LetterReview(ISSUED, "mdupont", "maybe", REFUSED, "…")
    with pytest.raises(ValueError, match="decision"):
        LetterReview(ISSUED, "mdupont", "confirm", "accepted", "…")


def test_letter_facts_gather_the_score(tiny_scorer, clients):
    client = clients["refused"]
    score = tiny_scorer.score_client(client)
    facts = letter_facts(score, tiny_scorer, "en", issued=ISSUED)
    assert (facts.client_id, facts.decision, facts.probability, facts.grade) == \
        (client, score.decision, score.probability, score.grade)
    assert facts.worst_grade == tiny_scorer.master_scale.labels[-1] and facts.threshold == score.threshold
    assert facts.amount == pytest.approx(float(tiny_scorer.features_of(client)["AMT_CREDIT"].iloc[0]))
    assert 1 <= len(facts.reasons) <= 4
    assert facts.reasons != letter_facts(score, tiny_scorer, "fr", issued=ISSUED).reasons  # worded per language
    assert facts.model_version == tiny_scorer.version


def test_artifact_digest_is_the_model_file_then_its_metadata(tiny_scorer, tmp_path):
    artifact = tiny_scorer.artifact
    expected = hashlib.sha256((artifact.path / MODEL_FILE).read_bytes()
                              + (artifact.path / METADATA_FILE).read_bytes()).hexdigest()
    assert artifact_digest(artifact) == expected
    for name in (MODEL_FILE, METADATA_FILE):
        shutil.copy(artifact.path / name, tmp_path / name)
    copy = Artifact(model=artifact.model, metadata=artifact.metadata, path=tmp_path)
    assert artifact_digest(copy) == expected
    with (tmp_path / METADATA_FILE).open("a", encoding="utf-8") as file:
        file.write("\n")
    assert artifact_digest(copy) != expected


def test_dates_in_words():
    assert date_in_words(ISSUED, "fr") == "1er décembre 2026"
    assert date_in_words(ISSUED, "en") == "1 December 2026"
    assert date_in_words(datetime(2026, 11, 30, 23, 30, tzinfo=UTC), "fr") == "1er décembre 2026"  # Paris time
    assert date_in_words(datetime(2026, 11, 23, 12, 0), "fr") == "23 novembre 2026"


@pytest.mark.parametrize("lang", LANGS)
def test_a_refusal_without_counter_offer_says_so_and_what_the_client_can_do(tiny_scorer, clients, poppler,
                                                                            tmp_path, lang):
    facts = facts_of(tiny_scorer, clients["refused"], lang, counter_offer=None)
    text, pages = read_pdf(letter_pdf(facts, lang), tmp_path)
    assert pages <= 2
    assert t("letter.offer_title", lang) in text and words(t("letter.no_offer", lang)) in text
    with_offer = facts_of(tiny_scorer, clients["refused"], lang, counter_offer=CounterOffer(("Un montant",)))
    assert words(t("letter.no_offer", lang)) not in read_pdf(letter_pdf(with_offer, lang), tmp_path, "offer")[0]


def test_a_refusal_overridden_to_a_grant_carries_no_reasons(tiny_scorer, clients):
    review = LetterReview(datetime(2026, 11, 30, 14, 0, tzinfo=UTC), "mdupont", "override", GRANTED, "Garant.")
    assert facts_of(tiny_scorer, clients["refused"], "fr").reasons
    assert facts_of(tiny_scorer, clients["refused"], "fr", reviews=(review,)).reasons == ()
