"""``python -m itsm_diag.schema``: rewrite the shipped JSON Schema from the Report model."""

from itsm_diag.schema import write

print(write())
