"""How closely the demo behaves like real clients: the goal table of docs/demo-data.md.

Both models are the product's own (``python -m model.train``), one trained on the demo, one on the
real larger set; every figure comes from the product's code:

    python benchmarks/demo_fidelity.py --demo-dir data/demo --demo-model artifacts/model \\
        --real-dir ../shared/data/home-credit-large --real-model /tmp/large-model \\
        --real-test ../shared/data/home-credit-sample/application_test.csv [--sample 100] [--seed 3]

Prints: out-of-fold AUC of each model; the top 10 concepts by mean |SHAP| of each and how many
they share; the mean PD's response to the amount (×0.5 … ×1.5 at the client's term) and to the
term (12 … 48 months at the client's amount and rate) over the same grid for ``--clients``
clients of each set; the counter-offer shares with their intervals (``--sample`` refused and
referred clients, ``model.simulation``); the largest gap between the demo's and the real
test table's missing rates.
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from data.load import find_table_file, read_table  # noqa: E402
from model.artifact import EXPLANATIONS_FILE  # noqa: E402
from model.explain import StoredExplanations  # noqa: E402
from model.scoring import Scorer  # noqa: E402
from model.simulation import ANNUITY, CREDIT, GOODS, ClientRecords, Simulator, counter_offer_summary  # noqa: E402

AMOUNT_FACTORS = (0.5, 0.75, 1.0, 1.25, 1.5)
TERMS = (12, 24, 36, 48)


def top_concepts(scorer: Scorer, k: int = 10) -> list[tuple[str, float]]:
    """Concepts by mean |SHAP| (log-odds) over every training client, as stored at training."""
    stored = StoredExplanations.load(scorer.artifact.extra(EXPLANATIONS_FILE))
    if stored.concept_value is None:
        raise SystemExit("the model stores no per-concept SHAP totals: retrain it")
    mean = np.abs(stored.concept_value.astype(np.float64)).mean(axis=0)
    order = np.argsort(-mean)[:k]
    return [(stored.concept_codes[i], float(mean[i])) for i in order]


def responses(sim: Simulator, clients: int, seed: int) -> dict[str, list[float]]:
    """Mean PD over the same grid of amounts and terms, for ``clients`` random known clients."""
    ids = sim.scorer.population.index.to_numpy()
    chosen = np.random.default_rng(seed).choice(ids, size=min(clients, len(ids)), replace=False)
    amount, term = [], []
    for client in chosen:
        loan = sim.loan(int(client))
        levers = sim.levers(int(client))
        if loan is None or levers[CREDIT] is None:
            continue
        goods = levers[GOODS]
        grid = [{CREDIT: loan.credit * f, ANNUITY: loan.payment * f, GOODS: (goods or loan.credit) * f}
                for f in AMOUNT_FACTORS]
        grid += [{CREDIT: loan.credit, ANNUITY: loan.payment_for(loan.credit, n), GOODS: goods or loan.credit}
                 for n in TERMS]
        pds = sim.probabilities(int(client), grid)
        amount.append(pds[: len(AMOUNT_FACTORS)])
        term.append(pds[len(AMOUNT_FACTORS):])
    return {"amount": np.mean(amount, axis=0).tolist(), "term": np.mean(term, axis=0).tolist(),
            "clients": [len(amount)]}


def describe(name: str, model_dir: Path, data_dir: Path, a: argparse.Namespace) -> dict:
    t0 = time.perf_counter()
    scorer = Scorer.load(model_dir)
    sim = Simulator(scorer, ClientRecords.load(data_dir, scorer.include_children))
    out = {"auc": float(scorer.artifact.metadata.cv_metrics["chosen"]["auc"]), "concepts": top_concepts(scorer),
           "response": responses(sim, a.clients, a.seed)}
    if a.sample:
        out["offers"] = counter_offer_summary(sim, a.sample, a.seed)["by_decision"]
    print(f"[{name}: {time.perf_counter() - t0:.0f} s]", flush=True)
    return out


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--demo-dir", type=Path, required=True)
    p.add_argument("--demo-model", type=Path, required=True)
    p.add_argument("--real-dir", type=Path, required=True)
    p.add_argument("--real-model", type=Path, required=True)
    p.add_argument("--real-test", type=Path, required=True, help="the real application_test file")
    p.add_argument("--clients", type=int, default=300, help="clients of each set for the PD responses")
    p.add_argument("--sample", type=int, default=100, help="refused and referred clients for the counter-offers "
                                                           "(0: skip)")
    p.add_argument("--seed", type=int, default=3)
    a = p.parse_args(argv)
    demo, real = (describe("demo", a.demo_model, a.demo_dir, a), describe("real", a.real_model, a.real_dir, a))

    print(f"\nout-of-fold AUC: demo {demo['auc']:.4f}, real {real['auc']:.4f} (gap {demo['auc'] - real['auc']:+.4f})")
    dc, rc = [c for c, _ in demo["concepts"]], [c for c, _ in real["concepts"]]
    print(f"top 10 concepts shared: {len(set(dc) & set(rc))}/10")
    for i, (d, r) in enumerate(zip(demo["concepts"], real["concepts"]), 1):
        print(f"  {i:2d}. demo {d[0]:<24} {d[1]:.3f}   real {r[0]:<24} {r[1]:.3f}")
    for lever, grid in (("amount ×", AMOUNT_FACTORS), ("term (months)", TERMS)):
        key = "amount" if lever.startswith("amount") else "term"
        d, r = demo["response"][key], real["response"][key]
        print(f"mean PD by {lever}: " + ", ".join(f"{g}: demo {x:.2%} real {y:.2%}" for g, x, y in zip(grid, d, r)))
        span_d, span_r = d[-1] - d[0], r[-1] - r[0]
        print(f"  response {grid[0]} → {grid[-1]}: demo {span_d:+.2%}, real {span_r:+.2%}, "
              f"ratio {span_d / span_r if span_r else float('nan'):.2f}")
    if a.sample:
        for decision in ("refused", "refer"):
            d, r = demo["offers"].get(decision), real["offers"].get(decision)
            if d and r and d["sampled"] and r["sampled"]:
                print(f"counter-offer share, {decision}: demo {d['share']:.1%} [{d['interval'][0]:.1%}, "
                      f"{d['interval'][1]:.1%}] ({d['sampled']}), real {r['share']:.1%} "
                      f"[{r['interval'][0]:.1%}, {r['interval'][1]:.1%}] ({r['sampled']})")
    found = find_table_file(a.demo_dir, "application_test")
    if found is None:
        raise SystemExit(f"{a.demo_dir}: no application_test file")
    demo_test = read_table(found, "application_test")
    real_test = pd.read_csv(a.real_test)
    gaps = (demo_test.isna().mean() - real_test[demo_test.columns].isna().mean()).abs().sort_values()
    print(f"application_test missing rates: largest gap {gaps.iloc[-1]:.1%} ({gaps.index[-1]}), "
          f"{int((gaps > 0.03).sum())} columns over 3 points")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
