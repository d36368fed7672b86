"""The self-assessment behind ``itsm-diag quiz``: the seven diagnostic statements asked of
a person, pre-filled from an export when one is given, scored like a diagnosis.

A sign the export answers is shown with its status and evidence summary; the person
accepts it or overrides it. A sign the export cannot answer (or every sign, without an
export) is asked yes / no / don't know. Every answer a person gives is *self-assessed*;
an accepted measurement is not. The answers save as the YAML ``--answers`` reads
(``sign_id: true/false``).

Enter accepts the export's verdict, or answers "don't know" where there is none.
Prompts read standard input line by line (rich prompts over ``input()``), so a terminal,
a pipe and typer's ``CliRunner(input=...)`` all drive it; when input ends before the
questions do, :class:`QuizInputEnded` stops the run (the CLI makes it exit 2).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from rich.console import Console
from rich.prompt import Confirm, InvalidResponse, PromptBase
from rich.text import Text

from itsm_diag.errors import UsageError
from itsm_diag.report import Report, Status
from itsm_diag.text import plurals

if TYPE_CHECKING:
    from itsm_diag.config import Rules

_MARKS = {"triggered": "✘", "clear": "✔", "unknown": "?"}
_YES = frozenset({"y", "yes", "true", "1"})
_NO = frozenset({"n", "no", "false", "0"})
_DONT_KNOW = frozenset({"?", "d", "dk", "don't know", "dont know", "unknown", "skip", "s"})


class QuizInputEnded(UsageError):
    """Standard input ended before every question had an answer."""


@dataclass
class Item:
    """One sign in the quiz: what the export shows and what the person said."""

    id: str
    number: int
    title: str
    question: str
    #: the export's verdict; None without an export
    measured: Status | None = None
    evidence: str = ""
    #: the person's answer: True applies, False does not, None not given / don't know
    answer: bool | None = None

    @property
    def status(self) -> Status:
        if self.answer is not None:
            return "triggered" if self.answer else "clear"
        return self.measured or "unknown"

    @property
    def self_assessed(self) -> bool:
        return self.answer is not None

    @property
    def overridden(self) -> bool:
        """The person contradicted a measured verdict."""
        return self.answer is not None and self.measured in ("triggered", "clear")


@dataclass(frozen=True)
class Result:
    score: int
    unknown: int
    self_assessed: int
    band: str
    band_text: str

    @property
    def range_text(self) -> str:
        """'3 now, up to 5 if the 2 unknown signs apply.' ('' when nothing is unknown)."""
        if not self.unknown:
            return ""
        plural = "s" if self.unknown != 1 else ""
        return (f"{self.score} now, up to {self.score + self.unknown} if the "
                f"{self.unknown} unknown sign{plural} apply.")

    @property
    def headline(self) -> str:
        line = f"Score {self.score}/7 {self.band.upper()}: {self.band_text}"
        # an undetermined band's sentence already says where it lies
        return f"{line} {self.range_text}" if self.unknown and self.band != "undetermined" \
            else line


def items_for(rules: Rules, report: Report | None) -> list[Item]:
    """The seven signs in order, with the export's verdicts when a report is given (a
    sign already self-assessed in the report counts as not measured)."""
    from itsm_diag.render.common import key_figure_text

    found = {f.id: f for f in report.signs} if report is not None else {}
    items = []
    for rule in rules.signs.values():
        item = Item(id=rule.id, number=rule.number or 0, title=rule.title,
                    question=rule.question)
        finding = found.get(rule.id)
        if finding is not None and not finding.self_assessed:
            item.measured = finding.status
            if finding.status != "unknown":
                item.evidence = f"{finding.evidence.summary} ({key_figure_text(finding)})"
            else:
                item.evidence = finding.reason
        items.append(item)
    return items


class Asker(Protocol):
    def accept(self, item: Item) -> bool:
        """Whether the person accepts the export's verdict."""

    def answer(self, item: Item) -> bool | None:
        """yes (True) / no (False) / don't know (None)."""


class _Answer(PromptBase[bool | None]):
    """yes / no / don't know."""

    validate_error_message = "[prompt.invalid]Please answer yes, no or ? (don't know)"
    choices: list[str] = ["yes", "no", "?"]  # noqa: RUF012 (rich reads the class attribute)

    def render_default(self, default: object) -> Text:
        # Enter means "don't know": show it as the choice it stands for
        return Text("(?)", style="prompt.default")

    def process_response(self, value: str) -> bool | None:
        text = value.strip().lower()
        if text in _YES:
            return True
        if text in _NO:
            return False
        if text in _DONT_KNOW:
            return None
        raise InvalidResponse(self.validate_error_message)


class _Accept(Confirm):
    """Confirm that also takes ``yes`` / ``no`` spelled out."""

    validate_error_message = "[prompt.invalid]Please answer yes or no (Enter accepts)"

    def process_response(self, value: str) -> bool:
        text = value.strip().lower()
        if text in _YES:
            return True
        if text in _NO:
            return False
        raise InvalidResponse(self.validate_error_message)


class RichAsker:
    """Rich prompts on ``console``, reading standard input."""

    def __init__(self, console: Console) -> None:
        self.console = console

    def accept(self, item: Item) -> bool:
        return bool(_Accept.ask(f"Accept the export's answer ({item.measured})?",
                                console=self.console, default=True))

    def answer(self, item: Item) -> bool | None:
        return _Answer.ask("Does this apply?", console=self.console, default=None)


def _say(console: Console, text: str = "", style: str | None = None) -> None:
    # ticket-derived text (evidence summaries) is printed, never parsed as markup
    # soft wrap: the terminal folds long lines; piped output keeps one line per statement
    console.print(text, markup=False, highlight=False, style=style, soft_wrap=True)


def interview(
    items: Sequence[Item],
    given: Mapping[str, bool],
    asker: Asker | None,
    console: Console,
) -> None:
    """Fill ``items`` (in place) from ``given`` answers, then from ``asker``.

    An answer in ``given`` is the person's: it fills an unknown sign and overrides a
    measured one it contradicts. Without an asker (``--no-input``) the rest stay as the
    export shows them.
    """
    for pos, item in enumerate(items, start=1):
        measured = item.measured in ("triggered", "clear")
        if item.id in given:
            value = given[item.id]
            if not (measured and value == (item.measured == "triggered")):
                item.answer = value
            continue
        if asker is None:
            continue
        _say(console)
        _say(console, f"[{pos}/{len(items)}] {item.title} ({item.id})",
             style="bold")
        _say(console, item.question)
        try:
            if measured:
                _say(console, f"The export shows: {str(item.measured).upper()}. {item.evidence}",
                     style="dim")
                if not asker.accept(item):
                    item.answer = item.measured != "triggered"
            else:
                if item.measured == "unknown":
                    _say(console, f"The export cannot tell: {item.evidence}", style="dim")
                item.answer = asker.answer(item)
        except EOFError:
            raise QuizInputEnded(
                f"standard input ended at question {pos} of {len(items)} ({item.id})",
                hint="run 'itsm-diag quiz' in a terminal, pipe one answer per line, or give "
                     "--answers FILE with --no-input",
            ) from None


def score(items: Sequence[Item], rules: Rules) -> Result:
    """Score and band of the answered quiz, as the engine bands a diagnosis."""
    from itsm_diag.engine import band_sentence, honest_band

    n = sum(item.status == "triggered" for item in items)
    unknown = sum(item.status == "unknown" for item in items)
    d = rules.defaults
    return Result(
        score=n,
        unknown=unknown,
        self_assessed=sum(item.self_assessed for item in items),
        # the same rule as a diagnosis: a "don't know" that could move the band leaves it open
        band=honest_band(n, unknown),
        band_text=band_sentence(n, unknown, len(items), d.wording, d.bands),
    )


def print_result(items: Sequence[Item], result: Result, console: Console) -> None:
    _say(console)
    _say(console, "Self-assessment result", style="bold")
    for item in items:
        if item.overridden:
            source = f"self-assessed (the export showed {item.measured})"
        elif item.self_assessed:
            source = "self-assessed"
        elif item.status == "unknown":
            source = "don't know"
        else:
            source = "from the export"
        _say(console, f" {_MARKS[item.status]} {item.number}. {item.id:<11} "
                      f"{item.status:<9} {source}")
    _say(console)
    _say(console, result.headline, style="bold")
    if result.self_assessed:
        _say(console, plurals(f"{result.self_assessed} sign(s) self-assessed."))


def answers_of(items: Sequence[Item]) -> dict[str, bool]:
    """The person's answers (``sign_id: true/false``), in sign order; accepted
    measurements and don't-knows are not answers."""
    return {item.id: item.answer for item in items if item.answer is not None}


#: how every refusal of a ``--save-answers`` path ends
_SAVE_HINT = "check that the folder exists and is writable, or save the answers elsewhere"


def check_save_target(path: Path) -> None:
    """Refuse a ``--save-answers`` path the answers cannot be written to (a folder, or a
    file in a folder that does not exist or cannot be written), before any question is
    asked: the person's answers would be lost at the end. The check every output gets
    (:func:`itsm_diag.render.check_writable`), in the quiz's words."""
    from itsm_diag.render import check_writable

    check_writable(Path(path), "--save-answers", what="save the answers",
                   example="answers.yaml", hint=_SAVE_HINT)


def save_answers(path: Path, items: Sequence[Item]) -> None:
    """Write the answers as the YAML ``--answers`` reads (atomically). A write that fails
    names the answers file, not the temporary file it goes through."""
    import yaml

    from itsm_diag.render import write_atomic

    header = ("# itsm-diag quiz answers: true = the sign applies, false = it does not.\n"
              "# 'itsm-diag diagnose --answers' uses them for signs the export cannot "
              "answer;\n# 'itsm-diag quiz --answers' applies them all.\n")
    body = yaml.safe_dump(answers_of(items), sort_keys=False) if answers_of(items) else "{}\n"
    try:
        write_atomic(path, header + body)
    except OSError as exc:
        raise UsageError(f"cannot save the answers to {path}: {exc.strerror or exc}",
                         hint=_SAVE_HINT) from exc
