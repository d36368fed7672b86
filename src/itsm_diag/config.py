"""Rule files (``rules/*.yaml``), global defaults, and user overrides, all validated.

Every rule file is checked by :class:`RuleFile` (unknown keys are errors). A user config
(``--config FILE``, YAML or TOML; else ``itsm-diag.toml`` or ``pyproject.toml``'s
``[tool.itsm-diag]`` found in the working directory) may override any threshold value,
any param and any default; a key that does not exist is an error naming the key and the
valid ones, and a value whose type differs from the default's is an error too; so is a
number outside its range (:data:`RANGES` and the generic rules beside it), before
anything runs.
"""

from __future__ import annotations

import copy
import itertools
import math
import re
import string
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any, Literal, TypeVar

import yaml
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
)

from itsm_diag.errors import ConfigError

# the rule ids and the rules folder live in the light module that start-up paths use
from itsm_diag.rulefiles import ANALYSIS_IDS as ANALYSIS_IDS
from itsm_diag.rulefiles import CHECK_IDS as CHECK_IDS
from itsm_diag.rulefiles import REASON_VARIANTS, read_text, yaml_load
from itsm_diag.rulefiles import SIGN_IDS as SIGN_IDS
from itsm_diag.rulefiles import rules_dir as rules_dir
from itsm_diag.text import plurals, quote, with_params

#: the KPIs a target can be set for, and which way is good: the median time to resolve
#: should stay at most its target (hours), the two shares at least theirs (0-1)
KPI_TARGETS: dict[str, str] = {"time_to_resolve_hours": "at_most",
                               "first_assignment_resolution": "at_least",
                               "sla_adherence": "at_least"}


class _Strict(BaseModel):
    # folded YAML scalars end in a newline: no report string should; NaN and infinity
    # are no threshold or setting: NaN compares false with everything and would flip a
    # verdict without a word
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, allow_inf_nan=False)


#: the longest window (and as-of tail) a config may ask for: ten years of weeks
MAX_WINDOW_WEEKS = 520


def _iso_day(value: object) -> str:
    """A holiday as YYYY-MM-DD: YAML reads an unquoted one as a date already."""
    if isinstance(value, date):
        return value.isoformat()
    if not isinstance(value, str):
        raise ValueError(f"a day is YYYY-MM-DD, not {quote(value)}")
    date.fromisoformat(value)  # a ValueError names what is wrong
    return value


class Condition(_Strict):
    """``metric op value``; ``text`` words the threshold (``{value}`` is filled in)."""

    metric: str
    op: Literal["<", "<=", ">", ">="]
    value: float
    text: str


class Thresholds(_Strict):
    """How conditions combine: ``all`` must hold, or ``any`` one suffices.

    With ``all``, a condition whose metric is missing makes the result unknown; with
    ``any``, missing metrics are skipped, and all missing is unknown.
    """

    combine: Literal["all", "any"] = "all"
    conditions: dict[str, Condition]


class MetricDoc(_Strict):
    label: str
    definition: str
    unit: Literal["count", "ratio", "index", "points", "hours", "days", "per_quarter",
                  "per_month", "weeks", "text"]
    #: how the metric reads as a key figure when it is negative, by its size ("Backlog
    #: growth" for a negative shrink): no reader has to decode a minus sign
    label_if_negative: str = ""


#: how a table column's values read: the renderers format each unit for people, and the
#: JSON report states it so a program knows a ``ratio`` is a fraction (0.25 is 25%): a
#: share lies between 0 and 1, a change or a gap may be negative or above 1
ColumnUnit = Literal["count", "ratio", "hours", "days", "business_days", "minutes",
                     "per_month", "date", "timestamp", "text", "ids", "yes_no", "code"]


class ColumnDoc(_Strict):
    """One column of an evidence table, worded for people."""

    label: str
    unit: ColumnUnit = "text"
    #: words for the codes the column holds (``link`` -> ``explicit link``)
    values: dict[str, str] = Field(default_factory=dict)


class TableDoc(_Strict):
    """One evidence table (or series) of a rule: its title and its columns."""

    title: str
    columns: dict[str, ColumnDoc] = Field(default_factory=dict)


class Fix(_Strict):
    id: str
    action: str
    horizon: Literal["quick", "structural"]
    #: the cost bases (``costs`` keys) whose hours this fix addresses
    addresses: list[str] = Field(default_factory=list)
    #: threshold conditions of the rule: when any is given, the fix is planned only when
    #: one of them was met (a sign triggered by duplicates alone gets no advice on
    #: chasers); a sign whose conditions were not measured (a self-assessed answer) gets
    #: every fix
    when: list[str] = Field(default_factory=list)
    #: metrics of the rule: when any is given, the fix is planned only when one of them
    #: measured above zero (no advice on capability gaps where there is none)
    when_metrics: list[str] = Field(default_factory=list)
    #: planned only when the hours it addresses were measured: advice aimed at a list
    #: the export left empty (no automation candidates) is no advice
    needs_hours: bool = False
    detail: str = ""


class CostDoc(_Strict):
    """A ``costs`` entry written as a mapping: the cost line's template and what the basis
    counts, for ``explain`` (which tickets, their minutes, as ``{param_NAME}`` and
    ``{handle_minutes_KIND}`` placeholders filled with the values in force)."""

    template: str
    description: str


class Reasons(_Strict):
    triggered: str
    clear: str
    unknown: str


class ReasonVariant(_Strict):
    """Another wording of a rule's reasons (``reason_variants``): a reason it leaves out
    is the rule's own."""

    triggered: str | None = None
    clear: str | None = None
    unknown: str | None = None


class RuleFile(_Strict):
    """One sign or extra check: its documentation, tunables and wording."""

    id: str
    kind: Literal["sign", "check"]
    number: int | None = None
    title: str
    question: str
    what_it_checks: str
    why_it_matters: str
    scope: str
    data_needed: list[str]
    #: when the export holds enough evidence for a verdict (which fields or records, and
    #: how much of them); below it the rule is unknown, never clear
    presence: str
    example: str = ""
    params: dict[str, Any] = Field(default_factory=dict)
    thresholds: Thresholds
    key_figure: str
    metrics: dict[str, MetricDoc]
    evidence_template: str
    reasons: Reasons
    #: other wordings of the reasons, by a code the module names
    #: (:attr:`~itsm_diag.signs.base.Measurement.reasons`; the codes it may name are
    #: :data:`~itsm_diag.rulefiles.REASON_VARIANTS`): where what the figures measure
    #: depends on the export (the ownership check: the owner now, or, where the assignee
    #: history dates every aged ticket's time without one, that time). A reason a variant
    #: leaves out is the rule's own
    reason_variants: dict[str, ReasonVariant] = Field(default_factory=dict)
    messages: dict[str, str] = Field(default_factory=dict)
    #: cost basis -> the template of its cost line (a rule file may write an entry as a
    #: :class:`CostDoc` mapping; :func:`load_rule_file` splits it into this and
    #: ``cost_descriptions``)
    costs: dict[str, str] = Field(default_factory=dict)
    #: cost basis -> what it counts and the minutes it gives each (``explain``'s Hours at
    #: stake), from the ``description`` of a ``costs`` entry; never a rule file's own key
    cost_descriptions: dict[str, str] = Field(default_factory=dict)
    fixes: list[Fix] = Field(default_factory=list)
    #: the evidence tables and series the module returns, worded (title, column labels,
    #: units and code words): no report shows a dict key as a heading
    tables: dict[str, TableDoc] = Field(default_factory=dict)
    #: extract shapes (codes of ``itsm_diag.signs.shape``) that bias this rule's evidence:
    #: with one seen, the rule is unknown, worded by its message of the same code
    unknown_on_shape: list[Literal["closure_selected", "none_open", "open_only",
                                   "one_instant", "no_done_times", "updated_since",
                                   "every_nth"]] = Field(default_factory=list)

    def cost_params(self) -> dict[str, float]:
        """The params its hours rest on (the minutes and targets its cost descriptions
        name, ``{param_extra_minutes}``), with their numeric values."""
        names = {m.group(1) for text in self.cost_descriptions.values()
                 for m in re.finditer(r"\{param_(\w+)", text)}
        return {n: float(v) for n, v in self.params.items()
                if n in names and isinstance(v, int | float) and not isinstance(v, bool)}

    def reason(self, status: Literal["triggered", "clear", "unknown"],
               variant: str | None = None) -> str:
        """The reason worded for ``status``: the ``variant``'s (a code of
        ``reason_variants``) where it words one, else the rule's own."""
        if variant is None:
            return str(getattr(self.reasons, status))
        if variant not in self.reason_variants:
            raise KeyError(f"rule {self.id!r} has no reason variant {variant!r}")
        own: str | None = getattr(self.reason_variants[variant], status)
        return own if own is not None else str(getattr(self.reasons, status))

    def check_consistency(self, source: str) -> None:
        """Cross-field checks pydantic cannot express."""
        picked = REASON_VARIANTS.get(self.id, ())
        for code in picked:
            if code not in self.reason_variants:
                raise ConfigError(f"the {self.id} module may word its reasons by "
                                  f"{code!r}, which is not under 'reason_variants'",
                                  file=source)
        for code in self.reason_variants:
            if code not in picked:
                raise ConfigError(f"reason_variants names {code!r}, which the {self.id} "
                                  f"module never picks (it picks: "
                                  f"{', '.join(map(repr, picked)) or 'none'})",
                                  file=source)
        for code in self.unknown_on_shape:
            if code not in self.messages:
                raise ConfigError(f"unknown_on_shape names {code!r}, which has no message",
                                  file=source)
        for name, cond in self.thresholds.conditions.items():
            if cond.metric not in self.metrics:
                raise ConfigError(
                    f"threshold {name!r} compares metric {cond.metric!r}, which is not "
                    f"documented under 'metrics'",
                    file=source,
                )
        for basis in self.cost_descriptions:
            if basis not in self.costs:
                raise ConfigError(f"cost basis {basis!r} has a description but no template",
                                  file=source)
        if self.key_figure not in self.metrics:
            raise ConfigError(f"key_figure {self.key_figure!r} is not under 'metrics'", file=source)
        for fix in self.fixes:
            for basis in fix.addresses:
                if basis not in self.costs:
                    raise ConfigError(
                        f"fix {fix.id!r} addresses cost basis {basis!r}, not under 'costs'",
                        file=source,
                    )
            for name in fix.when:
                if name not in self.thresholds.conditions:
                    raise ConfigError(
                        f"fix {fix.id!r} is planned when condition {name!r} is met, which "
                        f"is not under 'thresholds'",
                        file=source,
                    )
            for name in fix.when_metrics:
                if name not in self.metrics:
                    raise ConfigError(
                        f"fix {fix.id!r} is planned when metric {name!r} is above zero, "
                        f"which is not under 'metrics'",
                        file=source,
                    )
            if fix.needs_hours and not fix.addresses:
                raise ConfigError(
                    f"fix {fix.id!r} needs hours but addresses no cost basis", file=source)


class AnalysisTableDoc(_Strict):
    """An analysis table: its name, how it is computed, and its columns' labels."""

    label: str
    definition: str
    #: column key -> label, in display order
    columns: dict[str, str]


class AnalysisReasons(_Strict):
    measured: str
    unknown: str


class AnalysisFile(_Strict):
    """One analysis (``rules/analyses/<id>.yaml``): measured and worded like a sign, but
    never graded: it shows where the work goes, what recurs or what to do next."""

    id: str
    kind: Literal["analysis"]
    title: str
    question: str
    what_it_shows: str
    why_it_matters: str
    scope: str
    data_needed: list[str]
    #: when the export holds enough evidence for the analysis; below it, it is unknown
    presence: str
    example: str = ""
    params: dict[str, Any] = Field(default_factory=dict)
    metrics: dict[str, MetricDoc] = Field(default_factory=dict)
    tables: dict[str, AnalysisTableDoc] = Field(default_factory=dict)
    reasons: AnalysisReasons
    messages: dict[str, str] = Field(default_factory=dict)
    #: other wording the analysis needs (driver sentences, outcome and attribute names)
    wording: dict[str, str] = Field(default_factory=dict)


class Defaults(_Strict):
    """Global defaults (``rules/defaults.yaml``)."""

    # strict: YAML's true is no window length or rate (pydantic would read it as 1), and
    # "13" is no number
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, allow_inf_nan=False,
                              strict=True)

    #: ten years at most: a longer window is no diagnosis of the process as it is
    window_weeks: int = Field(13, ge=1, le=MAX_WINDOW_WEEKS)
    #: a week is 'active' when its arrivals reach this share of the 90th-percentile week
    active_week_share: float = Field(0.1, ge=0, le=1)
    #: when the last active week is this many weeks before the data's end, as-of moves back
    #: (to the day of that week's latest timestamp)
    tail_weeks: int = Field(2, ge=0, le=MAX_WINDOW_WEEKS)
    #: how the extract's shape is read (see itsm_diag.signs.shape.measure_shape)
    shape: dict[str, Annotated[float, Field(ge=0, le=1_000_000)]] = Field(
        default_factory=lambda: {
            "min_tickets": 50, "silent_ratio": 0.05, "min_silent_weeks": 3,
            "min_silent_arrivals_share": 0.2, "min_done_share": 0.95})
    #: the share of the time to resolve's tickets measured to their closed time (where
    #: their tool records resolutions) from which the KPI panel says it leans high
    ttr_closed_share: float = Field(0.05, ge=0, le=1)
    #: the share of the incidents and requests done in the window raised by a machine
    #: (left out of the time to resolve, first-assignment resolution and SLA adherence)
    #: from which the KPI panel gives those figures with them too, in a caveat
    machine_made_share: float = Field(0.05, ge=0, le=1)
    #: the share of the calendar hours the time to resolve measures that its tickets
    #: spent waiting on the requester or a third party (where the export measures it),
    #: and of the open tickets that wait so, from which the KPI panel says it in a caveat
    waiting_share: float = Field(0.1, ge=0, le=1)
    #: the share of the backlog's open tickets waiting on the caller or a third party
    #: from which the KPI panel's backlog line says so in a caveat (its count is on the
    #: line whatever the share)
    waiting_open_share: float = Field(0.5, ge=0, le=1)
    #: words of an export's column names about holds (``hold_reason``): a column with one
    #: that no field is read from is named in the time to resolve's definition
    hold_column_words: list[Annotated[str, Field(min_length=1, max_length=60)]] = Field(
        default_factory=lambda: ["hold", "awaiting", "agent wait"])
    max_samples: int = Field(10, ge=0, le=1000)
    #: working days Monday..Sunday, 1 = working
    weekmask: str = Field("1111100", pattern=r"^[01]{7}$")
    #: days off as YYYY-MM-DD
    holidays: list[Annotated[str, BeforeValidator(_iso_day)]] = Field(default_factory=list)
    handle_minutes: dict[str, Annotated[float, Field(ge=0, le=100_000)]] = Field(
        default_factory=dict)
    #: a kind's handle time is its median logged time over the window's done tickets of
    #: the kind when at least this share of them log time (and at least
    #: ``logged_time_min_tickets``), else its ``handle_minutes``
    logged_time_share: float = Field(0.5, ge=0, le=1)
    logged_time_min_tickets: int = Field(10, ge=1, le=1_000_000)
    hourly_rate: float | None = Field(None, ge=0, le=1_000_000)
    currency: str = Field("EUR", max_length=12)
    catch_all_categories: list[str] = Field(default_factory=list)
    vague_summaries: list[str] = Field(default_factory=list)
    vague_filler_words: list[str] = Field(default_factory=list)
    #: structural fixes pay back in 60-90 days: their hours count this much in the ranking
    structural_weight: float = Field(0.5, ge=0, le=1)
    #: targets a client sets for the KPI panel, by KPI key (``sla_adherence: 0.9``); none
    #: ship: a target is the client's, not a benchmark the tool could defend for everyone
    kpi_targets: dict[str, float] = Field(default_factory=dict)
    #: the two-sided level of the sampling interval a verdict's deciding share is graded
    #: against: a threshold inside it leaves the verdict within noise (low confidence)
    noise_level: float = Field(0.9, gt=0, lt=1)

    @field_validator("weekmask")
    @classmethod
    def _a_working_day(cls, value: str) -> str:
        if "1" not in value:
            raise ValueError("no day is a working day: at least one of the seven (Monday "
                             "first) must be 1")
        return value

    @field_validator("kpi_targets")
    @classmethod
    def _known_kpis(cls, value: dict[str, float]) -> dict[str, float]:
        unknown = sorted(set(value) - set(KPI_TARGETS))
        if unknown:
            raise ValueError(f"no target can be set for {', '.join(unknown)}; the KPIs "
                             f"that take one: {', '.join(KPI_TARGETS)}")
        return value
    #: the band sentences, keyed healthy / gaps / slowing / crisis
    bands: dict[str, str] = Field(default_factory=dict)
    #: report wording that belongs to no single rule (fix-plan reasons, self-assessment)
    wording: dict[str, str] = Field(default_factory=dict)


class Rules(BaseModel):
    """The effective rule set: defaults plus every sign and check, after overrides."""

    defaults: Defaults
    signs: dict[str, RuleFile]
    checks: dict[str, RuleFile]
    #: the analyses (flow, text clusters, drivers, action list, forecast), by id
    analyses: dict[str, AnalysisFile] = Field(default_factory=dict)
    #: where each overridden value came from: dotted key -> source
    overrides: dict[str, str] = Field(default_factory=dict)
    #: of a ``defaults`` mapping a config set in part (``shape``, ``handle_minutes``,
    #: ``kpi_targets``), each key it set: ``defaults.shape.min_tickets`` -> source
    #: (``overrides`` names the whole mapping, as reports and compare read it)
    nested_overrides: dict[str, str] = Field(default_factory=dict)

    def all(self) -> list[RuleFile]:
        return [*self.signs.values(), *self.checks.values()]

    def get(self, rule_id: str) -> RuleFile:
        if rule_id in self.signs:
            return self.signs[rule_id]
        if rule_id in self.checks:
            return self.checks[rule_id]
        valid = ", ".join([*self.signs, *self.checks, *self.analyses])
        raise ConfigError(f"no sign or check named {rule_id!r}", hint=f"valid ids: {valid}")


def _read_yaml(path: Path) -> Any:
    try:
        return yaml_load(path)
    except OSError as exc:
        raise ConfigError(f"cannot read: {exc.strerror}", file=path) from exc


#: pydantic's words for a value of the wrong type, said for a config's reader
_TYPE_WORDS = {"int_type": "must be a whole number", "float_type": "must be a number",
               "bool_type": "must be true or false", "string_type": "must be text",
               "list_type": "must be a list", "dict_type": "must be a mapping"}


def _pydantic_error(exc: ValidationError, path: str | Path, prefix: str = "") -> ConfigError:
    err = exc.errors()[0]
    loc = prefix + ".".join(str(p) for p in err["loc"])
    # pydantic prefixes a validator's own message with "Value error, ": say it plainly
    said = _TYPE_WORDS.get(err["type"], str(err["msg"]).removeprefix("Value error, "))
    msg = (f"unknown key {loc!r}" if err["type"] == "extra_forbidden" else
           f"{loc}: {said} (got {quote(err.get('input'))})")
    return ConfigError(msg, file=path)


def _cost_entries(data: Any, path: Path) -> Any:
    """A rule file's data with each ``costs`` entry written as a mapping (``template``
    and ``description``, nothing else) split into ``costs`` and ``cost_descriptions``; a
    plain string entry is a template alone. ``cost_descriptions`` is no key of the file."""
    if not isinstance(data, dict):
        return data
    if "cost_descriptions" in data:
        raise ConfigError("unknown key 'cost_descriptions'", file=path,
                          hint="give a cost basis's description in its costs entry, "
                               "beside its template")
    costs = data.get("costs")
    if not isinstance(costs, dict):
        return data
    templates: dict[Any, Any] = {}
    described: dict[Any, Any] = {}
    for basis, entry in costs.items():
        if not isinstance(entry, dict):
            templates[basis] = entry
            continue
        try:
            doc = CostDoc.model_validate(entry)
        except ValidationError as exc:
            raise _pydantic_error(exc, path, prefix=f"costs.{basis}.") from exc
        templates[basis], described[basis] = doc.template, doc.description
    return {**data, "costs": templates, "cost_descriptions": described}


def load_rule_file(path: Path) -> RuleFile:
    data = _cost_entries(_read_yaml(path), path)
    try:
        rule = RuleFile.model_validate(data)
    except ValidationError as exc:
        raise _pydantic_error(exc, path) from exc
    rule.check_consistency(str(path))
    return rule


def load_analysis_file(path: Path) -> AnalysisFile:
    data = _read_yaml(path)
    try:
        return AnalysisFile.model_validate(data)
    except ValidationError as exc:
        raise _pydantic_error(exc, path) from exc


@lru_cache(maxsize=4)
def _load_base(directory: str) -> Rules:
    base = Path(directory)
    defaults_path = base / "defaults.yaml"
    try:
        defaults = Defaults.model_validate(_read_yaml(defaults_path) or {})
    except ValidationError as exc:
        raise _pydantic_error(exc, defaults_path) from exc
    signs: dict[str, RuleFile] = {}
    for sign_id in SIGN_IDS:
        signs[sign_id] = load_rule_file(base / f"{sign_id}.yaml")
    checks: dict[str, RuleFile] = {}
    for check_id in CHECK_IDS:
        path = base / "checks" / f"{check_id}.yaml"
        if path.exists():
            checks[check_id] = load_rule_file(path)
    analyses: dict[str, AnalysisFile] = {}
    for analysis_id in ANALYSIS_IDS:
        path = base / "analyses" / f"{analysis_id}.yaml"
        if path.exists():
            analyses[analysis_id] = load_analysis_file(path)
    return Rules(defaults=defaults, signs=signs, checks=checks, analyses=analyses)


def _filled(node: Any, params: Mapping[str, Any]) -> Any:
    if isinstance(node, str):
        text = with_params(node, params)
        # a filled count takes its noun's number ("1 business day", not "day(s)")
        return plurals(text) if text != node else text
    if isinstance(node, dict):
        return {k: v if k == "params" else _filled(v, params) for k, v in node.items()}
    if isinstance(node, list):
        return [_filled(v, params) for v in node]
    return node


_R = TypeVar("_R", "RuleFile", "AnalysisFile")


def worded(rule: _R) -> _R:
    """``rule`` with every ``{param_NAME}`` of its wording (labels, definitions, threshold
    texts, table code words, messages, phrases) filled from its params: words follow the
    params a config file set ("reassigned 5 or more times"). Called where a rule is
    turned into a report or a page, after any override (0.6 ms for all 19 rule files)."""
    return type(rule).model_validate(_filled(rule.model_dump(), rule.params))


def load_rules(directory: Path | None = None) -> Rules:
    """The shipped rules (a fresh copy each call, safe to override)."""
    return _load_base(str(directory or rules_dir())).model_copy(deep=True)


def load_rules_with(*configs: Path | None) -> Rules:
    """The shipped rules with each of ``configs`` (YAML, TOML or a pyproject.toml) applied
    in order (a batch client's config over the batch's); None entries are skipped."""
    rules = load_rules()
    for path in configs:
        if path is not None:
            rules = apply_overrides(rules, load_config_file(path), source=config_source(path))
    return rules


# ---- user overrides ---------------------------------------------------------------------

def _same_type(default: Any, value: Any) -> bool:
    if isinstance(default, bool) or isinstance(value, bool):
        return isinstance(default, bool) and isinstance(value, bool)
    if isinstance(default, int | float) and default is not None:
        return isinstance(value, int | float)
    if default is None:
        return True
    return isinstance(value, type(default))


def _finite(value: Any) -> bool:
    """No NaN or infinity anywhere in a param value (lists and mappings included)."""
    if isinstance(value, float):
        return math.isfinite(value)
    if isinstance(value, list | tuple):
        return all(_finite(v) for v in value)
    if isinstance(value, Mapping):
        return all(_finite(v) for v in value.values())
    return True


def _unknown(key: str, valid: Any, source: str) -> ConfigError:
    import difflib

    names = ", ".join(sorted(valid)) or "(none)"
    # a long list (the wording's 49 keys) is cut to one line: the likely key comes first
    near = difflib.get_close_matches(key.rsplit(".", 1)[-1], [str(v) for v in valid], n=1)
    said = f"did you mean {near[0]}? " if near else ""
    return ConfigError(f"unknown key {quote(key)}", file=source,
                       hint=f"{said}valid keys here: {names}")


def apply_overrides(rules: Rules, overrides: Mapping[str, Any], source: str) -> Rules:
    """Apply a user config mapping to ``rules`` (returns a new object).

    Shape::

        defaults: {window_weeks: 26, hourly_rate: 60}
        signs:
          backlog:
            thresholds: {min_shrink: 0.10}     # condition name -> value
            params: {mass_closure_min: 500}
        checks:
          routing: {thresholds: {...}, params: {...}}
        analyses:
          flow: {params: {idle_business_days: 3}}
    """
    out = rules.model_copy(deep=True)
    if not isinstance(overrides, Mapping):
        raise ConfigError("a config file must be a mapping of keys", file=source)
    for top, body in overrides.items():
        if top == "defaults":
            _override_defaults(out, body, source)
        elif top == "analyses":
            if not isinstance(body, Mapping):
                raise ConfigError("'analyses' must be a mapping of ids", file=source)
            for analysis_id, analysis_body in body.items():
                if analysis_id not in out.analyses:
                    raise _unknown(f"analyses.{analysis_id}", out.analyses, source)
                _override_analysis(out, out.analyses[analysis_id], analysis_body, source)
        elif top in ("signs", "checks"):
            if not isinstance(body, Mapping):
                raise ConfigError(f"{top!r} must be a mapping of ids", file=source)
            table = out.signs if top == "signs" else out.checks
            for rule_id, rule_body in body.items():
                if rule_id not in table:
                    raise _unknown(f"{top}.{rule_id}", table, source)
                _override_rule(out, top, table[rule_id], rule_body, source)
        else:
            raise _unknown(str(top), ("defaults", "signs", "checks", "analyses"), source)
    _follow_signs(out)
    return out


#: an analysis param that counts what a sign or check counts, by the key it follows: a
#: config that sets the sign's or check's value sets the analysis's too, unless some
#: config sets the analysis's own (one check, one bar: the drivers and the action list
#: shown beside routing's "reassigned 5 or more times" say 5 as well)
FOLLOWS: dict[str, str] = {
    "analyses.drivers.params.min_reassignments": "checks.routing.params.min_reassignments",
    "analyses.actions.params.min_reassignments": "checks.routing.params.min_reassignments",
    **{f"analyses.text-clusters.params.{name}": f"signs.recurrence.params.{name}"
       for name in ("cluster_size", "span_days", "templates", "template_min_share",
                    "template_min_incidents", "template_min_spread",
                    "template_min_categories", "template_min_names",
                    "links_exported_by")},
}

#: the source of a value that follows another: ``{source}`` set ``{key}``
FOLLOWING = "{source}, following {key}"


def _follow_signs(out: Rules) -> None:
    """Give each param of :data:`FOLLOWS` the value of the key it follows, where a config
    set that key and none set the param itself (its source then names both). Run after
    each config, so a client's config over a batch's moves a followed value again and
    never one a config set."""
    for key, leader in FOLLOWS.items():
        source = out.overrides.get(leader)
        own = out.overrides.get(key)
        followed = own is not None and own.endswith(FOLLOWING.format(source="", key=leader))
        if source is None or (own is not None and not followed):
            continue
        top, rule_id, _, name = leader.split(".")
        rule = (out.signs if top == "signs" else out.checks)[rule_id]
        analysis = out.analyses.get(key.split(".")[1])
        if analysis is None:
            continue
        analysis.params[name] = copy.deepcopy(rule.params[name])
        out.overrides[key] = FOLLOWING.format(source=source, key=leader)


#: the ``defaults`` mappings whose keys are fixed: the shipped file names every one (the
#: handle minutes: every ticket kind), so any other key is a misspelling that would be
#: taken silently (``kpi_targets`` checks its own keys)
_CLOSED_DEFAULTS = ("shape", "handle_minutes", "bands", "wording")
#: the ``defaults`` mappings ``itsm-diag config`` lists key by key, each with its source
#: and range (the wording and the bands are texts, listed whole)
_LISTED_BY_KEY = ("shape", "handle_minutes", "kpi_targets")


def _override_defaults(out: Rules, body: Any, source: str) -> None:
    if not isinstance(body, Mapping):
        raise ConfigError("'defaults' must be a mapping", file=source)
    current = out.defaults.model_dump()
    for key, value in body.items():
        if key not in current:
            raise _unknown(f"defaults.{key}", current, source)
        if key in _CLOSED_DEFAULTS and isinstance(value, Mapping):
            valid = _kinds() if key == "handle_minutes" else current[key]
            for sub in value:
                if sub not in valid:
                    raise _unknown(f"defaults.{key}.{sub}", valid, source)
            if key == "wording":
                for sub, text in value.items():
                    _check_wording(sub, text, current[key][sub], source)
        if isinstance(current[key], dict) and isinstance(value, Mapping):
            merged = {**current[key], **value}
            current[key] = merged
            if key in _LISTED_BY_KEY:
                out.nested_overrides.update({f"defaults.{key}.{sub}": source for sub in value})
        else:
            current[key] = value
        out.overrides[f"defaults.{key}"] = source
    try:
        out.defaults = Defaults.model_validate(current)
    except ValidationError as exc:
        raise _pydantic_error(exc, source, "defaults.") from exc
    # the model checks types, finiteness and its own bounds (its message names the bound);
    # the ranges it cannot say (a share inside ``shape``, a KPI target) are checked here
    for key, value in body.items():
        if isinstance(value, Mapping):
            for sub, item in value.items():
                _check_default(f"defaults.{key}.{sub}", item, source)
        else:
            _check_default(f"defaults.{key}", value, source)


def _check_default(dotted: str, value: Any, source: str) -> None:
    """A number a config sets under ``defaults`` lies in its range (a value of another
    type is left to the model, which names the type it takes)."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        check_range(dotted, value, default_range(dotted), source)


def _kinds() -> tuple[str, ...]:
    from itsm_diag.model import KINDS  # not at the top: the model module loads pandas

    return KINDS


#: a format spec a wording placeholder may carry: fill and align, sign, ``,`` or ``_``
#: grouping, a width and a precision of two digits at most, a type (``,.0f``, ``.1%``,
#: ``>12``); a width of a billion characters is no wording
_WORDING_SPEC = re.compile(r"(?:[^{}]?[<>=^])?[-+ ]?#?0?\d{0,2}[,_]?(?:\.\d{1,2})?"
                           r"[bcdeEfFgGnosxX%]?|hours")  # hours: text.hours_figure


def _placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def _check_wording(key: str, text: Any, current: str, source: str) -> None:
    """A config's wording ``key`` takes only the placeholders the shipped text fills (its
    values go into ``str.format``): plain names, no ``{0}``, no attribute or index access
    (``{score.__class__}`` would print Python internals), no ``!r`` conversion, a bounded
    format spec. Refused with one line naming the key. (``current`` is the text before
    this file: a batch client's config may use what the batch's config left out.)"""
    if not isinstance(text, str):
        return  # the model refuses a value that is no text, naming the key
    dotted = f"defaults.wording.{key}"
    shipped = _load_base(str(rules_dir())).defaults.wording.get(key, "")
    takes = _placeholders(shipped) | _placeholders(current)
    listed = ", ".join(f"{{{n}}}" for n in sorted(takes)) or "none"
    hint = f"the placeholders it takes: {listed}; write a literal brace as {{{{ or }}}}"
    try:
        fields = [(name, spec, conv) for _, name, spec, conv in
                  string.Formatter().parse(text) if name is not None]
    except ValueError as exc:
        raise ConfigError(f"{dotted}: not a valid text template ({exc})", file=source,
                          hint=hint) from exc
    for name, spec, conv in fields:
        shown_field = quote("{" + name + (f"!{conv}" if conv else "") +
                            (f":{spec}" if spec else "") + "}")
        if name not in takes:
            raise ConfigError(f"{dotted}: placeholder {shown_field} is not one this text "
                              "takes", file=source, hint=hint)
        if conv is not None:
            raise ConfigError(f"{dotted}: placeholder {shown_field} converts its value "
                              f"(!{conv}), which wording cannot", file=source,
                              hint=f"write {{{name}}} or {{{name}:spec}}")
        if not _WORDING_SPEC.fullmatch(spec or ""):
            raise ConfigError(f"{dotted}: placeholder {shown_field} has a format spec "
                              "this text cannot take", file=source,
                              hint="use a spec such as ,.0f or .1% (a width of 99 at most)")


#: the priorities a ticket can have (1 = highest)
PRIORITIES = (1, 2, 3, 4, 5)


def _vocabulary(key: str) -> tuple[Any, ...] | None:
    """The canonical values a param named ``key`` lists (``kinds``: ticket kinds), or
    None for a param that names no vocabulary. Words and phrases are free text."""
    from itsm_diag import model  # not at the top: the model module loads pandas

    return {"kinds": model.KINDS, "official_channels": model.CHANNELS,
            "neutral_channels": model.CHANNELS, "machine_channels": model.CHANNELS,
            "failed_outcomes": model.CHANGE_OUTCOMES,
            "unmatched_bucket": model.BUCKETS, "high_priorities": PRIORITIES,
            "target_hours": PRIORITIES}.get(key)


#: the shape ``opposed_words`` takes, as a refusal says it
OPPOSITIONS_SHAPE = ('a list of oppositions, each a list of two or more lists of words, '
                     'such as [[["on"], ["off"]], [[up], [down]]]')


def _check_oppositions(dotted: str, value: Any, source: str) -> None:
    """``opposed_words`` is a list of oppositions, each a list of two or more lists of
    words: written flat (``[["on", "off"]]``) its word sets would be the letters, and an
    opposition of one set opposes nothing; either did nothing without a word."""
    fine = isinstance(value, list) and all(
        isinstance(sets, list) and len(sets) >= 2 and all(
            isinstance(words, list) and words
            and all(isinstance(w, str) and w.strip() for w in words) for words in sets)
        for sets in value)
    if not fine:
        raise ConfigError(f"{dotted} must be {OPPOSITIONS_SHAPE}, not {quote(value)}",
                          file=source)


def _check_vocabulary(dotted: str, key: str, value: Any, source: str) -> None:
    """A param naming canonical values (channels, kinds, change outcomes, priorities)
    holds only those: a misspelt ``portl`` would match no ticket and change the verdict
    without a word."""
    if key == "unfilled_in_scope":  # tool -> the canonical fields it fills elsewhere
        from itsm_diag import model

        for tool, fields in value.items():
            if not isinstance(fields, list):
                raise ConfigError(f"{dotted}.{tool} must be a list of fields, not "
                                  f"{quote(fields)}", file=source)
            for item in fields:
                if item not in model.TICKET_COLUMNS:
                    raise ConfigError(f"{dotted}.{tool}: {quote(item)} is not a field",
                                      file=source, hint="valid: the canonical fields ("
                                      "README, canonical model), such as due_at")
        return
    if key == "opposed_words":  # the flat [["on", "off"]] would oppose letters
        _check_oppositions(dotted, value, source)
        return
    valid = _vocabulary(key)
    if valid is None:
        return
    # a mapping is keyed by the values (target hours by priority; TOML writes every key
    # as text, "1")
    items = ([int(k) if isinstance(k, str) and k.strip().isdecimal() else k for k in value]
             if isinstance(value, Mapping) else list(value) if isinstance(value, list)
             else [value])
    for item in items:
        if isinstance(item, bool) or item not in valid:
            raise ConfigError(f"{dotted}: {quote(item)} is not one of the values it takes",
                              file=source, hint=f"valid: {', '.join(map(str, valid))}")


# ---- the values each threshold and param may take ------------------------------------

#: the most a count param may be (a minimum of tickets, rows shown): beyond it no export
#: reaches, and a bigger number is a slip
COUNT_CAP = 1_000_000_000
#: the longest span a days, hours or weeks param may ask for: ten years, the longest window
#: (:data:`MAX_WINDOW_WEEKS`); time arithmetic overflows long before a billion days
MAX_DAYS = MAX_WINDOW_WEEKS * 7
#: the most agent minutes one param may count (as ``defaults.handle_minutes``)
MAX_MINUTES = 100_000
#: how a share is written, said with every share out of range ("10" meant as 10%)
SHARE_NOTE = "a share is a fraction: write 0.10 for 10%"


@dataclass(frozen=True)
class Valid:
    """The values a threshold or param may take: a number from ``lo`` to ``hi`` (either
    end left out when ``lo_open`` / ``hi_open``), a whole one when ``whole``; for a list
    (or a mapping's values) each item, the list ``nonempty`` (the code indexes it) and
    its items ``order`` ``increasing`` or ``distinct``. ``note`` is said with a refusal."""

    lo: float | None = None
    hi: float | None = None
    lo_open: bool = False
    hi_open: bool = False
    whole: bool = False
    nonempty: bool = False
    order: Literal["", "increasing", "distinct"] = ""
    note: str = ""

    def holds(self, x: float) -> bool:
        if self.whole and not float(x).is_integer():
            return False
        if self.lo is not None and (x <= self.lo if self.lo_open else x < self.lo):
            return False
        return self.hi is None or not (x >= self.hi if self.hi_open else x > self.hi)

    def words(self) -> str:
        """The range in words: ``from 0 to 1``, ``a whole number from 2 to 3,640``,
        ``above 0 and below 1``."""
        num = _number_words
        lo, hi = self.lo, self.hi
        if lo is not None and hi is not None:
            joint = {(False, False): "to", (True, False): "up to", (True, True): "and below",
                     (False, True): "to below"}[(self.lo_open, self.hi_open)]
            said = f"{'above' if self.lo_open else 'from'} {num(lo)} {joint} {num(hi)}"
        elif lo is not None:
            said = f"{'above' if self.lo_open else 'at least'} {num(lo)}"
        elif hi is not None:
            said = f"{'below' if self.hi_open else 'at most'} {num(hi)}"
        else:
            said = "any finite number"
        if self.whole:
            said = f"a whole number {said}"
        return said

    def list_words(self) -> str:
        """What a list (or a mapping's values) must hold: ``one or more items, each
        from 1 to 520, each once``."""
        said = ["one or more items" if self.nonempty else "any number of items"]
        if self.lo is not None or self.hi is not None or self.whole:
            said.append(f"each {self.words()}")
        said += {"increasing": ["in increasing order"], "distinct": ["each once"]
                 }.get(self.order, [])
        return ", ".join(said)

    def words_for(self, value: Any) -> str:
        """The range as said of ``value``: a list's or mapping's items, or a number."""
        return self.list_words() if isinstance(value, list | Mapping) else self.words()


def _number_words(x: float) -> str:
    return f"{int(x):,}" if float(x).is_integer() else f"{x:g}"


SHARE = Valid(0, 1, note=SHARE_NOTE)
#: a count of rows shown or items kept: 0 would hide the evidence behind a figure
AT_LEAST_ONE = Valid(1, COUNT_CAP, whole=True)
#: a minimum of tickets (or records) behind a verdict: 0 turns the minimum off, and the
#: rule grades whatever the export holds (the report lists the override; the cases grade
#: an empty queue with it)
MINIMUM = Valid(0, COUNT_CAP, whole=True)
#: "reassigned at least N times": 0 would count every ticket
REASSIGNMENTS = Valid(1, COUNT_CAP, whole=True)

#: thresholds by the unit of the metric they compare: a share (``ratio``, ``index``) lies
#: between 0 and 1, a gap of two shares (``points``) between -1 and 1, a count, rate or
#: duration is never negative
UNIT_RANGES: dict[str, Valid] = {
    "ratio": SHARE,
    "index": Valid(0, 1, note="an index lies between 0 and 1"),
    "points": Valid(-1, 1, note="a gap of two shares is a fraction: write 0.05 for 5 points"),
    "count": Valid(0, COUNT_CAP), "per_quarter": Valid(0, COUNT_CAP),
    "per_month": Valid(0, COUNT_CAP), "hours": Valid(0, MAX_DAYS * 24),
    "days": Valid(0, MAX_DAYS), "weeks": Valid(0, MAX_WINDOW_WEEKS),
}

#: the least and greatest value a metric of each unit can measure (None: no bound): a
#: threshold at a bound can make its comparison hold for every export or for none
#: (:func:`threshold_range` leaves that end out, by the comparison's direction)
UNIT_BOUNDS: dict[str, tuple[float | None, float | None]] = {
    "ratio": (0, 1), "index": (0, 1), "points": (-1, 1), "count": (0, None),
    "per_quarter": (0, None), "per_month": (0, None), "hours": (0, None),
    "days": (0, None), "weeks": (0, None),
}

#: the intake-template params, the same in the recurrence sign and the text-clusters
#: analysis (each rule file holds its own copy): a share of the incidents with a summary;
#: at least one incident; a wording's effective number of categories as a fraction of all
#: incidents'; at least one effective category; at least one name (0 would take any
#: wording most of whose incidents hold a name word)
_TEMPLATE_RANGES: dict[str, Valid] = {
    "template_min_share": SHARE,
    "template_min_incidents": Valid(1, COUNT_CAP, whole=True),
    "template_min_spread": Valid(0, 1),
    "template_min_categories": Valid(1, COUNT_CAP),
    "template_min_names": Valid(1, COUNT_CAP, whole=True),
}

#: the ranges no generic rule (:func:`_generic_param`, :data:`UNIT_RANGES`) gives, or
#: that are narrower than it, by the key as a config file writes it. Every numeric value a
#: config can set has a range here or from a generic rule (tests/test_config_ranges.py
#: walks them all); ``*`` stands for every key of a mapping.
RANGES: dict[str, Valid] = {
    # ---- defaults (pydantic checks the same bounds on the model; said here for the
    # messages, ``itsm-diag config`` and the test)
    "defaults.window_weeks": Valid(1, MAX_WINDOW_WEEKS, whole=True),
    "defaults.active_week_share": SHARE,
    "defaults.noise_level": Valid(0, 1, lo_open=True, hi_open=True,
                                  note="an interval's level is a share: write 0.9 for 90%"),
    "defaults.tail_weeks": Valid(0, MAX_WINDOW_WEEKS, whole=True),
    "defaults.shape.min_tickets": Valid(1, 1_000_000, whole=True),
    "defaults.shape.silent_ratio": SHARE,
    "defaults.shape.min_silent_weeks": Valid(1, MAX_WINDOW_WEEKS, whole=True),
    "defaults.shape.min_silent_arrivals_share": SHARE,
    "defaults.shape.min_done_share": SHARE,
    "defaults.shape.none_open_recent_days": Valid(1, MAX_DAYS, whole=True),
    "defaults.shape.none_open_min_expected": Valid(0, 1_000_000),
    "defaults.shape.none_open_settle_share": SHARE,
    "defaults.shape.none_open_min_settle_hours": Valid(0, MAX_DAYS * 24),
    "defaults.shape.gap_min_weeks": Valid(1, MAX_WINDOW_WEEKS, whole=True),
    "defaults.shape.source_end_min_weeks": Valid(0, MAX_WINDOW_WEEKS, lo_open=True),
    "defaults.shape.source_min_share": SHARE,
    "defaults.shape.gap_min_expected": Valid(0, 1_000_000),
    "defaults.shape.none_open_max_share": SHARE,
    "defaults.shape.one_instant_hours": Valid(0, MAX_DAYS * 24),
    "defaults.shape.opening_burst_min": Valid(2, 1_000_000, whole=True),
    "defaults.shape.opening_burst_factor": Valid(1, 1_000_000),
    "defaults.shape.opening_burst_open_hours": Valid(0, MAX_DAYS * 24),
    "defaults.shape.opening_burst_open_share": SHARE,
    "defaults.shape.migration_hours": Valid(0, MAX_DAYS * 24),
    "defaults.shape.migration_count_ratio": Valid(1, 1_000_000),
    "defaults.shape.updated_min_fill": SHARE,
    "defaults.shape.updated_floor_days": Valid(0, MAX_DAYS),
    "defaults.shape.updated_min_opened": Valid(1, 1_000_000, whole=True),
    "defaults.shape.updated_max_done_share": SHARE,
    "defaults.shape.flow_week_share": SHARE,
    "defaults.shape.flow_rolling_weeks": Valid(1, MAX_WINDOW_WEEKS, whole=True),
    "defaults.max_samples": Valid(0, 1000, whole=True),
    "defaults.ttr_closed_share": SHARE,
    "defaults.machine_made_share": SHARE,
    "defaults.waiting_share": SHARE,
    "defaults.waiting_open_share": SHARE,
    "defaults.handle_minutes.*": Valid(0, MAX_MINUTES),
    "defaults.hourly_rate": Valid(0, 1_000_000),
    "defaults.logged_time_share": SHARE,
    "defaults.logged_time_min_tickets": Valid(1, 1_000_000, whole=True),
    "defaults.structural_weight": Valid(0, 1),
    "defaults.kpi_targets.time_to_resolve_hours": Valid(0, MAX_DAYS * 24),
    "defaults.kpi_targets.first_assignment_resolution": SHARE,
    "defaults.kpi_targets.sla_adherence": SHARE,
    # ---- signs
    # an hour of 1 completion is no clean-up script (with 1 every hour would be one)
    "signs.backlog.params.mass_closure_min": Valid(2, COUNT_CAP, whole=True),
    # "times the 99th-percentile hour": below 1 an ordinary hour would be a mass closure
    "signs.backlog.params.mass_closure_factor": Valid(1, 1_000_000),
    "signs.backlog.params.mass_closure_job_runs": Valid(1, COUNT_CAP, whole=True),
    # a trend line needs two weeks, and its noise (the scatter around the line, on n - 2
    # degrees of freedom) three: a clear on two week ends could not be weighed against it;
    # the levels from the edges one week at least
    "signs.backlog.params.min_trend_weeks": Valid(3, MAX_WINDOW_WEEKS, whole=True),
    "signs.backlog.params.carried_max_done_share": SHARE,
    # unread close codes may move the failure rate by at most this share of its failed
    # count (0: any unread code leaves it unread)
    "signs.changes.params.max_unread_moved": Valid(0, 1_000_000),
    # a job's stamp: within this many seconds after a machine's event (0: the same instant)
    "signs.trust.params.silence_stamp_seconds": Valid(0, 86_400),
    # a batch stamp: at least this many open tickets share one updated instant
    "signs.trust.params.silence_batch_tickets": Valid(2, COUNT_CAP, whole=True),
    # the noise rule's interval: at 1 it would be infinitely wide (t of p = 1)
    "signs.backlog.params.noise_interval_share": Valid(0, 1, hi_open=True),
    "signs.backlog.params.noise_max_autocorrelation": Valid(0, 1, hi_open=True),
    "signs.backlog.params.edge_weeks": Valid(1, MAX_WINDOW_WEEKS, whole=True),
    "signs.backlog.params.min_start_tickets": Valid(0, COUNT_CAP),
    # the age table's bounds: each a number of days, the table indexes the first and last
    "signs.backlog.params.age_buckets_days": Valid(0, MAX_DAYS, lo_open=True, nonempty=True,
                                                   order="increasing"),
    "signs.backlog.params.automation_candidates": AT_LEAST_ONE,
    "signs.backlog.params.automation_min_volume": AT_LEAST_ONE,
    # a cluster of one incident is no recurrence; a span of 0 days joins none
    "signs.recurrence.params.cluster_size": Valid(2, COUNT_CAP, whole=True),
    "signs.recurrence.params.span_days": Valid(0, MAX_DAYS, lo_open=True),
    # 0: every incident its own occurrence; an occurrence no longer than the span
    "signs.recurrence.params.episode_hours": Valid(0, MAX_DAYS * 24),
    # intake templates: the same params in the sign and the analysis
    **{f"{rule}.params.{name}": valid for rule in ("signs.recurrence",
                                                   "analyses.text-clusters")
       for name, valid in _TEMPLATE_RANGES.items()},
    # the reporting sign grades 5 core KPIs
    "signs.reporting.thresholds.min_missing": Valid(0, 5),
    "signs.reporting.params.max_negative": SHARE,
    "signs.reporting.params.max_catch_all": SHARE,
    # one value on this share of the tickets or more is no breakdown: at 0 every export's
    # volume would be one value
    "signs.reporting.params.one_value_share": Valid(
        0, 1, lo_open=True, note="a share above 0: 1 judges only one value on every ticket"),
    "signs.reporting.params.one_value_min_tickets": MINIMUM,
    # a second ticket within 0 hours is none: the duplicate share would read 0
    "signs.trust.params.duplicate_hours": Valid(0, MAX_DAYS * 24, lo_open=True),
    # 0 turns the proxy exclusion off
    "signs.trust.params.proxy_tickets_per_week": Valid(0, 1_000_000),
    "signs.trust.params.official_channels": Valid(nonempty=True),
    # an incident within 0 hours of a change is none: the rate would read 0
    "signs.changes.params.window_hours": Valid(0, MAX_DAYS * 24, lo_open=True),
    "signs.changes.params.emergency_share_max": SHARE,
    # 0: the rate is measured whatever the count
    "signs.changes.params.min_projected": Valid(0, COUNT_CAP, whole=True),
    # 0: no edge is ever a cut; 1: every edge over min_change_edge_days is
    "signs.changes.params.change_edge_chance": Valid(0, 1),
    # an hour of the day
    "signs.onboarding.params.start_hour": Valid(0, 24, hi_open=True),
    "signs.onboarding.params.lost_hours_per_late_day": Valid(0, 24),
    "signs.strategy.params.operational_target": SHARE,
    # 0: any ticket makes a kind of work; 0.5: at most two kinds could ever count
    "signs.strategy.params.min_kind_share": Valid(0, 0.5, note=SHARE_NOTE),
    # 0: only a strategic record still open at the window start proves the export
    "signs.strategy.params.strategic_lookback_days": Valid(0, MAX_DAYS),
    # ---- checks
    "checks.routing.params.min_reassignments": REASSIGNMENTS,
    "checks.routing.params.normal_reassignments": Valid(0, COUNT_CAP, whole=True),
    # a share of intake the first channels reach: 0 is reached by none
    "checks.channels.params.coverage_share": Valid(0, 1, lo_open=True, note=SHARE_NOTE),
    # a gap is "the high priorities worse": a negative bar would call them worse when better
    "checks.sla-by-priority.thresholds.high_worse": Valid(
        0, 1, note="a gap of two shares is a fraction: write 0.05 for 5 points"),
    "checks.sla-by-priority.params.high_priorities": Valid(nonempty=True, order="distinct"),
    # ---- analyses
    "analyses.flow.params.samples_per_row": Valid(1, 1000, whole=True),
    # a weighted Jaccard: 0 would join every pair (and divides by it)
    "analyses.text-clusters.params.similarity": Valid(0, 1, lo_open=True),
    "analyses.text-clusters.params.contained_similarity": Valid(0, 1),
    # a share of the lighter wording's weight
    "analyses.text-clusters.params.containment": Valid(0, 1, note=SHARE_NOTE),
    "analyses.text-clusters.params.df_smoothing": Valid(0, 1_000_000),
    # a share of the distinct wordings: 0 would take every word held by any
    "analyses.text-clusters.params.common_word_share": Valid(0, 1, lo_open=True),
    "analyses.text-clusters.params.common_word_min_wordings": Valid(0, COUNT_CAP,
                                                                   whole=True),
    "analyses.text-clusters.params.sample_wordings": AT_LEAST_ONE,
    "analyses.text-clusters.params.label_words": Valid(1, 100, whole=True),
    "analyses.text-clusters.params.min_word_length": Valid(1, 100, whole=True),
    "analyses.text-clusters.params.cluster_size": Valid(2, COUNT_CAP, whole=True),
    "analyses.text-clusters.params.span_days": Valid(0, MAX_DAYS, lo_open=True),
    "analyses.text-clusters.params.vocabulary_min_wordings": Valid(0, COUNT_CAP, whole=True),
    "analyses.text-clusters.params.vocabulary_wordings_per_name": Valid(0, 1_000_000),
    # a driver raises the outcome's rate: a lift under 1 lowers it
    "analyses.drivers.params.min_lift": Valid(1, 1_000_000),
    # a family-wise error level: a probability; 0 would pass nothing, 1 everything
    "analyses.drivers.params.family_alpha": Valid(
        0, 1, lo_open=True, hi_open=True, note="a probability: write 0.05 for 5%"),
    "analyses.drivers.params.min_reassignments": REASSIGNMENTS,
    "analyses.drivers.params.long_quantile": Valid(
        0, 1, lo_open=True, hi_open=True, note="a quantile is a fraction: write 0.9 for "
        "the 90th percentile"),
    # hours by priority: a target of 0 hours makes every ticket overdue as it opens
    "analyses.actions.params.target_hours": Valid(0, MAX_DAYS * 24, lo_open=True),
    # within 0 days no bounce is recent
    "analyses.actions.params.bounce_days": Valid(1, MAX_DAYS, whole=True),
    "analyses.actions.params.min_reassignments": REASSIGNMENTS,
    "analyses.forecast.params.horizons_weeks": Valid(1, MAX_WINDOW_WEEKS, whole=True,
                                                     nonempty=True, order="distinct"),
    # the interval's coverage: 1 would be an infinite interval
    "analyses.forecast.params.interval": Valid(
        0, 1, lo_open=True, hi_open=True, note="a coverage is a fraction: write 0.8 for 80%"),
    # the forecast needs two trend weeks whatever is set
    "analyses.forecast.params.min_weeks": Valid(2, MAX_WINDOW_WEEKS, whole=True),
    # the factor two volumes may differ by: 1 checks only a desk of the same size
    "analyses.forecast.params.history_volume_ratio": Valid(1, 1_000_000),
}
#: a rule's ``kinds`` selects its scope: none would select nothing
KINDS = Valid(nonempty=True)


def _numbers(value: Any) -> list[Any] | None:
    """The numbers a value holds (itself; a list's items; a mapping's values), or None
    when it holds anything else (text, booleans, None) or nothing."""
    items = (list(value.values()) if isinstance(value, Mapping) else
             list(value) if isinstance(value, list) else [value])
    if not items or any(isinstance(x, bool) or not isinstance(x, int | float) for x in items):
        return None
    return items


def _generic_param(name: str, default: Any) -> Valid | None:
    """The range a param's name and default give, for a param :data:`RANGES` does not
    name: a ``*_share`` or ``*_fill`` is a share (0 to 1); ``*_days``, ``*_hours``,
    ``*_minutes``, ``*_weeks`` (or ``minutes_*``...) a duration, never negative, at most
    ten years (whole days and weeks where the default is whole); a whole ``min_*`` a
    minimum count (0: none), a whole ``max_*`` or ``top_*`` a count of at least 1. None
    for a param that holds no numbers, or that no rule fits."""
    items = _numbers(default)
    if items is None:
        return None
    whole = all(isinstance(x, int) for x in items)
    if name.endswith(("_share", "_fill")):
        return SHARE
    caps = {"_days": MAX_DAYS, "_hours": MAX_DAYS * 24, "_minutes": MAX_MINUTES,
            "_weeks": MAX_WINDOW_WEEKS}
    for suffix, cap in caps.items():
        # "minutes_per_update" counts minutes as "clarify_minutes" does
        if name.endswith(suffix) or name.startswith(f"{suffix[1:]}_"):
            return Valid(0, cap, whole=whole and suffix in ("_days", "_weeks"))
    if whole and name.startswith("min_"):
        return MINIMUM
    if whole and name.startswith(("max_", "top_")):
        return AT_LEAST_ONE
    return None


def param_range(top: str, rule_id: str, name: str, default: Any) -> Valid | None:
    """The values ``{top}.{rule_id}.params.{name}`` may take (``default``: its shipped
    value), or None for a param that holds no numbers and needs no items."""
    declared = RANGES.get(f"{top}.{rule_id}.params.{name}")
    if declared is not None:
        return declared
    return KINDS if name == "kinds" else _generic_param(name, default)


def metric_bounds(doc: MetricDoc) -> tuple[float | None, float | None]:
    """The least and the greatest value a metric can measure, by its unit
    (:data:`UNIT_BOUNDS`); a metric worded for a negative value (``label_if_negative``:
    the backlog's shrink is negative when it grew) has no least one."""
    lo, hi = UNIT_BOUNDS.get(doc.unit, (None, None))
    return (None if doc.label_if_negative else lo), hi


def _unit_range(top: str, rule: RuleFile, name: str) -> Valid | None:
    """The values a threshold's number may be: declared, else by its metric's unit."""
    declared = RANGES.get(f"{top}.{rule.id}.thresholds.{name}")
    if declared is not None:
        return declared
    return UNIT_RANGES.get(rule.metrics[rule.thresholds.conditions[name].metric].unit)


def threshold_range(top: str, rule: RuleFile, name: str) -> Valid | None:
    """The values a threshold may take: declared, else by its metric's unit; without the
    end at which its comparison would decide the verdict whatever the data
    (:func:`_deciding_alone`: ``>= 0`` on a share holds for every export, ``< 0`` for
    none)."""
    cond = rule.thresholds.conditions[name]
    valid = _unit_range(top, rule, name)
    if valid is None:
        return None
    lo, hi = metric_bounds(rule.metrics[cond.metric])
    if cond.op in (">=", "<") and lo is not None and valid.lo is not None and valid.lo <= lo:
        valid = replace(valid, lo=lo, lo_open=True)
    if cond.op in (">", "<=") and hi is not None and valid.hi is not None and valid.hi >= hi:
        valid = replace(valid, hi=hi, hi_open=True)
    return valid


def _deciding_alone(rule: RuleFile, name: str, value: float) -> str:
    """Why ``value`` as threshold ``name`` of ``rule`` would decide its verdict whatever
    the data (its comparison holds for every value the metric can measure, or for none),
    or "" when it would not."""
    cond = rule.thresholds.conditions[name]
    lo, hi = metric_bounds(rule.metrics[cond.metric])
    always = ((cond.op == ">=" and lo is not None and value <= lo)
              or (cond.op == "<=" and hi is not None and value >= hi)
              or (cond.op == ">" and lo is not None and value < lo)
              or (cond.op == "<" and hi is not None and value > hi))
    never = ((cond.op == "<" and lo is not None and value <= lo)
             or (cond.op == ">" and hi is not None and value >= hi)
             or (cond.op == "<=" and lo is not None and value < lo)
             or (cond.op == ">=" and hi is not None and value > hi))
    if not (always or never):
        return ""
    if lo is not None and hi is not None:
        bounds = f"from {_number_words(lo)} to {_number_words(hi)}"
    elif lo is not None:
        bounds = f"never below {_number_words(lo)}"
    else:  # a bound there is: the comparison met it
        bounds = f"never above {_number_words(hi or 0)}"
    said = (f"{cond.metric} {cond.op} {_number_words(value)} holds for "
            f"{'every export' if always else 'no export'} ({cond.metric} is {bounds})")
    return said + (f", so the {rule.kind} would be triggered by the configuration, not "
                   "the data" if always else f", so the {rule.kind} could never trigger")


def default_range(key: str) -> Valid | None:
    """The values ``defaults.KEY`` (``defaults.shape.min_tickets``) may take."""
    if key in RANGES:
        return RANGES[key]
    return RANGES.get(key.rsplit(".", 1)[0] + ".*") if key.count(".") >= 2 else None


def valid_ranges(rules: Rules) -> dict[str, Valid | None]:
    """The range of every value :func:`effective_settings` lists, by the same key (None:
    a value that holds no numbers, such as a list of words)."""
    out: dict[str, Valid | None] = {}
    for key in effective_settings(rules):
        parts = key.split(".")
        if parts[0] == "defaults":
            out[key] = default_range(key)
        elif parts[0] == "analyses":
            analysis = rules.analyses[parts[1]]
            out[key] = param_range("analyses", parts[1], parts[3], analysis.params[parts[3]])
        else:
            rule = (rules.signs if parts[0] == "signs" else rules.checks)[parts[1]]
            out[key] = (threshold_range(parts[0], rule, parts[3]) if parts[2] == "thresholds"
                        else param_range(parts[0], parts[1], parts[3], rule.params[parts[3]]))
    return out


def check_range(dotted: str, value: Any, valid: Valid | None, source: str | Path) -> None:
    """Refuse ``value`` for ``dotted`` with one line naming the key and the valid range
    when it lies outside ``valid`` (a list or mapping: when any item does, or when it is
    empty and must not be, or out of order)."""
    if valid is None:
        return
    collection = isinstance(value, list | Mapping)
    items = list(value.values()) if isinstance(value, Mapping) else (
        list(value) if isinstance(value, list) else [value])
    said = valid.words_for(value)
    hint = f"valid: {said}" + (f" ({valid.note})" if valid.note else "")
    if collection and valid.nonempty and not items:
        raise ConfigError(f"{dotted} is empty", file=source, hint=hint)
    if valid.lo is None and valid.hi is None and not valid.whole:
        numbers = [x for x in items if isinstance(x, int | float) and not isinstance(x, bool)]
    else:
        numbers = items
        for item in items:
            if isinstance(item, bool) or not isinstance(item, int | float):
                raise ConfigError(f"{dotted}: {quote(item)} is not a number", file=source,
                                  hint=hint)
            if not math.isfinite(item):
                raise ConfigError(f"{dotted} must hold finite numbers, not {quote(item)}",
                                  file=source)
            if not valid.holds(item):
                what = ("is not a whole number" if valid.whole and math.isfinite(item)
                        and not float(item).is_integer() else "is out of range")
                raise ConfigError(f"{dotted}: {quote(item)} {what}", file=source, hint=hint)
    if valid.order and len(numbers) == len(items):
        for before, after in itertools.pairwise(numbers):
            if valid.order == "increasing" and not after > before:
                raise ConfigError(f"{dotted}: {quote(after)} after {quote(before)} is not "
                                  "in increasing order", file=source, hint=hint)
        if valid.order == "distinct" and len(set(numbers)) < len(numbers):
            twice = next(x for i, x in enumerate(numbers) if x in numbers[:i])
            raise ConfigError(f"{dotted} holds {quote(twice)} twice", file=source, hint=hint)


#: list params whose every value has a metric of its own (the forecast's backlog in each
#: horizon), by (analysis id, param): the metric's name for a value
PER_VALUE_METRICS: dict[tuple[str, str], str] = {
    ("forecast", "horizons_weeks"): "backlog_in_{}_weeks"}


def _per_value_docs(analysis: AnalysisFile, key: str, source: str) -> None:
    """After a config set ``key`` of ``analysis``, give each of its values a metric doc,
    worded as a documented one with the number changed ("Backlog in 8 weeks"), in place
    of the docs of the values it replaced: the forecast projects any horizon a config
    sets, never an undocumented metric."""
    pattern = PER_VALUE_METRICS.get((analysis.id, key))
    if pattern is None:
        return
    name_re = re.compile(re.escape(pattern).replace(r"\{\}", r"(\d+)"))
    docs = analysis.metrics
    shipped = [(int(m.group(1)), doc) for name, doc in docs.items()
               if (m := name_re.fullmatch(name))]
    values = [int(v) for v in analysis.params[key]]
    if not shipped:
        documented = [v for v in values if pattern.format(v) in docs]
        if documented != values:
            raise ConfigError(f"analyses.{analysis.id}.params.{key}: no metric words "
                              f"{quote([v for v in values if v not in documented])}",
                              file=source)
        return
    number, template = shipped[0]

    def doc_for(value: int) -> MetricDoc:
        name = pattern.format(value)
        if name in docs:
            return docs[name]

        def swap(text: str) -> str:
            text = re.sub(rf"(?<![\d.]){number}(?![\d.])", str(value), text)
            return re.sub(r"\b1 weeks\b", "1 week", text) if value == 1 else text

        return template.model_copy(update={"label": swap(template.label),
                                           "definition": swap(template.definition)})

    out: dict[str, MetricDoc] = {}
    for name, doc in docs.items():
        if name_re.fullmatch(name):
            if not any(name_re.fullmatch(k) for k in out):
                out.update({pattern.format(v): doc_for(v) for v in values})
            continue
        out[name] = doc
    analysis.metrics = out


def _override_rule(out: Rules, top: str, rule: RuleFile, body: Any, source: str) -> None:
    prefix = f"{top}.{rule.id}"
    if not isinstance(body, Mapping):
        raise ConfigError(f"{prefix!r} must be a mapping", file=source)
    for section, values in body.items():
        if section not in ("thresholds", "params"):
            raise _unknown(f"{prefix}.{section}", ("thresholds", "params"), source)
        if not isinstance(values, Mapping):
            raise ConfigError(f"{prefix}.{section} must be a mapping", file=source)
        for key, value in values.items():
            dotted = f"{prefix}.{section}.{key}"
            if section == "thresholds":
                conds = rule.thresholds.conditions
                if key not in conds:
                    raise _unknown(dotted, conds, source)
                if isinstance(value, bool) or not isinstance(value, int | float) or \
                        not math.isfinite(value):
                    raise ConfigError(f"{dotted} must be a finite number, not {quote(value)}",
                                      file=source)
                # a number its metric's unit takes (not 10 meant as 10%) at which the
                # comparison alone would give the verdict is refused with why
                valid, unit = threshold_range(top, rule, key), _unit_range(top, rule, key)
                alone = (_deciding_alone(rule, key, float(value))
                         if unit is None or unit.holds(value) else "")
                if alone and valid is not None:
                    raise ConfigError(f"{dotted}: {quote(value)} is out of range: {alone}",
                                      file=source, hint=f"valid: {valid.words()}")
                check_range(dotted, value, valid, source)
                conds[key].value = float(value)
            else:
                if key not in rule.params:
                    raise _unknown(dotted, rule.params, source)
                default = rule.params[key]
                if not _same_type(default, value):
                    raise ConfigError(
                        f"{dotted} must be {type(default).__name__} like the default "
                        f"{default!r}, not {quote(value)}",
                        file=source,
                    )
                if not _finite(value):
                    raise ConfigError(f"{dotted} must hold finite numbers, not "
                                      f"{quote(value)}", file=source)
                _check_vocabulary(dotted, key, value, source)
                check_range(dotted, value, param_range(top, rule.id, key, default), source)
                rule.params[key] = copy.deepcopy(value)
            out.overrides[dotted] = source


def _override_analysis(out: Rules, analysis: AnalysisFile, body: Any, source: str) -> None:
    prefix = f"analyses.{analysis.id}"
    if not isinstance(body, Mapping):
        raise ConfigError(f"{prefix!r} must be a mapping", file=source)
    for section, values in body.items():
        if section != "params":
            raise _unknown(f"{prefix}.{section}", ("params",), source)
        if not isinstance(values, Mapping):
            raise ConfigError(f"{prefix}.params must be a mapping", file=source)
        for key, value in values.items():
            dotted = f"{prefix}.params.{key}"
            if key not in analysis.params:
                raise _unknown(dotted, analysis.params, source)
            default = analysis.params[key]
            if not _same_type(default, value):
                raise ConfigError(f"{dotted} must be {type(default).__name__} like the "
                                  f"default {default!r}, not {quote(value)}", file=source)
            if not _finite(value):
                raise ConfigError(f"{dotted} must hold finite numbers, not {quote(value)}",
                                  file=source)
            _check_vocabulary(dotted, key, value, source)
            check_range(dotted, value, param_range("analyses", analysis.id, key, default),
                        source)
            analysis.params[key] = copy.deepcopy(value)
            _per_value_docs(analysis, key, source)
            out.overrides[dotted] = source


def load_config_file(path: Path) -> dict[str, Any]:
    """Read a user config file into a mapping: TOML for ``*.toml`` (a ``pyproject.toml``
    contributes its ``[tool.itsm-diag]`` table), YAML otherwise."""
    path = Path(path)
    if path.suffix.lower() == ".toml":
        return _read_toml_config(path)
    data = _read_yaml(path)
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError("a config file must be a mapping of keys", file=path)
    return data


# ---- config files found in the working directory -----------------------------------------

#: looked for in the working directory, in this order; the first that applies wins
CONFIG_FILE = "itsm-diag.toml"
PYPROJECT = "pyproject.toml"
PYPROJECT_TABLE = ("tool", "itsm-diag")


def _read_toml(path: Path) -> dict[str, Any]:
    import tomllib

    try:
        # read as every rule or mapping file is (UTF-8, a leading BOM dropped)
        return tomllib.loads(read_text(path))
    except OSError as exc:
        raise ConfigError(f"cannot read: {exc.strerror}", file=path) from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"not valid TOML: {exc}", file=path) from exc


def _pyproject_table(data: dict[str, Any]) -> Any:
    tool = data.get(PYPROJECT_TABLE[0])
    return tool.get(PYPROJECT_TABLE[1]) if isinstance(tool, dict) else None


def _read_toml_config(path: Path) -> dict[str, Any]:
    data = _read_toml(path)
    if path.name == PYPROJECT:
        table = _pyproject_table(data)
        if table is None:
            raise ConfigError("no [tool.itsm-diag] table", file=path,
                              hint="add one, or name a file holding only itsm-diag settings")
        if not isinstance(table, dict):
            raise ConfigError("[tool.itsm-diag] must be a table", file=path)
        return table
    return data


def find_config_file(directory: Path) -> Path | None:
    """The config file that applies in ``directory`` when no ``--config`` is given:
    ``itsm-diag.toml``, else a ``pyproject.toml`` with a ``[tool.itsm-diag]`` table
    (only ``directory`` itself is searched, never its parents, so what applies is
    obvious from where the command runs)."""
    own = directory / CONFIG_FILE
    if own.is_file():
        return own
    pyproject = directory / PYPROJECT
    if not pyproject.is_file():
        return None
    try:
        table = _pyproject_table(_read_toml(pyproject))
    except ConfigError:
        # a broken pyproject.toml is someone else's problem unless it holds our table
        if "[tool.itsm-diag" in pyproject.read_text(encoding="utf-8", errors="replace"):
            raise
        return None
    return pyproject if table is not None else None


def config_source(path: Path) -> str:
    """How overrides from ``path`` are labelled in the report and ``itsm-diag config``."""
    return f"{path} [tool.itsm-diag]" if Path(path).name == PYPROJECT else str(path)


# ---- the effective configuration, value by value ----------------------------------------

SHIPPED = "shipped default"


def effective_settings(rules: Rules) -> dict[str, tuple[Any, str]]:
    """Every overridable value as ``dotted key -> (value, source)``, in the order of
    the config file shape (defaults, signs, checks); the source is :data:`SHIPPED` or
    the file that set it. A ``defaults`` mapping of numbers (the shape tests, the handle
    minutes, the KPI targets) is listed key by key: a config that set one of its keys
    set that key, not the others."""
    out: dict[str, tuple[Any, str]] = {}

    def put(key: str, value: Any) -> None:
        out[key] = (value, rules.overrides.get(key, SHIPPED))

    for key, value in rules.defaults.model_dump().items():
        if key in _LISTED_BY_KEY and isinstance(value, dict) and value:
            for sub, item in value.items():  # each with its own source and range
                dotted = f"defaults.{key}.{sub}"
                out[dotted] = (item, rules.nested_overrides.get(dotted, SHIPPED))
        else:
            put(f"defaults.{key}", value)
    for top, table in (("signs", rules.signs), ("checks", rules.checks)):
        for rule in table.values():
            for name, cond in rule.thresholds.conditions.items():
                put(f"{top}.{rule.id}.thresholds.{name}", cond.value)
            for name, param in rule.params.items():
                put(f"{top}.{rule.id}.params.{name}", param)
    for analysis in rules.analyses.values():
        for name, param in analysis.params.items():
            put(f"analyses.{analysis.id}.params.{name}", param)
    return out


def _flow(value: Any) -> str:
    """One YAML flow scalar/collection on a single line."""
    text = yaml.safe_dump(value, default_flow_style=True, width=10**9, allow_unicode=True,
                          sort_keys=False).strip()
    text = text.removesuffix("\n...").strip()
    if "\n" in text:
        # a multi-line string: JSON's escaped form is valid YAML and stays on one line
        import json

        return json.dumps(value, ensure_ascii=False)
    return text


def describe(rules: Rules, config_file: str | None) -> str:
    """The effective configuration as YAML (loadable by ``--config``), each value
    followed by a comment naming where it came from, for a value a config set the
    shipped one (as ``explain`` marks it: ``# itsm-diag.toml; shipped 0.05``), and the
    values it may take."""
    lines = ["# itsm-diag effective configuration",
             f"# config file: {config_file or 'none (shipped defaults only)'}"]
    opened: list[str] = []
    for key, entry in settings_document(rules).items():
        parts = key.split(".")
        # open the parent mappings this key needs and the previous key did not share
        common = 0
        while common < min(len(opened), len(parts) - 1) and opened[common] == parts[common]:
            common += 1
        opened = opened[:common]
        for depth in range(common, len(parts) - 1):
            lines.append("  " * depth + f"{_flow(parts[depth])}:")
            opened.append(parts[depth])
        indent = "  " * (len(parts) - 1)
        said = entry["source"]
        if "shipped" in entry:
            said += f"; shipped {_shipped_text(_whole(entry['value']), _whole(entry['shipped']))}"
        if "valid" in entry:
            said += f"; valid: {entry['valid']}"
        lines.append(f"{indent}{_flow(parts[-1])}: {_flow(_whole(entry['value']))}  # {said}")
    return "\n".join(lines) + "\n"


def _whole(value: Any) -> Any:
    """A whole float as an int (the shape tests' 50.0 reads 50 beside "a whole number")."""
    return int(value) if isinstance(value, float) and value.is_integer() else value


def settings_document(rules: Rules) -> dict[str, dict[str, Any]]:
    """Every value :func:`effective_settings` lists, as ``config --json`` prints it:
    its ``value`` and ``source``; for a value a config set, the ``shipped`` one; for a
    value with a range, the range in words (``valid``)."""
    shipped = effective_settings(load_rules())
    ranges = valid_ranges(rules)
    out: dict[str, dict[str, Any]] = {}
    for key, (value, source) in effective_settings(rules).items():
        entry: dict[str, Any] = {"value": value, "source": source}
        if source != SHIPPED and key in shipped:
            entry["shipped"] = shipped[key][0]
        valid = ranges.get(key)
        if valid is not None:
            entry["valid"] = valid.words_for(value)
        out[key] = entry
    return out


def _shipped_text(value: Any, shipped: Any) -> str:
    """The shipped value of a setting a config set, as ``config`` prints values: of a
    mapping (the wording), only the entries the config changed."""
    if isinstance(value, dict) and isinstance(shipped, dict):
        changed = {k: v for k, v in shipped.items() if value.get(k) != v}
        return _flow(changed) if changed else "the same"
    return _flow(shipped)
