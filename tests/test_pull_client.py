"""The pull's HTTP client: read-only, https only, credentials from the environment and
nowhere else, bounded waits; and offline commands never load it."""

from __future__ import annotations

import base64
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from itsm_diag.errors import UsageError
from itsm_diag.pull.client import (
    Backoff,
    Client,
    Credentials,
    PullError,
    ReadOnlyError,
    ReadOnlySession,
    base_url,
)
from pullkit import (
    ENV,
    PASSWORD,
    TOKEN,
    USER,
    FakeServer,
    JiraApp,
    ServiceNowApp,
    pull,
    sn_record,
)


def test_no_method_but_reads_can_leave_the_client() -> None:
    app = ServiceNowApp({"incident": []})
    with FakeServer(app) as srv:
        session = ReadOnlySession()
        for method in ("POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS", "post", b"DELETE"):
            with pytest.raises(ReadOnlyError):
                session.request(method, srv.url + "/api/now/table/incident")
        client = Client(srv.url, auth_header=None, tool="servicenow", env_hint="x")
        with pytest.raises(ReadOnlyError):
            client.session.delete(srv.url + "/api/now/table/incident")
        with pytest.raises(ReadOnlyError):
            client.post_read("/api/now/table/incident", {"short_description": "x"})
        assert srv.log == []  # refused before anything was sent
        # the one read that is a POST by design may go
        client.session.post(srv.url + "/rest/api/3/search/approximate-count",
                            json={"jql": "project = ITSM"})
        assert [(r.method, r.path) for r in srv.log] == [
            ("POST", "/rest/api/3/search/approximate-count")]


@pytest.mark.parametrize("url", ["http://acme.service-now.com", "ftp://acme", "acme.com",
                                 "https://user:pw@acme.service-now.com", "http://10.0.0.8"])
def test_unsafe_urls_are_refused(url: str) -> None:
    with pytest.raises(UsageError):
        base_url(url)


@pytest.mark.parametrize("url", ["https://acme.service-now.com/", "http://127.0.0.1:8080",
                                 "http://localhost:9", "http://[::1]:80"])
def test_https_and_loopback_are_accepted(url: str) -> None:
    assert base_url(url) == url.rstrip("/")


def test_credentials_come_only_from_the_environment_and_never_show() -> None:
    creds = Credentials.from_env({"ITSM_DIAG_USER": USER, "ITSM_DIAG_PASSWORD": PASSWORD,
                                  "ITSM_DIAG_TOKEN": TOKEN})
    assert PASSWORD not in repr(creds) and TOKEN not in repr(creds)
    assert Credentials.from_env({}) == Credentials()
    import typer.main

    from itsm_diag.cli import app

    command = typer.main.get_command(app).commands["pull"]  # type: ignore[attr-defined]
    options = {o for p in command.params for o in getattr(p, "opts", [])}
    assert {"--url", "--out", "--since", "--dry-run"} <= options
    assert not {o for o in options if any(w in o for w in ("pass", "token", "user", "auth"))}


def test_no_secret_reaches_a_file_or_a_message(tmp_path: Path) -> None:
    rows = [sn_record({"number": f"INC{i:07d}", "sys_updated_on": f"2025-01-01 10:00:{i:02d}",
                       "short_description": "x"}) for i in range(30)]
    secrets = [PASSWORD, base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()]
    with FakeServer(ServiceNowApp({"incident": rows}, cap=7)) as srv:
        srv.faults = {2: "429", 3: "drop", 5: "503"}
        good = pull("servicenow", srv.url, tmp_path / "a", tables=["incident"])
        bad = pull("servicenow", srv.url, tmp_path / "b", tables=["incident"],
                   env={**ENV, "ITSM_DIAG_PASSWORD": "wrong-" + PASSWORD})
    assert good.code == 0 and bad.code == 2 and "(401)" in bad.err
    for run in (good, bad):
        for secret in [*secrets, "wrong-" + PASSWORD]:
            assert secret not in run.out + run.err
    files = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert any(p.name == "state.json" for p in files) and any(p.suffix == ".ndjson"
                                                              for p in files)
    for p in files:
        data = p.read_bytes()
        assert not any(s.encode() in data for s in secrets), p


def test_a_stalled_answer_times_out_and_is_retried_a_bounded_number_of_times(
        tmp_path: Path) -> None:
    with FakeServer(ServiceNowApp({"incident": []})) as srv:
        srv.hooks = {n: (lambda: time.sleep(0.6)) for n in range(1, 4)}
        run = pull("servicenow", srv.url, tmp_path, tables=["incident"], timeout=0.2,
                   backoff=Backoff(tries=3, sleep=lambda s: None))
    assert run.code == 2
    assert "after 3 tries: no answer within 0.2 s" in run.err


def test_retry_after_beyond_the_bound_stops_with_a_line(tmp_path: Path) -> None:
    class Slow(ServiceNowApp):
        def get(self, path: str, query: dict[str, str]):  # type: ignore[no-untyped-def]
            from pullkit import Reply
            return Reply(429, {}, {"Retry-After": "3600"})

    with FakeServer(Slow({"incident": []})) as srv:
        run = pull("servicenow", srv.url, tmp_path, tables=["incident"])
    assert run.code == 2 and "asks to wait 3,600 s" in run.err and run.waits == []


def test_jira_needs_jql_without_order_by_and_refuses_the_removed_search(
        tmp_path: Path) -> None:
    assert "needs --jql" in pull("jira", "https://x.atlassian.net", tmp_path).err
    run = pull("jira", "https://x.atlassian.net", tmp_path, jql="project = A ORDER BY key")
    assert "must not hold ORDER BY" in run.err
    with FakeServer(JiraApp([], {})) as srv:
        client = Client(srv.url, auth_header=None, tool="jira", env_hint="x",
                        backoff=Backoff(sleep=lambda s: None))
        srv.app.auth = None  # type: ignore[assignment]
        with pytest.raises(PullError, match="answered 410"):
            client.get("/rest/api/3/search", {"jql": "project = A"})


def test_offline_commands_never_load_the_http_client(tmp_path: Path) -> None:
    code = ("import sys\nfrom itsm_diag import api\n"
            "api.diagnose_paths([api.demo_dir()], api.RunOptions())\n"
            "api.inspect_paths([api.demo_dir()], api.RunOptions())\n"
            "import itsm_diag.cli\n"
            "bad = sorted(m for m in sys.modules if m.split('.')[0] in "
            "('requests', 'urllib3', 'http') or m.startswith('itsm_diag.pull'))\n"
            "print(bad)\n")
    env = {k: v for k, v in os.environ.items() if k != "ITSM_DIAG_DEBUG"}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env=env, timeout=300, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


def test_the_command_line(tmp_path: Path) -> None:
    rows = [sn_record({"number": f"INC{i:07d}", "sys_updated_on": f"2025-01-01 10:00:{i:02d}",
                       "short_description": "x"}) for i in range(12)]
    with FakeServer(ServiceNowApp({"incident": rows}, cap=5)) as srv:
        env = {**os.environ, **ENV}
        args = [sys.executable, "-m", "itsm_diag", "pull", "servicenow", "--url", srv.url,
                "--out", str(tmp_path), "--table", "incident"]
        done = subprocess.run(args, capture_output=True, text=True, env=env, timeout=300,
                              check=False)
        assert done.returncode == 0, done.stderr
        assert "pulled 12 records" in done.stdout
        env.pop("ITSM_DIAG_PASSWORD")
        done = subprocess.run(args, capture_output=True, text=True, env=env, timeout=300,
                              check=False)
    assert done.returncode == 2
    assert done.stderr.startswith("itsm-diag: error: no credentials for ServiceNow")
    assert "Traceback" not in done.stderr


def test_pulled_csv_cells_cannot_run_as_formulas() -> None:
    import csv
    import io

    from itsm_diag.pull.source import csv_text

    text = csv_text(["Summary", "=cmd"], [["=HYPERLINK(\"http://x\")", "+1"], ["-2", "@A1"],
                                          ["\tx", None], ["fine - ok", "3"]])
    rows = list(csv.reader(io.StringIO(text)))
    assert rows == [["Summary", "'=cmd"], ["'=HYPERLINK(\"http://x\")", "'+1"],
                    ["'-2", "'@A1"], ["'\tx", ""], ["fine - ok", "3"]]


# ---- what the server echoes, where the client connects, how long it waits ---------------

ZD_ENV = {"ITSM_DIAG_USER": "agent@example.com", "ITSM_DIAG_TOKEN": TOKEN}


@pytest.mark.parametrize("tool, env", [
    ("servicenow", ENV),                                   # Basic user:password
    ("servicenow", {"ITSM_DIAG_TOKEN": TOKEN}),            # Bearer
    ("zendesk", ZD_ENV),                                   # Basic email/token:token
    ("freshservice", {"ITSM_DIAG_TOKEN": TOKEN}),          # Basic key:X
    ("jira", ENV),                                         # Basic email:API token
])
def test_credentials_a_server_echoes_never_reach_a_message(
        tool: str, env: dict[str, str], tmp_path: Path) -> None:
    options = {"servicenow": {"tables": ["incident"]}, "jira": {"jql": "project = A"}}
    # any app: the first answer is the echo
    with FakeServer(ServiceNowApp({"incident": []})) as srv:
        srv.faults = {1: "echo"}
        run = pull(tool, srv.url, tmp_path, env=env, **options.get(tool, {}))
        sent = srv.log[0].auth or ""
    assert run.code == 2 and "answered 400" in run.err
    value = sent.split(" ", 1)[1]
    forms = [value, value.rstrip("="), value[:12]]
    forms += [v for k, v in env.items() if k != "ITSM_DIAG_USER"]  # who signs in is no secret
    if sent.startswith("Basic "):
        forms.append(base64.b64decode(value).decode())
    for form in forms:
        assert form not in run.err, form
    assert "***" in run.err


def test_every_form_of_a_secret_is_known() -> None:
    from itsm_diag.pull.client import secret_forms

    header = "Basic " + base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()
    forms = secret_forms(header, [PASSWORD])
    value = header.split()[1]
    assert {value, value.rstrip("="), f"{USER}:{PASSWORD}", PASSWORD} <= set(forms)
    from urllib.parse import quote

    assert quote(value, safe="") in forms and quote(f"{USER}:{PASSWORD}", safe="") in forms
    assert forms == sorted(forms, key=len, reverse=True)  # whole forms before their parts
    # a Freshservice key:X pair does not blank every "X" of a message
    assert "X" not in secret_forms("Basic " + base64.b64encode(b"k3y-k3y-k3y:X").decode(), [])


def test_a_trickling_answer_is_a_timeout_and_is_retried_within_bounds(tmp_path: Path) -> None:
    rows = [sn_record({"number": f"INC{i:07d}", "sys_updated_on": f"2025-01-01 10:00:{i:02d}",
                       "short_description": "x"}) for i in range(3)]
    with FakeServer(ServiceNowApp({"incident": rows})) as srv:
        # every read comes within the socket timeout; the answer as a whole never does
        srv.faults = {1: "trickle", 2: "trickle"}
        started = time.monotonic()
        stuck = pull("servicenow", srv.url, tmp_path / "a", tables=["incident"], timeout=0.3,
                     backoff=Backoff(tries=2, sleep=lambda s: None))
        took = time.monotonic() - started
        srv.faults = {len(srv.log) + 1: "trickle"}
        ok = pull("servicenow", srv.url, tmp_path / "b", tables=["incident"], timeout=0.3)
    assert stuck.code == 2 and took < 5
    assert "after 2 tries: the answer was still arriving after 0.3 s" in stuck.err
    assert ok.code == 0, ok.err
    assert "retried" in ok.out and ok.waits  # once, then it went on


def test_a_compressed_answer_is_read(tmp_path: Path) -> None:
    rows = [sn_record({"number": f"INC{i:07d}", "sys_updated_on": f"2025-01-01 10:00:{i:02d}",
                       "short_description": "x"}) for i in range(5)]
    with FakeServer(ServiceNowApp({"incident": rows})) as srv:
        srv.faults = {n: "gzip" for n in range(1, 10)}
        run = pull("servicenow", srv.url, tmp_path, tables=["incident"])
    assert run.code == 0, run.err
    assert "pulled 5 records" in run.out


def test_a_web_page_instead_of_json_is_said_at_once(tmp_path: Path) -> None:
    with FakeServer(ServiceNowApp({"incident": []})) as srv:
        srv.faults = {1: "html"}
        run = pull("servicenow", srv.url, tmp_path, tables=["incident"])
        asked = len(srv.log)
    assert run.code == 2 and asked == 1 and run.waits == []
    assert "answered a web page, not JSON" in run.err and "Hibernating" in run.err
    assert "login page" in run.err and "rerun" not in run.err


def test_the_environment_neither_signs_in_nor_routes(tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    netrc = tmp_path / "netrc"
    netrc.write_text("machine 127.0.0.1 login intruder password NETRC-PW\n"
                     "machine localhost login intruder password NETRC-PW\n")
    netrc.chmod(0o600)
    with FakeServer(ServiceNowApp({"incident": []})) as srv, \
            FakeServer(ServiceNowApp({"incident": []})) as proxy:
        for name in ("NO_PROXY", "no_proxy"):
            monkeypatch.delenv(name, raising=False)
        monkeypatch.setenv("NETRC", str(netrc))
        for name in ("HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy", "ALL_PROXY"):
            monkeypatch.setenv(name, proxy.url)
        run = pull("servicenow", srv.url.replace("127.0.0.1", "localhost"), tmp_path / "a",
                   tables=["incident"])
    assert run.code == 0, run.err
    assert proxy.log == []
    assert srv.log and {r.auth for r in srv.log} == {
        "Basic " + base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()}


@pytest.mark.parametrize("token, said", [(TOKEN + "\r", "control character"),
                                         ("tok\u201c" + TOKEN, "not ASCII"),
                                         (TOKEN + "\n", "control character")])
def test_a_token_no_server_could_take_is_refused_before_sending(
        token: str, said: str, tmp_path: Path) -> None:
    with FakeServer(ServiceNowApp({"incident": []})) as srv:
        run = pull("servicenow", srv.url, tmp_path, tables=["incident"],
                   env={"ITSM_DIAG_TOKEN": token})
        asked = len(srv.log)
    assert run.code == 2 and asked == 0 and run.waits == []
    assert said in run.err and "ITSM_DIAG_TOKEN" in run.err
    assert TOKEN not in run.err and "unexpected" not in run.err


@pytest.mark.parametrize("url", [
    "htps://reader:Hunter2PW@acme.service-now.com", "https://reader:Hunter2PW@acme.com",
    "reader:Hunter2PW@acme.service-now.com", "https://[x", "https://acme.com:99999",
    "https://acme.com:abc", ":abc", "https://a b.com", "https://acme..com", "https://:443",
    "notaurl", "", "https://acme.com:0", "https://-acme.com"])
def test_a_bad_url_is_one_line_before_anything_else(url: str, tmp_path: Path) -> None:
    # no credentials: the address is checked first, and the run stops there
    for dry in (False, True):
        run = pull("servicenow", url, tmp_path, env={}, dry_run=dry)
        assert run.code == 2, run.err
        assert "--url" in run.err and "credentials" not in run.err
        assert "Hunter2PW" not in run.err and "unexpected" not in run.err
        assert run.err.count("\n") == 1


def test_a_retry_after_of_zero_on_a_server_error_waits_the_back_off(tmp_path: Path) -> None:
    """``Retry-After: 0`` (or a reset already past) is no wait: a 5xx then waits the
    back-off, as a 429 did; it was taken as 0 s, eight retries with no pause."""
    class Busy(ServiceNowApp):
        calls = 0

        def get(self, path: str, query: dict[str, str]):  # type: ignore[no-untyped-def]
            from pullkit import Reply
            Busy.calls += 1
            if Busy.calls <= 2:
                return Reply(503, {}, {"Retry-After": "0"})
            return super().get(path, query)

    waits: list[float] = []
    with FakeServer(Busy({"incident": []})) as srv:
        run = pull("servicenow", srv.url, tmp_path, tables=["incident"],
                   backoff=Backoff(sleep=waits.append))
    assert run.code == 0, run.err
    assert len(waits) == 2 and all(w > 0 for w in waits), waits
