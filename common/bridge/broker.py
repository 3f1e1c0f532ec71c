"""A local MQTT broker for the demo and for tests: Mosquitto when it is on PATH, else amqtt.

``LocalBroker`` runs the broker as a child process on a loopback port (a free
one by default) and can stop and start it again on the same port, without
persistence: a restarted broker has forgotten every retained message.

Examples:
    >>> broker = LocalBroker(port=1883, prefer="amqtt")
    >>> broker.kind, broker.url
    ('amqtt', 'mqtt://127.0.0.1:1883')
"""

from __future__ import annotations

import contextlib
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from types import TracebackType

from iotws.errors import UsageError

__all__ = ["LocalBroker", "free_port", "mosquitto_path"]


def mosquitto_path() -> str | None:
    """The ``mosquitto`` executable on PATH, else ``None``."""
    return shutil.which("mosquitto")


def free_port() -> int:
    """A TCP port that is free on 127.0.0.1 right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class LocalBroker:
    """A broker child process on ``127.0.0.1:port``.

    ``prefer`` is ``"mosquitto"`` (used when on PATH, else amqtt) or ``"amqtt"``.
    ``start()`` returns once the port accepts connections; ``stop()`` ends the process.
    Use it as a context manager to start and stop it.
    """

    def __init__(self, port: int | None = None, *, prefer: str = "mosquitto") -> None:
        if prefer not in ("mosquitto", "amqtt"):
            raise UsageError(f"prefer must be 'mosquitto' or 'amqtt', got {prefer!r}")
        self.port = port or free_port()
        self.mosquitto = mosquitto_path() if prefer == "mosquitto" else None
        self.kind = "mosquitto" if self.mosquitto else "amqtt"
        self.process: subprocess.Popen[bytes] | None = None
        self._dir = tempfile.TemporaryDirectory(prefix="iotws-broker-")

    @property
    def url(self) -> str:
        """``mqtt://127.0.0.1:PORT``."""
        return f"mqtt://127.0.0.1:{self.port}"

    def _command(self) -> list[str]:
        folder = Path(self._dir.name)
        if self.mosquitto:
            conf = folder / "mosquitto.conf"
            conf.write_text(
                f"listener {self.port} 127.0.0.1\nallow_anonymous true\npersistence false\n"
                "max_queued_messages 100000\nlog_dest stderr\nlog_type error\nlog_type warning\n",
                encoding="utf-8",
            )
            return [self.mosquitto, "-c", str(conf)]
        conf = folder / "amqtt.yaml"
        conf.write_text(
            "listeners:\n  default:\n    type: tcp\n"
            f"    bind: 127.0.0.1:{self.port}\n"
            "plugins:\n  amqtt.plugins.authentication.AnonymousAuthPlugin:\n    allow_anonymous: true\n",
            encoding="utf-8",
        )
        return [sys.executable, "-m", "amqtt.scripts.broker_script", "-c", str(conf)]

    def start(self, timeout: float = 20.0) -> None:
        """Start the broker and wait until it accepts connections."""
        if self.process is not None and self.process.poll() is None:
            return
        if self.kind == "amqtt":
            try:
                import amqtt  # noqa: F401
            except ImportError:
                raise UsageError("no MQTT broker: install mosquitto, or pip install 'iotws[mqtt]' (amqtt)") from None
        log = open(Path(self._dir.name) / "broker.log", "ab")  # noqa: SIM115 - the child keeps it
        self.process = subprocess.Popen(self._command(), stdout=log, stderr=log, stdin=subprocess.DEVNULL)
        log.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise UsageError(f"the {self.kind} broker exited at start: {self.log_text()[-500:]}")
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                return
            time.sleep(0.05)
        self.stop()
        raise UsageError(f"the {self.kind} broker did not listen on port {self.port} within {timeout:g} s")

    def stop(self) -> None:
        """Stop the broker (its retained messages are gone)."""
        process, self.process = self.process, None
        if process is None or process.poll() is not None:
            return
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(5)

    def log_text(self) -> str:
        """What the broker wrote so far."""
        path = Path(self._dir.name) / "broker.log"
        return path.read_text(encoding="utf-8", errors="replace") if path.exists() else ""

    def __enter__(self) -> LocalBroker:
        self.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()
        self._dir.cleanup()
