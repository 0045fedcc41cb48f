"""Shared test fixtures: an isolated home folder and no network."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True, scope="session")
def _cache_folder(tmp_path_factory):
    """Backbones unpacked for the tests (the e5 folder) go to a per-session cache folder."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("BIZFORGE_CACHE", str(tmp_path_factory.mktemp("bizforge_cache")))
        yield


@pytest.fixture(autouse=True)
def _isolated_home(tmp_path, monkeypatch):
    """Every test gets its own BIZFORGE_HOME and never reaches a model hub."""
    monkeypatch.setenv("BIZFORGE_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("TRANSFORMERS_OFFLINE", "1")
    monkeypatch.delenv("BIZFORGE_DATABASE_URL", raising=False)
