"""Publish, look up, list, promote, roll back and delete — on fake artifact folders."""

from __future__ import annotations

import json

import pytest
import sqlalchemy as sa

from bizforge.errors import IntegrityError, ModelNotFound, UsageError
from bizforge.families.loading import load_folder
from bizforge.registry import Registry
from bizforge.registry.staging import STAGING


def test_publish_numbers_versions_per_name_from_one(registry, artifact):
    assert [registry.publish(artifact, "churn").version for _ in range(3)] == [1, 2, 3]
    assert registry.publish(artifact, "sales").version == 1


def test_published_files_live_under_home_models_name_version(registry, artifact):
    mv = registry.publish(artifact, "churn")
    assert mv.path == (registry.home / "models" / "churn" / "1").resolve()
    assert (mv.path / "ensemble" / "model.txt").read_bytes() == b"tree\n"
    assert mv.ref == "churn:1" and mv.broken is None


def test_publish_accepts_a_run_like_object_with_a_path(registry, artifact):
    class FakeRun:
        path = artifact

    assert registry.publish(FakeRun(), "churn").version == 1


def test_publish_of_an_unsaved_run_is_a_usage_error(registry):
    class Unsaved:
        path = None

    with pytest.raises(UsageError, match="not saved"):
        registry.publish(Unsaved(), "churn")


def test_publish_of_a_folder_without_manifest_is_refused(registry, tmp_path):
    (tmp_path / "plain").mkdir()
    with pytest.raises(ModelNotFound, match="not a bizforge model folder"):
        registry.publish(tmp_path / "plain", "churn")


def test_publish_of_a_tampered_folder_is_refused_and_leaves_nothing(registry, artifact):
    (artifact / "ensemble" / "model.txt").write_bytes(b"tre3\n")
    with pytest.raises(IntegrityError, match="model.txt"):
        registry.publish(artifact, "churn")
    assert registry.list() == []
    assert not (registry.root / "churn").exists()


def test_publish_refuses_an_invalid_name_before_copying(registry, artifact):
    with pytest.raises(UsageError):
        registry.publish(artifact, "../evil")
    assert not (registry.home / "evil").exists()


def test_names_differing_only_by_case_are_refused(registry, artifact):
    registry.publish(artifact, "Churn")
    with pytest.raises(UsageError, match="only by upper/lower case"):
        registry.publish(artifact, "churn")


def test_get_plain_name_is_production_else_latest(registry, artifact):
    for _ in range(3):
        registry.publish(artifact, "churn")
    assert registry.get("churn").version == 3
    registry.promote("churn", 2)
    assert registry.get("churn").version == 2
    assert registry.get("churn:3").version == 3
    assert registry.get("churn@production").aliases == ["production"]


def test_unknown_name_lists_the_published_ones(registry, artifact):
    registry.publish(artifact, "churn")
    with pytest.raises(ModelNotFound, match="no model named 'sales'") as err:
        registry.get("sales")
    assert "churn" in err.value.fix


def test_unknown_version_and_alias_list_what_exists(registry, artifact):
    registry.publish(artifact, "churn")
    with pytest.raises(ModelNotFound, match="no version 9") as err:
        registry.get("churn:9")
    assert "versions: 1" in err.value.fix
    with pytest.raises(ModelNotFound, match="no alias 'staging'"):
        registry.get("churn@staging")


def test_list_has_one_row_per_name_with_aliases_and_score(registry, artifact_factory):
    registry.publish(artifact_factory("a", score=0.7), "churn")
    registry.publish(artifact_factory("b", score=0.9), "churn")
    registry.promote("churn", 1)
    (row,) = registry.list()
    assert row["name"] == "churn" and row["latest"] == 2 and row["versions"] == 2
    assert row["aliases"] == {"production": 1} and row["default"] == 1
    assert row["task"] == "tabular-classification" and row["metric"] == "roc_auc"
    assert row["score"] == pytest.approx(0.7) and row["broken"] == []


def test_versions_are_listed_oldest_first(registry, artifact):
    for _ in range(2):
        registry.publish(artifact, "churn")
    assert [v.version for v in registry.versions("churn")] == [1, 2]


def test_card_holds_task_metrics_data_config_and_libraries(registry, artifact):
    registry.publish(artifact, "churn")
    card = registry.card("churn")
    assert card["name"] == "churn" and card["version"] == 1
    assert card["task"] == "tabular-classification" and card["metric"] == "roc_auc"
    assert card["metrics"] == {"roc_auc": 0.8, "accuracy": 0.75}  # scalars only
    assert card["data"]["fingerprint"] == "ab" * 32
    assert card["data"]["roles"] == {"numeric": 1, "categorical": 1}
    assert card["data"]["dropped_columns"] == {"phone": "pii"}
    assert card["config"] == {"seed": 0, "time_limit": 2}
    assert card["libraries"] == {"python": "3.11"} and card["threshold"] == 0.4


def test_promote_moves_the_alias_and_rollback_walks_back(registry, artifact):
    for _ in range(3):
        registry.publish(artifact, "churn")
    for version in (1, 2, 3):
        registry.promote("churn", version)
    assert registry.rollback("churn").version == 2
    assert registry.rollback("churn").version == 1
    assert registry.get("churn@production").version == 1
    with pytest.raises(UsageError, match="no earlier version"):
        registry.rollback("churn")
    assert registry.get("churn@production").version == 1  # a refused rollback changes nothing


def test_rollback_after_repromoting_goes_to_the_version_just_before(registry, artifact):
    for _ in range(2):
        registry.publish(artifact, "churn")
    for version in (1, 2, 1):
        registry.promote("churn", version)
    assert registry.rollback("churn").version == 2


def test_aliases_are_independent(registry, artifact):
    for _ in range(2):
        registry.publish(artifact, "churn")
    registry.promote("churn", 1)
    registry.promote("churn", 2, alias="staging")
    assert registry.get("churn").version == 1
    assert registry.get("churn@staging").aliases == ["staging"]


def test_rollback_of_an_alias_never_set_is_not_found(registry, artifact):
    registry.publish(artifact, "churn")
    with pytest.raises(ModelNotFound, match="no alias 'production'"):
        registry.rollback("churn")


def test_rollback_skips_a_deleted_version(registry, artifact):
    for _ in range(3):
        registry.publish(artifact, "churn")
    for version in (1, 2, 3):
        registry.promote("churn", version)
    registry.promote("churn", 1, alias="staging")  # any alias; v2 then loses only history
    registry.delete("churn", 2)
    assert registry.rollback("churn").version == 1


def test_promote_refuses_an_invalid_alias_and_an_unknown_version(registry, artifact):
    registry.publish(artifact, "churn")
    with pytest.raises(UsageError, match="not a valid alias"):
        registry.promote("churn", 1, alias="Prod")
    with pytest.raises(ModelNotFound, match="no version 4"):
        registry.promote("churn", 4)


def test_promote_refuses_a_tampered_version(registry, artifact):
    mv = registry.publish(artifact, "churn")
    (mv.path / "ensemble" / "model.txt").write_bytes(b"evil\n")
    with pytest.raises(IntegrityError, match="model.txt"):
        registry.promote("churn", 1)


def test_delete_removes_row_and_folder(registry, artifact):
    for _ in range(2):
        registry.publish(artifact, "churn")
    path = registry.get("churn:1").path
    registry.delete("churn", 1)
    assert not path.exists()
    assert [v.version for v in registry.versions("churn")] == [2]
    assert list((registry.root / STAGING).iterdir()) == []


def test_delete_refuses_a_version_holding_an_alias_unless_forced(registry, artifact):
    registry.publish(artifact, "churn")
    registry.promote("churn", 1)
    with pytest.raises(UsageError, match="holds the alias.*production") as err:
        registry.delete("churn", 1)
    assert "--force" in err.value.fix
    registry.delete("churn", 1, force=True)
    with pytest.raises(ModelNotFound):
        registry.get("churn")


def test_deleted_version_numbers_are_never_reused(registry, artifact):
    for _ in range(2):
        registry.publish(artifact, "churn")
    registry.delete("churn", 2)
    assert registry.publish(artifact, "churn").version == 3


def test_delete_of_an_unknown_version_is_not_found(registry, artifact):
    registry.publish(artifact, "churn")
    with pytest.raises(ModelNotFound, match="no version 7"):
        registry.delete("churn", 7)


def test_version_whose_folder_vanished_is_listed_broken_and_refused(registry, artifact):
    import shutil

    mv = registry.publish(artifact, "churn")
    shutil.rmtree(mv.path)
    assert registry.list()[0]["broken"] == [1]
    assert "missing" in registry.get("churn").broken
    with pytest.raises(IntegrityError, match="cannot be loaded"):
        registry.load("churn", load_folder)


def test_flipped_byte_is_refused_by_verify(registry, artifact):
    mv = registry.publish(artifact, "churn")
    data = bytearray((mv.path / "model.json").read_bytes())
    data[5] ^= 0x01
    (mv.path / "model.json").write_bytes(bytes(data))
    with pytest.raises(IntegrityError, match="model.json"):
        registry.verify("churn")


def test_missing_file_is_refused_by_verify(registry, artifact):
    mv = registry.publish(artifact, "churn")
    (mv.path / "ensemble" / "model.txt").unlink()
    with pytest.raises(IntegrityError, match="missing"):
        registry.verify("churn:1")


def test_a_rewritten_manifest_is_caught_by_the_recorded_digest(registry, artifact):
    from bizforge.manifest import write_manifest

    mv = registry.publish(artifact, "churn")
    (mv.path / "ensemble" / "model.txt").write_bytes(b"evil\n")
    write_manifest(mv.path)  # the attacker re-signs the folder
    with pytest.raises(IntegrityError, match="manifest .* replaced"):
        registry.load("churn", load_folder)


def test_database_url_setting_moves_the_metadata(tmp_path, monkeypatch, artifact):
    url = f"sqlite:///{tmp_path / 'team.db'}"
    monkeypatch.setenv("BIZFORGE_DATABASE_URL", url)
    with Registry() as reg:
        reg.publish(artifact, "churn")
    assert sa.inspect(sa.create_engine(url)).has_table("versions")
    assert not (Registry().home / "registry.db").exists()


def test_revision_changes_on_every_write(registry, artifact):
    before = registry.revision()
    registry.publish(artifact, "churn")
    registry.promote("churn", 1)
    assert registry.revision() == before + 2


def test_model_version_to_dict_is_json_ready(registry, artifact):
    data = registry.publish(artifact, "churn").to_dict()
    assert json.loads(json.dumps(data))["version"] == 1 and "digest" not in data
