"""Realistic sample business data, generated in code so the demo needs no download.

The churn table imitates a Chinese telecom's customer export, warts included:
an id column, personal data (mobile numbers), fees stored as text with thousands
separators and blanks for brand-new customers, free-text complaints that
sometimes quote a phone number, and a target whose rate depends on the
features the way churn does in practice (short tenure, monthly contracts,
complaints and high fees raise it).

>>> frame = churn_table(200, seed=1)
>>> frame.shape
(200, 14)
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["CHURN_TARGET", "REVIEW_TARGET", "REVIEW_TEXT", "churn_table", "review_table"]

CHURN_TARGET = "是否流失"
REVIEW_TARGET = "sentiment"
REVIEW_TEXT = "review"

_CITIES = ["北京", "上海", "广州", "深圳", "成都", "杭州", "武汉", "西安", "南京", "重庆"]
_CONTRACTS = ["月付", "一年合约", "两年合约"]
_PAYMENTS = ["微信支付", "支付宝", "银行代扣", "营业厅现金"]
_COMPLAINTS = [
    "网速太慢，晚上经常断线",
    "账单多扣了流量费，客服处理很慢",
    "信号不好，家里经常没有信号",
    "套餐太贵了，想换一个便宜的",
    "宽带安装师傅迟到了两个小时",
    "客服态度不错，问题已经解决",
]
_MOBILE_PREFIXES = ["138", "139", "150", "151", "186", "187", "177", "199"]


def churn_table(n: int = 2000, *, seed: int = 0) -> pd.DataFrame:
    """A telecom customer table with the target column :data:`CHURN_TARGET` (是/否)."""
    rng = np.random.default_rng(seed)
    tenure = rng.integers(0, 73, n)
    contract = rng.choice(_CONTRACTS, n, p=[0.55, 0.25, 0.20])
    monthly = np.round(rng.uniform(19, 199, n), 1)
    complaints = rng.poisson(0.6, n)
    age = rng.integers(18, 80, n)
    broadband = rng.choice(["是", "否"], n, p=[0.6, 0.4])

    logit = (
        -1.2
        - 0.045 * tenure
        + np.where(contract == "月付", 1.4, np.where(contract == "一年合约", 0.1, -1.0))
        + 0.55 * complaints
        + 0.008 * (monthly - 100)
        + np.where(broadband == "是", 0.3, 0.0)
    )
    churned = rng.random(n) < 1.0 / (1.0 + np.exp(-logit))

    total = monthly * np.maximum(tenure, 0) * rng.uniform(0.95, 1.05, n)
    total_text = np.array([f"{v:,.1f}" for v in total], dtype=object)
    total_text[tenure == 0] = " "  # brand-new customers: billing system leaves a blank

    mobiles = [
        rng.choice(_MOBILE_PREFIXES) + "".join(rng.choice(list("0123456789"), 8)) for _ in range(n)
    ]
    complaint_text = []
    for i in range(n):
        if complaints[i] == 0:
            complaint_text.append("")
            continue
        text = str(rng.choice(_COMPLAINTS))
        if rng.random() < 0.15:
            text += f"，请回电 {mobiles[i]}"
        complaint_text.append(text)

    start = np.datetime64("2026-11-01") - (tenure * 30).astype("timedelta64[D]")
    return pd.DataFrame(
        {
            "客户编号": [f"C{100000 + i}" for i in range(n)],
            "手机号": mobiles,
            "性别": rng.choice(["男", "女"], n),
            "年龄": age,
            "城市": rng.choice(_CITIES, n),
            "入网日期": pd.to_datetime(start).strftime("%Y-%m-%d"),
            "在网月数": tenure,
            "合约类型": contract,
            "宽带": broadband,
            "支付方式": rng.choice(_PAYMENTS, n),
            "月费": monthly,
            "累计消费": total_text,
            "最近投诉": complaint_text,
            CHURN_TARGET: np.where(churned, "是", "否"),
        }
    )


# Review phrases written for the project: (aspect, positive opinions, negative opinions).
_REVIEW_EN = [
    ("the delivery", ["arrived a day early", "was fast and careful"],
     ["took two weeks", "came with a crushed box"]),
    ("the phone", ["works perfectly", "has a great battery"],
     ["stopped charging after a week", "overheats all the time"]),
    ("customer service", ["solved my problem in minutes", "was friendly and patient"],
     ["never answered my emails", "hung up on me twice"]),
    ("the hotel room", ["was spotless and quiet", "had a lovely view"],
     ["smelled of smoke", "was noisy all night"]),
    ("the price", ["is fair for the quality", "was a real bargain"],
     ["is far too high", "went up without notice"]),
]
_REVIEW_ZH = [
    ("物流", ["很快，第二天就到了", "包装很仔细"], ["太慢了，等了两个星期", "箱子都压坏了"]),
    ("手机", ["用起来很流畅", "电池非常耐用"], ["用了一周就充不进电", "发热很严重"]),
    ("客服", ["态度很好，很快解决了问题", "非常耐心"], ["一直不回消息", "态度很差"]),
    ("酒店房间", ["干净又安静", "景色很好"], ["有一股烟味", "晚上特别吵"]),
    ("价格", ["很实惠，物有所值", "比别家便宜"], ["太贵了", "突然涨价也不通知"]),
]
_OPENERS_EN = ["", "Honestly, ", "Overall ", "I must say "]
_CLOSERS_EN = ["", " Would buy again.", " Not happy.", " Thanks!"]
_OPENERS_ZH = ["", "说实话，", "总体来说，", "这次"]


def review_table(n: int = 400, *, seed: int = 0) -> pd.DataFrame:
    """A bilingual (English and Chinese) review table: columns ``review`` and ``sentiment``.

    About 60% positive; one review in eight mixes a positive and a negative
    aspect, and the closers add noise, so the task is learnable but not trivial.

    >>> review_table(10, seed=1).columns.tolist()
    ['review', 'sentiment']
    """
    rng = np.random.default_rng(seed)
    texts, labels = [], []
    for _ in range(n):
        positive = rng.random() < 0.6
        zh = rng.random() < 0.5
        table = _REVIEW_ZH if zh else _REVIEW_EN
        aspect, good, bad = table[rng.integers(len(table))]
        main = str(rng.choice(good if positive else bad))
        if zh:
            text = f"{rng.choice(_OPENERS_ZH)}{aspect}{main}。"
        else:
            text = f"{rng.choice(_OPENERS_EN)}{aspect} {main}."
            text = text[0].upper() + text[1:]
        if rng.random() < 0.125:  # a mixed review: a smaller complaint or praise on the side
            other, g2, b2 = table[rng.integers(len(table))]
            side = str(rng.choice(b2 if positive else g2))
            text += f"不过{other}{side}。" if zh else f" But {other} {side}."
        if not zh:
            text += str(rng.choice(_CLOSERS_EN))
        texts.append(text)
        labels.append("positive" if positive else "negative")
    return pd.DataFrame({REVIEW_TEXT: texts, REVIEW_TARGET: labels})
