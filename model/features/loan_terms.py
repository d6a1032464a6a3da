"""A loan's standard term and the yearly rate its annuity implies: what a lender charged says how risky
it judged the client. Used on the application (the loan asked for) and on each previous application.
"""
from __future__ import annotations

import numpy as np
import numpy.typing as npt

from model.features.arrays import F64, Floats, div

#: Monthly rates searched by :func:`annuity_rate`: -20 % to +50 % a month (beyond: NaN).
_RATE_BRACKET = (-0.2, 0.5)


def annuity_rate(credit: npt.ArrayLike, annuity: npt.ArrayLike, payments: npt.ArrayLike) -> Floats:
    """Yearly interest rate (12 × the monthly rate) of a loan of ``credit`` repaid by ``payments``
    monthly annuities of ``annuity``: the rate r solving annuity = credit · r / (1 − (1 + r)^−n).

    The public solutions' "interest rate" feature: what a lender charges a client says how risky
    it judged the client. A simple rate (total paid / credit − 1 per year) overstates long loans;
    the annuity formula is the one lenders use. The payment share annuity/credit rises strictly
    with r for a given n, so a vectorised bisection (60 halvings: far below a float32's
    precision) finds r. NaN where an input is missing or not positive, or the rate lies outside
    :data:`_RATE_BRACKET` (a payment share no real loan has).
    """
    c, a, n = (np.asarray(v, dtype=F64) for v in (credit, annuity, payments))
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        share = a / c
        ok = np.isfinite(share) & np.isfinite(n) & (c > 0) & (a > 0) & (n >= 1)
    share = np.where(ok, share, 1.0)
    n = np.where(ok, np.round(n), 1.0)
    lo = np.full(share.shape, _RATE_BRACKET[0])
    hi = np.full(share.shape, _RATE_BRACKET[1])

    def payment_share(r: Floats) -> Floats:
        near_zero = np.abs(r) < 1e-12
        safe = np.where(near_zero, 1e-12, r)
        with np.errstate(over="ignore"):     # a rate below zero over very many payments: the share is 0
            return np.where(near_zero, 1.0 / n, safe / -np.expm1(-n * np.log1p(safe)))

    inside = (payment_share(lo) <= share) & (share <= payment_share(hi))
    for _ in range(60):
        mid = (lo + hi) / 2
        below = payment_share(mid) < share
        lo = np.where(below, mid, lo)
        hi = np.where(below, hi, mid)
    rate: Floats = np.asarray(12.0 * (lo + hi) / 2, dtype=F64)
    rate[~(ok & inside)] = np.nan
    return rate


#: The terms (months) Home Credit's loans are mostly written for: the standard term of a loan is the
#: shortest of these that its payments can cover (credit / annuity payments, rounded up).
STANDARD_TERMS: tuple[int, ...] = (6, 10, 12, 18, 24, 30, 36, 48, 60)


def standard_term(credit: npt.ArrayLike, annuity: npt.ArrayLike) -> Floats:
    """The shortest :data:`STANDARD_TERMS` term of at least credit / annuity payments (NaN beyond the
    longest or without both amounts).

    The application does not give the number of payments, and this sample's previous applications
    are too few to learn it (:class:`model.population_features.TermModel`); loans are written for a
    few standard terms, so the first one the payments can cover is the likeliest. The rate it
    implies (:func:`annuity_rate`) is then what the lender charged: a loan priced high for its term
    is one the lender judged risky, which credit / annuity alone cannot show (two loans with the
    same ratio may be a cheap 12-month and a dear 10-month loan).
    """
    ratio = div(np.asarray(credit, dtype=F64), np.asarray(annuity, dtype=F64))
    terms = np.asarray(STANDARD_TERMS, dtype=F64)
    at = np.searchsorted(terms, np.where(np.isnan(ratio), np.inf, ratio - 1e-9), side="left")
    out = terms[np.minimum(at, len(terms) - 1)]
    return np.where((at < len(terms)) & ~np.isnan(ratio), out, np.nan)
