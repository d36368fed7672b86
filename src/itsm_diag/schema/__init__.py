"""The JSON Schema of the JSON report, generated from the Report model.

``python -m itsm_diag.schema`` prints it (``-o FILE`` writes it to FILE); ``python -m
itsm_diag.schema --update`` rewrites the shipped ``report.schema.json`` (:func:`write`); a
test fails when the shipped file and the model disagree.
"""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path
from typing import Any

SCHEMA_FILE = "report.schema.json"


def generate() -> dict[str, Any]:
    from itsm_diag.report import SCHEMA_VERSION, Report

    schema = Report.model_json_schema(mode="serialization")
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["$id"] = f"https://itsm-diag.invalid/schema/report-v{SCHEMA_VERSION}.json"
    schema["title"] = "itsm-diag report"
    return schema


def text() -> str:
    return json.dumps(generate(), indent=2, sort_keys=True) + "\n"


def shipped() -> dict[str, Any]:
    data = (resources.files("itsm_diag.schema") / SCHEMA_FILE).read_text(encoding="utf-8")
    loaded: dict[str, Any] = json.loads(data)
    return loaded


def write() -> Path:
    """Rewrite the shipped schema file from the model (atomically); its path."""
    from itsm_diag.render import write_atomic

    path = Path(__file__).with_name(SCHEMA_FILE)
    write_atomic(path, text())
    return path
