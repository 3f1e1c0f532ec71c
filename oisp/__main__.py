"""``iotws oisp ...`` (also ``python -m iotws.oisp ...``): simulate, listen, watch, ping, actuate.

* ``simulate [--host H] [--port N] [--device-id ID] [--account-id A] [--legacy-200]
  [--no-duplicates] [--blind-window S] [--no-keep-open-for-other-device] [--key-dir DIR]``:
  run the simulator (the real server's quirks on, unless switched off); the first stdout
  line is its URL, then a ready demo device id, account id and token, example commands and
  where the token keys are kept. The keys live in ``--key-dir`` (default
  [`DEFAULT_KEY_DIR`][iotws.oisp.__main__.DEFAULT_KEY_DIR], ``./.iotws-oisp-keys`` in the working directory, made on the
  first run with a ``.gitignore``; ``--key-dir ""`` keeps them in memory only), so tokens
  stay valid when the simulator restarts, as with the real server's ``keys/public.pem``.
* ``listen URL --device-id ID [--token T | --token-file PATH] [--grace S] [--dedup-window S]``:
  register as a device and print a ``command`` record per actuation. The token may also
  come from the ``IOTWS_OISP_TOKEN`` environment variable (or the file), which keeps it out
  of ``ps`` and the shell history. Identical copies within ``--dedup-window`` (default 1 s;
  0 keeps them) count once.
* ``watch URL ...``: the same options, but every event is printed (``link`` records for
  connection changes, ``pong``, ``event`` records for server errors).
* ``ping URL [--device-id ID --token ...] [--count N]``: the application ping
  ``{"type":"ping"}`` -> 202 ``PONG``, as a health check (no device needed); with a device
  id, the device registers first.
* ``actuate [URL] --account-id A --device-id D [--command C] [--param NAME=VALUE ...]``:
  push a command through a running iotws simulator's platform side (a real OISP server has
  none: its actuations come from the OISP backend through Redis); without a URL, run an
  in-process simulator and a device, and print the actuation the device received.

Every verb takes the common flags of ``iotws`` (``-v/-q``, ``--json``; the client verbs
``--connect-timeout``, ``--timeout``, ``--ca-file``, ``--insecure``, ``--header``;
``listen`` and ``watch`` also ``--idle``, ``--count``, ``--no-reconnect``).

Examples:
    >>> from iotws.cli import main
    >>> main(["oisp", "actuate", "ws://127.0.0.1:9/", "--account-id", "a", "--device-id", "d",
    ...       "--param", "oops"])
    1
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import ssl
import sys
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import websocket

from iotws.cli import (
    Output,
    Record,
    add_group,
    add_verb,
    connect_options,
    connected,
    link_record,
    local_text,
    protocol_main,
    read_secret,
    record,
    serve,
    stream,
)
from iotws.errors import ConnectError, ConnectionClosed, RemoteError, RequestTimeout, UsageError
from iotws.oisp.client import Client
from iotws.oisp.models import CODE_PONG, PING, Actuation, Pong, Registered, ServerError, UnknownMessage
from iotws.oisp.protocol import SUBPROTOCOL
from iotws.oisp.simulator import BLIND_WINDOW, CONTROL_PATH, CONTROL_SUBPROTOCOL, OispSimulator
from iotws.options import safe_url

__all__ = [
    "DEFAULT_KEY_DIR",
    "TOKEN_ENV",
    "actuation_record",
    "demo",
    "device_token",
    "health_ping",
    "push_actuation",
    "register",
]

DEMO_DEVICE = "demo-001"
DEMO_ACCOUNT = "demo-account"

#: Default ``simulate --key-dir``: relative to the working directory, so each run directory keeps its keys.
DEFAULT_KEY_DIR = ".iotws-oisp-keys"

#: The environment variable ``listen``/``watch``/``ping`` read the device token from.
TOKEN_ENV = "IOTWS_OISP_TOKEN"

#: Default ``--dedup-window`` of ``listen``/``watch``: a real server sends its copies back to back.
DEFAULT_DEDUP = 1.0

#: Default wait of ``ping`` (connect, and each PONG) without a device.
DEFAULT_PING_TIMEOUT = 10.0

NOT_A_SIMULATOR = (
    "{url} is not an iotws simulator ({why}): on a real OISP server, actuations come from the "
    "OISP backend (published on Redis, e.g. by POST /v1/api/accounts/{{accountId}}/control or "
    "by rules); `iotws oisp actuate` only drives an iotws simulator"
)


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser], prog: str | None = None) -> None:
    """Add the ``oisp`` sub-command and its verbs to the ``iotws`` parser."""
    verbs = add_group(subparsers, "oisp", help="OISP IoT WebSocket server: device actuations", prog=prog)

    sim = add_verb(verbs, "simulate", _simulate, help="run the simulator (prints its URL and a demo token)",
                   interrupted=0)
    sim.add_argument("--host", default="127.0.0.1", help="interface to listen on (default 127.0.0.1)")
    sim.add_argument("--port", type=int, default=5000, help="default 5000 like the real server; 0 picks a free port")
    sim.add_argument("--device-id", default=DEMO_DEVICE, help="device id of the printed demo token")
    sim.add_argument("--account-id", default=DEMO_ACCOUNT, help="account id of the printed demo token")
    sim.add_argument("--legacy-200", action="store_true", help="confirm registrations with 200 (old servers)")
    sim.add_argument("--duplicates", action=argparse.BooleanOptionalAction, default=True,
                     help="one copy of each actuation per registration since start, like the real server (default on)")
    sim.add_argument("--blind-window", type=float, default=BLIND_WINDOW,
                     help=f"lose actuations S s after the 1st registration (default {BLIND_WINDOW:g}, like the real "
                          "server; 0: off)")
    sim.add_argument("--keep-open-for-other-device", action=argparse.BooleanOptionalAction, default=True,
                     help="a socket registering a second, different device stays open (default on, like the real "
                          "server)")
    sim.add_argument("--key-dir", default=DEFAULT_KEY_DIR, metavar="DIR",
                     help=f"keep the token signing keys here, so tokens survive restarts (default {DEFAULT_KEY_DIR} "
                          "in the working directory; '' keeps them in memory only)")

    for name, help_text in (("listen", "register as a device and print actuations"),
                            ("watch", "register as a device and print every event")):
        verb = add_verb(verbs, name, _listen, help=help_text, client=True, streams=True)
        verb.add_argument("url", metavar="URL")
        _device_arguments(verb, required=True)
        verb.add_argument("--dedup-window", type=float, default=DEFAULT_DEDUP,
                          help=f"count identical actuations within S s once (default {DEFAULT_DEDUP:g}: real servers "
                               "send one copy per registration; 0 keeps every copy)")
        verb.set_defaults(every_event=name == "watch")

    ping = add_verb(verbs, "ping", _ping, help="application ping (PONG) as a health check; a device is optional",
                    client=True)
    ping.add_argument("url", metavar="URL")
    _device_arguments(ping, required=False)
    ping.add_argument("--count", type=int, default=1, metavar="N", help="pings to send (default 1)")

    act = add_verb(verbs, "actuate", _actuate, help="push a command to a device through a simulator", client=True)
    act.add_argument("url", metavar="URL", nargs="?", help="a running simulator; none: an in-process demo")
    act.add_argument("--account-id", default=DEMO_ACCOUNT)
    act.add_argument("--device-id", default=DEMO_DEVICE)
    act.add_argument("--command", default="LED.v1.0")
    act.add_argument("--component-id", default=None)
    act.add_argument("--param", action="append", default=[], metavar="NAME=VALUE", help="repeatable")


def _device_arguments(verb: argparse.ArgumentParser, *, required: bool) -> None:
    device = verb.add_argument_group("device")
    device.add_argument("--device-id", required=required, help="the device id to register")
    device.add_argument("--token", default=None,
                        help=f"the device token (visible in ps: prefer --token-file or ${TOKEN_ENV}; never logged)")
    device.add_argument("--token-file", default=None, metavar="PATH", help="read the device token from this file")
    device.add_argument("--grace", type=float, default=1.5, help="registration grace period (default 1.5 s)")


def device_token(token: str | None, token_file: str | None, environ: Mapping[str, str] = os.environ) -> str:
    """The device token from ``--token``, else ``--token-file``, else ``$IOTWS_OISP_TOKEN``.

    Examples:
        >>> device_token(None, None, {"IOTWS_OISP_TOKEN": "eyJ.a.b\\n"})
        'eyJ.a.b'
        >>> device_token(None, None, {})
        Traceback (most recent call last):
        iotws.errors.UsageError: no device token: pass --token, --token-file PATH or set IOTWS_OISP_TOKEN
    """
    found = read_secret(token, token_file, TOKEN_ENV, flag="--token", environ=environ)
    if found is None:
        raise UsageError(f"no device token: pass --token, --token-file PATH or set {TOKEN_ENV}")
    return found


# -- simulate ---------------------------------------------------------------------------------
def _simulate(args: argparse.Namespace, out: Output) -> int:
    if args.blind_window < 0:
        raise UsageError("--blind-window must be >= 0")
    key_dir = os.path.abspath(args.key_dir) if args.key_dir else None
    sim = OispSimulator(
        args.host, args.port, legacy_200=args.legacy_200, duplicates=args.duplicates, blind_window=args.blind_window,
        keep_open_for_other_device=args.keep_open_for_other_device, key_dir=key_dir,
    )
    token = sim.issue_token(args.device_id, args.account_id)  # makes or loads the keys: errors before serving
    kept = f"{key_dir} (tokens stay valid across restarts)" if key_dir else "in memory (new on restart)"

    def banner() -> dict[str, str]:
        url = sim.url()
        return {
            "device-id": args.device_id,
            "account-id": args.account_id,
            "token": token,
            "listen": f"iotws oisp listen {url} --device-id {args.device_id} --token {token}",
            "actuate": f"iotws oisp actuate {url} --account-id {args.account_id} "
                       f"--device-id {args.device_id} --param LED=1",
            "keys": kept,
        }

    return serve(sim, out, None, banner)


# -- listen / watch ---------------------------------------------------------------------------
def actuation_record(event: Actuation) -> Record:
    """The ``command`` record of an actuation; ``detail["wire"]`` keeps its wire form.

    Examples:
        >>> act = Actuation.from_wire({"type": "command", "content": {"command": "X", "deviceId": "d",
        ...                            "params": [{"name": "LED", "value": "1"}]}})
        >>> rec = actuation_record(act)
        >>> rec["point"], rec["name"], rec["params"]
        ('d', 'X', {'LED': '1'})
    """
    detail = {
        "account_id": event.account_id,
        "device_id": event.device_id,
        "component_id": event.component_id,
        "wire": event.to_wire(),
    }
    return record("oisp", "command", None, point=event.device_id, name=event.command, params=event.params_dict(),
                  detail=detail)


def _actuation_text(rec: Record, event: Actuation) -> str:
    when = local_text(dt.datetime.fromisoformat(rec["time"]))
    params = " ".join(f"{p.name}={p.value}" for p in event.params)
    return f"{when}  actuation {event.command} {params} (device {event.device_id}, component {event.component_id})"


def _records(url: str, every: bool) -> Callable[[object], Iterator[tuple[Record, str | None]]]:
    def records(event: object) -> Iterator[tuple[Record, str | None]]:
        if isinstance(event, Actuation):
            rec = actuation_record(event)
            yield rec, _actuation_text(rec, event)
        elif not every:
            return
        elif isinstance(event, Pong):
            yield record("oisp", "pong", None, url=url, detail={"content": event.content}), None
        elif isinstance(event, Registered | ServerError | UnknownMessage):
            name = {Registered: "registered", ServerError: "server_error"}.get(type(event), "unknown_message")
            yield record("oisp", "event", None, name=name, detail={"code": event.code, "content": event.content}), None
        else:
            link = link_record("oisp", event, url)
            if link is not None:
                yield link

    return records


def _listen(args: argparse.Namespace, out: Output) -> int:
    if args.dedup_window < 0:
        raise UsageError("--dedup-window must be >= 0 (0 keeps every copy)")
    token = device_token(args.token, args.token_file)
    every: bool = args.every_event
    dedup = args.dedup_window or None
    client = Client(args.url, args.device_id, token, grace=args.grace, dedup_window=dedup, **connect_options(args))
    with connected(client, out) as dev:
        out.status(f"registered as device {args.device_id}")
        records = _records(dev.options.safe_url, every)
        waiting = "waiting for events" if every else "waiting for actuations"
        return stream(out, dev.events(timeout=args.idle), records, count=args.count, idle=args.idle, waiting=waiting)


# -- ping -------------------------------------------------------------------------------------
def _websocket_options(ca_file: str | None, verify: bool, headers: Mapping[str, str] | None) -> dict[str, Any]:
    options: dict[str, Any] = {}
    if headers:
        options["header"] = [f"{name}: {value}" for name, value in headers.items()]
    if not verify:
        options["sslopt"] = {"cert_reqs": ssl.CERT_NONE, "check_hostname": False}
    elif ca_file:
        options["sslopt"] = {"ca_certs": ca_file}
    return options


def health_ping(
    url: str,
    count: int = 1,
    timeout: float = DEFAULT_PING_TIMEOUT,
    *,
    connect_timeout: float | None = None,
    ca_file: str | None = None,
    verify: bool = True,
    headers: Mapping[str, str] | None = None,
) -> list[float]:
    """Open ``url`` (subprotocol ``echo-protocol``), send ``count`` application pings, close.

    No device is registered (the server answers pings before registration). ``timeout``
    is the wait for each PONG (and for connecting, unless ``connect_timeout``). Returns
    the round-trip times in seconds; raises ``ConnectError`` / ``RequestTimeout``.

    Examples:
        >>> health_ping("ws://127.0.0.1:9/")  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        iotws.errors.ConnectError: cannot connect to ws://127.0.0.1:9/: ...
    """
    if count <= 0 or not timeout > 0:
        raise UsageError("count and timeout must be positive")
    shown = safe_url(url)
    try:
        ws = websocket.create_connection(
            url, timeout=connect_timeout or timeout, subprotocols=[SUBPROTOCOL],
            **_websocket_options(ca_file, verify, headers),
        )
    except websocket.WebSocketBadStatusException as exc:
        raise ConnectError(f"{shown}: upgrade rejected with HTTP {exc.status_code}") from exc
    except Exception as exc:
        raise ConnectError(f"cannot connect to {shown}: {exc}") from exc
    times: list[float] = []
    try:
        ws.settimeout(timeout)
        for _ in range(count):
            started = time.perf_counter()
            ws.send(PING)
            while True:
                try:
                    text = ws.recv()
                except websocket.WebSocketTimeoutException:
                    raise RequestTimeout(f"{shown}: no PONG within {timeout:g} s") from None
                except Exception as exc:
                    raise ConnectionClosed(f"{shown}: the link dropped while waiting for PONG: {exc}") from exc
                try:
                    reply = json.loads(text)
                except (TypeError, ValueError):
                    continue
                if isinstance(reply, dict) and reply.get("code") == CODE_PONG:
                    times.append(time.perf_counter() - started)
                    break
    finally:
        ws.close()
    return times


def _ping(args: argparse.Namespace, out: Output) -> int:
    if args.count <= 0:
        raise UsageError("--count must be positive")
    options = connect_options(args, reconnect=None)
    if args.device_id is None:
        if args.token is not None or args.token_file is not None:
            raise UsageError("a token needs --device-id (without one, ping does not register)")
        out.status(f"pinging {safe_url(args.url)}...")
        times = health_ping(
            args.url, args.count, args.timeout or DEFAULT_PING_TIMEOUT, connect_timeout=args.connect_timeout,
            ca_file=args.ca_file, verify=not args.insecure, headers=options.get("headers"),
        )
    else:
        token = device_token(args.token, args.token_file)
        times = []
        with connected(Client(args.url, args.device_id, token, grace=args.grace, **options), out) as dev:
            for _ in range(args.count):
                started = time.perf_counter()
                dev.ping()
                times.append(time.perf_counter() - started)
    for rtt in times:
        rec = record("oisp", "pong", None, url=safe_url(args.url), rtt_ms=round(rtt * 1000, 3),
                     detail={"content": "PONG"})
        out.emit(rec)
    return 0


# -- actuate ----------------------------------------------------------------------------------
def _params(pairs: list[str]) -> list[tuple[str, str]]:
    out = []
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name:
            raise UsageError(f"--param expects NAME=VALUE, got {pair!r}")
        out.append((name, value))
    return out


def control_url(url: str) -> str:
    """The simulator's platform-side URL for a device URL on the same server.

    Examples:
        >>> control_url("ws://127.0.0.1:5000/any/path?x=1")
        'ws://127.0.0.1:5000/_simulator/platform'
    """
    parts = urlsplit(url)
    if parts.scheme not in ("ws", "wss") or not parts.hostname:
        raise UsageError(f"not a WebSocket URL: {safe_url(url)!r}")
    return urlunsplit((parts.scheme, parts.netloc, CONTROL_PATH, "", ""))


def push_actuation(
    url: str,
    account_id: str,
    device_id: str,
    body: dict[str, Any],
    timeout: float = 10.0,
    *,
    ca_file: str | None = None,
    verify: bool = True,
    headers: Mapping[str, str] | None = None,
) -> int:
    """Send one actuation through a running iotws simulator's platform side; returns frames delivered.

    The platform side is offered alone as a subprotocol, so a real OISP server (which has
    no platform side: its actuations come from the OISP backend through Redis) refuses at
    once, and that is what the ``UsageError`` says.

    Examples:
        >>> push_actuation("ws://127.0.0.1:9/", "a", "d", {})  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        iotws.errors.ConnectError: cannot reach the simulator at ws://127.0.0.1:9/_simulator/platform: ...
    """
    target = control_url(url)
    try:
        ws = websocket.create_connection(
            target, timeout=timeout, subprotocols=[CONTROL_SUBPROTOCOL], **_websocket_options(ca_file, verify, headers)
        )
    except websocket.WebSocketBadStatusException as exc:
        why = f"it refused the simulator's platform side with HTTP {exc.status_code}"
        raise UsageError(NOT_A_SIMULATOR.format(url=safe_url(url), why=why)) from None
    except Exception as exc:
        raise ConnectError(f"cannot reach the simulator at {safe_url(target)}: {exc}") from exc
    if ws.getsubprotocol() != CONTROL_SUBPROTOCOL:
        ws.close()
        why = f"it answered the platform side with subprotocol {ws.getsubprotocol()!r}"
        raise UsageError(NOT_A_SIMULATOR.format(url=safe_url(url), why=why))
    try:
        ws.send(json.dumps({"type": "actuation", "accountId": account_id, "deviceId": device_id, "body": body}))
        reply = json.loads(ws.recv())
    except Exception as exc:
        raise ConnectionClosed(f"the simulator did not answer: {exc}") from exc
    finally:
        ws.close()
    if not isinstance(reply, dict) or reply.get("code") != 200:
        raise RemoteError(reply.get("code") if isinstance(reply, dict) else None, str(reply))
    return int(reply["content"]["delivered"])


def _actuate(args: argparse.Namespace, out: Output) -> int:
    params = _params(args.param)
    if args.url is None:
        return _actuate_in_process(args, params, out)
    content: dict[str, Any] = {
        "accountId": args.account_id,
        "deviceId": args.device_id,
        "gatewayId": args.device_id,
        "componentId": args.component_id or f"{args.device_id}-actuator",
        "command": args.command,
        "params": [{"name": n, "value": v} for n, v in params],
    }
    options = connect_options(args)
    delivered = push_actuation(
        args.url, args.account_id, args.device_id, {"type": "command", "transport": "ws", "content": content},
        args.connect_timeout or 10.0, ca_file=args.ca_file, verify=not args.insecure, headers=options.get("headers"),
    )
    point = f"{args.account_id}/{args.device_id}"
    detail = {"delivered": delivered, "command": args.command, "params": dict(params)}
    rec = record("oisp", "result", None, point=point, ok=True, value=delivered, detail=detail)
    out.emit(rec, f"delivered {delivered} frame(s) to {point}")
    return 0


def _actuate_in_process(args: argparse.Namespace, params: list[tuple[str, str]], out: Output) -> int:
    # no blind window: the one actuation is pushed right after the first registration
    with OispSimulator(blind_window=0).run() as sim:
        token = sim.issue_token(args.device_id, args.account_id)
        with Client(sim.url(), args.device_id, token, grace=0.3) as dev:
            sim.actuate_sync(args.account_id, args.device_id, args.command, params, component_id=args.component_id)
            for act in dev.actuations(timeout=10):
                rec = actuation_record(act)
                out.emit(rec, _actuation_text(rec, act))
                return 0
    raise ConnectionClosed("the in-process device received no actuation")


# -- demo -------------------------------------------------------------------------------------
def demo(seconds: float, report: Callable[[str, str, str], None], stop: threading.Event | None = None) -> None:
    """Run a simulator and a device for ``seconds`` (or until ``stop``); push LED commands, report what arrives."""
    stop = stop or threading.Event()
    deadline = time.monotonic() + seconds
    # no blind window: the demo pushes from its first second on (one device: one copy each)
    with OispSimulator(blind_window=0).run() as sim:
        token = sim.issue_token(DEMO_DEVICE, DEMO_ACCOUNT)
        with Client(sim.url(), DEMO_DEVICE, token, grace=min(0.5, max(0.05, seconds / 4))) as dev:
            report("oisp", f"{DEMO_DEVICE} registered", "yes")
            n = 0
            while time.monotonic() < deadline and not stop.is_set():
                n += 1
                sim.actuate_sync(DEMO_ACCOUNT, DEMO_DEVICE, "LED.v1.0", {"LED": str(n % 2), "seq": str(n)})
                remaining = deadline - time.monotonic()
                try:
                    act = dev.next_event(Actuation, timeout=max(0.05, min(2.0, remaining)))
                except TimeoutError:
                    continue
                report("oisp", f"{DEMO_DEVICE} {act.command} LED", str(act.param("LED")))
                report("oisp", f"{DEMO_DEVICE} actuations", str(n))
                stop.wait(min(0.5, max(0.0, deadline - time.monotonic())))


if __name__ == "__main__":
    sys.exit(protocol_main("oisp"))
