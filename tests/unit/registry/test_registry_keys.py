"""API keys: shown once, stored as a salted hash, checked in constant time, revocable."""

from __future__ import annotations

import re

import pytest

from bizforge.errors import ModelNotFound, UsageError
from bizforge.registry import KeyInfo, Registry, create_key, list_keys, revoke_key, verify_key


def test_created_key_has_the_documented_format(registry):
    key_id, key = registry.keys.create("predict", "crm")
    assert re.fullmatch(rf"bf_{key_id}_[0-9a-f]{{48}}", key)


def test_created_key_verifies_with_its_role_and_label(registry):
    key_id, key = registry.keys.create("admin", "ops")
    info = registry.keys.verify(key)
    assert (info.key_id, info.role, info.label) == (key_id, "admin", "ops")


@pytest.mark.parametrize("bad", ["", "bf_", "Bearer x", "bf_0123456789ab_" + "0" * 48, None, 42])
def test_malformed_or_unknown_keys_are_refused(registry, bad):
    registry.keys.create("predict")
    assert registry.keys.verify(bad) is None


def test_a_wrong_secret_with_a_real_id_is_refused(registry):
    _, key = registry.keys.create("predict")
    wrong = key[:-1] + ("0" if key[-1] != "0" else "1")
    assert registry.keys.verify(wrong) is None


def test_the_key_is_not_stored_anywhere_in_the_home_folder(registry):
    _, key = registry.keys.create("admin", "ops")
    registry.keys.verify(key)
    secret = key.rsplit("_", 1)[1]
    for path in registry.home.rglob("*"):  # registry.db and its -wal / -shm files
        if path.is_file():
            data = path.read_bytes()
            assert secret.encode() not in data and key.encode() not in data, path


def test_list_shows_ids_roles_labels_but_no_secrets(registry):
    key_id, key = registry.keys.create("predict", "crm")
    (info,) = registry.keys.list()
    assert info == KeyInfo(key_id, "predict", "crm", info.created, None)
    assert key not in repr(registry.keys.list())


def test_revoked_key_is_refused_even_after_a_cached_success(registry):
    key_id, key = registry.keys.create("predict")
    assert registry.keys.verify(key) is not None
    assert registry.keys.revoke(key_id).revoked is not None
    assert registry.keys.verify(key) is None


def test_revocation_by_another_process_is_seen_at_once(registry):
    key_id, key = registry.keys.create("predict")
    assert registry.keys.verify(key) is not None
    with Registry() as other:  # e.g. `bizforge keys revoke` while the server runs
        other.keys.revoke(key_id)
    assert registry.keys.verify(key) is None


def test_unknown_role_and_bad_label_are_usage_errors(registry):
    with pytest.raises(UsageError, match="unknown role 'root'"):
        registry.keys.create("root")
    with pytest.raises(UsageError, match="label"):
        registry.keys.create("predict", "x\n" * 3)


def test_revoking_an_unknown_id_is_not_found_and_a_key_is_not_an_id(registry):
    with pytest.raises(ModelNotFound, match="no API key"):
        registry.keys.revoke("0123456789ab")
    _, key = registry.keys.create("predict")
    with pytest.raises(UsageError, match="not the key itself") as err:
        registry.keys.revoke(key)
    assert key not in str(err.value)


def test_module_functions_use_the_default_registry():
    key_id, key = create_key("predict", "crm")
    assert verify_key(key).key_id == key_id
    assert [k.key_id for k in list_keys()] == [key_id]
    revoke_key(key_id)
    assert verify_key(key) is None
