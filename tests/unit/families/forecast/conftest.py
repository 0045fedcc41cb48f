"""Small time-ordered tables built in code: weekly store sales and run-to-failure units."""

from __future__ import annotations

import pandas as pd
import pytest

from bizforge.families.forecast.samples import units_to_failure, weekly_sales


@pytest.fixture
def sales() -> pd.DataFrame:
    return weekly_sales()


@pytest.fixture
def histories() -> pd.DataFrame:
    return units_to_failure()
