"""Numbers sent as text to a decimal-comma model are read as in training."""

from __future__ import annotations

import pytest

from bizforge.serve.api.schemas import as_number


@pytest.mark.parametrize(("text", "value"), [("12,50", 12.5), ("1.500", 1500.0), ("1.234,5", 1234.5)])
def test_text_numbers_use_the_models_decimal_comma(text, value):
    assert as_number(text, ",") == value


def test_a_decimal_point_model_keeps_reading_points():
    assert as_number("1.500") == 1.5
