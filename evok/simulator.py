"""A faithful EVOK simulator on ``/ws``: v3 behaviour by default, a v2 switch.

What it does, as EVOK does:

* nothing is sent on connect; no replies to ``filter``/``set``; no error frames;
* every scan (``scan_rate`` Hz) the devices of the board whose state changed are
  sent together as **one array** (so a ``set`` that changes nothing sends nothing, as
  EVOK's scan, ``check_new_data()``, sees no change); ``wd`` only when its value changes; ``register``
  never (v3); the 1-Wire ``temp`` sensor is sent on every read (``temp_interval`` s)
  as a **bare object** on connections with the default filter, a one-element array
  otherwise;
* ``filter`` matches the emitted ``dev`` (``relay`` matches nothing on v3),
  ``["default"]`` alone is rejected, ``[]`` mutes, unknown names are dropped;
* ``set`` maps its arguments like EVOK, positional trap included (``"value": 5`` on
  a ``di`` sets the debounce, on an ``ai`` the mode); ``do`` timed outputs and PWM;
* ``all`` answers every device, ``run`` and ``device_info`` included;
  ``full`` answers nothing (v3) or one object (``v2=True``);
* an analog output setpoint becomes ``int(value / 0.0025)`` DAC steps (truncated,
  clamped to 0..4095) and is reported as ``round(raw * 0.0025, 3)``;
* a NaN value (``poke(..., value=math.nan)``) goes out as the bare JSON token
  ``NaN`` and, since ``nan != nan``, is re-sent on every scan.

Inputs move: DI ``1_01`` toggles every ``di_toggle_period`` s (its counter counts
rising edges), AIs carry noise, the temperature drifts.

Switches beyond the common faults: ``v2`` (v2 names: ``relay``, ``input``,
``unit_register``, ``neuron``, ``glob_dev_id``, list ``modes``; registers pushed;
``full`` answered), ``all_filtered`` (v3's buggy filtered ``all``: only ``di, ro,
ai, ao`` and sensors on a default-filter connection, ``[]`` on any other),
[`EvokSimulator.hold_commands`][iotws.evok.EvokSimulator.hold_commands] (a blocked Modbus write: commands queue and no
pongs are sent until [`EvokSimulator.release_commands`][iotws.evok.EvokSimulator.release_commands]), and
[`EvokSimulator.remove_device`][iotws.evok.EvokSimulator.remove_device] (EVOK restarted without a device).

Examples:
    >>> import json
    >>> from websocket import create_connection
    >>> with EvokSimulator(di_toggle_period=None).run() as sim:
    ...     ws = create_connection(sim.url())
    ...     _ = ws.send('{"cmd": "all"}')
    ...     devs = {d["dev"] for d in json.loads(ws.recv())}
    ...     ws.close()
    >>> {"ro", "do", "di", "ai", "ao", "led", "wd", "temp", "run", "device_info"} <= devs
    True
"""

from __future__ import annotations

import asyncio
import copy
import json
import math
import random
from collections.abc import Mapping
from typing import Any, ClassVar

import attrs

from iotws.evok.models import ALT_NAMES
from iotws.simulator import SimConnection, SimulatorBase

__all__ = ["BoardConfig", "EvokSimulator"]

ACCEPTED_FILTER_NAMES = frozenset(
    [
        "ro",
        "do",
        "di",
        "ai",
        "ao",
        "sensor",
        "owbus",
        "ds2408",
        "modbus_slave",
        "board",
        "led",
        "watchdog",
        "register",
        "data_point",
        "tcp_bus",
        "serial_bus",
        "device_info",
        "owpower",
        "run",
        "nv_save",
        "relay",
        "output",
        "digitaloutput",
        "input",
        "digitalinput",
        "analoginput",
        "analogoutput",
        "wd",
        "temp",
    ]
)
"""Names the ``filter`` command accepts (devtypes and alt names, as EVOK v3)."""
#: Modbus devices whose changes are pushed (v3); ``wd`` on value changes only.
_PUSHED = ("ro", "do", "di", "ai", "ao", "led", "wd", "data_point")
#: A device ``set()``'s parameters, in order: a positional ``value`` binds to the first.
_PARAMS: Mapping[str, tuple[str, ...]] = {
    "ro": ("value", "alias"),
    "do": ("value", "timeout", "pwm_freq", "pwm_duty", "mode", "alias"),
    "led": ("value", "alias"),
    "register": ("value", "alias"),
    "wd": ("value", "timeout", "reset", "nv_save", "alias"),
    "owpower": ("value",),
    "nv_save": ("value",),
    "ao": ("value", "mode", "alias"),
    "di": ("debounce", "counter", "counter_mode", "mode", "ds_mode", "alias"),
    "ai": ("mode", "alias"),
    "temp": ("interval", "alias"),
    "owbus": ("scan_interval", "interval", "do_scan", "do_reset"),
    "data_point": ("alias",),
    "run": ("save",),
}
_AI_MODES = {
    "Voltage": {"value": 0, "unit": "V", "range": [0, 10]},
    "Current": {"value": 1, "unit": "mA", "range": [0, 20]},
}
_AO_MODES = {"Voltage": {"value": 0, "unit": "V", "range": [0, 10]}}
_V2_NAMES = {"ro": "relay", "do": "relay", "di": "input", "data_point": "unit_register", "device_info": "neuron"}
#: What v3's ``all`` lists with ``all_filtered`` on a default-filter connection, in its order.
_FILTERED_ALL = (("di",), ("ro",), ("ai",), ("ao",), ("temp", "1wdevice"))


class SetError(Exception):
    """What EVOK would log and swallow for a bad command."""


@attrs.define
class BoardConfig:
    """The simulated PLC: board ``name`` ``1`` with its I/O; relays on group ``2``.

    Circuits: ``1_01``... for DI, DO, AI, AO, LED, WD; ``2_01``... for relays;
    registers ``1_0``...; data points ``IAQ_0``...; 1-Wire sensors by ROM id.

    Examples:
        >>> BoardConfig(ro=2).ro
        2
    """

    di: int = 4
    ro: int = 4
    do: int = 4
    ai: int = 2
    ao: int = 2
    led: int = 4
    wd: int = 1
    registers: int = 8
    data_points: int = 1
    temp_sensors: tuple[str, ...] = ("2895DCD509000035",)
    model: str = "S103"
    serial: int = 12345


def _circuits(group: str, count: int) -> list[str]:
    return [f"{group}_{i:02d}" for i in range(1, count + 1)]


def _build(board: BoardConfig) -> dict[tuple[str, str], dict[str, Any]]:
    devices: list[dict[str, Any]] = []
    for c in _circuits("1", board.di):
        devices.append(
            {
                "dev": "di",
                "circuit": c,
                "value": 0,
                "debounce": 50,
                "counter": 0,
                "counter_mode": "Enabled",
                "counter_modes": ["Enabled", "Disabled"],
                "mode": "Simple",
                "modes": ["Simple", "DirectSwitch"],
            }
        )
    for c in _circuits("2", board.ro):
        devices.append({"dev": "ro", "circuit": c, "value": 0})
    for c in _circuits("1", board.do):
        devices.append(
            {
                "dev": "do",
                "circuit": c,
                "value": 0,
                "pending": False,
                "mode": "Simple",
                "modes": ["Simple", "PWM"],
                "pwm_freq": 4800.0,
                "pwm_duty": 0,
            }
        )
    for c in _circuits("1", board.ai):
        devices.append(
            {
                "dev": "ai",
                "circuit": c,
                "value": 5.0,
                "unit": "V",
                "mode": "Voltage",
                "modes": copy.deepcopy(_AI_MODES),
                "range": [0, 10],
            }
        )
    for c in _circuits("1", board.ao):
        devices.append(
            {
                "dev": "ao",
                "circuit": c,
                "value": 0.0,
                "unit": "V",
                "mode": "Voltage",
                "modes": copy.deepcopy(_AO_MODES),
                "range": [0, 10],
            }
        )
    for c in _circuits("1", board.led):
        devices.append({"dev": "led", "circuit": c, "value": 0})
    for c in _circuits("1", board.wd):
        devices.append({"dev": "wd", "circuit": c, "value": 0, "timeout": 5000, "was_wd_reset": 0, "nv_save": 0})
    for i in range(board.registers):
        devices.append({"dev": "register", "circuit": f"1_{i}", "value": 0})
    for i in range(board.data_points):
        devices.append(
            {
                "dev": "data_point",
                "circuit": f"IAQ_{i}",
                "value": 21.3 + i,
                "name": f"temperature {i}",
                "unit": "°C",
                "valid": True,
            }
        )
    for rom in board.temp_sensors:
        devices.append(
            {
                "dev": "temp",
                "circuit": rom,
                "address": rom,
                "value": 21.5,
                "lost": False,
                "time": 0.0,
                "interval": 15,
                "type": "DS18B20",
            }
        )
    devices += [
        {
            "dev": "owbus",
            "circuit": "OWFS",
            "bus": "OWFS",
            "scan_interval": 300,
            "interval": 60,
            "do_scan": False,
            "do_reset": False,
        },
        {"dev": "owpower", "circuit": "1", "value": 0},
        {"dev": "nv_save", "circuit": "1", "value": 0},
        {
            "dev": "modbus_slave",
            "circuit": "1",
            "last_comm": 0.02,
            "slave_id": 1,
            "modbus_type": "TCP",
            "modbus_spec": "Neuron",
            "scan_interval": 0.02,
        },
        {
            "dev": "device_info",
            "circuit": board.model,
            "family": "Neuron",
            "model": board.model,
            "sn": board.serial,
            "board_count": 1,
        },
        {"dev": "run", "circuit": "alias", "save": False, "aliases": {}},
    ]
    return {(d["dev"], d["circuit"]): d for d in devices}


def _has_nan(state: Any) -> bool:
    """Whether a scanned state holds a NaN: EVOK sees ``nan != nan`` and re-sends it every scan."""
    values = state.values() if isinstance(state, dict) else (state,)
    return any(type(v) is float and math.isnan(v) for v in values)


def _int(value: Any) -> int:
    if isinstance(value, str):
        return int(float(value))
    return int(value)


class EvokSimulator(SimulatorBase):
    """The EVOK WebSocket server, simulated; what it does as EVOK does is listed in [`iotws.evok.simulator`][].

    Switches: ``board`` ([`BoardConfig`][iotws.evok.BoardConfig]), ``scan_rate`` (Hz), ``temp_interval``
    (s between 1-Wire reads), ``di_toggle_period`` (s; ``None`` keeps DIs still),
    ``ai_noise`` (V; 0 = still), ``temp_drift`` (°C per read), ``v2``,
    ``all_filtered``, ``seed``. Test helpers: [`device`][iotws.evok.EvokSimulator.device],
    [`poke`][iotws.evok.EvokSimulator.poke],
    ``received`` (every parsed command, in order).

    Examples:
        >>> sim = EvokSimulator(scan_rate=100, di_toggle_period=None)
        >>> sim.device("ro", "2_01")["value"]
        0
    """

    paths: ClassVar[tuple[str, ...]] = ("/ws", "/ws/")
    logger_name = "iotws.evok"
    max_message_size = 10 * 1024 * 1024

    def __init__(
        self,
        board: BoardConfig | None = None,
        *,
        scan_rate: float = 50.0,
        temp_interval: float = 1.0,
        di_toggle_period: float | None = 1.0,
        ai_noise: float = 0.002,
        temp_drift: float = 0.05,
        v2: bool = False,
        all_filtered: bool = False,
        seed: int | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.board: BoardConfig = board or BoardConfig()
        self.scan_rate = scan_rate
        self.temp_interval = temp_interval
        self.di_toggle_period = di_toggle_period
        self.ai_noise = ai_noise
        self.temp_drift = temp_drift
        self.v2 = v2
        self.all_filtered = all_filtered
        self.devices: dict[tuple[str, str], dict[str, Any]] = _build(self.board)
        self.received: list[dict[str, Any]] = []
        self.watchdog_resets: int = 0
        self.scans: int = 0
        """How many scans ran (tests wait on it to know a change was seen)."""
        self._scanned = self._scan_view()
        self._rng = random.Random(seed)
        self._released: asyncio.Event | None = None
        self._timers: list[asyncio.TimerHandle] = []

    # -- test helpers -------------------------------------------------------------
    def device(self, dev: str, circuit: str) -> dict[str, Any]:
        """A copy of the current (v3) state of one device.

        Examples:
            >>> EvokSimulator().device("relay", "2_01")["dev"]
            'ro'
        """
        return copy.deepcopy(self.devices[(ALT_NAMES.get(dev, dev), circuit)])

    def poke(self, dev: str, circuit: str, *, report: bool = True, **fields: Any) -> None:
        """Change a device as the hardware would (e.g. an input); the next scan reports it.

        ``report=False`` changes it silently (as if it changed while nobody listened).

        Examples:
            >>> sim = EvokSimulator()
            >>> sim.poke("di", "1_02", counter=5)
            >>> sim.device("di", "1_02")["counter"]
            5
        """
        self.devices[(ALT_NAMES.get(dev, dev), circuit)].update(fields)
        if not report:
            self._scanned = self._scan_view()

    def remove_device(self, dev: str, circuit: str) -> None:
        """Take a device away, as EVOK restarted without it (an extension offline at start).

        Call it while the simulator is stopped (between ``stop()`` and ``start()``).

        Examples:
            >>> sim = EvokSimulator()
            >>> sim.remove_device("led", "1_04")
            >>> ("led", "1_04") in sim.devices
            False
        """
        del self.devices[(ALT_NAMES.get(dev, dev), circuit)]
        self._scanned = self._scan_view()

    async def hold_commands(self) -> None:
        """Fault: stop executing commands (and answering pings), as during a blocked Modbus write."""
        self._hold_event().clear()

    async def release_commands(self) -> None:
        """End [`hold_commands`][iotws.evok.EvokSimulator.hold_commands]: queued commands run in a burst."""
        self._hold_event().set()

    def _hold_event(self) -> asyncio.Event:
        if self._released is None:
            self._released = asyncio.Event()
            self._released.set()
        return self._released

    # -- lifecycle ----------------------------------------------------------------
    async def on_start(self) -> None:
        """Start scanning (and the 1-Wire reads) with the server."""
        self._hold_event()
        self.spawn(self._scan_loop())
        if self.board.temp_sensors:
            self.spawn(self._temp_loop())

    async def on_stop(self) -> None:
        """Cancel the timers of timed outputs."""
        for timer in self._timers:
            timer.cancel()
        self._timers.clear()

    async def handle(self, conn: SimConnection) -> None:
        """Serve one connection: default filter, then run each command as EVOK does (never answering ``set``)."""
        conn.state["filter"] = ["default"]
        async for frame in conn:
            await self._hold_event().wait()
            try:
                msg = json.loads(frame)
            except ValueError:
                self.log.warning("sim: not JSON: %.60r", frame)
                continue
            if not isinstance(msg, dict):
                self.log.warning("sim: not an object: %.60r", frame)
                continue
            self.received.append(msg)
            await self._command(conn, msg)

    # -- commands -------------------------------------------------------------------
    async def _command(self, conn: SimConnection, msg: dict[str, Any]) -> None:
        cmd = msg.get("cmd")
        if cmd == "all":
            await conn.send(json.dumps(self._all(conn)))
        elif cmd == "filter":
            self._filter(conn, msg.get("devices"))
        elif cmd == "full":
            found = self._lookup(msg.get("dev"), msg.get("circuit"))
            if self.v2 and found is not None:
                await conn.send(json.dumps(self._out(found)))
            else:
                self.log.warning("sim: full failed")  # v3: broken upstream, no answer
        elif isinstance(cmd, str):
            try:
                self._set(cmd, msg)
            except (SetError, ValueError, TypeError, KeyError) as exc:
                self.log.warning("sim: %s failed: %s", cmd, exc)

    def _filter(self, conn: SimConnection, devices: Any) -> None:
        if not isinstance(devices, list):
            self.log.warning("sim: invalid filter %r", devices)
            return
        if devices == []:
            conn.state["filter"] = []
            return
        valid = [d for d in devices if isinstance(d, str) and d in ACCEPTED_FILTER_NAMES]
        if not valid:
            self.log.warning("sim: invalid filter %r (kept %r)", devices, conn.state["filter"])
            return
        # EVOK: a list starting with "default" (and holding a valid name) means everything
        conn.state["filter"] = ["default"] if devices[0] == "default" else valid

    def _all(self, conn: SimConnection) -> list[dict[str, Any]]:
        objs = [self._out(d) for d in self.devices.values() if not (self.v2 and d["dev"] == "run")]
        flt = conn.state["filter"]
        if not self.all_filtered:
            return objs
        if self.v2:
            return [o for o in objs if self._passes(flt, o["dev"])]
        if flt == ["default"]:  # v3: the streamed types only, grouped as EVOK lists them
            return [o for devs in _FILTERED_ALL for o in objs if o["dev"] in devs]
        return []  # v3 compares each object with the filter's strings: nothing matches

    def _lookup(self, dev: Any, circuit: Any) -> dict[str, Any] | None:
        if not isinstance(dev, str) or not isinstance(circuit, str):
            return None
        kind = ALT_NAMES.get(dev, dev)
        found = self.devices.get((kind, circuit))
        if found is None:
            for d in self.devices.values():
                if d["dev"] == kind and d.get("alias") == circuit:
                    return d
        return found

    def _set(self, method: str, msg: dict[str, Any]) -> None:
        dev, circuit = msg.get("dev"), msg.get("circuit")
        device = self._lookup(dev, circuit)
        if device is None:
            raise SetError(f"Circuit or alias with name '{circuit}' not defined!")
        if method != "set":
            raise SetError(f"method {method!r} is not supported by the simulator")
        kind = device["dev"]
        params = _PARAMS.get(kind, ())
        value = msg.get("value")
        if value is not None and isinstance(value, dict):
            kwargs = dict(value)
        elif value is not None:
            if kind == "data_point":
                raise SetError("data_point is read-only")
            kwargs = {params[0]: value}  # the positional trap: binds to the first parameter
        else:
            kwargs = {k: v for k, v in msg.items() if k not in ("cmd", "dev", "circuit", "value")}
        unknown = set(kwargs) - set(params)
        if unknown:
            raise SetError(f"set() got an unexpected keyword argument {sorted(unknown)[0]!r}")
        getattr(self, f"_set_{kind}", self._set_plain)(device, **kwargs)

    def _set_alias(self, device: dict[str, Any], alias: Any) -> None:
        aliases = self.devices[("run", "alias")]["aliases"]
        old = device.pop("alias", None)
        aliases.pop(old, None)
        if alias:
            device["alias"] = str(alias)
            aliases[str(alias)] = {"circuit": f"{device['dev']}_{device['circuit']}", "devtype": device["dev"]}

    def _set_plain(self, device: dict[str, Any], **kwargs: Any) -> None:
        for name, value in kwargs.items():
            if name == "alias":
                self._set_alias(device, value)
            elif name == "value":
                device["value"] = 1 if _int(value) else 0
            elif device["dev"] == "register":
                pass
            else:
                device[name] = value

    def _set_register(self, device: dict[str, Any], value: Any = None, alias: Any = None) -> None:
        if device["circuit"].endswith("_inp"):
            raise SetError("input registers are read-only")
        if value is not None:
            v = _int(value)
            if not 0 <= v <= 65535:
                raise SetError(f"register value {v} out of range")
            device["value"] = v
        if alias is not None:
            self._set_alias(device, alias)

    def _set_do(
        self,
        device: dict[str, Any],
        value: Any = None,
        timeout: Any = None,
        pwm_freq: Any = None,
        pwm_duty: Any = None,
        mode: Any = None,
        alias: Any = None,
    ) -> None:
        if value is not None and pwm_duty is not None and float(pwm_duty) != 0:
            raise SetError("value and a non-zero pwm_duty conflict")
        if pwm_freq is not None:
            freq = float(pwm_freq)
            if freq <= 0:
                raise SetError("pwm_freq must be positive")
            for other in self.devices.values():
                if other["dev"] == "do":
                    other["pwm_freq"] = freq
        if pwm_duty is not None:
            duty = float(pwm_duty)
            if not 0 <= duty <= 100:
                raise SetError("pwm_duty must be 0..100")
            device["pwm_duty"] = int(duty) if duty.is_integer() else duty
            device["mode"] = "PWM" if duty else "Simple"
            device["value"] = 0
        if value is not None:
            on = 1 if _int(value) else 0
            device.update(value=on, pwm_duty=0, mode="Simple")
            if timeout is not None:
                device["pending"] = True  # EVOK quirk: stays true forever
                loop = asyncio.get_running_loop()
                self._timers.append(loop.call_later(float(timeout), device.__setitem__, "value", 1 - on))
        if alias is not None:
            self._set_alias(device, alias)

    def _set_ao(self, device: dict[str, Any], value: Any = None, mode: Any = None, alias: Any = None) -> None:
        if mode is not None:
            if mode not in device["modes"]:
                raise SetError(f"unknown mode {mode!r}")
            device["mode"] = mode
        if value is not None:
            raw = min(4095, max(0, int(float(value) / 0.0025)))  # truncated, as EVOK 3 does
            device["value"] = round(raw * 0.0025, 3)
        if alias is not None:
            self._set_alias(device, alias)

    def _set_ai(self, device: dict[str, Any], mode: Any = None, alias: Any = None) -> None:
        if mode is not None:
            info = device["modes"].get(mode) if isinstance(mode, str) else None
            if info is None:
                raise SetError(f"unknown mode {mode!r}")
            device.update(mode=mode, unit=info.get("unit"), range=info.get("range"))
            device["value"] = 12.0 if mode == "Current" else 5.0
        if alias is not None:
            self._set_alias(device, alias)

    def _set_di(
        self,
        device: dict[str, Any],
        debounce: Any = None,
        counter: Any = None,
        counter_mode: Any = None,
        mode: Any = None,
        ds_mode: Any = None,
        alias: Any = None,
    ) -> None:
        if debounce is not None:
            device["debounce"] = _int(debounce)
        if counter is not None:
            device["counter"] = _int(counter) & 0xFFFFFFFF
        if counter_mode is not None:
            if counter_mode not in device["counter_modes"]:
                raise SetError(f"unknown counter_mode {counter_mode!r}")
            device["counter_mode"] = counter_mode
        if mode is not None:
            if mode not in device["modes"]:
                raise SetError(f"unknown mode {mode!r}")
            device["mode"] = mode
            if mode == "DirectSwitch":
                device.setdefault("ds_mode", "Simple")
                device["ds_modes"] = ["Simple", "Inverted", "Toggle"]
        if ds_mode is not None:
            device["ds_mode"] = ds_mode
        if alias is not None:
            self._set_alias(device, alias)

    def _set_wd(
        self,
        device: dict[str, Any],
        value: Any = None,
        timeout: Any = None,
        reset: Any = None,
        nv_save: Any = None,
        alias: Any = None,
    ) -> None:
        if timeout is not None:
            t = _int(timeout)
            if not 0 <= t <= 65535:
                raise SetError("watchdog timeout must be 0..65535")
            device["timeout"] = t
        if value is not None:
            device["value"] = _int(value) & 1
        if reset:
            self.watchdog_resets += 1
        if nv_save:
            device["nv_save"] = 1
        if alias is not None:
            self._set_alias(device, alias)

    def _set_temp(self, device: dict[str, Any], interval: Any = None, alias: Any = None) -> None:
        if interval is not None:
            device["interval"] = _int(interval)
        if alias is not None:
            self._set_alias(device, alias)

    def _set_data_point(self, device: dict[str, Any], alias: Any = None) -> None:
        self._set_alias(device, alias)

    def _set_run(self, device: dict[str, Any], save: Any = None) -> None:
        pass  # EVOK writes the alias file now; nothing to show

    def _set_owbus(self, device: dict[str, Any], **kwargs: Any) -> None:
        for name in ("scan_interval", "interval"):
            if name in kwargs:
                device[name] = _int(kwargs[name])

    # -- output ---------------------------------------------------------------------
    def _out(self, device: dict[str, Any]) -> dict[str, Any]:
        """The object as sent: v3 as stored, or renamed for v2."""
        if not self.v2:
            return device
        out = dict(device, glob_dev_id=1)
        kind = device["dev"]
        if kind in _V2_NAMES:
            out["dev"] = _V2_NAMES[kind]
        if kind in ("ro", "do"):
            out["relay_type"] = "physical" if kind == "ro" else "digital"
        if kind == "device_info":
            out["circuit"] = "1"
        if kind == "ai":
            out["modes"] = list(device["modes"])
            out["range"] = str(float(device["range"][1])) if device.get("range") else None
        if kind == "temp":
            out["typ"] = out.pop("type")
        return out

    @staticmethod
    def _passes(flt: list[str], dev: str) -> bool:
        return "default" in flt or dev in flt

    async def _send_changes(self, objs: list[dict[str, Any]]) -> None:
        wire = [self._out(o) for o in objs]
        cache: dict[tuple[str, ...], str] = {}
        for conn in list(self.connections):
            flt = conn.state.get("filter", ["default"])
            key = tuple(flt)
            if key not in cache:
                chosen = [o for o in wire if self._passes(flt, o["dev"])]
                cache[key] = json.dumps(chosen) if chosen else ""
            if cache[key]:
                await conn.send(cache[key])

    # -- scanning ---------------------------------------------------------------------
    def _pushed(self) -> tuple[str, ...]:
        return (*_PUSHED, "register") if self.v2 else _PUSHED

    def _scan_view(self) -> dict[tuple[str, str], Any]:
        view: dict[tuple[str, str], Any] = {}
        for key, d in self.devices.items():
            if d["dev"] == "wd":
                view[key] = d["value"]
            elif d["dev"] in _PUSHED or d["dev"] == "register":
                view[key] = {k: v for k, v in d.items() if k != "alias"}
        return view

    def _move(self, now: float) -> None:
        period = self.di_toggle_period
        di = self.devices.get(("di", "1_01"))
        if period and di is not None:
            level = int(now / period) % 2
            if level != di["value"]:
                di["value"] = level
                if level and di["counter_mode"] == "Enabled":
                    di["counter"] = (di["counter"] + 1) & 0xFFFFFFFF
        if self.ai_noise:
            for d in self.devices.values():
                if d["dev"] == "ai" and self._rng.random() < 0.2:
                    base = 12.0 if d["mode"] == "Current" else 5.0
                    d["value"] = round(base + self._rng.uniform(-self.ai_noise, self.ai_noise), 4)

    async def _scan_loop(self) -> None:
        loop = asyncio.get_running_loop()
        pushed = self._pushed()
        while True:
            await asyncio.sleep(1.0 / self.scan_rate)
            self._move(loop.time())
            view = self._scan_view()
            changed = [
                self.devices[key]
                for key, state in view.items()
                if key[0] in pushed and (self._scanned.get(key) != state or _has_nan(state))
            ]
            self._scanned = view
            self.scans += 1
            if changed:
                await self._send_changes(changed)

    async def _temp_loop(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            await asyncio.sleep(self.temp_interval)
            for rom in self.board.temp_sensors:
                sensor = self.devices[("temp", rom)]
                drift = self._rng.uniform(-self.temp_drift, self.temp_drift)
                sensor["value"] = round(round((sensor["value"] + drift) / 0.05) * 0.05, 2)
                sensor["time"] = round(loop.time(), 3)
                obj = self._out(sensor)
                for conn in list(self.connections):
                    flt = conn.state.get("filter", ["default"])
                    if "default" in flt:
                        await conn.send(json.dumps(obj))  # bare object: the 1-Wire quirk
                    elif obj["dev"] in flt:
                        await conn.send(json.dumps([obj]))
