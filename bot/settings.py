"""Service settings, read from the environment (see ``.env.example``)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import Field
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
    rasa_url: str = "http://127.0.0.1:5005"
    rasa_token: str = Field(default="", description="Token for Rasa's HTTP API (--auth-token).")
    public_url: str = Field(
        default="", description="Base URL of the web page in links sent to chat users."
    )

    # Files.
    var_dir: Path = ROOT / "var"
    index_dir: Path = ROOT / "var" / "index"

    # Partner store and identity.
    database_url: str = Field(
        default="", description="SQLAlchemy URL; empty means var/partners.db."
    )
    seed_sample_data: bool = True
    jwt_secret: str = Field(default="", description="HMAC key for access tokens; required.")
    jwt_ttl_minutes: int = 60
    operator_token: str = Field(default="", description="Bearer token that may read any partner.")

    @property
    def effective_database_url(self) -> str:
        """The SQLAlchemy URL to use, falling back to the SQLite file under ``var/``."""
        return self.database_url or f"sqlite:///{self.var_dir / 'partners.db'}"


@lru_cache
def get_settings() -> Settings:
    """Return the process-wide settings, read once from the environment."""
    return Settings()
