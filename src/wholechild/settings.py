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
