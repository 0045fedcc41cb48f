"""manifest.json: every file with its sha256; changes, gaps and extras are refused."""

from __future__ import annotations

import json

import pytest

from bizforge.errors import IntegrityError, UsageError
from bizforge.manifest import sha256_file, verify_manifest, write_manifest


@pytest.fixture
def artifact(tmp_path):
    folder = tmp_path / "artifact"
    (folder / "models" / "lgb").mkdir(parents=True)
    (folder / "recipe.json").write_text('{"a": 1}')
    (folder / "models" / "lgb" / "model.txt").write_bytes(b"tree\nversion=v4\n")
    return folder


def test_manifest_lists_every_file_with_sha256_and_size(artifact):
    data = write_manifest(artifact, extra={"kind": "tabular"})
    assert set(data["files"]) == {"recipe.json", "models/lgb/model.txt"}
    entry = data["files"]["recipe.json"]
    assert entry == {"sha256": sha256_file(artifact / "recipe.json"), "bytes": 8}
    on_disk = json.loads((artifact / "manifest.json").read_text())
    assert on_disk["format"] == 1 and on_disk["kind"] == "tabular"


def test_untouched_artifact_verifies(artifact):
    write_manifest(artifact)
    assert verify_manifest(artifact)["format"] == 1


def test_one_changed_byte_is_detected_and_named(artifact):
    write_manifest(artifact)
    (artifact / "recipe.json").write_text('{"a": 2}')
    with pytest.raises(IntegrityError, match="'recipe.json'.*changed") as err:
        verify_manifest(artifact)
    assert "save or publish it again" in str(err.value)


def test_missing_file_is_detected_and_named(artifact):
    write_manifest(artifact)
    (artifact / "models" / "lgb" / "model.txt").unlink()
    with pytest.raises(IntegrityError, match="'models/lgb/model.txt'.*missing"):
        verify_manifest(artifact)


def test_unexpected_extra_file_is_detected_and_named(artifact):
    write_manifest(artifact)
    (artifact / "models" / "evil.pkl").write_bytes(b"\x80\x04")
    with pytest.raises(IntegrityError, match="'models/evil.pkl'.*not in the manifest") as err:
        verify_manifest(artifact)
    assert "remove 'models/evil.pkl'" in str(err.value)


def test_missing_manifest_is_refused(artifact):
    with pytest.raises(IntegrityError, match="manifest.json' is missing"):
        verify_manifest(artifact)


def test_corrupt_manifest_is_refused(artifact):
    (artifact / "manifest.json").write_text("{not json")
    with pytest.raises(IntegrityError, match="not valid JSON"):
        verify_manifest(artifact)


def test_path_outside_the_folder_is_refused(artifact):
    write_manifest(artifact)
    data = json.loads((artifact / "manifest.json").read_text())
    data["files"]["../secret"] = {"sha256": "0", "bytes": 1}
    (artifact / "manifest.json").write_text(json.dumps(data))
    with pytest.raises(IntegrityError, match="outside the artifact"):
        verify_manifest(artifact)


def test_reserved_extra_keys_are_refused(artifact):
    with pytest.raises(UsageError, match="reserved"):
        write_manifest(artifact, extra={"files": {}})


def test_rewriting_the_manifest_does_not_list_itself(artifact):
    write_manifest(artifact)
    assert "manifest.json" not in write_manifest(artifact)["files"]
