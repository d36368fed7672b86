"""The library entry points the CLI calls: load inputs, diagnose, inspect, demo data."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import pandas as pd

from itsm_diag import config
from itsm_diag import model as m
from itsm_diag.errors import UsageError
from itsm_diag.importers.base import ImportOptions, SourceInfo
from itsm_diag.report import InputInfo, Report


@dataclass(frozen=True)
class RunOptions:
    source: str | None = None
    mapping: Path | None = None
    date_format: str | None = None
    tz: str = "UTC"
    config_file: Path | None = None
    since: str | None = None
    until: str | None = None
    answers: Mapping[str, bool] | None = None


def demo_dir() -> Path:
    """The bundled demo sample: inside an installed wheel, else the checkout's samples/demo."""
    packaged = resources.files("itsm_diag") / "_data" / "demo"
    if packaged.is_dir():
        return Path(str(packaged))
    return Path(__file__).resolve().parents[2] / "samples" / "demo"


def load_rules(config_file: Path | None) -> config.Rules:
    rules = config.load_rules()
    if config_file is not None:
        rules = config.apply_overrides(
            rules, config.load_config_file(config_file), source=str(config_file)
        )
    return rules


def parse_when(text: str | None, option: str) -> pd.Timestamp | None:
    """``YYYY-MM-DD`` (or any ISO time) -> UTC timestamp; errors name the option."""
    if text is None:
        return None
    try:
        ts = pd.Timestamp(text)
    except ValueError as exc:
        raise UsageError(f"{option} {text!r} is not a date", hint="use YYYY-MM-DD") from exc
    return ts.tz_localize("UTC") if ts.tzinfo is None else ts.tz_convert("UTC")


def input_info(src: SourceInfo) -> InputInfo:
    return InputInfo(**vars(src))


def diagnose_paths(paths: Sequence[Path], options: RunOptions) -> Report:
    """Read ``paths`` and return the full diagnosis."""
    from itsm_diag.engine import Diagnosis, diagnose
    from itsm_diag.importers.registry import load_paths

    rules = load_rules(options.config_file)
    loaded = load_paths(paths, ImportOptions(date_format=options.date_format, tz=options.tz),
                        options.source, options.mapping)
    data = Diagnosis(
        tickets=loaded.tickets, events=loaded.events,
        inputs=[input_info(s) for s in loaded.sources], data_notes=loaded.notes,
    )
    return diagnose(
        data, rules, since=parse_when(options.since, "--since"),
        until=parse_when(options.until, "--until"), answers=options.answers,
    )


def inspect_paths(paths: Sequence[Path], options: RunOptions) -> dict[str, Any]:
    """What was detected and how well each canonical field is covered; nothing diagnosed."""
    from itsm_diag.importers.registry import load_paths

    loaded = load_paths(paths, ImportOptions(date_format=options.date_format, tz=options.tz),
                        options.source, options.mapping)
    t = loaded.tickets
    coverage = {
        col: round(float(t[col].notna().mean()), 4) if len(t) else 0.0
        for col in m.TICKET_COLUMNS
    }
    return {
        "inputs": [vars(s) for s in loaded.sources],
        "tickets": len(t),
        "events": len(loaded.events),
        "by_kind": {str(k): int(n) for k, n in t[m.KIND].value_counts().items() if n},
        "coverage": coverage,
        "notes": loaded.notes,
    }
