"""Connection options shared by both drivers, and the auth and TLS helpers.

Examples:
    >>> opts = ConnectOptions("wss://127.0.0.1:8080/api/ws", auth=BasicAuth("op", "secret"))
    >>> opts.request_headers()["Authorization"]
    'Basic b3A6c2VjcmV0'
    >>> "secret" in repr(opts)
    False
    >>> ConnectOptions.build("ws://127.0.0.1/", request_timout=5)
    Traceback (most recent call last):
    iotws.errors.UsageError: unknown option 'request_timout' (did you mean request_timeout, connect_timeout?)
"""

from __future__ import annotations

import base64
import difflib
import logging
import math
import numbers
import os
import ssl
from collections.abc import Collection, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, TypedDict
from urllib.parse import parse_qsl, urlencode, urlsplit

import attrs

from iotws.backoff import ReconnectPolicy
from iotws.errors import TLSError, UsageError
from iotws.logs import package_logger

if TYPE_CHECKING:  # aiohttp loads with the first AsyncClient connection
    import aiohttp

__all__ = [
    "SECRET_HEADERS",
    "AsyncConnectOptionsDict",
    "BasicAuth",
    "BearerAuth",
    "ConnectOptions",
    "ConnectOptionsDict",
    "check_headers",
    "check_option_names",
    "check_timeout",
    "is_secret_name",
    "option_names",
    "redact_headers",
    "safe_url",
]

log: logging.Logger = package_logger("iotws")

SECRET_HEADERS = frozenset(
    {
        "authorization",
        "proxy-authorization",
        "cookie",
        "set-cookie",
        "x-api-key",
        "api-key",
        "apikey",
        "x-auth-token",
        "x-access-token",
        "x-api-token",
        "x-csrf-token",
        "x-xsrf-token",
        "x-amz-security-token",
        "x-goog-api-key",
        "x-vault-token",
        "private-token",
    }
)
"""Header names whose values never reach a log line or a repr (lower case). Names
that contain a word in ``_SECRET_WORDS`` are redacted too; add your own with
the ``secret_headers`` option.
"""

#: Words that make a header or query parameter name a secret wherever they appear in it.
_SECRET_WORDS = ("auth", "token", "secret", "passw", "pwd", "api-key", "apikey", "api_key", "cookie", "session")


def is_secret_name(name: str, extra: Collection[str] = ()) -> bool:
    """Whether header (or query parameter) ``name`` carries a credential, by list and by word.

    ``extra`` holds more names (any case), e.g. the ``secret_headers`` option.

    Examples:
        >>> is_secret_name("X-Auth-Token"), is_secret_name("X-Site"), is_secret_name("X-Site", {"x-site"})
        (True, False, True)
    """
    lowered = name.lower()
    if lowered in SECRET_HEADERS or lowered in extra:
        return True
    return any(word in lowered for word in _SECRET_WORDS)


class _Headers(dict[str, str]):
    """The upgrade headers of one client: a dict that remembers which extra names are secret."""

    secret_names: frozenset[str] = frozenset()


def redact_headers(headers: Mapping[str, str], secret: Collection[str] | None = None) -> dict[str, str]:
    """Return a copy of ``headers`` with credentials replaced by ``'***'``.

    Redacted: the usual credential headers ([`SECRET_HEADERS`][iotws.options.SECRET_HEADERS]), any name with
    ``auth``, ``token``, ``secret``, ``password``... in it, and the names in
    ``secret`` (by default those of the ``secret_headers`` option of the client the
    headers come from, see [`ConnectOptions.request_headers`][iotws.ConnectOptions.request_headers]).

    Examples:
        >>> redact_headers({"Authorization": "Bearer abc", "X-Auth-Token": "t", "X-Site": "north"})
        {'Authorization': '***', 'X-Auth-Token': '***', 'X-Site': 'north'}
        >>> redact_headers({"X-Site": "north"}, secret={"x-site"})
        {'X-Site': '***'}
    """
    extra = frozenset(getattr(headers, "secret_names", ()) if secret is None else (n.lower() for n in secret))
    return {k: ("***" if is_secret_name(k, extra) else v) for k, v in headers.items()}


def safe_url(url: str) -> str:
    """``url`` with its ``user:password@`` part and secret query values hidden, for logs and errors.

    Examples:
        >>> safe_url("ws://op:pw@127.0.0.1:8080/ws?site=a&token=abc")
        'ws://***@127.0.0.1:8080/ws?site=a&token=%2A%2A%2A'
        >>> safe_url("ws://127.0.0.1/ws")
        'ws://127.0.0.1/ws'
    """
    try:
        parts = urlsplit(url)
        netloc = parts.netloc
        if "@" in netloc:
            netloc = "***@" + netloc.rpartition("@")[2]
        query = parts.query
        if query:
            pairs = parse_qsl(query, keep_blank_values=True)
            if any(is_secret_name(k) for k, _ in pairs):
                query = urlencode([(k, "***" if is_secret_name(k) else v) for k, v in pairs])
        return parts._replace(netloc=netloc, query=query).geturl()
    except ValueError:
        return "<unparseable URL>"


#: Characters allowed in a header name (an RFC 9110 token).
_TOKEN_CHARS = frozenset("!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")


def check_headers(headers: Mapping[str, str]) -> None:
    """Refuse header names and values that would break the upgrade request.

    A CR or LF in a value would end the header line and inject new ones, so every
    control character (except tab) is refused in values, and names must be plain
    tokens. The message names the header but never shows its value (it may be a
    credential).

    Examples:
        >>> check_headers({"X-Site": "north", "Authorization": "Bearer abc"})
        >>> check_headers({"Authorization": "Bearer abc\\r\\nX-Injected: 1"})
        Traceback (most recent call last):
        iotws.errors.UsageError: header 'Authorization': its value contains a control character (U+000D); not sent
    """
    for name, value in headers.items():
        if not isinstance(name, str) or not name or not _TOKEN_CHARS.issuperset(name):
            raise UsageError(f"header name {name!r} is not a valid HTTP header name; not sent")
        if not isinstance(value, str):
            raise UsageError(f"header {name!r}: its value must be a str, not {type(value).__name__}")
        for char in value:
            if (char < " " and char != "\t") or char == "\x7f":
                raise UsageError(
                    f"header {name!r}: its value contains a control character (U+{ord(char):04X}); not sent"
                )


def _check_credential(owner: str, name: str, value: object) -> None:
    if not isinstance(value, str):
        raise UsageError(f"{owner}: {name} must be a str, not {type(value).__name__}")


@attrs.frozen(slots=True, repr=False)
class BasicAuth:
    """HTTP Basic credentials for the WebSocket upgrade; the password never shows in a repr.

    Examples:
        >>> BasicAuth("op", "pw")
        BasicAuth(username='op', password='***')
    """

    username: str = attrs.field(validator=lambda i, a, v: _check_credential("BasicAuth", a.name, v))
    password: str = attrs.field(validator=lambda i, a, v: _check_credential("BasicAuth", a.name, v))

    def __attrs_post_init__(self) -> None:
        if ":" in self.username:
            raise UsageError("BasicAuth: username must not contain ':' (Basic auth cannot carry it)")

    def header(self) -> str:
        """The ``Authorization`` header value."""
        raw = f"{self.username}:{self.password}".encode()
        return "Basic " + base64.b64encode(raw).decode("ascii")

    def __repr__(self) -> str:
        return f"BasicAuth(username={self.username!r}, password='***')"


@attrs.frozen(slots=True, repr=False)
class BearerAuth:
    """A bearer token for the WebSocket upgrade; the token never shows in a repr.

    Examples:
        >>> BearerAuth("eyJ...").header()
        'Bearer eyJ...'
        >>> BearerAuth("eyJ...")
        BearerAuth(token='***')
    """

    token: str = attrs.field(validator=lambda i, a, v: _check_credential("BearerAuth", a.name, v))

    def header(self) -> str:
        """The ``Authorization`` header value."""
        return f"Bearer {self.token}"

    def __repr__(self) -> str:
        return "BearerAuth(token='***')"


def _kind(value: object) -> str:
    return type(value).__name__


def _check_url(instance: ConnectOptions, attribute: object, value: str) -> None:
    if not isinstance(value, str):
        raise UsageError(f"url must be a str such as 'ws://host:port/path', not {_kind(value)}")
    shown = safe_url(value)
    try:
        parts = urlsplit(value)
        port = parts.port
    except ValueError as exc:
        raise UsageError(f"not a WebSocket URL: {shown!r} ({exc}; a port is 1..65535)") from None
    if parts.scheme not in ("ws", "wss") or not parts.hostname:
        raise UsageError(f"not a WebSocket URL: {shown!r} (expected ws://host[:port]/path or wss://...)")
    if port == 0:
        raise UsageError(f"not a WebSocket URL: {shown!r} (port 0; a port is 1..65535)")


def check_timeout(value: object, name: str = "timeout", *, optional: bool = True) -> float | None:
    """Check a timeout given by a caller: a finite number of seconds > 0 (or ``None`` if ``optional``).

    Returns it as a ``float``; raises [`UsageError`][iotws.UsageError] otherwise.

    Examples:
        >>> check_timeout(2), check_timeout(None)
        (2.0, None)
        >>> check_timeout(-1, "refresh: timeout")
        Traceback (most recent call last):
        iotws.errors.UsageError: refresh: timeout must be positive (a finite number of seconds > 0), got -1
    """
    if value is None and optional:
        return None
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        allowed = "a number of seconds > 0" + (" or None" if optional else "")
        raise UsageError(f"{name} must be {allowed}, not {_kind(value)} {_short(value)}")
    number = float(value)
    if not (number > 0 and math.isfinite(number)):
        raise UsageError(f"{name} must be positive (a finite number of seconds > 0), got {value!r}")
    return number


def _short(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _check_positive(instance: object, attribute: attrs.Attribute[Any], value: float | None) -> None:
    check_timeout(value, attribute.name, optional=attribute.name in _OPTIONAL_SECONDS)


#: Options in seconds that take ``None`` (= off).
_OPTIONAL_SECONDS = frozenset({"ping_interval", "ping_timeout"})


def _check_count(instance: object, attribute: attrs.Attribute[Any], value: int) -> None:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise UsageError(f"{attribute.name} must be an int > 0, not {_kind(value)} {_short(value)}")
    if value <= 0:
        raise UsageError(f"{attribute.name} must be positive, got {value!r}")


def _check_type(*types: type, allowed: str) -> Any:
    def check(instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
        if not isinstance(value, types):
            raise UsageError(f"{attribute.name} must be {allowed}, not {_kind(value)} {_short(value)}")

    return check


def _to_headers(value: object) -> dict[str, str]:
    if isinstance(value, Mapping):
        return dict(value)
    if isinstance(value, Iterable) and not isinstance(value, (str, bytes)):
        pairs = list(value)
        if all(isinstance(pair, tuple) and len(pair) == 2 for pair in pairs):
            return dict(pairs)
    raise UsageError(f"headers must be a mapping of header names to str values, not {_kind(value)} {_short(value)}")


def _to_names(option: str) -> Any:
    def convert(value: object) -> tuple[str, ...]:
        if isinstance(value, (str, bytes)) or not isinstance(value, Iterable):
            raise UsageError(f"{option} must be a list of str, not {_kind(value)} {_short(value)}")
        names = tuple(value)
        for name in names:
            if not isinstance(name, str) or not name:
                raise UsageError(f"{option} must be a list of non-empty str, got an item {_short(name)}")
        return names

    return convert


def _to_subprotocols(value: object) -> tuple[str, ...]:
    names: tuple[str, ...] = _to_names("subprotocols")(value)
    return names


def _to_secret_headers(value: object) -> frozenset[str]:
    return frozenset(name.lower() for name in _to_names("secret_headers")(value))


def _check_reconnect(instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if value is not None and not isinstance(value, ReconnectPolicy):
        raise UsageError(
            f"reconnect must be a ReconnectPolicy(...) or None (no reconnecting), not {_kind(value)} {_short(value)}"
        )


@attrs.frozen(slots=True, repr=False)
class ConnectOptions:
    """Everything a driver needs to open, keep and reopen a connection.

    * ``headers``: extra headers on the upgrade request; ``auth``: Basic or Bearer.
    * ``subprotocols``: offered in ``Sec-WebSocket-Protocol``.
    * TLS (``wss://``): verification is on by default; ``ca_file`` trusts a custom CA
      (PEM), ``ssl_context`` replaces everything, ``verify=False`` is an explicit,
      logged opt-out.
    * ``connect_timeout`` covers TCP, TLS, the upgrade and the protocol's opening
      exchange; ``request_timeout`` is the default wait for a reply.
    * ``close_timeout``: how long ``close()`` waits for the server to answer its
      close frame before cutting the connection.
    * ``ping_interval``/``ping_timeout``: WebSocket pings; ``None`` disables them.
    * ``max_message_size``: larger incoming messages close the link (1009).
    * ``reconnect``: a [`ReconnectPolicy`][iotws.ReconnectPolicy], or ``None`` to fail
      instead of reconnecting.
    * ``event_queue_size``: events kept for a slow consumer before the oldest are
      dropped (and counted).
    * ``secret_headers``: more header names (any case) whose values are hidden in
      logs and reprs, besides ``Authorization``, ``Cookie``, ``X-Auth-Token``, ``X-API-Key``
      and any name with ``auth``, ``token``, ``secret``... in it.

    Every value is checked here, so a wrong one fails when the client is built, with
    a [`UsageError`][iotws.UsageError] naming the option and what it allows.

    Examples:
        >>> ConnectOptions("ws://127.0.0.1:1/", request_timeout=0)
        Traceback (most recent call last):
        iotws.errors.UsageError: request_timeout must be positive (a finite number of seconds > 0), got 0
        >>> ConnectOptions("ws://127.0.0.1:1/", reconnect="yes")
        Traceback (most recent call last):
        iotws.errors.UsageError: reconnect must be a ReconnectPolicy(...) or None (no reconnecting), not str 'yes'
        >>> opts = ConnectOptions("ws://127.0.0.1:1/", headers={"X-Site-Key2": "k"}, secret_headers=["x-site-key2"])
        >>> opts.headers, "'***'" in repr(opts)
        ({'X-Site-Key2': 'k'}, True)
    """

    url: str = attrs.field(validator=_check_url)
    headers: Mapping[str, str] = attrs.field(factory=dict, converter=_to_headers)
    auth: BasicAuth | BearerAuth | None = attrs.field(
        default=None,
        validator=_check_type(
            BasicAuth, BearerAuth, type(None), allowed="BasicAuth(user, password), BearerAuth(token) or None"
        ),
    )
    subprotocols: Sequence[str] = attrs.field(default=(), converter=_to_subprotocols)
    ca_file: str | os.PathLike[str] | None = attrs.field(
        default=None, validator=_check_type(str, os.PathLike, type(None), allowed="a path (str or PathLike) or None")
    )
    ssl_context: ssl.SSLContext | None = attrs.field(
        default=None, validator=_check_type(ssl.SSLContext, type(None), allowed="an ssl.SSLContext or None")
    )
    verify: bool = attrs.field(default=True, validator=_check_type(bool, allowed="True or False"))
    connect_timeout: float = attrs.field(default=10.0, validator=_check_positive)
    request_timeout: float = attrs.field(default=10.0, validator=_check_positive)
    close_timeout: float = attrs.field(default=0.5, validator=_check_positive)
    ping_interval: float | None = attrs.field(default=20.0, validator=_check_positive)
    ping_timeout: float | None = attrs.field(default=20.0, validator=_check_positive)
    max_message_size: int = attrs.field(default=4 * 1024 * 1024, validator=_check_count)
    reconnect: ReconnectPolicy | None = attrs.field(factory=ReconnectPolicy, validator=_check_reconnect)
    event_queue_size: int = attrs.field(default=10_000, validator=_check_count)
    secret_headers: Collection[str] = attrs.field(default=frozenset(), converter=_to_secret_headers)

    @classmethod
    def build(cls, url: str, **options: Any) -> ConnectOptions:
        """Like ``ConnectOptions(url, **options)``, but an unknown option name is a
        [`UsageError`][iotws.UsageError] naming it and the close matches.

        Examples:
            >>> ConnectOptions.build("ws://127.0.0.1/", conect_timeout=3)  # doctest: +ELLIPSIS
            Traceback (most recent call last):
            iotws.errors.UsageError: unknown option 'conect_timeout' (did you mean connect_timeout, ...?)
        """
        check_option_names(options)
        return cls(url, **options)

    def __repr__(self) -> str:
        shown = []
        for field in attrs.fields(type(self)):
            value = getattr(self, field.name)
            if field.name == "url":
                value = safe_url(value)
            elif field.name == "headers":
                value = redact_headers(value, self.secret_headers)
            elif field.name == "secret_headers":
                if not value:
                    continue
                value = sorted(value)
            shown.append(f"{field.name}={value!r}")
        return f"ConnectOptions({', '.join(shown)})"

    def __attrs_post_init__(self) -> None:
        self.request_headers()  # refuses header injection now, not at the first connect

    @property
    def is_tls(self) -> bool:
        """Whether the URL is ``wss://``."""
        return self.url.startswith("wss:")

    @property
    def safe_url(self) -> str:
        """The URL with any user:password part (and secret query values) hidden, for logs."""
        return safe_url(self.url)

    def request_headers(self) -> dict[str, str]:
        """The headers to send on the upgrade, auth included; ``UsageError`` if one is unsafe."""
        headers = _Headers(self.headers)
        headers.secret_names = frozenset(self.secret_headers)
        if self.auth is not None:
            headers["Authorization"] = self.auth.header()
        check_headers(headers)
        return headers

    def tls_context(self) -> ssl.SSLContext | None:
        """The SSL context for ``wss://`` URLs (``None`` for ``ws://``).

        Raises [`TLSError`][iotws.TLSError] when the CA file cannot be loaded.
        """
        if not self.is_tls:
            return None
        if self.ssl_context is not None:
            return self.ssl_context
        if not self.verify:
            log.warning("TLS certificate verification is OFF for %s", self.safe_url)
            ctx = ssl.create_default_context()
            ctx.check_hostname = False
            ctx.verify_mode = ssl.CERT_NONE
            return ctx
        try:
            return ssl.create_default_context(cafile=os.fspath(self.ca_file) if self.ca_file else None)
        except (OSError, ssl.SSLError) as exc:
            raise TLSError(f"cannot load CA file {self.ca_file!s}: {exc}") from exc


def option_names() -> frozenset[str]:
    """The names [`ConnectOptions`][iotws.ConnectOptions] accepts as keyword arguments.

    Examples:
        >>> "request_timeout" in option_names()
        True
    """
    return _OPTION_NAMES


_OPTION_NAMES = frozenset(field.name for field in attrs.fields(ConnectOptions)) - {"url"}


class ConnectOptionsDict(TypedDict, total=False):
    """The connection options every client constructor takes as keyword arguments.

    Type checkers hold each ``Client(url, **options)`` call to these names and types,
    so ``request_timout=5`` or ``request_timeout="5"`` is an error before the program
    runs (and a [`UsageError`][iotws.UsageError] if it runs anyway). Each option and
    its default (a protocol may choose other defaults; its client says so):

    * ``headers`` ``{}``: extra headers on the upgrade request.
    * ``auth`` ``None``: [`BasicAuth`][iotws.BasicAuth] or [`BearerAuth`][iotws.BearerAuth].
    * ``subprotocols`` ``()``: offered in ``Sec-WebSocket-Protocol``.
    * ``ca_file`` ``None``: a PEM file of CAs to trust for ``wss://``.
    * ``ssl_context`` ``None``: an ``ssl.SSLContext`` that replaces all TLS settings.
    * ``verify`` ``True``: ``False`` turns certificate checks off (logged).
    * ``connect_timeout`` ``10.0`` s: TCP, TLS, upgrade and opening exchange together.
    * ``request_timeout`` ``10.0`` s: the default wait for a reply.
    * ``close_timeout`` ``0.5`` s: how long ``close()`` waits for the close handshake.
    * ``ping_interval`` ``20.0`` s and ``ping_timeout`` ``20.0`` s: WebSocket pings
      (``None`` turns them off).
    * ``max_message_size`` ``4 MiB``: a larger message closes the link (1009).
    * ``reconnect`` ``ReconnectPolicy()``: backoff between attempts; ``None`` = never.
    * ``event_queue_size`` ``10000``: events kept for a slow consumer (oldest dropped).
    * ``secret_headers`` ``frozenset()``: more header names to hide in logs and reprs.

    Examples:
        >>> options: ConnectOptionsDict = {"request_timeout": 5.0, "reconnect": None}
        >>> ConnectOptions("ws://127.0.0.1:1/", **options).request_timeout
        5.0
    """

    headers: Mapping[str, str]
    auth: BasicAuth | BearerAuth | None
    subprotocols: Sequence[str]
    ca_file: str | os.PathLike[str] | None
    ssl_context: ssl.SSLContext | None
    verify: bool
    connect_timeout: float
    request_timeout: float
    close_timeout: float
    ping_interval: float | None
    ping_timeout: float | None
    max_message_size: int
    reconnect: ReconnectPolicy | None
    event_queue_size: int
    secret_headers: Collection[str]


class AsyncConnectOptionsDict(ConnectOptionsDict, total=False):
    """The options of the asyncio clients: [`ConnectOptionsDict`][iotws.options.ConnectOptionsDict] and ``session``.

    ``session`` is an ``aiohttp.ClientSession`` to open the connection with (one
    shared by many clients saves memory); the client never closes a session it was
    given. Default ``None``: the client makes and closes its own.

    Examples:
        >>> sorted(set(AsyncConnectOptionsDict.__annotations__) - set(ConnectOptionsDict.__annotations__))
        ['session']
    """

    session: aiohttp.ClientSession | None


def check_option_names(options: Mapping[str, Any], also: Collection[str] = ()) -> None:
    """Refuse option names [`ConnectOptions`][iotws.ConnectOptions] does not know, suggesting close matches.

    ``also`` names more keyword arguments that a client's constructor accepts (shown
    among the suggestions).

    Examples:
        >>> check_option_names({"request_timeout": 1})
        >>> check_option_names({"filtr": ["relay"]}, also=["filter", "resync"])
        Traceback (most recent call last):
        iotws.errors.UsageError: unknown option 'filtr' (did you mean filter?)
    """
    unknown = [name for name in options if name not in _OPTION_NAMES]
    if not unknown:
        return
    known = sorted(_OPTION_NAMES | set(also))
    name = unknown[0]
    close = difflib.get_close_matches(str(name), known, n=3, cutoff=0.6)
    hint = f"did you mean {', '.join(close)}?" if close else f"known: {', '.join(known)}"
    raise UsageError(f"unknown option {name!r} ({hint})")
