"""services: one typed Services per server; the view cache keys every view by kind and model version."""
from __future__ import annotations

from flask import Flask
from flask_caching import Cache

from services import Services, ViewCache


def test_view_cache_computes_once_per_key_and_separates_model_versions():
    server = Flask("t")
    cache = Cache(server, config={"CACHE_TYPE": "SimpleCache"})
    old, new = ViewCache(cache, "v1"), ViewCache(cache, "v2")
    calls: list[str] = []

    def compute(tag: str):
        return lambda: calls.append(tag) or {"made_by": tag}

    assert old.get_or_compute("score", (7, "fr"), compute("a")) == {"made_by": "a"}
    assert old.get_or_compute("score", (7, "fr"), compute("b")) == {"made_by": "a"}   # hit
    assert old.get_or_compute("score", (7, "en"), compute("c")) == {"made_by": "c"}   # other key
    assert new.get_or_compute("score", (7, "fr"), compute("d")) == {"made_by": "d"}   # other model
    assert calls == ["a", "c", "d"]
    assert old.key("score", 7, "fr") == "score:v1:7:fr"


def test_one_services_reaches_routes_and_callbacks(tmp_path, tiny_model_dir, tiny_scorer):
    from app import create_app, services_of
    from settings import Settings

    settings = Settings(instance_dir=tmp_path, users_file=tmp_path / "users.json", model_dir=tiny_model_dir,
                        secret_key="s" * 32, scoring_log=None)
    app = create_app(settings, tiny_scorer)
    services = services_of(app.server)
    assert isinstance(services, Services) and services.scorer is tiny_scorer
    assert services.views.model_version == tiny_scorer.version
    assert list(services.clients.directory.index) == sorted(tiny_scorer.population.index)
    # the importance order offered on screens follows the stored importance
    ranked = [r.feature for r in tiny_scorer.importance if r.feature in services.clients.importance_order]
    assert services.clients.importance_order[:5] == ranked[:5]
