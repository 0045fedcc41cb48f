"""Shared test fixtures: an isolated home folder and no network."""

from __future__ import annotations

import itertools
import os

import pytest

_DATABASES = itertools.count(1)


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


@pytest.fixture(scope="session")
def postgres_server():
    """A real PostgreSQL server for this test session (initdb in a temp folder).

    Skips with the reason when the machine has no PostgreSQL server binaries;
    under CI (``CI=true``) that is a failure instead, since `.ci/run` installs them.
    """
    from bizforge.testing.postgres import PostgresUnavailable, TempPostgres

    try:
        server = TempPostgres().start()
    except PostgresUnavailable as exc:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"PostgreSQL is required under CI: {exc}")
        pytest.skip(f"no PostgreSQL here ({exc}); `make test` installs it")
    yield server
    server.cleanup()


@pytest.fixture
def postgres_url(postgres_server):
    """The URL of a new, empty database on the session's PostgreSQL server."""
    return postgres_server.create_database(f"t{next(_DATABASES)}")
