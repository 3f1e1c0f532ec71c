"""An emulated farm controller: plausible readings and irrigation cycles, no hardware.

[`FarmEmulator`][iotws.farmws.FarmEmulator] is pure and deterministic for a given seed: call
[`FarmEmulator.step`][iotws.farmws.FarmEmulator.step] with the seconds that passed and it returns the
Dialect D events a controller would send (a temperature, humidity and soil
moisture reading each step, ``irrigation_started`` when the soil gets dry and
``irrigation_stopped`` when it is wet again). [`FarmEmulator.sensor_values`][iotws.farmws.FarmEmulator.sensor_values]
and [`FarmEmulator.handlers`][iotws.farmws.FarmEmulator.handlers] serve the Dialect I device side. The
simulator, ``iotws farmws controller`` and the demo all run it.

Examples:
    >>> emu = FarmEmulator(seed=1)
    >>> [type(e).__name__ for e in emu.step(1.0)]
    ['Temperature', 'Humidity', 'SoilMoisture']
"""

from __future__ import annotations

import random
from collections.abc import Mapping

from iotws.farmws.models import (
    DeviceCommand,
    FarmEvent,
    Humidity,
    IrrigationStarted,
    IrrigationStopped,
    Number,
    SoilMoisture,
    Temperature,
)
from iotws.farmws.protocol import CommandHandler

__all__ = ["FarmEmulator"]


class FarmEmulator:
    """A controller's sensors and irrigation valve, stepped by the caller.

    ``temperature`` is in tenths of a degree (the vendor example sends ``223``),
    ``humidity`` in percent, ``soil_moisture`` a raw 10-bit reading (0..1023,
    higher is wetter). Irrigation starts below
    ``dry_below`` and stops above ``wet_above``.

    Examples:
        >>> emu = FarmEmulator(seed=3, soil_moisture=380)
        >>> any(isinstance(e, IrrigationStarted) for e in emu.step(1.0))
        True
        >>> emu.irrigating
        True
    """

    def __init__(
        self,
        seed: int | None = None,
        zones: tuple[str, ...] = ("zone1", "zone2"),
        *,
        temperature: float = 223.0,
        humidity: float = 61.0,
        soil_moisture: float = 450.0,
        dry_below: float = 400.0,
        wet_above: float = 650.0,
    ) -> None:
        self.rng: random.Random = random.Random(seed)
        self.zones = zones
        self.uptime: float = 0.0
        self.temperature: float = temperature
        self.humidity: float = humidity
        self.soil_moisture: float = soil_moisture
        self.dry_below: float = dry_below
        self.wet_above: float = wet_above
        self.irrigating: bool = False
        self.draining: bool = False
        self.raining: bool = False

    @property
    def time(self) -> int:
        """Device time: whole seconds since the emulator started."""
        return int(self.uptime)

    def step(self, seconds: float) -> list[FarmEvent]:
        """Advance ``seconds`` and return the events a controller sends for that step."""
        self.uptime += seconds
        rng = self.rng
        self.temperature = min(400.0, max(50.0, self.temperature + rng.uniform(-3, 3)))
        self.humidity = min(100.0, max(10.0, self.humidity + rng.uniform(-1.5, 1.5)))
        if self.irrigating:
            self.soil_moisture += 40 * seconds + rng.uniform(0, 5)
        else:
            self.soil_moisture -= 15 * seconds + rng.uniform(0, 5)
        self.soil_moisture = min(1023.0, max(0.0, self.soil_moisture))
        self.raining = rng.random() < 0.05
        now = self.time
        events: list[FarmEvent] = [
            Temperature(time=now, record=round(self.temperature)),
            Humidity(time=now, record=round(self.humidity)),
            SoilMoisture(time=now, record=round(self.soil_moisture)),
        ]
        if not self.irrigating and self.soil_moisture < self.dry_below:
            self.irrigating = True
            events.append(IrrigationStarted(time=now, zones=self.zones))
        elif self.irrigating and self.soil_moisture > self.wet_above:
            self.irrigating = False
            events.append(IrrigationStopped(time=now, zones=self.zones))
        return events

    def sensor_values(self) -> dict[str, Number]:
        """The Dialect I ``sensor_update`` map of the reference firmware's sensors.

        Examples:
            >>> sorted(FarmEmulator(seed=0).sensor_values())
            ['Humidity', 'RainDrop', 'SoilMoisture', 'Temperature']
        """
        return {
            "Temperature": round(self.temperature / 10, 1),
            "Humidity": round(self.humidity),
            "SoilMoisture": round(self.soil_moisture),
            "RainDrop": int(self.raining),
        }

    def sensor_status(self) -> dict[str, bool]:
        """The Dialect I ``sensor_status`` map: every emulated sensor is connected."""
        return dict.fromkeys(self.sensor_values(), True)

    def handlers(self) -> Mapping[str, CommandHandler]:
        """Command handlers like the firmware's: ``irrigation``/``drainage`` start, stop, status.

        Start/stop answer ``True``; status answers the relay pin (``0``/``1``).

        Examples:
            >>> emu = FarmEmulator()
            >>> emu.handlers()["irrigation"](DeviceCommand("irrigation start"))
            True
            >>> emu.handlers()["irrigation"](DeviceCommand("irrigation status"))
            1
        """

        def relay(attribute: str) -> CommandHandler:
            def run(command: DeviceCommand) -> object:
                action = command.words[1] if len(command.words) > 1 else ""
                if action in ("start", "stop"):
                    setattr(self, attribute, action == "start")
                    return True
                if action == "status":
                    return int(getattr(self, attribute))
                return f"unknown action: {action!r}"

            return run

        return {"irrigation": relay("irrigating"), "drainage": relay("draining")}
