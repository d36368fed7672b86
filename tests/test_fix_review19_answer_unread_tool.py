""""What would answer" says a column is "there, filled with words this report cannot
read" only of the tool whose tickets carry those words: with a ServiceNow input whose
made_sla holds "Nee" and a GLPI input whose SLA column is empty, the GLPI line said its
empty column held unread words (the raw labels were looked for on every tool's tickets)."""

from __future__ import annotations

import pandas as pd

from itsm_diag import advice, synth
from itsm_diag import model as m
from itsm_diag.config import load_rules


def test_unread_is_said_of_the_tool_that_holds_the_words() -> None:
    rules = load_rules()
    t = synth.generate(600, seed=3, weeks=20).tickets
    half = pd.Series(range(len(t)), index=t.index) % 2 == 0
    t = t.assign(**{
        m.SOURCE_TOOL: pd.Categorical(["servicenow" if h else "glpi" for h in half]),
        m.SLA_MET: pd.Series(pd.NA, index=t.index, dtype="boolean"),
        m.DUE_AT: pd.Series(pd.NaT, index=t.index, dtype=t[m.DUE_AT].dtype),
        m.SLA_MET_RAW: pd.Series(["Nee" if h else None for h in half], index=t.index,
                                 dtype=m.STRING_DTYPE)})
    inputs = [("servicenow", {m.SLA_MET: "made_sla"}),
              ("glpi", {m.SLA_MET: "Time to resolve exceeded"})]
    wording = rules.defaults.wording
    lines = advice.answer_lines(rules.get("sla-by-priority"), inputs, t, None, wording)
    names = {tool: wording.get(f"answer.tool.{tool}", tool) for tool, _ in inputs}
    by_tool = {tool: [ln for ln in lines if ln.startswith(name)]
               for tool, name in names.items()}
    empty = wording["answer.empty"].split("{column}")[1][:20]
    assert by_tool["servicenow"] and by_tool["glpi"]
    assert all(empty not in ln for ln in by_tool["servicenow"])
    assert any(empty in ln for ln in by_tool["glpi"])
