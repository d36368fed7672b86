"""Analyses: where the work really goes, what really recurs, what to act on next.

Like the signs, each module here only measures (``measure(ctx, params) ->
Measurement``); unlike them, nothing here is graded or scored. The engine words each
result from ``rules/analyses/<id>.yaml`` (see :mod:`itsm_diag.insights`). Signs and
checks may use these measurements as evidence (the recurrence sign groups summaries by
:mod:`~itsm_diag.analyses.textclusters`; routing, ownership and backlog show tables
of :mod:`~itsm_diag.analyses.flow`).
"""
