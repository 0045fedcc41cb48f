"""English and Chinese text of the model report and its charts.

Registered into :mod:`bizforge.i18n` on import under the ``eval.`` prefix, so
every report is translated through the same ``t(key, lang)``.
"""

from __future__ import annotations

from bizforge.i18n import add_messages

__all__ = ["EN", "ZH"]

EN: dict[str, str] = {
    # charts
    "eval.plot.roc": "ROC curve",
    "eval.plot.fpr": "False positive rate",
    "eval.plot.tpr": "True positive rate (recall)",
    "eval.plot.random": "Random guess",
    "eval.plot.model": "Model",
    "eval.plot.auc": "AUC {auc}",
    "eval.plot.pr": "Precision-recall curve",
    "eval.plot.precision": "Precision",
    "eval.plot.recall": "Recall",
    "eval.plot.base_rate": "Base rate {rate}",
    "eval.plot.calibration": "Calibration (reliability)",
    "eval.plot.mean_predicted": "Mean predicted probability",
    "eval.plot.observed": "Observed share of '{label}'",
    "eval.plot.perfect": "Perfectly calibrated",
    "eval.plot.cases": "cases",
    "eval.plot.gain": "Cumulative gain",
    "eval.plot.lift": "Lift",
    "eval.plot.population": "Share of cases, highest scores first",
    "eval.plot.captured": "Share of '{label}' found",
    "eval.plot.confusion": "Confusion matrix (threshold {threshold})",
    "eval.plot.confusion_multi": "Confusion matrix",
    "eval.plot.actual": "Actual",
    "eval.plot.predicted": "Predicted",
    "eval.plot.importance": "Feature importance",
    "eval.plot.importance_axis": "Mean |contribution|",
    "eval.plot.residuals": "Residuals vs predicted",
    "eval.plot.residual": "Residual (actual - predicted)",
    "eval.plot.pred_value": "Predicted value",
    "eval.plot.actual_value": "Actual value",
    "eval.plot.pred_actual": "Predicted vs actual",
    "eval.plot.ideal": "Perfect prediction",
    # report sections
    "eval.report.title": "Model report: {name}",
    "eval.report.summary": "Summary",
    "eval.report.metrics": "Performance on held-out data",
    "eval.report.threshold": "Decision threshold",
    "eval.report.leaderboard": "Models tried",
    "eval.report.charts": "Charts",
    "eval.report.importance": "What drives the predictions",
    "eval.report.reasons": "Example explanations",
    "eval.report.cleaning": "How the data was prepared",
    "eval.report.data": "Data",
    "eval.report.notes": "Notes",
    "eval.report.not_used": "candidate {name} not used — {reason}",
    "eval.report.ensemble_note": (
        "Explanations come from the candidate with the largest ensemble weight ({name})."
    ),
    # headline sentences
    "eval.headline.auc": (
        "Measured on {n} held-out rows the model never saw in training: ROC-AUC {auc} "
        "(0.5 = guessing, 1 = perfect)."
    ),
    "eval.headline.gain": (
        "Among the {top} of cases the model scores highest, it finds {captured} of all "
        "'{label}' cases: {lift} times as many as picking cases at random."
    ),
    "eval.headline.cost": (
        "At the business threshold {threshold}, the expected cost is {cost} per 1,000 cases, "
        "against {default_cost} at the default threshold 0.5 ({savings} saved per 1,000 cases)."
    ),
    "eval.headline.profit": (
        "At the business threshold {threshold}, the expected profit is {profit} per 1,000 "
        "cases, against {default_profit} at the default threshold 0.5."
    ),
    "eval.headline.f1": (
        "No costs were given, so the threshold {threshold} was chosen to maximise F1 "
        "({f1} against {default_f1} at 0.5). Give --cost-fp and --cost-fn to choose it by money."
    ),
    "eval.headline.flags": (
        "At this threshold the model flags {flagged} of cases; {precision} of the flagged "
        "cases really are '{label}', and it catches {recall} of them."
    ),
    "eval.headline.multiclass": (
        "On {n} held-out rows the model picks the right class for {accuracy} of cases "
        "(macro F1 {macro_f1})."
    ),
    "eval.headline.reject": (
        "Below a confidence of {threshold} it hands the message to a person: it answers "
        "{coverage} of the held-out messages itself, {accepted} of them correctly."
    ),
    "eval.headline.reject_oos": (
        "Of the messages that fit a known class it answers {in_scope} correctly; of those that "
        "fit none, it hands {recall} to a person."
    ),
    "eval.headline.regression": (
        "On {n} held-out rows the predictions are off by {mae} on average (RMSE {rmse}); "
        "the model explains {r2} of the variation in the target."
    ),
    # tables
    "eval.col.metric": "Metric",
    "eval.col.value": "Value",
    "eval.col.meaning": "What it means",
    "eval.col.candidate": "Candidate",
    "eval.col.score": "Validation score",
    "eval.col.fit_s": "Fit s",
    "eval.col.predict_s": "Predict s per 1,000 rows",
    "eval.col.weight": "Ensemble weight",
    "eval.col.chosen": "Chosen threshold",
    "eval.col.default": "Default 0.5",
    "eval.col.column": "Column",
    "eval.col.importance": "Importance",
    "eval.col.row": "Row",
    "eval.col.prediction": "Prediction",
    "eval.col.reasons": "Top reasons",
    "eval.row.threshold": "Threshold",
    "eval.row.flagged": "Cases flagged",
    "eval.row.tp": "Caught (true positives)",
    "eval.row.fp": "False alarms (false positives)",
    "eval.row.tn": "Correctly left alone (true negatives)",
    "eval.row.fn": "Missed (false negatives)",
    "eval.row.cost": "Expected cost per 1,000 cases",
    "eval.row.f1": "F1",
    "eval.threshold.basis": "Chosen on {n} validation rows (out-of-fold predictions).",
    "eval.threshold.basis_test": (
        "Chosen on validation rows; the counts above are measured on {n} held-out test rows."
    ),
    "eval.threshold.costs": "Costs: false alarm {fp}, missed case {fn}, benefit of a catch {tp}.",
    # metric names and plain meanings
    "eval.metric.roc_auc": "ROC-AUC",
    "eval.metric.pr_auc": "PR-AUC (average precision)",
    "eval.metric.accuracy": "Accuracy",
    "eval.metric.balanced_accuracy": "Balanced accuracy",
    "eval.metric.precision": "Precision",
    "eval.metric.recall": "Recall",
    "eval.metric.f1": "F1",
    "eval.metric.macro_f1": "Macro F1",
    "eval.metric.in_scope_accuracy": "In-scope accuracy",
    "eval.metric.oos_recall": "Out-of-scope recall",
    "eval.metric.coverage": "Answered share",
    "eval.metric.accepted_accuracy": "Accuracy of the answers given",
    "eval.metric.unseen_kind_recall_estimate": "New-kind hand-over (estimate)",
    "eval.metric.log_loss": "Log loss",
    "eval.metric.brier": "Brier score",
    "eval.metric.rmse": "RMSE",
    "eval.metric.mae": "MAE",
    "eval.metric.r2": "R²",
    "eval.mean.roc_auc": (
        "How well the model ranks positive cases above the others (0.5 = guessing)."
    ),
    "eval.mean.pr_auc": "Precision averaged over all recall levels; compare with the base rate.",
    "eval.mean.accuracy": "Share of cases predicted correctly.",
    "eval.mean.balanced_accuracy": (
        "Accuracy averaged over the classes, so a rare class counts equally."
    ),
    "eval.mean.precision": "Of the cases flagged, the share that really are positive.",
    "eval.mean.recall": "Of the real positive cases, the share the model flags.",
    "eval.mean.f1": "Balance of precision and recall (1 = perfect).",
    "eval.mean.macro_f1": "F1 averaged over the classes.",
    "eval.mean.in_scope_accuracy": (
        "Of the messages that fit a known class, the share answered with the right one "
        "(a message handed to a person counts as wrong)."
    ),
    "eval.mean.oos_recall": (
        "Of the messages that fit none of the classes, the share handed to a person."
    ),
    "eval.mean.coverage": "Share of messages the model answers itself; the rest go to a person.",
    "eval.mean.accepted_accuracy": "Of the answers the model gives itself, the share that are right.",
    "eval.mean.unseen_kind_recall_estimate": (
        "Estimated share of messages of a kind never seen in training that go to a person: "
        "each held-out message is scored as if its own class did not exist."
    ),
    "eval.mean.log_loss": "Penalty for confident wrong probabilities (lower is better).",
    "eval.mean.brier": "Mean squared error of the probabilities (lower is better).",
    "eval.mean.rmse": "Typical size of an error; large errors weigh more (lower is better).",
    "eval.mean.mae": "Average size of an error (lower is better).",
    "eval.mean.r2": "Share of the target's variation the model explains (1 = perfect).",
    # data summary labels
    "eval.data.target": "Target",
    "eval.data.task": "Task",
    "eval.data.problem": "Problem",
    "eval.data.metric": "Optimised metric",
    "eval.data.train_rows": "Training rows",
    "eval.data.test_rows": "Held-out test rows",
    "eval.data.columns": "Input columns",
    "eval.data.features": "Model features",
    "eval.data.positive": "Positive class",
    "eval.data.classes": "Classes",
    "eval.data.time_limit": "Time limit (s)",
    "eval.data.fit_seconds": "Training time (s)",
    "eval.data.source": "Source",
    "eval.data.dropped": "Dropped columns",
    # per class
    "eval.report.classes": "Per class",
    "eval.report.confusions": "Most frequent confusions",
    "eval.col.class": "Class",
    "eval.col.precision": "Precision",
    "eval.col.recall": "Recall",
    "eval.col.f1": "F1",
    "eval.col.support": "Test rows",
    "eval.col.true": "True class",
    "eval.col.predicted_as": "Predicted as",
    "eval.col.count": "Rows",
    # fine-tuned transformer
    "eval.plot.training": "Fine-tuning: training loss and validation accuracy",
    "eval.plot.examples_seen": "Training examples seen",
    "eval.plot.train_loss": "Training loss",
    "eval.plot.valid_accuracy": "Validation accuracy",
    "eval.report.training": "Fine-tuned transformer",
    "eval.training.backbone": "Pretrained model",
    "eval.training.examples": "Training examples seen",
    "eval.training.epochs": "Epochs",
    "eval.training.stopped_by": "Stopped by",
    "eval.training.best_valid": "Best validation accuracy",
    "eval.training.stop.epochs": "all planned epochs done",
    "eval.training.stop.budget": "the time budget (the best checkpoint was kept)",
    "eval.training.stop.early_stopping": "early stopping (no gain on validation rows)",
    "eval.training.runtime.torch": "PyTorch, eager (fp32)",
    "eval.training.runtime.onnx_fp32": "ONNX fp32",
    "eval.training.runtime.onnx_int8": "ONNX int8",
    "eval.col.runtime": "Runtime",
    "eval.col.valid_accuracy": "Validation accuracy",
    "eval.col.texts_per_s": "Texts per second",
    "eval.training.quantization": (
        "Served through {runtime}. On {rows} validation texts (batches of {batch}, threads: "
        "{threads}) int8 changes accuracy by {change} points against eager PyTorch and answers "
        "{speedup}x as many texts per second."
    ),
    "eval.training.no_check": (
        "Served through {runtime}; the time budget left no room to measure what quantisation "
        "costs."
    ),
}

ZH: dict[str, str] = {
    "eval.plot.roc": "ROC 曲线",
    "eval.plot.fpr": "误报率（假阳性率）",
    "eval.plot.tpr": "召回率（真阳性率）",
    "eval.plot.random": "随机猜测",
    "eval.plot.model": "模型",
    "eval.plot.auc": "AUC {auc}",
    "eval.plot.pr": "精确率-召回率曲线",
    "eval.plot.precision": "精确率",
    "eval.plot.recall": "召回率",
    "eval.plot.base_rate": "基准比例 {rate}",
    "eval.plot.calibration": "概率校准（可靠性图）",
    "eval.plot.mean_predicted": "平均预测概率",
    "eval.plot.observed": "实际为“{label}”的比例",
    "eval.plot.perfect": "完美校准",
    "eval.plot.cases": "样本数",
    "eval.plot.gain": "累积增益",
    "eval.plot.lift": "提升度",
    "eval.plot.population": "按得分从高到低覆盖的样本比例",
    "eval.plot.captured": "找到的“{label}”比例",
    "eval.plot.confusion": "混淆矩阵（阈值 {threshold}）",
    "eval.plot.confusion_multi": "混淆矩阵",
    "eval.plot.actual": "实际",
    "eval.plot.predicted": "预测",
    "eval.plot.importance": "特征重要性",
    "eval.plot.importance_axis": "平均 |贡献|",
    "eval.plot.residuals": "残差与预测值",
    "eval.plot.residual": "残差（实际 - 预测）",
    "eval.plot.pred_value": "预测值",
    "eval.plot.actual_value": "实际值",
    "eval.plot.pred_actual": "预测值与实际值",
    "eval.plot.ideal": "完美预测",
    "eval.report.title": "模型报告：{name}",
    "eval.report.summary": "结论摘要",
    "eval.report.metrics": "测试集表现",
    "eval.report.threshold": "判定阈值",
    "eval.report.leaderboard": "尝试过的模型",
    "eval.report.charts": "图表",
    "eval.report.importance": "影响预测的主要因素",
    "eval.report.reasons": "预测解释示例",
    "eval.report.cleaning": "数据是如何处理的",
    "eval.report.data": "数据概况",
    "eval.report.notes": "说明",
    "eval.report.not_used": "候选模型 {name} 未采用——{reason}",
    "eval.report.ensemble_note": "解释来自集成中权重最大的候选模型（{name}）。",
    "eval.headline.auc": (
        "在训练时从未见过的 {n} 行测试数据上：ROC-AUC 为 {auc}（0.5 相当于瞎猜，1 为完美）。"
    ),
    "eval.headline.gain": (
        "模型评分最高的 {top} 的样本中，包含了全部“{label}”样本的 {captured}，"
        "是随机挑选的 {lift} 倍。"
    ),
    "eval.headline.cost": (
        "按业务阈值 {threshold} 判定，每 1,000 个样本的预期成本为 {cost}，"
        "默认阈值 0.5 则为 {default_cost}（每 1,000 个样本节省 {savings}）。"
    ),
    "eval.headline.profit": (
        "按业务阈值 {threshold} 判定，每 1,000 个样本的预期收益为 {profit}，"
        "默认阈值 0.5 则为 {default_profit}。"
    ),
    "eval.headline.f1": (
        "未提供成本，因此选择使 F1 最高的阈值 {threshold}"
        "（F1 为 {f1}，阈值 0.5 时为 {default_f1}）。"
        "提供 --cost-fp 和 --cost-fn 即可按金额选择阈值。"
    ),
    "eval.headline.flags": (
        "在该阈值下模型标记了 {flagged} 的样本；被标记的样本中 {precision} 确实是“{label}”，"
        "全部“{label}”样本中有 {recall} 被找出。"
    ),
    "eval.headline.multiclass": (
        "在 {n} 行测试数据上，模型对 {accuracy} 的样本判断正确（宏平均 F1 为 {macro_f1}）。"
    ),
    "eval.headline.reject": (
        "置信度低于 {threshold} 时，消息转给人工：模型自行回答了 {coverage} 的测试消息，"
        "其中 {accepted} 回答正确。"
    ),
    "eval.headline.reject_oos": (
        "属于已知类别的消息中，{in_scope} 被正确回答；不属于任何类别的消息中，{recall} 被转给人工。"
    ),
    "eval.headline.regression": (
        "在 {n} 行测试数据上，预测值平均偏差 {mae}（RMSE 为 {rmse}）；模型解释了目标变化的 {r2}。"
    ),
    "eval.col.metric": "指标",
    "eval.col.value": "数值",
    "eval.col.meaning": "含义",
    "eval.col.candidate": "候选模型",
    "eval.col.score": "验证得分",
    "eval.col.fit_s": "训练秒数",
    "eval.col.predict_s": "每千行预测秒数",
    "eval.col.weight": "集成权重",
    "eval.col.chosen": "选定阈值",
    "eval.col.default": "默认阈值 0.5",
    "eval.col.column": "列",
    "eval.col.importance": "重要性",
    "eval.col.row": "行",
    "eval.col.prediction": "预测",
    "eval.col.reasons": "主要原因",
    "eval.row.threshold": "阈值",
    "eval.row.flagged": "被标记的样本",
    "eval.row.tp": "正确找出（真阳性）",
    "eval.row.fp": "误报（假阳性）",
    "eval.row.tn": "正确放过（真阴性）",
    "eval.row.fn": "漏报（假阴性）",
    "eval.row.cost": "每 1,000 个样本的预期成本",
    "eval.row.f1": "F1",
    "eval.threshold.basis": "依据 {n} 行验证数据（交叉验证的样本外预测）选定。",
    "eval.threshold.basis_test": "阈值依据验证数据选定；上表的计数来自 {n} 行测试数据。",
    "eval.threshold.costs": "成本：误报一次 {fp}，漏报一次 {fn}，正确找出一次的收益 {tp}。",
    "eval.metric.roc_auc": "ROC-AUC",
    "eval.metric.pr_auc": "PR-AUC（平均精确率）",
    "eval.metric.accuracy": "准确率",
    "eval.metric.balanced_accuracy": "平衡准确率",
    "eval.metric.precision": "精确率",
    "eval.metric.recall": "召回率",
    "eval.metric.f1": "F1",
    "eval.metric.macro_f1": "宏平均 F1",
    "eval.metric.in_scope_accuracy": "范围内准确率",
    "eval.metric.oos_recall": "范围外识别率",
    "eval.metric.coverage": "自动回答比例",
    "eval.metric.accepted_accuracy": "已回答的准确率",
    "eval.metric.unseen_kind_recall_estimate": "新类型消息转人工率（估计）",
    "eval.metric.log_loss": "对数损失",
    "eval.metric.brier": "Brier 分数",
    "eval.metric.rmse": "均方根误差 RMSE",
    "eval.metric.mae": "平均绝对误差 MAE",
    "eval.metric.r2": "决定系数 R²",
    "eval.mean.roc_auc": "模型把正类样本排在其他样本前面的能力（0.5 相当于瞎猜）。",
    "eval.mean.pr_auc": "各召回率水平上的平均精确率；可与基准比例比较。",
    "eval.mean.accuracy": "预测正确的样本比例。",
    "eval.mean.balanced_accuracy": "各类别准确率的平均，稀有类别同样重要。",
    "eval.mean.precision": "被标记的样本中真正属于正类的比例。",
    "eval.mean.recall": "真正的正类样本中被模型找出的比例。",
    "eval.mean.f1": "精确率与召回率的平衡（1 为完美）。",
    "eval.mean.macro_f1": "各类别 F1 的平均。",
    "eval.mean.in_scope_accuracy": "属于已知类别的消息中被正确回答的比例（转人工的算作错误）。",
    "eval.mean.oos_recall": "不属于任何类别的消息中被转给人工的比例。",
    "eval.mean.coverage": "模型自行回答的消息比例，其余转给人工。",
    "eval.mean.accepted_accuracy": "模型自行回答的消息中回答正确的比例。",
    "eval.mean.unseen_kind_recall_estimate": (
        "估计训练中从未出现过的类型的消息被转给人工的比例：把每条测试消息当作其所属类别不存在来评分。"
    ),
    "eval.mean.log_loss": "对“自信却错误”的概率的惩罚（越低越好）。",
    "eval.mean.brier": "预测概率的均方误差（越低越好）。",
    "eval.mean.rmse": "误差的典型大小，大误差权重更高（越低越好）。",
    "eval.mean.mae": "误差的平均大小（越低越好）。",
    "eval.mean.r2": "模型解释的目标变化比例（1 为完美）。",
    "eval.data.target": "目标列",
    "eval.data.task": "任务",
    "eval.data.problem": "问题类型",
    "eval.data.metric": "优化指标",
    "eval.data.train_rows": "训练行数",
    "eval.data.test_rows": "测试行数",
    "eval.data.columns": "输入列数",
    "eval.data.features": "模型特征数",
    "eval.data.positive": "正类",
    "eval.data.classes": "类别",
    "eval.data.time_limit": "时间限制（秒）",
    "eval.data.fit_seconds": "训练用时（秒）",
    "eval.data.source": "数据来源",
    "eval.data.dropped": "删除的列",
    "eval.report.classes": "各类别表现",
    "eval.report.confusions": "最常见的混淆",
    "eval.col.class": "类别",
    "eval.col.precision": "精确率",
    "eval.col.recall": "召回率",
    "eval.col.f1": "F1",
    "eval.col.support": "测试行数",
    "eval.col.true": "真实类别",
    "eval.col.predicted_as": "被预测为",
    "eval.col.count": "行数",
    "eval.plot.training": "微调过程：训练损失与验证集准确率",
    "eval.plot.examples_seen": "已训练样本数",
    "eval.plot.train_loss": "训练损失",
    "eval.plot.valid_accuracy": "验证集准确率",
    "eval.report.training": "微调的 Transformer 模型",
    "eval.training.backbone": "预训练模型",
    "eval.training.examples": "已训练样本数",
    "eval.training.epochs": "训练轮数",
    "eval.training.stopped_by": "停止原因",
    "eval.training.best_valid": "最佳验证集准确率",
    "eval.training.stop.epochs": "完成了计划的全部轮数",
    "eval.training.stop.budget": "达到时间预算（保留了最佳检查点）",
    "eval.training.stop.early_stopping": "提前停止（验证集上不再提升）",
    "eval.training.runtime.torch": "PyTorch 动态图（fp32）",
    "eval.training.runtime.onnx_fp32": "ONNX fp32",
    "eval.training.runtime.onnx_int8": "ONNX int8",
    "eval.col.runtime": "运行方式",
    "eval.col.valid_accuracy": "验证集准确率",
    "eval.col.texts_per_s": "每秒处理文本数",
    "eval.training.quantization": (
        "部署时使用 {runtime}。在 {rows} 条验证文本上（每批 {batch} 条，线程数 {threads}），"
        "int8 量化使准确率相对 PyTorch 动态图变化 {change} 个百分点，每秒处理的文本数是其 {speedup} 倍。"
    ),
    "eval.training.no_check": "部署时使用 {runtime}；时间预算不足，未测量量化带来的准确率变化。",
}

add_messages("en", EN)
add_messages("zh", ZH)
