"""The decision letter: a printable PDF (A4, at most two pages) that tells a client the decision on their
credit application, in French or in English.

Two steps, so that the web layer decides what goes in and this module only how it reads:

* :func:`letter_facts` gathers everything the letter states from a :class:`~model.scoring.Score` and its
  :class:`~model.scoring.Scorer`: the decision, the probability of default and the risk grade, the
  reasons (the ranked factors the score carries, :mod:`model.reasons`: the same as every screen and the API), the amount
  asked, the model version and the fingerprint of the model file (:func:`model.artifact.artifact_digest`),
  plus what the web layer adds (a counter-offer, the human reviews recorded by managers);
* :func:`letter_pdf` lays those facts out with fpdf2 (pure Python, no system library).

The letter states the **decision after review**: the last review's decision when a manager recorded one,
the model's decision otherwise. Reasons and a counter-offer are given only when that decision is not a
grant. Every word comes from ``model/text/data/strings.toml`` (keys ``letter.*``) and every number from
:mod:`model.text.formatting`. Texts that could overflow the two pages (reasons, offer lines, reviews) are
cut at a word with an ellipsis after a fixed number of lines, and only the latest reviews are detailed
(the others are counted), so the letter never spills onto a third page. What a manager typed (a
review's reason, its author) is printed without the characters nobody sees, bidirectional controls
included (:func:`model.text.invisible.visible_text`): reviews recorded before they were refused at the
door print as they read, never reordered.

The fonts are the DejaVu Sans faces matplotlib ships (``mpl-data/fonts/ttf``): the euro sign and the
narrow no-break spaces of French numbers are outside the PDF core fonts' Latin-1.
"""
from __future__ import annotations

import importlib.util
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

from fpdf import FPDF
from fpdf.enums import XPos, YPos

from model.artifact import artifact_digest
from model.decision import DECISIONS, GRANTED, Decision
from model.reasons import MAX_REASONS
from model.scoring import Score, Scorer
from model.text.formatting import date_in_words, format_currency, format_number, format_percent, is_missing
from model.text.invisible import visible_text
from model.text.languages import LOCALES, Lang, check_lang
from model.text.strings import t

__all__ = ["CounterOffer", "LetterError", "LetterFacts", "LetterReview", "letter_facts", "letter_pdf"]

Verdict = Literal["confirm", "override"]
VERDICTS: tuple[Verdict, ...] = ("confirm", "override")
#: Column of the population holding the credit asked for.
AMOUNT_COLUMN = "AMT_CREDIT"
#: Characters of the fingerprint shown in each page's footer (the full one is in "About this letter").
FOOTER_DIGEST = 16
ELLIPSIS = "…"

#: The font faces used, from matplotlib's ``mpl-data/fonts/ttf`` (each one parsed costs ~0.1 s per letter).
FONT = "DejaVu"
FONT_FILES: dict[tuple[str, str], str] = {(FONT, ""): "DejaVuSans.ttf", (FONT, "B"): "DejaVuSans-Bold.ttf"}

# Typography (millimetres, points, RGB).
MARGIN_X, MARGIN_TOP, MARGIN_BOTTOM = 22.0, 18.0, 20.0
BODY_SIZE, LINE = 10.0, 5.0
SMALL_SIZE, SMALL_LINE = 8.0, 4.0
INDENT = 7.0
INK = (33, 37, 41)
MUTED = (88, 94, 101)
ACCENT = (0, 62, 116)
PANEL = (238, 243, 248)


class LetterError(RuntimeError):
    """A letter that cannot be produced (missing font, unusable facts), with the reason in plain words."""


@dataclass(frozen=True)
class LetterReview:
    """A human review recorded by a manager: confirmed or overrode the decision, and why."""

    timestamp: datetime
    author: str
    verdict: str  # "confirm" | "override"
    decision: str  # the decision after the review (a model.decision Decision value)
    reason: str

    def __post_init__(self) -> None:
        if self.verdict not in VERDICTS:
            raise ValueError(f"a review's verdict is one of {VERDICTS}, got {self.verdict!r}")
        if self.decision not in DECISIONS:
            raise ValueError(f"a review's decision is one of {DECISIONS}, got {self.decision!r}")


@dataclass(frozen=True)
class CounterOffer:
    """What would be granted instead (already re-scored under the threshold), worded in the letter's language."""

    lines: tuple[str, ...]  # e.g. "Un montant de 180 000 € sur 24 mois"


@dataclass(frozen=True)
class LetterFacts:
    """Everything a decision letter states; texts are already in the letter's language."""

    client_id: int
    issued: datetime
    decision: str  # the model's decision (model.decision Decision value)
    probability: float
    grade: str
    worst_grade: str  # last grade of the master scale ("grade C on a scale from A to J")
    threshold: float
    reasons: tuple[str, ...]  # up to 4 reason texts
    counter_offer: CounterOffer | None
    reviews: tuple[LetterReview, ...]
    model_version: str
    artifact_digest: str  # sha256 hex of the model artifact (model.artifact.artifact_digest)
    amount: float | None  # credit asked (AMT_CREDIT)

    def __post_init__(self) -> None:
        if self.decision not in DECISIONS:
            raise ValueError(f"a letter's decision is one of {DECISIONS}, got {self.decision!r}")

    @property
    def final_decision(self) -> Decision:
        """The decision the letter announces: the latest review's when there is one, else the model's."""
        reviews = self.sorted_reviews
        decision = reviews[-1].decision if reviews else self.decision
        return _decision(decision)

    @property
    def sorted_reviews(self) -> tuple[LetterReview, ...]:
        return tuple(sorted(self.reviews, key=lambda r: r.timestamp))


def _decision(value: str) -> Decision:
    for d in DECISIONS:
        if d == value:
            return d
    raise ValueError(f"unknown decision {value!r}")


def letter_facts(score: Score, scorer: Scorer, lang: Lang, *, counter_offer: CounterOffer | None = None,
                 reviews: Sequence[LetterReview] = (), issued: datetime | None = None) -> LetterFacts:
    """The facts of ``score``'s letter, its reasons worded in ``lang`` (the language the letter is printed in)."""
    lang = check_lang(lang)
    if score.client_id is None:
        raise LetterError("a decision letter needs a client number: this score is of an unnumbered applicant")
    if score.model_version != scorer.version:
        raise LetterError(f"the score comes from model {score.model_version}, the scorer serves {scorer.version}: "
                          "the letter would print another model's fingerprint")
    return LetterFacts(
        client_id=int(score.client_id),
        issued=issued if issued is not None else datetime.now(UTC),
        decision=score.model_decision,
        probability=float(score.probability),
        grade=score.grade,
        worst_grade=scorer.master_scale.labels[-1],
        threshold=float(score.threshold),
        # the reasons of the decision after review, as Score.reasons (none for a grant)
        reasons=tuple(r.text(lang) for r in score.with_review(_latest(reviews)).reasons[:MAX_REASONS]),
        counter_offer=counter_offer,
        reviews=tuple(reviews),
        model_version=score.model_version,
        artifact_digest=artifact_digest(scorer.artifact),
        amount=_amount(scorer, int(score.client_id)),
    )


def _latest(reviews: Sequence[LetterReview]) -> Decision | None:
    return _decision(max(reviews, key=lambda r: r.timestamp).decision) if reviews else None


def _amount(scorer: Scorer, client_id: int) -> float | None:
    """The credit a known client asked for; None when unknown or not a column of the population."""
    if AMOUNT_COLUMN not in scorer.population.columns or not scorer.knows(client_id):
        return None
    value = scorer.features_of(client_id)[AMOUNT_COLUMN].iloc[0]
    return None if is_missing(value) else float(value)


# -- fonts ----------------------------------------------------------------------------------

def font_dir() -> Path:
    """matplotlib's font folder, found without importing matplotlib (a second's import for two paths)."""
    spec = importlib.util.find_spec("matplotlib")
    if spec is None or not spec.submodule_search_locations:
        raise LetterError("the decision letter needs the DejaVu Sans fonts shipped with matplotlib, which is not "
                          "installed: run `pip install -r requirements.txt`")
    return Path(next(iter(spec.submodule_search_locations))) / "mpl-data" / "fonts" / "ttf"


def _font_paths() -> dict[tuple[str, str], Path]:
    folder = font_dir()
    paths = {face: folder / name for face, name in FONT_FILES.items()}
    lacking = [p.name for p in paths.values() if not p.is_file()]
    if lacking:
        raise LetterError(f"the decision letter's fonts {', '.join(lacking)} are missing from {folder} "
                          "(they come with matplotlib: reinstall it with `pip install -r requirements.txt`)")
    return paths


# -- layout ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class _Limits:
    """How much of each open-ended text is printed: the generous limits first, the tight ones (which fit
    two pages whatever the texts) when the letter would run onto a third page."""

    reason_lines: int = 3
    offer_items: int = 5
    offer_lines: int = 2
    reviews: int = 3
    review_reason_lines: int = 3
    author_chars: int = 40


LIMITS = (_Limits(), _Limits(reason_lines=2, offer_items=3, offer_lines=1, reviews=2, review_reason_lines=2,
                             author_chars=24))


class _Letter(FPDF):
    def __init__(self, facts: LetterFacts, lang: Lang, fonts: dict[tuple[str, str], Path]) -> None:
        super().__init__(orientation="portrait", unit="mm", format="A4")
        self.letter_facts, self.letter_lang = facts, lang
        for (family, style), path in fonts.items():
            self.add_font(family, style, str(path))
        self.set_margins(MARGIN_X, MARGIN_TOP, MARGIN_X)
        self.set_auto_page_break(True, margin=MARGIN_BOTTOM)
        self.set_title(t("letter.document_title", lang))
        self.set_author(t("letter.sender", lang))
        self.set_subject(t("letter.document_title", lang))
        self.set_lang(LOCALES[lang].replace("_", "-"))
        self.set_creator(t("letter.sender", lang))
        self.set_creation_date(facts.issued)
        self.set_text_color(*INK)

    def header(self) -> None:
        if self.page_no() == 1:
            return
        self.set_font(FONT, "", SMALL_SIZE)
        self.set_text_color(*MUTED)
        self.cell(0, SMALL_LINE, t("letter.continued", self.letter_lang, client_id=self.letter_facts.client_id,
                                   date=date_in_words(self.letter_facts.issued, self.letter_lang)),
                  new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.ln(4)
        self.set_text_color(*INK)

    def footer(self) -> None:
        self.set_y(-13)
        self.set_draw_color(*MUTED)
        self.set_line_width(0.2)
        self.line(MARGIN_X, self.get_y() - 1.5, self.w - MARGIN_X, self.get_y() - 1.5)
        self.set_font(FONT, "", SMALL_SIZE - 0.5)
        self.set_text_color(*MUTED)
        text = t("letter.footer", self.letter_lang, version=self.letter_facts.model_version,
                 digest=self.letter_facts.artifact_digest[:FOOTER_DIGEST], page=self.page_no(), pages=self.str_alias_nb_pages)
        self.cell(0, SMALL_LINE, _fit(self, text, self.epw), align="C")
        self.set_text_color(*INK)

    # -- blocks --
    def paragraph(self, text: str, gap: float = 2.6, size: float = BODY_SIZE, style: str = "",
                  line: float = LINE) -> None:
        self.set_font(FONT, style, size)
        self.multi_cell(0, line, text, align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.ln(gap)

    def heading(self, text: str) -> None:
        self.keep(LINE * 5)
        self.ln(1.5)
        self.set_font(FONT, "B", BODY_SIZE + 1)
        self.set_text_color(*ACCENT)
        self.cell(0, LINE + 1, text, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.set_text_color(*INK)
        self.ln(1.2)

    def keep(self, height: float) -> None:
        """A new page unless ``height`` millimetres are left (a heading never ends a page)."""
        if self.will_page_break(height):
            self.add_page()

    def items(self, texts: Sequence[str], numbered: bool, max_lines: int) -> None:
        width = self.epw - INDENT
        for i, text in enumerate(texts, start=1):
            self.set_font(FONT, "", BODY_SIZE)
            shown = clip(self, text, width, max_lines)
            self.keep(LINE * min(2, max_lines))
            self.set_font(FONT, "B" if numbered else "", BODY_SIZE)
            self.set_text_color(*ACCENT)
            self.cell(INDENT, LINE, f"{i}." if numbered else "•")
            self.set_text_color(*INK)
            self.set_font(FONT, "", BODY_SIZE)
            self.multi_cell(width, LINE, shown, align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
            self.ln(1.2)
        self.ln(1.4)

    def decision_panel(self, label: str, outcome: str) -> None:
        height = 15.0
        self.keep(height + 2)
        x, y = self.l_margin, self.get_y()
        self.set_fill_color(*PANEL)
        self.rect(x, y, self.epw, height, style="F")
        self.set_fill_color(*ACCENT)
        self.rect(x, y, 1.6, height, style="F")
        self.set_xy(x + 6, y + 2.2)
        self.set_font(FONT, "", SMALL_SIZE)
        self.set_text_color(*MUTED)
        self.cell(0, SMALL_LINE, label, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.set_x(x + 6)
        self.set_font(FONT, "B", BODY_SIZE + 3)
        self.set_text_color(*ACCENT)
        self.cell(0, 7, outcome, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.set_text_color(*INK)
        self.set_y(y + height + 4)


def _lines(pdf: FPDF, text: str, width: float) -> list[str]:
    lines = pdf.multi_cell(width, LINE, text, align="L", dry_run=True, output="LINES")
    if not isinstance(lines, list):
        raise TypeError(f"fpdf2's dry run returned {type(lines).__name__}, not the list of lines")
    return [str(line) for line in lines]


#: More characters than any line of the letter holds: a text is measured on a bounded prefix.
LINE_CHARS = 200


def clip(pdf: FPDF, text: str, width: float, max_lines: int) -> str:
    """``text`` as it fits in ``max_lines`` lines of ``width`` in the current font: whole, or cut at a word
    with an ellipsis (never silently overflowing a page)."""
    text = " ".join(text.split())
    budget = max_lines * LINE_CHARS  # measuring a text costs in proportion to its length
    lines = _lines(pdf, text[:budget], width)
    if len(lines) <= max_lines and len(text) <= budget:
        return text
    # what the first lines hold, then a word less at a time until the ellipsis fits too
    n = min(len(" ".join(lines[:max_lines])), len(text))
    while n > 0:
        shown = _cut(text, n)
        if len(_lines(pdf, shown, width)) <= max_lines:
            return shown
        n = len(shown) - len(ELLIPSIS) - 1
    return ELLIPSIS


def _cut(text: str, n: int) -> str:
    """The first ``n`` characters, back to the last word boundary when there is one, plus an ellipsis."""
    head = text[:n]
    if n < len(text) and text[n] != " " and " " in head:
        head = head[:head.rindex(" ")]
    return head.rstrip(" ,;:.") + ELLIPSIS


def _fit(pdf: FPDF, text: str, width: float) -> str:
    """One line: ``text`` cut with an ellipsis if wider than ``width`` in the current font."""
    if pdf.get_string_width(text) <= width - 2 * pdf.c_margin:
        return text
    while text and pdf.get_string_width(text + ELLIPSIS) > width - 2 * pdf.c_margin:
        text = text[:-1]
    return text.rstrip() + ELLIPSIS


def _frequency(probability: float) -> tuple[int, int]:
    """(count, base): "about ``count`` in ``base``" with at least 2 in the count where the PD allows it."""
    base = 100
    while round(probability * base) < 2 and base < 100_000:
        base *= 10
    return round(probability * base), base


def letter_pdf(facts: LetterFacts, lang: Lang) -> bytes:
    """The letter as PDF bytes (A4, at most two pages, fonts embedded)."""
    lang = check_lang(lang)
    fonts = _font_paths()
    generous, tight = LIMITS
    pdf = _render(facts, lang, fonts, generous)
    if pdf.pages_count > 2:
        pdf = _render(facts, lang, fonts, tight)
    return bytes(pdf.output())


def _render(facts: LetterFacts, lang: Lang, fonts: dict[tuple[str, str], Path], limits: _Limits) -> _Letter:
    pdf = _Letter(facts, lang, fonts)
    pdf.add_page()
    _letterhead(pdf, facts, lang)
    final = facts.final_decision
    reviews = facts.sorted_reviews

    pdf.paragraph(t("letter.salutation", lang), gap=2)
    request = (t("letter.request_amount", lang, amount=format_currency(facts.amount, lang))
               if facts.amount is not None else t("letter.request", lang))
    pdf.paragraph(request, gap=3)
    pdf.decision_panel(t("letter.decision_label", lang), t(f"letter.outcome.{final}", lang))
    pdf.paragraph(t(f"letter.decision.{final}", lang) + (" " + t("letter.decision.reviewed", lang) if reviews else ""),
                  gap=1.5)

    pdf.heading(t("letter.risk_title", lang))
    pdf.paragraph(t("letter.risk", lang, probability=format_percent(facts.probability, lang, 1), grade=facts.grade,
                    last=facts.worst_grade))
    count, base = _frequency(facts.probability)
    pdf.paragraph(t("letter.risk_meaning", lang, base=format_number(base, lang), count=format_number(count, lang)))
    pdf.paragraph(t("letter.risk_threshold", lang, threshold=format_percent(facts.threshold, lang, 1)), gap=1.5)

    if final != GRANTED and facts.reasons:
        pdf.heading(t("letter.reasons_title", lang))
        pdf.paragraph(t("letter.reasons_intro", lang), gap=1.5)
        pdf.items(facts.reasons[:MAX_REASONS], numbered=True, max_lines=limits.reason_lines)

    offer = facts.counter_offer
    if final != GRANTED and offer is not None and offer.lines:
        pdf.heading(t("letter.offer_title", lang))
        pdf.paragraph(t(f"letter.offer_intro.{final}", lang), gap=1.5)
        pdf.items(offer.lines[:limits.offer_items], numbered=False, max_lines=limits.offer_lines)
        pdf.paragraph(t("letter.offer_outro", lang), gap=1.5)
    elif final != GRANTED:
        # no amount or term we offer would be granted today: said plainly, with what the client can do
        pdf.heading(t("letter.offer_title", lang))
        pdf.paragraph(t("letter.no_offer", lang), gap=1.5)

    if reviews:
        _reviews(pdf, reviews, lang, limits)

    pdf.heading(t("letter.next_title", lang))
    steps = ([t("letter.next_granted", lang)] if final == GRANTED else
             [t("letter.next_review", lang), t("letter.next_view", lang)])
    pdf.items([*steps, t("letter.next_contact", lang, client_id=facts.client_id)], numbered=False, max_lines=4)
    if final != GRANTED:
        pdf.paragraph(t("letter.rights", lang), gap=3)

    pdf.keep(LINE * 4)
    pdf.paragraph(t("letter.closing", lang), gap=3)
    pdf.paragraph(t("letter.signature", lang), style="B", gap=0)
    pdf.paragraph(t("letter.sender", lang), gap=5)

    _about(pdf, facts, lang)
    return pdf


def _letterhead(pdf: _Letter, facts: LetterFacts, lang: Lang) -> None:
    pdf.set_font(FONT, "B", 18)
    pdf.set_text_color(*ACCENT)
    pdf.cell(0, 9, t("letter.sender", lang), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font(FONT, "", SMALL_SIZE + 1)
    pdf.set_text_color(*MUTED)
    pdf.cell(0, SMALL_LINE + 1, t("letter.department", lang), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    bottom = pdf.get_y()
    pdf.set_draw_color(*ACCENT)
    pdf.set_line_width(0.6)
    pdf.line(MARGIN_X, bottom + 2, pdf.w - MARGIN_X, bottom + 2)

    pdf.set_y(bottom + 10)
    pdf.set_text_color(*INK)
    pdf.set_font(FONT, "", BODY_SIZE)
    pdf.cell(0, LINE, t("letter.dated", lang, date=date_in_words(facts.issued, lang)), align="R",
             new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.cell(0, LINE, t("letter.your_number", lang, client_id=facts.client_id), align="R",
             new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(8)
    pdf.set_font(FONT, "B", BODY_SIZE + 0.5)
    pdf.multi_cell(0, LINE + 0.5, t("letter.subject", lang), align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(5)


def _reviews(pdf: _Letter, reviews: Sequence[LetterReview], lang: Lang, limits: _Limits) -> None:
    pdf.heading(t("letter.reviews_title", lang))
    pdf.paragraph(t("letter.reviews_intro", lang), gap=1.5)
    shown = reviews[-limits.reviews:]
    width = pdf.epw - INDENT
    for review in shown:
        pdf.set_font(FONT, "", BODY_SIZE)
        reason = clip(pdf, t("letter.review_reason", lang, reason=" ".join(visible_text(review.reason).split())),
                      width, limits.review_reason_lines)
        pdf.keep(LINE * 3)
        author = t("letter.review_author", lang, username=_short(visible_text(review.author), limits.author_chars))
        pdf.set_font(FONT, "B", BODY_SIZE)
        pdf.set_text_color(*ACCENT)
        pdf.cell(INDENT, LINE, "•")
        pdf.set_text_color(*INK)
        heading = t("letter.review_heading", lang, date=date_in_words(review.timestamp, lang), author=author)
        pdf.multi_cell(width, LINE, clip(pdf, heading, width, 2), align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.set_font(FONT, "", BODY_SIZE)
        verdict = t(f"letter.review.{review.verdict}", lang, decision=t(f"letter.after_review.{review.decision}", lang))
        for text in (verdict, reason):
            pdf.set_x(pdf.l_margin + INDENT)
            pdf.multi_cell(width, LINE, text, align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.ln(1.5)
    earlier = len(reviews) - len(shown)
    if earlier:
        pdf.set_x(pdf.l_margin + INDENT)
        pdf.paragraph(t("letter.reviews_earlier", lang, count=format_number(earlier, lang)), gap=1.5)
    pdf.ln(1.4)


def _short(text: str, chars: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= chars else text[:chars - 1].rstrip() + ELLIPSIS


def _about(pdf: _Letter, facts: LetterFacts, lang: Lang) -> None:
    pdf.keep(SMALL_LINE * 6)
    pdf.set_draw_color(*MUTED)
    pdf.set_line_width(0.2)
    pdf.line(MARGIN_X, pdf.get_y(), pdf.w - MARGIN_X, pdf.get_y())
    pdf.ln(2)
    pdf.set_text_color(*MUTED)
    pdf.paragraph(t("letter.about_title", lang), size=SMALL_SIZE, style="B", line=SMALL_LINE, gap=0.5)
    pdf.paragraph(t("letter.about", lang, version=facts.model_version), size=SMALL_SIZE, line=SMALL_LINE, gap=0.8)
    pdf.set_font(FONT, "", SMALL_SIZE - 0.5)
    pdf.cell(0, SMALL_LINE, _fit(pdf, facts.artifact_digest, pdf.epw), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_text_color(*INK)

