"""English and Chinese text of the recommend family (findings, report), under ``rec.``."""

from __future__ import annotations

from bizforge.i18n import add_messages

__all__ = ["EN", "ZH"]

EN: dict[str, str] = {
    "rec.find.missing_ids": "{count} rows have no user or no item id ({rows}); they were left out.",
    "rec.find.missing_ids.fix": "fill the ids or drop those rows at the source.",
    "rec.find.negative": "column '{column}' has {count} negative or zero values ({rows}); "
                         "they were treated as returns/cancellations and left out.",
    "rec.find.negative.fix": "net returns against purchases at the source if they should count.",
    "rec.find.duplicates": "{count} rows repeat a user-item pair already seen; each pair counts "
                           "once ({how}).",
    "rec.find.duplicates.fix": "nothing to do unless repeats mean something else in your data.",
    "rec.find.single_users": "{count} users ({share}) have a single interaction; they get "
                             "popular items more than personal ones.",
    "rec.find.single_users.fix": "add more history (views, carts) if you have it.",
    "rec.find.single_items": "{count} items ({share}) were chosen only once; they are rarely "
                             "recommended.",
    "rec.find.single_items.fix": "give them attributes in --items-file so they can be found "
                                 "by similarity.",
    "rec.find.popular": "the top 1% of items ({count}) hold {share} of all interactions; "
                        "recommendations lean towards them.",
    "rec.find.popular.fix": "watch the report's popularity bias and coverage; use diversity "
                            "at request time.",
    "rec.find.explicit": "column '{column}' looks like explicit ratings ({low} to {high}); "
                         "ratings below {cut} count at half weight (a weaker signal, not a "
                         "dislike that pushes items away).",
    "rec.find.explicit.fix": "pass --relevant-min to also measure liked items only.",
    "rec.find.time_order": "{count} rows are out of time order within their user ({rows}); "
                           "they were sorted by time.",
    "rec.find.time_order.fix": "nothing to do; sort at the source to silence this.",
    "rec.report.title": "Recommendation model: {name}",
    "rec.report.summary": "Summary",
    "rec.report.metrics": "Held-out results",
    "rec.report.segments": "Heavy and light users",
    "rec.report.leaderboard": "Candidates (validation)",
    "rec.report.examples": "Example users",
    "rec.report.findings": "Findings on the data",
    "rec.report.data": "Data",
    "rec.report.notes": "Notes",
    "rec.report.headline": "Of the items each test user went on to choose, {recall} were in "
                           "the model's top {k} (popular items alone: {pop}).",
    "rec.report.coverage": "The recommendations use {coverage} of the catalogue; an average "
                           "recommended item is {bias}x as popular as an average item.",
    "rec.report.history": "history",
    "rec.report.recommended": "recommended (held-out hits in bold)",
    "rec.report.because": "because you liked {item}",
    "rec.report.popular": "popular with everyone",
    "rec.report.similar_to": "similar to {item}, which you liked",
    "rec.col.metric": "metric",
    "rec.col.value": "value",
    "rec.col.meaning": "meaning",
    "rec.col.users": "users",
    "rec.col.user": "user",
    "rec.col.count": "count",
    "rec.col.candidate": "candidate",
    "rec.col.fit_s": "fit s",
    "rec.col.in_blend": "in blend",
    "rec.col.severity": "severity",
    "rec.col.column": "column",
    "rec.col.finding": "finding",
    "rec.col.fix": "fix",
    "rec.segment.light": "light (<= {cut} items)",
    "rec.segment.heavy": "heavy (> {cut} items)",
    "rec.severity.info": "info",
    "rec.severity.warning": "warning",
    "rec.severity.error": "error",
    "rec.meaning.recall": "share of each user's held-out items found in the top k",
    "rec.meaning.ndcg": "like recall, but hits near the top count more (1 = perfect order)",
    "rec.meaning.map": "mean precision at each hit, rewarding early hits",
    "rec.meaning.hit": "share of users with at least one held-out item in the top k",
    "rec.meaning.precision": "share of the k items that the user went on to choose",
    "rec.meaning.coverage": "share of the catalogue that appears in some user's list",
    "rec.meaning.popularity_bias": "how popular a recommended item is vs an average item "
                                   "(1 = none)",
    "rec.data.rows": "rows read",
    "rec.data.pairs": "user-item pairs",
    "rec.data.users": "users",
    "rec.data.items": "items",
    "rec.data.test_pairs": "held-out pairs",
    "rec.data.validation_by_time": "validation by time",
}

ZH: dict[str, str] = {
    "rec.find.missing_ids": "{count} 行缺少用户或物品编号（{rows}），已跳过。",
    "rec.find.missing_ids.fix": "在源数据中补全编号或删除这些行。",
    "rec.find.negative": "列 '{column}' 有 {count} 个负数或零（{rows}），视为退货/取消，已跳过。",
    "rec.find.negative.fix": "如需计入，请在源数据中把退货与购买相抵。",
    "rec.find.duplicates": "{count} 行重复了已出现的用户-物品对，每对只计一次（{how}）。",
    "rec.find.duplicates.fix": "除非重复另有含义，无需处理。",
    "rec.find.single_users": "{count} 个用户（{share}）只有一次交互，推荐会更偏向热门物品。",
    "rec.find.single_users.fix": "如有浏览、加购等更多行为，请一并提供。",
    "rec.find.single_items": "{count} 个物品（{share}）只被选过一次，很少会被推荐。",
    "rec.find.single_items.fix": "在 --items-file 中提供属性，使它们可按相似度被找到。",
    "rec.find.popular": "最热门的 1% 物品（{count} 个）占全部交互的 {share}，推荐会偏向它们。",
    "rec.find.popular.fix": "关注报告中的流行度偏差和覆盖率；请求时可开启多样性。",
    "rec.find.explicit": "列 '{column}' 像是显式评分（{low} 到 {high}）；低于 {cut} 的评分按一半权重"
                         "计入（较弱信号，而非把物品推开的负反馈）。",
    "rec.find.explicit.fix": "可用 --relevant-min 另外只按喜欢的物品评估。",
    "rec.find.time_order": "{count} 行在各自用户内未按时间排序（{rows}），已按时间排序。",
    "rec.find.time_order.fix": "无需处理；在源数据中排序即可消除此提示。",
    "rec.report.title": "推荐模型：{name}",
    "rec.report.summary": "概要",
    "rec.report.metrics": "测试集表现",
    "rec.report.segments": "重度与轻度用户",
    "rec.report.leaderboard": "候选模型（验证集）",
    "rec.report.examples": "用户示例",
    "rec.report.findings": "数据发现",
    "rec.report.data": "数据",
    "rec.report.notes": "说明",
    "rec.report.headline": "每个测试用户后来选择的物品中，有 {recall} 出现在模型推荐的前 {k} 个里"
                           "（仅推热门物品：{pop}）。",
    "rec.report.coverage": "推荐覆盖了 {coverage} 的物品；被推荐物品的平均热度是普通物品的 {bias} 倍。",
    "rec.report.history": "历史",
    "rec.report.recommended": "推荐（粗体为测试集命中）",
    "rec.report.because": "因为你喜欢 {item}",
    "rec.report.popular": "大家都喜欢的热门物品",
    "rec.report.similar_to": "与你喜欢的 {item} 相似",
    "rec.col.metric": "指标",
    "rec.col.value": "数值",
    "rec.col.meaning": "含义",
    "rec.col.users": "用户",
    "rec.col.user": "用户",
    "rec.col.count": "人数",
    "rec.col.candidate": "候选模型",
    "rec.col.fit_s": "训练秒数",
    "rec.col.in_blend": "入选融合",
    "rec.col.severity": "级别",
    "rec.col.column": "列",
    "rec.col.finding": "发现",
    "rec.col.fix": "建议",
    "rec.segment.light": "轻度用户（不超过 {cut} 个物品）",
    "rec.segment.heavy": "重度用户（超过 {cut} 个物品）",
    "rec.severity.info": "提示",
    "rec.severity.warning": "警告",
    "rec.severity.error": "错误",
    "rec.meaning.recall": "每个用户留出的物品中出现在前 k 个推荐里的比例",
    "rec.meaning.ndcg": "类似召回率，但排在越前的命中分量越重（1 = 完美排序）",
    "rec.meaning.map": "每次命中处精确率的平均，越早命中越好",
    "rec.meaning.hit": "前 k 个推荐中至少命中一个留出物品的用户比例",
    "rec.meaning.precision": "k 个推荐中用户后来确实选择的比例",
    "rec.meaning.coverage": "出现在某个用户推荐列表中的物品占全部物品的比例",
    "rec.meaning.popularity_bias": "被推荐物品的热度相对于普通物品的倍数（1 = 无偏差）",
    "rec.data.rows": "读取行数",
    "rec.data.pairs": "用户-物品对",
    "rec.data.users": "用户数",
    "rec.data.items": "物品数",
    "rec.data.test_pairs": "留出的用户-物品对",
    "rec.data.validation_by_time": "按时间验证",
}

add_messages("en", EN)
add_messages("zh", ZH)
