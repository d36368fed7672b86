"""Review 19a D1-D3: flags in other languages' words, and a mapping's own polarity.

D1: a ServiceNow ``made_sla`` written ``wahr/falsch`` (a German Excel's re-save) or ``Ja/Nee``
was dropped without a word: SLA adherence n/a, the reporting sign triggered on a
"configuration gap" ("attach an SLA to every ticket"), and with ``Ja`` read beside an
unread ``Nee`` a data note called the flag the tool's default ("true on all ... tickets
that carry it"). The words are now read; a word still unread is counted in the file's
warnings and leaves the KPI "unread", not missing; the default is judged after it.

D2: ServiceNow's boolean ``knowledge`` flag kept a word it could not read (``falsch``,
``Nee``) as an article id: 100% of resolved incidents "referenced an article" where 11% did.

D3: a mapping's ``values.sla_met`` that inverts the column (the README's ``SLA breached``,
``Yes: false``) had the values it does not list (``Y``/``N``) read as yes = met: adherence
27% where it is 73%.

Each export is built here from synth and the ServiceNow writer, its English twin the
control, and every figure is recounted with pandas from the English files.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest

from itsm_diag import api, synth
from itsm_diag import model as m
from itsm_diag.report import Finding, Report
from itsm_diag.writers.servicenow import write_servicenow

TABLES = ("incident", "sc_req_item")
DONE_STATES = {"Closed", "Resolved", "Closed Complete", "Closed Incomplete"}


def _sign(report: Report, sign: str) -> Finding:
    return next(f for f in report.signs if f.id == sign)


def _check(report: Report, check: str) -> Finding:
    return next(f for f in report.checks if f.id == check)


def _warnings(report: Report) -> str:
    return " | ".join(w for i in report.inputs for w in i.warnings)


@pytest.fixture(scope="module")
def english(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Incidents and requested items of a synth desk, as ServiceNow writes them."""
    data = synth.generate(1200, seed=11, weeks=26, conditions=synth.Conditions())
    out = tmp_path_factory.mktemp("sn") / "en"
    write_servicenow(data.tickets, None, out, tables=TABLES)
    return out


def _variant(english: Path, out: Path, edit: Callable[[str, pd.DataFrame], pd.DataFrame]
             ) -> Path:
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    for p in sorted(english.glob("*.csv")):
        frame = pd.read_csv(p, dtype=str, keep_default_na=False)
        edit(p.name, frame).to_csv(out / p.name, index=False)
    return out


def _sla_words(yes: str, no: str) -> Callable[[str, pd.DataFrame], pd.DataFrame]:
    """A list view without due_date and reassignment_count, made_sla in ``yes``/``no``."""
    def edit(_: str, frame: pd.DataFrame) -> pd.DataFrame:
        frame = frame.drop(columns=[c for c in ("due_date", "reassignment_count")
                                    if c in frame])
        frame["made_sla"] = frame["made_sla"].replace({"true": yes, "false": no})
        return frame
    return edit


def _done_in_window(english: Path, report: Report, *, cancelled: bool = False,
                    people: bool = False) -> pd.DataFrame:
    """Pandas: the incidents and requested items done in the report's window (the
    cancelled ones too, as the reporting sign's fill counts them, or not, as the KPI
    panel and the knowledge check: review 20a),
    with their made_sla as the English files write them; with ``people``, those a person
    raised (a monitoring or API contact type is a machine's, which the KPIs and the
    knowledge check leave out)."""
    start = pd.Timestamp(report.window.start)
    end = pd.Timestamp(report.window.end)
    frames = []
    for p in sorted(english.glob("*.csv")):
        f = pd.read_csv(p, dtype=str, keep_default_na=False)
        done = pd.to_datetime(f.get("resolved_at", pd.Series("", index=f.index))
                              .replace("", None), utc=True)
        done = done.fillna(pd.to_datetime(f["closed_at"].replace("", None), utc=True))
        states = DONE_STATES | ({"Canceled"} if cancelled else set())
        keep = f["state"].isin(states) & (done >= start) & (done <= end)
        if people and "contact_type" in f:
            keep &= ~f["contact_type"].isin(["Monitoring", "API"])
        frames.append(f[keep].assign(table=p.stem))
    return pd.concat(frames, ignore_index=True)


@pytest.fixture(scope="module")
def sla_runs(english: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Report]:
    root = tmp_path_factory.mktemp("sla")
    words = {"en": ("true", "false"), "de": ("WAHR", "FALSCH"), "fr": ("vrai", "faux"),
             "nl": ("Ja", "Nee"), "unread": ("DOGRU", "YANLIS"), "half": ("true", "nope")}
    return {lang: api.diagnose_paths(
        [_variant(english, root / lang, _sla_words(*pair))], api.RunOptions())
        for lang, pair in words.items()}


def test_localised_made_sla_reads_as_the_english_twin(english: Path,
                                                      sla_runs: dict[str, Report]) -> None:
    en = sla_runs["en"]
    truth = _done_in_window(english, en, people=True)
    met, n = int((truth["made_sla"] == "true").sum()), len(truth)
    assert n > 200
    assert en.kpis.counts["sla_adherence"]["numerator"] == met
    assert en.kpis.counts["sla_adherence"]["denominator"] == n
    for lang in ("de", "fr", "nl"):
        run = sla_runs[lang]
        # before: n/a, "configuration gap", reporting triggered on 2 KPIs missing
        assert run.kpis.sla_adherence == pytest.approx(met / n)
        assert run.kpis.counts["sla_adherence"]["numerator"] == met
        assert run.kpis.counts["sla_adherence"]["denominator"] == n
        assert _sign(run, "reporting").status == _sign(en, "reporting").status
        assert (_sign(run, "reporting").metrics["kpis_missing"].value
                == _sign(en, "reporting").metrics["kpis_missing"].value == 1)
        assert run.score == en.score
        assert "made_sla" not in _warnings(run)
        assert not any("made_sla" in str(n) for n in run.data_notes)


def test_an_unread_made_sla_is_unread_not_a_configuration_gap(
        english: Path, sla_runs: dict[str, Report]) -> None:
    run = sla_runs["unread"]
    truth = _done_in_window(english, run, cancelled=True)
    sign = _sign(run, "reporting")
    row = next(r for r in sign.evidence.tables["kpis"] if r["kpi"] == "sla_adherence")
    assert (row["gap"], row["detail"]) == ("unread", "sla_unread")
    assert sign.metrics["configuration_gaps"].value == 0
    assert sign.metrics["kpis_missing"].value == 1       # first-assignment resolution only
    assert sign.metrics["kpis_unread"].value == 1
    # counting it as missing would make 2 and trigger the sign: unknown, not clear
    assert sign.status == "unknown"
    assert f"{len(truth):,} of the done tickets carry a made-SLA flag" in sign.reason
    assert "attach an SLA" not in " ".join(f.action for f in run.fixes)
    # every unread value counted in the files' warnings, by word
    incidents = pd.read_csv(english / "incident.csv", dtype=str, keep_default_na=False)
    n_yes = int((incidents["made_sla"] == "true").sum())
    assert (f"made_sla: {len(incidents):,} tickets with values that are not yes/no, left "
            "empty") in _warnings(run)
    assert f"'DOGRU' ({n_yes:,})" in _warnings(run)
    notes = " ".join(run.kpis.notes)
    assert "could not read" in notes and "no value for it" not in notes.split("SLA")[-1]


def test_one_value_read_beside_unread_ones_is_no_tool_default(
        english: Path, sla_runs: dict[str, Report]) -> None:
    run = sla_runs["half"]
    truth = _done_in_window(english, run, people=True)
    met, n = int((truth["made_sla"] == "true").sum()), len(truth)
    # before: "made_sla is true on all N tickets that carry it: ... the tool's default",
    # the flag emptied and the KPI a configuration gap
    assert not any("made_sla" in str(note) for note in run.data_notes)
    assert run.kpis.counts["sla_adherence"]["numerator"] == met
    assert run.kpis.counts["sla_adherence"]["denominator"] == met  # the read ones: all true
    row = next(r for r in _sign(run, "reporting").evidence.tables["kpis"]
               if r["kpi"] == "sla_adherence")
    assert (row["gap"], row["detail"]) == ("unread", "sla_unread")
    assert met / n < 0.9
    assert "made_sla: " in _warnings(run) and "'nope'" in _warnings(run)


@pytest.fixture(scope="module")
def kb_runs(english: Path, tmp_path_factory: pytest.TempPathFactory
            ) -> tuple[dict[str, Report], pd.Series]:
    """The standard boolean knowledge flag (the custom article column dropped), 10% of
    incidents linked, in English, German, Dutch and unread words."""
    incidents = pd.read_csv(english / "incident.csv", dtype=str, keep_default_na=False)
    flag = pd.Series(["true" if i % 10 == 3 else "false" for i in range(len(incidents))])
    root = tmp_path_factory.mktemp("kb")

    def words(yes: str, no: str) -> Callable[[str, pd.DataFrame], pd.DataFrame]:
        def edit(name: str, frame: pd.DataFrame) -> pd.DataFrame:
            if name == "incident.csv":
                frame = frame.drop(columns=["u_knowledge_article"])
                frame["knowledge"] = flag.replace({"true": yes, "false": no}).to_numpy()
            return frame
        return edit

    langs = {"en": ("true", "false"), "de": ("wahr", "falsch"), "nl": ("Ja", "Nee"),
             "unread": ("DOGRU", "YANLIS")}
    return {lang: api.diagnose_paths([_variant(english, root / lang, words(*pair))],
                                     api.RunOptions())
            for lang, pair in langs.items()}, flag


def test_a_localised_knowledge_flag_is_no_article(english: Path, kb_runs: tuple[
        dict[str, Report], pd.Series]) -> None:
    runs, flag = kb_runs
    incidents = pd.read_csv(english / "incident.csv", dtype=str, keep_default_na=False)
    incidents["knowledge"] = flag.to_numpy()
    truth = _done_in_window(english, runs["en"], cancelled=False, people=True)
    done = incidents[incidents["number"].isin(truth.loc[truth["table"] == "incident",
                                                        "number"])]
    linked, n = int((done["knowledge"] == "true").sum()), len(done)
    assert linked / n < 0.2
    for lang in ("en", "de", "nl"):
        check = _check(runs[lang], "knowledge")
        share = check.metrics["knowledge_share"]
        # before (de, nl): 100% and clear, "falsch"/"Nee" kept as article ids
        assert (share.numerator, share.denominator) == (linked, n)
        assert check.status == "triggered"
    # a word the reading cannot read is never an article: empty, and counted
    unread = _check(runs["unread"], "knowledge")
    assert unread.status == "unknown"
    assert (f"knowledge: {len(incidents):,} tickets with values that are not yes/no, "
            "left empty (no article counted)") in _warnings(runs["unread"])


MAPPING = """\
tool: mytool
columns:
  ticket_id: Ticket No
  opened_at: Erstellt
  resolved_at: Solved
  status: State
  priority: Urgency
  kind: Ticket type
  category: Category
  sla_met: SLA breached
date_format: "%Y-%m-%d %H:%M:%S"
values:
  status: {Waiting: pending, Done: resolved, Withdrawn: cancelled}
  priority: {Blocker: 1, Major: 2, Normal: 3, Minor: 4}
  kind: {Fault: incident, Order: request}
  sla_met: {"Yes": false, "No": true}
"""


def _mytool(out: Path, english: Path, yes: str, no: str) -> Path:
    """The incidents and requests in a custom tool's shape whose 'SLA breached' column
    holds ``yes`` for breached and ``no`` for met."""
    out.mkdir(parents=True, exist_ok=True)
    frames = []
    for p in sorted(english.glob("*.csv")):
        f = pd.read_csv(p, dtype=str, keep_default_na=False)
        frames.append(pd.DataFrame({
            "Ticket No": f["number"], "Erstellt": f["opened_at"],
            "Solved": f.get("resolved_at", f["closed_at"]).where(
                f.get("resolved_at", f["closed_at"]) != "", f["closed_at"]),
            "State": f["state"].map(lambda s: "Done" if s in DONE_STATES else
                                    "Withdrawn" if s == "Canceled" else "Waiting"),
            "Urgency": f["priority"].str[0].map({"1": "Blocker", "2": "Major", "3": "Normal",
                                                 "4": "Minor", "5": "Minor"}),
            "Ticket type": "Fault" if p.stem == "incident" else "Order",
            "Category": f.get("category", f.get("cat_item")),
            "SLA breached": f["made_sla"].map({"true": no, "false": yes}).fillna("")}))
    pd.concat(frames).to_csv(out / "mytool.csv", index=False)
    (out / "mytool.yaml").write_text(MAPPING, encoding="utf-8")
    return out


@pytest.mark.parametrize(("yes", "no"), [("Yes", "No"), ("Y", "N"), ("WAHR", "FALSCH")])
def test_a_mapping_that_inverts_the_flag_reads_its_unlisted_words_its_way(
        tmp_path: Path, english: Path, sla_runs: dict[str, Report], yes: str,
        no: str) -> None:
    out = _mytool(tmp_path / "mytool", english, yes, no)
    report = api.diagnose_paths([out / "mytool.csv"],
                                api.RunOptions(mapping=out / "mytool.yaml"))
    truth = _done_in_window(english, report)
    met, n = int((truth["made_sla"] == "true").sum()), len(truth)
    # before (Y/N, WAHR/FALSCH): the numerator was the breached tickets, 27% for 73%
    assert report.kpis.counts["sla_adherence"]["numerator"] == met
    assert report.kpis.counts["sla_adherence"]["denominator"] == n
    assert report.kpis.sla_adherence == pytest.approx(met / n)
    if yes != "Yes":
        assert ("read in the polarity values.sla_met gives its own yes/no keys (a yes is "
                "not met)") in _warnings(report)


def test_a_mapping_without_a_yes_no_key_leaves_yes_no_words_empty(
        tmp_path: Path) -> None:
    """Keys that name outcomes state no polarity: a plain Y/N is left empty, counted;
    an outcome word (met) is read as it says."""
    from itsm_diag.importers.base import ImportOptions
    from itsm_diag.importers.registry import load_paths

    (tmp_path / "m.yaml").write_text(
        "tool: t\ncolumns:\n  ticket_id: Id\n  opened_at: Opened\n  sla_met: SLA\n"
        "kind: incident\nvalues:\n  sla_met: {Erfuellt: true, Verletzt: false}\n",
        encoding="utf-8")
    rows = ["Id,Opened,SLA"] + [f"T{i},2026-01-0{i + 1} 08:00,{w}" for i, w in
                                enumerate(["Erfuellt", "Verletzt", "Y", "N", "met"])]
    (tmp_path / "t.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    loaded = load_paths([tmp_path / "t.csv"], ImportOptions(), mapping=tmp_path / "m.yaml")
    t = loaded.tickets.set_index(m.TICKET_ID)[m.SLA_MET]
    assert t["T0"] and not t["T1"] and t["T4"]
    assert pd.isna(t["T2"]) and pd.isna(t["T3"])
    warned = " ".join(w for s in loaded.sources for w in s.warnings)
    assert "sla_met: 2 tickets with values values.sla_met does not list, left empty" in warned


def test_sla_by_priority_names_the_unread_flag_words(english: Path,
                                                     sla_runs: dict[str, Report]) -> None:
    """The flag filled with words the reading cannot take as yes or no and no due time:
    sla-by-priority is unknown, and its reason names the words with their counts (it
    said "The export has no value at all in sla_met / due_at")."""
    run = sla_runs["unread"]
    check = _check(run, "sla-by-priority")
    assert check.status == "unknown"
    frames = [pd.read_csv(p, dtype=str, keep_default_na=False) for p in english.glob("*.csv")]
    flags = pd.concat([f["made_sla"] for f in frames if "made_sla" in f])
    n_yes, n_no = int((flags == "true").sum()), int((flags == "false").sum())
    assert "no value at all in sla_met" not in check.reason
    assert f"{n_yes + n_no:,} tickets carry one" in check.reason
    assert f"'DOGRU' ({n_yes:,})" in check.reason and f"'YANLIS' ({n_no:,})" in check.reason
    assert "values.sla_met" in check.reason
