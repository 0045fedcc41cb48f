"""`bizforge keys ...`: the key alone on stdout, never again afterwards."""

from __future__ import annotations

import re

from typer.testing import CliRunner

from bizforge.cli import app
from bizforge.registry import Registry

runner = CliRunner()
KEY = re.compile(r"bf_[0-9a-f]{12}_[0-9a-f]{48}")


def test_create_prints_only_the_key_on_stdout():
    result = runner.invoke(app, ["keys", "create", "--role", "predict", "--name", "crm"])
    assert result.exit_code == 0
    assert KEY.fullmatch(result.stdout.rstrip("\n"))
    assert result.stdout.count("\n") == 1
    assert "shown only now" in result.stderr


def test_created_key_verifies_with_its_role():
    result = runner.invoke(app, ["keys", "create", "--role", "admin"])
    info = Registry().keys.verify(result.stdout.strip())
    assert info is not None and info.role == "admin"


def test_create_with_an_unknown_role_exits_2():
    result = runner.invoke(app, ["keys", "create", "--role", "root"])
    assert result.exit_code == 2
    assert result.stdout == "" and "unknown role 'root'" in result.stderr


def test_list_shows_ids_and_labels_but_never_the_key():
    key = runner.invoke(app, ["keys", "create", "--role", "predict", "--name", "crm"]).stdout
    key_id = key.split("_")[1]
    result = runner.invoke(app, ["keys", "list"])
    assert result.exit_code == 0
    assert key_id in result.output and "crm" in result.output and "active" in result.output
    assert key.strip() not in result.output and key.strip().split("_")[2] not in result.output


def test_revoke_then_the_key_is_refused():
    key = runner.invoke(app, ["keys", "create", "--role", "predict"]).stdout.strip()
    key_id = key.split("_")[1]
    result = runner.invoke(app, ["keys", "revoke", key_id])
    assert result.exit_code == 0 and f"revoked key {key_id}" in result.output
    assert Registry().keys.verify(key) is None
    assert "revoked" in runner.invoke(app, ["keys", "list"]).output


def test_revoke_of_an_unknown_id_exits_4():
    result = runner.invoke(app, ["keys", "revoke", "0123456789ab"])
    assert result.exit_code == 4 and "no API key" in result.stderr


def test_list_with_no_keys_says_how_to_create_one():
    result = runner.invoke(app, ["keys", "list"])
    assert result.exit_code == 0 and "keys create" in result.output
