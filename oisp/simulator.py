"""A faithful OISP WebSocket server simulator (the ``jelyoussefi/oisp-websocket-server`` fork).

* Any path; ``echo-protocol`` is mandatory (403 without it); a plain GET gets 404.
* Registration ``{"type":"device",...}``: the token is verified as an RS256 JWT against the
  simulator's key pair ([`OispSimulator.keys`][iotws.oisp.OispSimulator.keys]; made on first use, or kept in ``key_dir``
  across processes as the real server keeps ``keys/public.pem``; it needs the ``simulators``
  extra, ``pip install 'iotws[simulators]'``): signature, ``exp``, ``nbf``, ``sub`` equal
  to the device id; the account is ``accounts[0].id``. Success is silence (``legacy_200``: a
  200); a bad token gets 401 + close 1008; malformed input, a binary frame or a token without
  accounts get 401 "Wrong message format" + close 1003.
* ``{"type":"ping"}`` -> ``{"code":202,"content":"PONG"}``; WebSocket pings every 20 s, a peer
  silent for 10 s after a ping is dropped; incoming messages over 64 KiB close with 1009.
* A second registration of the same device on one socket closes it with 1000
  (``close_on_reregister``); a second socket for the same device kicks the first with
  1000 (``kick_previous``).
* The real server's quirks are on by default, each with a switch to turn it off:
  ``duplicates=True`` (each actuation is sent once per registration made since the
  server started), ``blind_window=3.0`` (actuations published within that many seconds
  after the first registration are lost: the server subscribes to Redis late),
  ``keep_open_for_other_device=True`` (registering a second, different device on a socket
  keeps it open and binds it to both; only the first binding is cleaned up on close).
* ``platform_side=False`` turns the simulator-only control path off, as on a real server.
* [`OispSimulator.actuate`][iotws.oisp.OispSimulator.actuate] pushes a command to a device (dropped when it has no
  socket); [`OispSimulator.issue_token`][iotws.oisp.OispSimulator.issue_token] issues device tokens. Other processes
  push through the control path [`CONTROL_PATH`][iotws.oisp.simulator.CONTROL_PATH] (see ``iotws oisp actuate``).

Examples:
    >>> with OispSimulator().run() as sim:
    ...     token = sim.issue_token("dev-1", "acc-1")
    ...     sim.url().startswith("ws://127.0.0.1:")
    True
"""

from __future__ import annotations

import json
import os
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterable, Mapping
from typing import Any, ClassVar, Self

from aiohttp import web

from iotws.oisp.models import CODE_ACTUATION, Param, dumps
from iotws.oisp.protocol import SUBPROTOCOL, install_log_redaction
from iotws.oisp.tokens import InvalidToken, TokenKeys
from iotws.simulator import SimConnection, SimulatorBase

__all__ = ["BLIND_WINDOW", "CONTROL_PATH", "CONTROL_SUBPROTOCOL", "OispSimulator"]

CONTROL_SUBPROTOCOL = "iotws-oisp-platform"
"""Subprotocol of the platform side (offered alone, so a real OISP server refuses it with 403)."""

BLIND_WINDOW = 3.0
"""The real server's blind window: it subscribes to Redis about 3 s after the first registration."""

CONTROL_PATH = "/_simulator/platform"
"""Path of the simulator's platform side: a WebSocket (subprotocol
[`CONTROL_SUBPROTOCOL`][iotws.oisp.simulator.CONTROL_SUBPROTOCOL]) that accepts
``{"type":"actuation","accountId":...,"deviceId":...,"body":{...}}`` and answers
``{"code":200,"content":{"delivered":N}}``, and ``{"type":"stats"}`` (answered with
registrations, rejections, bound devices, open connections). Not part of the real server.
"""

INVALID_TOKEN = "Invalid device token for device"
WRONG_FORMAT = "Wrong message format"
LEGACY_OK = "Record in database update for device"

ParamsLike = Mapping[str, Any] | Iterable[Param | tuple[str, Any] | Mapping[str, Any]] | None


def _params(params: ParamsLike) -> list[dict[str, Any]]:
    if params is None:
        return []
    if isinstance(params, Mapping):
        return [{"name": str(k), "value": v} for k, v in params.items()]
    out: list[dict[str, Any]] = []
    for item in params:
        if isinstance(item, Param):
            out.append(item.to_wire())
        elif isinstance(item, Mapping):
            out.append(dict(item))
        else:
            name, value = item
            out.append({"name": str(name), "value": value})
    return out


class OispSimulator(SimulatorBase):
    """The OISP WebSocket server on loopback, with switches for its real-world quirks.

    By default it behaves as the real server was seen to: duplicate actuations, a 3 s
    blind window after the first registration, sockets kept open when they register a
    second device. Tests that need one copy per actuation at once pass
    ``duplicates=False, blind_window=0`` (as the pytest fixtures do).

    Token keys: ``keys`` (a [`TokenKeys`][iotws.oisp.TokenKeys]), else the pair kept in
    ``key_dir`` (made there on first use; see [`TokenKeys.load`][iotws.oisp.TokenKeys.load]), else a fresh pair made
    on first use. One simulator object keeps its keys across ``stop()``/``start()``;
    ``key_dir`` keeps them across processes, so tokens issued before a restart stay valid.
    Without PyJWT and cryptography, ``start()`` raises [`UsageError`][iotws.UsageError]
    naming ``pip install 'iotws[simulators]'``.

    Examples:
        >>> sim = OispSimulator(legacy_200=True)
        >>> sim.legacy_200, sim.duplicates, sim.blind_window, sim.keep_open_for_other_device
        (True, True, 3.0, True)
        >>> OispSimulator(duplicates=False, blind_window=0).blind_window
        0
    """

    paths: ClassVar[tuple[str, ...]] = ("/{tail:.*}",)
    subprotocols: tuple[str, ...] = (SUBPROTOCOL, CONTROL_SUBPROTOCOL)
    logger_name: ClassVar[str] = "iotws.oisp"
    heartbeat: float | None = 20.0
    max_message_size: int = 64 * 1024

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        keys: TokenKeys | None = None,
        key_dir: str | os.PathLike[str] | None = None,
        legacy_200: bool = False,
        duplicates: bool = True,
        blind_window: float = BLIND_WINDOW,
        close_on_reregister: bool = True,
        kick_previous: bool = True,
        keep_open_for_other_device: bool = True,
        platform_side: bool = True,
        **kwargs: Any,
    ) -> None:
        super().__init__(host, port, **kwargs)
        install_log_redaction(self.log)
        self._keys = keys
        self._keys_lock = threading.Lock()  # issue_token() may run in another thread than start()
        self.key_dir = key_dir
        """Where the token keys are kept across restarts (``None``: in memory only)."""
        self.legacy_200 = legacy_200
        self.duplicates = duplicates
        self.blind_window = blind_window
        self.close_on_reregister = close_on_reregister
        self.kick_previous = kick_previous
        self.keep_open_for_other_device = keep_open_for_other_device
        self.platform_side = platform_side
        """Serve [`CONTROL_PATH`][iotws.oisp.simulator.CONTROL_PATH] (``False``: like the real server, that path is
        a device path)."""
        self.bindings: dict[str, SimConnection] = {}
        """``"account/device"`` -> the socket that receives that device's actuations."""
        self.registrations: Counter[str] = Counter()
        """Registrations accepted since the server (re)started, per device id."""
        self.rejections: int = 0
        """Registrations rejected (bad token or format) since the server (re)started."""
        self.pings: int = 0
        """Pings answered."""
        self._first_registration: float | None = None

    def url(self, path: str | None = None) -> str:
        """The WebSocket URL (``/`` unless ``path`` is given; the server accepts any path)."""
        return super().url(path if path is not None else "/")

    # -- tokens ---------------------------------------------------------------------------------
    @property
    def keys(self) -> TokenKeys:
        """The key pair that signs and verifies device tokens (made or loaded on first use)."""
        with self._keys_lock:
            if self._keys is None:
                self._keys = TokenKeys.load(self.key_dir) if self.key_dir is not None else TokenKeys.generate()
            return self._keys

    @keys.setter
    def keys(self, keys: TokenKeys) -> None:
        self._keys = keys

    def issue_token(self, device_id: str, account_id: str, ttl: float = 10 * 365 * 86400, **kwargs: Any) -> str:
        """Issue a device token as the platform does at activation (RS256, ``exp`` in ms).

        ``kwargs`` go to [`iotws.oisp.tokens.TokenKeys.issue`][iotws.oisp.TokenKeys.issue] (``now``, ``not_before``,
        ``exp_in_ms``). A negative ``ttl`` gives an expired token.
        """
        return self.keys.issue(device_id, account_id, ttl, **kwargs)

    # -- platform side --------------------------------------------------------------------------
    async def actuate(
        self,
        account_id: str,
        device_id: str,
        command: str = "LED.v1.0",
        params: ParamsLike = None,
        *,
        component_id: str | None = None,
        transport: str = "ws",
        **extra: Any,
    ) -> int:
        """Push a command to ``device_id`` of ``account_id``; returns how many frames went out.

        ``params`` may be a mapping ``{name: value}`` or a list of pairs / [`Param`][iotws.oisp.Param].
        Extra keyword arguments become extra keys of the inner content.
        """
        content: dict[str, Any] = {
            "accountId": account_id,
            "deviceId": device_id,
            "gatewayId": device_id,
            "componentId": component_id or str(uuid.uuid5(uuid.NAMESPACE_URL, f"{device_id}/{command}")),
            "command": command,
            "params": _params(params),
            **extra,
        }
        body = {"type": "command", "transport": transport, "content": content}
        return await self.publish(account_id, device_id, body)

    def actuate_sync(self, account_id: str, device_id: str, command: str = "LED.v1.0", params: ParamsLike = None,
                     **kwargs: Any) -> int:
        """[`actuate`][iotws.oisp.OispSimulator.actuate] from another thread while the simulator runs with ``run()``."""
        return self.call(self.actuate(account_id, device_id, command, params, **kwargs))

    async def publish(self, account_id: str, device_id: str, body: Any) -> int:
        """Deliver a raw actuation ``body`` to the socket bound to ``account/device``."""
        channel = f"{account_id}/{device_id}"
        first = self._first_registration
        if self.blind_window > 0 and first is not None and time.monotonic() - first < self.blind_window:
            self.log.info("sim: actuation for %s lost in the blind window", channel)
            return 0
        conn = self.bindings.get(channel)
        if conn is None or conn.ws.closed:
            self.log.info("sim: no socket for %s, actuation dropped", channel)
            return 0
        copies = max(1, self.registrations.total()) if self.duplicates else 1
        frame = dumps({"code": CODE_ACTUATION, "content": body})
        for _ in range(copies):
            await conn.send(frame)
        return copies

    def stats(self) -> dict[str, int]:
        """Counters: registrations, rejections, bound devices, open connections, pings.

        Examples:
            >>> OispSimulator().stats()["registrations"]
            0
        """
        return {
            "registrations": self.registrations.total(),
            "rejections": self.rejections,
            "bound": len(self.bindings),
            "connections": len(self.connections),
            "pings": self.pings,
        }

    # -- serving --------------------------------------------------------------------------------
    async def start(self) -> Self:
        """Start serving; the token keys are made or loaded first (``UsageError`` if they cannot be)."""
        _ = self.keys
        return await super().start()

    async def on_start(self) -> None:
        """Forget registrations, bindings and the blind-window clock, as a restarted server does."""
        # a (re)started server process forgets registrations and the blind-window clock
        self.registrations.clear()
        self.bindings.clear()
        self._first_registration = None

    async def check_upgrade(self, request: web.Request) -> web.StreamResponse | None:
        """Refuse a plain GET (404) and an upgrade without ``echo-protocol`` (403), as the real server does."""
        if request.headers.get("Upgrade", "").lower() != "websocket":
            return web.Response(status=404, text="Not found\n")
        offered = [p.strip() for p in request.headers.get("Sec-WebSocket-Protocol", "").split(",")]
        if self.platform_side and request.path == CONTROL_PATH and CONTROL_SUBPROTOCOL in offered:
            return None
        if SUBPROTOCOL not in offered:
            return web.Response(status=403, text="subprotocol echo-protocol is required\n")
        return None

    async def handle(self, conn: SimConnection) -> None:
        """Serve one socket: a device (registration, pings, actuations) or the platform side."""
        if self.platform_side and conn.path == CONTROL_PATH:
            await self._control(conn)
            return
        try:
            async for frame in conn:
                if not await self._message(conn, frame):
                    return
        finally:
            # like the real server: only the socket's first binding is cleaned up
            channels = conn.state.get("channels") or []
            for channel in channels[:1]:
                if self.bindings.get(channel) is conn:
                    del self.bindings[channel]

    async def _message(self, conn: SimConnection, frame: str | bytes) -> bool:
        """Handle one device frame; ``False`` once the socket is closed."""
        if isinstance(frame, bytes):
            return await self._reject(conn, WRONG_FORMAT, 1003)
        try:
            data = json.loads(frame)
        except (ValueError, RecursionError):
            return await self._reject(conn, WRONG_FORMAT, 1003)
        if data is None:
            return await self._reject(conn, WRONG_FORMAT, 1003)
        if not isinstance(data, dict):
            return True  # arrays, numbers, strings: silently ignored
        kind = data.get("type")
        if kind == "ping":
            self.pings += 1
            await conn.send(dumps({"code": 202, "content": "PONG"}))
            return True
        if kind == "device":
            return await self._register(conn, data)
        return True  # no or unknown type: ignored

    async def _reject(self, conn: SimConnection, text: str, close_code: int) -> bool:
        self.rejections += 1
        await conn.send(dumps({"code": 401, "content": text}))
        await conn.close(close_code)
        return False

    async def _register(self, conn: SimConnection, data: dict[str, Any]) -> bool:
        device_id, token = data.get("deviceId"), data.get("deviceToken")
        if not isinstance(token, str):
            return await self._reject(conn, INVALID_TOKEN, 1008)
        try:
            claims = self.keys.verify(token)
        except InvalidToken as exc:
            self.log.info("sim: token rejected: %s", exc)
            return await self._reject(conn, INVALID_TOKEN, 1008)
        if claims.get("sub") != device_id or not isinstance(device_id, str):
            self.log.info("sim: token subject does not match the device id")
            return await self._reject(conn, INVALID_TOKEN, 1008)
        accounts = claims.get("accounts")
        if not isinstance(accounts, list) or not accounts or not isinstance(accounts[0], dict):
            return await self._reject(conn, WRONG_FORMAT, 1003)
        account_id = str(accounts[0].get("id"))
        channel = f"{account_id}/{device_id}"
        channels: list[str] = conn.state.setdefault("channels", [])
        if channels and self.close_on_reregister and (channel in channels or not self.keep_open_for_other_device):
            # the real server closes "the previous connection" for the channel: this very socket
            self.log.info("sim: second registration on one socket: closing it")
            self._count_registration(device_id)
            await conn.close(1000)
            return False
        previous = self.bindings.get(channel)
        if previous is not None and previous is not conn and self.kick_previous:
            self.log.info("sim: %s registered again elsewhere: closing the previous socket", channel)
            await previous.close(1000)
        self.bindings[channel] = conn
        if channel not in channels:
            channels.append(channel)
        self._count_registration(device_id)
        if self.legacy_200:
            await conn.send(dumps({"code": 200, "content": LEGACY_OK}))
        return True

    def _count_registration(self, device_id: str) -> None:
        # every accepted registration adds a delivery path (duplicates) and starts the blind window
        self.registrations[device_id] += 1
        if self._first_registration is None:
            self._first_registration = time.monotonic()

    async def _control(self, conn: SimConnection) -> None:
        async for frame in conn:
            try:
                data = json.loads(frame)
                if isinstance(data, dict) and data.get("type") == "stats":
                    await conn.send(dumps({"code": 200, "content": self.stats()}))
                    continue
                if not isinstance(data, dict) or data.get("type") != "actuation":
                    raise ValueError("expected {'type': 'actuation', ...}")
                delivered = await self.publish(str(data["accountId"]), str(data["deviceId"]), data["body"])
            except (ValueError, KeyError, TypeError, RecursionError) as exc:
                await conn.send(dumps({"code": 400, "content": f"bad control message: {exc}"}))
                continue
            await conn.send(dumps({"code": 200, "content": {"delivered": delivered}}))
