"""What the application's Gaussian copula draws besides its numeric columns.

Shared by ``tools/derive_reference.py`` (which measures the real rank correlations) and
``data/generate/`` (which draws from them), so both read one definition.

* The annuity and the goods price are drawn as their real ratios to the credit: a real annuity
  is the credit over its term at a rate, and a goods price about 0.9 × the credit, so drawing the
  ratios keeps the term's real distribution, which ranks of the amounts alone do not.
* A few category columns enter the copula as ordinals, their levels ordered by the real default
  rate: drawn independently, education or housing would be unrelated to the external scores,
  the income or the age, while on real clients they go together (and a model of the demo then
  leans on them as a model of real clients does).
"""
from __future__ import annotations

#: amount: the ratio drawn in its place (data.risk.RATIOS gives numerator and denominator)
COPULA_RATIOS: dict[str, str] = {"AMT_ANNUITY": "CREDIT_OVER_ANNUITY", "AMT_GOODS_PRICE": "GOODS_OVER_CREDIT"}
#: category columns drawn as ordinals inside the copula (the others are drawn independently, or
#: by the generator's rules: income type, organisation and occupation follow retirement)
COPULA_CATEGORIES: tuple[str, ...] = ("NAME_EDUCATION_TYPE", "NAME_FAMILY_STATUS", "NAME_HOUSING_TYPE", "CODE_GENDER",
                                      "FLAG_OWN_REALTY", "FLAG_OWN_CAR", "NAME_CONTRACT_TYPE", "NAME_TYPE_SUITE",
                                      "WALLSMATERIAL_MODE")


def ordinal(column: str) -> str:
    """The copula's name for a category column's ordinal."""
    return f"{column}#ordinal"
