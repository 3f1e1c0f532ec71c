"""The asyncio EVOK client (aiohttp).

This module is the source of both clients: ``scripts/unasync.py`` writes
``client.py`` from it.

The client keeps a state cache (``client.state``) resynced with ``all`` on every
(re)connection, streams [`DeviceChanged`][iotws.evok.DeviceChanged] events, pings the
server (EVOK never pings; nginx in front cuts idle links after 180 s) and
reconnects with backoff, re-sending the filter.

EVOK never answers a command, so writes come in two kinds:

* the setters ([`AsyncClient.set_relay`][iotws.evok.AsyncClient.set_relay],
  [`AsyncClient.set_led`][iotws.evok.AsyncClient.set_led]... and the
  generic [`AsyncClient.set`][iotws.evok.AsyncClient.set]) return the device's state once EVOK reports it: the
  next state of that circuit showing the new values, or the cached state when it shows
  them already (EVOK pushes nothing for a write that changes nothing). ``timeout``
  (default: the client's ``request_timeout``) bounds the wait, then ``RequestTimeout``;
* [`AsyncClient.send`][iotws.evok.AsyncClient.send] and the helpers EVOK cannot confirm (``set_alias``,
  ``set_debounce``, ``reset_watchdog``, ``set_filter``) return ``None`` once written.

Examples:
    >>> import asyncio
    >>> from iotws.evok import EvokSimulator
    >>> async def main(url):
    ...     async with AsyncClient(url) as evok:
    ...         await evok.send("ro", "2_01", value=1)  # returns once written
    ...         relay = await evok.set_relay("2_01", False)  # returns once EVOK reports it
    ...     return relay.value
    >>> with EvokSimulator().run() as sim:
    ...     asyncio.run(main(sim.url()))
    0
"""

from collections.abc import Iterable, Mapping
from typing import Unpack

from iotws.client import AsyncClientBase
from iotws.commands import checked
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
from iotws.evok.protocol import Event, EvokCore, FilterCommand, RefreshCommand, SetCommand, as_model, on_off
from iotws.options import AsyncConnectOptionsDict, check_timeout

# unasync: ("one asyncio task reads the link", "one reader thread reads the link")
__all__ = ["AsyncClient"]


class AsyncClient(AsyncClientBase[EvokCore, Event]):
    """The asyncio EVOK client: one asyncio task reads the link and keeps the cache.

    ``url`` is EVOK's WebSocket URL (``ws://HOST/ws`` through the vendor nginx,
    ``ws://HOST:8080/ws`` directly). ``filter`` (device types, friendly names
    accepted) is sent on every connection; ``resync=False`` skips the ``all`` request
    on connect. ``options`` are the connection options
    ([`ConnectOptionsDict`][iotws.options.ConnectOptionsDict]); EVOK's defaults differ from the
    common ones: ``ping_interval=30.0`` and ``ping_timeout=60.0`` (EVOK answers pings
    from the loop that runs Modbus writes, so pongs can lag) and
    ``max_message_size=16 MiB`` (the ``all`` reply of a big installation).

    Examples:
        >>> evok = AsyncClient("ws://127.0.0.1:9/ws", filter=["relay"])
        >>> evok.options.ping_interval, evok.options.ping_timeout, evok.core.filter
        (30.0, 60.0, ['ro'])
    """

    logger_name = "iotws.evok"

    def __init__(
        self,
        url: str,
        *,
        filter: Iterable[str] | None = None,
        resync: bool = True,
        **options: Unpack[AsyncConnectOptionsDict],
    ) -> None:
        options.setdefault("ping_interval", 30.0)
        options.setdefault("ping_timeout", 60.0)
        options.setdefault("max_message_size", 16 * 1024 * 1024)
        super().__init__(EvokCore(filter, resync=resync), url, **options)

    @property
    def state(self) -> State:
        """The state cache: the latest [`Device`][iotws.evok.Device] per ``(dev, circuit)``.

        Examples:
            >>> len(AsyncClient("ws://127.0.0.1:9/ws").state)
            0
        """
        return self.core.state

    # -- setters: they return the state EVOK reports ----------------------------------------

    @checked
    async def set(self, dev: str, circuit: str, /, *, timeout: float | None = None, **values: float | str) -> Device:
        """Write ``values`` to device ``dev`` ``circuit``; returns its state once EVOK reports them.

        ``values`` are EVOK's parameters of that type, sent in the value dict; the ones
        EVOK pushes (``value``, a ``do``'s ``pwm_duty``/``pwm_freq``, an ``ai``'s ``mode``,
        a ``di``'s ``counter``) are waited for, and a write of none of them raises
        ``UsageError`` (use [`send`][iotws.evok.AsyncClient.send]), as does a type the filter hides. EVOK's own
        ``timeout`` parameter (a ``do``'s switch-back delay, a watchdog's timeout) goes
        through [`set_output`][iotws.evok.AsyncClient.set_output],
        [`set_watchdog`][iotws.evok.AsyncClient.set_watchdog] or [`send`][iotws.evok.AsyncClient.send]: here
        ``timeout`` is how long to wait for the report.

        Examples:
            >>> import asyncio
            >>> from iotws.evok import EvokSimulator
            >>> async def main(url):
            ...     async with AsyncClient(url) as evok:
            ...         return await evok.set("output", "1_02", value=1)
            >>> with EvokSimulator().run() as sim:
            ...     device = asyncio.run(main(sim.url()))
            >>> device.key, device.value
            (('do', '1_02'), 1)
        """
        return await self._set(dev, circuit, values, timeout)

    @checked
    async def set_relay(self, circuit: str, on: bool, *, timeout: float | None = None) -> Relay | LegacyRelay:
        """Switch relay output ``ro`` ``circuit`` on or off; returns its state once EVOK reports it.

        A v2 EVOK reports a relay as a [`LegacyRelay`][iotws.evok.LegacyRelay].

        Examples:
            >>> import asyncio
            >>> from iotws.evok import EvokSimulator
            >>> async def main(url):
            ...     async with AsyncClient(url) as evok:
            ...         relay = await evok.set_relay("2_02", on=True, timeout=5.0)
            ...         return relay.value, evok.state.device("relay", "2_02") == relay
            >>> with EvokSimulator().run() as sim:
            ...     asyncio.run(main(sim.url()))
            (1, True)
        """
        return as_model(await self._set("ro", circuit, {"value": on_off(on)}, timeout), Relay, LegacyRelay)

    @checked
    async def set_output(
        self, circuit: str, on: bool, *, revert_after: float | None = None, timeout: float | None = None
    ) -> DigitalOutput:
        """Switch digital output ``do`` ``circuit``; returns its state once EVOK reports it.

        With ``revert_after`` seconds EVOK writes the opposite after that delay (its
        ``timeout`` parameter); the state returned shows the new value, the switch
        back arrives later as an event.

        Examples:
            >>> import asyncio
            >>> from iotws.evok import EvokSimulator
            >>> async def main(url):
            ...     async with AsyncClient(url) as evok:
            ...         output = await evok.set_output("1_01", True, revert_after=60.0)
            ...         return output.value, output.pending
            >>> with EvokSimulator().run() as sim:
            ...     asyncio.run(main(sim.url()))
            (1, True)
        """
        values: dict[str, float | str] = {"value": on_off(on)}
        revert = check_timeout(revert_after, "set_output: revert_after")
        if revert is not None:
            values["timeout"] = revert
        return as_model(await self._set("do", circuit, values, timeout), DigitalOutput)

    @checked
    async def set_pwm(
        self, circuit: str, *, duty: float | None = None, freq: float | None = None, timeout: float | None = None
    ) -> DigitalOutput:
        """Set the PWM ``duty`` (0-100 %) and/or ``freq`` (Hz, shared by the board group) of a ``do``.

        Returns the output's state once EVOK reports both.

        Examples:
            >>> import asyncio
            >>> from iotws.evok import EvokSimulator
            >>> async def main(url):
            ...     async with AsyncClient(url) as evok:
            ...         output = await evok.set_pwm("1_04", duty=25.0, freq=100.0)
            ...     return output.pwm_duty, output.pwm_freq, output.mode
            >>> with EvokSimulator().run() as sim:
            ...     asyncio.run(main(sim.url()))
            (25, 100.0, 'PWM')
        """
        values: dict[str, float | str] = {}
        if duty is not None:
            if not 0 <= duty <= 100:
                raise UsageError(f"set_pwm: duty must be 0..100, got {duty!r}")
            values["pwm_duty"] = duty
        hertz = check_timeout(freq, "set_pwm: freq")
        if hertz is not None:
            values["pwm_freq"] = hertz
        if not values:
            raise UsageError("set_pwm: give duty and/or freq")
        return as_model(await self._set("do", circuit, values, timeout), DigitalOutput)

    @checked
    async def set_analog_output(self, circuit: str, value: float, *, timeout: float | None = None) -> AnalogOutput:
        """Set analog output ``ao`` ``circuit`` to ``value`` (volts in voltage mode).

        Returns its state once EVOK reports it: EVOK truncates the setpoint to its DAC
        steps ([`ao_reported_value`][iotws.evok.protocol.ao_reported_value]), so 1.15 V reads 1.147.
        A value outside the range the cache knows for the output raises ``UsageError``
        before anything is sent (EVOK would clamp it silently).

        Examples:
            >>> import asyncio
            >>> from iotws.evok import EvokSimulator
            >>> async def main(url):
            ...     async with AsyncClient(url) as evok:
            ...         return await evok.set_analog_output("1_01", 1.15)
            >>> with EvokSimulator().run() as sim:
            ...     ao = asyncio.run(main(sim.url()))
            >>> ao.value, ao.unit
            (1.147, 'V')
        """
        return as_model(await self._set("ao", circuit, {"value": float(value)}, timeout), AnalogOutput)

    @checked
    async def set_analog_input_mode(self, circuit: str, mode: str, *, timeout: float | None = None) -> AnalogInput:
        """Switch analog input ``ai`` ``circuit`` to ``mode`` (a key of its ``modes``).

        Returns its state once EVOK reports the mode.

        Examples:
            >>> import asyncio
            >>> from iotws.evok import EvokSimulator
            >>> async def main(url):
            ...     async with AsyncClient(url) as evok:
            ...         return await evok.set_analog_input_mode("1_02", "Current")
            >>> with EvokSimulator().run() as sim:
            ...     ai = asyncio.run(main(sim.url()))
            >>> ai.mode, ai.unit
            ('Current', 'mA')
        """
        if not mode:
            raise UsageError("set_analog_input_mode: mode must be a mode name, got ''")
        return as_model(await self._set("ai", circuit, {"mode": mode}, timeout), AnalogInput)

    @checked
    async def set_led(self, circuit: str, on: bool, *, timeout: float | None = None) -> Led:
        """Switch user LED ``led`` ``circuit``; returns its state once EVOK reports it.

        Examples:
            >>> import asyncio
            >>> from iotws.evok import EvokSimulator
            >>> async def main(url):
            ...     async with AsyncClient(url) as evok:
            ...         on = await evok.set_led("1_01", True)
            ...         off = await evok.set_led("1_01", False)
            ...         return [on.value, off.value]
            >>> with EvokSimulator().run() as sim:
            ...     asyncio.run(main(sim.url()))
            [1, 0]
        """
        return as_model(await self._set("led", circuit, {"value": on_off(on)}, timeout), Led)

    @checked
    async def set_watchdog(
        self, circuit: str, enabled: bool, *, timeout_ms: int | None = None, timeout: float | None = None
    ) -> Watchdog:
        """Enable or disable the watchdog; returns its state once EVOK reports it.

        ``timeout_ms`` (0..65535) is written with it, but not waited for: EVOK pushes no
        event for it. To change only the timeout, ``send("wd", circuit, timeout=ms)``.

        Examples:
            >>> import asyncio
            >>> from iotws.evok import EvokSimulator
            >>> async def main(url):
            ...     async with AsyncClient(url) as evok:
            ...         return await evok.set_watchdog("1_01", True, timeout_ms=5000)
            >>> with EvokSimulator().run() as sim:
            ...     wd = asyncio.run(main(sim.url()))
            >>> wd.value
            1
        """
        values: dict[str, float | str] = {"value": on_off(enabled)}
        if timeout_ms is not None:
            if not 0 <= timeout_ms <= 65535:
                raise UsageError(f"set_watchdog: timeout_ms must be 0..65535, got {timeout_ms!r}")
            values["timeout"] = timeout_ms
        return as_model(await self._set("wd", circuit, values, timeout), Watchdog)

    @checked
    async def reset_counter(self, circuit: str, value: int = 0, *, timeout: float | None = None) -> DigitalInput:
        """Set the pulse counter of digital input ``di`` ``circuit`` (to 0 by default).

        Returns the input's state once EVOK reports the counter.

        Examples:
            >>> import asyncio
            >>> from iotws.evok import EvokSimulator
            >>> async def main(url):
            ...     async with AsyncClient(url) as evok:
            ...         return await evok.reset_counter("1_02", value=7)
            >>> with EvokSimulator(di_toggle_period=None).run() as sim:
            ...     di = asyncio.run(main(sim.url()))
            >>> di.counter
            7
        """
        if not 0 <= value < 2**32:
            raise UsageError(f"reset_counter: value must be a 32-bit unsigned int, got {value!r}")
        return as_model(await self._set("di", circuit, {"counter": value}, timeout), DigitalInput)

    async def _set(self, dev: str, circuit: str, values: Mapping[str, float | str], timeout: float | None) -> Device:
        """Send a ``set`` and wait for the state showing ``values``."""
        return await self._execute(SetCommand(dev, circuit, values, confirm=True, timeout=timeout))

    # -- writes EVOK cannot confirm: they return once written ---------------------------------

    @checked
    async def send(self, dev: str, circuit: str, /, **values: float | str) -> None:
        """Write ``values`` to device ``dev`` ``circuit`` without waiting for EVOK's report.

        Any of EVOK's parameters of that type (``value``, ``timeout``, ``alias``...),
        sent in the value dict; returns once the command is written.

        Examples:
            >>> import asyncio
            >>> from iotws.evok import EvokSimulator
            >>> async def main(url):
            ...     async with AsyncClient(url) as evok:
            ...         await evok.send("wd", "1_01", timeout=1234)
            ...         return (await evok.refresh())["wd", "1_01"]
            >>> with EvokSimulator().run() as sim:
            ...     wd = asyncio.run(main(sim.url()))
            >>> wd.timeout
            1234
        """
        await self._execute(SetCommand(dev, circuit, values))

    @checked
    async def reset_watchdog(self, circuit: str) -> None:
        """Pulse the watchdog reset (keep-alive); returns once written.

        Examples:
            >>> import asyncio
            >>> from iotws.evok import EvokSimulator
            >>> async def main(url):
            ...     async with AsyncClient(url) as evok:
            ...         await evok.reset_watchdog("1_01")
            ...         await evok.refresh()  # answered after the reset ran
            >>> with EvokSimulator().run() as sim:
            ...     asyncio.run(main(sim.url()))
            ...     sim.watchdog_resets
            1
        """
        await self.send("wd", circuit, reset=1)

    @checked
    async def set_debounce(self, circuit: str, debounce: int) -> None:
        """Set the debounce (raw units) of digital input ``di`` ``circuit``; returns once written.

        Sent as ``{"debounce": N}`` in the value dict, never positionally.

        Examples:
            >>> import asyncio
            >>> from iotws.evok import EvokSimulator
            >>> async def main(url):
            ...     async with AsyncClient(url) as evok:
            ...         await evok.set_debounce("1_01", 7)
            ...         return (await evok.refresh())["di", "1_01"]
            >>> with EvokSimulator().run() as sim:
            ...     di = asyncio.run(main(sim.url()))
            >>> di.debounce
            7
        """
        if debounce < 0:
            raise UsageError(f"set_debounce: debounce must be a non-negative int, got {debounce!r}")
        await self.send("di", circuit, debounce=debounce)

    @checked
    async def set_alias(self, dev: str, circuit: str, alias: str) -> None:
        """Give device ``dev`` ``circuit`` a user alias (``""`` clears it); returns once written.

        Examples:
            >>> import asyncio
            >>> from iotws.evok import EvokSimulator
            >>> async def main(url):
            ...     async with AsyncClient(url) as evok:
            ...         await evok.set_alias("relay", "2_02", "pump")
            ...         return (await evok.refresh())["ro", "2_02"]
            >>> with EvokSimulator().run() as sim:
            ...     relay = asyncio.run(main(sim.url()))
            >>> relay.alias
            'pump'
        """
        await self.send(dev, circuit, alias=alias)

    @checked
    async def set_filter(self, devices: Iterable[str] | None) -> None:
        """Stream only these device types (friendly names accepted; ``None`` = everything).

        Kept for reconnects. ``[]`` mutes the stream. The setters of a type the filter
        hides raise ``UsageError`` (EVOK's report would never arrive); [`send`][iotws.evok.AsyncClient.send] works.

        Examples:
            >>> import asyncio
            >>> from iotws.evok import EvokSimulator
            >>> async def main(url):
            ...     async with AsyncClient(url) as evok:
            ...         await evok.set_filter(["relay", "input"])
            ...         return evok.core.filter
            >>> with EvokSimulator().run() as sim:
            ...     asyncio.run(main(sim.url()))
            ['ro', 'di']
        """
        await self._execute(FilterCommand(devices))

    @checked
    async def refresh(self, timeout: float | None = None) -> dict[tuple[str, str], Device]:
        """Send ``all``; returns every device EVOK knows (``{(dev, circuit): Device}``), cache updated.

        Examples:
            >>> import asyncio
            >>> from iotws.evok import EvokSimulator
            >>> async def main(url):
            ...     async with AsyncClient(url) as evok:
            ...         return await evok.refresh(timeout=5.0)
            >>> with EvokSimulator().run() as sim:
            ...     devices = asyncio.run(main(sim.url()))
            >>> devices["run", "alias"].dev
            'run'
        """
        return await self._execute(RefreshCommand(timeout))
