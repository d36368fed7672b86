"""Meta-tests: every rule has a module, cases and documentation; ids match the contract."""

from __future__ import annotations

import importlib
import inspect
import re
from pathlib import Path

import pytest
import yaml

from itsm_diag import config, engine

ROOT = Path(__file__).resolve().parents[1]
CASES = ROOT / "tests" / "cases"
RULES = config.load_rules()
ALL = [*RULES.signs.values(), *RULES.checks.values()]
IDS = [r.id for r in ALL]


def test_sign_ids_and_numbers_are_the_contract() -> None:
    assert list(RULES.signs) == list(config.SIGN_IDS)
    assert [r.number for r in RULES.signs.values()] == list(range(1, 8))
    assert list(RULES.checks) == list(config.CHECK_IDS), "every extra check has a rule file"
    assert all(r.kind == "check" and r.number is None for r in RULES.checks.values())


@pytest.mark.parametrize("rule", ALL, ids=IDS)
def test_rule_has_a_measuring_module(rule: config.RuleFile) -> None:
    module = importlib.import_module(engine.module_name(rule))
    assert callable(module.measure)
    assert list(inspect.signature(module.measure).parameters) == ["ctx", "params"]
    assert (module.__doc__ or "").strip(), "module docstring"


@pytest.mark.parametrize("rule", ALL, ids=IDS)
def test_rule_documentation_is_complete(rule: config.RuleFile) -> None:
    for field in ("title", "question", "what_it_checks", "why_it_matters", "scope",
                  "evidence_template"):
        assert str(getattr(rule, field)).strip(), field
    assert rule.data_needed
    assert rule.thresholds.conditions
    for doc in rule.metrics.values():
        assert doc.label.strip() and doc.definition.strip()
    if rule.kind == "sign":
        assert rule.fixes, "a sign brings its fixes"
        assert {f.horizon for f in rule.fixes} <= {"quick", "structural"}


@pytest.mark.parametrize("rule", ALL, ids=IDS)
def test_rule_has_cases_for_every_outcome(rule: config.RuleFile) -> None:
    path = CASES / f"{rule.id}.yaml"
    assert path.exists(), f"tests/cases/{rule.id}.yaml"
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert doc["rule"] == rule.id
    statuses = {c["expect"]["status"] for c in doc["cases"]}
    assert statuses == {"triggered", "clear", "unknown"}
    assert any(c.get("config") for c in doc["cases"]), "a threshold or param override case"


_CODE = re.compile(
    r"""(?:code=|note\(|too_few\(|Note\(code=|kept_noted\([^,()]+,\s*)["']([a-z_]+)["']""")


@pytest.mark.parametrize("rule", ALL, ids=IDS)
def test_every_literal_note_code_is_worded(rule: config.RuleFile) -> None:
    """Codes a module emits must be worded in its rule file (the engine refuses others)."""
    source = inspect.getsource(importlib.import_module(engine.module_name(rule)))
    codes = set(_CODE.findall(source))
    missing = codes - set(rule.messages)
    assert not missing, f"{rule.id}: no message for {sorted(missing)}"


def test_every_rule_file_on_disk_is_known() -> None:
    signs = {p.stem for p in (config.rules_dir()).glob("*.yaml")} - {"defaults"}
    checks = {p.stem for p in (config.rules_dir() / "checks").glob("*.yaml")}
    assert signs == set(config.SIGN_IDS)
    assert checks == set(config.CHECK_IDS)


#: the layers (README "Development"): importers -> model <- signs <- engine -> report <-
#: render <- cli. For each package, the itsm_diag modules it must never import
_FORBIDDEN = {
    "model": ("importers", "signs", "checks", "analyses", "engine", "render", "cli", "api"),
    "importers": ("signs", "checks", "analyses", "engine", "render", "cli", "api"),
    "signs": ("importers", "engine", "render", "cli", "api", "pull", "batch"),
    "checks": ("importers", "engine", "render", "cli", "api", "pull", "batch"),
    "analyses": ("importers", "engine", "render", "cli", "api", "pull", "batch"),
    "render": ("importers", "signs", "checks", "analyses", "engine", "cli", "api"),
}


@pytest.mark.parametrize("package", sorted(_FORBIDDEN))
def test_no_module_imports_across_its_layer(package: str) -> None:
    import ast

    src = Path(config.__file__).resolve().parent
    files = [src / "model.py"] if package == "model" else sorted(
        (src / package).rglob("*.py"))
    crossed = []
    for path in files:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = ([a.name for a in node.names] if isinstance(node, ast.Import) else
                     [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
            for name in names:
                parts = name.split(".")
                if parts[0] == "itsm_diag" and len(parts) > 1 and (
                        parts[1] in _FORBIDDEN[package]):
                    crossed.append(f"{path.relative_to(src)}:{node.lineno} {name}")
    assert crossed == []
