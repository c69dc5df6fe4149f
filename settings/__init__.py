"""Service settings, read from the environment (see ``.env.example``).

One ``Settings`` for the whole app process, built from ``PA_*`` variables (and ``.env``)
and shared through the cached ``get_settings()``, as in FastAPI's full-stack template.
It is its own top-level package, the bottom layer of the house (docs/architecture.md,
"Layers and rules"): ``knowledge``, ``partners``, ``bot`` and ``actions`` may all import
it, and it imports nothing of the project (an import-linter contract in pyproject.toml).
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from urllib.parse import urlsplit

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

ROOT = Path(__file__).resolve().parent.parent


class Settings(BaseSettings):
    """Everything the app process reads from its environment.

    Defaults are the embedded single-machine ones: SQLite and files under ``var/``.
    """

    model_config = SettingsConfigDict(env_prefix="PA_", env_file=".env", extra="ignore")

    # Where the app listens and where it finds Rasa.
    host: str = "127.0.0.1"
    port: int = 8000
    rasa_url: str = Field(
        default="http://127.0.0.1:5005",
        description="Rasa server(s) on the internal network; several, comma-separated, "
        "share the conversations (each sticks to one server, moving on when it is down).",
    )
    rasa_token: str = Field(default="", description="Token for Rasa's HTTP API.")
    public_url: str = Field(
        default="", description="Base URL of the web page in links sent to chat users."
    )

    # The embeddable widget (bot/routers/widget.py, docs/web.md "Embedding in the portal").
    widget_allowed_origins: str = Field(
        default="",
        description="Sites that may embed the chat widget: comma-separated origins "
        "(scheme://host[:port]), matched exactly; empty = no site may.",
    )

    log_level: str = Field(
        default="INFO", description="Level of the app's own log lines on stderr (bot/logs.py)."
    )

    # Files.
    var_dir: Path = ROOT / "var"
    index_dir: Path = ROOT / "var" / "index"
    catalogue_refresh_seconds: float = Field(
        default=10,
        gt=0,
        description="How often each app process looks for a newer catalogue release "
        "(bot/catalogue_refresh.py); a published change is served within this time.",
    )

    # Partner store and identity.
    database_url: str = Field(
        default="", description="SQLAlchemy URL; empty means var/partners.db."
    )
    seed_sample_data: bool = Field(
        default=False,
        description="Sample mode: seed the fictitious sample partners (`make run` sets it).",
    )
    jwt_secret: str = Field(default="", description="HMAC key for access tokens; required.")
    jwt_ttl_minutes: int = 60

    # The partner portal's sign-in hand-over: POST /v1/auth/portal verifies the portal's
    # RS256/ES256 JWT against its JWKS (partners/portal_keys.py, docs/security.md).
    # Empty = portal sign-in is off (503).
    portal_jwks_url: str = Field(
        default="", description="The portal's JWKS, e.g. https://portal/.well-known/jwks.json."
    )
    portal_issuer: str = Field(default="", description="The portal tokens' `iss`, exactly.")
    portal_audience: str = Field(
        default="", description="The `aud` the portal signs its tokens for (this assistant)."
    )
    portal_jwks_cache_seconds: float = Field(
        default=300, gt=0, description="How long fetched portal keys are used before a refetch."
    )
    portal_jwks_min_refetch_seconds: float = Field(
        default=30,
        ge=0,
        description="At most one JWKS fetch per this many seconds and process, whatever "
        "unknown key ids arrive (a flood of made-up kids cannot hammer the portal).",
    )
    portal_jwks_timeout_seconds: float = Field(
        default=5, gt=0, description="Timeout of one JWKS fetch."
    )

    # OpenID Connect sign-in on the assistant's own page (bot/oidc.py): authorization
    # code + PKCE with the company's identity provider. Empty issuer or client id = off.
    oidc_issuer: str = Field(
        default="", description="The provider's issuer URL; discovery at its /.well-known."
    )
    oidc_client_id: str = ""
    oidc_client_secret: str = Field(
        default="", description="From the environment only; empty for a public client."
    )
    oidc_redirect_url: str = Field(
        default="",
        description="The callback registered at the provider; empty = PA_PUBLIC_URL (or "
        "the request's own address) + /v1/auth/oidc/callback.",
    )

    # The scheduled sync of the office's nightly export (partners/sync, bot/sync_scheduler.py).
    sync_source: str = Field(
        default="",
        description="A directory or an https:// URL holding courses.csv, competencies.csv, "
        "rules.csv and a partners/ folder; empty switches the sync off.",
    )
    sync_schedule: str = Field(
        default="15 2 * * *", description="When to sync: a cron expression (server time zone)."
    )
    sync_lock_url: str = Field(
        default="",
        description="Redis for the one-runner-at-a-time lock across processes, e.g. "
        "redis://redis:6379/3; empty = the database-level guard only.",
    )
    sync_lock_key: str = Field(
        default="pa-sync-runner", description="The Redis key of the sync runner's lock."
    )
    sync_prune: bool = Field(
        default=False,
        description="Remove records the export no longer holds (off: rows are only "
        "added and changed).",
    )
    sync_stale_after_seconds: int = Field(
        default=3600,
        ge=60,
        description="A run still 'running' after this long is taken as abandoned (its "
        "process died); also the Redis lock's lifetime.",
    )
    sync_fetch_timeout_seconds: float = Field(
        default=60.0, gt=0, description="Timeout of each file download from a URL source."
    )
    # Proactive reminders (partners/reminders, bot/reminder_scheduler.py).
    reminders_enabled: bool = Field(
        default=False,
        description="Run the reminders on their schedule (Slack direct messages to linked "
        "users, notices in the widget); an operator's run-now works either way.",
    )
    reminders_schedule: str = Field(
        default="0 * * * *",
        description="When the reminders run: a cron expression (server time zone); each "
        "recipient still gets them only within their own hours.",
    )
    reminders_lock_key: str = Field(
        default="pa-reminders-runner",
        description="The Redis key of the reminder runner's lock (on PA_SYNC_LOCK_URL).",
    )
    import_upload_limit_bytes: int = Field(
        default=200 * 1024 * 1024,
        ge=1,
        description="Largest upload accepted by POST /v1/admin/imports/{kind}, in bytes.",
    )

    # Slack's Web API, for one-time links sent privately to a Slack user (actions/linking.py);
    # the same variables as the Rasa server's Slack channel, without the PA_ prefix.
    slack_token: str = Field(default="", validation_alias="SLACK_TOKEN")
    slack_api_base_url: str = Field(
        default="https://slack.com/api/", validation_alias="SLACK_API_BASE_URL"
    )
    # Live handoff (partners/handoff_live.py, docs: live handoff).
    handoff_slack_channel: str = Field(
        default="",
        description="The office's Slack channel id (e.g. C0123456) told of every new "
        "handoff ticket; empty = no Slack notice (the console's queue still updates live).",
    )
    office_hours: str = Field(
        default="",
        description="When a person of the program office answers, e.g. 'Mon-Fri 09:00-17:00' "
        "(spans separated by ';'); empty = no promise of when.",
    )
    office_timezone: str = Field(
        default="UTC", description="The IANA time zone of PA_OFFICE_HOURS, e.g. Europe/Berlin."
    )

    # Analytics (partners/analytics, bot/analytics_ingest.py, docs/operations.md).
    analytics_source: str = Field(
        default="sqlite",
        description="Where the app reads Rasa's events: 'sqlite' (the file endpoints.yml's "
        "broker writes under PA_VAR_DIR), 'rabbitmq' (PA_RABBITMQ_*, the production "
        "profile) or 'off'.",
    )
    analytics_events_db: str = Field(
        default="", description="The SQLite events file; empty = PA_VAR_DIR/rasa-events.db."
    )
    rabbitmq_host: str = "127.0.0.1"
    rabbitmq_port: int = 5672
    rabbitmq_user: str = "guest"
    rabbitmq_password: str = ""
    rabbitmq_queue: str = Field(default="rasa_events", description="Rasa's events queue.")
    analytics_cluster_threshold: float = Field(
        default=0.55,
        gt=0,
        le=1,
        description="Cosine similarity from which an unanswered question joins a cluster.",
    )
    transcript_retention_days: int = Field(
        default=90,
        ge=0,
        description="Transcript texts (turns, feedback comments, closed handoff tickets) "
        "older than this many days are deleted daily, counts kept; 0 = kept forever.",
    )
    transcript_retention_schedule: str = Field(
        default="40 3 * * *", description="When the retention runs: a cron expression."
    )
    tracker_store_url: str = Field(
        default="",
        description="Rasa's tracker store, whose old conversations the retention deletes "
        "(SQLAlchemy URL); empty = the embedded SQLite file PA_VAR_DIR/rasa-trackers.db.",
    )

    # Rasa's calls of the action webhook.
    action_secret: str = Field(
        default="", description="Shared secret Rasa sends as X-Action-Secret; required."
    )
    action_body_limit: int = Field(
        default=16 * 1024 * 1024,
        description="Largest action call accepted, in bytes (the whole conversation "
        "travels with each call); larger ones get 413.",
    )

    # Rate limits (bot/rate_limits.py): `limits` notation, e.g. "30/minute;300/hour";
    # an empty value switches that limit off. An "address" is the client address
    # uvicorn reports (behind a load balancer: --proxy-headers, docs/operations.md).
    rate_limit_storage_url: str = Field(
        default="",
        description="Where the counts live: empty = this process's memory; "
        "redis://host:6379/2 shares them between app processes.",
    )
    rate_limit_signin_per_address: str = "30/minute;300/hour"
    rate_limit_signin_failures_per_account: str = "10/minute;50/hour"
    rate_limit_link_per_address: str = "20/minute;100/hour"
    rate_limit_link_per_account: str = "10/minute;30/hour"
    rate_limit_chat_per_address: str = "300/minute"
    rate_limit_chat_per_account: str = "60/minute;1000/hour"
    rate_limit_api_per_address: str = "600/minute"
    rate_limit_api_per_account: str = "300/minute"
    # Passcode hashing (scrypt, ~16 MiB and tens of ms each) runs on its own threads.
    signin_hash_workers: int = Field(
        default=1, ge=1, description="Passcode checks that run at once (one core each)."
    )
    signin_hash_queue: int = Field(
        default=16, ge=0, description="Sign-ins that may wait for a check; more get 503."
    )

    @field_validator("widget_allowed_origins")
    @classmethod
    def _origins_are_exact(cls, value: str) -> str:
        for origin in value.split(","):
            if origin.strip():
                check_origin(origin.strip())
        return value

    @property
    def widget_origins(self) -> list[str]:
        """The origins allowed to embed the widget, in the configured order."""
        return [
            origin.strip() for origin in self.widget_allowed_origins.split(",") if origin.strip()
        ]

    @property
    def rasa_urls(self) -> list[str]:
        """The Rasa servers to talk to, in the configured order."""
        return [url.strip().rstrip("/") for url in self.rasa_url.split(",") if url.strip()]

    @property
    def portal_sign_in_configured(self) -> bool:
        """Whether POST /v1/auth/portal can verify portal tokens."""
        return all(
            value.strip()
            for value in (self.portal_jwks_url, self.portal_issuer, self.portal_audience)
        )

    @property
    def oidc_configured(self) -> bool:
        """Whether the page offers "Sign in with your company account"."""
        return bool(self.oidc_issuer.strip() and self.oidc_client_id.strip())

    @property
    def effective_database_url(self) -> str:
        """The SQLAlchemy URL to use, falling back to the SQLite file under ``var/``."""
        return self.database_url or f"sqlite:///{self.var_dir / 'partners.db'}"


def check_origin(origin: str) -> None:
    """Raise ValueError unless ``origin`` is one exact web origin, ``scheme://host[:port]``.

    No wildcard, path or trailing slash: browsers send the ``Origin`` header in exactly
    this form, and the allowlist is compared with it character for character.
    """
    parsed = urlsplit(origin)
    exact = f"{parsed.scheme}://{parsed.netloc}"
    reason = ""
    if parsed.scheme not in ("http", "https") or not parsed.hostname or origin != exact:
        reason = "not an origin like https://portal.example.com (no path, no trailing /)"
    elif "*" in origin or "@" in origin:
        reason = "no wildcards or user names"
    elif origin != origin.lower():
        reason = "write it in lower case, as browsers send it"
    elif (parsed.scheme, parsed.port) in (("http", 80), ("https", 443)):
        reason = "leave out the default port, as browsers do"
    if reason:
        raise ValueError(f"PA_WIDGET_ALLOWED_ORIGINS: {origin!r}: {reason}")


@lru_cache
def get_settings() -> Settings:
    """Return the process-wide settings, read once from the environment."""
    return Settings()
