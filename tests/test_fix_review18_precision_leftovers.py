"""Review 18a #4, #5: what the one-precision change (1809874) left behind.

#4: the schema said a share within noise is shown with at least one decimal; it is not.
#5: the reason's measured figure takes the condition's decimals (ConditionOut.decimals,
set once by the engine) and nothing recomputes them; no unused ``least`` parameter, no
unused re-export, no refusal kind nothing reads.
"""

from __future__ import annotations

import inspect

import pandas as pd
import pytest

from itsm_diag import config, engine, text
from itsm_diag import model as m
from itsm_diag.errors import ModelError
from itsm_diag.render import common
from itsm_diag.report import ConditionOut
from itsm_diag.schema import shipped


def test_schema_says_decimals_as_the_engine_sets_them() -> None:
    schema = shipped()
    said = schema["$defs"]["ConditionOut"]["properties"]["decimals"]["description"]
    assert "as many as tell it from the threshold" in said
    assert "noise" not in said.split("alike:")[1]
    assert "within noise" not in ConditionOut.model_fields["decimals"].description


def test_reason_figure_takes_the_conditions_decimals() -> None:
    rule = config.load_rules().signs["backlog"]
    metric = next(c.metric for c in rule.thresholds.conditions.values()
                  if rule.metrics[c.metric].unit == "weeks")
    base = dict(metric=metric, op=">", value=0.5, measured=0.482, met=False,
                text="the backlog is larger than 0.5 weeks of arrivals")
    assert engine._measured_text(rule, ConditionOut(**base, decimals=1)).endswith(
        "(measured 0.48 weeks)")
    assert engine._shown(rule, {"c": ConditionOut(**base)})["c"].decimals == 1
    # the figure is said with what the condition carries: one precision, set once
    assert engine._measured_text(rule, ConditionOut(**base, decimals=2)).endswith(
        "(measured 0.482 weeks)")
    assert engine._measured_text(rule, ConditionOut(**base, decimals=0)).endswith(
        "(measured 0.5 weeks)")


def test_no_leftovers() -> None:
    assert list(inspect.signature(text.beside_decimals).parameters) == [
        "value", "other", "unit"]
    assert list(inspect.signature(text.figure_beside).parameters) == [
        "value", "other", "unit"]
    assert text.beside_decimals(0.4988, 0.5, "weeks") == 2
    assert text.beside_decimals(0.49999, 0.5, "weeks") == 3
    assert not hasattr(common, "figure_beside")
    with pytest.raises(ModelError) as raised:
        m.conform_tickets(pd.DataFrame({m.TICKET_ID: ["A"], "odd": [1]}))
    assert raised.value.problem is None and "odd" in str(raised.value)


def test_per_period_key_figure_takes_the_units_usual_digits(monkeypatch) -> None:
    """#8: a rate whose label names its period shows the unit's usual digits (the table
    :func:`text.SHOWN_DIGITS`) plus its decimals, as figure() does, not a written-in 1."""
    from types import SimpleNamespace

    from itsm_diag.report import KeyFigure
    k = KeyFigure(metric="x", label="Hours lost per quarter", unit="per_quarter",
                  value=1234.5678, decimals=1)
    f = SimpleNamespace(key_figure=k)
    assert common.key_value(f) == "1,234.57"  # type: ignore[arg-type]
    monkeypatch.setitem(text.SHOWN_DIGITS, "per_quarter", 0)
    assert common.key_value(f) == "1,234.6"  # type: ignore[arg-type]
