"""``iotws oisp ...`` (also ``python -m iotws.oisp ...``): simulate, listen, watch, ping, actuate.

* ``simulate [--host H] [--port N] [--device-id ID] [--account-id A] [--legacy-200]
  [--no-duplicates] [--blind-window S] [--no-keep-open-for-other-device] [--key-dir DIR]``:
  run the simulator (the real server's quirks on, unless switched off); the first stdout
  line is its URL, then a ready demo device id, account id and token, example commands and
  where the token keys are kept. The keys live in ``--key-dir`` (default
  :data:`DEFAULT_KEY_DIR`, ``./.iotws-oisp-keys`` in the working directory, made on the
  first run with a ``.gitignore``; ``--key-dir ""`` keeps them in memory only), so tokens
  stay valid when the simulator restarts, as with the real server's ``keys/public.pem``.
* ``listen URL --device-id ID [--token T | --token-file PATH] [--count N] [--json]
  [--timeout S] [--grace S] [--dedup-window S]``: register as a device and print
  actuations. The token may also come from the ``IOTWS_OISP_TOKEN`` environment variable.
  Identical copies within ``--dedup-window`` (default 1 s; 0 keeps them) count once.
* ``watch URL ...``: the same options, but every event (lifecycle, pongs, server errors)
  is printed.
* ``ping URL [--device-id ID --token ...] [--count N] [--timeout S] [--json]``: the
  application ping ``{"type":"ping"}`` -> 202 ``PONG``, as a health check (no device
  needed); with a device id, the device registers first.
* ``actuate [URL] --account-id A --device-id D [--command C] [--param NAME=VALUE ...]``:
  push a command through a running iotws simulator's platform side (a real OISP server has
  none: its actuations come from the OISP backend through Redis); without a URL, run an
  in-process simulator and a device, and print the actuation the device received.

Examples:
    >>> from iotws.cli import main
    >>> main(["oisp", "actuate", "ws://127.0.0.1:9/", "--account-id", "a", "--device-id", "d",
    ...       "--param", "oops"])
    1
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Callable, Iterator, Mapping
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import websocket

from iotws.cli import cli_errors, print_event, print_stream, protocol_main, to_jsonable
from iotws.errors import ConnectError, ConnectionClosed, RemoteError, RequestTimeout, UsageError
from iotws.oisp.client import Client
from iotws.oisp.models import CODE_PONG, PING, Actuation
from iotws.oisp.protocol import SUBPROTOCOL
from iotws.oisp.simulator import BLIND_WINDOW, CONTROL_PATH, CONTROL_SUBPROTOCOL, OispSimulator
from iotws.options import safe_url
from iotws.simulator import serve_cli

__all__ = ["DEFAULT_KEY_DIR", "TOKEN_ENV", "demo", "health_ping", "push_actuation", "register"]

DEMO_DEVICE = "demo-001"
DEMO_ACCOUNT = "demo-account"

#: Default ``simulate --key-dir``: relative to the working directory, so each run directory keeps its keys.
DEFAULT_KEY_DIR = ".iotws-oisp-keys"

#: The environment variable ``listen``/``watch``/``ping`` read the device token from.
TOKEN_ENV = "IOTWS_OISP_TOKEN"

#: Default ``--dedup-window`` of ``listen``/``watch``: a real server sends its copies back to back.
DEFAULT_DEDUP = 1.0

NOT_A_SIMULATOR = (
    "{url} is not an iotws simulator ({why}): on a real OISP server, actuations come from the "
    "OISP backend (published on Redis, e.g. by POST /v1/api/accounts/{{accountId}}/control or "
    "by rules); `iotws oisp actuate` only drives an iotws simulator"
)


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser], prog: str | None = None) -> None:
    """Add the ``oisp`` sub-command and its verbs to the ``iotws`` parser."""
    parser = subparsers.add_parser("oisp", help="OISP IoT WebSocket server: device actuations", prog=prog)
    parser.set_defaults(func=lambda args: _usage(parser))
    verbs = parser.add_subparsers(dest="verb", metavar="VERB")

    sim = verbs.add_parser("simulate", help="run the simulator (prints its URL and a demo token)")
    sim.add_argument("--host", default="127.0.0.1")
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
    sim.set_defaults(func=cli_errors(_simulate))

    for name, help_text in (("listen", "register as a device and print actuations"),
                            ("watch", "register as a device and print every event")):
        verb = verbs.add_parser(name, help=help_text)
        verb.add_argument("url", metavar="URL")
        _device_arguments(verb, required=True)
        verb.add_argument("--count", type=int, default=None, help="exit after N events")
        verb.add_argument("--json", action="store_true", help="one JSON object per line")
        verb.add_argument("--timeout", type=float, default=None, help="exit after S seconds without an event")
        verb.add_argument("--dedup-window", type=float, default=DEFAULT_DEDUP,
                          help=f"count identical actuations within S s once (default {DEFAULT_DEDUP:g}: real servers "
                               "send one copy per registration; 0 keeps every copy)")
        verb.set_defaults(func=cli_errors(_listen), every_event=name == "watch")

    ping = verbs.add_parser("ping", help="application ping (PONG) as a health check; a device is optional")
    ping.add_argument("url", metavar="URL")
    _device_arguments(ping, required=False)
    ping.add_argument("--count", type=int, default=1, help="pings to send (default 1)")
    ping.add_argument("--timeout", type=float, default=5.0, help="seconds to wait for each PONG (default 5)")
    ping.add_argument("--json", action="store_true", help="one JSON object per PONG")
    ping.set_defaults(func=cli_errors(_ping))

    act = verbs.add_parser("actuate", help="push a command to a device through a simulator")
    act.add_argument("url", metavar="URL", nargs="?", help="a running simulator; none: an in-process demo")
    act.add_argument("--account-id", default=DEMO_ACCOUNT)
    act.add_argument("--device-id", default=DEMO_DEVICE)
    act.add_argument("--command", default="LED.v1.0")
    act.add_argument("--component-id", default=None)
    act.add_argument("--param", action="append", default=[], metavar="NAME=VALUE", help="repeatable")
    act.add_argument("--json", action="store_true", help="print JSON")
    act.set_defaults(func=cli_errors(_actuate))


def _usage(parser: argparse.ArgumentParser) -> int:
    parser.print_help()
    return 2


def _device_arguments(verb: argparse.ArgumentParser, *, required: bool) -> None:
    verb.add_argument("--device-id", required=required, help="the device id to register")
    verb.add_argument("--token", default=None,
                      help=f"the device token (never logged); or --token-file, or the {TOKEN_ENV} environment variable")
    verb.add_argument("--token-file", default=None, metavar="PATH", help="read the device token from this file")
    verb.add_argument("--grace", type=float, default=1.5, help="registration grace period (default 1.5 s)")


def device_token(token: str | None, token_file: str | None, environ: Mapping[str, str] = os.environ) -> str:
    """The device token from ``--token``, else ``--token-file``, else ``$IOTWS_OISP_TOKEN``.

    Examples:
        >>> device_token(None, None, {"IOTWS_OISP_TOKEN": "eyJ.a.b\\n"})
        'eyJ.a.b'
        >>> device_token(None, None, {})
        Traceback (most recent call last):
        iotws.errors.UsageError: no device token: pass --token, --token-file PATH or set IOTWS_OISP_TOKEN
    """
    if token is not None and token_file is not None:
        raise UsageError("pass either --token or --token-file, not both")
    if token_file is not None:
        try:
            with open(token_file, encoding="utf-8") as handle:
                token = handle.read()
        except OSError as exc:
            raise UsageError(f"cannot read the token file {token_file!r}: {exc.strerror or exc}") from None
        where = f"the token file {token_file!r}"
    elif token is None:
        token = environ.get(TOKEN_ENV)
        where = TOKEN_ENV
        if token is None:
            raise UsageError(f"no device token: pass --token, --token-file PATH or set {TOKEN_ENV}")
    else:
        where = "--token"
    token = token.strip()
    if not token:
        raise UsageError(f"the device token from {where} is empty")
    return token


# -- simulate ---------------------------------------------------------------------------------
def _simulate(args: argparse.Namespace) -> int:
    if args.blind_window < 0:
        raise UsageError("--blind-window must be >= 0")
    key_dir = os.path.abspath(args.key_dir) if args.key_dir else None
    sim = OispSimulator(
        args.host, args.port, legacy_200=args.legacy_200, duplicates=args.duplicates, blind_window=args.blind_window,
        keep_open_for_other_device=args.keep_open_for_other_device, key_dir=key_dir,
    )
    token = sim.issue_token(args.device_id, args.account_id)  # makes or loads the keys: errors before serving
    kept = f"keys: {key_dir} (tokens stay valid across restarts)" if key_dir else "keys: in memory (new on restart)"

    def banner(running: object) -> str:
        url = sim.url()
        return "\n".join(
            [
                f"device-id: {args.device_id}",
                f"account-id: {args.account_id}",
                f"token: {token}",
                f"listen: iotws oisp listen {url} --device-id {args.device_id} --token {token}",
                f"actuate: iotws oisp actuate {url} --account-id {args.account_id} "
                f"--device-id {args.device_id} --param LED=1",
                kept,
            ]
        )

    return serve_cli(sim, None, banner)


# -- listen / watch ---------------------------------------------------------------------------
def event_json(event: object) -> Any:
    """JSON data for one event; an actuation keeps its wire form under ``wire``.

    Examples:
        >>> act = Actuation.from_wire({"type": "command", "content": {"command": "X", "params": []}})
        >>> event_json(act)["command"]
        'X'
    """
    if isinstance(event, Actuation):
        return {
            "type": "Actuation",
            "command": event.command,
            "params": event.params_dict(),
            "account_id": event.account_id,
            "device_id": event.device_id,
            "component_id": event.component_id,
            "wire": event.to_wire(),
        }
    return to_jsonable(event)


def _print(event: object, as_json: bool) -> None:
    if as_json:
        print(json.dumps(event_json(event), ensure_ascii=False), flush=True)
    elif isinstance(event, Actuation):
        params = " ".join(f"{p.name}={p.value}" for p in event.params)
        print(f"actuation {event.command} {params} (device {event.device_id}, component {event.component_id})",
              flush=True)
    else:
        print_event(event, False)


def _listen(args: argparse.Namespace) -> int:
    if args.count is not None and args.count <= 0:
        raise UsageError("--count must be positive")
    if args.dedup_window < 0:
        raise UsageError("--dedup-window must be >= 0 (0 keeps every copy)")
    token = device_token(args.token, args.token_file)
    every: bool = args.every_event
    dedup = args.dedup_window or None
    with Client(args.url, args.device_id, token, grace=args.grace, dedup_window=dedup) as dev:
        stream: Iterator[object] = dev.events(timeout=args.timeout) if every else dev.actuations(timeout=args.timeout)
        return print_stream(stream, count=args.count, label="oisp", show=lambda event: _print(event, args.json))


# -- ping -------------------------------------------------------------------------------------
def health_ping(url: str, count: int = 1, timeout: float = 5.0) -> list[float]:
    """Open ``url`` (subprotocol ``echo-protocol``), send ``count`` application pings, close.

    No device is registered (the server answers pings before registration). Returns the
    round-trip times in seconds; raises ``ConnectError`` / ``RequestTimeout``.

    Examples:
        >>> health_ping("ws://127.0.0.1:9/")  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        iotws.errors.ConnectError: cannot connect to ws://127.0.0.1:9/: ...
    """
    if count <= 0 or not timeout > 0:
        raise UsageError("count and timeout must be positive")
    try:
        ws = websocket.create_connection(url, timeout=timeout, subprotocols=[SUBPROTOCOL])
    except websocket.WebSocketBadStatusException as exc:
        raise ConnectError(f"{url}: upgrade rejected with HTTP {exc.status_code}") from exc
    except Exception as exc:
        raise ConnectError(f"cannot connect to {url}: {exc}") from exc
    times: list[float] = []
    try:
        for _ in range(count):
            started = time.perf_counter()
            ws.send(PING)
            while True:
                try:
                    text = ws.recv()
                except websocket.WebSocketTimeoutException:
                    raise RequestTimeout(f"{url}: no PONG within {timeout:g} s") from None
                except Exception as exc:
                    raise ConnectionClosed(f"{url}: the link dropped while waiting for PONG: {exc}") from exc
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


def _ping(args: argparse.Namespace) -> int:
    if args.count <= 0 or not args.timeout > 0:
        raise UsageError("--count and --timeout must be positive")
    if args.device_id is None:
        if args.token is not None or args.token_file is not None:
            raise UsageError("a token needs --device-id (without one, ping does not register)")
        times = health_ping(args.url, args.count, args.timeout)
    else:
        token = device_token(args.token, args.token_file)
        times = []
        with Client(args.url, args.device_id, token, grace=args.grace, reconnect=None) as dev:
            for _ in range(args.count):
                started = time.perf_counter()
                dev.ping(timeout=args.timeout)
                times.append(time.perf_counter() - started)
    for rtt in times:
        if args.json:
            print(json.dumps({"type": "Pong", "content": "PONG", "rtt_ms": round(rtt * 1000, 3)}), flush=True)
        else:
            print(f"PONG from {args.url} in {rtt * 1000:.1f} ms", flush=True)
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


def push_actuation(url: str, account_id: str, device_id: str, body: dict[str, Any], timeout: float = 10.0) -> int:
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
        ws = websocket.create_connection(target, timeout=timeout, subprotocols=[CONTROL_SUBPROTOCOL])
    except websocket.WebSocketBadStatusException as exc:
        why = f"it refused the simulator's platform side with HTTP {exc.status_code}"
        raise UsageError(NOT_A_SIMULATOR.format(url=url, why=why)) from None
    except Exception as exc:
        raise ConnectError(f"cannot reach the simulator at {target}: {exc}") from exc
    if ws.getsubprotocol() != CONTROL_SUBPROTOCOL:
        ws.close()
        why = f"it answered the platform side with subprotocol {ws.getsubprotocol()!r}"
        raise UsageError(NOT_A_SIMULATOR.format(url=url, why=why))
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


def _actuate(args: argparse.Namespace) -> int:
    params = _params(args.param)
    if args.url is None:
        return _actuate_in_process(args, params)
    content: dict[str, Any] = {
        "accountId": args.account_id,
        "deviceId": args.device_id,
        "gatewayId": args.device_id,
        "componentId": args.component_id or f"{args.device_id}-actuator",
        "command": args.command,
        "params": [{"name": n, "value": v} for n, v in params],
    }
    delivered = push_actuation(args.url, args.account_id, args.device_id, {"type": "command", "transport": "ws",
                                                                           "content": content})
    if args.json:
        print(json.dumps({"delivered": delivered}), flush=True)
    else:
        print(f"delivered {delivered} frame(s) to {args.account_id}/{args.device_id}", flush=True)
    return 0


def _actuate_in_process(args: argparse.Namespace, params: list[tuple[str, str]]) -> int:
    # no blind window: the one actuation is pushed right after the first registration
    with OispSimulator(blind_window=0).run() as sim:
        token = sim.issue_token(args.device_id, args.account_id)
        with Client(sim.url(), args.device_id, token, grace=0.3) as dev:
            sim.actuate_sync(args.account_id, args.device_id, args.command, params, component_id=args.component_id)
            for act in dev.actuations(timeout=10):
                _print(act, args.json)
                return 0
    raise ConnectionClosed("the in-process device received no actuation")


# -- demo -------------------------------------------------------------------------------------
def demo(seconds: float, report: Callable[[str, str, str], None]) -> None:
    """Run a simulator and a device; push LED commands and report what the device receives."""
    deadline = time.monotonic() + seconds
    # no blind window: the demo pushes from its first second on (one device: one copy each)
    with OispSimulator(blind_window=0).run() as sim:
        token = sim.issue_token(DEMO_DEVICE, DEMO_ACCOUNT)
        with Client(sim.url(), DEMO_DEVICE, token, grace=min(0.5, max(0.05, seconds / 4))) as dev:
            report("oisp", f"{DEMO_DEVICE} registered", "yes")
            n = 0
            while time.monotonic() < deadline:
                n += 1
                sim.actuate_sync(DEMO_ACCOUNT, DEMO_DEVICE, "LED.v1.0", {"LED": str(n % 2), "seq": str(n)})
                remaining = deadline - time.monotonic()
                try:
                    act = dev.next_event(Actuation, timeout=max(0.05, min(2.0, remaining)))
                except TimeoutError:
                    continue
                report("oisp", f"{DEMO_DEVICE} {act.command} LED", str(act.param("LED")))
                report("oisp", f"{DEMO_DEVICE} actuations", str(n))
                time.sleep(min(0.5, max(0.0, deadline - time.monotonic())))


if __name__ == "__main__":
    sys.exit(protocol_main("oisp"))
