"""Connection options shared by both drivers, and the auth and TLS helpers.

Examples:
    >>> opts = ConnectOptions("wss://127.0.0.1:8080/api/ws", auth=BasicAuth("op", "secret"))
    >>> opts.request_headers()["Authorization"]
    'Basic b3A6c2VjcmV0'
    >>> "secret" in repr(opts)
    False
"""

from __future__ import annotations

import base64
import os
import ssl
from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import urlsplit

import attrs

from iotws.backoff import ReconnectPolicy
from iotws.errors import TLSError, UsageError
from iotws.logs import package_logger

__all__ = ["BasicAuth", "BearerAuth", "ConnectOptions", "redact_headers"]

log = package_logger("iotws")

#: Header names whose values never reach a log line or a repr.
SECRET_HEADERS = frozenset({"authorization", "proxy-authorization", "cookie", "x-api-key"})


def redact_headers(headers: Mapping[str, str]) -> dict[str, str]:
    """Return a copy of ``headers`` with credentials replaced by ``'***'``.

    Examples:
        >>> redact_headers({"Authorization": "Bearer abc", "X-Site": "north"})
        {'Authorization': '***', 'X-Site': 'north'}
    """
    return {k: ("***" if k.lower() in SECRET_HEADERS else v) for k, v in headers.items()}


@attrs.frozen(slots=True, repr=False)
class BasicAuth:
    """HTTP Basic credentials for the WebSocket upgrade; the password never shows in a repr.

    Examples:
        >>> BasicAuth("op", "pw")
        BasicAuth(username='op', password='***')
    """

    username: str
    password: str

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

    token: str

    def header(self) -> str:
        """The ``Authorization`` header value."""
        return f"Bearer {self.token}"

    def __repr__(self) -> str:
        return "BearerAuth(token='***')"


def _check_url(instance: ConnectOptions, attribute: object, value: str) -> None:
    parts = urlsplit(value)
    if parts.scheme not in ("ws", "wss") or not parts.hostname:
        raise UsageError(f"not a WebSocket URL: {value!r} (expected ws://host[:port]/path or wss://...)")


def _check_positive(instance: object, attribute: attrs.Attribute[Any], value: float | None) -> None:
    if value is not None and value <= 0:
        raise UsageError(f"{attribute.name} must be positive, got {value!r}")


@attrs.frozen(slots=True)
class ConnectOptions:
    """Everything a driver needs to open, keep and reopen a connection.

    * ``headers``: extra headers on the upgrade request; ``auth``: Basic or Bearer.
    * ``subprotocols``: offered in ``Sec-WebSocket-Protocol``.
    * TLS (``wss://``): verification is on by default; ``ca_file`` trusts a custom CA
      (PEM), ``ssl_context`` replaces everything, ``verify=False`` is an explicit,
      logged opt-out.
    * ``connect_timeout`` covers TCP, TLS, the upgrade and the protocol's opening
      exchange; ``request_timeout`` is the default wait for a reply.
    * ``ping_interval``/``ping_timeout``: WebSocket pings; ``None`` disables them.
    * ``max_message_size``: larger incoming messages close the link (1009).
    * ``reconnect``: a :class:`~iotws.backoff.ReconnectPolicy`, or ``None`` to fail
      instead of reconnecting.
    * ``event_queue_size``: events kept for a slow consumer before the oldest are
      dropped (and counted).

    Examples:
        >>> ConnectOptions("ws://127.0.0.1:1/", request_timeout=0)
        Traceback (most recent call last):
        iotws.errors.UsageError: request_timeout must be positive, got 0
    """

    url: str = attrs.field(validator=_check_url)
    headers: Mapping[str, str] = attrs.field(factory=dict, converter=dict, repr=lambda h: repr(redact_headers(h)))
    auth: BasicAuth | BearerAuth | None = None
    subprotocols: Sequence[str] = attrs.field(default=(), converter=tuple)
    ca_file: str | os.PathLike[str] | None = None
    ssl_context: ssl.SSLContext | None = None
    verify: bool = True
    connect_timeout: float = attrs.field(default=10.0, validator=_check_positive)
    request_timeout: float = attrs.field(default=10.0, validator=_check_positive)
    ping_interval: float | None = attrs.field(default=20.0, validator=_check_positive)
    ping_timeout: float | None = attrs.field(default=20.0, validator=_check_positive)
    max_message_size: int = attrs.field(default=4 * 1024 * 1024)
    reconnect: ReconnectPolicy | None = attrs.field(factory=ReconnectPolicy)
    event_queue_size: int = attrs.field(default=10_000)

    def __attrs_post_init__(self) -> None:
        if self.max_message_size <= 0:
            raise UsageError(f"max_message_size must be positive, got {self.max_message_size!r}")
        if self.event_queue_size <= 0:
            raise UsageError(f"event_queue_size must be positive, got {self.event_queue_size!r}")

    @property
    def is_tls(self) -> bool:
        """Whether the URL is ``wss://``."""
        return self.url.startswith("wss:")

    @property
    def safe_url(self) -> str:
        """The URL with any user:password part hidden, for logs."""
        parts = urlsplit(self.url)
        if parts.username is None and parts.password is None:
            return self.url
        host = parts.hostname or ""
        netloc = f"***@{host}" + (f":{parts.port}" if parts.port else "")
        return parts._replace(netloc=netloc).geturl()

    def request_headers(self) -> dict[str, str]:
        """The headers to send on the upgrade, auth included."""
        headers = dict(self.headers)
        if self.auth is not None:
            headers["Authorization"] = self.auth.header()
        return headers

    def tls_context(self) -> ssl.SSLContext | None:
        """The SSL context for ``wss://`` URLs (``None`` for ``ws://``).

        Raises :class:`~iotws.errors.TLSError` when the CA file cannot be loaded.
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
