"""PII treatment: mask, hash (salted, consistent), drop, the audit and the salt."""

from __future__ import annotations

import json
import re

import pandas as pd
import pytest

from bizforge.clean.pii import get_salt, mask_frame, mask_text
from bizforge.config import Settings
from bizforge.errors import ConfigError, DataError, UsageError
from pii_ids import make_id

ID_A = make_id("110105", "19900307", "123")
ID_B = make_id("320102", "19851111", "456")
RAW = [ID_A, ID_B, "13800138000", "13900139000", "li.lei@example.com", "010-12345678"]


def _customers() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "客户": ["甲", "乙", "丙", "丁"],
            "身份证号": [ID_A, ID_B, None, "110105199013011234"],
            "手机": pd.array([13800138000, 13900139000, None, 13800138000], dtype="Int64"),
            "投诉内容": [
                "多次致电 13800138000 无人接听",
                "服务很好",
                "请发邮件到 li.lei@example.com 或打 010-12345678",
                None,
            ],
            "金额": [1.5, 2.0, 3.25, 4.0],
        }
    )


def test_mask_keeps_shape_and_leaves_other_columns_alone():
    out, _ = mask_frame(_customers())
    assert out["身份证号"].tolist()[:2] == [
        ID_A[:6] + "********" + ID_A[-4:],
        ID_B[:6] + "********" + ID_B[-4:],
    ]
    assert out["手机"].tolist()[0] == "138****8000"
    assert out["投诉内容"].tolist()[0] == "多次致电 138****8000 无人接听"
    assert out["投诉内容"].tolist()[2] == "请发邮件到 l***@example.com 或打 010-******78"
    pd.testing.assert_series_equal(out["金额"], _customers()["金额"])
    assert out["客户"].tolist() == ["甲", "乙", "丙", "丁"]


def test_missing_values_stay_missing():
    out, _ = mask_frame(_customers())
    assert out["身份证号"].isna().tolist() == [False, False, True, False]
    assert out["投诉内容"].isna().tolist() == [False, False, False, True]


def test_input_frame_is_not_modified():
    frame = _customers()
    before = frame.copy()
    mask_frame(frame, mode="hash", salt="s")
    pd.testing.assert_frame_equal(frame, before)


def test_hash_is_consistent_across_separators_and_columns():
    written = ["13800138000", "138-0013-8000", "+86 138 0013 8000", "0086-13800138000"]
    tokens = {mask_text(v, "hash", "salt-1") for v in written}
    assert len(tokens) == 1
    token = tokens.pop()
    assert re.fullmatch(r"cn_mobile_[0-9a-f]{16}", token)
    out, _ = mask_frame(_customers(), mode="hash", salt="salt-1")
    assert out["手机"].iloc[0] == token  # an integer column joins with text mentions
    assert out["投诉内容"].iloc[0] == f"多次致电 {token} 无人接听"


def test_hash_depends_on_the_salt():
    assert mask_text(ID_A, "hash", "salt-1") != mask_text(ID_A, "hash", "salt-2")
    assert mask_text(ID_A, "hash", "salt-1") == mask_text(ID_A, "hash", "salt-1")


def test_hash_of_email_ignores_case_and_of_id_ignores_x_case():
    assert mask_text("Li.Lei@Example.com", "hash", "s") == mask_text(
        "li.lei@example.com", "hash", "s"
    )
    pid = "11010519491231002X"
    assert mask_text(pid, "hash", "s") == mask_text(pid.lower(), "hash", "s")


def test_different_kinds_never_share_a_token():
    assert mask_text("13800138000", "hash", "s").startswith("cn_mobile_")
    assert mask_text("8.8.8.8", "hash", "s").startswith("ipv4_")


def test_drop_removes_pii_columns_and_masks_free_text():
    out, audit = mask_frame(_customers(), mode="drop")
    assert list(out.columns) == ["客户", "投诉内容", "金额"]
    assert out["投诉内容"].iloc[0] == "多次致电 138****8000 无人接听"
    actions = {e["column"]: e["action"] for e in audit["columns"]}
    assert actions == {"身份证号": "dropped", "手机": "dropped", "投诉内容": "masked_spans"}
    text_entry = next(e for e in audit["columns"] if e["column"] == "投诉内容")
    assert "masked" in text_entry["note"]


def test_audit_lists_kinds_counts_and_actions():
    _, audit = mask_frame(_customers())
    assert audit["mode"] == "mask" and audit["rows"] == 4
    by_col = {e["column"]: e for e in audit["columns"]}
    assert by_col["身份证号"]["kinds"] == {"cn_id": 2}
    assert by_col["身份证号"]["unchanged"] == 1  # the 13th-month ID
    assert by_col["手机"] == {
        "column": "手机",
        "kinds": {"cn_mobile": 3},
        "count": 3,
        "whole": True,
        "action": "masked",
        "unchanged": 0,
    }
    assert by_col["投诉内容"]["kinds"] == {"cn_mobile": 1, "cn_landline": 1, "email": 1}
    assert by_col["投诉内容"]["count"] == 2 and by_col["投诉内容"]["whole"] is False


@pytest.mark.parametrize("mode", ["mask", "hash", "drop"])
def test_audit_never_contains_a_raw_value(mode):
    _, audit = mask_frame(_customers(), mode=mode, salt="s")
    text = json.dumps(audit, ensure_ascii=False)
    for raw in RAW + ["13800138000", "li.lei"]:
        assert raw not in text


@pytest.mark.parametrize("mode", ["mask", "hash"])
def test_treated_frame_holds_no_valid_raw_value(mode):
    out, _ = mask_frame(_customers(), mode=mode, salt="s")
    text = out.to_csv()
    for raw in RAW:
        assert raw not in text


def test_columns_limits_the_treatment_and_reports_clean_columns():
    out, audit = mask_frame(_customers(), columns=["手机", "金额"])
    assert out["身份证号"].iloc[0] == ID_A
    assert out["手机"].iloc[0] == "138****8000"
    assert [(e["column"], e["action"]) for e in audit["columns"]] == [
        ("手机", "masked"),
        ("金额", "none"),
    ]


def test_unknown_column_is_a_data_error_naming_it():
    with pytest.raises(DataError) as err:
        mask_frame(_customers(), columns=["电话"])
    assert err.value.column == "电话"
    assert "手机" in err.value.fix


def test_unknown_mode_is_a_usage_error():
    with pytest.raises(UsageError, match="unknown PII mode 'zap'"):
        mask_frame(_customers(), mode="zap")
    with pytest.raises(UsageError):
        mask_text("x", mode="drop")


def test_non_text_values_pass_through_mask_text():
    assert mask_text(None) is None


def test_hash_without_salt_uses_a_salt_kept_in_the_home_folder(tmp_path, monkeypatch):
    monkeypatch.delenv("BIZFORGE_PII_SALT", raising=False)
    first = mask_text(ID_A, "hash")
    salt_file = tmp_path / "home" / "pii_salt"  # conftest points BIZFORGE_HOME here
    assert salt_file.exists()
    assert oct(salt_file.stat().st_mode & 0o777) == "0o600"
    assert mask_text(ID_A, "hash") == first
    assert len(get_salt()) >= 32


def test_salt_comes_from_the_environment_first(monkeypatch):
    monkeypatch.setenv("BIZFORGE_PII_SALT", "acme")
    assert get_salt() == "acme"
    assert mask_frame(pd.DataFrame({"p": ["13800138000"]}), mode="hash")[0]["p"].iloc[0] == (
        mask_text("13800138000", "hash", "acme")
    )


def test_empty_salt_is_a_config_error():
    with pytest.raises(ConfigError, match="empty"):
        get_salt(Settings(pii_salt=" "))


def test_home_that_cannot_hold_the_salt_is_a_config_error_with_a_fix(tmp_path):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("x")  # a file where the home folder should be: works even as root
    with pytest.raises(ConfigError) as err:
        get_salt(Settings(home=blocker / "home"))
    assert "BIZFORGE_PII_SALT" in err.value.fix
