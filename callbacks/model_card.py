"""Model: global importance chart and the model card."""
from __future__ import annotations

from datetime import datetime

from dash import Input, Output

from callbacks.context import Context, as_lang
from layouts import ids
from layouts.figures import importance_figure
from layouts.model_card import card_table
from model.text.formatting import format_date, format_number, format_percent
from model.text.labels import feature_label
from model.text.strings import t

TOP = 15


def card_rows(metadata, lang: str) -> list[tuple[str, str]]:
    na = t("model.not_available", lang)
    chosen = (getattr(metadata, "cv_metrics", None) or {}).get("chosen", {})
    try:
        trained = format_date(datetime.fromisoformat(str(metadata.created_at)), lang)
    except (TypeError, ValueError):
        trained = str(getattr(metadata, "created_at", na))
    weights = getattr(metadata, "cost_weights", {}) or {}
    auc = chosen.get("auc")
    cost = chosen.get("cost_per_client")
    return [
        (t("model.version", lang), str(getattr(metadata, "version", na))),
        (t("model.trained_at", lang), trained),
        (t("model.auc", lang), format_number(auc, lang, 3) if auc is not None else na),
        (t("model.cost_per_client", lang), format_number(cost, lang, 3) if cost is not None else na),
        (t("model.threshold", lang), format_percent(metadata.threshold, lang, 1)),
        (t("model.cost_weights", lang), t("model.cost_weights_value", lang, fn=format_number(weights.get("fn"), lang),
                                          fp=format_number(weights.get("fp"), lang)) if weights else na),
    ]


def register(app, ctx: Context) -> None:
    @app.callback(Output(ids.IMPORTANCE, "figure"), Output(ids.MODEL_CARD, "children"), Input(ids.LANG, "value"))
    def show_model(lang):
        lang = as_lang(lang)
        key = f"model-view:{ctx.scorer.version}:{lang}"
        view = ctx.cache.get(key)
        if view is None:
            imp = {r["feature"]: r["mean_abs_shap"] for r in ctx.scorer.global_importance.get("importance", [])}
            rows = [(feature_label(f, lang), float(imp[f])) for f in ctx.importance_order[:TOP] if f in imp]
            view = (importance_figure(rows, lang).to_plotly_json(),
                    card_table(card_rows(ctx.scorer.artifact.metadata, lang)).to_plotly_json())
            ctx.cache.set(key, view)
        return view
