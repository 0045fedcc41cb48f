"""Shared test fixtures: an isolated home folder and no network."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _isolated_home(tmp_path, monkeypatch):
    """Every test gets its own BIZFORGE_HOME and never reaches a model hub."""
    monkeypatch.setenv("BIZFORGE_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("TRANSFORMERS_OFFLINE", "1")
    monkeypatch.delenv("BIZFORGE_DATABASE_URL", raising=False)
