"""``iotws oisp ...`` (also ``python -m iotws.oisp ...``): simulate, listen, watch, actuate.

* ``simulate [--host H] [--port N] [--device-id ID] [--account-id A] [--legacy-200]
  [--duplicates] [--blind-window S]``: run the simulator; the first stdout line is its URL,
  then a ready demo device id, account id and token, and example commands.
* ``listen URL --device-id ID --token T [--count N] [--json] [--timeout S] [--grace S]
  [--dedup-window S]``: register as a device and print actuations.
* ``watch URL --device-id ID --token T [--count N] [--json]``: the same, but every event
  (lifecycle, pongs, server errors) is printed.
* ``actuate [URL] --account-id A --device-id D [--command C] [--param NAME=VALUE ...]``:
  push a command through a running simulator's platform side; without a URL, run an
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
import sys
import time
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import websocket

from iotws.cli import cli_errors, print_event, print_stream, protocol_main, to_jsonable
from iotws.errors import ConnectError, ConnectionClosed, RemoteError, UsageError
from iotws.oisp.client import Client
from iotws.oisp.models import Actuation
from iotws.oisp.simulator import CONTROL_PATH, OispSimulator
from iotws.simulator import serve_cli

__all__ = ["demo", "register"]

DEMO_DEVICE = "demo-001"
DEMO_ACCOUNT = "demo-account"


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
    sim.add_argument("--duplicates", action="store_true", help="one copy of each actuation per registration")
    sim.add_argument("--blind-window", type=float, default=0.0, help="lose actuations S s after the 1st registration")
    sim.set_defaults(func=cli_errors(_simulate))

    for name, help_text in (("listen", "register as a device and print actuations"),
                            ("watch", "register as a device and print every event")):
        verb = verbs.add_parser(name, help=help_text)
        verb.add_argument("url", metavar="URL")
        verb.add_argument("--device-id", required=True)
        verb.add_argument("--token", required=True, help="the device token (never logged)")
        verb.add_argument("--count", type=int, default=None, help="exit after N events")
        verb.add_argument("--json", action="store_true", help="one JSON object per line")
        verb.add_argument("--timeout", type=float, default=None, help="exit after S seconds without an event")
        verb.add_argument("--grace", type=float, default=1.5, help="registration grace period (default 1.5 s)")
        verb.add_argument("--dedup-window", type=float, default=None, help="drop identical actuations within S s")
        verb.set_defaults(func=cli_errors(_listen), every_event=name == "watch")

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


# -- simulate ---------------------------------------------------------------------------------
def _simulate(args: argparse.Namespace) -> int:
    sim = OispSimulator(
        args.host, args.port, legacy_200=args.legacy_200, duplicates=args.duplicates, blind_window=args.blind_window
    )
    token = sim.issue_token(args.device_id, args.account_id)

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
    every: bool = args.every_event
    with Client(args.url, args.device_id, args.token, grace=args.grace, dedup_window=args.dedup_window) as dev:
        stream: Iterator[object] = dev.events(timeout=args.timeout) if every else dev.actuations(timeout=args.timeout)
        return print_stream(stream, count=args.count, label="oisp", show=lambda event: _print(event, args.json))


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
        raise UsageError(f"not a WebSocket URL: {url!r}")
    return urlunsplit((parts.scheme, parts.netloc, CONTROL_PATH, "", ""))


def push_actuation(url: str, account_id: str, device_id: str, body: dict[str, Any], timeout: float = 10.0) -> int:
    """Send one actuation through a running simulator's platform side; returns frames delivered.

    Examples:
        >>> push_actuation("ws://127.0.0.1:9/", "a", "d", {})  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        iotws.errors.ConnectError: cannot reach the simulator at ws://127.0.0.1:9/_simulator/platform: ...
    """
    target = control_url(url)
    try:
        ws = websocket.create_connection(target, timeout=timeout, subprotocols=["echo-protocol"])
    except Exception as exc:
        raise ConnectError(f"cannot reach the simulator at {target}: {exc}") from exc
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
    with OispSimulator().run() as sim:
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
    with OispSimulator().run() as sim:
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
