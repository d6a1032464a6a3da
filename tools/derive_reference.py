"""Derive ``data/reference_stats.json`` (aggregate statistics only) from the real Kaggle sample.

The demo generator (``data/generate/``) reads that JSON at run time, never the real rows.
Everything stored is an aggregate: per-column missing rates, quantiles (201 points),
frequencies of discrete values and category levels, sentinel rates, Spearman-type
correlations of normal scores (the Gaussian copula), groups of columns that go
missing together, and a few relation statistics (ratios, delays). No row is copied.

    python tools/derive_reference.py /work/shared/data/home-credit-sample > data/reference_stats.json
    python tools/derive_reference.py --risk-model /work/shared/data/home-credit-large > data/risk_model.json

The second file is the demo's default risk (``data/risk.py``), learned from the 31,980 real
labelled clients of the larger set.
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.special import ndtri

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from data import risk, risk_fit  # noqa: E402
from data.copula import COPULA_CATEGORIES, COPULA_RATIOS, ordinal  # noqa: E402
from data.schema import DAYS_SENTINEL, KAGGLE_ROWS, TABLES  # noqa: E402

N_QUANTILES = 201          # 0, 0.5 %, ..., 100 %
MAX_DISCRETE = 40          # numeric columns with at most this many distinct values are sampled as discrete
GROUP_MIN_RATE = 0.005     # columns missing less often than this are not grouped
GROUP_CONTAINMENT = 0.9    # |A ∩ B| / min(|A|, |B|) above which two missing masks form one group
SOURCE_TABLE = {           # the application statistics come from application_train (it has TARGET)
    "application": "application_train",
}
KEYS = {"SK_ID_CURR", "SK_ID_BUREAU", "SK_ID_PREV", "TARGET"}


def _decimals(x: np.ndarray) -> int:
    """Smallest number of decimals (0..6) that represents >= 99 % of the values exactly."""
    for d in range(7):
        if np.mean(np.abs(np.round(x, d) - x) < 1e-9 * np.maximum(1, np.abs(x))) >= 0.99:
            return d
    return 6


def _numeric_stats(s: pd.Series, sentinel: int | None) -> dict:
    out: dict = {"missing": round(float(s.isna().mean()), 6)}
    x = s.dropna().to_numpy(dtype=float)
    if sentinel is not None:
        is_sent = x == sentinel
        out["sentinel"] = sentinel
        out["sentinel_rate"] = round(float(is_sent.mean()), 6) if x.size else 0.0
        x = x[~is_sent]
    if x.size == 0:
        out["values"], out["probs"] = [0.0], [1.0]
        return out
    vals, counts = np.unique(x, return_counts=True)
    if vals.size <= MAX_DISCRETE:
        out["values"] = [float(v) for v in vals]
        out["probs"] = [round(float(c) / x.size, 6) for c in counts]
    else:
        q = np.quantile(x, np.linspace(0, 1, N_QUANTILES))
        out["quantiles"] = [float(np.format_float_positional(v, precision=8, unique=True)) for v in q]
        out["decimals"] = _decimals(x)
    return out


def _category_stats(s: pd.Series) -> dict:
    freq = s.dropna().value_counts(normalize=True).sort_index()
    return {"missing": round(float(s.isna().mean()), 6),
            "levels": [str(v) for v in freq.index], "probs": [round(float(p), 6) for p in freq.values]}


def _normal_scores(df: pd.DataFrame, cols: list[str], sentinels: dict[str, int]) -> pd.DataFrame:
    z = {}
    for c in cols:
        s = df[c].astype(float)
        if c in sentinels:
            s = s.where(s != sentinels[c])
        r = s.rank(method="average")
        z[c] = ndtri(r / (s.notna().sum() + 1))
    return pd.DataFrame(z)


def _nearest_correlation(c: np.ndarray) -> np.ndarray:
    c = np.nan_to_num((c + c.T) / 2, nan=0.0)
    np.fill_diagonal(c, 1.0)
    w, v = np.linalg.eigh(c)
    c = (v * np.clip(w, 1e-3, None)) @ v.T
    d = np.sqrt(np.diag(c))
    return c / np.outer(d, d)


def _missing_groups(df: pd.DataFrame, cols: list[str]) -> list[list[str]]:
    miss = {c: df[c].isna().to_numpy() for c in cols}
    cand = [c for c in cols if miss[c].mean() >= GROUP_MIN_RATE]
    parent = {c: c for c in cand}

    def find(c: str) -> str:
        while parent[c] != c:
            c = parent[c]
        return c

    for i, a in enumerate(cand):
        for b in cand[i + 1:]:
            inter = np.sum(miss[a] & miss[b])
            if inter >= 20 and inter / min(miss[a].sum(), miss[b].sum()) >= GROUP_CONTAINMENT:
                parent[find(a)] = find(b)
    groups: dict[str, list[str]] = {}
    for c in cand:
        groups.setdefault(find(c), []).append(c)
    return [g for g in groups.values() if len(g) > 1]


def _q(x: np.ndarray, n: int = 101) -> list[float]:
    return [round(float(v), 6) for v in np.quantile(x, np.linspace(0, 1, n))]


def _marginals(name: str, df: pd.DataFrame) -> dict:
    """Per column, its marginal; for the application, also the ratios the copula draws
    (``data.copula``) and the missing groups."""
    table = TABLES[name]
    cols: dict[str, dict] = {}
    for col in table.columns:
        if col.name in KEYS or col.name not in df:
            continue
        if col.kind == "category":
            cols[col.name] = {"kind": "category", **_category_stats(df[col.name])}
        else:
            cols[col.name] = {"kind": col.kind, **_numeric_stats(df[col.name], col.sentinel)}
    out: dict = {"rows_in_sample": int(len(df)), "columns": cols}
    if name.startswith("application"):
        ratios = risk.risk_frame(df)
        out["ratios"] = {r: {"kind": "float", **_numeric_stats(ratios[r], None)} for r in COPULA_RATIOS.values()}
    out["missing_groups"] = _missing_groups(df, [c.name for c in table.columns if c.name not in KEYS])
    return out


def table_stats(name: str, df: pd.DataFrame) -> dict:
    table = TABLES[name]
    out = _marginals(name, df)
    sentinels = {c.name: c.sentinel for c in table.columns if c.sentinel is not None}
    numeric = [c for c, cs in out["columns"].items() if cs["kind"] != "category"]
    if "ratios" in out:  # the copula draws these ratios in place of the amounts, and ordinals of categories
        df = df.assign(**{r: risk.risk_frame(df)[r] for r in out["ratios"]})
        numeric = [COPULA_RATIOS.get(c, c) for c in numeric]
        rates = {c: df.groupby(c)["TARGET"].mean().sort_values() for c in COPULA_CATEGORIES}
        out["category_order"] = {c: [str(v) for v in r.index] for c, r in rates.items()}
        df = df.assign(**{ordinal(c): df[c].map({lv: i for i, lv in enumerate(r.index)}).astype(float)
                          for c, r in rates.items()})
        numeric += [ordinal(c) for c in COPULA_CATEGORIES]
    z = _normal_scores(df, numeric, sentinels)
    corr = _nearest_correlation(z.corr(min_periods=30).to_numpy())
    out["copula"] = {"columns": numeric, "corr": [[round(float(v), 4) for v in row] for row in corr]}
    return out


def relations(f: dict[str, pd.DataFrame]) -> dict:
    app, inst, prev = f["application_train"], f["installments_payments"], f["previous_application"]
    ok = app["AMT_GOODS_PRICE"].notna()
    delay = (inst["DAYS_ENTRY_PAYMENT"] - inst["DAYS_INSTALMENT"]).dropna().to_numpy()
    pay = inst.dropna(subset=["AMT_PAYMENT"])
    pay = pay[pay["AMT_INSTALMENT"] > 0]
    ratio = (pay["AMT_PAYMENT"] / pay["AMT_INSTALMENT"]).to_numpy()
    bb = f["bureau_balance"]["STATUS"].value_counts(normalize=True)
    return {
        "target_rate": round(float(app["TARGET"].mean()), 6),
        "goods_over_credit": _q((app.loc[ok, "AMT_GOODS_PRICE"] / app.loc[ok, "AMT_CREDIT"]).to_numpy()),
        "credit_over_annuity": _q((app["AMT_CREDIT"] / app["AMT_ANNUITY"]).dropna().to_numpy()),
        "instalment_late_rate": round(float(np.mean(delay > 0)), 6),
        "instalment_delay_late": _q(delay[delay > 0]),
        "instalment_delay_early": _q(delay[delay <= 0]),
        "instalment_underpaid_rate": round(float(np.mean(ratio < 1 - 1e-9)), 6),
        "instalment_underpaid_ratio": _q(ratio[ratio < 1 - 1e-9]),
        "prev_days_offset": {  # quantiles of (DAYS_x - DAYS_DECISION) over dated (non-sentinel) rows
            c: _q((prev[c] - prev["DAYS_DECISION"])[prev[c].notna() & (prev[c] != DAYS_SENTINEL)].to_numpy())
            for c in ("DAYS_FIRST_DRAWING", "DAYS_FIRST_DUE", "DAYS_LAST_DUE_1ST_VERSION", "DAYS_LAST_DUE",
                      "DAYS_TERMINATION")},
        "bureau_balance_status": {str(k): round(float(v), 6) for k, v in bb.sort_index().items()},
        "prev_status_by_contract_type": {
            str(t): {str(k): round(float(v), 6) for k, v in g.value_counts(normalize=True).sort_index().items()}
            for t, g in prev.groupby("NAME_CONTRACT_TYPE")["NAME_CONTRACT_STATUS"]},
    }


def main(src: Path) -> dict:
    frames = {name: pd.read_csv(src / f"{name}.csv") for name in TABLES}
    out = {
        "source": "aggregates of the real partial Kaggle extract (see SOURCES.md there); no rows",
        "n_quantiles": N_QUANTILES,
        "tables": {name: table_stats(name, df) for name, df in frames.items() if name != "application_test"},
        # The real test table's own marginals (its missing rates differ from the training table's:
        # EXT_SOURCE_1 by 10.9 points); the demo's test rows take the training table's copula.
        "application_test": _marginals("application_test", frames["application_test"]),
        "relations": relations(frames),
        # Per-client row counts cannot be read from a row sample: the means are Kaggle's totals
        # (data.schema.KAGGLE_ROWS); the shares of clients with no rows are Kaggle's published figures.
        "row_counts": {
            "per_client_mean": {t: round(KAGGLE_ROWS[t] / (KAGGLE_ROWS["application_train"]
                                                            + KAGGLE_ROWS["application_test"]), 6)
                                for t in ("bureau", "previous_application")},
            "zero_share": {"bureau": 0.14, "previous_application": 0.05},
            "per_bureau_mean": {"bureau_balance": round(KAGGLE_ROWS["bureau_balance"] / KAGGLE_ROWS["bureau"], 6)},
            "per_previous_mean": {t: round(KAGGLE_ROWS[t] / KAGGLE_ROWS["previous_application"], 6)
                                  for t in ("POS_CASH_balance", "installments_payments", "credit_card_balance")},
            "bureau_balance_share": 0.5,
        },
    }
    return out


def risk_model(large: Path) -> dict:
    """The demo's risk model (``data/risk_model.json``), fitted on every real labelled client."""
    app = pd.read_csv(large / "application_train.csv.gz")
    return {"source": f"additive logistic model fitted on {large.name}/application_train ({len(app):,} real "
                      "clients); aggregates only: quantile bins and category levels held by many clients",
            **risk_fit.fit(app)}


if __name__ == "__main__":
    import argparse

    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("sample", type=Path, nargs="?", default=Path("/work/shared/data/home-credit-sample"))
    p.add_argument("--risk-model", type=Path, metavar="LARGE_DIR",
                   help="instead: fit the demo's risk model on this folder (home-credit-large) and print it")
    a = p.parse_args()
    print(json.dumps(risk_model(a.risk_model) if a.risk_model else main(a.sample), indent=1))
