"""The sans-I/O cores of the two Globiots endpoints and their commands.

* [`RealtimeCore`][iotws.globiots.protocol.RealtimeCore] (``/data-engine/realtime`` and
  ``/data-engine/mobile/realtime``): one
  subscription request, replayed by ``on_connect()`` after every reconnect; each push becomes a
  [`RealtimeUpdate`][iotws.globiots.RealtimeUpdate] event and refreshes
  [`RealtimeCore.latest`][iotws.globiots.protocol.RealtimeCore.latest].
* [`SetDataCore`][iotws.globiots.protocol.SetDataCore] (``/data-engine/set-data``): one request, one answer, matched
  by the points it names (see [`SetDataCore`][iotws.globiots.protocol.SetDataCore]).

Neither core does I/O; the common drivers run them.

Examples:
    >>> from iotws.codec import DataType
    >>> from iotws.globiots.models import Point
    >>> core = RealtimeCore()
    >>> sub = Subscribe(RealtimeRequest([Point("0.0.0.1", "2000", DataType.FLOAT)], update_time=1))
    >>> frames = core.submit(sub).frames
    >>> frames.pop()[:40]
    '{"updateTime":1,"timezone":"","objects":'
    >>> events = core.receive('{"timestamp": 0, "objects": [{"hostname": "0.0.0.1", "addresses": '
    ...     '[{"address": "2000", "dataType": "float", "length": 4, "value": "1.5"}]}]}')
    >>> core.latest[("0.0.0.1", "2000")].value
    1.5
"""

from __future__ import annotations

import math
from collections import OrderedDict
from collections.abc import Callable, Iterable, Mapping
from typing import Any, Final, TypeAlias, TypeVar
from urllib.parse import urlencode, urlsplit, urlunsplit

import attrs
import msgspec

from iotws.codec import Value
from iotws.commands import Command
from iotws.errors import CodecError, ProtocolError, UsageError, excerpt
from iotws.events import LinkEvent
from iotws.globiots.models import (
    Point,
    PointValue,
    PointWrite,
    RealtimeRequest,
    RealtimeUpdate,
    SetRequest,
    SetResponse,
    SetResult,
    _typed_set_response,
    _typed_update,
    lookup_key,
)
from iotws.jsonwire import DECODE_ERRORS
from iotws.jsonwire import loads as json_loads
from iotws.logs import package_logger
from iotws.sansio import Frame, ProtocolCore, Reply, Submission

__all__ = [
    "DEFAULT_BASE_URL",
    "IDLE_FLOOR",
    "IDLE_PERIODS",
    "MOBILE_REALTIME_PATH",
    "REALTIME_PATH",
    "SET_DATA_PATH",
    "Event",
    "RealtimeCore",
    "SetData",
    "SetDataCommand",
    "SetDataCore",
    "SetOne",
    "Subscribe",
    "check_timeout",
    "dumps",
    "endpoint_url",
    "loads",
    "realtime_url",
    "writes_of",
]

DEFAULT_BASE_URL: Final = "wss://dataengine.globiots.com:443/data-engine"
"""The public Data Engine; every client takes another base URL."""
REALTIME_PATH: Final = "/realtime"
"""Endpoint paths relative to the base URL."""
MOBILE_REALTIME_PATH: Final = "/mobile/realtime"
SET_DATA_PATH: Final = "/set-data"

Event: TypeAlias = RealtimeUpdate | LinkEvent
"""Everything a Globiots client's ``events()`` yields: the pushes of its subscription
and the shared link events (``match`` over it is checked for exhaustiveness).
"""

_ENDPOINT_SUFFIXES = (MOBILE_REALTIME_PATH, REALTIME_PATH, SET_DATA_PATH)


def endpoint_url(base_url: str, path: str, query: Mapping[str, str] | None = None) -> str:
    """The URL of endpoint ``path`` under ``base_url``, with extra query parameters.

    A base URL that already names an endpoint (``.../realtime``) is reduced to its base.

    Examples:
        >>> endpoint_url("wss://dataengine.globiots.com:443/data-engine", "/set-data", {"site": "a"})
        'wss://dataengine.globiots.com:443/data-engine/set-data?site=a'
        >>> endpoint_url("ws://127.0.0.1:8080/data-engine/realtime", "/set-data")
        'ws://127.0.0.1:8080/data-engine/set-data'
    """
    if not isinstance(base_url, str):
        raise UsageError(f"base_url must be a string, got {type(base_url).__name__}")
    if not isinstance(path, str):
        raise UsageError(f"path must be a string such as '/set-data', got {excerpt(path)}")
    if query is not None and (
        not isinstance(query, Mapping) or not all(isinstance(k, str) and isinstance(v, str) for k, v in query.items())
    ):
        raise UsageError(f"query must be a mapping of strings to strings, got {excerpt(query)}")
    parts = urlsplit(base_url)
    base = parts.path.rstrip("/")
    for suffix in _ENDPOINT_SUFFIXES:
        if base.endswith(suffix):
            base = base[: -len(suffix)]
            break
    params = [p for p in (parts.query, urlencode(dict(query)) if query else "") if p]
    return urlunsplit((parts.scheme, parts.netloc, base + path, "&".join(params), ""))


def writes_of(writes: Mapping[Point, Value] | Iterable[tuple[Point, Value]]) -> list[PointWrite]:
    """The writes of ``set_many``: a mapping of points to values, or ``(point, value)`` pairs.

    Examples:
        >>> from iotws.globiots.models import DataType
        >>> [w.point.address for w in writes_of([(Point("h", "3000", DataType.FLOAT), 1.5)])]
        ['3000']
    """
    if isinstance(writes, Mapping):
        return [PointWrite.of(point, value) for point, value in writes.items()]
    if isinstance(writes, str | bytes) or not isinstance(writes, Iterable):
        raise UsageError(f"writes must be a mapping or an iterable of (point, value) pairs, got {excerpt(writes)}")
    found: list[PointWrite] = []
    for pair in writes:
        if not isinstance(pair, tuple) or len(pair) != 2:
            raise UsageError(f"writes must hold (point, value) pairs, got {excerpt(pair)}")
        found.append(PointWrite.of(*pair))
    return found


def realtime_url(base_url: str, mobile: bool, query: Mapping[str, str] | None) -> str:
    """The realtime endpoint's URL under ``base_url`` (the mobile one with ``mobile``).

    Examples:
        >>> realtime_url("ws://127.0.0.1:9/data-engine", True, None)
        'ws://127.0.0.1:9/data-engine/mobile/realtime'
    """
    return endpoint_url(base_url, MOBILE_REALTIME_PATH if mobile else REALTIME_PATH, query)

IDLE_PERIODS: Final = 3
"""A realtime link with a subscription counts as dead after this many push periods
(``updateTime``) without a frame...
"""
IDLE_FLOOR: Final = 5.0
"""...but never sooner than this many seconds (see
[`RealtimeCore.idle_timeout`][iotws.globiots.protocol.RealtimeCore.idle_timeout])."""

#: How many abandoned set-data requests [`SetDataCore`][iotws.globiots.protocol.SetDataCore] remembers to recognise
#: late answers.
_ABANDONED_LIMIT: Final = 64

R = TypeVar("R")

_log = package_logger("iotws.globiots")

_encode: Final = msgspec.json.Encoder().encode


def dumps(obj: Any) -> str:
    """Compact JSON text of ``obj`` (msgspec: the requests hold only text and integers).

    Examples:
        >>> dumps({"a": 1, "t": "é"})
        '{"a":1,"t":"é"}'
    """
    return _encode(obj).decode()


def loads(frame: Frame) -> dict[str, Any]:
    """Parse one frame into a JSON object, or raise ``ProtocolError``.

    Examples:
        >>> loads('{"sessionId": ""}')
        {'sessionId': ''}
        >>> loads("[1]")
        Traceback (most recent call last):
        iotws.errors.ProtocolError: expected a JSON object, got list (frame: '[1]')
    """
    try:
        data = json_loads(frame)
    except DECODE_ERRORS as exc:
        raise ProtocolError(f"not JSON: {exc}", frame=frame) from None
    if not isinstance(data, dict):
        raise ProtocolError(f"expected a JSON object, got {type(data).__name__}", frame=frame)
    return data


def _wrap(parse: Callable[[object], Any], data: object, frame: Frame) -> Any:
    try:
        return parse(data)
    except ProtocolError as exc:
        if exc.frame is None:
            exc.frame = excerpt(frame)
        raise
    except (TypeError, ValueError, AttributeError, OverflowError, RecursionError) as exc:
        raise ProtocolError(f"malformed message: {exc!r}", frame=frame) from None


# --- commands -----------------------------------------------------------------------------------


def check_timeout(timeout: object) -> float | None:
    """``timeout`` if it is ``None`` or a positive number of seconds, else ``UsageError``.

    Examples:
        >>> check_timeout(2), check_timeout(None)
        (2, None)
        >>> check_timeout(0)
        Traceback (most recent call last):
        iotws.errors.UsageError: timeout must be a positive number of seconds or None, got 0
    """
    if timeout is None:
        return None
    if isinstance(timeout, bool) or not isinstance(timeout, int | float) or not (0 < timeout < math.inf):
        raise UsageError(f"timeout must be a positive number of seconds or None, got {excerpt(timeout)}")
    return timeout


class Subscribe(Command[RealtimeUpdate]):
    """Subscribe to points; completes with the first push that follows.

    Examples:
        >>> from iotws.codec import DataType
        >>> from iotws.globiots.models import Point
        >>> Subscribe(RealtimeRequest([Point("h", "2000", DataType.FLOAT)])).expects_reply
        True
    """

    def __init__(self, request: RealtimeRequest, timeout: float | None = None) -> None:
        if not isinstance(request, RealtimeRequest):
            raise UsageError(f"request must be a RealtimeRequest, got {excerpt(request)}")
        self.request = request
        self.timeout: float | None = check_timeout(timeout)

    def encode(self, token: int | None) -> list[Frame]:
        return [dumps(self.request.to_wire())]


class SetDataCommand(Command[R]):
    """A request for the set-data endpoint; the clients send it on their set-data link.

    ``check`` (the default) makes a failed code raise the matching
    [`SetDataError`][iotws.globiots.SetDataError]. Subclasses choose the result type.

    Examples:
        >>> issubclass(SetData, SetDataCommand) and issubclass(SetOne, SetDataCommand)
        True
    """

    def __init__(self, request: SetRequest, *, check: bool = True, timeout: float | None = None) -> None:
        if not isinstance(request, SetRequest):
            raise UsageError(f"request must be a SetRequest, got {excerpt(request)}")
        if not isinstance(check, bool):
            raise UsageError(f"check must be True or False, got {excerpt(check)}")
        self.request = request
        self.check = check
        self.timeout: float | None = check_timeout(timeout)
        self.keys: frozenset[tuple[str, str]] = frozenset(write.point.key for write in request.writes)
        """The ``(hostname, ADDRESS)`` points of the request: what identifies its answer."""

    def answers(self, response: SetResponse) -> bool:
        """Whether ``response`` names exactly the points of this request.

        Examples:
            >>> from iotws.codec import DataType
            >>> from iotws.globiots.models import Point, PointWrite
            >>> cmd = SetData(SetRequest([PointWrite.of(Point("h", "301a", DataType.BYTE), 7)]))
            >>> cmd.answers(SetResponse((SetResult.from_wire("h", {"address": "301A", "responseCode": "00"}),)))
            True
            >>> cmd.answers(SetResponse((SetResult.from_wire("h", {"address": "3000", "responseCode": "00"}),)))
            False
        """
        return len(response.results) == len(self.keys) and {r.key for r in response.results} == self.keys

    def echo_agrees(self, response: SetResponse) -> bool:
        """Whether the values ``response`` echoes are those this request sent.

        An echo that is not a value of the point's type (the vendor's placeholders such as
        ``"byte"``) or no echo at all agrees: only a real, different value disagrees.

        Examples:
            >>> from iotws.codec import DataType
            >>> from iotws.globiots.models import Point, PointWrite
            >>> cmd = SetData(SetRequest([PointWrite.of(Point("h", "3000", DataType.FLOAT), 1.5)]))
            >>> def answer(value):
            ...     return SetResponse((SetResult.from_wire("h", {"address": "3000", "value": value,
            ...                                                      "responseCode": "00"}),))
            >>> cmd.echo_agrees(answer("1.50")), cmd.echo_agrees(answer("float")), cmd.echo_agrees(answer("2"))
            (True, True, False)
        """
        sent = {write.point.key: write for write in self.request.writes}
        for result in response.results:
            write = sent.get(result.key)
            if write is None or result.value is None or result.value == write.text:
                continue
            try:
                echoed = write.point.parse(result.value)
            except CodecError:
                continue  # a placeholder, not a value
            if echoed != write.point.parse(write.text):
                return False
        return True

    def encode(self, token: int | None) -> list[Frame]:
        return [dumps(self.request.to_wire())]

    def checked(self, payload: Any) -> SetResponse:
        """The answer, raising its ``SetDataError`` for a failed code when ``check`` is set."""
        response: SetResponse = payload
        return response.raise_for_code() if self.check else response


class SetData(SetDataCommand[SetResponse]):
    """Set one or many values; completes with the server's per-address answer.

    With ``check`` (the default) a failed code raises the matching
    [`SetDataError`][iotws.globiots.SetDataError]; without it the answer is returned for inspection.

    Examples:
        >>> from iotws.codec import DataType
        >>> from iotws.globiots.models import Point, PointWrite
        >>> cmd = SetData(SetRequest([PointWrite.of(Point("h", "3000", DataType.BYTE), 7)]))
        >>> cmd.encode(1).pop()[:30]
        '{"services":{"serviceName":"se'
    """

    def decode(self, payload: Any) -> SetResponse:
        return self.checked(payload)


class SetOne(SetDataCommand[SetResult]):
    """Set one value; completes with its [`SetResult`][iotws.globiots.SetResult].

    Examples:
        >>> from iotws.codec import DataType
        >>> from iotws.globiots.models import Point, PointWrite
        >>> cmd = SetOne(SetRequest([PointWrite.of(Point("h", "3000", DataType.BYTE), 7)]))
        >>> cmd.decode(SetResponse((SetResult.from_wire("h", {"address": "3000", "responseCode": "00"}),))).ok
        True
        >>> cmd.decode(SetResponse(()))
        Traceback (most recent call last):
        iotws.errors.ProtocolError: the set-data answer does not name h/3000
    """

    def decode(self, payload: Any) -> SetResult:
        response = self.checked(payload)
        point = self.request.writes[0].point
        result = response.get(point.hostname, point.address)
        if result is None:
            raise ProtocolError(f"the set-data answer does not name {point.hostname}/{point.address}")
        return result


# --- cores --------------------------------------------------------------------------------------


class RealtimeCore(ProtocolCore):
    """The realtime endpoint: one subscription per connection, replayed on reconnect.

    A second [`Subscribe`][iotws.globiots.protocol.Subscribe] merges its points into the subscription and sends the
    merged request on the open socket (the simulator replaces the subscription; what the real server does with a
    second request is undocumented). A request that cannot be encoded leaves the subscription as it was. ``latest``
    holds the newest value per ``(hostname, ADDRESS)``.

    Examples:
        >>> core = RealtimeCore()
        >>> core.on_connect(), core.idle_timeout()  # nothing subscribed yet
        ([], None)
    """

    name = "globiots-realtime"

    def __init__(self, subscription: RealtimeRequest | None = None) -> None:
        super().__init__()
        self.subscription = subscription
        self.latest: dict[tuple[str, str], PointValue] = {}

    def on_connect(self) -> list[Frame]:
        if self.subscription is None:
            return []
        return [dumps(self.subscription.to_wire())]

    def idle_timeout(self) -> float | None:
        """Seconds without a frame after which the link counts as dead; ``None`` unsubscribed.

        The server pushes every ``updateTime`` seconds while a subscription exists, so
        [`IDLE_PERIODS`][iotws.globiots.protocol.IDLE_PERIODS] missed pushes, but at least
        [`IDLE_FLOOR`][iotws.globiots.protocol.IDLE_FLOOR] seconds, mean the
        link is stale and the driver reconnects (re-sending the subscription).

        Examples:
            >>> from iotws.codec import DataType
            >>> from iotws.globiots.models import Point
            >>> point = Point("0.0.0.1", "2000", DataType.FLOAT)
            >>> RealtimeCore(RealtimeRequest([point], update_time=1)).idle_timeout()
            5.0
            >>> RealtimeCore(RealtimeRequest([point], update_time=10)).idle_timeout()
            30.0
        """
        if self.subscription is None:
            return None
        return max(IDLE_FLOOR, float(IDLE_PERIODS * self.subscription.update_time))

    def submit(self, command: Command[Any]) -> Submission:
        if not isinstance(command, Subscribe):
            return super().submit(command)
        merged = command.request
        if self.subscription is not None:
            merged = attrs.evolve(merged, points=self.subscription.merged(merged.points).points)
        command = Subscribe(merged, command.timeout)
        frames = command.encode(None)  # before any state changes: a failure leaves the core as it was
        self.subscription = merged
        return Submission(frames=frames, token=self.pending.add(command))

    def unsubscribe_all(self) -> None:
        """Forget the subscription (nothing is replayed on the next connection)."""
        self.subscription = None

    def receive(self, frame: Frame) -> list[object]:
        update = _typed_update(frame)
        if update is None:  # not of the regular shape: the general decoder keeps all of it, or reports it
            update = _wrap(RealtimeUpdate.from_wire, loads(frame), frame)
        latest = self.latest
        for item in update.values:
            latest[(item.hostname, item.address.upper())] = item
        items: list[object] = [update]
        first = self.pending.pop_first()
        if first is not None:
            items.append(Reply(first[0], value=update))
        return items

    def value(self, hostname: str, address: str | int) -> PointValue | None:
        """The newest value of ``(hostname, address)``, if any push carried it.

        Examples:
            >>> RealtimeCore().value("0.0.0.1", "2000") is None
            True
        """
        return self.latest.get(lookup_key(hostname, address))


class SetDataCore(ProtocolCore):
    """The set-data endpoint: an answer completes the request that names the same points.

    An answer carries no request id; what identifies its request is the set of
    ``(hostname, ADDRESS)`` it reports (addresses compared case-insensitively), which must
    equal the request's. It is never matched by position alone:

    * it completes the oldest waiting request that names exactly those points;
    * requests whose caller stopped waiting (timeout) are remembered (the last 64, until the
      link drops), and an answer that can only be theirs -- it names their points and no
      waiting request's, or it echoes their values and not the waiting one's -- is dropped
      with a DEBUG log, never handed to another caller;
    * an answer that names points nobody asked for is dropped with a DEBUG log.

    When two requests name the same points and the answer's echoed values cannot tell them
    apart (same values, or the vendor's placeholders), the oldest waiting one gets it: the
    answer concerns its points, and the server is expected to answer in order.

    Examples:
        >>> from iotws.codec import DataType
        >>> from iotws.globiots.models import Point, PointWrite
        >>> core = SetDataCore()
        >>> def ask(address):
        ...     command = SetOne(SetRequest([PointWrite.of(Point("h", address, DataType.BYTE), 1)]))
        ...     return core.submit(command).token
        >>> def answer(address):
        ...     return ('{"services": {"objects": [{"hostname": "h", "addresses": [{"address": "%s", '
        ...             '"responseCode": "00"}]}]}}' % address)
        >>> first, second = ask("3000"), ask("3004")
        >>> core.cancel(first)  # its caller timed out
        >>> core.receive(answer("3000"))  # the late answer is dropped
        []
        >>> [(reply.token, reply.value.address) for reply in core.receive(answer("3004"))] == [(second, "3004")]
        True
    """

    name = "globiots-set-data"

    def __init__(self) -> None:
        super().__init__()
        self._abandoned: OrderedDict[int, SetDataCommand[Any]] = OrderedDict()

    def cancel(self, token: int) -> None:
        """The caller stopped waiting: forget ``token``, but recognise its late answer."""
        command = self.pending.get(token)
        super().cancel(token)
        if isinstance(command, SetDataCommand):
            self._abandoned[token] = command
            while len(self._abandoned) > _ABANDONED_LIMIT:
                self._abandoned.popitem(last=False)

    def connection_lost(self) -> None:
        super().connection_lost()
        self._abandoned.clear()  # no answer to a request of the old link comes on a new one

    def receive(self, frame: Frame) -> list[object]:
        response = _typed_set_response(frame)
        if response is None:  # not of the regular shape: the general decoder keeps all of it, or reports it
            response = _wrap(SetResponse.from_wire, loads(frame), frame)
        token, command = self._owner(response)
        if command is None:
            _log.debug("dropping a set-data answer that names no waiting request: %s", excerpt(frame))
            return []
        if token in self._abandoned:
            del self._abandoned[token]
            _log.debug("dropping a late set-data answer to a request that timed out: %s", excerpt(frame))
            return []
        self.pending.discard(token)
        try:
            return [Reply(token, value=command.decode(response))]
        except Exception as exc:
            return [Reply(token, error=exc)]

    def _owner(self, response: SetResponse) -> tuple[int, SetDataCommand[Any] | None]:
        """The request ``response`` answers: ``(token, command)``, ``(0, None)`` if none."""
        candidates: list[tuple[int, SetDataCommand[Any]]] = [
            (token, command)
            for token, command in ((t, self.pending.get(t)) for t in self.pending)
            if isinstance(command, SetDataCommand) and command.answers(response)
        ]
        candidates.extend((t, c) for t, c in self._abandoned.items() if c.answers(response))
        if not candidates:
            return 0, None
        candidates.sort(key=lambda item: item[0])  # tokens grow: oldest first
        agreeing = [item for item in candidates if item[1].echo_agrees(response)]
        if agreeing and len(agreeing) < len(candidates):
            return agreeing[0]  # the echoed values tell the requests apart
        waiting = [item for item in candidates if item[0] not in self._abandoned]
        return (waiting or candidates)[0]
