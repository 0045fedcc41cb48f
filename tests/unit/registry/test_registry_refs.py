"""Model references: name, name:version, name@alias — and every path trick refused."""

from __future__ import annotations

import pytest

from bizforge.errors import UsageError
from bizforge.registry import Ref, check_alias, check_name, parse_ref


@pytest.mark.parametrize(
    ("ref", "expected"),
    [
        ("churn", Ref("churn", None, None)),
        ("churn:3", Ref("churn", 3, None)),
        ("churn@staging", Ref("churn", None, "staging")),
        ("流失预测", Ref("流失预测", None, None)),
        ("流失预测-v2:12", Ref("流失预测-v2", 12, None)),
        ("Churn_2024@canary-2", Ref("Churn_2024", None, "canary-2")),
    ],
)
def test_valid_references_are_split(ref, expected):
    assert parse_ref(ref) == expected


@pytest.mark.parametrize(
    "ref",
    ["../x", "/etc/passwd", "%2e%2e%2f", "%2e%2e", "a/b", "a\\b", "..", ".hidden", "x\x00y",
     "x:abc", "x:0", "x:-1", "x:", "x@", "x@Prod", "x@a/b", "x:1@prod", "", " churn",
     "churn ", "a" * 65, "-lead", "_lead", "con", "NUL"],
)
def test_traversal_and_malformed_references_are_usage_errors(ref):
    with pytest.raises(UsageError):
        parse_ref(ref)


def test_error_message_says_what_a_name_may_contain():
    with pytest.raises(UsageError, match="not a valid model name") as err:
        parse_ref("../x")
    assert "letters, digits" in err.value.fix


def test_nul_byte_is_escaped_in_the_message():
    with pytest.raises(UsageError) as err:
        check_name("x\x00y")
    assert "\x00" not in str(err.value) and "\\x00" in str(err.value)


def test_longest_valid_name_is_64_characters():
    assert check_name("a" * 64) == "a" * 64


def test_alias_must_be_lower_case_letters_digits_dashes():
    assert check_alias("production") == "production"
    with pytest.raises(UsageError, match="not a valid alias"):
        check_alias("Production")


def test_ref_prints_back_as_written():
    assert [str(parse_ref(r)) for r in ("a", "a:2", "a@b")] == ["a", "a:2", "a@b"]
