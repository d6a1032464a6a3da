"""Dashboard callbacks: thin wrappers around tested functions of ``model/`` and ``layouts/``.

Every module's ``register(app, services)`` receives the process's one :class:`services.Services`.
"""
from __future__ import annotations

from dash import Dash

from callbacks import compare, drift, file, model_card, profile, scoring, search, shell, simulate
from services import Services


def register(app: Dash, services: Services) -> None:
    for module in (shell, search, scoring, simulate, profile, compare, file, model_card, drift):
        module.register(app, services)
