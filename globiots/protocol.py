"""The sans-I/O cores of the two Globiots endpoints and their commands.

* :class:`RealtimeCore` (``/data-engine/realtime`` and ``/data-engine/mobile/realtime``): one
  subscription request, replayed by ``on_connect()`` after every reconnect; each push becomes a
  :class:`~iotws.globiots.models.RealtimeUpdate` event and refreshes :attr:`RealtimeCore.latest`.
* :class:`SetDataCore` (``/data-engine/set-data``): one request, one answer, in order.

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

import json
from collections.abc import Callable
from typing import Any, Final, TypeVar

import attrs

from iotws.commands import Command
from iotws.errors import ProtocolError, excerpt
from iotws.globiots.models import (
    PointValue,
    RealtimeRequest,
    RealtimeUpdate,
    SetRequest,
    SetResponse,
    SetResult,
)
from iotws.jsonwire import DECODE_ERRORS
from iotws.jsonwire import loads as json_loads
from iotws.sansio import Frame, ProtocolCore, Reply, Submission

__all__ = [
    "DEFAULT_BASE_URL",
    "MOBILE_REALTIME_PATH",
    "REALTIME_PATH",
    "SET_DATA_PATH",
    "RealtimeCore",
    "SetData",
    "SetDataCommand",
    "SetDataCore",
    "SetOne",
    "Subscribe",
    "dumps",
    "loads",
]

#: The public Data Engine; every client takes another base URL.
DEFAULT_BASE_URL: Final = "wss://dataengine.globiots.com:443/data-engine"
#: Endpoint paths relative to the base URL.
REALTIME_PATH: Final = "/realtime"
MOBILE_REALTIME_PATH: Final = "/mobile/realtime"
SET_DATA_PATH: Final = "/set-data"

R = TypeVar("R")

try:  # orjson is an optional speed-up (the ``speedups`` extra)
    import orjson  # type: ignore[import-not-found, unused-ignore]  # checked with and without it

    def dumps(obj: Any) -> str:
        """Compact JSON text of ``obj``.

        Examples:
            >>> dumps({"a": 1})
            '{"a":1}'
        """
        data: bytes = orjson.dumps(obj)
        return data.decode()

except ImportError:  # pragma: no cover - exercised only without orjson

    def dumps(obj: Any) -> str:
        """Compact JSON text of ``obj``.

        Examples:
            >>> dumps({"a": 1})
            '{"a":1}'
        """
        return json.dumps(obj, separators=(",", ":"), ensure_ascii=False)


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


class Subscribe(Command[RealtimeUpdate]):
    """Subscribe to points; completes with the first push that follows.

    Examples:
        >>> from iotws.codec import DataType
        >>> from iotws.globiots.models import Point
        >>> Subscribe(RealtimeRequest([Point("h", "2000", DataType.FLOAT)])).expects_reply
        True
    """

    def __init__(self, request: RealtimeRequest, timeout: float | None = None) -> None:
        self.request = request
        self.timeout = timeout

    def encode(self, token: int | None) -> list[Frame]:
        return [dumps(self.request.to_wire())]


class SetDataCommand(Command[R]):
    """A request for the set-data endpoint; the clients send it on their set-data link.

    ``check`` (the default) makes a failed code raise the matching
    :class:`~iotws.globiots.models.SetDataError`. Subclasses choose the result type.

    Examples:
        >>> issubclass(SetData, SetDataCommand) and issubclass(SetOne, SetDataCommand)
        True
    """

    def __init__(self, request: SetRequest, *, check: bool = True, timeout: float | None = None) -> None:
        self.request = request
        self.check = check
        self.timeout = timeout

    def encode(self, token: int | None) -> list[Frame]:
        return [dumps(self.request.to_wire())]

    def checked(self, payload: Any) -> SetResponse:
        """The answer, raising its ``SetDataError`` for a failed code when ``check`` is set."""
        response: SetResponse = payload
        return response.raise_for_code() if self.check else response


class SetData(SetDataCommand[SetResponse]):
    """Set one or many values; completes with the server's per-address answer.

    With ``check`` (the default) a failed code raises the matching
    :class:`~iotws.globiots.models.SetDataError`; without it the answer is returned for inspection.

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
    """Set one value; completes with its :class:`~iotws.globiots.models.SetResult`.

    Examples:
        >>> from iotws.codec import DataType
        >>> from iotws.globiots.models import Point, PointWrite
        >>> cmd = SetOne(SetRequest([PointWrite.of(Point("h", "3000", DataType.BYTE), 7)]))
        >>> cmd.decode(SetResponse(())).code  # an answer without the address
        <ResponseCode.UNKNOWN: '??'>
    """

    def decode(self, payload: Any) -> SetResult:
        response = self.checked(payload)
        if response.results:
            return response.results[0]
        write = self.request.writes[0]
        return SetResult.from_wire(write.point.hostname, {"address": write.point.address, "responseCode": "??"})


# --- cores --------------------------------------------------------------------------------------


class RealtimeCore(ProtocolCore):
    """The realtime endpoint: one subscription per connection, replayed on reconnect.

    A second :class:`Subscribe` merges its points into the subscription and sends the merged
    request on the open socket (the simulator replaces the subscription; what the real server
    does with a second request is undocumented). ``latest`` holds the newest value per
    ``(hostname, ADDRESS)``.

    Examples:
        >>> core = RealtimeCore()
        >>> core.on_connect()  # nothing subscribed yet
        []
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

    def submit(self, command: Command[Any]) -> Submission:
        if isinstance(command, Subscribe):
            merged = command.request
            if self.subscription is not None:
                points = self.subscription.merged(merged.points).points
                merged = attrs.evolve(merged, points=points)
            self.subscription = merged
            command = Subscribe(merged, command.timeout)
        return super().submit(command)

    def unsubscribe_all(self) -> None:
        """Forget the subscription (nothing is replayed on the next connection)."""
        self.subscription = None

    def receive(self, frame: Frame) -> list[object]:
        data = loads(frame)
        update: RealtimeUpdate = _wrap(RealtimeUpdate.from_wire, data, frame)
        latest = self.latest
        for item in update.values:
            latest[(item.hostname, item.address.upper())] = item
        items: list[object] = [update]
        first = self.pending.pop_first()
        if first is not None:
            items.append(Reply(first[0], value=update))
        return items

    def value(self, hostname: str, address: str) -> PointValue | None:
        """The newest value of ``(hostname, address)``, if any push carried it.

        Examples:
            >>> RealtimeCore().value("0.0.0.1", "2000") is None
            True
        """
        return self.latest.get((hostname, address.upper()))


class SetDataCore(ProtocolCore):
    """The set-data endpoint: answers complete requests in the order they were sent.

    An answer nobody waits for (its request timed out) is surfaced as an event.

    Examples:
        >>> core = SetDataCore()
        >>> core.receive('{"sessionId": "", "services": {"objects": []}}')
        [SetResponse(results=(), session_id='', service_name='set-data', extra={})]
    """

    name = "globiots-set-data"

    def receive(self, frame: Frame) -> list[object]:
        data = loads(frame)
        response: SetResponse = _wrap(SetResponse.from_wire, data, frame)
        first = self.pending.pop_first()
        if first is None:
            return [response]
        token, command = first
        try:
            return [Reply(token, value=command.decode(response))]
        except Exception as exc:
            return [Reply(token, error=exc)]
