"""The one HTTP client of itsm-diag: read-only, credentials from the environment, polite.

Read-only by construction: :class:`ReadOnlySession` refuses every method but GET before
anything is sent, and POST too except to the paths in :data:`READ_POSTS` (endpoints that
only read but take their query as a body). Nothing here follows a URL the server hands
back: every request is built from the base URL given on the command line, and redirects
are not followed (a redirect is reported instead), so credentials can only ever go to
that host.

Credentials come only from ``ITSM_DIAG_USER`` + ``ITSM_DIAG_PASSWORD`` or
``ITSM_DIAG_TOKEN`` (each tool says how it uses them); they live in the session's
``Authorization`` header and never in a URL, a message, a file or the state.

Faults: 429 waits ``Retry-After`` (seconds or an HTTP date) or the rate-limit reset header;
5xx, dropped connections, timeouts and cut-short bodies are retried with exponential
backoff; each bounded by :class:`Backoff`. 401/403/404 stop at once with one line saying
what to check.
"""

from __future__ import annotations

import ipaddress
import json
import os
import random
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import requests

from itsm_diag.errors import ItsmDiagError, UsageError

#: (path suffix) of the read endpoints that are POST by design; nothing else may be POSTed
READ_POSTS: tuple[str, ...] = (
    "/rest/api/3/search/approximate-count",  # Jira Cloud: counts the issues a JQL matches
)
USER_ENV, PASSWORD_ENV, TOKEN_ENV = "ITSM_DIAG_USER", "ITSM_DIAG_PASSWORD", "ITSM_DIAG_TOKEN"
_RETRY_STATUS = frozenset({500, 502, 503, 504, 520, 522, 524})
_SAY_STATUS = {
    401: "the server refused the credentials (401): check {env} and that the account "
         "can sign in to {host}",
    403: "the account may not read {what} (403): give it the read role the README names "
         "for {tool}, or leave {what} out",
    404: "{what} was not found at {host} (404): check --url (the instance's base URL) "
         "and the table or project name",
}


class PullError(ItsmDiagError):
    """The server cannot be read: refused, unreachable, or answering nonsense."""


class ReadOnlyError(AssertionError):
    """A request other than a read was about to leave the client (a bug, never sent)."""


@dataclass(frozen=True)
class Credentials:
    """What the environment holds; ``repr`` never shows the secrets."""

    user: str | None = field(default=None, repr=False)
    password: str | None = field(default=None, repr=False)
    token: str | None = field(default=None, repr=False)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Credentials:
        env = os.environ if env is None else env
        return cls(env.get(USER_ENV) or None, env.get(PASSWORD_ENV) or None,
                   env.get(TOKEN_ENV) or None)

    def secrets(self) -> list[str]:
        return [s for s in (self.password, self.token) if s]


@dataclass
class Backoff:
    """How long to wait before retry ``attempt`` (1, 2, ...), and how many tries in all.

    ``scale`` shrinks every wait (tests run the same schedule in milliseconds).
    """

    base: float = 1.0
    cap: float = 60.0
    tries: int = 8
    max_retry_after: float = 900.0
    scale: float = 1.0
    sleep: Callable[[float], None] = time.sleep

    def delay(self, attempt: int) -> float:
        # full jitter: many clients retrying after one outage do not come back together
        return random.uniform(0, min(self.cap, self.base * 2 ** (attempt - 1)))  # nosec B311  # jitter, not a secret

    def wait(self, seconds: float) -> None:
        if seconds > 0:
            self.sleep(seconds * self.scale)


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def base_url(url: str) -> str:
    """The URL to read from, checked: https (http only to this machine), no credentials."""
    parts = urlsplit(url.strip())
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise UsageError(f"--url must be an https:// address, not {safe(url)!r}",
                         hint="pass the instance's base URL, e.g. https://acme.service-now.com")
    if parts.username or parts.password:
        raise UsageError("--url must not hold a user name or password",
                         hint=f"put them in {USER_ENV} and {PASSWORD_ENV} (or {TOKEN_ENV})")
    if parts.scheme == "http" and not is_loopback(parts.hostname):
        raise UsageError(f"plain http:// is refused for {parts.hostname}: credentials and "
                         "tickets would cross the network unencrypted",
                         hint="use the https:// address")
    return urlunsplit((parts.scheme, parts.netloc, parts.path.rstrip("/"), "", ""))


def safe(text: str, limit: int = 200) -> str:
    """Text from outside (a server's message, a URL) as one printable line."""
    line = "".join(ch if ch.isprintable() else " " for ch in str(text))
    line = " ".join(line.split())
    return line if len(line) <= limit else line[: limit - 1] + "…"


class ReadOnlySession(requests.Session):
    """A session that cannot send anything but a read."""

    def request(self, method: str | bytes, url: str | bytes, *args: Any,
                **kwargs: Any) -> requests.Response:
        verb = (method.decode() if isinstance(method, bytes) else method).upper()
        target = url.decode() if isinstance(url, bytes) else url
        path = urlsplit(target).path
        if verb == "GET" or (verb == "POST" and path.endswith(READ_POSTS)):
            return super().request(verb, target, *args, **kwargs)
        raise ReadOnlyError(f"itsm-diag only reads: refused {verb} {path}")


@dataclass
class Answer:
    """A parsed JSON answer and its headers."""

    data: Any
    headers: Mapping[str, str]
    status: int


class Client:
    """GET (and the listed read POSTs) against one base URL, with retries."""

    def __init__(self, url: str, *, auth_header: str | None, tool: str, env_hint: str,
                 timeout: float = 60.0, backoff: Backoff | None = None,
                 secrets: list[str] | None = None,
                 on_wait: Callable[[str], None] | None = None) -> None:
        self.base = base_url(url)
        self.host = urlsplit(self.base).hostname or self.base
        self.tool = tool
        self.env_hint = env_hint
        self.timeout = timeout
        self.backoff = backoff or Backoff()
        self.session = ReadOnlySession()
        self.session.headers["Accept"] = "application/json"
        self.session.headers["User-Agent"] = "itsm-diag pull"
        if auth_header:
            self.session.headers["Authorization"] = auth_header
        self._secrets = [s for s in (secrets or []) if s]
        self.on_wait = on_wait
        self.requests = 0
        self.retries = 0

    def close(self) -> None:
        self.session.close()

    def get(self, path: str, params: Mapping[str, Any] | None = None, *,
            what: str = "the data") -> Answer:
        return self._send("GET", path, params=params, what=what)

    def post_read(self, path: str, body: Mapping[str, Any], *, what: str = "the data") -> Answer:
        """A read endpoint that takes its query as a POST body (see :data:`READ_POSTS`)."""
        return self._send("POST", path, body=body, what=what)

    def url(self, path: str) -> str:
        return self.base + path

    def _send(self, method: str, path: str, *, params: Mapping[str, Any] | None = None,
              body: Mapping[str, Any] | None = None, what: str) -> Answer:
        attempt = 0
        while True:
            attempt += 1
            problem: str
            wait: float | None = None
            try:
                self.requests += 1
                resp = self.session.request(
                    method, self.url(path), params=params, json=body,
                    timeout=(min(10.0, self.timeout), self.timeout), allow_redirects=False)
                status = resp.status_code
                if status == 200:
                    try:
                        data = resp.json()
                    except ValueError:  # a body cut short: the connection dropped mid-page
                        problem = "the answer was cut short"
                    else:
                        self._respect_quota(resp.headers)
                        return Answer(data, resp.headers, status)
                elif status == 429:
                    wait = self._retry_after(resp.headers)
                    problem = "rate limited (429)"
                elif status in _RETRY_STATUS:
                    wait = self._retry_after(resp.headers, default=None)
                    problem = f"server error ({status})"
                elif status in _SAY_STATUS:
                    raise PullError(self.clean(_SAY_STATUS[status].format(
                        env=self.env_hint, host=self.host, what=what, tool=self.tool)))
                elif 300 <= status < 400:
                    raise PullError(self.clean(
                        f"{self.host} redirected the request to "
                        f"{safe(resp.headers.get('Location', '?'))} ({status})"),
                        hint="pass that address as --url (redirects are not followed, so "
                             "credentials only go where you said)")
                else:
                    raise PullError(self.clean(
                        f"{self.host} answered {status} for {what}: {safe(resp.text, 160)}"),
                        hint="check --url and the options")
            except requests.Timeout:
                problem = f"no answer within {self.timeout:g} s"
            except requests.ConnectionError as exc:
                problem = f"connection failed ({type(exc).__name__})"
            except requests.RequestException as exc:  # e.g. ChunkedEncodingError: cut short
                problem = f"the transfer broke ({type(exc).__name__})"
            if attempt >= self.backoff.tries:
                raise PullError(self.clean(f"gave up on {what} at {self.host} after "
                                           f"{attempt} tries: {problem}"),
                                hint="rerun the same command later: the pull resumes "
                                     "where it stopped")
            delay = self.backoff.delay(attempt) if wait is None else wait
            if delay > self.backoff.max_retry_after:
                raise PullError(self.clean(f"{self.host} asks to wait {delay:,.0f} s ({problem})"),
                                hint="rerun the same command after that: the pull resumes "
                                     "where it stopped")
            self.retries += 1
            if self.on_wait is not None:
                self.on_wait(f"{problem}; retry {attempt} in {delay:.1f} s")
            self.backoff.wait(delay)

    def _retry_after(self, headers: Mapping[str, str], default: float | None = 1.0) -> float | None:
        value = headers.get("Retry-After")
        if value is None:
            reset = headers.get("X-RateLimit-Reset") or headers.get("RateLimit-Reset")
            return _seconds(reset) if reset is not None else default
        return _seconds(value) if _seconds(value) is not None else default

    def _respect_quota(self, headers: Mapping[str, str]) -> None:
        """A quota spent to 0 on a successful answer: wait for its reset before the next
        request instead of earning a 429."""
        remaining = (headers.get("X-RateLimit-Remaining") or headers.get("X-Ratelimit-Remaining")
                     or headers.get("ratelimit-remaining"))
        if remaining is None or remaining.strip() != "0":
            return
        wait = self._retry_after(headers, default=None)
        if wait:
            if self.on_wait is not None:
                self.on_wait(f"rate limit reached; waiting {wait:.0f} s for it to reset")
            self.backoff.wait(min(wait, self.backoff.max_retry_after))

    def clean(self, text: str) -> str:
        """``text`` with any secret blanked (a server may echo what it was sent)."""
        for secret in self._secrets:
            text = text.replace(secret, "***")
        return text


def _seconds(value: str | None) -> float | None:
    """Retry-After / reset as seconds from now: a number of seconds, a Unix time (reset
    headers) or an HTTP date."""
    if value is None:
        return None
    text = value.strip()
    try:
        number = float(text)
    except ValueError:
        try:
            when = parsedate_to_datetime(text)
        except (TypeError, ValueError):
            return None
        return max(0.0, when.timestamp() - time.time())
    if number > 1e9:  # an epoch time, as X-RateLimit-Reset often is
        return max(0.0, number - time.time())
    return max(0.0, number)


def dumps(data: Any) -> str:
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"))
