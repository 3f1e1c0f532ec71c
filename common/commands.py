"""Commands, and the command surface written once for sync and async clients.

A :class:`Command` knows how to encode itself and how to decode its reply, so
both drivers stay generic. A protocol writes its user-facing methods once in a
subclass of :class:`Commands`; ``Client`` binds ``T`` to the reply and
``AsyncClient`` to an awaitable reply (the pymodbus pattern).

Examples:
    >>> class Ping(Command[str]):
    ...     def encode(self, token):
    ...         return ['{"type": "ping"}']
    ...     def decode(self, payload):
    ...         return str(payload)
    >>> Ping().encode(None)
    ['{"type": "ping"}']
"""

from __future__ import annotations

import abc
import inspect
from collections.abc import Awaitable, Callable, Hashable
from typing import Any, Concatenate, Generic, ParamSpec, TypeVar, overload

from common.sansio import Frame

__all__ = ["AsyncSurface", "BoundCommand", "Command", "Commands", "SyncSurface", "command"]

R = TypeVar("R")
T = TypeVar("T")
P = ParamSpec("P")


class Command(abc.ABC, Generic[R]):
    """One user command: frames out, and how to read its reply.

    ``expects_reply`` false means the command is complete once its frames are
    written (the driver then returns :attr:`sent_result`).

    Examples:
        >>> class Fire(Command[None]):
        ...     expects_reply = False
        ...     def encode(self, token):
        ...         return ["fire"]
        >>> Fire().expects_reply
        False
    """

    #: Whether a :class:`~common.sansio.Reply` with this command's token will follow.
    expects_reply: bool = True

    #: Per-command reply timeout in seconds; ``None`` uses the client's ``request_timeout``.
    timeout: float | None = None

    @abc.abstractmethod
    def encode(self, token: int | None) -> list[Frame]:
        """Return the frames that carry this command."""

    def correlation_key(self) -> Hashable | None:
        """The key a reply is matched by (e.g. a message id); ``None`` for in-order replies."""
        return None

    def decode(self, payload: Any) -> R:
        """Turn the reply payload into the command's result.

        The protocol core calls it when the reply arrives and puts the result (or
        the error it raised) into the :class:`~common.sansio.Reply`; the drivers
        hand that over unchanged.
        """
        return payload  # type: ignore[no-any-return]

    def sent_result(self) -> R:
        """The result of a command that expects no reply. Default ``None``."""
        return None  # type: ignore[return-value]


class Commands(abc.ABC, Generic[T]):
    """The command surface, written once. ``T`` is the reply (sync) or an awaitable (async).

    Protocol packages subclass it with their methods, each ending in
    ``return self._execute(SomeCommand(...))``.

    Examples:
        >>> class Ping(Command[str]):
        ...     def encode(self, token):
        ...         return ["ping"]
        >>> class Surface(Commands[T]):
        ...     def ping(self) -> T:
        ...         return self._execute(Ping())
        >>> class Loopback(Surface[list]):
        ...     def _execute(self, command):
        ...         return command.encode(None)
        >>> Loopback().ping()
        ['ping']
    """

    @abc.abstractmethod
    def _execute(self, command: Command[Any]) -> T:
        """Send ``command`` and return its reply (sync) or an awaitable of it (async)."""


class SyncSurface(abc.ABC):
    """Base of the synchronous clients: ``_execute`` returns the command's result.

    Examples:
        >>> issubclass(SyncSurface, AsyncSurface)
        False
    """

    @abc.abstractmethod
    def _execute(self, command: Command[R]) -> R:
        """Send ``command`` and wait for its result."""


class AsyncSurface(abc.ABC):
    """Base of the asyncio clients: ``_execute`` returns an awaitable of the command's result.

    Examples:
        >>> issubclass(AsyncSurface, SyncSurface)
        False
    """

    @abc.abstractmethod
    def _execute(self, command: Command[R]) -> Awaitable[R]:
        """Send ``command``; await the result."""


class command(Generic[P, R]):
    """Decorator for a surface method that builds one :class:`Command`: written once, typed twice.

    The decorated function returns a ``Command[R]``. Looked up on a sync client the
    method returns ``R``; on an async client it returns ``Awaitable[R]``; type
    checkers see both precisely.

    Examples:
        >>> class Ping(Command[str]):
        ...     def encode(self, token):
        ...         return ["ping"]
        >>> class PingSurface:
        ...     @command
        ...     def ping(self) -> Ping:
        ...         "Ask the server whether it is alive."
        ...         return Ping()
        >>> class Loopback(SyncSurface, PingSurface):
        ...     def _execute(self, cmd):
        ...         return cmd.encode(None)[0]
        >>> Loopback().ping()
        'ping'
        >>> Loopback.ping.__doc__
        'Ask the server whether it is alive.'
    """

    def __init__(self, build: Callable[Concatenate[Any, P], Command[R]]) -> None:
        self.build = build
        self.__doc__ = build.__doc__
        self.__name__ = getattr(build, "__name__", "command")
        self.__qualname__ = getattr(build, "__qualname__", self.__name__)
        self.__module__ = build.__module__
        self.__wrapped__ = build

    @overload
    def __get__(self, obj: None, owner: type[Any]) -> command[P, R]: ...

    @overload
    def __get__(self, obj: SyncSurface, owner: type[Any]) -> Callable[P, R]: ...

    @overload
    def __get__(self, obj: AsyncSurface, owner: type[Any]) -> Callable[P, Awaitable[R]]: ...

    def __get__(self, obj: object, owner: type[Any]) -> Any:
        if obj is None:
            return self
        return BoundCommand(self, obj)

    def __call__(self, obj: Any, *args: P.args, **kwargs: P.kwargs) -> Any:
        """Call through the class: ``Client.read(client, ...)``."""
        return obj._execute(self.build(obj, *args, **kwargs))

    @property
    def __signature__(self) -> inspect.Signature:
        return inspect.signature(self.build)

    def __repr__(self) -> str:
        return f"<command {self.__qualname__}>"


class BoundCommand:
    """A :func:`command` method looked up on a client: call it to send the command.

    Light on purpose (it is made on every attribute lookup); ``help()`` and
    ``inspect.signature`` show the method's own documentation and parameters.
    """

    __slots__ = ("_command", "_owner")

    def __init__(self, method: command[Any, Any], owner: Any) -> None:
        self._command = method
        self._owner = owner

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        owner = self._owner
        return owner._execute(self._command.build(owner, *args, **kwargs))

    @property
    def __doc__(self) -> str | None:  # type: ignore[override]
        return self._command.__doc__

    @property
    def __name__(self) -> str:
        return self._command.__name__

    @property
    def __signature__(self) -> inspect.Signature:
        signature = inspect.signature(self._command.build)
        return signature.replace(parameters=list(signature.parameters.values())[1:])

    def __repr__(self) -> str:
        return f"<bound command {self._command.__qualname__} of {self._owner!r}>"
