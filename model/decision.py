"""The credit decision, written once: granted, referred to a person, or refused.

A client is refused when the probability of default (PD) is at or above the top of the
referral band, referred to a credit analyst inside the band, granted below it. The band
sits around the cost-optimal threshold, where granting and refusing cost about the same:
an automatic answer there is a coin toss a person should make. Without a band (share 0)
the rule is the plain cost-optimal one: refused at or above the threshold.

Everything that shows or counts a decision (scores, the client list, the gauge, fairness
figures, the cost curve) asks this module, so a change of rule happens in one place.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any, Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray

Decision = Literal["granted", "refer", "refused"]
GRANTED: Decision = "granted"
REFER: Decision = "refer"
REFUSED: Decision = "refused"
#: Every decision, from the most to the least favourable to the client.
DECISIONS: tuple[Decision, ...] = (GRANTED, REFER, REFUSED)
#: Default half-width of the referral band: where the expected costs of granting and refusing
#: differ by less than this share of the larger one (see :meth:`DecisionRule.around`).
DEFAULT_REFER_SHARE = 0.10


def refused(probability: ArrayLike, threshold: float) -> NDArray[np.bool_]:
    """True where ``p >= threshold``: the cost-optimal rule that business costs are counted on.

    A referred client is decided by a person; the cost figures assume the person follows the
    threshold, so costs are computed with this rule and the band only changes who decides.
    """
    return np.asarray(probability, dtype=np.float64) >= threshold


@dataclass(frozen=True)
class DecisionRule:
    """Cost-optimal threshold and the referral band ``[refer_low, refer_high)`` around it."""

    threshold: float
    refer_low: float
    refer_high: float

    def __post_init__(self) -> None:
        values = (self.refer_low, self.threshold, self.refer_high)
        if not all(np.isfinite(v) for v in values) or not 0.0 <= self.refer_low <= self.threshold \
                <= self.refer_high <= 1.0:
            raise ValueError(f"a decision rule needs 0 <= refer_low <= threshold <= refer_high <= 1, got "
                             f"refer_low={self.refer_low}, threshold={self.threshold}, refer_high={self.refer_high}")

    @classmethod
    def around(cls, threshold: float, share: float = DEFAULT_REFER_SHARE) -> DecisionRule:
        """The band where the expected costs of granting and refusing differ by less than ``share``.

        The threshold says how much a missed defaulter costs against a refused good client:
        k = (1 − t) / t. Granting a client of PD p costs k·p, refusing costs (1 − p); their gap is
        below ``share`` of the larger one for (1 − s)/(k + 1 − s) < p < 1/(k(1 − s) + 1).
        """
        if not 0.0 <= share < 1.0:
            raise ValueError(f"the referral share must be in [0, 1), got {share}")
        if share == 0.0 or not 0.0 < threshold < 1.0:
            return cls(threshold, threshold, threshold)
        k = (1.0 - threshold) / threshold
        low = (1.0 - share) / (k + 1.0 - share)
        high = 1.0 / (k * (1.0 - share) + 1.0)
        return cls(threshold, low, high)

    def decide(self, probability: float) -> Decision:
        """The decision for one client (the same rule as :meth:`decide_all`, not a second copy)."""
        decision: Decision = str(self.decide_all([probability])[0])  # type: ignore[assignment]
        return decision

    def decide_all(self, probability: ArrayLike) -> NDArray[np.str_]:
        """The decision of every client, as an array of :data:`DECISIONS` labels."""
        p = np.asarray(probability, dtype=np.float64)
        band = (p >= self.refer_low) & (self.refer_low < self.refer_high)
        return np.where(p >= self.refer_high, REFUSED, np.where(band, REFER, GRANTED))

    def to_dict(self) -> dict[str, float]:
        return {k: float(v) for k, v in asdict(self).items()}

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any]) -> DecisionRule:
        """The rule stored in a model's metadata; a wrong value is named."""
        values: dict[str, float] = {}
        for name in ("threshold", "refer_low", "refer_high"):
            try:
                values[name] = float(raw[name])
            except (KeyError, TypeError, ValueError):
                raise ValueError(f"decision_rule.{name} must be a number") from None
        return cls(**values)
