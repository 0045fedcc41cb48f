"""PII detection: a table of valid and invalid values is masked exactly where valid."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from bizforge.clean.pii import PiiMatch, find_pii, mask_frame, mask_text, scan_column, scan_frame
from pii_ids import luhn_complete, make_id


def wrong_check(pid: str) -> str:
    return pid[:-1] + ("1" if pid[-1] != "1" else "2")


def id_ending_x() -> str:
    for seq in range(1000):
        pid = make_id("110105", "19491231", f"{seq:03d}")
        if pid.endswith("X"):
            return pid
    raise AssertionError("no sequence gives X")




def group4(digits: str, sep: str = " ") -> str:
    return sep.join(digits[i : i + 4] for i in range(0, len(digits), 4))


ID_A = make_id("110105", "19900307", "123")
ID_LEAP = make_id("440301", "20000229", "004")
ID_X = id_ending_x()
CARD_UP = luhn_complete("622202123456789012")  # 19-digit UnionPay
CARD_VISA = luhn_complete("411111111111111")
CARD_MC = luhn_complete("550000000000000")
CARD_MC2 = luhn_complete("222100000000000")

# (value, kind, masked)
VALID = [
    (ID_A, "cn_id", ID_A[:6] + "********" + ID_A[-4:]),
    (ID_LEAP, "cn_id", ID_LEAP[:6] + "********" + ID_LEAP[-4:]),
    (ID_X, "cn_id", ID_X[:6] + "********" + ID_X[-4:]),
    (ID_X[:-1] + "x", "cn_id", ID_X[:6] + "********" + ID_X[-4:-1] + "x"),
    ("13800138000", "cn_mobile", "138****8000"),
    ("199 1234 5678", "cn_mobile", "199 **** 5678"),
    ("+86 138-0013-8000", "cn_mobile", "+86 138-****-8000"),
    ("0086 13912345678", "cn_mobile", "0086 139****5678"),
    ("8615912345678", "cn_mobile", "86159****5678"),
    ("010-12345678", "cn_landline", "010-******78"),
    ("(0571)88886666", "cn_landline", "(0571)******66"),
    ("0755 2345678", "cn_landline", "0755 *****78"),
    ("021-6666 8888 转 123", "cn_landline", "021-**** **88 转 ***"),
    (CARD_UP, "bank_card", "*" * 15 + CARD_UP[-4:]),
    (group4(CARD_VISA), "bank_card", "**** **** **** " + CARD_VISA[-4:]),
    (group4(CARD_MC, "-"), "bank_card", "****-****-****-" + CARD_MC[-4:]),
    (CARD_MC2, "bank_card", "*" * 12 + CARD_MC2[-4:]),
    ("3782 822463 10005", "bank_card", "**** ****** *0005"),
    ("li.lei@example.com", "email", "l***@example.com"),
    ("Wang_Fang+crm@mail.qq.com.cn", "email", "W***@mail.qq.com.cn"),
    ("192.168.1.255", "ipv4", "192.168.*.*"),
    ("8.8.8.8", "ipv4", "8.8.*.*"),
]

INVALID = [
    wrong_check(ID_A),  # check digit
    make_id("110105", "19900230", "123"),  # 30 February, real check digit
    make_id("110105", "20990101", "123"),  # born in the future
    make_id("110105", "18991231", "123"),  # before 1900
    make_id("910105", "19900307", "123"),  # area codes start 1-8
    ID_A[:17],  # 17 characters
    "12800138000",  # 12x is not a mobile prefix
    "138001380001",  # 12-digit "mobile"
    "1380013800",  # 10 digits
    "02112345678",  # run-together area code with a local number starting 1
    "010-1234567890",  # 10-digit local number
    CARD_VISA[:-1] + str((int(CARD_VISA[-1]) + 1) % 10),  # Luhn
    luhn_complete("123456781234567"),  # Luhn-valid but not a card prefix
    group4(luhn_complete("41111111111")),  # 12 digits
    "li.lei@example",
    "@example.com",
    "192.168.1.256",
    "1.2.3",
    "1.2.3.4.5",
    "01.2.3.4",
]


@pytest.mark.parametrize(("value", "kind", "masked"), VALID)
def test_valid_value_is_found_and_masked_whole(value, kind, masked):
    assert find_pii(value) == [PiiMatch(kind, 0, len(value))]
    assert mask_text(value) == masked


@pytest.mark.parametrize("value", INVALID)
def test_invalid_value_is_left_as_is(value):
    assert find_pii(value) == []
    assert mask_text(value) == value


def test_column_of_valid_and_invalid_values_is_masked_exactly_where_valid():
    values = [v for v, _, _ in VALID] + INVALID
    expected = [m for _, _, m in VALID] + INVALID
    out, _ = mask_frame(pd.DataFrame({"v": values}))
    assert out["v"].tolist() == expected


def test_bulk_column_path_agrees_with_per_value_path():
    # Whole-value spans are confirmed in bulk; mixed text goes value by value.
    values = [v for v, _, _ in VALID] + INVALID + [f"联系 {v} 谢谢" for v, _, _ in VALID]
    values += [f" {ID_A} ", f"{ID_A}{ID_A}", "13800138000@qq.com", f"{CARD_UP}0"]
    out, _ = mask_frame(pd.DataFrame({"v": values}))
    assert out["v"].tolist() == [mask_text(v) for v in values]


def test_id_born_today_is_valid_and_tomorrow_is_not():
    today = dt.date.today()
    born_today = make_id("110105", today.strftime("%Y%m%d"), "001")
    tomorrow = make_id("110105", (today + dt.timedelta(days=1)).strftime("%Y%m%d"), "001")
    assert [m.kind for m in find_pii(born_today)] == ["cn_id"]
    assert find_pii(tomorrow) == []


def test_number_inside_a_longer_digit_run_is_not_a_match():
    assert find_pii("9" + ID_A) == []
    assert find_pii("138001380001234") == []
    assert find_pii("订单号2013800138000") == []


def test_pii_inside_free_text_is_found_at_its_position():
    text = f"客户来电：13800138000，身份证{ID_A}。"
    assert find_pii(text) == [
        PiiMatch("cn_mobile", 5, 16),
        PiiMatch("cn_id", 20, 38),
    ]
    assert mask_text(text) == f"客户来电：138****8000，身份证{ID_A[:6]}********{ID_A[-4:]}。"


def test_resident_id_wins_over_card_when_both_validate():
    # Search an ID that is also Luhn-valid and starts like a card: it must stay an ID.
    for seq in range(1000):
        pid = make_id("410105", "19900307", f"{seq:03d}")
        if pid[-1] != "X" and luhn_complete(pid[:-1]) == pid:
            break
    else:
        raise AssertionError("no Luhn-valid ID found")
    assert [m.kind for m in find_pii(pid)] == ["cn_id"]


def test_email_wins_over_the_mobile_in_its_local_part():
    assert [m.kind for m in find_pii("13800138000@qq.com")] == ["email"]


def test_card_followed_by_a_short_number_is_still_found():
    text = f"卡号 {group4(CARD_VISA)} 12 件"
    assert mask_text(text) == f"卡号 **** **** **** {CARD_VISA[-4:]} 12 件"


def test_scan_column_reports_kinds_counts_and_first_rows():
    col = pd.Series(["n/a", "13800138000", "", ID_A, "13900139000"], name="联系方式")
    found = scan_column(col)
    assert (found.column, found.kinds, found.count) == ("联系方式", {"cn_id": 1, "cn_mobile": 2}, 3)
    assert found.rows == [1, 3, 4]
    assert found.whole is True


def test_scan_column_marks_free_text_as_not_whole():
    texts = ["服务很好", "请回电 13800138000 谢谢", "一般", "快递太慢"]
    found = scan_column(pd.Series(texts, name="评论"))
    assert (found.count, found.whole, found.rows) == (1, False, [1])


def test_scan_column_without_pii_returns_none():
    assert scan_column(pd.Series(["a", "b", None], name="x")) is None


def test_integer_column_is_checked_as_text():
    col = pd.Series([13800138000, 13900139000, None], dtype="Int64", name="phone")
    assert scan_column(col).kinds == {"cn_mobile": 2}
    out, _ = mask_frame(col.to_frame())
    assert out["phone"].tolist()[:2] == ["138****8000", "139****9000"]
    assert pd.isna(out["phone"].iloc[2])


def test_float_column_of_whole_phone_numbers_is_checked():
    col = pd.Series([13800138000.0, float("nan")], name="phone")
    assert scan_column(col).kinds == {"cn_mobile": 1}


def test_scan_column_samples_large_columns_repeatably():
    col = pd.Series(["13800138000"] * 500 + ["无"] * 500, name="p")
    first, second = scan_column(col, sample=100), scan_column(col, sample=100)
    assert first == second
    assert first.scanned == 100 and 0 < first.count < 100


def test_scan_frame_returns_only_columns_with_pii():
    frame = pd.DataFrame({"email": ["a.b@example.com", "c@example.org"], "n": [1, 2]})
    assert list(scan_frame(frame)) == ["email"]
