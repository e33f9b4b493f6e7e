"""One typed settings object, built at the entry point and passed down.

Every setting comes from a ``WHOLECHILD_``-prefixed environment variable (or ``.env``); see
``.env.example``. Settings are checked at start and all problems are reported together.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from wholechild.errors import ConfigurationError

DEFAULT_DATABASE_URL = "sqlite:///var/wholechild.db"


class Settings(BaseSettings):
    """wholechild's configuration."""

    model_config = SettingsConfigDict(env_prefix="WHOLECHILD_", env_file=".env", extra="ignore")

    environment: Literal["development", "test", "production"] = "development"
    database_url: str = DEFAULT_DATABASE_URL
    # The DfE local-authority code written into generated returns (3 digits).
    la_code: str = "999"
    # The folder holding the DfE XSDs (cin/CIN_schema_YYYY.xsd, sen2/SEN2_schema_2024.xsd) that
    # CIN and SEN2 files are validated against. Unset: the shared samples folder
    # (WHOLECHILD_SAMPLES, else ../shared/samples).
    schemas_dir: Path | None = None
    # Rows written per INSERT statement during ingestion.
    ingest_chunk_rows: int = 5000

    # The web app (wholechild serve).
    host: str = "127.0.0.1"
    port: int = 8000
    # Where npm installed the front-end packages (govuk-frontend). Unset: ./node_modules.
    assets_dir: Path | None = None
    # Session cookies are Secure (HTTPS only) except in development on 127.0.0.1.
    cookie_secure: bool | None = None
    session_hours: int = 8
    # Lock-out: this many failed sign-ins in a row lock the account for lockout_minutes.
    lockout_attempts: int = 5
    lockout_minutes: int = 15
    # OpenID Connect sign-in (e.g. Microsoft Entra ID): set all three to enable it.
    oidc_issuer: str | None = None
    oidc_client_id: str | None = None
    oidc_client_secret: str | None = None

    # The audit trail: the Ed25519 private key (PEM) that signs checkpoints of the hash chain,
    # and how many entries between automatic checkpoints. Unset outside production: a key is
    # created under var/keys/.
    audit_signing_key: Path | None = None
    audit_checkpoint_every: int = 1000

    # Disclosure control: counts from 1 to disclosure_threshold - 1 are suppressed everywhere.
    disclosure_threshold: int = 10
    # Retention: a YAML file of retention rules replacing the packaged defaults
    # (wholechild/governance/retention_rules.yaml; see docs/governance/retention.md).
    retention_rules: Path | None = None
    # The secret key (a file of 64+ hex characters) for keyed pseudonyms in analytical extracts
    # and pseudonymised records. Required in production; elsewhere created under var/keys/.
    pseudonym_key: Path | None = None
    # Where `wholechild link evaluate` wrote its report: the dashboards show its figures.
    linkage_report_dir: Path = Path("var/linkage-quality")
    # Where the web app keeps the subject access ZIPs it generated, until they are released
    # and deleted (one folder per person).
    subject_access_dir: Path = Path("var/subject-access")

    # EHCP drafting: an optional OpenAI-compatible language model (Ollama, vLLM, llama.cpp,
    # Azure OpenAI) that rephrases drafted sentences; set both or neither (see ADR 0010).
    llm_base_url: str | None = None
    llm_model: str | None = None

    @field_validator("database_url")
    @classmethod
    def _known_store(cls, value: str) -> str:
        if not value.startswith(("sqlite:", "postgresql")):
            raise ValueError("use sqlite:///PATH or postgresql+psycopg://USER@HOST:PORT/DB")
        return value

    @field_validator("la_code")
    @classmethod
    def _three_digits(cls, value: str) -> str:
        if not (len(value) == 3 and value.isdigit()):
            raise ValueError("the DfE LA code is three digits, e.g. 201")
        return value


def load_settings() -> Settings:
    """Settings from the environment, or a ConfigurationError listing every problem."""
    try:
        return Settings()
    except ValidationError as exc:
        problems = "; ".join(
            f"WHOLECHILD_{'_'.join(str(p) for p in err['loc']).upper()}: {err['msg']}"
            for err in exc.errors()
        )
        raise ConfigurationError(
            f"settings are invalid: {problems}", fix="correct the environment or .env"
        ) from None
