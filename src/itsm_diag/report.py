"""The Report: the one structured result every renderer arranges (JSON is its dump).

Every field carries a description, so the JSON Schema (``python -m itsm_diag.schema``)
documents the whole document for a program reading it. Conventions throughout: times
are ISO 8601 in UTC with an explicit ``+00:00`` offset; a ``ratio`` is a fraction (0.25
is 25%): a share lies between 0 and 1, a change or a gap (a backlog shrink) may be negative
or above 1; hours are agent or calendar hours as each field says; a missing
value is ``null``, never a made-up default.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

SCHEMA_VERSION = 1
Status = Literal["triggered", "clear", "unknown"]
#: a band the score alone decides
Band = Literal["healthy", "gaps", "slowing", "crisis"]
#: a report's band: ``undetermined`` when its unknown signs could still move it
ReportBand = Literal["healthy", "gaps", "slowing", "crisis", "undetermined"]

#: what a ratio is, wherever a unit is described
_RATIO = ("ratio (a fraction shown as a percentage, 0.25 is 25%: a share lies between 0 and "
          "1, a change or a gap, such as the backlog shrink, may be negative or above 1)")
_UNITS = (f"count, {_RATIO}, index (a plain number that is no "
          "share of tickets, shown to two decimals: the intake fragmentation, arrivals per "
          "completion, a mean per ticket), points (a difference of two shares as a fraction, "
          "0.05 shown as 5 points: the SLA adherence gap), hours, days, weeks, per_month, "
          "per_quarter or text")


def D(text: str, **kwargs: Any) -> Any:  # reads as a field's annotation
    """A field with its description (what the JSON Schema says about it)."""
    return Field(description=text, **kwargs)


#: the sections the JSON report leaves out when they are absent (``render.json``); every
#: other field is always written, so the schema requires it
OMITTED_WHEN_NONE = ("periods", "comparison")


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_serialization_defaults_required=True)


def _sections_optional(schema: dict[str, Any]) -> None:
    """The Report's schema: the sections written only when asked for are not required."""
    schema["required"] = [k for k in schema.get("required", []) if k not in OMITTED_WHEN_NONE]


class Tool(_Model):
    """The program that wrote the report."""

    name: str = D("Always itsm-diag.", default="itsm-diag")
    version: str = D("The itsm-diag version (the package's).")


class WindowOut(_Model):
    """The period a diagnosis covers."""

    start: str = D("The first instant the window includes (UTC, ISO 8601).")
    end: str = D("The last instant the window includes (UTC, ISO 8601; the end of its last "
                 "day).")
    weeks: float = D("The window's length in weeks.")
    how_chosen: str = D("How the window was chosen (the as-of time and what it left out), "
                        "in words.")
    first_day: str = D("The window's first calendar day in tz (YYYY-MM-DD): what --since "
                       "takes to reproduce it.", default="")
    last_day: str = D("The window's last calendar day in tz (YYYY-MM-DD): what --until "
                      "takes to reproduce it.", default="")
    tz: str = D("The time zone of first_day and last_day (--tz).", default="UTC")


class InputInfo(_Model):
    """One input file (or one sheet of a workbook) and how it was read."""

    path: str = D("The file as given on the command line (input N in a redacted report).")
    tool: str = D("The exporting tool detected (servicenow, jira, zendesk, freshservice, "
                  "or a mapping's name).")
    table: str = D("The kind of records in the file (incident, change_request, ...).")
    rows: int = D("Rows the file held.")
    tickets: int = D("Tickets the file gave after collapsing audit rows and duplicates.")
    confidence: float = D("How sure the detection was, 0 to 1.", default=1.0)
    detected_by: str = D("What the detection recognised, in words.", default="")
    encoding: str | None = D("The text encoding read (CSV only).", default=None)
    delimiter: str | None = D("The CSV delimiter read (CSV only).", default=None)
    date_formats: dict[str, str] = D("The strftime pattern read for each date column.",
                                     default_factory=dict)
    column_map: dict[str, str] = D("Canonical field -> the file's column it came from.",
                                   default_factory=dict)
    warnings: list[str] = D("What was odd about the file (truncation, dropped rows...).",
                            default_factory=list)


class TicketCounts(_Model):
    """How many tickets the inputs held."""

    total: int = D("Distinct tickets after combining every input.")
    by_kind: dict[str, int] = D("Tickets by kind: incident, request, change, problem, task, "
                                "other.")
    in_window: int = D("Tickets opened in the window.", default=0)
    done_in_window: int | None = D(
        "Tickets done (resolved, else closed) in the window, whenever opened; with "
        "in_window, what the header says of the window beside total, the export's size "
        "(null in a report written before it was recorded).", default=None)


class MetricOut(_Model):
    """One measured figure of a finding: value = numerator / denominator where both apply."""

    label: str = D("The metric's name for people.")
    definition: str = D("How it is computed: scope, numerator, denominator, window.")
    unit: str = D(f"The value's unit: {_UNITS}.")
    value: float | None = D("The measured value, in unit; null when it cannot be measured.")
    numerator: float | None = D("The count (or sum) on top of the ratio, when there is one.",
                                default=None)
    denominator: float | None = D("What it is divided by, when there is one.", default=None)
    sample_ids: list[str] = D("Up to 10 ticket ids behind the figure, to check by hand.",
                              default_factory=list)


class ConditionOut(_Model):
    """One threshold condition of a rule and whether the data meets it."""

    metric: str = D("The metric compared (a key of the finding's metrics).")
    op: str = D("The comparison: <, <=, > or >=.")
    value: float = D("The threshold, in the metric's unit.")
    text: str = D("The condition in words.")
    measured: float | None = D("The metric's value (null: not measurable).")
    met: bool | None = D("Whether the condition holds; null when it cannot be measured.")
    decimals: int = D("Decimals beyond the unit's usual with which the report shows "
                      "measured, in its reason, its noise words, its table and its key "
                      "figure alike: as many as tell it from the threshold.", default=0)


class ThresholdOut(_Model):
    """How a rule's conditions decide its status."""

    combine: str = D("all: every condition must hold to trigger; any: one is enough.")
    conditions: dict[str, ConditionOut] = D("The conditions, by name.")


class NoteOut(_Model):
    """A note on the evidence, or a group of records left out and why."""

    code: str = D("A stable code for the note (the rule file words it).")
    text: str = D("The note in words.")
    count: int | None = D("How many records it concerns, when it counts some.", default=None)
    sample_ids: list[str] = D("Up to 10 ticket ids it concerns.", default_factory=list)


class SharedHours(_Model):
    """Hours of a cost an earlier sign's cost also prices: the same tickets' handle
    minutes."""

    sign: str = D("The earlier sign (a sign id; signs in their order, 1-7).")
    basis: str = D("Its cost basis that prices the same tickets' handle minutes.")
    hours_per_month: float = D("Agent hours a month of this cost that it also prices "
                               "(unrounded).")


class CostOut(_Model):
    """Agent hours a month a triggered finding costs, and how they were estimated."""

    basis: str = D("What the hours are for (a stable code; fixes name the bases they "
                   "address).")
    text: str = D("The estimate and its assumptions, in words.")
    hours_per_month: float = D("Agent hours a month (unrounded: every format rounds it "
                               "once, from this figure).")
    money_per_month: float | None = D("hours_per_month x the hourly rate, rounded to a whole "
                                      "unit once, when a rate is set.", default=None)
    count: float | None = D(
        "How many tickets (or events: handoffs, chasers) the hours rest on over the window "
        "the export covers: compare weighs a move of the hours against the chance "
        "variation of such counts. Null when the hours are no count's (logged time).",
        default=None)
    hours_shared_per_month: float = D(
        "Of hours_per_month, the hours of tickets whose handle minutes an earlier sign (in "
        "sign order) already prices: a recurring incident that is also a duplicate or "
        "change-caused. The report's hours_at_stake_per_month counts them once. Minutes "
        "that are no handle time (a chaser's, a change's extra rework) are never shared.",
        default=0.0)
    shared_with: list[SharedHours] = D(
        "The earlier signs' costs that price some of the same tickets' handle minutes, each "
        "with the hours of this cost it shares (a ticket two of them price is in both).",
        default_factory=list)


class ColumnOut(_Model):
    """One column of an evidence table, worded by the rule file."""

    label: str = D("The column's name for people.")
    unit: str = D(f"How its values read: count, {_RATIO}, hours, "
                  "days, business_days, minutes, per_month, date (YYYY-MM-DD), timestamp "
                  "(UTC, ISO 8601), text, ids (ticket ids), yes_no (a boolean) or code (a "
                  "value from values).", default="text")
    values: dict[str, str] = D("Words for the codes the column holds.",
                               default_factory=dict)


class TableOut(_Model):
    """What an evidence table (or series) is, and whether all of its rows are there."""

    title: str = D("The table's title for people.")
    columns: dict[str, ColumnOut] = D("Each column (a key of the rows), in order.",
                                      default_factory=dict)
    rows: int = D("Rows the report holds.", default=0)
    rows_total: int = D("Rows the whole table has; more than rows when the measuring "
                        "module kept only the top of it.", default=0)
    complete: bool = D("Whether the report holds every row (rows == rows_total).",
                       default=True)


class Evidence(_Model):
    """What a finding rests on."""

    summary: str = D("The evidence in one or two sentences (the rule's template filled; a "
                     "clause with no measured figure is left out unless the finding is "
                     "unknown).")
    scope: str = D("Which tickets the rule looks at.")
    window: WindowOut = D("The window the evidence covers.")
    tables: dict[str, list[dict[str, Any]]] = D(
        "Evidence tables by name: rows of plain values, described in about_tables.",
        default_factory=dict)
    series: dict[str, list[dict[str, Any]]] = D(
        "Series for charts by name (e.g. the weekly backlog), described in about_tables.",
        default_factory=dict)
    about_tables: dict[str, TableOut] = D(
        "Each table and series: title, column labels and units, and whether it is "
        "complete.", default_factory=dict)
    excluded: list[NoteOut] = D("Records in scope that could not be used, and why.",
                                default_factory=list)
    notes: list[NoteOut] = D("Notes on the data behind the finding.", default_factory=list)
    costs: list[CostOut] = D("Hours at stake, when the finding is triggered.",
                             default_factory=list)


class KeyFigure(_Model):
    """The one figure that sums a finding up (the one that decided it)."""

    metric: str = D("The metric it shows (a key of metrics).")
    label: str = D("The figure's name for people.")
    unit: str = D(f"The value's unit: {_UNITS}.")
    value: float | None = D("The value as the label reads it: a metric with a label for "
                            "negative values (a shrink that is growth) is given by its "
                            "size; metrics[metric].value keeps the sign.")
    decimals: int = D("Decimals beyond the unit's usual with which the report shows the "
                      "value: its condition's decimals (the same figure in the reason and "
                      "the tables), 0 when no condition compares it.", default=0)


class DriverOut(_Model):
    """One driver of a bad outcome: tickets with ``attribute`` = ``value`` have it at
    least ``lift`` times as often as the other tickets (see the drivers analysis)."""

    outcome: str = D("The outcome's id: sla_breach, reopen, reassigned, bounce or "
                     "long_resolution.")
    outcome_label: str = D("The outcome in words.")
    attribute: str = D("first_group, assignment_group, category, channel or priority.")
    attribute_label: str = D("The attribute in words.")
    value: str = D("The attribute's value where the outcome concentrates.")
    tickets: int = D("Tickets with the value whose outcome is known.")
    with_outcome: int = D("Of them, how many had the outcome.")
    rate: float = D("with_outcome / tickets (a ratio).")
    others: int = D("The other tickets whose outcome and attribute are known.")
    others_with_outcome: int = D("Of them, how many had the outcome.")
    rate_elsewhere: float = D("others_with_outcome / others (a ratio).")
    lift: float = D("rate / rate_elsewhere; where fewer than the drivers' min_events "
                    "outcomes fall elsewhere, a lower bound: the lift with that many there, "
                    "and at least min_lift (the text says \"more than\").")
    text: str = D("The driver in one sentence, with its counts.")
    sample_ids: list[str] = D("Tickets with the value that had the outcome.",
                              default_factory=list)


class NoiseOut(_Model):
    """The sampling interval of a condition's figure: a share of counted tickets, a share
    of logged hours (on the tickets' effective number), a gap of two shares, or a count
    over a span of time."""

    metric: str = D("The metric (a key of the finding's metrics).")
    level: float = D("The interval's two-sided level (defaults.noise_level, 0.9 is 90%).")
    low: float = D("The interval's lower end, in the metric's unit.")
    high: float = D("The interval's upper end, in the metric's unit.")
    method: Literal["wilson", "wilson_effective_n", "newcombe", "poisson",
                    "poisson_difference", "trend"] = D(
        "wilson: the Wilson score interval of numerator of denominator tickets; "
        "wilson_effective_n: the same on the effective number of tickets behind a share of "
        "hours (the metric <metric>_effective_n); newcombe: Newcombe's hybrid score "
        "interval of the difference of two shares of tickets; poisson: the Poisson score "
        "interval of a rate's count (its numerator) over its span (its denominator); "
        "poisson_difference: the score interval of a rate's count that is a difference of "
        "two Poisson counts (changes' incidents after changes less those in the same spans "
        "before them, by chance), not below zero, over its span; "
        "trend: the t interval of a change read off a trend line (the backlog's shrink), "
        "from the line's slope error over its week ends.")
    n: float = D("The tickets the interval stands on: the denominator, the effective "
                 "number, both groups' tickets for a gap, or a rate's count (for a "
                 "difference, both counts); for a trend, its week ends.")
    threshold: float = D("The condition's threshold, in the metric's unit.")
    within: bool = D("Whether the threshold lies inside the interval: a figure at either "
                     "end would grade the finding otherwise.")


class Finding(_Model):
    """One sign or extra check, graded."""

    id: str = D("The rule id (backlog, recurrence, ... or an extra check's id).")
    number: int | None = D("The sign's number, 1-7; null for an extra check.", default=None)
    title: str = D("The sign as a statement for people.")
    question: str = D("The diagnostic question the sign answers.")
    status: Status = D("triggered: the statement holds; clear: it does not; unknown: the "
                       "export cannot tell (never counted as clear).")
    confidence: Literal["high", "medium", "low"] = D(
        "How far the verdict can be trusted: low when thin or indirect evidence carries "
        "it, one ticket would flip it, or it is within noise (within_noise); always low "
        "for an unknown finding (there is no verdict to trust).")
    within_noise: bool = D(
        "The verdict is within sampling noise: a threshold it is graded on lies inside its "
        "figure's sampling interval (noise), so another window of the same process could "
        "read either way. Its confidence is low, and compare's --fail-on-increase does "
        "not fire on its change.", default=False)
    noise: dict[str, NoiseOut] = D(
        "The sampling interval of each condition whose figure has one (a share of counted "
        "tickets, strategy's share of logged hours, a gap of two shares), by condition "
        "name; empty for an unknown finding.", default_factory=dict)
    self_assessed: bool = D("The status comes from an answers file, not from the data.",
                            default=False)
    key_figure: KeyFigure = D("The figure that sums the finding up.")
    metrics: dict[str, MetricOut] = D("Every figure measured, by metric key.")
    threshold: ThresholdOut = D("The conditions and whether each holds.")
    params: dict[str, Any] | None = D(
        "Every param of the rule in force when it was measured (the rule file's, after the "
        "configuration's overrides), by name: compare grades a sign measured under other "
        "values not comparable, as it does one graded under another threshold; null in a "
        "report made before they were recorded.", default=None)
    evidence: Evidence = D("What the finding rests on.")
    hours_at_stake_per_month: float | None = D(
        "Agent hours a month the finding costs (the sum of its costs, unrounded); only on "
        "triggered findings, else null.")
    hours_shared_per_month: float | None = D(
        "Of hours_at_stake_per_month, the hours of tickets whose handle minutes an earlier "
        "sign (in sign order) already prices (the sum of its costs' "
        "hours_shared_per_month): never add them up again. Null when the finding has no "
        "hours.", default=None)
    hours_shared_with: dict[str, float] = D(
        "The earlier signs that price some of the same tickets' handle minutes, by sign id, "
        "with the hours of this finding each also prices.", default_factory=dict)
    reason: str = D("Why the finding has its status, in words (a clear one names the "
                    "conditions that failed after 'Not met:', a triggered one those that "
                    "held after 'Met:').")
    what_would_answer: str | None = D("For an unknown finding: the data that would answer "
                                      "it.", default=None)
    drivers: list[DriverOut] = D(
        "Where the bad outcome this sign or check looks at is most likely (the drivers "
        "analysis): each driver in words, with its counts.", default_factory=list)


class AnalysisTable(_Model):
    """An analysis table: its label, how it is computed, its columns' labels and its rows
    (each row's ``sample_ids`` name tickets)."""

    label: str = D("The table's name for people.")
    definition: str = D("How the table is computed: scope, what each row counts.")
    columns: dict[str, str] = D("Column key -> label, in display order (keys of the rows).")
    n: int | None = D("Tickets behind the table (the analysis's scope), where known.",
                      default=None)
    rows: list[dict[str, Any]] = D("The rows, plain values.", default_factory=list)
    total_rows: int | None = D("Rows before the report kept only the first ones; null when "
                               "every row is here.", default=None)


class AnalysisOut(_Model):
    """One analysis (flow, text clusters, drivers, action list, forecast): measured and
    worded from its rule file, never graded. ``unknown`` says why the export cannot
    answer it."""

    id: str = D("flow, text-clusters, drivers, actions or forecast.")
    title: str = D("The analysis's title for people.")
    question: str = D("The question it answers.")
    status: Literal["measured", "unknown"] = D(
        "measured, or unknown when the export lacks the evidence (see reason).")
    reason: str = D("What it shows, or why it cannot be answered from this export.")
    scope: str = D("Which tickets it looks at.")
    metrics: dict[str, MetricOut] = D("Its figures, by key, each with its definition.",
                                      default_factory=dict)
    tables: dict[str, AnalysisTable] = D("Its tables, by key.", default_factory=dict)
    notes: list[NoteOut] = D("Data notes and the assumptions behind its figures.",
                             default_factory=list)
    excluded: list[NoteOut] = D("Records it could not use, and why.", default_factory=list)


class FixOut(_Model):
    """One fix of the fix plan."""

    rank: int = D("Position in the plan, 1 first.")
    sign: str = D("The sign it fixes (a sign id; a check's id in check_fixes).")
    id: str = D("The fix's id in the sign's rule file.")
    action: str = D("What to do, in words.")
    horizon: Literal["quick", "structural"] = D(
        "quick: results within 30 days; structural: pays back after 60-90 days.")
    hours_at_stake_per_month: float | None = D(
        "Agent hours a month the fix addresses (the sum of its bases' unrounded hours); "
        "null when it addresses none measured.")
    money_per_month: float | None = D("Those hours x the hourly rate, rounded to a whole unit "
                                      "once, when a rate is set.", default=None)
    why_here: str = D("Why the fix sits at its rank, in words.")
    shares_hours_with: list[int] = D(
        "Ranks of earlier fixes that address some of the same hours (a basis of the same "
        "sign, or another sign's basis that prices some of the same tickets' handle "
        "minutes): never add them up.", default_factory=list)


class Kpis(_Model):
    """The core KPI panel."""

    time_to_resolve_hours: dict[str, int | float | None] = D(
        "Calendar hours from opened to done (time waiting on the requester or a third "
        "party included) for incidents and requests done in the window: median, "
        "p90 (90th percentile) and n (tickets measured).", default_factory=dict)
    first_assignment_resolution: float | None = D(
        "Ratio (0-1) of done incidents and requests never reassigned.", default=None)
    sla_adherence: float | None = D("Ratio (0-1) of done incidents and requests that met "
                                    "their SLA.", default=None)
    counts: dict[str, dict[str, int]] = D(
        "The tickets behind each share KPI (first_assignment_resolution, sla_adherence): "
        "numerator and denominator, by KPI key; what a comparison weighs a move on.",
        default_factory=dict)
    volume_by_category: dict[str, int] = D(
        "Incidents and requests opened in the window, by category (the top 15; the rest "
        "as '(other)', blanks as '(blank)'); a request of a table with no category field "
        "(ServiceNow's requested items) by its catalogue item, labelled '<item> "
        "(catalogue item)'.", default_factory=dict)
    backlog_weekly: list[dict[str, Any]] = D(
        "Incidents and requests at each week end: week_end (timestamp), arrivals, "
        "completions and open (counts); no open (nor trend) where the extract's shape "
        "leaves no week's backlog to rebuild.", default_factory=list)
    notes: list[str] = D("Why a KPI could not be computed, in words.", default_factory=list)
    labels: dict[str, str] = D(
        "Each KPI's name for people, by KPI key (the rules word them; a config can "
        "rename them).", default_factory=dict)
    definitions: dict[str, str] = D(
        "How each KPI is computed (scope, numerator, denominator, window, what was left "
        "out), by KPI key.", default_factory=dict)
    backlog: dict[str, float | None] = D(
        "The backlog as the backlog sign measured it: start and end (levels of a robust "
        "trend, tickets), shrink (ratio; negative means it grew), open_now (tickets "
        "open where backlog_open_at says: the window end, or the data's end) and "
        "waiting_now (of those, the tickets waiting on the caller or a third party, "
        "status pending; null where no open ticket's status then is known).",
        default_factory=dict)
    reliable: dict[str, bool] = D(
        "Whether the export supports each KPI reliably (the reporting sign's verdict; the "
        "time to resolve is not reliable either when the export does not reach back "
        "before the window's start), by KPI key.", default_factory=dict)
    caveats: dict[str, str] = D("Why a KPI is not reliable, by KPI key.",
                                default_factory=dict)
    targets: dict[str, float] = D(
        "Targets set in the configuration (kpi_targets), by KPI key: time_to_resolve_hours "
        "(median hours, at most), first_assignment_resolution and sla_adherence (ratios, "
        "at least).", default_factory=dict)
    targets_met: dict[str, bool | None] = D(
        "Whether each target in targets is met, by KPI key: time_to_resolve_hours by its "
        "median, the shares by their value; null where the KPI has no value or is not "
        "reliable (reliable false).", default_factory=dict)
    target_texts: dict[str, str] = D(
        "Each target in targets in words, with the figure it is held against and whether "
        "it is met ('median at most 24.0 h: met (19.1 h)'), by KPI key: what every format "
        "shows beside the KPI, and its definition repeats.", default_factory=dict)
    decimals: dict[str, int] = D(
        "Decimals beyond the unit's usual with which each KPI held against a target is "
        "shown, in its value and its target text alike (the median for "
        "time_to_resolve_hours), by KPI key: as many as tell it from the target (77.52% "
        "beside at least 77.53%, not 78%).", default_factory=dict)
    backlog_open_at: str = D(
        "Where the backlog's open tickets (backlog.open_now) are counted, as every format "
        "says it: 'the window end', or 'the data's end (2026-09-30)' when a --until reaches "
        "past the data.", default="")
    volume_words: dict[str, str] = D(
        "The words every format's volume by category uses: other, the key of "
        "volume_by_category that holds the tickets beyond its top 15 (no category: never "
        "ranked among them); rest, what the categories shown end with, the tickets "
        "opened in the window beyond them ('the rest: 1,940').", default_factory=dict)


class EffortOut(_Model):
    """One ticket kind's handle minutes as the hours at stake price it."""

    minutes: float = D("Agent minutes a ticket of the kind is priced at.")
    source: Literal["logged", "default"] = D(
        "logged: the median time logged on the window's done tickets of the kind (enough of "
        "them log time: defaults.logged_time_share, logged_time_min_tickets); default: "
        "handle_minutes.")
    done: int = D("The window's done tickets of the kind.")
    logged: int = D("Of them, those that log time (above zero).")
    text: str = D("The same in words, as the cost lines say it.")


class Assumptions(_Model):
    """What every hours figure rests on."""

    handle_minutes: dict[str, float] = D("Agent minutes per ticket, by kind (the defaults in "
                                         "force; effort gives the minutes priced).")
    effort: dict[str, EffortOut] = D(
        "Per ticket kind, the handle minutes every handle-time cost prices (automation, "
        "recurring, duplicates, change-caused): its median logged time, or handle_minutes.",
        default_factory=dict)
    hourly_rate: float | None = D("Money per agent hour, when set.")
    currency: str = D("The currency of every money figure.")
    overrides: dict[str, str] = D("Settings the configuration changed -> where from.",
                                  default_factory=dict)
    cost_params: dict[str, float] = D(
        "The rule params the hours rest on (minutes, targets), by config key "
        "(signs.<id>.params.<name>, checks.<id>.params.<name>): compare weighs hours "
        "made under other values as it does other handle minutes.", default_factory=dict)
    measuring: dict[str, Any] | None = D(
        "The global defaults in force that decide what is measured, by key (weekmask, "
        "holidays, catch_all_categories, vague_summaries, vague_filler_words, shape, "
        "active_week_share, tail_weeks, ttr_closed_share, noise_level): compare names any "
        "that differ, and a changed calendar or word list (weekmask, holidays, "
        "catch_all_categories, vague_summaries, vague_filler_words) leaves every sign not "
        "comparable; null in a report made before they were recorded.", default=None)


class PeriodOut(_Model):
    """One calendar period of a ``--period`` run: its own window, diagnosed alone.

    A period the data covers only in part is ``partial``: it is not graded (no score,
    band range or triggered signs; band ``undetermined``), as a whole one would be."""

    label: str = D("The period: YYYY-MM for a month, YYYY-Qn for a quarter.")
    start: str = D("Its first instant (UTC, ISO 8601).")
    end: str = D("Its last instant (UTC, ISO 8601).")
    score: int | None = D("Signs triggered in the period; null for a partial period, "
                          "which is not graded.")
    band: ReportBand = D("The period's band, stated only when its unknown signs cannot move "
                         "it and the period is whole; otherwise 'undetermined'.")
    band_range: list[Band] | None = D(
        "[band of the score, band of score + unknown]: where the period's band lies; null "
        "for a partial period.", min_length=2, max_length=2)
    triggered: list[str] = D("Ids of the signs triggered (none listed for a partial period: "
                             "a sign measured on part of a period is no verdict on it).")
    unknown: int | None = D("Signs the period's data cannot answer; null for a partial "
                            "period.")
    partial: bool = D("True when the data covers less than the whole period (it starts "
                      "after the period's first day or ends before its last): the period is "
                      "diagnosed over the days covered and not graded (band "
                      "'undetermined').", default=False)
    coverage: float = D("Share (0-1) of the period's days the data covers.", default=1.0)


# ---- comparison with a baseline report (built by itsm_diag.compare) ---------------------

SignChangeKind = Literal["appeared", "cleared", "now_unknown", "now_measured", "unchanged"]
Direction = Literal["better", "worse", "same"]


class ReportRef(_Model):
    """Which report a comparison side is: enough to tell two runs apart."""

    as_of: str = D("The report's as-of time (UTC, ISO 8601).")
    window_start: str = D("Its window's first instant.")
    window_end: str = D("Its window's last instant.")
    version: str = D("The itsm-diag version that wrote it.")
    score: int = D("Its score.")
    band: ReportBand = D("Its band.")
    band_range: list[Band] | None = D(
        "Where its band lies ([band of the score, band of score + unknown]); null in a "
        "comparison with a report that did not record it.", default=None,
        min_length=2, max_length=2)


class SignChange(_Model):
    """One sign, then and now."""

    id: str = D("The sign id.")
    number: int | None = D("The sign's number.", default=None)
    title: str = D("The sign as a statement for people; it says so when a status is "
                   "self-assessed (self_assessed_old, self_assessed_new).")
    old: Status | None = D("Its status in the baseline (null: absent there).")
    new: Status | None = D("Its status now (null: absent now).")
    change: SignChangeKind = D("appeared (newly triggered), cleared, now_unknown, "
                               "now_measured (clear now, unknown before) or unchanged. "
                               "An answer never makes a sign cleared or appeared: a status "
                               "self-assessed now is now_unknown (the data cannot tell), "
                               "one self-assessed in the baseline counts as unknown there, "
                               "and the same status on both sides is unchanged.")
    hours_old: float | None = D("Agent hours a month at stake in the baseline.", default=None)
    hours_new: float | None = D("Agent hours a month at stake now.", default=None)
    thresholds_changed: list[str] = D(
        "Its threshold conditions whose value differs between the two reports (a config "
        "moved them; settings says from what to what).", default_factory=list)
    params_changed: list[str] = D(
        "Its params whose value differs between the two reports (settings says from what "
        "to what), a param a configuration overrides in one report only or from another "
        "source where a report does not record the values (overrides names it), and "
        "defaults.<key> for a changed global default every sign reads (weekmask, "
        "holidays, the category and summary word lists): it was measured under other "
        "rules.", default_factory=list)
    self_assessed_old: bool = D("Its status in the baseline comes from an answers file, "
                                "not from the data.", default=False)
    self_assessed_new: bool = D("Its status now comes from an answers file, not from the "
                                "data.", default=False)
    within_noise: bool = D(
        "It appeared or cleared, and its verdict now is within noise (the finding's "
        "within_noise; the baseline's does not decide): the move may be chance, and "
        "--fail-on-increase does not fire on it.", default=False)
    comparable: bool = D(
        "False when the sign is unknown, absent or self-assessed in either report, or was "
        "graded under a changed threshold or measured under changed params "
        "(thresholds_changed, params_changed): its move is not the process moving, so it is "
        "left out of hours_at_stake and of the score's and band's direction (a "
        "self-assessed status never sets increased either).", default=True)


class SettingChange(_Model):
    """A value a report was made with that differs in the other report: a threshold, a
    param, a cost assumption, a KPI target or a global default that decides what is
    measured (each report records these values)."""

    key: str = D("The setting as a config key: signs.<id>.thresholds.<name>, "
                 "checks.<id>.thresholds.<name>, signs.<id>.params.<name>, "
                 "checks.<id>.params.<name>, defaults.handle_minutes.<kind>, "
                 "defaults.hourly_rate, defaults.currency, defaults.kpi_targets.<kpi> or "
                 "defaults.<key> (assumptions.measuring).")
    finding: str | None = D("The sign or check it grades or measures, for a threshold or "
                            "a param.", default=None)
    old: Any = D("Its value in the baseline (a number, text, list or mapping; null: not "
                 "set there).")
    new: Any = D("Its value now (null: not set).")


class Delta(_Model):
    """A number then and now; ``direction`` says whether the move is good news."""

    name: str = D("A stable key for the figure.")
    label: str = D("The figure's name for people.")
    unit: str = D(f"The unit of old, new and delta: {_UNITS}.")
    old: float | None = D("The baseline's value.")
    new: float | None = D("The value now.")
    delta: float | None = D("new - old (0 when the move is smaller than what is shown).")
    direction: Direction | None = D(
        "better, worse or same (a move smaller than the shown precision is same); null "
        "for a figure with no good direction, a move the reports cannot weigh, and a move "
        "that is not like for like (the score or hours moved by signs measured on one side "
        "only or graded under changed thresholds or params, hours under other handle "
        "minutes, or no sign compared).",
        default=None)


class Comparison(_Model):
    """What changed between a baseline report and a newer one (see itsm_diag.compare)."""

    baseline: ReportRef = D("The earlier report.")
    current: ReportRef = D("The newer report.")
    score: Delta = D("The score then and now.")
    band_old: ReportBand = D("The baseline's band.")
    band_new: ReportBand = D("The band now.")
    band_direction: Direction | None = D(
        "Whether the band (of the score, the lower end) moved for the better: better, "
        "worse or same; null when it moved but not like for like: a sign that moved it is "
        "unknown or absent in one report, or was graded under a changed threshold or "
        "measured under changed params, or an "
        "answer (a self-assessed status) moved or settled it, or only signs that appeared "
        "or cleared within noise moved it (direction_note says which).")
    direction_note: str = D("Why the band's and the score's direction is null, in words; "
                            "empty when it is not.", default="")
    appeared: list[str] = D("Ids of signs triggered now and not in the baseline (a "
                            "self-assessed status now is never one).")
    cleared: list[str] = D("Ids of signs triggered in the baseline and clear now (a "
                           "self-assessed status on either side is never one).")
    signs: list[SignChange] = D("Every sign, then and now.")
    kpis: list[Delta] = D("The KPIs then and now.")
    hours_at_stake: Delta = D(
        "Agent hours a month at stake, then and now, over the comparable signs only "
        "(signs[].comparable): a sign measured on one side only, self-assessed on either, "
        "or graded under a changed threshold or params, is left out (hours_left_out), and "
        "so is a sign triggered in both but priced in one only, so hours that fell because "
        "a sign turned unknown or lost its price are not called better. When no sign "
        "triggered on either side is compared while some are left out, the label says no "
        "sign was compared and the move has no direction.")
    hours_left_out: list[str] = D("Ids of the signs with hours at stake on either side "
                                  "left out of hours_at_stake: not comparable, or triggered "
                                  "in both but priced in one only.", default_factory=list)
    settings: list[SettingChange] = D(
        "Thresholds, params, cost assumptions, KPI targets and the global defaults that "
        "decide what is measured whose value differs between the two reports (a note "
        "words them).", default_factory=list)
    increased: bool = D("The --fail-on-increase verdict: the score rose or a sign is newly "
                        "triggered; the scores are counted without the signs self-assessed "
                        "in either report and without the signs that appeared or cleared "
                        "within noise (signs[].within_noise) or measured under changed params "
                        "(signs[].params_changed), an answer never makes a sign newly "
                        "triggered, and a sign newly triggered within noise or under "
                        "changed params does not count.")
    notes: list[str] = D("Reasons to read the deltas with care (different tools, ticket "
                         "populations, windows, versions or settings).",
                         default_factory=list)


class Report(_Model):
    """An itsm-diag diagnosis: the seven signs, the score and band, the evidence, the KPI
    panel and the fix plan."""

    model_config = ConfigDict(extra="forbid", json_schema_serialization_defaults_required=True,
                              json_schema_extra=_sections_optional)

    schema_version: int = D("The version of this document's layout: a reader (compare, "
                            "--baseline) refuses any other.", default=SCHEMA_VERSION,
                            json_schema_extra={"const": SCHEMA_VERSION})
    generated_by: Tool = D("The program that wrote it.")
    title: str = D("The report's title (--title); empty for the default.", default="")
    client: str = D("Who the report is for (--client); empty when not given.", default="")
    as_of: str = D("The time the report describes the process at (UTC, ISO 8601): the "
                   "window's end.")
    window: WindowOut = D("The period diagnosed.")
    inputs: list[InputInfo] = D("Every input file read, in order.")
    tickets: TicketCounts = D("Ticket counts: in total, by kind and in the window.")
    score: int = D("Signs triggered, 0-7 (unknown signs are not counted).")
    band: ReportBand = D(
        "healthy (0-1 triggered), gaps (2-3), slowing (4-5) or crisis (6-7), stated only "
        "when the unknown signs cannot move it; otherwise 'undetermined' (band_range says "
        "where it lies). --fail-on compares the triggered count, the lower end.")
    band_range: list[Band] = D(
        "[band of score, band of score + unknown]: the lowest and highest band the report "
        "can have whatever the unknown signs turn out to be.", min_length=2, max_length=2)
    band_range_within_noise: list[Band] | None = D(
        "[band of score - triggered signs within noise, band of score + unknown + clear "
        "signs within noise]: band_range widened by the verdicts within sampling noise "
        "(within_noise), each read the other way. Differs from band_range when noise alone "
        "could move the band, and band_text then says so. Null in reports written before "
        "it was added.", default=None, min_length=2, max_length=2)
    band_text: str = D("The band in a sentence.")
    unknown: int = D("Signs the export cannot answer.")
    score_max_if_unknown_apply: int = D("score + unknown.")
    self_assessed: int = D("Signs whose status comes from an answers file.", default=0)
    signs: list[Finding] = D("The seven signs, in order: backlog, recurrence, reporting, "
                             "trust, changes, onboarding, strategy.")
    checks: list[Finding] = D("The extra checks (not counted in the score).")
    kpis: Kpis = D("The core KPIs: time to resolve, first-assignment resolution, SLA "
                   "adherence, volume by category and the backlog.")
    fixes: list[FixOut] = D("The fix plan, best first.")
    check_fixes: list[FixOut] = D(
        "What to do about the triggered extra checks, ranked as the plan is (sign: the "
        "check's id; rank within this list); shown with each check, never in the fix "
        "plan or its hours, as the checks are not in the score.", default_factory=list)
    hours_at_stake_per_month: float | None = D(
        "Agent hours a month at stake over the triggered signs, each ticket's handle "
        "minutes counted once: the sum of their hours_at_stake_per_month less their "
        "hours_shared_per_month (unrounded). Null when no triggered sign has hours.",
        default=None)
    money_per_month: float | None = D("Those hours x the hourly rate, rounded to a whole unit "
                                      "once, when a rate is set.", default=None)
    hours_note: str = D(
        "When triggered signs price some of the same tickets' handle minutes: the total "
        "counted once and which signs share which hours, in words; empty otherwise.",
        default="")
    data_notes: list[str] = D("Notes on the data as a whole, in words.",
                              default_factory=list)
    extract_shape: dict[str, dict[str, Any]] = D(
        "How the extract was cut, seen before grading, by shape code with its numbers "
        "(closure_selected: weeks of arrivals without completions, then the completions; "
        "none_open: (next to) no ticket open at the cut while the flow predicts many "
        "(open_at_cut, expected_open); open_only: not one ticket done; one_instant: every "
        "opened and done time within hours (first, last, hours); no_done_times: tickets "
        "done by their status, not one with a resolved or closed time (done, done_share); "
        "gap: whole weeks without an arrival between weeks of a steady flow, a missing "
        "file (last_before, first_after, days, weeks, per_week: the quieter side's "
        "arrivals a week over its side_weeks weeks, expected); "
        "each with total tickets; every_nth: one tool's ticket numbers of one prefix step "
        "by one k >= 2 over nearly every gap, an every-Nth sample (source, prefix, first, "
        "last, step, at_step, gaps, tickets, share; sampled and scope: the incidents and "
        "requests in the sequences that step so, and in the export); one_group, one_channel: every "
        "incident and request carries one value of that field (value, tickets); "
        "updated_since, source_ends and starts_late as their data notes say). Signs and "
        "figures the shape biases are unknown; the data notes word it.",
        default_factory=dict)
    assumptions: Assumptions = D("The handle minutes and hourly rate behind every hours "
                                 "figure.")
    redacted: bool = D("People are pseudonyms and ticket text and input names are removed "
                       "(--redact).", default=False)
    analyses: dict[str, AnalysisOut] = D(
        "Where work flows, what recurs, what to act on, the backlog's forward look, by id "
        "(flow, text-clusters, drivers, actions, forecast); never graded or scored.",
        default_factory=dict)
    periods: list[PeriodOut] | None = D(
        "--period: one diagnosis per calendar period, oldest first (absent otherwise).",
        default=None)
    comparison: Comparison | None = D("--baseline: what changed since the baseline report "
                                      "(absent otherwise).", default=None)
