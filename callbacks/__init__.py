"""Dashboard callbacks: thin wrappers around tested functions of ``model/``.

``register(app, services)`` builds once per process what the callbacks share (client
directory, similarity index; see :mod:`callbacks.context`) and registers every screen.
"""
from __future__ import annotations

from typing import Any

from callbacks import compare, drift, model_card, profile, scoring, search, shell
from callbacks.context import Context, build_context


def register(app: Any, services: Any) -> Context:
    ctx = build_context(services)
    app.server.extensions["credit_dashboard"] = ctx
    for module in (shell, search, scoring, profile, compare, model_card, drift):
        module.register(app, ctx)
    return ctx
