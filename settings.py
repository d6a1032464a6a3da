"""Every setting of the product, read once from the environment, with defaults for the demo.

One place, so that the app, the CLIs and the tests agree on paths and costs.
"""
from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent
#: Shortest retention of the scoring log a setting may ask for: six months (EU AI Act art. 19, 26(6)).
MIN_RETENTION_DAYS = 183
#: URL schemes of a Redis server (``CACHE_URL``): TCP, TLS, a Unix socket.
REDIS_SCHEMES = ("redis", "rediss", "unix")


def _path(value: str | None, default: Path) -> Path:
    return Path(value).expanduser().resolve() if value else default


def _names(value: str | None, default: tuple[str, ...]) -> tuple[str, ...]:
    if value is None:
        return default
    if value.strip().lower() in ("", "none"):
        return ()
    return tuple(n.strip() for n in value.split(",") if n.strip())


@dataclass(frozen=True)
class Settings:
    """Product settings; build with :func:`get_settings` rather than by hand."""

    #: Folder of the Kaggle files used by everything (``HOME_CREDIT_DIR``); the demo folder by default.
    data_dir: Path = ROOT / "data" / "demo"
    #: Where ``make run`` writes the generated demo data.
    demo_dir: Path = ROOT / "data" / "demo"
    demo_clients: int = 20_000
    demo_test_clients: int = 3_000
    seed: int = 42
    #: Folder of the trained model artifact (``MODEL_DIR``).
    model_dir: Path = ROOT / "artifacts" / "model"
    #: MLflow tracking store (``MLFLOW_TRACKING_URI``; ``postgresql://user@host/db`` uses psycopg 3, see
    #: docs/model-registry.md); empty for no tracking.
    tracking_uri: str = f"sqlite:///{ROOT / 'mlflow.db'}"
    #: Where new MLflow experiments keep their files (``MLFLOW_ARTIFACT_ROOT``: a folder every host reads, or
    #: an object store URI such as ``s3://bucket/mlflow``); empty: MLflow's default (``./mlruns``), which
    #: only works on one machine. Used when the experiment is created.
    mlflow_artifact_root: str = ""
    #: Registered model that training registers each served version under (``MODEL_REGISTRY_NAME``;
    #: ``none`` to track runs without registering them).
    model_registry_name: str = "pret-a-depenser-pd"
    #: Registry alias that names the served version (``MODEL_ALIAS``): moved by training to the version
    #: it makes CURRENT, read by ``python -m model.artifact pull``.
    model_alias: str = "champion"
    #: Business cost of a missed defaulter (false negative) and of a refused good client (false positive).
    cost_fn: float = 10.0
    cost_fp: float = 1.0
    #: Referral band around the cost-optimal threshold (``REFER_SHARE``): clients whose expected
    #: costs of granting and refusing differ by less than this share go to a credit analyst (0: none).
    refer_share: float = 0.10
    #: Protected attributes never used as model inputs (``EXCLUDED_ATTRIBUTES``, comma-separated;
    #: ``none`` for none): EU non-discrimination rules forbid deciding on them. They stay in the
    #: population for the fairness report. Gender, and the social circle's defaults, whose removal
    #: costs nothing measurable on 31,980 real clients (docs/model-quality.md, "Sensitive concepts");
    #: age and family stay inputs (removing them costs a measured loss) but are never a reason.
    excluded_attributes: tuple[str, ...] = ("CODE_GENDER", "OBS_30_CNT_SOCIAL_CIRCLE", "DEF_30_CNT_SOCIAL_CIRCLE",
                                            "OBS_60_CNT_SOCIAL_CIRCLE", "DEF_60_CNT_SOCIAL_CIRCLE",
                                            "DEF_30_SOCIAL_RATIO", "DEF_60_SOCIAL_RATIO")
    #: Concepts never given to a client as a reason or a merit, on any screen, letter or answer
    #: (``PROTECTED_CONCEPTS``, concept codes of model/text/data/concepts.toml, comma-separated): the
    #: grounds of discrimination a decision may not rest on (Code pénal art. 225-1, EU directives).
    protected_concepts: tuple[str, ...] = ("GENDER", "AGE", "FAMILY", "SOCIAL_CIRCLE")
    #: Private files of a running server (secret key, users, API keys, scoring log): never in git.
    instance_dir: Path = ROOT / "instance"
    #: Folder of the store of every client's raw rows (``RECORDS_CACHE_DIR``; ``none`` to load
    #: them into each process instead): written once per data folder, shared by every worker of the host
    #: (model/clients/records_store.py, docs/scale.md). Holds client data: private, like the instance folder.
    records_cache_dir: Path | None = ROOT / "instance" / "client-records"
    #: JSON file {username: werkzeug password hash} of the relationship managers (``USERS_FILE``).
    users_file: Path = ROOT / "instance" / "users.json"
    #: Comma-separated API keys for the JSON routes (``API_KEYS``); else ``instance/api_keys.txt``.
    api_keys: tuple[str, ...] = ()
    #: Flask secret key (``SECRET_KEY``); else one generated once into ``instance/secret_key``.
    secret_key: str | None = None
    #: Largest JSON body the API accepts, in bytes.
    max_request_bytes: int = 256 * 1024
    #: Bars shown in the waterfall before "other factors"; size of the similar-clients group.
    top_factors: int = 10
    similar_group_size: int = 100
    #: No group smaller than this is ever shown (the screen is shown to clients).
    min_group_size: int = 20
    #: Rows per page of the client list.
    page_size: int = 15
    #: Computed views kept per worker (flask-caching SimpleCache): lifetime in seconds, most entries.
    cache_seconds: int = 3600
    cache_entries: int = 5000
    #: Shared cache of the computed views (``CACHE_URL``): empty for one SimpleCache per process (the
    #: default); ``redis://host:port/db`` for flask-caching's RedisCache, shared by every worker and host
    #: (docs/deployment.md). A Redis that stops costs misses, never a failed request.
    cache_url: str = ""
    #: Prefix of every key this product writes in Redis (``CACHE_KEY_PREFIX``): the views' cache (the
    #: failed sign-ins are counted in the database).
    cache_key_prefix: str = "pad:"
    #: Seconds Redis may take to connect or answer (the views' cache): a dead or unreachable Redis
    #: costs this much at most per call, not the operating system's connect timeout.
    redis_timeout_s: float = 0.25
    #: Logging of every score served: on unless ``SCORING_LOG=off``. The path is the legacy JSON Lines
    #: log of earlier versions (``SCORING_LOG``; ``<instance_dir>/scoring_log.jsonl`` by default), imported
    #: into the database once at start when it exists; scores are stored in ``database_url``.
    scoring_log: Path | None = ROOT / "instance" / "scoring_log.jsonl"
    #: SQLAlchemy URL of the product's database: scores served and human reviews (``DATABASE_URL``);
    #: ``sqlite:///<instance_dir>/product.db`` by default. ``postgresql://user@host/db`` uses psycopg 3.
    database_url: str = ""
    #: Folder of the last drift check (``DRIFT_DIR``): ``python -m model.monitoring.drift --out`` writes its summary and
    #: HTML report there, the dashboard's drift screen reads them.
    drift_dir: Path = ROOT / "reports"
    #: Fewest scored applications in a period for a drift test of it (``DRIFT_MIN_ROWS``). Measured on
    #: the demo data: random halves of the same clients flag 3 of 6 features as drifted at 120 rows,
    #: 1 of 6 at 600; below about 500 a verdict says more about the sample than about the population.
    drift_min_rows: int = 500
    #: Werkzeug debugger and Dash dev tools: off unless ``DEBUG=1`` is set explicitly.
    debug: bool = False
    #: Days a served score is kept in the scoring log (``SCORING_LOG_RETENTION_DAYS``). EU AI Act
    #: art. 12 and 26(6) ask deployers to keep a high-risk system's automatic logs at least six
    #: months; values below :data:`MIN_RETENTION_DAYS` are refused. Older rows are deleted automatically.
    scoring_log_retention_days: int = 400
    #: The session cookie is sent with ``Secure`` (only over HTTPS) and every answer carries HSTS: on by
    #: default, for the TLS front a bank serves through; off only with ``plain_http_loopback``.
    session_cookie_secure: bool = True
    #: Plain HTTP on the loopback interface, on purpose (``PLAIN_HTTP_LOOPBACK=1``): a local demo on
    #: 127.0.0.1, as ``make run`` serves it. The session cookie then has no ``Secure`` flag and no HSTS is
    #: sent; gunicorn refuses to start with it on any address but loopback (gunicorn.conf.py).
    plain_http_loopback: bool = False
    #: Hours a sign-in stays valid without signing in again (``SESSION_HOURS``).
    session_hours: int = 10
    #: Failed sign-ins allowed per client address (``LOGIN_RATE_LIMIT``, e.g. ``"5 per minute; 20 per
    #: hour"``), per username from browsers it never signed in from (``LOGIN_ACCOUNT_LIMIT``) and per
    #: device cookie (``LOGIN_DEVICE_LIMIT``); beyond one the sign-in answers 429 with Retry-After. The
    #: failures are counted in ``database_url``, so every worker and host shares them
    #: (:class:`model.monitoring.sign_ins.SignInThrottle` says why three).
    login_rate_limit: str = "5 per minute; 20 per hour"
    login_account_limit: str = "10 per 15 minutes"
    login_device_limit: str = "5 per 15 minutes"
    extra: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        # defaults that follow instance_dir, so that Settings(instance_dir=tmp) keeps every private
        # file (database, legacy log) there; frozen, hence object.__setattr__
        if not self.database_url:
            object.__setattr__(self, "database_url", f"sqlite:///{self.instance_dir / 'product.db'}")
        default_log = ROOT / "instance" / "scoring_log.jsonl"
        if self.scoring_log == default_log and self.instance_dir != ROOT / "instance":
            object.__setattr__(self, "scoring_log", self.instance_dir / "scoring_log.jsonl")
        if self.records_cache_dir == ROOT / "instance" / "client-records" and self.instance_dir != ROOT / "instance":
            object.__setattr__(self, "records_cache_dir", self.instance_dir / "client-records")
        if self.cache_url and self.cache_url.partition("://")[0].lower() not in REDIS_SCHEMES:
            raise ValueError(f"CACHE_URL is {self.cache_url!r}: expected redis://host:port/db (or rediss://, "
                             "unix://), or empty for the per-process cache")
        if self.redis_timeout_s <= 0:
            raise ValueError(f"REDIS_TIMEOUT_S is {self.redis_timeout_s}: expected a positive number of seconds")
        if self.plain_http_loopback:
            object.__setattr__(self, "session_cookie_secure", False)
        if self.scoring_log_retention_days < MIN_RETENTION_DAYS:
            raise ValueError(f"SCORING_LOG_RETENTION_DAYS is {self.scoring_log_retention_days}: the scoring log "
                             f"must be kept at least {MIN_RETENTION_DAYS} days (six months, EU AI Act)")

    @property
    def uses_demo_data(self) -> bool:
        return self.data_dir == self.demo_dir


def get_settings(env: Mapping[str, str] | None = None) -> Settings:
    """Read the settings from ``env`` (the process environment by default)."""
    env = os.environ if env is None else env
    demo_dir = _path(env.get("DEMO_DIR"), Settings.demo_dir)
    instance_dir = _path(env.get("INSTANCE_DIR"), Settings.instance_dir)
    return Settings(
        data_dir=_path(env.get("HOME_CREDIT_DIR"), demo_dir),
        demo_dir=demo_dir,
        demo_clients=int(env.get("DEMO_CLIENTS", Settings.demo_clients)),
        demo_test_clients=int(env.get("DEMO_TEST_CLIENTS", Settings.demo_test_clients)),
        seed=int(env.get("SEED", Settings.seed)),
        model_dir=_path(env.get("MODEL_DIR"), Settings.model_dir),
        tracking_uri=env.get("MLFLOW_TRACKING_URI", Settings.tracking_uri),
        mlflow_artifact_root=env.get("MLFLOW_ARTIFACT_ROOT", Settings.mlflow_artifact_root).strip(),
        model_registry_name="" if env.get("MODEL_REGISTRY_NAME", "").strip().lower() == "none"
        else env.get("MODEL_REGISTRY_NAME", "").strip() or Settings.model_registry_name,
        model_alias=env.get("MODEL_ALIAS", "").strip() or Settings.model_alias,
        cost_fn=float(env.get("COST_FN", Settings.cost_fn)),
        cost_fp=float(env.get("COST_FP", Settings.cost_fp)),
        refer_share=float(env.get("REFER_SHARE", Settings.refer_share)),
        excluded_attributes=_names(env.get("EXCLUDED_ATTRIBUTES"), Settings.excluded_attributes),
        protected_concepts=_names(env.get("PROTECTED_CONCEPTS"), Settings.protected_concepts),
        instance_dir=instance_dir,
        users_file=_path(env.get("USERS_FILE"), instance_dir / "users.json"),
        records_cache_dir=None if env.get("RECORDS_CACHE_DIR", "").strip().lower() in ("none", "off")
        else _path(env.get("RECORDS_CACHE_DIR"), instance_dir / "client-records"),
        api_keys=tuple(k.strip() for k in env.get("API_KEYS", "").split(",") if k.strip()),
        secret_key=env.get("SECRET_KEY") or None,
        max_request_bytes=int(env.get("MAX_REQUEST_BYTES", Settings.max_request_bytes)),
        top_factors=int(env.get("TOP_FACTORS", Settings.top_factors)),
        similar_group_size=int(env.get("SIMILAR_GROUP_SIZE", Settings.similar_group_size)),
        min_group_size=int(env.get("MIN_GROUP_SIZE", Settings.min_group_size)),
        page_size=int(env.get("PAGE_SIZE", Settings.page_size)),
        debug=env.get("DEBUG", "") == "1",
        scoring_log_retention_days=int(env.get("SCORING_LOG_RETENTION_DAYS", Settings.scoring_log_retention_days)),
        plain_http_loopback=env.get("PLAIN_HTTP_LOOPBACK", "") == "1",
        session_hours=int(env.get("SESSION_HOURS", Settings.session_hours)),
        login_rate_limit=env.get("LOGIN_RATE_LIMIT", Settings.login_rate_limit),
        login_account_limit=env.get("LOGIN_ACCOUNT_LIMIT", Settings.login_account_limit),
        login_device_limit=env.get("LOGIN_DEVICE_LIMIT", Settings.login_device_limit),
        cache_url=env.get("CACHE_URL", "").strip(),
        cache_key_prefix=env.get("CACHE_KEY_PREFIX", Settings.cache_key_prefix),
        redis_timeout_s=float(env.get("REDIS_TIMEOUT_S", Settings.redis_timeout_s)),
        scoring_log=None if env.get("SCORING_LOG") == "off"
        else _path(env.get("SCORING_LOG"), instance_dir / "scoring_log.jsonl"),
        drift_dir=_path(env.get("DRIFT_DIR"), Settings.drift_dir),
        drift_min_rows=int(env.get("DRIFT_MIN_ROWS", Settings.drift_min_rows)),
        database_url=env.get("DATABASE_URL", ""),
    )
