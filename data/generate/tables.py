"""The eight tables drawn in Kaggle's order, one at a time: the application (its copula, the real
ratios, TARGET from the real risk model), then each child table, its rows hanging off their parents'
and carrying the risk only the history shows.
"""
from __future__ import annotations

from collections.abc import Iterator
from typing import Any, TypedDict

import numpy as np
import numpy.typing as npt
import pandas as pd
from scipy.special import expit, ndtr, ndtri

from data import risk
from data.copula import COPULA_RATIOS, ordinal
from data.generate.draws import (
    Column,
    Ints,
    Mask,
    bisect,
    cat_frame_column,
    category_codes,
    copula_uniforms,
    finish,
    inverse_cdf,
    missing_masks,
    month_of,
    nb_counts,
    numeric_column,
    ordinal_levels,
    positions,
    rerank,
    standardise,
)
from data.generate.reference import ColumnStats, Marginals, TableStats, reference
from data.schema import DAYS_SENTINEL, KAGGLE_DEFAULT_RATE, TABLES

TABLE_ORDER = tuple(TABLES)

# ---- the risk ----------------------------------------------------------------------------
#: logit(P(default)) = alpha + APP_SCALE × (real risk model of the application, data/risk.py)
#: + BETA_CHILD × r_child, alpha calibrated to Kaggle's rate. The scale gives back the spread the
#: real risk has on real applications: the copula keeps ranks, not the interactions the trees
#: read, so the same trees spread generated clients less (measured: the tests' quick model gives
#: an AUC of 0.676 on the demo at scale 1; at 1.35 the product's out-of-fold AUC on the demo is
#: 0.760, against 0.751 on the real larger set).
APP_SCALE = 1.35
#: r_child is the risk only the child tables show. On the real larger set the history tables add
#: little (a client in ten has rows): a larger weight puts history concepts in the demo's top ten
#: that the real model does not have (docs/demo-data.md).
BETA_CHILD = 0.1
#: Child tables see s = CHILD_MIX_CHILD * r_child + CHILD_MIX_APP * r_app (normalised).
CHILD_MIX_CHILD, CHILD_MIX_APP = 0.9, 0.1
BUREAU_LOADINGS = {"CREDIT_DAY_OVERDUE": 0.7, "AMT_CREDIT_SUM_OVERDUE": 0.7, "AMT_CREDIT_MAX_OVERDUE": 0.55,
                   "AMT_CREDIT_SUM_DEBT": 0.3, "CNT_CREDIT_PROLONG": 0.3}
POS_LOADINGS = {"SK_DPD": 0.65, "SK_DPD_DEF": 0.7}
CC_LOADINGS = {"AMT_BALANCE": 0.55, "AMT_RECEIVABLE_PRINCIPAL": 0.55, "AMT_RECIVABLE": 0.55,
               "AMT_TOTAL_RECEIVABLE": 0.55, "AMT_INST_MIN_REGULARITY": 0.4, "SK_DPD": 0.6, "SK_DPD_DEF": 0.6}
#: Logistic slopes on s for per-row child events (late instalment, underpayment, late bureau month).
LATE_SLOPE, UNDERPAID_SLOPE, BB_LATE_SLOPE, REFUSED_WEIGHT = 1.3, 1.2, 1.4, 0.5
#: Recent applications are more often refused or cancelled (approved ones are older, as in Kaggle).
RECENCY_WEIGHT = 0.5


# ---- the generator -----------------------------------------------------------------------
class _BureauInfo(TypedDict):
    """Per bureau credit, for bureau_balance."""

    client: Ints
    days_credit: Ints
    end_fact: Ints
    closed: Mask


class _PrevInfo(TypedDict):
    """Per previous application, for POS_CASH_balance, installments_payments and credit_card_balance."""

    client: Ints
    ids: Ints
    approved: Mask
    revolving: Mask
    decision: Ints
    first_due: Ints
    cnt_payment: Ints


class _Generator:
    def __init__(self, n_train: int, n_test: int, seed: int) -> None:
        if n_train < 1 or n_test < 0:
            raise ValueError("need n_train >= 1 and n_test >= 0")
        self.n_train, self.n_test, self.n = n_train, n_test, n_train + n_test
        self.ref = reference()
        streams = np.random.SeedSequence(seed).spawn(16)
        self.rngs = {name: np.random.default_rng(s) for name, s in zip(
            ("clients", "application", "bureau", "bureau_balance", "previous_application",
             "POS_CASH_balance", "installments_payments", "credit_card_balance"), streams)}
        rng = self.rngs["clients"]
        self.r_child = rng.standard_normal(self.n)
        ids = 100002 + rng.permutation(self.n).astype(np.int64)
        self.ids = np.concatenate([np.sort(ids[:n_train]), np.sort(ids[n_train:])])
        #: Set by :meth:`application`: the client's standardised risk, and the child tables' mix.
        self.r_app = np.zeros(self.n)
        self.s = np.zeros(self.n, dtype=np.float32)
        self.bureau_info: _BureauInfo | None = None
        self.prev_info: _PrevInfo | None = None

    def stats(self, table: str) -> TableStats:
        return self.ref["tables"][table]

    def _bureau(self) -> _BureauInfo:
        """What :meth:`bureau` left for bureau_balance."""
        if self.bureau_info is None:
            raise RuntimeError("bureau() must run before bureau_balance()")
        return self.bureau_info

    def _prev(self) -> _PrevInfo:
        """What :meth:`previous_application` left for the tables of previous loans."""
        if self.prev_info is None:
            raise RuntimeError("previous_application() must run before the tables of previous loans")
        return self.prev_info

    # -- application --------------------------------------------------------------------
    def application(self) -> tuple[pd.DataFrame, pd.DataFrame]:
        """Training rows with the real training table's marginals, test rows with the real test
        table's (both in the training table's copula); TARGET drawn from the real risk model."""
        rng = self.rngs["application"]
        train_st = self.ref["tables"]["application_train"]
        train = self._application_rows(train_st, train_st, self.ids[: self.n_train], rng)
        test = self._application_rows(train_st, self.ref["application_test"], self.ids[self.n_train:], rng)
        app = np.concatenate([risk.logit(risk.shipped(), pd.DataFrame(rows, copy=False)) for rows in (train, test)])
        logit = APP_SCALE * app + BETA_CHILD * self.r_child
        self.r_app = standardise(logit).astype(np.float64)
        s = CHILD_MIX_CHILD * self.r_child + CHILD_MIX_APP * self.r_app
        self.s = (s / np.hypot(CHILD_MIX_CHILD, CHILD_MIX_APP)).astype(np.float32)
        alpha = bisect(lambda a: expit(a + logit).mean(), -15, 5, KAGGLE_DEFAULT_RATE)
        u = self.rngs["clients"].random(self.n_train)
        train["TARGET"] = (u < expit(alpha + logit[: self.n_train])).astype(np.int64)
        return finish("application_train", train), finish("application_test", test)

    def _application_rows(self, st: TableStats, marginals: Marginals, ids: Ints,
                          rng: np.random.Generator) -> dict[str, Column]:
        """Application columns of the clients ``ids``: ``st``'s copula, ``marginals``' columns."""
        n, spec = ids.size, marginals["columns"]
        u = copula_uniforms(st, n, rng)
        # pensioners / unemployed: DAYS_EMPLOYED sentinel, more likely when old
        z_birth = ndtri(np.clip(u["DAYS_BIRTH"], 1e-12, 1 - 1e-12))
        rate = spec["DAYS_EMPLOYED"]["sentinel_rate"]
        c0 = bisect(lambda c: expit(c - 2.5 * z_birth).mean(), -30, 30, rate) if n else 0.0
        retired = rng.random(n) < expit(c0 - 2.5 * z_birth)
        u["DAYS_EMPLOYED"] = rerank(u["DAYS_EMPLOYED"], ~retired)
        out: dict[str, np.ndarray] = {}
        for c in st["copula"]["columns"]:
            if c in spec or c in marginals["ratios"]:  # the ordinals are read below
                out[c] = inverse_cdf(spec[c] if c in spec else marginals["ratios"][c], u[c])
        for amount, ratio in COPULA_RATIOS.items():  # the loan's terms, as real ones relate
            num, den = risk.RATIOS[ratio]
            value = out[den] * out[ratio] if amount == num else out[num] / out[ratio]
            out[amount] = np.round(value, spec[amount].get("decimals", 2))
        birth = out["DAYS_BIRTH"]
        out["DAYS_EMPLOYED"] = np.where(retired, DAYS_SENTINEL, np.maximum(out["DAYS_EMPLOYED"], birth + 18 * 365))
        out["DAYS_REGISTRATION"] = np.maximum(out["DAYS_REGISTRATION"], birth)
        out["DAYS_ID_PUBLISH"] = np.maximum(out["DAYS_ID_PUBLISH"], birth + 14 * 365)
        out["FLAG_EMP_PHONE"] = (~retired).astype(np.int64)
        cats: dict[str, npt.NDArray[np.integer[Any]]] = {}
        for c, cs in spec.items():
            if cs["kind"] == "category":
                cats[c] = category_codes(cs, n, rng)
        for c, order in st.get("category_order", {}).items():  # ordinals of the copula
            cats[c] = ordinal_levels(spec[c], order, u[ordinal(c)])
        inc = spec["NAME_INCOME_TYPE"]["levels"]
        retired_levels = tuple(lv for lv in ("Pensioner", "Unemployed") if lv in inc)
        working = category_codes(spec["NAME_INCOME_TYPE"], n, rng, exclude=retired_levels)
        pension = category_codes(spec["NAME_INCOME_TYPE"], n, rng, exclude=tuple(lv for lv in inc if lv not in retired_levels))
        cats["NAME_INCOME_TYPE"] = np.where(retired, pension, working)
        org = spec["ORGANIZATION_TYPE"]["levels"]
        if "XNA" in org:
            cats["ORGANIZATION_TYPE"] = np.where(retired, org.index("XNA"),
                                                 category_codes(spec["ORGANIZATION_TYPE"], n, rng, exclude=("XNA",)))
        fam = np.asarray(spec["NAME_FAMILY_STATUS"]["levels"])[cats["NAME_FAMILY_STATUS"]]
        couple = np.isin(fam, ["Married", "Civil marriage"])
        out["CNT_FAM_MEMBERS"] = out["CNT_CHILDREN"] + 1 + couple
        masks = missing_masks(marginals, n, rng, skip=("OWN_CAR_AGE", "OCCUPATION_TYPE"))
        car = spec["FLAG_OWN_CAR"]["levels"]
        masks["OWN_CAR_AGE"] = cats["FLAG_OWN_CAR"] != car.index("Y")
        retired_share = float(retired.mean()) if n else 0.0
        occ_rate = max(0.0, (spec["OCCUPATION_TYPE"]["missing"] - retired_share) / max(1e-9, 1 - retired_share))
        masks["OCCUPATION_TYPE"] = retired | (rng.random(n) < occ_rate)
        cols: dict[str, Column] = {"SK_ID_CURR": ids}
        for c, cs in spec.items():
            m = masks.get(c)
            if cs["kind"] == "category":
                cols[c] = cat_frame_column(cats[c], cs["levels"], m)
            else:
                cols[c] = numeric_column(out[c], cs["kind"], m)
        return cols

    # -- bureau + bureau_balance ----------------------------------------------------------
    def bureau(self) -> pd.DataFrame:
        rng, st = self.rngs["bureau"], self.stats("bureau")
        spec, rc = st["columns"], self.ref["row_counts"]
        counts = nb_counts(self.n, rc["per_client_mean"]["bureau"], rc["zero_share"]["bureau"], rng)
        client, _ = positions(counts)
        m = client.size
        s = standardise(self.s[client])
        u = copula_uniforms(st, m, rng, {c: (w, s) for c, w in BUREAU_LOADINGS.items()})
        cats = {c: category_codes(cs, m, rng) for c, cs in spec.items() if cs["kind"] == "category"}
        # older credits are more often closed; the closing dates are re-ranked among closed credits
        act = spec["CREDIT_ACTIVE"]
        z_age = ndtri(np.clip(u["DAYS_CREDIT"], 1e-12, 1 - 1e-12))
        p_closed = act["probs"][act["levels"].index("Closed")]
        c0 = bisect(lambda c: expit(c - 1.5 * z_age).mean(), -30, 30, p_closed)
        closed = rng.random(m) < expit(c0 - 1.5 * z_age)
        cats["CREDIT_ACTIVE"] = np.where(closed, act["levels"].index("Closed"),
                                         category_codes(act, m, rng, exclude=("Closed",)))
        u["DAYS_ENDDATE_FACT"] = rerank(u["DAYS_ENDDATE_FACT"], closed)
        vals = {c: inverse_cdf(spec[c], u[c]) for c in st["copula"]["columns"]}
        masks = missing_masks(st, m, rng, skip=("DAYS_ENDDATE_FACT",))
        masks["DAYS_ENDDATE_FACT"] = ~closed
        dc = vals["DAYS_CREDIT"]
        vals["DAYS_ENDDATE_FACT"] = np.clip(vals["DAYS_ENDDATE_FACT"], dc, 0)
        vals["DAYS_CREDIT_UPDATE"] = np.minimum(vals["DAYS_CREDIT_UPDATE"], 0)
        cols: dict[str, Column] = {"SK_ID_CURR": self.ids[client],
                                    "SK_ID_BUREAU": 5_000_000 + np.arange(m, dtype=np.int64)}
        for c, cs in spec.items():
            cols[c] = (cat_frame_column(cats[c], cs["levels"], masks.get(c)) if cs["kind"] == "category"
                       else numeric_column(vals[c], cs["kind"], masks.get(c)))
        self.bureau_info = {"client": client, "days_credit": dc.astype(np.int64),
                            "end_fact": np.where(closed, vals["DAYS_ENDDATE_FACT"], 0).astype(np.int64),
                            "closed": closed}
        return finish("bureau", cols)

    def bureau_balance(self) -> pd.DataFrame:
        rng, st, info = self.rngs["bureau_balance"], self.stats("bureau_balance"), self._bureau()
        rc = self.ref["row_counts"]
        start = np.clip(month_of(info["days_credit"]), -96, -1)      # first month of the history
        length = -start                                                 # months start .. -1
        target_rows = rc["per_bureau_mean"]["bureau_balance"] * start.size
        p = min(1.0, target_rows / max(1, length.sum()))
        keep = rng.random(start.size) < p
        counts = np.where(keep, length, 0)
        parent, pos = positions(counts)
        months = start[parent] + pos
        sid = 5_000_000 + parent
        status_spec = st["columns"]["STATUS"]
        levels = status_spec["levels"]
        freq = dict(zip(levels, status_spec["probs"]))
        close_month = np.where(info["closed"], month_of(info["end_fact"]), 10**6)
        is_c = months > close_month[parent]
        frac_c = is_c.mean() if is_c.size else 0.0
        p_x = min(0.9, freq.get("X", 0) / max(1e-9, 1 - frac_c))
        late_levels = [lv for lv in "12345" if lv in freq]
        late_total = sum(freq[lv] for lv in late_levels)
        p_late_open = late_total / max(1e-9, 1 - frac_c) / max(1e-9, 1 - p_x)
        s_credit = self.s[info["client"]]
        w = counts.astype(np.float64)
        a = bisect(lambda a: np.average(expit(a + BB_LATE_SLOPE * s_credit), weights=w) if w.sum() else 0,
                    -20, 10, p_late_open)
        # the per-credit late probability also depends on a credit-level noise
        credit_late = expit(a + BB_LATE_SLOPE * s_credit).astype(np.float32)
        r = rng.random(parent.size, dtype=np.float32)
        code = np.full(parent.size, levels.index("0"), dtype=np.int16)
        x = r < p_x
        code[x] = levels.index("X")
        late = (~x) & (rng.random(parent.size, dtype=np.float32) < credit_late[parent])
        if late_levels:
            lp = np.array([freq[lv] for lv in late_levels])
            which = np.searchsorted(np.cumsum(lp / lp.sum()), rng.random(int(late.sum())), side="right")
            code[late] = np.array([levels.index(lv) for lv in late_levels], dtype=np.int16)[np.minimum(which, len(lp) - 1)]
        if "C" in levels:
            code[is_c] = levels.index("C")
        del r, x, late, is_c
        return finish("bureau_balance", {"SK_ID_BUREAU": sid, "MONTHS_BALANCE": months,
                                          "STATUS": cat_frame_column(code, levels)})

    # -- previous_application -------------------------------------------------------------
    def previous_application(self) -> pd.DataFrame:
        rng, st = self.rngs["previous_application"], self.stats("previous_application")
        spec, rc = st["columns"], self.ref["row_counts"]
        counts = nb_counts(self.n, rc["per_client_mean"]["previous_application"],
                            rc["zero_share"]["previous_application"], rng)
        client, _ = positions(counts)
        m = client.size
        s = self.s[client]
        u = copula_uniforms(st, m, rng)
        vals = {c: inverse_cdf(spec[c], u[c]) for c in st["copula"]["columns"]}
        cats = {c: category_codes(cs, m, rng) for c, cs in spec.items() if cs["kind"] == "category"}
        # status: contract type first, then status given type, refusals driven by the risk
        types = np.asarray(spec["NAME_CONTRACT_TYPE"]["levels"])[cats["NAME_CONTRACT_TYPE"]]
        st_levels = spec["NAME_CONTRACT_STATUS"]["levels"]
        by_type = self.ref["relations"]["prev_status_by_contract_type"]
        # refusals: risky clients and recent decisions; approvals: older decisions
        z_recent = ndtri(np.clip(u["DAYS_DECISION"], 1e-12, 1 - 1e-12)).astype(np.float32)
        s = standardise(s)
        noise = np.sqrt(max(0.0, 1 - REFUSED_WEIGHT ** 2 - RECENCY_WEIGHT ** 2))
        z = REFUSED_WEIGHT * s + RECENCY_WEIGHT * z_recent + noise * rng.standard_normal(m).astype(np.float32)
        uz = ndtr(z)
        z_ok = -RECENCY_WEIGHT * z_recent + np.sqrt(1 - RECENCY_WEIGHT ** 2) * rng.standard_normal(m).astype(np.float32)
        status = np.zeros(m, dtype=np.int16)
        for t, dist in by_type.items():
            sel = types == t
            k = int(sel.sum())
            if not k:
                continue
            p_ref = dist.get("Refused", 0.0)
            refused = uz[sel] > 1 - p_ref
            others = {lv: p for lv, p in dist.items() if lv != "Refused"}
            tot = sum(others.values()) or 1.0
            sub: ColumnStats = {"levels": st_levels, "probs": [others.get(lv, 0.0) / tot for lv in st_levels]}
            code = category_codes(sub, k, rng, exclude=("Approved",)) if tot > others.get("Approved", 0) else \
                np.zeros(k, dtype=np.int16)
            if "Approved" in st_levels:
                p_ok = others.get("Approved", 0.0) / tot
                zk = z_ok[sel]
                code[zk > np.quantile(zk, 1 - p_ok) if p_ok < 1 else np.ones(k, bool)] = st_levels.index("Approved")
            if "Refused" in st_levels:
                code[refused] = st_levels.index("Refused")
            status[sel] = code
        cats["NAME_CONTRACT_STATUS"] = status
        lvl = np.asarray(st_levels)[status]
        approved = lvl == "Approved"
        rr = spec["CODE_REJECT_REASON"]["levels"]
        reason = np.full(m, rr.index("XAP") if "XAP" in rr else 0, dtype=np.int16)
        ref_mask = lvl == "Refused"
        reason[ref_mask] = category_codes(spec["CODE_REJECT_REASON"], int(ref_mask.sum()), rng,
                                        exclude=("XAP", "CLIENT"))
        if "CLIENT" in rr:
            reason[lvl == "Unused offer"] = rr.index("CLIENT")
        cats["CODE_REJECT_REASON"] = reason
        # the big missing group (annuity, down payment, due dates, ...) hits non-approved first
        p_na = 1 - approved.mean() if m else 0.0
        v = rng.random(m)
        group_u = {}
        for g, group in enumerate(st["missing_groups"]):
            if "DAYS_FIRST_DUE" in group:
                group_u[g] = np.where(approved, p_na + (1 - p_na) * v, p_na * v)
        masks = missing_masks(st, m, rng, group_u)
        # sentinels in the DAYS_* columns, then dates in order: decision <= first due <= last due
        dd = vals["DAYS_DECISION"]
        for c in ("DAYS_FIRST_DRAWING", "DAYS_FIRST_DUE", "DAYS_LAST_DUE_1ST_VERSION", "DAYS_LAST_DUE", "DAYS_TERMINATION"):
            sentinel = rng.random(m) < spec[c].get("sentinel_rate", 0.0)
            # dates follow the decision: DAYS_DECISION + a real offset, within the real range
            off = np.asarray(self.ref["relations"]["prev_days_offset"][c])
            q = spec[c]["quantiles"]
            x = np.clip(np.round(dd + np.interp(u[c], np.linspace(0, 1, off.size), off)), q[0], q[-1])
            vals[c] = np.where(sentinel, DAYS_SENTINEL, x)
        ids = 1_000_001 + rng.permutation(m).astype(np.int64)
        cols: dict[str, Column] = {"SK_ID_PREV": ids, "SK_ID_CURR": self.ids[client]}
        for c, cs in spec.items():
            cols[c] = (cat_frame_column(cats[c], cs["levels"], masks.get(c)) if cs["kind"] == "category"
                       else numeric_column(vals[c], cs["kind"], masks.get(c)))
        first_due = np.asarray(cols["DAYS_FIRST_DUE"])
        valid_due = approved & np.isfinite(first_due) & (first_due < 0)
        cnt = np.asarray(cols["CNT_PAYMENT"])
        self.prev_info = {
            "client": client, "ids": ids, "approved": approved,
            "revolving": types == "Revolving loans", "decision": dd.astype(np.int64),
            "first_due": np.where(valid_due, first_due, dd + 30).astype(np.int64),
            "cnt_payment": np.where(np.isfinite(cnt) & (cnt > 0), cnt, 0).astype(np.int64),
        }
        return finish("previous_application", cols)

    def _prev_rows(self, table: str, eligible: np.ndarray, available: np.ndarray,
                   rng: np.random.Generator) -> np.ndarray:
        """Rows per previous application: heavy-tailed, capped by the months available, scaled to Kaggle's total."""
        info = self._prev()
        target = self.ref["row_counts"]["per_previous_mean"][table] * info["ids"].size
        k = int(eligible.sum())
        mean = target / max(1, k)
        counts = np.zeros(eligible.size, dtype=np.int64)
        cap = np.maximum(available[eligible], 1)
        for _ in range(3):  # later passes correct for the cap
            draw = np.minimum(nb_counts(k, mean, None, rng) + 1, cap)
            mean *= target / max(1, draw.sum())
        counts[eligible] = np.minimum(nb_counts(k, mean, None, rng) + 1, cap)
        return counts

    # -- POS_CASH_balance -----------------------------------------------------------------
    def pos_cash(self) -> pd.DataFrame:
        rng, st, info = self.rngs["POS_CASH_balance"], self.stats("POS_CASH_balance"), self._prev()
        spec = st["columns"]
        start = np.clip(month_of(info["decision"]) + 1, -96, -1)
        eligible = info["approved"] & ~info["revolving"]
        cnt_known = info["cnt_payment"]
        available = np.where(cnt_known > 0, np.minimum(-start, cnt_known + 3), -start)
        counts = self._prev_rows("POS_CASH_balance", eligible, available, rng)
        parent, pos = positions(counts)
        m = parent.size
        client = info["client"][parent]
        s = standardise(self.s[client])
        u = copula_uniforms(st, m, rng, {c: (w, s) for c, w in POS_LOADINGS.items()})
        vals = {c: inverse_cdf(spec[c], u[c]) for c in st["copula"]["columns"]}
        # instalment count of the loan: the previous application's CNT_PAYMENT where known
        cnt_prev = info["cnt_payment"][parent]
        cnt = np.where(cnt_prev > 0, cnt_prev, vals["CNT_INSTALMENT"]).astype(np.float64)
        future = np.maximum(cnt - pos - 1, 0).astype(np.float64)
        months = start[parent] + pos
        levels = spec["NAME_CONTRACT_STATUS"]["levels"]
        code = category_codes(spec["NAME_CONTRACT_STATUS"], m, rng, exclude=("Completed",))
        last = np.zeros(m, dtype=bool)
        ends = np.cumsum(counts)[counts > 0] - 1
        last[ends] = True
        if "Completed" in levels:
            code[last & (future == 0)] = levels.index("Completed")
        masks = missing_masks(st, m, rng)
        cols: dict[str, Column] = {
                "SK_ID_PREV": info["ids"][parent], "SK_ID_CURR": self.ids[client],
                "MONTHS_BALANCE": months.astype(np.int64),
                "CNT_INSTALMENT": numeric_column(cnt, "float", masks.get("CNT_INSTALMENT")),
                "CNT_INSTALMENT_FUTURE": numeric_column(future, "float", masks.get("CNT_INSTALMENT")),
                "NAME_CONTRACT_STATUS": cat_frame_column(code, levels),
                "SK_DPD": vals["SK_DPD"].astype(np.int64),
                "SK_DPD_DEF": np.minimum(vals["SK_DPD_DEF"], vals["SK_DPD"]).astype(np.int64)}
        return finish("POS_CASH_balance", cols)

    # -- installments_payments ------------------------------------------------------------
    def installments(self) -> pd.DataFrame:
        rng, st, info = self.rngs["installments_payments"], self.stats("installments_payments"), self._prev()
        spec, rel = st["columns"], self.ref["relations"]
        first_due = info["first_due"]
        eligible = info["approved"] & (first_due < 0)
        available = (-1 - first_due) // 30 + 1
        counts = self._prev_rows("installments_payments", eligible, available, rng)
        parent, pos = positions(counts)
        m = parent.size
        client = info["client"][parent]
        s = standardise(self.s[client])
        # one instalment amount and version per previous loan (shared normal score), real marginals
        n_prev = counts.size
        u_amt = ndtr(rng.standard_normal(n_prev, dtype=np.float32))
        amount = inverse_cdf(spec["AMT_INSTALMENT"], u_amt)[parent]
        version = inverse_cdf(spec["NUM_INSTALMENT_VERSION"], rng.random(n_prev))[parent]
        days = (first_due[parent] + 30 * pos).astype(np.float64)
        # lateness and under-payment driven by the risk
        s_cal = s[:: max(1, m // 200_000)]  # calibrate on a fixed subsample (fast at 13 M rows)
        a_late = bisect(lambda a: expit(a + LATE_SLOPE * s_cal).mean() if m else 0, -20, 10,
                         rel["instalment_late_rate"])
        late = rng.random(m, dtype=np.float32) < expit(a_late + LATE_SLOPE * s)
        q_late, q_early = np.asarray(rel["instalment_delay_late"]), np.asarray(rel["instalment_delay_early"])
        grid = np.linspace(0, 1, q_late.size)
        delay = np.where(late, np.interp(rng.random(m), grid, q_late), np.interp(rng.random(m), grid, q_early))
        entry = np.minimum(np.round(days + delay), -1)
        a_und = bisect(lambda a: expit(a + UNDERPAID_SLOPE * s_cal).mean() if m else 0, -20, 10,
                        rel["instalment_underpaid_rate"])
        under = rng.random(m, dtype=np.float32) < expit(a_und + UNDERPAID_SLOPE * s)
        q_ratio = np.asarray(rel["instalment_underpaid_ratio"])
        ratio = np.where(under, np.interp(rng.random(m), np.linspace(0, 1, q_ratio.size), q_ratio), 1.0)
        payment = np.round(amount * ratio, 3)
        miss = rng.random(m) < spec["AMT_PAYMENT"]["missing"]
        cols: dict[str, Column] = {
                "SK_ID_PREV": info["ids"][parent], "SK_ID_CURR": self.ids[client],
                "NUM_INSTALMENT_VERSION": version, "NUM_INSTALMENT_NUMBER": (pos + 1).astype(np.int64),
                "DAYS_INSTALMENT": days, "DAYS_ENTRY_PAYMENT": numeric_column(entry, "float", miss),
                "AMT_INSTALMENT": amount, "AMT_PAYMENT": numeric_column(payment, "float", miss)}
        return finish("installments_payments", cols)

    # -- credit_card_balance --------------------------------------------------------------
    def credit_card(self) -> pd.DataFrame:
        rng, st, info = self.rngs["credit_card_balance"], self.stats("credit_card_balance"), self._prev()
        spec = st["columns"]
        eligible = info["approved"] & info["revolving"]
        # cards stay open: each history runs up to the application (month -1), at most 96 months
        counts = self._prev_rows("credit_card_balance", eligible, np.full(eligible.size, 96), rng)
        start = -counts
        parent, pos = positions(counts)
        m = parent.size
        client = info["client"][parent]
        s = standardise(self.s[client])
        u = copula_uniforms(st, m, rng, {c: (w, s) for c, w in CC_LOADINGS.items()})
        # the limit changes little within a card: mostly a per-card normal score
        z_card = rng.standard_normal(counts.size, dtype=np.float32)[parent]
        z_lim = ndtri(np.clip(u["AMT_CREDIT_LIMIT_ACTUAL"], 1e-12, 1 - 1e-12))
        u["AMT_CREDIT_LIMIT_ACTUAL"] = ndtr(0.3 * z_lim + np.sqrt(1 - 0.09) * z_card)
        vals = {c: inverse_cdf(spec[c], u[c]) for c in st["copula"]["columns"]}
        masks = missing_masks(st, m, rng)
        levels = spec["NAME_CONTRACT_STATUS"]["levels"]
        code = category_codes(spec["NAME_CONTRACT_STATUS"], m, rng)
        cols: dict[str, Column] = {"SK_ID_PREV": info["ids"][parent], "SK_ID_CURR": self.ids[client]}
        for c, cs in spec.items():
            if cs["kind"] == "category":
                cols[c] = cat_frame_column(code, levels, masks.get(c))
            elif c == "MONTHS_BALANCE":
                cols[c] = (start[parent] + pos).astype(np.int64)
            else:
                cols[c] = numeric_column(vals[c], cs["kind"], masks.get(c))
        return finish("credit_card_balance", cols)

    def tables(self) -> Iterator[tuple[str, pd.DataFrame]]:
        train, test = self.application()
        yield "application_train", train
        del train
        yield "application_test", test
        del test
        yield "bureau", self.bureau()
        yield "bureau_balance", self.bureau_balance()
        self.bureau_info = None
        yield "previous_application", self.previous_application()
        yield "POS_CASH_balance", self.pos_cash()
        yield "installments_payments", self.installments()
        yield "credit_card_balance", self.credit_card()


def iter_tables(n_train: int, n_test: int, seed: int, *, categorical: bool = True) -> Iterator[tuple[str, pd.DataFrame]]:
    """Yield (Kaggle file name, frame) one table at a time (categories as pandas Categorical unless told)."""
    for name, df in _Generator(n_train, n_test, seed).tables():
        yield name, (df if categorical else _to_kaggle_dtypes(df))


def _to_kaggle_dtypes(df: pd.DataFrame) -> pd.DataFrame:
    for c in df.columns:
        if isinstance(df[c].dtype, pd.CategoricalDtype):
            df[c] = df[c].astype(object).where(df[c].notna(), np.nan)
    return df


def generate_tables(n_train: int, n_test: int, seed: int) -> dict[str, pd.DataFrame]:
    """All eight tables as frames with the Kaggle dtypes (int64 / float64 / object)."""
    return dict(iter_tables(n_train, n_test, seed, categorical=False))
