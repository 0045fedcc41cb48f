"""What a column's name says it holds: identifiers, codes, amounts, times.

Names are read in English, Chinese (simplified and traditional) and, where it
costs one word, German. English names are split into words (``customerID`` ->
customer, id); Chinese names are searched for the word anywhere, since they
are not spaced (``客户编号``, ``销售额(元)``).

>>> sorted(name_words("customerID")), is_code_name("郵遞區號"), is_amount_name("销售额(元)")
(['customer', 'id'], True, True)
"""

from __future__ import annotations

import re

__all__ = [
    "CODE_WORDS",
    "ID_CJK",
    "ID_WORDS",
    "has_name_hint",
    "is_amount_name",
    "is_code_name",
    "is_time_name",
    "name_words",
]

# fmt: off
ID_WORDS = frozenset({"id", "uuid", "guid", "code", "no", "key", "sku", "imei", "msisdn"})
CODE_WORDS = frozenset({"id", "code"})  # "no" would also catch "No. of children"
ID_CJK = ("编号", "号码", "单号", "账号", "卡号", "工号", "学号", "身份证", "证件号", "编码",
          "編號", "號碼", "單號", "帳號", "賬號", "卡號", "工號", "學號", "身分證", "證號", "編碼")
# Numbers that are labels, never quantities: postal codes, phone numbers, book numbers.
_LABEL_WORDS = frozenset({
    "zip", "zipcode", "postcode", "postal", "plz", "postleitzahl", "isbn", "issn", "ean",
    "upc", "gtin", "barcode", "phone", "tel", "telephone", "mobile", "fax", "telefon",
    "handy", "areacode",
})
_LABEL_CJK = ("邮编", "邮政编码", "郵遞區號", "郵政編碼", "郵遞", "郵編", "区号", "區號", "区码",
              "電話", "电话", "手机", "手機", "传真", "傳真", "条码", "條碼", "书号", "書號")
# Amounts and quantities: a fixed-width column of them is still not an identifier.
_AMOUNT_WORDS = frozenset({
    "amount", "amt", "sales", "revenue", "income", "price", "cost", "costs", "total", "sum",
    "value", "profit", "spend", "spent", "paid", "balance", "salary", "wage", "turnover",
    "qty", "quantity", "volume", "count", "gmv", "fee", "fees", "charge", "charges",
    "umsatz", "betrag", "preis", "summe", "menge", "kosten", "gewinn", "wert", "usd", "eur",
    "cny", "rmb",
})
_AMOUNT_CJK = ("金额", "金額", "销售额", "銷售額", "营业额", "營業額", "收入", "利润", "利潤",
               "价格", "價格", "单价", "單價", "总价", "總價", "费用", "費用", "成本", "余额",
               "餘額", "工资", "薪资", "薪資", "数量", "數量", "销量", "銷量", "(元)", "（元）",
               "(万元)", "（万元）", "(萬元)", "（萬元）", "(千元)", "（千元）", "元)", "元）")
# Points in time: with a number of the right range, a Unix time or an Excel date.
_TIME_WORDS = frozenset({
    "time", "timestamp", "ts", "date", "datetime", "created", "updated", "modified",
    "at", "when", "epoch", "day", "zeit", "datum", "zeitpunkt", "tag", "dt",
})
_TIME_CJK = ("时间", "時間", "日期", "时刻", "時刻", "年月日", "时点", "時點", "日子", "交易日")
# fmt: on


def name_words(name: str) -> set[str]:
    """``"customerID"`` -> {"customer", "id"}; ``"Machine failure"`` -> {"machine", "failure"}."""
    spaced = re.sub(r"([a-z0-9])([A-Z])", r"\1 \2", str(name))
    spaced = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1 \2", spaced)
    return {w.lower() for w in re.split(r"[^0-9A-Za-z]+", spaced) if w}


def has_name_hint(name: str, words=ID_WORDS, cjk=ID_CJK) -> bool:
    """True when ``name`` has one of ``words`` (English, as a word) or ``cjk`` (anywhere)."""
    name = str(name)
    return any(word in name for word in cjk) or bool(name_words(name) & words)


def is_code_name(name: str) -> bool:
    """A postal code, phone number, ISBN...: digits that label, never count."""
    return has_name_hint(name, _LABEL_WORDS, _LABEL_CJK)


def is_amount_name(name: str) -> bool:
    """An amount or quantity (``销售额(元)``, ``Umsatz``, ``total_price``)."""
    return has_name_hint(name, _AMOUNT_WORDS, _AMOUNT_CJK)


def is_time_name(name: str) -> bool:
    """A point in time (``created_at``, ``下单时间``, ``Datum``)."""
    return has_name_hint(name, _TIME_WORDS, _TIME_CJK)
