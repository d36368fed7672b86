"""Who wrote a comment: one rule for every importer that reads a conversation (ServiceNow's
journal, Zendesk's comments, Jira's comment cells).

- A note only agents can write (a ServiceNow work note, a Zendesk private comment, a Jira
  work log) is an agent's.
- A comment whose author is the ticket's requester is the requester's.
- A comment by a known agent (the assignee of some ticket in the export, or the author of
  a note only agents write) is an agent's.
- Anyone else (a CC'd colleague, a watcher, another ticket's requester, a name the export
  ties to nobody) gets no role: unknown. Such a comment is neither a requester's chaser
  nor the agent's word a requester answers.
- When the export cannot tie comment authors to its requesters (no requester column; or
  fewer than :data:`MIN_REQUESTER_MATCH` of the comments by authors who are no known agent
  come from someone the export names as a requester: ids against display names), every
  comment's role is unknown, with a warning: a requester's comment read as an agent's
  would make "no chaser" out of every chase.

Names are compared with case and surrounding spaces folded; ids compare as text.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from itsm_diag import model as m
from itsm_diag.importers.values import per_value

#: of the comments whose author is no known agent, at least this share must be by someone
#: the export names as a requester, or its names and its requesters are in two identity
#: spaces (a user id in caller_id, a display name in the journal)
MIN_REQUESTER_MATCH = 0.2


@per_value  # a name once, not once per comment (the requester is spread to each comment)
def _key(s: pd.Series) -> pd.Series:
    text = s.astype(m.STRING_DTYPE).str.strip().str.lower()
    return text.where(text.ne("").fillna(False))


def comment_roles(
    author: pd.Series,
    requester: pd.Series | None,
    agent_only: np.ndarray,
    assignees: pd.Series | None,
    warnings: list[str],
    *,
    requester_label: str,
    hint: str,
) -> pd.Series:
    """Per entry (``author`` and ``requester`` aligned, one per entry; ``agent_only``:
    the entries only an agent can write): ``requester``, ``agent`` or <NA> (unknown), as
    an object Series on ``author``'s index. ``assignees``: every ticket's assignee in the
    export, in the authors' identity space (or None). A warning counts the comments left
    unknown, and says why."""
    index = author.index
    who = _key(author).reset_index(drop=True)
    agent_only = np.asarray(agent_only, dtype=bool)
    role = pd.Series(pd.NA, index=range(len(who)), dtype="object")
    role[agent_only] = "agent"
    comment = ~agent_only
    if not comment.any():
        return role.set_axis(index)
    agents = pd.Series(who[agent_only].dropna().unique(), dtype="object")
    if assignees is not None:
        agents = pd.concat([agents, pd.Series(_key(assignees).dropna().unique(),
                                              dtype="object")], ignore_index=True)
    is_agent = who.isin(agents.unique()).to_numpy(dtype=bool)
    n_comments = int(comment.sum())
    said = f"{n_comments:,} comment{'s' if n_comments != 1 else ''}"
    if requester is None:
        warnings.append(f"no {requester_label} column: comment roles left unknown "
                        f"(requester or agent) on the {said}; {hint}")
        return role.set_axis(index)
    req = _key(requester).reset_index(drop=True)
    others = comment & ~is_agent & who.notna().to_numpy(dtype=bool)
    if others.any():
        named = who[others].isin(req.dropna().unique()).to_numpy(dtype=bool)
        if named.mean() < MIN_REQUESTER_MATCH:
            warnings.append(
                f"comment authors are not in the same form as the {requester_label} "
                f"column: only {int(named.sum()):,} of the {int(others.sum()):,} comments "
                f"by authors who are no assignee are by someone the export names as a "
                f"requester ({named.mean():.0%}; at least {MIN_REQUESTER_MATCH:.0%} "
                f"needed): comment roles left unknown (requester or agent) on the "
                f"{said}; {hint}")
            return role.set_axis(index)
    is_req = comment & who.eq(req).fillna(False).to_numpy(dtype=bool)
    role[is_req] = "requester"
    role[comment & ~is_req & is_agent] = "agent"
    unknown = comment & ~is_req & ~is_agent
    if unknown.any():
        n = int(unknown.sum())
        warnings.append(
            f"{n:,} of the {said} are by authors who are neither the ticket's requester "
            f"nor a known agent (the assignee of some ticket, or the author of a note only "
            f"agents write): a CC'd colleague, a watcher, or a name the export ties to "
            f"nobody; their role is left unknown")
    return role.set_axis(index)
