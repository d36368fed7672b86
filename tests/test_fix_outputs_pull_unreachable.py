"""A host name that does not resolve, or a connection refused, is said at once (review 2,
item 5): ``pull`` retried them 8 times (about 47 s) and ended "connection failed
(ConnectionError)". Before the server has answered once they are not the transient
faults retries are for; dropped connections and timeouts stay retried, and so does a
refused connection once the server has answered (a restart mid-pull). No internet: a
closed local port, and a ``.invalid`` host (RFC 6761: it never resolves)."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from itsm_diag.pull.client import Backoff, Client, PullError
from pullkit import pull


def _closed_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_a_refused_connection_is_one_line_at_once(tmp_path: Path) -> None:
    port = _closed_port()
    run = pull("servicenow", f"http://127.0.0.1:{port}", tmp_path / "out",
               tables=["incident"])
    assert run.code == 2 and run.waits == []
    (line,) = run.err.splitlines()
    assert line.startswith(f"connection refused by 127.0.0.1:{port}: check --url")
    assert "tries" not in line


def test_a_host_that_does_not_resolve_is_one_line_at_once(tmp_path: Path) -> None:
    run = pull("servicenow", "https://itsm-diag-test.invalid", tmp_path / "out",
               tables=["incident"])
    assert run.code == 2 and run.waits == []
    (line,) = run.err.splitlines()
    assert line.startswith("cannot resolve itsm-diag-test.invalid: check --url or the "
                           "network")


def test_a_refused_connection_after_an_answer_is_retried() -> None:
    waits: list[float] = []
    client = Client(f"http://127.0.0.1:{_closed_port()}", auth_header=None,
                    tool="ServiceNow", env_hint="ITSM_DIAG_USER",
                    backoff=Backoff(tries=3, sleep=waits.append))
    client.answered = True  # the server answered earlier in this pull: a restart
    with pytest.raises(PullError, match="after 3 tries: connection failed"):
        client.get("/api/now/table/incident", what="table incident")
    assert len(waits) == 2


@pytest.fixture
def hangs_up() -> Iterator[int]:
    """A server that accepts each connection and closes it without a word."""
    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server.bind(("127.0.0.1", 0))
    server.listen()
    stop = threading.Event()

    def serve() -> None:
        server.settimeout(0.2)
        while not stop.is_set():
            try:
                conn, _ = server.accept()
            except OSError:
                continue
            conn.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield int(server.getsockname()[1])
    finally:
        stop.set()
        thread.join()
        server.close()


def test_a_dropped_connection_is_still_retried(hangs_up: int) -> None:
    waits: list[float] = []
    client = Client(f"http://127.0.0.1:{hangs_up}", auth_header=None, tool="ServiceNow",
                    env_hint="ITSM_DIAG_USER", backoff=Backoff(tries=3, sleep=waits.append))
    with pytest.raises(PullError, match="after 3 tries"):
        client.get("/api/now/table/incident", what="table incident")
    assert len(waits) == 2
