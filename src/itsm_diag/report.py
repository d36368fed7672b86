"""The Report: the one structured result every renderer arranges (JSON is its dump)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

SCHEMA_VERSION = 1
Status = Literal["triggered", "clear", "unknown"]
#: a band the score alone decides
Band = Literal["healthy", "gaps", "slowing", "crisis"]
#: a report's band: ``undetermined`` when its unknown signs could still move it
ReportBand = Literal["healthy", "gaps", "slowing", "crisis", "undetermined"]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Tool(_Model):
    name: str = "itsm-diag"
    version: str


class WindowOut(_Model):
    #: the first and the last instant the window includes (UTC, ISO 8601)
    start: str
    end: str
    weeks: float
    how_chosen: str
    #: the window's first and last calendar day in ``tz``: what ``--since``/``--until``
    #: take to reproduce it
    first_day: str = ""
    last_day: str = ""
    tz: str = "UTC"


class InputInfo(_Model):
    path: str
    tool: str
    table: str
    rows: int
    tickets: int
    confidence: float = 1.0
    detected_by: str = ""
    encoding: str | None = None
    delimiter: str | None = None
    date_formats: dict[str, str] = Field(default_factory=dict)
    column_map: dict[str, str] = Field(default_factory=dict)
    warnings: list[str] = Field(default_factory=list)


class TicketCounts(_Model):
    total: int
    by_kind: dict[str, int]
    in_window: int = 0


class MetricOut(_Model):
    label: str
    definition: str
    unit: str
    value: float | None
    numerator: float | None = None
    denominator: float | None = None
    sample_ids: list[str] = Field(default_factory=list)


class ConditionOut(_Model):
    metric: str
    op: str
    value: float
    text: str
    measured: float | None
    met: bool | None


class ThresholdOut(_Model):
    combine: str
    conditions: dict[str, ConditionOut]


class NoteOut(_Model):
    code: str
    text: str
    count: int | None = None
    sample_ids: list[str] = Field(default_factory=list)


class CostOut(_Model):
    basis: str
    text: str
    hours_per_month: float
    money_per_month: float | None = None


class ColumnOut(_Model):
    label: str
    unit: str = "text"
    values: dict[str, str] = Field(default_factory=dict)


class TableOut(_Model):
    title: str
    columns: dict[str, ColumnOut] = Field(default_factory=dict)
    rows: int = 0
    rows_total: int = 0
    complete: bool = True


class Evidence(_Model):
    summary: str
    scope: str
    window: WindowOut
    tables: dict[str, list[dict[str, Any]]] = Field(default_factory=dict)
    series: dict[str, list[dict[str, Any]]] = Field(default_factory=dict)
    about_tables: dict[str, TableOut] = Field(default_factory=dict)
    excluded: list[NoteOut] = Field(default_factory=list)
    notes: list[NoteOut] = Field(default_factory=list)
    costs: list[CostOut] = Field(default_factory=list)


class KeyFigure(_Model):
    metric: str
    label: str
    unit: str
    value: float | None


class Finding(_Model):
    """One sign or extra check, graded."""

    id: str
    number: int | None = None
    title: str
    question: str
    status: Status
    confidence: Literal["high", "medium", "low"]
    self_assessed: bool = False
    key_figure: KeyFigure
    metrics: dict[str, MetricOut]
    threshold: ThresholdOut
    evidence: Evidence
    hours_at_stake_per_month: float | None
    reason: str
    what_would_answer: str | None = None


class FixOut(_Model):
    rank: int
    sign: str
    id: str
    action: str
    horizon: Literal["quick", "structural"]
    hours_at_stake_per_month: float | None
    money_per_month: float | None = None
    why_here: str
    #: ranks of earlier fixes that address some of the same hours: never add them up
    shares_hours_with: list[int] = Field(default_factory=list)


class Kpis(_Model):
    time_to_resolve_hours: dict[str, int | float | None] = Field(default_factory=dict)
    first_assignment_resolution: float | None = None
    sla_adherence: float | None = None
    volume_by_category: dict[str, int] = Field(default_factory=dict)
    backlog_weekly: list[dict[str, Any]] = Field(default_factory=list)
    notes: list[str] = Field(default_factory=list)
    #: each KPI's name, by KPI key, as the rules word it (``kpi.<key>``): every renderer
    #: shows these, so a KPI is called the same in every format and a config can rename it
    labels: dict[str, str] = Field(default_factory=dict)
    #: how each KPI is computed (scope, numerator, denominator, window), by KPI key
    definitions: dict[str, str] = Field(default_factory=dict)
    #: the backlog as the backlog sign measured it (one number per concept): the robust
    #: trend's start and end levels, the shrink, and the tickets open at the window end
    backlog: dict[str, float | None] = Field(default_factory=dict)
    #: whether the export supports each KPI reliably (the reporting sign's verdict, by
    #: KPI key); a KPI marked False is shown with its caveat
    reliable: dict[str, bool] = Field(default_factory=dict)
    #: why a KPI is not reliable, by KPI key
    caveats: dict[str, str] = Field(default_factory=dict)
    targets: dict[str, float] = Field(default_factory=dict)


class Assumptions(_Model):
    handle_minutes: dict[str, float]
    hourly_rate: float | None
    currency: str
    overrides: dict[str, str] = Field(default_factory=dict)


class PeriodOut(_Model):
    """One calendar period of a ``--period`` run: its own window, diagnosed alone.

    A period the data covers only in part is ``partial``: it is diagnosed over the days
    the data covers and never given a band (``undetermined``), as a whole one would be."""

    label: str
    start: str
    end: str
    score: int
    band: ReportBand
    band_range: list[Band]
    triggered: list[str]
    unknown: int
    partial: bool = False
    #: the share of the period's days the data covers (1.0 for a whole period)
    coverage: float = 1.0


# ---- comparison with a baseline report (built by itsm_diag.compare) ---------------------

SignChangeKind = Literal["appeared", "cleared", "now_unknown", "now_measured", "unchanged"]
Direction = Literal["better", "worse", "same"]


class ReportRef(_Model):
    """Which report a comparison side is: enough to tell two runs apart."""

    as_of: str
    window_start: str
    window_end: str
    version: str
    score: int
    band: ReportBand


class SignChange(_Model):
    id: str
    number: int | None = None
    title: str
    old: Status | None
    new: Status | None
    change: SignChangeKind
    hours_old: float | None = None
    hours_new: float | None = None


class Delta(_Model):
    """A number then and now; ``direction`` says whether the move is good news."""

    name: str
    label: str
    unit: str
    old: float | None
    new: float | None
    delta: float | None
    direction: Direction | None = None


class Comparison(_Model):
    """What changed between a baseline report and a newer one (see itsm_diag.compare)."""

    baseline: ReportRef
    current: ReportRef
    score: Delta
    band_old: ReportBand
    band_new: ReportBand
    band_direction: Direction
    appeared: list[str]
    cleared: list[str]
    signs: list[SignChange]
    kpis: list[Delta]
    hours_at_stake: Delta
    #: the --fail-on-increase verdict: the score rose or a sign is newly triggered
    increased: bool
    notes: list[str] = Field(default_factory=list)


class Report(_Model):
    schema_version: int = SCHEMA_VERSION
    generated_by: Tool
    title: str = ""
    client: str = ""
    as_of: str
    window: WindowOut
    inputs: list[InputInfo]
    tickets: TicketCounts
    score: int
    #: stated only when the unknown signs cannot move it, else ``undetermined``
    band: ReportBand
    #: [band of score, band of score + unknown]: where the band lies in any case
    band_range: list[Band]
    band_text: str
    unknown: int
    score_max_if_unknown_apply: int
    self_assessed: int = 0
    signs: list[Finding]
    checks: list[Finding]
    kpis: Kpis
    fixes: list[FixOut]
    data_notes: list[str] = Field(default_factory=list)
    #: what the extract's shape showed before grading (``closure_selected``...), in numbers;
    #: the data notes word it
    extract_shape: dict[str, dict[str, Any]] = Field(default_factory=dict)
    assumptions: Assumptions
    redacted: bool = False
    #: ``--period``: one diagnosis per calendar period (absent from the JSON otherwise)
    periods: list[PeriodOut] | None = None
    #: ``--baseline``: what changed since the baseline report (absent otherwise)
    comparison: Comparison | None = None
