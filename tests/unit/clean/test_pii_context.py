"""PII in context: the words around a value and the column it sits in decide.

Each test is one of the leaks or false alarms of issue #25: non-ASCII e-mail
local parts, cards with uncommon prefixes, decimals taken for cards, versions
taken for IPv4 addresses.
"""

from __future__ import annotations

import random

import numpy as np
import pandas as pd

from bizforge.clean.pii import find_pii, mask_frame, mask_text, scan_column
from bizforge.clean.pii_context import luhn_many
from pii_ids import luhn_complete


def random_digits(rng: random.Random, n: int) -> str:
    return "".join(rng.choice("0123456789") for _ in range(n))


def odd_cards(seed: int = 0) -> list[str]:
    """Luhn-valid cards whose prefixes/lengths the prefix rule does not know."""
    rng = random.Random(seed)
    return [luhn_complete("2014" + random_digits(rng, 10)) for _ in range(4)] + [
        luhn_complete("06" + random_digits(rng, 15 + i % 2)) for i in range(4)
    ]


def test_non_ascii_local_part_is_masked_whole():
    assert mask_text("jörg.müller@example.de") == "j***@example.de"


def test_non_ascii_address_inside_text_is_masked_whole():
    assert mask_text("Kontakt: jörg.müller@example.de, danke") == "Kontakt: j***@example.de, danke"


def test_chinese_local_part_is_masked_in_an_email_column():
    out, _ = mask_frame(pd.DataFrame({"邮箱": ["张三@example.cn", "li@example.cn"]}))
    assert out["邮箱"].tolist() == ["张***@example.cn", "l***@example.cn"]


def test_luhn_valid_uncommon_cards_are_masked_in_a_card_column():
    cards = odd_cards()
    out, audit = mask_frame(pd.DataFrame({"银行卡号": cards}))
    assert out["银行卡号"].tolist() == ["*" * (len(c) - 4) + c[-4:] for c in cards]
    assert audit["columns"][0]["kinds"] == {"bank_card": len(cards)}


def test_uncommon_cards_are_recognised_by_their_luhn_share_without_a_card_name():
    cards = odd_cards()
    out, _ = mask_frame(pd.DataFrame({"c7": cards}))
    assert all(v.startswith("*") for v in out["c7"])


def test_grouped_uncommon_card_is_masked_in_a_card_column():
    card = luhn_complete("201400001234567")  # 16 digits, a prefix no table lists
    grouped = " ".join(card[i : i + 4] for i in range(0, 16, 4))
    out, _ = mask_frame(pd.DataFrame({"card_no": [grouped]}))
    assert out["card_no"].iloc[0] == "**** **** **** " + card[-4:]


def test_luhn_invalid_number_in_a_card_column_is_left_and_counted():
    bad = odd_cards()[0][:-1] + str((int(odd_cards()[0][-1]) + 1) % 10)
    out, audit = mask_frame(pd.DataFrame({"卡号": [*odd_cards(), bad]}))
    assert out["卡号"].iloc[-1] == bad
    assert audit["columns"][0]["unchanged"] == 1


def test_order_numbers_that_pass_luhn_by_chance_are_not_cards():
    rng = random.Random(3)
    orders = ["5" + random_digits(rng, 15) for _ in range(300)]
    assert 10 < sum(luhn_many(np.array(orders, dtype=object))) < 60  # chance, about 1 in 10
    out, audit = mask_frame(pd.DataFrame({"订单号": orders}))
    assert out["订单号"].tolist() == orders
    assert audit["columns"] == []


def test_float_decimals_are_not_a_card():
    value = "18.3268802124461"
    assert luhn_many(np.array(["3268802124461"], dtype=object))[0]  # the trap is real
    assert find_pii(value) == []


def test_column_of_floats_as_text_is_not_personal_data():
    rng = np.random.default_rng(0)
    values = [repr(float(x)) for x in rng.random(400) * 100]
    assert scan_column(pd.Series(values, name="lat")) is None


def test_version_column_by_name_is_left_alone():
    versions = ["2.2.6.2", "1.0.0", "Varies with device", "4.0.3.1"]
    out, audit = mask_frame(pd.DataFrame({"Current Ver": versions}))
    assert out["Current Ver"].tolist() == versions
    assert audit["columns"] == []


def test_column_of_small_dotted_quads_is_versions_without_a_name():
    versions = ["2.2.6.2", "1.0.3.4", "4.0.3.1", "3.1.10.2", "10.2.1.0"]
    out, _ = mask_frame(pd.DataFrame({"c3": versions}))
    assert out["c3"].tolist() == versions


def test_address_column_with_small_octets_is_masked():
    out, _ = mask_frame(pd.DataFrame({"client_ip": ["2.2.6.2", "1.0.3.4", "4.0.3.1"]}))
    assert out["client_ip"].tolist() == ["2.2.*.*", "1.0.*.*", "4.0.*.*"]


def test_column_of_real_addresses_is_masked():
    ips = ["192.168.1.20", "10.0.0.57", "8.8.8.8", "172.16.4.200"]
    out, _ = mask_frame(pd.DataFrame({"c1": ips}))
    assert out["c1"].tolist() == ["192.168.*.*", "10.0.*.*", "8.8.*.*", "172.16.*.*"]


def test_version_words_in_text_keep_a_dotted_quad():
    assert mask_text("升级到版本 2.2.6.2 后闪退") == "升级到版本 2.2.6.2 后闪退"
    assert mask_text("crash in v2.2.6.2") == "crash in v2.2.6.2"


def test_address_words_in_text_mask_a_dotted_quad():
    assert mask_text("登录IP 2.2.6.2 异常") == "登录IP 2.2.*.* 异常"


def test_card_words_make_an_uncommon_number_in_text_a_card():
    card = odd_cards()[0]
    assert mask_text(f"退款到卡号 {card}") == f"退款到卡号 {'*' * (len(card) - 4)}{card[-4:]}"


def test_order_words_keep_a_luhn_valid_number_in_text():
    number = luhn_complete("42152573482082301")  # a known card prefix, Luhn-valid
    assert mask_text(f"订单 {number} 已发货") == f"订单 {number} 已发货"


def test_order_numbers_read_as_ids_by_their_first_digits_are_still_not_cards():
    # 18 digits starting 1-8 look like resident IDs first; Luhn hits among them are chance too.
    rng = random.Random(5)
    orders = [rng.choice("345") + random_digits(rng, 17) for _ in range(300)]
    out, _ = mask_frame(pd.DataFrame({"单号": orders}))
    assert out["单号"].tolist() == orders


def test_a_mobile_shape_that_is_rare_among_same_length_numbers_is_chance():
    rng = random.Random(7)
    tracking = [rng.choice("12345679") + random_digits(rng, 12) for _ in range(199)]
    tracking.append("8613912345678")  # +86 mobile written without the plus
    out, _ = mask_frame(pd.DataFrame({"Tracking": tracking}))
    assert out["Tracking"].tolist() == tracking


def test_a_column_of_mobiles_with_country_code_is_still_masked():
    mobiles = [f"86139{i:08d}" for i in range(30)]
    out, _ = mask_frame(pd.DataFrame({"c": mobiles}))
    assert all("****" in v for v in out["c"])


def test_mobile_shaped_order_number_after_an_order_number_sign_is_kept():
    assert mask_text("订单号：19513967161 衣服") == "订单号：19513967161 衣服"


def test_mobile_after_the_word_order_without_a_number_sign_is_masked():
    assert mask_text("我的订单 13800138000 请联系") == "我的订单 138****8000 请联系"


def test_dotted_quad_after_a_digit_and_dash_is_a_range_not_an_address():
    assert mask_text("齿式：上颚1-3.1.4.2；") == "齿式：上颚1-3.1.4.2；"


def test_address_right_after_chinese_words_is_masked():
    assert mask_text("来自192.168.1.1的访问") == "来自192.168.*.*的访问"


def test_one_digit_quad_glued_to_chinese_is_not_an_address():
    assert mask_text("买的时候是1.8.8.8，才8天就降到1.6.9.9") == "买的时候是1.8.8.8，才8天就降到1.6.9.9"
