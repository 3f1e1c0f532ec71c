"""OISP -> MQTT: a device's actuations, published as events (they flow to the device, not from it).

The bridge registers as the device (``options``: ``device_id`` and ``token``, e.g.
``"${OISP_TOKEN}"``) and publishes each actuation on ``<component>/event`` (the
``command`` record: ``name`` the command, ``params`` its parameters), and the last one
per component on ``<component>/state`` (``value``: its parameters), so a dashboard sees
what the platform last asked for. OISP takes no commands from this side.
"""

from __future__ import annotations

from typing import Any

from iotws.bridge.adapters.base import Adapter, PointInfo
from iotws.bridge.topics import point_level, state_payload
from iotws.cli import record
from iotws.errors import UsageError
from iotws.oisp.async_client import AsyncClient
from iotws.oisp.models import Actuation

__all__ = ["OispAdapter"]


class OispAdapter(Adapter):
    """One OISP device's actuations."""

    protocol = "oisp"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.device_id = str(self.options.pop("device_id", self.device.id))
        token = self.options.pop("token", None)
        if not token:
            raise UsageError(f"oisp device {self.device.id!r}: give options.token (e.g. \"${{OISP_TOKEN}}\")")
        self.token = str(token)

    def open(self) -> AsyncClient:
        """The OISP device client."""
        return AsyncClient(self.device.url, self.device_id, self.token, **self.options)

    async def handle(self, event: object) -> None:
        """An actuation: an event, and the component's last commanded state."""
        if not isinstance(event, Actuation):
            return
        point = point_level(event.component_id or event.command or "actuation")
        params = event.params_dict()
        rec = record("oisp", "command", None, point=point, name=event.command, params=params,
                     detail={"account_id": event.account_id, "device_id": event.device_id,
                             "component_id": event.component_id})
        self.sink.event(point, rec)
        state = state_payload("oisp", point, params, name=self.name_of(point, event.command),
                              detail={"command": event.command, "component_id": event.component_id})
        self.sink.state(PointInfo(point, None, name=self.name_of(point, event.command), numeric=False), state)
