"""Model: global importance chart and the model card."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from dash import Dash, Input, Output
from dash.exceptions import PreventUpdate

from layouts import ids
from layouts.chart_tables import importance_table, table_id
from layouts.figures import importance_figure
from layouts.model_card import card_table
from model.artifact import ModelMetadata
from model.text.formatting import format_date, format_number, format_percent
from model.text.labels import feature_label
from model.text.languages import Lang, as_lang
from model.text.strings import t
from services import Services

TOP = 15


def card_rows(metadata: ModelMetadata, lang: Lang) -> list[tuple[str, str]]:
    na = t("model.not_available", lang)
    chosen = (metadata.cv_metrics or {}).get("chosen", {})
    try:
        trained = format_date(datetime.fromisoformat(str(metadata.created_at)), lang)
    except (TypeError, ValueError):
        trained = str(metadata.created_at or na)
    weights = metadata.cost_weights or {}
    auc = chosen.get("auc")
    cost = chosen.get("cost_per_client")
    # the cost is c_fn·FN + c_fp·FP per client (model/cost.py): in units of one good client turned down
    fp_weight = float(weights.get("fp") or 1.0)
    return [
        (t("model.version", lang), str(metadata.version or na)),
        (t("model.trained_at", lang), trained),
        (t("model.auc", lang), format_number(auc, lang, 3) if auc is not None else na),
        (t("model.cost_per_client", lang), t("model.cost_per_client_value", lang,
                                             value=format_number(float(cost) / fp_weight, lang, 3))
         if cost is not None else na),
        (t("model.threshold", lang), format_percent(metadata.threshold, lang, 1)),
        (t("model.cost_weights", lang), t("model.cost_weights_value", lang, fn=format_number(weights.get("fn"), lang),
                                          fp=format_number(weights.get("fp"), lang)) if weights else na),
    ]


def model_view(services: Services, lang: Lang) -> tuple[Any, ...]:
    """Importance chart, model card and the chart's table, as plain JSON."""
    imp = {r.feature: r.mean_abs_shap for r in services.scorer.importance}
    rows = [(feature_label(f, lang), imp[f]) for f in services.clients.importance_order[:TOP] if f in imp]
    return (importance_figure(rows, lang).to_plotly_json(),
            card_table(card_rows(services.scorer.artifact.metadata, lang)).to_plotly_json(),
            importance_table(rows, lang).to_plotly_json())


def register(app: Dash, services: Services) -> None:
    @app.callback(Output(ids.IMPORTANCE, "figure"), Output(ids.MODEL_CARD, "children"),
                  Output(table_id(ids.IMPORTANCE), "children"), Input(ids.view("model"), "data"),
                  prevent_initial_call=True)
    def show_model(view: dict[str, Any] | None) -> tuple[Any, ...]:
        """Drawn when the screen is shown (its view {lang}, callbacks/shell.py), not at every page load."""
        if not view:
            raise PreventUpdate
        lang = as_lang(view.get("lang"))
        return services.views.get_or_compute("model-view", (lang,), lambda: model_view(services, lang))
