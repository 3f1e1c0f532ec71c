"""farmws -> MQTT, from the dashboard side of either dialect.

* Dialect D (``ws://HOST/clients/<id>``, or ``options.client_id``): each reading
  (``temperature``, ``humidity``, ``soil_moisture``) is the state of that point;
  irrigation changes are an ``irrigation`` state (on/off, the zones) and an event; a
  disconnected sensor is a ``sensor_disconnected`` event.
* Dialect I (``.../client/live_hardware_infor``, or ``options.live = true``): each
  snapshot is the full state, one ``<device>/<sensor>`` point per sensor (``quality``:
  ``connected``/``disconnected``); a sensor or device that leaves the snapshot is removed.

The dashboard side has no commands in either dialect (Dialect I's go through the
server's HTTP API), so ``set`` is answered with an error.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from iotws.bridge.adapters.base import Adapter, PointInfo
from iotws.bridge.topics import point_level, point_topic, state_payload
from iotws.cli import record
from iotws.farmws.async_client import AsyncDashboardClient, AsyncLiveClient
from iotws.farmws.models import FarmEvent, IrrigationEvent, IrrigationStarted, Reading, SensorDisconnected, Snapshot

__all__ = ["FarmAdapter"]


class FarmAdapter(Adapter):
    """One farmws server, seen as a dashboard."""

    protocol = "farmws"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.live = bool(self.options.pop("live", "live_hardware_infor" in self.device.url))
        self.client_id = self.options.pop("client_id", None)

    def open(self) -> AsyncDashboardClient | AsyncLiveClient:
        """The live (Dialect I) or dashboard (Dialect D) client."""
        if self.live:
            return AsyncLiveClient(self.device.url, **self.options)
        return AsyncDashboardClient(self.device.url, self.client_id, **self.options)

    async def synced(self) -> None:
        """Dialect D has no state to ask for; Dialect I's next snapshot is the full state."""
        self._online(True)

    async def handle(self, event: object) -> None:
        """Readings, irrigation and snapshots as states; the rest as events."""
        if isinstance(event, Snapshot):
            self._snapshot(event)
        elif isinstance(event, Reading):
            point = point_level(event.event)
            rec = state_payload("farmws", point, event.record, name=self.name_of(point, event.event),
                                detail={"device_time": event.time})
            self.sink.state(PointInfo(point, "sensor", name=self.name_of(point, event.event)), rec)
        elif isinstance(event, IrrigationEvent):
            on = isinstance(event, IrrigationStarted)
            zones = list(event.zones or ())
            changed: dict[str, Any] = {"zones": zones, "device_time": event.time}
            rec = state_payload("farmws", "irrigation", int(on), name=self.name_of("irrigation", "irrigation"),
                                detail=changed)
            info = PointInfo("irrigation", "binary_sensor", name=self.name_of("irrigation", "irrigation"))
            self.sink.state(info, rec)
            self.sink.event("irrigation", record("farmws", "event", None, point="irrigation", name=event.event,
                                                 detail=changed))
        elif isinstance(event, SensorDisconnected):
            detail: dict[str, Any] = {"sensor": event.sensor, "device_time": event.time}
            self.sink.event("sensor_disconnected", record("farmws", "event", None, point="sensor_disconnected",
                                                          name=event.event, detail=detail))
        elif isinstance(event, FarmEvent):
            point = point_level(event.event)
            self.sink.event(point, record("farmws", "event", None, point=point, name=event.event,
                                          detail={"data": event.to_wire().get("data")}))

    def _snapshot(self, snapshot: Snapshot) -> None:
        when = dt.datetime.now(dt.UTC)
        points: set[str] = set()
        for device in snapshot.devices.values():
            for sid, sensor in device.sensors.items():
                point = point_topic(device.name, sid)
                points.add(point)
                name = self.name_of(point, sensor.name or sid)
                quality = None if sensor.status is None else ("connected" if sensor.status else "disconnected")
                value = sensor.last_value
                numeric = isinstance(value, int | float) and not isinstance(value, bool)
                rec = state_payload("farmws", point, value, when=when, name=name, quality=quality,
                                    error=sensor.problem, detail={"device": device.name, "sensor": sid})
                self.sink.state(PointInfo(point, "sensor", name=name, numeric=numeric), rec)
        self.sink.resynced(points)
