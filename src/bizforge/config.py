"""Typed settings, read from the environment (``BIZFORGE_*``) and saved with artifacts."""

from __future__ import annotations

import os
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

__all__ = ["Settings", "get_settings"]


class Settings(BaseSettings):
    """Where bizforge keeps its state and how hard it may work.

    >>> Settings(home=Path("/tmp/bf")).home
    PosixPath('/tmp/bf')
    """

    model_config = SettingsConfigDict(env_prefix="BIZFORGE_", extra="ignore")

    home: Path = Field(default=Path(".bizforge"), description="state folder")
    database_url: str | None = Field(default=None, description="registry SQLAlchemy URL")
    seed: int = 0
    threads: int = Field(default_factory=lambda: max(1, min(os.cpu_count() or 1, 8)))
    device: str = "auto"
    lang: str = "en"
    # Files above this size are profiled from a sample plus streamed counts.
    large_file_bytes: int = 256 * 1024 * 1024
    sample_rows: int = 200_000
    # Salt for consistent PII hashing; set it per company so hashes do not match elsewhere.
    pii_salt: str | None = None

    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.home / 'registry.db').resolve()}"


def get_settings(**overrides) -> Settings:
    """Fresh settings from the environment, with explicit overrides on top."""
    return Settings(**overrides)
