"""The credit decision, written once: a client is refused when the probability of default
is at or above the cost-optimal threshold, granted otherwise.

Everything that shows or counts a decision (scores, the client list, the gauge, fairness
figures, the cost curve) asks this module, so a change of rule happens in one place.
"""
from __future__ import annotations

from typing import Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray

Decision = Literal["granted", "refused"]
GRANTED: Decision = "granted"
REFUSED: Decision = "refused"
#: Every decision, from the most to the least favourable to the client.
DECISIONS: tuple[Decision, ...] = (GRANTED, REFUSED)


def refused(probability: ArrayLike, threshold: float) -> NDArray[np.bool_]:
    """True where the client is refused: the one place where the rule ``p >= threshold`` is written."""
    return np.asarray(probability, dtype=np.float64) >= threshold


def decide(probability: float, threshold: float) -> Decision:
    """The decision for one client."""
    return REFUSED if bool(refused(probability, threshold)) else GRANTED


def decide_all(probability: ArrayLike, threshold: float) -> NDArray[np.str_]:
    """The decision of every client, as an array of :data:`DECISIONS` labels."""
    return np.where(refused(probability, threshold), REFUSED, GRANTED)
