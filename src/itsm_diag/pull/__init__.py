"""``itsm-diag pull``: a tool's whole ticket history from its API, into export files.

The only part of itsm-diag that opens a socket (and imports an HTTP client): ``diagnose``,
``inspect`` and ``demo`` never import this package. :mod:`.client` is the read-only HTTP
client, :mod:`.store` the journal and state that make a pull resumable, :mod:`.engine`
the paging loop, and one module per tool knows its API and writes files its importer
reads.
"""
