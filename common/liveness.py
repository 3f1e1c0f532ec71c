"""Link liveness, written once for both drivers: when to ping, and when a link is dead.

The reader of each driver asks [`Liveness.deadline`][iotws.liveness.Liveness.deadline] how long it may block,
reports traffic with [`Liveness.received`][iotws.liveness.Liveness.received], and calls
[`Liveness.quiet`][iotws.liveness.Liveness.quiet]
when nothing arrived in time: it raises [`ConnectionClosed`][iotws.ConnectionClosed]
for a dead link and says whether a ping is due.

Examples:
    >>> live = Liveness(ping_interval=10.0, ping_timeout=5.0, idle_timeout=None)
    >>> live.reset(now=0.0)
    >>> live.deadline(now=0.0)
    10.0
    >>> live.quiet(now=10.0)   # nothing for 10 s: send a ping
    True
    >>> live.deadline(now=10.0)
    15.0
    >>> live.quiet(now=15.0)
    Traceback (most recent call last):
    iotws.errors.ConnectionClosed: no pong within 5 s: the link is dead
"""

from __future__ import annotations

from iotws.errors import ConnectionClosed

__all__ = ["Liveness"]

MAX_BLOCK = 3600.0
"""How long a reader blocks at most when no timer is due (it wakes up and looks again)."""


class Liveness:
    """Ping and idle timers of one connection (times are ``time.monotonic()`` seconds)."""

    __slots__ = ("awaiting_pong", "idle_timeout", "last_ping", "last_rx", "ping_interval", "ping_timeout")

    def __init__(self, ping_interval: float | None, ping_timeout: float | None, idle_timeout: float | None) -> None:
        self.ping_interval: float | None = ping_interval
        self.ping_timeout: float | None = ping_timeout
        self.idle_timeout: float | None = idle_timeout
        self.last_rx: float = 0.0
        self.last_ping: float = 0.0
        self.awaiting_pong: bool = False

    def reset(self, now: float) -> None:
        """A new connection just opened."""
        self.last_rx = self.last_ping = now
        self.awaiting_pong = False

    def received(self, now: float) -> None:
        """Any frame arrived (data, ping or pong): the link is alive."""
        self.last_rx = now

    def ponged(self, now: float) -> None:
        """Our ping was answered."""
        self.last_rx = now
        self.awaiting_pong = False

    def deadline(self, now: float) -> float:
        """The time by which the reader must wake up on its own."""
        when = now + MAX_BLOCK
        if self.ping_interval is not None and not self.awaiting_pong:
            when = min(when, max(self.last_rx, self.last_ping) + self.ping_interval)
        if self.awaiting_pong and self.ping_timeout is not None:
            when = min(when, self.last_ping + self.ping_timeout)
        if self.idle_timeout is not None:
            when = min(when, self.last_rx + self.idle_timeout)
        return when

    def quiet(self, now: float) -> bool:
        """Nothing arrived by the deadline: raise if the link is dead, return whether to ping now."""
        if self.awaiting_pong and self.ping_timeout is not None and now - self.last_ping >= self.ping_timeout:
            raise ConnectionClosed(f"no pong within {self.ping_timeout:g} s: the link is dead", code=1011)
        if self.idle_timeout is not None and now - self.last_rx >= self.idle_timeout:
            raise ConnectionClosed(
                f"no data from the server for {self.idle_timeout:g} s: the link is stale", code=1011
            )
        interval = self.ping_interval
        if interval is not None and not self.awaiting_pong and now - max(self.last_rx, self.last_ping) >= interval:
            self.last_ping = now
            self.awaiting_pong = True
            return True
        return False
