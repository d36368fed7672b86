"""itsm-diag: diagnose an ITSM process from a ticket export (seven warning signs)."""

__version__ = "0.1.0"
