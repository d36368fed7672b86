"""One helper lists items as a sentence does, wherever the report names several."""

from __future__ import annotations

from itsm_diag.text import joined, with_params


def test_items_are_joined_as_a_sentence_lists_them() -> None:
    assert joined([]) == ""
    assert joined(["a"]) == "a"
    assert joined(["a", "b"]) == "a and b"
    assert joined(["a", "b", "c"]) == "a, b and c"
    assert joined(["Jira", "Zendesk", "ServiceNow"], "or") == "Jira, Zendesk or ServiceNow"


def test_a_listed_param_is_said_as_a_sentence_lists_it() -> None:
    assert with_params("in {param_h} weeks", {"h": [4, 8, 12]}) == "in 4, 8 and 12 weeks"
