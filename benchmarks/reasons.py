"""What clients are told: the share of referred or refused clients given each reason, and how many
would hear a protected concept under another policy.

    python -m benchmarks.reasons --model-dir artifacts/model --data-dir ../shared/data/home-credit-sample
    python -m benchmarks.reasons --model-dir /tmp/large-model --data-dir ../shared/data/home-credit-large \\
        --applications application_test

Every application of ``--applications`` is scored as a new applicant by the batch path
(``model.batch.score_bucket``: /predict's features, TreeSHAP and reasons), so clients the model never
saw are counted as the API would answer them. For each client referred or refused it reads the
reasons the score carries (``Scorer.reason_policy``) and, for comparison, the reasons the policy of
the product before issue 25 would have given (gender alone protected; the concepts marked
``reason = false`` are left out of both, so the comparison is about age, family and social circle).
"""
from __future__ import annotations

import argparse
from collections import Counter
from pathlib import Path

import numpy as np

from data.load import load_tables
from data.schema import CHILD_TABLES
from model.batch import split_tables
from model.decision import GRANTED
from model.explain import explanation_from_shap, pd_of, shap_rows
from model.reasons import ReasonPolicy
from model.scoring import Scorer


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--model-dir", type=Path, default=Path("artifacts/model"))
    p.add_argument("--data-dir", type=Path, required=True)
    p.add_argument("--applications", default="application_test", choices=["application_train", "application_test"])
    p.add_argument("--buckets", type=int, default=8)
    a = p.parse_args(argv)
    scorer = Scorer.load(a.model_dir)
    policy = scorer.reason_policy
    before = ReasonPolicy(frozenset({"GENDER"}), policy.excluded_features)
    tables = load_tables(a.data_dir, [a.applications, *(CHILD_TABLES if scorer.include_children else ())])
    told: Counter[str] = Counter()
    told_before: Counter[str] = Counter()
    clients = given = untold_now = untold_before = 0
    for _k, bucket in split_tables(tables, a.buckets):
        X = scorer.applications_features(bucket)[scorer.features]
        shap = shap_rows(scorer.model, X, scorer.cat_features, scorer.leaf_shap)
        for i in range(len(X)):
            clients += 1
            row = shap[i]
            pd_ = pd_of(float(row[-1]) + float(row[:-1].astype(np.float64).sum()), scorer.calibration)
            if scorer.rule.decide(pd_) == GRANTED:
                continue
            e = explanation_from_shap(row, list(X.columns), list(X.iloc[i].to_numpy()), scorer.calibration)
            now, then = policy.factors(e), before.factors(e)
            given += 1
            told.update(r.code for r in now)
            told_before.update(r.code for r in then)
            untold_now += any(r.code in policy.untold for r in now)
            untold_before += any(r.code in policy.untold for r in then)
    print(f"{clients:,} applications of {a.data_dir / a.applications}, model {scorer.version}; "
          f"{given:,} referred or refused (given reasons)")
    print(f"protected or untold concepts: {sorted(policy.untold)}")
    print(f"clients told one of them: now {untold_now:,} ({untold_now / max(given, 1):.1%}), "
          f"with gender alone protected (before) {untold_before:,} ({untold_before / max(given, 1):.1%})")
    print(f"{'concept':<22s} {'now':>8s} {'before':>12s}")
    for code in sorted(set(told) | set(told_before), key=lambda c: -told_before[c]):
        print(f"{code:<22s} {told[code] / max(given, 1):>8.1%} {told_before[code] / max(given, 1):>12.1%}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
