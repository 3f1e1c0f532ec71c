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
from typing import Any, Concatenate, Generic, ParamSpec, Self, TypeVar, overload

from iotws.sansio import Frame

__all__ = ["AsyncSurface", "BoundMethod", "Command", "Commands", "SurfaceMethod", "SyncSurface", "command"]

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

    #: Whether a :class:`~iotws.sansio.Reply` with this command's token will follow.
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
        the error it raised) into the :class:`~iotws.sansio.Reply`; the drivers
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


class SurfaceMethod(abc.ABC, Generic[P, R]):
    """What :func:`command` and :func:`iotws.flows.flow` share: a method written once.

    Looked up on a sync client (:class:`SyncSurface`) it returns ``R``; on an async
    client (:class:`AsyncSurface`) ``Awaitable[R]``. Subclasses say how to run the
    decorated function on a client (:meth:`invoke`).

    Examples:
        >>> issubclass(command, SurfaceMethod)
        True
    """

    def __init__(self, function: Callable[..., Any]) -> None:
        self.function = function
        self.__doc__ = function.__doc__
        self.__name__ = getattr(function, "__name__", "method")
        self.__qualname__ = getattr(function, "__qualname__", self.__name__)
        self.__module__ = function.__module__
        self.__wrapped__ = function

    @abc.abstractmethod
    def invoke(self, owner: Any, *args: Any, **kwargs: Any) -> Any:
        """Run the method on client ``owner``."""

    @overload
    def __get__(self, obj: None, owner: type[Any]) -> Self: ...

    @overload
    def __get__(self, obj: SyncSurface, owner: type[Any]) -> Callable[P, R]: ...

    @overload
    def __get__(self, obj: AsyncSurface, owner: type[Any]) -> Callable[P, Awaitable[R]]: ...

    def __get__(self, obj: object, owner: type[Any]) -> Any:
        if obj is None:
            return self
        return BoundMethod(self, obj)

    def __call__(self, obj: Any, *args: P.args, **kwargs: P.kwargs) -> Any:
        """Call through the class: ``Client.read(client, ...)``."""
        return self.invoke(obj, *args, **kwargs)

    @property
    def __signature__(self) -> inspect.Signature:
        return inspect.signature(self.function)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.__qualname__}>"


class command(SurfaceMethod[P, R]):
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
        super().__init__(build)
        self.build = build

    def invoke(self, owner: Any, *args: Any, **kwargs: Any) -> Any:
        """Build the command and execute it on ``owner``."""
        return owner._execute(self.build(owner, *args, **kwargs))


class BoundMethod:
    """A surface method looked up on a client: call it to run it.

    Light on purpose (it is made on every attribute lookup); ``help()`` and
    ``inspect.signature`` show the method's own documentation and parameters.

    Examples:
        >>> class Ping(Command[str]):
        ...     def encode(self, token):
        ...         return ["ping"]
        >>> class Loopback(SyncSurface):
        ...     @command
        ...     def ping(self, times: int = 1) -> Ping:
        ...         "Ping."
        ...         return Ping()
        ...     def _execute(self, cmd):
        ...         return "pong"
        >>> bound = Loopback().ping
        >>> bound(), str(inspect.signature(bound))
        ('pong', '(times: int = 1) -> Ping')
    """

    __slots__ = ("_method", "_owner")

    def __init__(self, method: SurfaceMethod[Any, Any], owner: Any) -> None:
        self._method = method
        self._owner = owner

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self._method.invoke(self._owner, *args, **kwargs)

    @property
    def __doc__(self) -> str | None:  # type: ignore[override]
        return self._method.__doc__

    @property
    def __name__(self) -> str:
        return self._method.__name__

    @property
    def __signature__(self) -> inspect.Signature:
        signature = inspect.signature(self._method.function)
        return signature.replace(parameters=list(signature.parameters.values())[1:])

    def __repr__(self) -> str:
        return f"<bound {self._method.__qualname__} of {self._owner!r}>"
