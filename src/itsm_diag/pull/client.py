"""The one HTTP client of itsm-diag: read-only, credentials from the environment, polite.

Read-only by construction: :class:`ReadOnlySession` refuses every method but GET before
anything is sent, and POST too except to the paths in :data:`READ_POSTS` (endpoints that
only read but take their query as a body). Nothing here follows a URL the server hands
back: every request is built from the base URL given on the command line, and redirects
are not followed (a redirect is reported instead), so credentials can only ever go to
that host.

Credentials come only from ``ITSM_DIAG_USER`` + ``ITSM_DIAG_PASSWORD`` or
``ITSM_DIAG_TOKEN`` (each tool says how it uses them); they live in the session's
``Authorization`` header and never in a URL, a message, a file or the state. The session
does not trust the environment: no ``~/.netrc``, no ``HTTP(S)_PROXY``, no CA bundle
variables, so nothing but the ``ITSM_DIAG_*`` variables decides what is sent, or where.
Every form of a secret a server may echo (the raw value, the Basic pair and its base64,
URL- or JSON-escaped) is blanked from every message.

Faults: 429 waits ``Retry-After`` (seconds or an HTTP date) or the rate-limit reset header
(seconds, a Unix time, an HTTP date or an ISO time such as Jira's ``yyyy-MM-ddTHH:mmZ``),
and without a usable one backs off exponentially with at least half of each step kept
(:meth:`Backoff.patient`: the 8 tries span a minute or more, a rate-limit window);
5xx, dropped connections, timeouts (no answer, or an answer still arriving ``timeout``
seconds after it started) and cut-short bodies are retried with exponential backoff;
each bounded by :class:`Backoff`. A quota an answer spends to 0 is waited for before the
next request; a reset past ``max_retry_after`` stops with one line, as a long
``Retry-After`` does. 401/403/404, a web page where JSON was expected, a
request that cannot be built, and, before the server has answered once, a host name that
does not resolve or a connection refused stop at once with one line saying what to
check.
"""

from __future__ import annotations

import base64
import contextlib
import gzip
import http.client
import ipaddress
import json
import math
import os
import random
import re
import socket
import time
import zlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import quote, urlsplit, urlunsplit

import requests
import urllib3.exceptions

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
        for name in (USER_ENV, PASSWORD_ENV, TOKEN_ENV):
            _check_variable(name, env.get(name) or "")
        return cls(env.get(USER_ENV) or None, env.get(PASSWORD_ENV) or None,
                   env.get(TOKEN_ENV) or None)

    def secrets(self) -> list[str]:
        return [s for s in (self.password, self.token) if s]


def _check_variable(name: str, value: str) -> None:
    """A credential that no server could take, refused before anything is sent (and
    never quoted: it is a secret)."""
    bad = next((i for i, ch in enumerate(value) if not ch.isprintable()), None)
    if bad is not None:
        raise UsageError(f"{name} holds a control character (position {bad + 1}; a line "
                         "end or tab copied with it?)",
                         hint=f"set {name} again without it")
    # a token goes into the header as it is (Bearer), where only ASCII can travel; user
    # names and passwords are sent base64-encoded as UTF-8 and may hold any letter
    if name == TOKEN_ENV and not value.isascii():
        bad = next(i for i, ch in enumerate(value) if not ch.isascii())
        raise UsageError(f"{name} holds a character that is not ASCII (position {bad + 1}; "
                         "a typographic quote or dash copied with it?)",
                         hint=f"set {name} again to the token exactly as the tool shows it")


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

    def patient(self, attempt: int) -> float:
        """A rate limit's wait when the server names none: "equal jitter", half of each
        exponential step kept, so the tries together outlast a window of a minute (1 + 2
        + ... + 32 + 60 s halved: 61.5 s at least with the defaults), still spread."""
        step = min(self.cap, self.base * 2 ** (attempt - 1))
        return step / 2 + random.uniform(0, step / 2)  # nosec B311  # jitter, not a secret

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


_LABEL = re.compile(r"^(?!-)[A-Za-z0-9_-]{1,63}(?<!-)$")
_URL_HINT = "pass the instance's base URL, e.g. https://acme.service-now.com"


def _valid_host(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
        return True
    except ValueError:
        pass
    try:
        ascii_host = host.encode("idna").decode("ascii")
    except UnicodeError:
        return False
    labels = ascii_host.rstrip(".").split(".")
    return len(ascii_host) <= 253 and all(_LABEL.match(label) for label in labels)


def base_url(url: str) -> str:
    """The URL to read from, checked whole before anything else is done with it: https
    (http only to this machine), a host that can exist, a port that can exist, and no
    user or password (which is never echoed, even in a URL that is wrong otherwise)."""
    text = url.strip()
    # the authority: between "//" (or the start) and the first / ? #
    authority = re.split(r"[/?#]", text.split("//", 1)[1] if "//" in text else text)[0]
    if "@" in authority:
        raise UsageError("--url must not hold a user name or password (the part before '@')",
                         hint=f"put them in {USER_ENV} and {PASSWORD_ENV} (or {TOKEN_ENV})")
    if not text or any(not ch.isprintable() or ch.isspace() for ch in text):
        raise UsageError(f"--url {safe(text)!r} is not an address: it is empty or holds a "
                         "space or a control character", hint=_URL_HINT)
    try:
        parts = urlsplit(text)
        host, port = parts.hostname, parts.port
    except ValueError as exc:  # "https://[x", a port that is not a number or too large
        raise UsageError(f"--url {safe(text)!r} is not a valid address ({safe(str(exc), 60)})",
                         hint=_URL_HINT) from exc
    if parts.scheme.lower() not in ("https", "http"):
        raise UsageError(f"--url must be an https:// address, not {safe(text)!r}",
                         hint=_URL_HINT)
    if not host or not _valid_host(host):
        raise UsageError(f"--url {safe(text)!r} names no valid host", hint=_URL_HINT)
    if port == 0:
        raise UsageError(f"--url {safe(text)!r} names no valid port", hint=_URL_HINT)
    if parts.scheme.lower() == "http" and not is_loopback(host):
        raise UsageError(f"plain http:// is refused for {host}: credentials and "
                         "tickets would cross the network unencrypted",
                         hint="use the https:// address")
    return urlunsplit((parts.scheme.lower(), parts.netloc, parts.path.rstrip("/"), "", ""))


def safe(text: str, limit: int = 200) -> str:
    """Text from outside (a server's message, a URL) as one printable line."""
    line = "".join(ch if ch.isprintable() else " " for ch in str(text))
    line = " ".join(line.split())
    return line if len(line) <= limit else line[: limit - 1] + "…"


class ReadOnlySession(requests.Session):
    """A session that cannot send anything but a read, and that takes nothing from the
    environment (``~/.netrc`` credentials, proxies, CA bundles): what is sent, and where,
    depends on the command line and the ``ITSM_DIAG_*`` variables only."""

    def __init__(self) -> None:
        super().__init__()
        self.trust_env = False

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


class _Late(Exception):
    """The answer was still arriving when its time was up."""


class _Broken(Exception):
    """The body could not be read or decoded (cut short, garbled compression)."""


#: the most of an error answer's body that is read (it is quoted in one line at most)
_ERROR_BODY = 64 * 1024
_TITLE = re.compile(rb"<title[^>]*>(.*?)</title", re.IGNORECASE | re.DOTALL)


def secret_forms(auth_header: str | None, secrets: list[str]) -> list[str]:
    """Every form in which a server may echo what it was sent: each secret, the header's
    credential (a Basic pair's base64, with and without padding, and the pair itself),
    each also URL- and JSON-escaped; longest first, so no part of one is left behind."""
    forms = {s for s in secrets if s}
    if auth_header:
        scheme, _, value = auth_header.partition(" ")
        value = value.strip()
        if value:
            forms.add(value)
        if scheme.lower() == "basic" and value:
            # not base64 (binascii.Error) or not UTF-8: nothing more to blank
            with contextlib.suppress(ValueError):
                forms.add(base64.b64decode(value, validate=True).decode("utf-8"))
            forms.add(value.replace("+", "-").replace("/", "_"))  # URL-safe alphabet
    for form in list(forms):
        forms.update({form.rstrip("="), quote(form, safe=""), json.dumps(form)[1:-1]})
    return sorted((f for f in forms if f), key=len, reverse=True)


def _decoded(body: bytes, encoding: str) -> bytes:
    """The body as sent before ``Content-Encoding`` (gzip and deflate are asked for)."""
    for coding in reversed([c.strip().lower() for c in encoding.split(",") if c.strip()]):
        try:
            if coding in ("gzip", "x-gzip"):
                body = gzip.decompress(body)
            elif coding == "deflate":
                try:
                    body = zlib.decompress(body)
                except zlib.error:  # raw deflate, as some servers send it
                    body = zlib.decompress(body, -zlib.MAX_WBITS)
            elif coding != "identity":
                raise _Broken(f"the answer is encoded as {safe(coding, 40)!r}")
        except (OSError, EOFError, zlib.error) as exc:
            raise _Broken("the answer was cut short") from exc
    return body


def _read1(raw: Any, size: int) -> bytes:
    """At most ``size`` bytes of the body as sent, after one socket read at most."""
    read1 = getattr(raw, "read1", None)
    if read1 is not None:  # urllib3 2.3 and later
        return bytes(read1(size, decode_content=False))
    return bytes(raw._fp.read1(size))  # before: the http.client response it wraps


def _json(raw: bytes, charset: str | None) -> tuple[Any, int]:
    """JSON in UTF-8 (or -16, -32, as the JSON RFC allows), or in the charset the answer
    names; and the number of texts in it that held a lone surrogate (``"\\ud83d"``, an
    emoji cut in two by a server counting UTF-16 units: valid JSON, but no UTF-8 can
    hold it), each replaced by U+FFFD so the journal and the files can be written."""
    try:
        try:
            data = json.loads(raw)
        except UnicodeDecodeError:
            data = json.loads(_as_text(raw, charset))
        if _ESCAPED_SURROGATE.search(raw) is None:  # the only way one can come in
            return data, 0
        return _no_surrogates(data)
    except RecursionError:  # arrays or objects nested deeper than any API answers
        raise _TooDeep from None


#: a surrogate written as a JSON escape (UTF-8 bytes cannot hold one; UTF-16 JSON is
#: decoded to pairs or refused). A pair is read whole by json; a lone one stays
_ESCAPED_SURROGATE = re.compile(rb"\\u[dD][89a-fA-F]")
_SURROGATE = re.compile("[\ud800-\udfff]")


def _no_surrogates(data: Any) -> tuple[Any, int]:
    """``data`` with every lone surrogate in its texts (keys too) replaced by U+FFFD, and
    how many texts held one."""
    count = 0

    def clean(value: Any) -> Any:
        nonlocal count
        if isinstance(value, str):
            if _SURROGATE.search(value) is None:
                return value
            count += 1
            return _SURROGATE.sub("\ufffd", value)
        if isinstance(value, list):
            return [clean(v) for v in value]
        if isinstance(value, dict):
            return {clean(k): clean(v) for k, v in value.items()}
        return value

    return clean(data), count


class _TooDeep(Exception):
    """Valid JSON nested too deep to read (no API nests so): an answer a retry repeats."""


def _as_text(raw: bytes, charset: str | None) -> str:
    try:
        return raw.decode(charset or "utf-8", errors="replace")
    except LookupError:  # a charset Python does not know
        return raw.decode("utf-8", errors="replace")


def _looks_like_page(headers: Mapping[str, str], body: bytes) -> bool:
    """A web page (a login portal, a hibernating instance's notice), not cut-short JSON."""
    kind = (headers.get("Content-Type") or "").lower()
    return "html" in kind or "xml" in kind or body.lstrip()[:1] == b"<"


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
        # only what _decoded can undo (requests would offer br or zstd when installed)
        self.session.headers["Accept-Encoding"] = "gzip, deflate"
        self.session.headers["User-Agent"] = "itsm-diag pull"
        if auth_header:  # Credentials.from_env checked its variables: ASCII, printable
            self.session.headers["Authorization"] = auth_header
        self._secrets = secret_forms(auth_header, list(secrets or []))
        self.on_wait = on_wait
        self.requests = 0
        self.retries = 0
        #: texts received with a lone surrogate, replaced by U+FFFD (:func:`_json`)
        self.replaced = 0
        #: the seconds to the reset of a quota the last answer spent, waited for by the
        #: next request
        self._quota_reset: float | None = None
        #: whether the server has answered once (after that, a refused connection or a
        #: name that does not resolve is a restart or a DNS blip, retried)
        self.answered = False

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

    def _read(self, resp: requests.Response, limit: int | None = None) -> bytes:
        """The body, read as it comes with the time it may take bounded: a server that
        trickles bytes (each read within the socket timeout) cannot hold the pull forever.
        Raises :class:`_Late` when the time is up, :class:`_Broken` when it is cut short."""
        deadline = time.monotonic() + self.timeout
        chunks: list[bytes] = []
        size = 0
        complete = False
        try:
            while limit is None or size < limit:
                if time.monotonic() > deadline:
                    raise _Late
                # raw bytes, one socket read at a time (a decoder could swallow a trickle
                # of compressed bytes without returning): decoded once whole
                chunk = _read1(resp.raw, 65536)
                if not chunk:
                    complete = True
                    break
                chunks.append(chunk)
                size += len(chunk)
        except (urllib3.exceptions.ReadTimeoutError, TimeoutError) as exc:
            raise _Late from exc
        except (urllib3.exceptions.HTTPError, http.client.HTTPException, OSError) as exc:
            raise _Broken(f"the transfer broke ({type(exc).__name__})") from exc
        finally:
            if not complete:  # a half-read answer: its connection cannot be used again
                resp.raw.close()
            resp.raw.release_conn()
        body = b"".join(chunks)
        return _decoded(body, resp.headers.get("Content-Encoding") or "") if complete else body

    def _text(self, resp: requests.Response) -> str:
        """The start of an error answer's body, as text (empty if it does not come)."""
        try:
            raw = self._read(resp, _ERROR_BODY)
        except (_Late, _Broken):
            return ""
        return _as_text(raw, resp.encoding)

    def _send(self, method: str, path: str, *, params: Mapping[str, Any] | None = None,
              body: Mapping[str, Any] | None = None, what: str) -> Answer:
        attempt = 0
        self._await_quota()
        while True:
            attempt += 1
            problem: str
            wait: float | None = None
            try:
                self.requests += 1
                resp = self.session.request(
                    method, self.url(path), params=params, json=body, stream=True,
                    timeout=(min(10.0, self.timeout), self.timeout), allow_redirects=False)
                self.answered = True
                status = resp.status_code
                if status == 200:
                    raw = self._read(resp)
                    try:
                        data, replaced = _json(raw, resp.encoding)
                    except _TooDeep:
                        raise PullError(self.clean(
                            f"the server's answer is malformed: the answer for {what} nests "
                            "arrays or objects too deep to read"),
                            hint="check that --url is the tool's own address; the pull "
                                 "cannot go on safely past it") from None
                    except ValueError:
                        if _looks_like_page(resp.headers, raw):
                            raise PullError(self._page_message(raw, what),
                                            hint="open --url in a browser: it may be a "
                                                 "login page, or the instance may be "
                                                 "asleep (hibernating) or moved") from None
                        problem = "the answer was cut short"
                    else:
                        self.replaced += replaced
                        self._respect_quota(resp.headers)
                        return Answer(data, resp.headers, status)
                elif status == 429:
                    resp.close()
                    wait = self._retry_after(resp.headers)
                    if wait is None:  # no usable header (or a reset already past): back off
                        wait = self.backoff.patient(attempt)
                    problem = "rate limited (429)"
                elif status in _RETRY_STATUS:
                    resp.close()
                    wait = self._retry_after(resp.headers)
                    problem = f"server error ({status})"
                elif status in _SAY_STATUS:
                    resp.close()
                    raise PullError(self.clean(_SAY_STATUS[status].format(
                        env=self.env_hint, host=self.host, what=what, tool=self.tool)))
                elif 300 <= status < 400:
                    resp.close()
                    location = self.clean(resp.headers.get("Location", "?"))
                    raise PullError(self.clean(
                        f"{self.host} redirected the request to {safe(location)} ({status})"),
                        hint="pass that address as --url (redirects are not followed, so "
                             "credentials only go where you said)")
                else:
                    text = self.clean(self._text(resp))
                    raise PullError(self.clean(
                        f"{self.host} answered {status} for {what}: {safe(text, 160)}"),
                        hint="check --url and the options")
            except _Late:
                problem = f"the answer was still arriving after {self.timeout:g} s"
            except _Broken as exc:
                problem = str(exc)
            except requests.Timeout:
                problem = f"no answer within {self.timeout:g} s"
            except (requests.exceptions.InvalidHeader, requests.exceptions.InvalidURL,
                    requests.exceptions.InvalidSchema, requests.exceptions.MissingSchema,
                    UnicodeError) as exc:
                # the request cannot even be built: the same next time. Not quoted: the
                # message of an invalid header holds the header, a secret
                raise PullError(f"the request to {self.host} cannot be built "
                                f"({type(exc).__name__})",
                                hint=f"check --url and {self.env_hint}") from None
            except requests.ConnectionError as exc:
                unreachable = None if self.answered else self._unreachable(exc)
                if unreachable is not None:
                    # not the transient fault retries are for: the same in a minute
                    raise PullError(self.clean(unreachable)) from None
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

    def _unreachable(self, exc: BaseException) -> str | None:
        """One line naming why the server cannot be reached at all, when ``exc`` (a
        connection error before any answer) holds a name that does not resolve or a
        connection refused; None for any other fault (a dropped connection, a timeout:
        retried)."""
        seen: set[int] = set()
        stack: list[BaseException | None] = [exc]
        while stack:
            cause = stack.pop()
            if cause is None or id(cause) in seen:
                continue
            seen.add(id(cause))
            if isinstance(cause, socket.gaierror):
                return f"cannot resolve {self.host}: check --url or the network"
            if isinstance(cause, ConnectionRefusedError):
                parts = urlsplit(self.base)
                port = parts.port or (443 if parts.scheme == "https" else 80)
                where = f"[{self.host}]" if ":" in self.host else self.host
                return (f"connection refused by {where}:{port}: check --url (its host and "
                        "port) and that the server is running")
            # requests wraps urllib3's MaxRetryError, which holds the fault as its reason
            stack += [getattr(cause, "reason", None), cause.__cause__, cause.__context__,
                      *(a for a in cause.args if isinstance(a, BaseException))]
        return None

    def _page_message(self, raw: bytes, what: str) -> str:
        found = _TITLE.search(raw[:_ERROR_BODY])
        title = found.group(1).decode("utf-8", errors="replace") if found else ""
        title = safe(self.clean(title), 80)
        return self.clean(f"{self.host} answered a web page, not JSON, for {what}"
                          + (f" (titled {title!r})" if title.strip() else ""))

    def _retry_after(self, headers: Mapping[str, str]) -> float | None:
        """The wait the server asks for (``Retry-After``, else a rate-limit reset header),
        None when it names none that can be read or no wait at all (``0``, a reset
        already past): the back-off decides then, for a 429 and a 5xx alike."""
        value = headers.get("Retry-After")
        if value is None:
            value = headers.get("X-RateLimit-Reset") or headers.get("RateLimit-Reset")
        wait = _seconds(value) if value is not None else None
        return wait if wait is not None and wait > 0 else None

    def _respect_quota(self, headers: Mapping[str, str]) -> None:
        """A quota spent to 0 on a successful answer: the next request waits for its
        reset (:meth:`_await_quota`) instead of earning a 429; no wait when no request
        follows (the answer is returned, and kept, at once)."""
        remaining = (headers.get("X-RateLimit-Remaining") or headers.get("X-Ratelimit-Remaining")
                     or headers.get("ratelimit-remaining"))
        if remaining is None or remaining.strip() != "0":
            return
        wait = self._retry_after(headers)
        if wait:
            self._quota_reset = wait

    def _await_quota(self) -> None:
        """Before a request: wait for the reset of a quota the last answer spent, as long
        as it is no longer than a retry may wait (``max_retry_after``, 15 minutes); past
        that, one line and a stop (the rerun resumes), as for a long ``Retry-After``:
        nothing is sent before the reset."""
        if self._quota_reset is None:
            return
        wait, self._quota_reset = self._quota_reset, None
        if wait > self.backoff.max_retry_after:
            raise PullError(self.clean(f"{self.host} asks to wait {wait:,.0f} s (the rate "
                                       "limit is spent until it resets)"),
                            hint="rerun the same command after that: the pull resumes "
                                 "where it stopped")
        if self.on_wait is not None:
            self.on_wait(f"rate limit reached; waiting {wait:.0f} s for it to reset")
        self.backoff.wait(wait)

    def clean(self, text: str) -> str:
        """``text`` with any secret blanked (a server may echo what it was sent)."""
        for secret in self._secrets:
            text = text.replace(secret, "***")
        return text


def _seconds(value: str | None) -> float | None:
    """Retry-After / reset as seconds from now: a number of seconds, a Unix time (reset
    headers), an HTTP date or an ISO 8601 time (Jira's ``X-RateLimit-Reset``,
    ``yyyy-MM-ddTHH:mmZ``; UTC when it names no zone)."""
    if value is None:
        return None
    text = value.strip()
    try:
        number = float(text)
    except ValueError:
        try:
            when = parsedate_to_datetime(text)
        except (TypeError, ValueError, IndexError):
            try:
                when = datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
            except ValueError:
                return None
            if when.tzinfo is None:
                when = when.replace(tzinfo=UTC)
        try:
            return max(0.0, when.timestamp() - time.time())
        except (OverflowError, ValueError, OSError):
            return None
    if not math.isfinite(number):
        return None
    if number > 1e9:  # an epoch time, as X-RateLimit-Reset often is
        return max(0.0, number - time.time())
    return max(0.0, number)


def dumps(data: Any) -> str:
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"))
