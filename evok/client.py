"""EVOK clients: :class:`Client` (sync) and :class:`AsyncClient` (asyncio), one command surface.

Both keep a state cache (``client.state``) resynced with ``all`` on every
(re)connection, stream :class:`~iotws.evok.protocol.DeviceChanged` events, ping the
server (EVOK never pings; nginx in front cuts idle links after 180 s) and
reconnect with backoff, re-sending the filter.

Examples:
    >>> from iotws.evok.simulator import EvokSimulator
    >>> with EvokSimulator().run() as sim, Client(sim.url()) as evok:
    ...     evok.set_relay("2_01", True, confirm=True).value
    1
"""

from __future__ import annotations

from collections.abc import Awaitable, Iterable
from typing import Any, Literal, Protocol, TypeAlias, TypeVar, overload

from iotws.client import AsyncClientBase, SyncClientBase
from iotws.commands import Command, command
from iotws.errors import UsageError
from iotws.evok.models import (
    AnalogInput,
    AnalogOutput,
    Device,
    DigitalInput,
    DigitalOutput,
    Led,
    LegacyRelay,
    Relay,
    State,
    Watchdog,
)
from iotws.evok.protocol import EvokCore, FilterCommand, RefreshCommand, SetCommand

__all__ = ["AsyncClient", "Client", "EvokCommands"]

_R = TypeVar("_R")

#: Defaults that differ from the common ones: EVOK's pongs can lag behind a blocked
#: Modbus write, and an ``all`` reply of a big installation is large.
_DEFAULTS: dict[str, Any] = {"ping_interval": 30.0, "ping_timeout": 60.0, "max_message_size": 16 * 1024 * 1024}


def _on(on: bool) -> int:
    if not isinstance(on, (bool, int)) or (isinstance(on, int) and on not in (0, 1)):
        raise UsageError(f"expected True/False (or 1/0), got {on!r}")
    return int(on)


# The self types of the overloads below. They are protocols, not common's
# SyncSurface/AsyncSurface ABCs: mypy only accepts a self type that is not a
# supertype of the class (EvokCommands is a plain mixin) when it is a protocol.
class _Sync(Protocol):
    """A synchronous client (``SyncClientBase``): ``_execute`` returns the result."""

    def _execute(self, command: Command[_R]) -> _R: ...


class _Async(Protocol):
    """An asyncio client (``AsyncClientBase``): ``_execute`` returns an awaitable of it."""

    def _execute(self, command: Command[_R]) -> Awaitable[_R]: ...


class _Surface(Protocol):
    """Either client: what the one implementation of a confirmable helper sees."""

    def _execute(self, command: Command[_R]) -> _R | Awaitable[_R]: ...


#: What a confirmable helper's one implementation returns (its overloads are precise).
_Confirmed: TypeAlias = "Device | Awaitable[Device | None] | None"


class EvokCommands:
    """The EVOK command surface, shared by :class:`Client` and :class:`AsyncClient`.

    Every ``set`` helper returns once the command is sent (EVOK never replies) and
    returns ``None``; with ``confirm=True`` it waits for the next state of that
    circuit showing the requested value and returns it (or raises
    :class:`~iotws.errors.RequestTimeout` after ``confirm_timeout`` s, default the
    client's ``request_timeout``). Confirmation needs events of that type to pass
    the connection's filter.

    Written once, typed per client: on :class:`Client` a helper returns ``None``, or
    with ``confirm=True`` the confirming state as its model class (``set_led`` ->
    :class:`~iotws.evok.models.Led`, ``set`` -> :class:`~iotws.evok.models.Device`), or either
    when ``confirm`` is a ``bool`` known only at run time; on :class:`AsyncClient`
    an awaitable of the same. The helpers that cannot be confirmed, ``set_filter``
    and ``refresh`` build one command each (``@command``).

    Examples:
        >>> from iotws.evok.simulator import EvokSimulator
        >>> with EvokSimulator().run() as sim, Client(sim.url()) as evok:
        ...     evok.set("do", "1_02", value=1, confirm=True).value
        1
    """

    @overload
    def set(
        self: _Sync,
        dev: str,
        circuit: str,
        /,
        *,
        confirm: Literal[True],
        confirm_timeout: float | None = ...,
        **params: Any,
    ) -> Device: ...

    @overload
    def set(
        self: _Sync,
        dev: str,
        circuit: str,
        /,
        *,
        confirm: Literal[False] = ...,
        confirm_timeout: float | None = ...,
        **params: Any,
    ) -> None: ...

    @overload
    def set(
        self: _Sync, dev: str, circuit: str, /, *, confirm: bool, confirm_timeout: float | None = ..., **params: Any
    ) -> Device | None: ...

    @overload
    def set(
        self: _Async,
        dev: str,
        circuit: str,
        /,
        *,
        confirm: Literal[True],
        confirm_timeout: float | None = ...,
        **params: Any,
    ) -> Awaitable[Device]: ...

    @overload
    def set(
        self: _Async,
        dev: str,
        circuit: str,
        /,
        *,
        confirm: Literal[False] = ...,
        confirm_timeout: float | None = ...,
        **params: Any,
    ) -> Awaitable[None]: ...

    @overload
    def set(
        self: _Async, dev: str, circuit: str, /, *, confirm: bool, confirm_timeout: float | None = ..., **params: Any
    ) -> Awaitable[Device | None]: ...

    def set(
        self: _Surface,
        dev: str,
        circuit: str,
        /,
        *,
        confirm: bool = False,
        confirm_timeout: float | None = None,
        **params: Any,
    ) -> _Confirmed:
        """Generic ``set``: ``params`` are sent as the value dict (``value``, ``timeout``...).

        Examples:
            >>> SetCommand("do", "1_04", {"pwm_duty": 50}).encode(None)[0]
            '{"cmd":"set","dev":"do","circuit":"1_04","value":{"pwm_duty":50}}'
        """
        return self._execute(SetCommand(dev, circuit, params, confirm=confirm, timeout=confirm_timeout))

    @overload
    def set_relay(
        self: _Sync, circuit: str, on: bool, *, confirm: Literal[True], confirm_timeout: float | None = ...
    ) -> Relay | LegacyRelay: ...

    @overload
    def set_relay(
        self: _Sync, circuit: str, on: bool, *, confirm: Literal[False] = ..., confirm_timeout: float | None = ...
    ) -> None: ...

    @overload
    def set_relay(
        self: _Sync, circuit: str, on: bool, *, confirm: bool, confirm_timeout: float | None = ...
    ) -> Relay | LegacyRelay | None: ...

    @overload
    def set_relay(
        self: _Async, circuit: str, on: bool, *, confirm: Literal[True], confirm_timeout: float | None = ...
    ) -> Awaitable[Relay | LegacyRelay]: ...

    @overload
    def set_relay(
        self: _Async, circuit: str, on: bool, *, confirm: Literal[False] = ..., confirm_timeout: float | None = ...
    ) -> Awaitable[None]: ...

    @overload
    def set_relay(
        self: _Async, circuit: str, on: bool, *, confirm: bool, confirm_timeout: float | None = ...
    ) -> Awaitable[Relay | LegacyRelay | None]: ...

    def set_relay(
        self: _Surface, circuit: str, on: bool, *, confirm: bool = False, confirm_timeout: float | None = None
    ) -> _Confirmed:
        """Switch relay output ``ro`` ``circuit`` on or off.

        Examples:
            >>> from iotws.evok.simulator import EvokSimulator
            >>> with EvokSimulator().run() as sim, Client(sim.url()) as evok:
            ...     evok.set_relay("2_02", False) is None
            True
        """
        return self._execute(SetCommand("ro", circuit, {"value": _on(on)}, confirm=confirm, timeout=confirm_timeout))

    @overload
    def set_output(
        self: _Sync,
        circuit: str,
        on: bool,
        *,
        timeout: float | None = ...,
        confirm: Literal[True],
        confirm_timeout: float | None = ...,
    ) -> DigitalOutput: ...

    @overload
    def set_output(
        self: _Sync,
        circuit: str,
        on: bool,
        *,
        timeout: float | None = ...,
        confirm: Literal[False] = ...,
        confirm_timeout: float | None = ...,
    ) -> None: ...

    @overload
    def set_output(
        self: _Sync,
        circuit: str,
        on: bool,
        *,
        timeout: float | None = ...,
        confirm: bool,
        confirm_timeout: float | None = ...,
    ) -> DigitalOutput | None: ...

    @overload
    def set_output(
        self: _Async,
        circuit: str,
        on: bool,
        *,
        timeout: float | None = ...,
        confirm: Literal[True],
        confirm_timeout: float | None = ...,
    ) -> Awaitable[DigitalOutput]: ...

    @overload
    def set_output(
        self: _Async,
        circuit: str,
        on: bool,
        *,
        timeout: float | None = ...,
        confirm: Literal[False] = ...,
        confirm_timeout: float | None = ...,
    ) -> Awaitable[None]: ...

    @overload
    def set_output(
        self: _Async,
        circuit: str,
        on: bool,
        *,
        timeout: float | None = ...,
        confirm: bool,
        confirm_timeout: float | None = ...,
    ) -> Awaitable[DigitalOutput | None]: ...

    def set_output(
        self: _Surface,
        circuit: str,
        on: bool,
        *,
        timeout: float | None = None,
        confirm: bool = False,
        confirm_timeout: float | None = None,
    ) -> _Confirmed:
        """Switch digital output ``do`` ``circuit``; with ``timeout`` s, the opposite is written after it.

        Examples:
            >>> SetCommand("do", "1_01", {"value": 1, "timeout": 1.5}).encode(None)[0]
            '{"cmd":"set","dev":"do","circuit":"1_01","value":{"value":1,"timeout":1.5}}'
        """
        params: dict[str, Any] = {"value": _on(on)}
        if timeout is not None:
            if not isinstance(timeout, (int, float)) or isinstance(timeout, bool) or not timeout > 0:
                raise UsageError(f"set_output: timeout must be a positive number of seconds, got {timeout!r}")
            params["timeout"] = float(timeout)
        return self._execute(SetCommand("do", circuit, params, confirm=confirm, timeout=confirm_timeout))

    @overload
    def set_pwm(
        self: _Sync,
        circuit: str,
        *,
        duty: float | None = ...,
        freq: float | None = ...,
        confirm: Literal[True],
        confirm_timeout: float | None = ...,
    ) -> DigitalOutput: ...

    @overload
    def set_pwm(
        self: _Sync,
        circuit: str,
        *,
        duty: float | None = ...,
        freq: float | None = ...,
        confirm: Literal[False] = ...,
        confirm_timeout: float | None = ...,
    ) -> None: ...

    @overload
    def set_pwm(
        self: _Sync,
        circuit: str,
        *,
        duty: float | None = ...,
        freq: float | None = ...,
        confirm: bool,
        confirm_timeout: float | None = ...,
    ) -> DigitalOutput | None: ...

    @overload
    def set_pwm(
        self: _Async,
        circuit: str,
        *,
        duty: float | None = ...,
        freq: float | None = ...,
        confirm: Literal[True],
        confirm_timeout: float | None = ...,
    ) -> Awaitable[DigitalOutput]: ...

    @overload
    def set_pwm(
        self: _Async,
        circuit: str,
        *,
        duty: float | None = ...,
        freq: float | None = ...,
        confirm: Literal[False] = ...,
        confirm_timeout: float | None = ...,
    ) -> Awaitable[None]: ...

    @overload
    def set_pwm(
        self: _Async,
        circuit: str,
        *,
        duty: float | None = ...,
        freq: float | None = ...,
        confirm: bool,
        confirm_timeout: float | None = ...,
    ) -> Awaitable[DigitalOutput | None]: ...

    def set_pwm(
        self: _Surface,
        circuit: str,
        *,
        duty: float | None = None,
        freq: float | None = None,
        confirm: bool = False,
        confirm_timeout: float | None = None,
    ) -> _Confirmed:
        """Set PWM ``duty`` (0-100 %) and/or ``freq`` (Hz, > 0, shared by the board group) of a ``do``.

        Examples:
            >>> SetCommand("do", "1_04", {"pwm_duty": 25.0, "pwm_freq": 100.0}).params
            {'pwm_duty': 25.0, 'pwm_freq': 100.0}
        """
        params: dict[str, Any] = {}
        if duty is not None:
            if not isinstance(duty, (int, float)) or isinstance(duty, bool) or not 0 <= duty <= 100:
                raise UsageError(f"set_pwm: duty must be 0..100, got {duty!r}")
            params["pwm_duty"] = duty
        if freq is not None:
            if not isinstance(freq, (int, float)) or isinstance(freq, bool) or not freq > 0:
                raise UsageError(f"set_pwm: freq must be a positive number of Hz, got {freq!r}")
            params["pwm_freq"] = freq
        if not params:
            raise UsageError("set_pwm: give duty and/or freq")
        return self._execute(SetCommand("do", circuit, params, confirm=confirm, timeout=confirm_timeout))

    @overload
    def set_analog_output(
        self: _Sync, circuit: str, value: float, *, confirm: Literal[True], confirm_timeout: float | None = ...
    ) -> AnalogOutput: ...

    @overload
    def set_analog_output(
        self: _Sync, circuit: str, value: float, *, confirm: Literal[False] = ..., confirm_timeout: float | None = ...
    ) -> None: ...

    @overload
    def set_analog_output(
        self: _Sync, circuit: str, value: float, *, confirm: bool, confirm_timeout: float | None = ...
    ) -> AnalogOutput | None: ...

    @overload
    def set_analog_output(
        self: _Async, circuit: str, value: float, *, confirm: Literal[True], confirm_timeout: float | None = ...
    ) -> Awaitable[AnalogOutput]: ...

    @overload
    def set_analog_output(
        self: _Async, circuit: str, value: float, *, confirm: Literal[False] = ..., confirm_timeout: float | None = ...
    ) -> Awaitable[None]: ...

    @overload
    def set_analog_output(
        self: _Async, circuit: str, value: float, *, confirm: bool, confirm_timeout: float | None = ...
    ) -> Awaitable[AnalogOutput | None]: ...

    def set_analog_output(
        self: _Surface, circuit: str, value: float, *, confirm: bool = False, confirm_timeout: float | None = None
    ) -> _Confirmed:
        """Set analog output ``ao`` ``circuit`` to ``value`` (volts in voltage mode).

        Examples:
            >>> SetCommand("ao", "1_01", {"value": 2.5}).encode(None)[0]
            '{"cmd":"set","dev":"ao","circuit":"1_01","value":{"value":2.5}}'
        """
        if not isinstance(value, (int, float)) or isinstance(value, bool):
            raise UsageError(f"set_analog_output: value must be a number, got {value!r}")
        return self._execute(
            SetCommand("ao", circuit, {"value": float(value)}, confirm=confirm, timeout=confirm_timeout)
        )

    @overload
    def set_analog_input_mode(
        self: _Sync, circuit: str, mode: str, *, confirm: Literal[True], confirm_timeout: float | None = ...
    ) -> AnalogInput: ...

    @overload
    def set_analog_input_mode(
        self: _Sync, circuit: str, mode: str, *, confirm: Literal[False] = ..., confirm_timeout: float | None = ...
    ) -> None: ...

    @overload
    def set_analog_input_mode(
        self: _Sync, circuit: str, mode: str, *, confirm: bool, confirm_timeout: float | None = ...
    ) -> AnalogInput | None: ...

    @overload
    def set_analog_input_mode(
        self: _Async, circuit: str, mode: str, *, confirm: Literal[True], confirm_timeout: float | None = ...
    ) -> Awaitable[AnalogInput]: ...

    @overload
    def set_analog_input_mode(
        self: _Async, circuit: str, mode: str, *, confirm: Literal[False] = ..., confirm_timeout: float | None = ...
    ) -> Awaitable[None]: ...

    @overload
    def set_analog_input_mode(
        self: _Async, circuit: str, mode: str, *, confirm: bool, confirm_timeout: float | None = ...
    ) -> Awaitable[AnalogInput | None]: ...

    def set_analog_input_mode(
        self: _Surface, circuit: str, mode: str, *, confirm: bool = False, confirm_timeout: float | None = None
    ) -> _Confirmed:
        """Switch analog input ``ai`` ``circuit`` to ``mode`` (a key of its ``modes``).

        Examples:
            >>> SetCommand("ai", "1_01", {"mode": "Current"}).encode(None)[0]
            '{"cmd":"set","dev":"ai","circuit":"1_01","value":{"mode":"Current"}}'
        """
        if not isinstance(mode, str) or not mode:
            raise UsageError(f"set_analog_input_mode: mode must be a mode name, got {mode!r}")
        return self._execute(SetCommand("ai", circuit, {"mode": mode}, confirm=confirm, timeout=confirm_timeout))

    @overload
    def set_led(
        self: _Sync, circuit: str, on: bool, *, confirm: Literal[True], confirm_timeout: float | None = ...
    ) -> Led: ...

    @overload
    def set_led(
        self: _Sync, circuit: str, on: bool, *, confirm: Literal[False] = ..., confirm_timeout: float | None = ...
    ) -> None: ...

    @overload
    def set_led(
        self: _Sync, circuit: str, on: bool, *, confirm: bool, confirm_timeout: float | None = ...
    ) -> Led | None: ...

    @overload
    def set_led(
        self: _Async, circuit: str, on: bool, *, confirm: Literal[True], confirm_timeout: float | None = ...
    ) -> Awaitable[Led]: ...

    @overload
    def set_led(
        self: _Async, circuit: str, on: bool, *, confirm: Literal[False] = ..., confirm_timeout: float | None = ...
    ) -> Awaitable[None]: ...

    @overload
    def set_led(
        self: _Async, circuit: str, on: bool, *, confirm: bool, confirm_timeout: float | None = ...
    ) -> Awaitable[Led | None]: ...

    def set_led(
        self: _Surface, circuit: str, on: bool, *, confirm: bool = False, confirm_timeout: float | None = None
    ) -> _Confirmed:
        """Switch user LED ``led`` ``circuit``.

        Examples:
            >>> SetCommand("led", "1_01", {"value": True}).params
            {'value': 1}
        """
        return self._execute(SetCommand("led", circuit, {"value": _on(on)}, confirm=confirm, timeout=confirm_timeout))

    @overload
    def set_watchdog(
        self: _Sync,
        circuit: str,
        *,
        enabled: bool | None = ...,
        timeout: int | None = ...,
        confirm: Literal[True],
        confirm_timeout: float | None = ...,
    ) -> Watchdog: ...

    @overload
    def set_watchdog(
        self: _Sync,
        circuit: str,
        *,
        enabled: bool | None = ...,
        timeout: int | None = ...,
        confirm: Literal[False] = ...,
        confirm_timeout: float | None = ...,
    ) -> None: ...

    @overload
    def set_watchdog(
        self: _Sync,
        circuit: str,
        *,
        enabled: bool | None = ...,
        timeout: int | None = ...,
        confirm: bool,
        confirm_timeout: float | None = ...,
    ) -> Watchdog | None: ...

    @overload
    def set_watchdog(
        self: _Async,
        circuit: str,
        *,
        enabled: bool | None = ...,
        timeout: int | None = ...,
        confirm: Literal[True],
        confirm_timeout: float | None = ...,
    ) -> Awaitable[Watchdog]: ...

    @overload
    def set_watchdog(
        self: _Async,
        circuit: str,
        *,
        enabled: bool | None = ...,
        timeout: int | None = ...,
        confirm: Literal[False] = ...,
        confirm_timeout: float | None = ...,
    ) -> Awaitable[None]: ...

    @overload
    def set_watchdog(
        self: _Async,
        circuit: str,
        *,
        enabled: bool | None = ...,
        timeout: int | None = ...,
        confirm: bool,
        confirm_timeout: float | None = ...,
    ) -> Awaitable[Watchdog | None]: ...

    def set_watchdog(
        self: _Surface,
        circuit: str,
        *,
        enabled: bool | None = None,
        timeout: int | None = None,
        confirm: bool = False,
        confirm_timeout: float | None = None,
    ) -> _Confirmed:
        """Enable/disable the watchdog and/or set its ``timeout`` (ms, <= 65535).

        Only ``enabled`` can be confirmed: EVOK pushes no event for a timeout change.

        Examples:
            >>> SetCommand("wd", "1_01", {"value": 1, "timeout": 5000}).params
            {'value': 1, 'timeout': 5000}
        """
        params: dict[str, Any] = {}
        if enabled is not None:
            params["value"] = _on(enabled)
        if timeout is not None:
            if not isinstance(timeout, int) or isinstance(timeout, bool) or not 0 <= timeout <= 65535:
                raise UsageError(f"set_watchdog: timeout must be 0..65535 ms, got {timeout!r}")
            params["timeout"] = timeout
        if not params:
            raise UsageError("set_watchdog: give enabled and/or timeout")
        return self._execute(SetCommand("wd", circuit, params, confirm=confirm, timeout=confirm_timeout))

    @command
    def reset_watchdog(self, circuit: str) -> SetCommand[None]:
        """Pulse the watchdog reset (keep-alive); cannot be confirmed.

        Examples:
            >>> SetCommand("wd", "1_01", {"reset": 1}).encode(None)[0]
            '{"cmd":"set","dev":"wd","circuit":"1_01","value":{"reset":1}}'
        """
        return SetCommand("wd", circuit, {"reset": 1})

    @command
    def set_debounce(self, circuit: str, debounce: int) -> SetCommand[None]:
        """Set the debounce (raw units) of digital input ``di`` ``circuit``; cannot be confirmed.

        Sent as ``{"debounce": N}`` in the value dict, never positionally.

        Examples:
            >>> SetCommand("di", "1_01", {"debounce": 50}).encode(None)[0]
            '{"cmd":"set","dev":"di","circuit":"1_01","value":{"debounce":50}}'
        """
        if not isinstance(debounce, int) or isinstance(debounce, bool) or debounce < 0:
            raise UsageError(f"set_debounce: debounce must be a non-negative int, got {debounce!r}")
        return SetCommand("di", circuit, {"debounce": debounce})

    @overload
    def reset_counter(
        self: _Sync, circuit: str, value: int = ..., *, confirm: Literal[True], confirm_timeout: float | None = ...
    ) -> DigitalInput: ...

    @overload
    def reset_counter(
        self: _Sync,
        circuit: str,
        value: int = ...,
        *,
        confirm: Literal[False] = ...,
        confirm_timeout: float | None = ...,
    ) -> None: ...

    @overload
    def reset_counter(
        self: _Sync, circuit: str, value: int = ..., *, confirm: bool, confirm_timeout: float | None = ...
    ) -> DigitalInput | None: ...

    @overload
    def reset_counter(
        self: _Async, circuit: str, value: int = ..., *, confirm: Literal[True], confirm_timeout: float | None = ...
    ) -> Awaitable[DigitalInput]: ...

    @overload
    def reset_counter(
        self: _Async,
        circuit: str,
        value: int = ...,
        *,
        confirm: Literal[False] = ...,
        confirm_timeout: float | None = ...,
    ) -> Awaitable[None]: ...

    @overload
    def reset_counter(
        self: _Async, circuit: str, value: int = ..., *, confirm: bool, confirm_timeout: float | None = ...
    ) -> Awaitable[DigitalInput | None]: ...

    def reset_counter(
        self: _Surface, circuit: str, value: int = 0, *, confirm: bool = False, confirm_timeout: float | None = None
    ) -> _Confirmed:
        """Set the pulse counter of digital input ``di`` ``circuit`` (to 0 by default).

        Examples:
            >>> SetCommand("di", "1_01", {"counter": 0}).params
            {'counter': 0}
        """
        if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value < 2**32:
            raise UsageError(f"reset_counter: value must be a 32-bit unsigned int, got {value!r}")
        return self._execute(SetCommand("di", circuit, {"counter": value}, confirm=confirm, timeout=confirm_timeout))

    @command
    def set_alias(self, dev: str, circuit: str, alias: str) -> SetCommand[None]:
        """Give device ``dev`` ``circuit`` a user alias (``""`` clears it); cannot be confirmed.

        Examples:
            >>> SetCommand("relay", "1_01", {"alias": "lamp"}).encode(None)[0]
            '{"cmd":"set","dev":"ro","circuit":"1_01","value":{"alias":"lamp"}}'
        """
        if not isinstance(alias, str):
            raise UsageError(f"set_alias: alias must be a string, got {alias!r}")
        return SetCommand(dev, circuit, {"alias": alias})

    @command
    def set_filter(self, devices: Iterable[str] | None) -> FilterCommand:
        """Stream only these device types (friendly names accepted; ``None`` = everything).

        Kept for reconnects. ``[]`` mutes the stream.

        Examples:
            >>> FilterCommand(["relay", "input"]).devices
            ['ro', 'di']
        """
        return FilterCommand(devices)

    @command
    def refresh(self, timeout: float | None = None) -> RefreshCommand:
        """Send ``all``; return every device EVOK knows (``{(dev, circuit): Device}``), cache updated.

        Examples:
            >>> from iotws.evok.simulator import EvokSimulator
            >>> with EvokSimulator().run() as sim, Client(sim.url()) as evok:
            ...     evok.refresh()["run", "alias"].dev
            'run'
        """
        return RefreshCommand(timeout)


class Client(SyncClientBase[EvokCore], EvokCommands):
    """The synchronous EVOK client (websocket-client and one reader thread).

    ``filter`` (device type names, friendly names accepted) is sent on every
    connection; ``resync=False`` skips the ``all`` request on connect. Other keyword
    arguments are :class:`~iotws.options.ConnectOptions` (``reconnect``,
    ``request_timeout``...). Defaults: pings every 30 s, 60 s pong timeout.

    Examples:
        >>> from iotws.evok.simulator import EvokSimulator
        >>> with EvokSimulator().run() as sim, Client(sim.url(), filter=["relay"]) as evok:
        ...     evok.state.device("relay", "2_01").dev
        'ro'
    """

    logger_name = "iotws.evok"

    def __init__(self, url: str, *, filter: Iterable[str] | None = None, resync: bool = True, **options: Any) -> None:
        super().__init__(EvokCore(filter, resync=resync), url, **{**_DEFAULTS, **options})

    @property
    def state(self) -> State:
        """The state cache: latest :class:`~iotws.evok.models.Device` per ``(dev, circuit)``."""
        return self.core.state


class AsyncClient(AsyncClientBase[EvokCore], EvokCommands):
    """The asyncio EVOK client (aiohttp); the same methods as :class:`Client`, awaited.

    Examples:
        >>> import asyncio
        >>> from iotws.evok.simulator import EvokSimulator
        >>> async def main():
        ...     async with EvokSimulator() as sim, AsyncClient(sim.url()) as evok:
        ...         return (await evok.set_led("1_01", True, confirm=True)).value
        >>> asyncio.run(main())
        1
    """

    logger_name = "iotws.evok"

    def __init__(self, url: str, *, filter: Iterable[str] | None = None, resync: bool = True, **options: Any) -> None:
        super().__init__(EvokCore(filter, resync=resync), url, **{**_DEFAULTS, **options})

    @property
    def state(self) -> State:
        """The state cache: latest :class:`~iotws.evok.models.Device` per ``(dev, circuit)``."""
        return self.core.state
