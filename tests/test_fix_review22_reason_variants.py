"""Review rd22b, 4: a rule's reason variants are checked when the rules load.

The ownership check's reasons were the wrong way round (the default worded the rare case,
an audit log dating every aged ticket's time without an assignee; every list export
took the ``owner_now`` variant, whose ``unknown`` was a copy of the default's), and the
engine looked a module's variant code up mid-run (a misspelt one a KeyError in the
middle of a report). Now the default is the owner now, the ``dated`` variant words only
what differs (a reason it leaves out is the rule's own), and a rule file must word
exactly the variants its module may pick (:data:`itsm_diag.rulefiles.REASON_VARIANTS`).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from itsm_diag.checks import ownership
from itsm_diag.config import load_rule_file, load_rules, rules_dir
from itsm_diag.errors import ConfigError
from itsm_diag.rulefiles import REASON_VARIANTS

OWNERSHIP = rules_dir() / "checks" / "ownership.yaml"


def _copy(tmp_path: Path, old: str, new: str) -> Path:
    text = OWNERSHIP.read_text(encoding="utf-8")
    assert old in text
    path = tmp_path / "ownership.yaml"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return path


def test_a_misspelt_variant_fails_at_load(tmp_path: Path) -> None:
    # before: it loaded, and the first audit log run stopped on KeyError: 'dated'
    with pytest.raises(ConfigError, match=r"may word its reasons by 'dated', which is "
                                          r"not under 'reason_variants'"):
        load_rule_file(_copy(tmp_path, "\n  dated:\n", "\n  datd:\n"))


def test_a_variant_no_module_picks_fails_at_load(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"reason_variants names 'owner_now', which the "
                                          r"ownership module never picks"):
        load_rule_file(_copy(tmp_path, "\nreason_variants:\n",
                             "\nreason_variants:\n  owner_now: {clear: Fine.}\n"))


def test_ownership_reasons_default_to_the_owner_now() -> None:
    rule = load_rules().checks["ownership"]
    # the module's code is the declared one; every rule words exactly what its module picks
    assert ownership.DATED == "dated" and REASON_VARIANTS["ownership"] == ("dated",)
    for one in load_rules().all():
        assert set(one.reason_variants) == set(REASON_VARIANTS.get(one.id, ()))
    # before: the default was "Open tickets get an owner within a business day."
    assert rule.reason("clear").startswith(
        "Few tickets open for more than a business day have no assignee or no group now")
    assert rule.reason("clear", "dated") == "Open tickets get an owner within a business day."
    # the variant leaves the unknown reason out: it is the rule's own, not a copy
    assert rule.reason_variants["dated"].unknown is None
    assert rule.reason("unknown", "dated") == rule.reason("unknown") == \
        "The export cannot tell who owns the open tickets."
    with pytest.raises(KeyError, match="no reason variant 'owner_now'"):
        rule.reason("clear", "owner_now")
