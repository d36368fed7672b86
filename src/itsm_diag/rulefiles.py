"""Where the shipped rule files are, and which ones: light enough for start-up paths.

:mod:`itsm_diag.config` validates the rule files with pydantic models; this module only
names them, reads the sign and check titles for ``itsm-diag signs`` without loading the
models (pydantic's import alone is most of the start-up budget), and holds the one YAML
reader every rule, config, mapping and answers file goes through.
"""

from __future__ import annotations

import sys
from importlib import resources
from pathlib import Path
from typing import Any

from itsm_diag.errors import ConfigError

SIGN_IDS: tuple[str, ...] = (
    "backlog",
    "recurrence",
    "reporting",
    "trust",
    "changes",
    "onboarding",
    "strategy",
)
CHECK_IDS: tuple[str, ...] = (
    "ownership",
    "routing",
    "vague-tickets",
    "channels",
    "knowledge",
    "sla-by-priority",
    "reopens",
)
#: analyses (``rules/analyses/<id>.yaml``): where the work goes, what recurs, what to do
#: next; measured and worded like the signs, never graded or scored
ANALYSIS_IDS: tuple[str, ...] = (
    "flow",
    "text-clusters",
    "drivers",
    "actions",
    "forecast",
)


def rules_dir() -> Path:
    """The rules folder: inside an installed wheel, else the source checkout's ``rules/``."""
    packaged = resources.files("itsm_diag") / "_data" / "rules"
    if packaged.is_dir():
        return Path(str(packaged))
    return Path(__file__).resolve().parents[2] / "rules"


def yaml_text(text: str, source: Path | str) -> Any:
    """YAML text's data, read with the safe loaders only (the C one when built: several
    times faster, equally safe); every YAML the tool reads comes through here. Broken
    YAML is a :class:`~itsm_diag.errors.ConfigError` naming ``source`` and the line."""
    import yaml

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    try:
        return yaml.load(text, Loader=loader)  # nosec B506  # only the safe loaders
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise ConfigError(f"not valid YAML: {getattr(exc, 'problem', None) or exc}",
                          file=source, row=mark.line + 1 if mark is not None else None,
                          hint="fix the YAML syntax (indentation, quotes, colons)") from exc


def yaml_load(path: Path) -> Any:
    """:func:`yaml_text` of a UTF-8 file (OSError passes to the caller)."""
    return yaml_text(path.read_text(encoding="utf-8"), path)


def _title_fields(path: Path) -> dict[str, Any] | None:
    """``id``, ``number`` and ``title`` of one rule file, or None when it cannot say."""
    try:
        data = yaml_load(path)
    except (OSError, ConfigError):
        return None
    if not isinstance(data, dict) or not isinstance(data.get("id"), str) or not isinstance(
            data.get("title"), str):
        return None
    return data


def sign_line(number: object, rule_id: str, title: str) -> str:
    """One sign as ``itsm-diag signs`` lists it."""
    return f"{number}. {rule_id:<12} {title}"


def check_line(rule_id: str, title: str) -> str:
    """One extra check as ``itsm-diag signs`` lists it."""
    return f"   {rule_id:<16} {title}"


def listing(signs: list[str], checks: list[str]) -> str:
    """The whole ``itsm-diag signs`` output from its sign and check lines."""
    lines = [*signs]
    if checks:
        lines += ["", "Extra checks (not scored):", *checks]
    return "\n".join(lines)


def titles(directory: Path | None = None) -> tuple[list[str], list[str]] | None:
    """The lines ``itsm-diag signs`` prints for the signs and for the checks; None when a
    file is missing or malformed (the caller then loads the validated rules, which say
    what is wrong)."""
    base = directory or rules_dir()
    signs = []
    for sign_id in SIGN_IDS:
        data = _title_fields(base / f"{sign_id}.yaml")
        if data is None:
            return None
        signs.append(sign_line(data.get("number"), data["id"], data["title"]))
    checks = []
    for check_id in CHECK_IDS:
        path = base / "checks" / f"{check_id}.yaml"
        if not path.exists():
            continue
        data = _title_fields(path)
        if data is None:
            return None
        checks.append(check_line(data["id"], data["title"]))
    return signs, checks


def print_titles() -> bool:
    """Print the list ``itsm-diag signs`` shows; False (nothing printed) when the rule
    files need the full, validated load to explain a problem."""
    found = titles()
    if found is None:
        return False
    sys.stdout.write(listing(*found) + "\n")
    return True
