"""A rate in counts that rounds to zero says it is not zero.

Review 10 (the analyses), a lesser item: the forecast printed "Backlog change a week (its
trend): -0" beside a backlog that shrank, and "0" beside a projection growing 26, 27, 28.
"""

from __future__ import annotations

import pytest

from itsm_diag.text import figure


@pytest.mark.parametrize(("value", "shown"), [
    (-0.3, "-0.3"), (0.1, "0.1"), (0.04, "0.04"), (0.0004, "0"), (-0.0004, "0"),
    (0.0, "0"), (26.0, "26"), (0.6, "1"), (-54.375, "-54"), (1234.5, "1,234"),
])
def test_a_count_that_rounds_to_zero_shows_its_decimals(value: float, shown: str) -> None:
    assert figure(value, "count") == shown
