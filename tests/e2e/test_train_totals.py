"""`train` leaves total rows (合计/Total) out of training and testing, and says so."""

from __future__ import annotations

import numpy as np
import pandas as pd

from bizforge.pipeline import train


def test_total_row_is_left_out_of_training_and_noted(tmp_path):
    rng = np.random.default_rng(0)
    n = 120
    frame = pd.DataFrame(
        {
            "门店": [f"店{i:03d}" for i in range(n)],
            "面积": rng.integers(50, 500, n),
            "销售额": rng.normal(100, 10, n).round(2),
        }
    )
    total = {"门店": "合计", "面积": int(frame["面积"].sum()), "销售额": frame["销售额"].sum()}
    path = tmp_path / "门店.csv"
    pd.concat([frame, pd.DataFrame([total])]).to_csv(path, index=False)
    run = train(path, "销售额", time_limit=2.0, out=tmp_path / "model")
    assert run.metrics["rows"]["train"] + run.metrics["rows"]["test"] == n
    assert any("1 total row" in w for w in run.warnings)
