"""Surface methods that need several round trips, written once as generators of commands.

:func:`common.commands.command` covers a method that builds ONE command. Some
Xentara methods first look primary keys up and then send the real command; they
are written as a *flow*: a generator that yields each :class:`~common.commands.Command`
and receives its result (``result = yield from step(cmd)``). The :class:`flow`
decorator runs it on the client: a sync client returns the flow's result, an
async client an awaitable of it, and type checkers see both precisely (the same
contract as :func:`~common.commands.command`).

Everything up to the first command (argument checks, building it) runs when the
method is called, on both flavours: bad arguments raise before anything is sent.

Examples:
    >>> from xentara.protocol import GetStageCommand, LookupCommand
    >>> def two_steps() -> Flow[str]:
    ...     found = yield from step(LookupCommand("Group 1"))
    ...     stage = yield from step(GetStageCommand())
    ...     return f"{found} {stage}"
    >>> answers = {"LookupCommand": "uuid-1", "GetStageCommand": 2}
    >>> run_sync(lambda cmd: answers[type(cmd).__name__], two_steps())
    'uuid-1 2'
"""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable, Generator
from typing import Any, Concatenate, Generic, ParamSpec, TypeAlias, TypeVar, overload

from common.commands import AsyncSurface, Command, SyncSurface

__all__ = ["Flow", "flow", "run_async", "run_sync", "step"]

R = TypeVar("R")
P = ParamSpec("P")

#: A flow with result ``R``: yields commands, receives each one's result, returns ``R``.
Flow: TypeAlias = Generator[Command[Any], Any, R]


def step(command: Command[R]) -> Flow[R]:
    """Send ``command`` from inside a flow: ``result = yield from step(command)``.

    Examples:
        >>> from xentara.protocol import GetStageCommand
        >>> run_sync(lambda cmd: 2, step(GetStageCommand()))
        2
    """
    result: R = yield command
    return result


def run_sync(execute: Callable[[Command[Any]], Any], steps: Flow[R]) -> R:
    """Run a flow to its end, each command through ``execute`` (returns the result).

    Examples:
        >>> from xentara.protocol import GetStageCommand
        >>> def flow_() -> Flow[int]:
        ...     stage = yield from step(GetStageCommand())
        ...     return stage + 1
        >>> run_sync(lambda cmd: 2, flow_())
        3
    """
    try:
        command = next(steps)
        while True:
            command = steps.send(execute(command))
    except StopIteration as done:
        result: R = done.value
        return result
    finally:
        steps.close()


def run_async(execute: Callable[[Command[Any]], Awaitable[Any]], steps: Flow[R]) -> Awaitable[R]:
    """Start a flow now (up to its first command), finish it when awaited.

    Examples:
        >>> import asyncio
        >>> from xentara.protocol import GetStageCommand
        >>> async def execute(cmd):
        ...     return 2
        >>> asyncio.run(run_async(execute, step(GetStageCommand())))
        2
    """
    try:
        first = next(steps)
    except StopIteration as done:
        value: R = done.value
        return _ready(value)
    except BaseException:
        steps.close()
        raise
    return _finish(execute, steps, first)


async def _ready(value: R) -> R:
    return value


async def _finish(execute: Callable[[Command[Any]], Awaitable[Any]], steps: Flow[R], command: Command[Any]) -> R:
    try:
        while True:
            command = steps.send(await execute(command))
    except StopIteration as done:
        result: R = done.value
        return result
    finally:
        steps.close()


class flow(Generic[P, R]):
    """Decorator for a surface method written as a :data:`Flow`: written once, typed twice.

    On a sync client (:class:`~common.commands.SyncSurface`) the method returns ``R``,
    on an async client (:class:`~common.commands.AsyncSurface`) ``Awaitable[R]``.

    Examples:
        >>> from common.commands import SyncSurface
        >>> from xentara.protocol import GetStageCommand
        >>> class Surface:
        ...     @flow
        ...     def next_stage(self) -> Flow[int]:
        ...         "The stage after the current one."
        ...         stage = yield from step(GetStageCommand())
        ...         return stage + 1
        >>> class Loopback(SyncSurface, Surface):
        ...     def _execute(self, cmd):
        ...         return 2
        >>> Loopback().next_stage()
        3
        >>> Loopback.next_stage.__doc__
        'The stage after the current one.'
    """

    def __init__(self, steps: Callable[Concatenate[Any, P], Flow[R]]) -> None:
        self.steps = steps
        self.__doc__ = steps.__doc__
        self.__name__ = getattr(steps, "__name__", "flow")
        self.__qualname__ = getattr(steps, "__qualname__", self.__name__)
        self.__module__ = steps.__module__
        self.__wrapped__ = steps

    @overload
    def __get__(self, obj: None, owner: type[Any]) -> flow[P, R]: ...

    @overload
    def __get__(self, obj: SyncSurface, owner: type[Any]) -> Callable[P, R]: ...

    @overload
    def __get__(self, obj: AsyncSurface, owner: type[Any]) -> Callable[P, Awaitable[R]]: ...

    def __get__(self, obj: object, owner: type[Any]) -> Any:
        if obj is None:
            return self
        steps = self.steps
        execute = obj._execute  # type: ignore[attr-defined]
        run: Callable[[Any, Flow[R]], Any] = run_async if isinstance(obj, AsyncSurface) else run_sync

        @functools.wraps(steps)
        def call(*args: P.args, **kwargs: P.kwargs) -> Any:
            return run(execute, steps(obj, *args, **kwargs))

        return call
