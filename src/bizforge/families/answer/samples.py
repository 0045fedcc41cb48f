"""A small customer-service FAQ in English and Chinese, with example questions (tests, demo).

>>> kb, queries = faq("en")
>>> len(kb), set(queries.columns)
(10, {'entry_id', 'query'})
"""

from __future__ import annotations

import pandas as pd

__all__ = ["faq"]

# entry id, question, answer, paraphrases
_EN = [
    ("pw", "How do I reset my password?",
     "Open Settings > Security and choose Reset password; a link is sent to your email.",
     ["I forgot my password, how can I reset it?", "reset password please",
      "How to change a forgotten password", "password reset link"]),
    ("pay", "Which payment methods do you accept?",
     "We accept Visa, Mastercard, PayPal and bank transfer.",
     ["Can I pay with PayPal?", "what payment methods are accepted", "pay by credit card",
      "accepted ways to pay"]),
    ("ship", "How long does delivery take?",
     "Orders arrive within 3 to 5 working days.",
     ["when will my order arrive", "delivery time for orders", "how many days for shipping",
      "how long does shipping take"]),
    ("return", "How do I return a product?",
     "Start a return from My Orders within 30 days; the label is free.",
     ["can I send an item back", "return an item I bought", "product return process",
      "how to return my order"]),
    ("hours", "What are your opening hours?",
     "Our shops open Monday to Saturday, 9:00 to 18:00.",
     ["when are you open", "opening times of the shop", "are you open on saturday",
      "shop hours"]),
    ("cancel", "How can I cancel my order?",
     "Orders can be cancelled in My Orders until they are shipped.",
     ["cancel an order", "I want to cancel my purchase", "stop my order before shipping",
      "order cancellation"]),
    ("address", "How do I change my delivery address?",
     "Edit the address in My Account > Addresses before the order ships.",
     ["change shipping address", "update my address for delivery", "wrong delivery address",
      "edit the address of my order"]),
    ("invoice", "Where can I download my invoice?",
     "Invoices are in My Orders; click the order and then Download invoice.",
     ["get a copy of my invoice", "invoice download", "I need the invoice for my order",
      "where is my invoice"]),
    ("warranty", "How long is the warranty?",
     "Every product has a two-year warranty from the date of purchase.",
     ["warranty period of products", "is there a guarantee", "how many years of warranty",
      "warranty length"]),
    ("contact", "How can I contact customer support?",
     "Call 400-800-1234 or write to help@example.com; we answer within a day.",
     ["customer service phone number", "talk to support", "email address of support",
      "how to reach customer service"]),
]

_ZH = [
    ("pw", "怎么重置密码？", "打开设置 > 安全，选择重置密码，重置链接会发到您的邮箱。",
     ["忘记密码了怎么办", "密码忘了怎么重置", "如何修改忘记的密码", "重置密码的链接"]),
    ("pay", "支持哪些付款方式？", "支持微信支付、支付宝、银行卡和对公转账。",
     ["可以用支付宝付款吗", "有哪些支付方式", "能刷银行卡吗", "付款方式有哪些"]),
    ("ship", "发货后多久能到？", "订单一般在3到5个工作日内送达。",
     ["快递几天能到", "订单多久送到", "配送需要多长时间", "几天到货"]),
    ("return", "怎么退货？", "在我的订单中30天内申请退货，运费由我们承担。",
     ["商品可以退吗", "我想退货", "退货流程是什么", "如何申请退货"]),
    ("hours", "门店营业时间是几点？", "门店周一到周六 9:00 至 18:00 营业。",
     ["你们几点开门", "周六营业吗", "门店什么时候关门", "营业时间"]),
    ("cancel", "怎么取消订单？", "发货前可以在我的订单中取消订单。",
     ["订单可以取消吗", "我不想要了怎么取消", "取消购买", "如何取消订单"]),
    ("address", "怎么修改收货地址？", "发货前在我的账户 > 收货地址中修改。",
     ["收货地址填错了", "更改配送地址", "地址写错了怎么改", "修改地址"]),
    ("invoice", "在哪里下载发票？", "在我的订单中点开订单，选择下载发票。",
     ["怎么开发票", "发票在哪里", "需要订单的发票", "下载电子发票"]),
    ("warranty", "保修期多长？", "所有商品自购买之日起保修两年。",
     ["保修几年", "有没有质保", "质保期是多久", "商品保修多长时间"]),
    ("contact", "怎么联系客服？", "拨打 400-800-1234 或发邮件到 help@example.com。",
     ["客服电话是多少", "人工客服", "怎么找客服", "客服邮箱"]),
]


def faq(lang: str = "en") -> tuple[pd.DataFrame, pd.DataFrame]:
    """(knowledge base: entry_id, text, answer; questions: query, entry_id)."""
    rows = _EN if lang == "en" else _ZH
    kb = pd.DataFrame([(e, q, a) for e, q, a, _ in rows], columns=["entry_id", "text", "answer"])
    queries = pd.DataFrame([(p, e) for e, _, _, ps in rows for p in ps],
                           columns=["query", "entry_id"])
    return kb, queries
