"""EVOK clients: :class:`Client` (sync) and :class:`AsyncClient` (asyncio), one command surface.

Both keep a state cache (``client.state``) resynced with ``all`` on every
(re)connection, stream :class:`~evok.protocol.DeviceChanged` events, ping the
server (EVOK never pings; nginx in front cuts idle links after 180 s) and
reconnect with backoff, re-sending the filter.

Examples:
    >>> from evok.simulator import EvokSimulator
    >>> with EvokSimulator().run() as sim, Client(sim.url()) as evok:
    ...     evok.set_relay("2_01", True, confirm=True).value
    1
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, TypeVar

from common.client import AsyncClientBase, SyncClientBase
from common.commands import Commands
from common.errors import UsageError
from evok.models import State
from evok.protocol import EvokCore, FilterCommand, RefreshCommand, SetCommand

__all__ = ["AsyncClient", "Client", "EvokCommands"]

T = TypeVar("T")

#: Defaults that differ from the common ones: EVOK's pongs can lag behind a blocked
#: Modbus write, and an ``all`` reply of a big installation is large.
_DEFAULTS: dict[str, Any] = {"ping_interval": 30.0, "ping_timeout": 60.0, "max_message_size": 16 * 1024 * 1024}


def _on(on: bool) -> int:
    if not isinstance(on, (bool, int)) or (isinstance(on, int) and on not in (0, 1)):
        raise UsageError(f"expected True/False (or 1/0), got {on!r}")
    return int(on)


class EvokCommands(Commands[T]):
    """The EVOK command surface, shared by :class:`Client` and :class:`AsyncClient`.

    Every ``set`` helper returns once the command is sent (EVOK never replies) and
    returns ``None``; with ``confirm=True`` it waits for the next state of that
    circuit showing the requested value and returns it (or raises
    :class:`~common.errors.RequestTimeout` after ``confirm_timeout`` s, default the
    client's ``request_timeout``). Confirmation needs events of that type to pass
    the connection's filter.

    Examples:
        >>> from evok.simulator import EvokSimulator
        >>> with EvokSimulator().run() as sim, Client(sim.url()) as evok:
        ...     evok.set("do", "1_02", value=1, confirm=True).value
        1
    """

    def set(
        self,
        dev: str,
        circuit: str,
        /,
        *,
        confirm: bool = False,
        confirm_timeout: float | None = None,
        **params: Any,
    ) -> T:
        """Generic ``set``: ``params`` are sent as the value dict (``value``, ``timeout``...).

        Examples:
            >>> SetCommand("do", "1_04", {"pwm_duty": 50}).encode(None)[0]
            '{"cmd":"set","dev":"do","circuit":"1_04","value":{"pwm_duty":50}}'
        """
        return self._execute(SetCommand(dev, circuit, params, confirm=confirm, timeout=confirm_timeout))

    def set_relay(self, circuit: str, on: bool, *, confirm: bool = False, confirm_timeout: float | None = None) -> T:
        """Switch relay output ``ro`` ``circuit`` on or off.

        Examples:
            >>> from evok.simulator import EvokSimulator
            >>> with EvokSimulator().run() as sim, Client(sim.url()) as evok:
            ...     evok.set_relay("2_02", False) is None
            True
        """
        return self.set("ro", circuit, confirm=confirm, confirm_timeout=confirm_timeout, value=_on(on))

    def set_output(
        self,
        circuit: str,
        on: bool,
        *,
        timeout: float | None = None,
        confirm: bool = False,
        confirm_timeout: float | None = None,
    ) -> T:
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
        return self.set("do", circuit, confirm=confirm, confirm_timeout=confirm_timeout, **params)

    def set_pwm(
        self,
        circuit: str,
        *,
        duty: float | None = None,
        freq: float | None = None,
        confirm: bool = False,
        confirm_timeout: float | None = None,
    ) -> T:
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
        return self.set("do", circuit, confirm=confirm, confirm_timeout=confirm_timeout, **params)

    def set_analog_output(
        self, circuit: str, value: float, *, confirm: bool = False, confirm_timeout: float | None = None
    ) -> T:
        """Set analog output ``ao`` ``circuit`` to ``value`` (volts in voltage mode).

        Examples:
            >>> SetCommand("ao", "1_01", {"value": 2.5}).encode(None)[0]
            '{"cmd":"set","dev":"ao","circuit":"1_01","value":{"value":2.5}}'
        """
        if not isinstance(value, (int, float)) or isinstance(value, bool):
            raise UsageError(f"set_analog_output: value must be a number, got {value!r}")
        return self.set("ao", circuit, confirm=confirm, confirm_timeout=confirm_timeout, value=float(value))

    def set_analog_input_mode(
        self, circuit: str, mode: str, *, confirm: bool = False, confirm_timeout: float | None = None
    ) -> T:
        """Switch analog input ``ai`` ``circuit`` to ``mode`` (a key of its ``modes``).

        Examples:
            >>> SetCommand("ai", "1_01", {"mode": "Current"}).encode(None)[0]
            '{"cmd":"set","dev":"ai","circuit":"1_01","value":{"mode":"Current"}}'
        """
        if not isinstance(mode, str) or not mode:
            raise UsageError(f"set_analog_input_mode: mode must be a mode name, got {mode!r}")
        return self.set("ai", circuit, confirm=confirm, confirm_timeout=confirm_timeout, mode=mode)

    def set_led(self, circuit: str, on: bool, *, confirm: bool = False, confirm_timeout: float | None = None) -> T:
        """Switch user LED ``led`` ``circuit``.

        Examples:
            >>> SetCommand("led", "1_01", {"value": True}).params
            {'value': 1}
        """
        return self.set("led", circuit, confirm=confirm, confirm_timeout=confirm_timeout, value=_on(on))

    def set_watchdog(
        self,
        circuit: str,
        *,
        enabled: bool | None = None,
        timeout: int | None = None,
        confirm: bool = False,
        confirm_timeout: float | None = None,
    ) -> T:
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
        return self.set("wd", circuit, confirm=confirm, confirm_timeout=confirm_timeout, **params)

    def reset_watchdog(self, circuit: str) -> T:
        """Pulse the watchdog reset (keep-alive); cannot be confirmed.

        Examples:
            >>> SetCommand("wd", "1_01", {"reset": 1}).encode(None)[0]
            '{"cmd":"set","dev":"wd","circuit":"1_01","value":{"reset":1}}'
        """
        return self.set("wd", circuit, reset=1)

    def set_debounce(self, circuit: str, debounce: int) -> T:
        """Set the debounce (raw units) of digital input ``di`` ``circuit``; cannot be confirmed.

        Sent as ``{"debounce": N}`` in the value dict, never positionally.

        Examples:
            >>> SetCommand("di", "1_01", {"debounce": 50}).encode(None)[0]
            '{"cmd":"set","dev":"di","circuit":"1_01","value":{"debounce":50}}'
        """
        if not isinstance(debounce, int) or isinstance(debounce, bool) or debounce < 0:
            raise UsageError(f"set_debounce: debounce must be a non-negative int, got {debounce!r}")
        return self.set("di", circuit, debounce=debounce)

    def reset_counter(
        self, circuit: str, value: int = 0, *, confirm: bool = False, confirm_timeout: float | None = None
    ) -> T:
        """Set the pulse counter of digital input ``di`` ``circuit`` (to 0 by default).

        Examples:
            >>> SetCommand("di", "1_01", {"counter": 0}).params
            {'counter': 0}
        """
        if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value < 2**32:
            raise UsageError(f"reset_counter: value must be a 32-bit unsigned int, got {value!r}")
        return self.set("di", circuit, confirm=confirm, confirm_timeout=confirm_timeout, counter=value)

    def set_alias(self, dev: str, circuit: str, alias: str) -> T:
        """Give device ``dev`` ``circuit`` a user alias (``""`` clears it); cannot be confirmed.

        Examples:
            >>> SetCommand("relay", "1_01", {"alias": "lamp"}).encode(None)[0]
            '{"cmd":"set","dev":"ro","circuit":"1_01","value":{"alias":"lamp"}}'
        """
        if not isinstance(alias, str):
            raise UsageError(f"set_alias: alias must be a string, got {alias!r}")
        return self.set(dev, circuit, alias=alias)

    def set_filter(self, devices: Iterable[str] | None) -> T:
        """Stream only these device types (friendly names accepted; ``None`` = everything).

        Kept for reconnects. ``[]`` mutes the stream.

        Examples:
            >>> FilterCommand(["relay", "input"]).devices
            ['ro', 'di']
        """
        return self._execute(FilterCommand(devices))

    def refresh(self, timeout: float | None = None) -> T:
        """Send ``all``; return every device EVOK knows (``{(dev, circuit): Device}``), cache updated.

        Examples:
            >>> from evok.simulator import EvokSimulator
            >>> with EvokSimulator().run() as sim, Client(sim.url()) as evok:
            ...     evok.refresh()["run", "alias"].dev
            'run'
        """
        return self._execute(RefreshCommand(timeout))


class Client(SyncClientBase[EvokCore], EvokCommands[Any]):
    """The synchronous EVOK client (websocket-client and one reader thread).

    ``filter`` (device type names, friendly names accepted) is sent on every
    connection; ``resync=False`` skips the ``all`` request on connect. Other keyword
    arguments are :class:`~common.options.ConnectOptions` (``reconnect``,
    ``request_timeout``...). Defaults: pings every 30 s, 60 s pong timeout.

    Examples:
        >>> from evok.simulator import EvokSimulator
        >>> with EvokSimulator().run() as sim, Client(sim.url(), filter=["relay"]) as evok:
        ...     evok.state.device("relay", "2_01").dev
        'ro'
    """

    logger_name = "evok"

    def __init__(self, url: str, *, filter: Iterable[str] | None = None, resync: bool = True, **options: Any) -> None:
        super().__init__(EvokCore(filter, resync=resync), url, **{**_DEFAULTS, **options})

    @property
    def state(self) -> State:
        """The state cache: latest :class:`~evok.models.Device` per ``(dev, circuit)``."""
        return self.core.state


class AsyncClient(AsyncClientBase[EvokCore], EvokCommands[Any]):
    """The asyncio EVOK client (aiohttp); the same methods as :class:`Client`, awaited.

    Examples:
        >>> import asyncio
        >>> from evok.simulator import EvokSimulator
        >>> async def main():
        ...     async with EvokSimulator() as sim, AsyncClient(sim.url()) as evok:
        ...         return (await evok.set_led("1_01", True, confirm=True)).value
        >>> asyncio.run(main())
        1
    """

    logger_name = "evok"

    def __init__(self, url: str, *, filter: Iterable[str] | None = None, resync: bool = True, **options: Any) -> None:
        super().__init__(EvokCore(filter, resync=resync), url, **{**_DEFAULTS, **options})

    @property
    def state(self) -> State:
        """The state cache: latest :class:`~evok.models.Device` per ``(dev, circuit)``."""
        return self.core.state
