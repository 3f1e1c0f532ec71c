"""Surface methods that need several round trips, written once as generators of commands.

:func:`iotws.commands.command` covers a method that builds ONE command. A method
that must, say, look a name up before sending the real command is written as a
*flow*: a generator that yields each :class:`~iotws.commands.Command` and
receives its result (``result = yield from step(cmd)``). The :class:`flow`
decorator runs it on the client: a sync client returns the flow's result, an
async client an awaitable of it, and type checkers see both precisely.

Everything up to the first command (argument checks, building it) runs when the
method is called, on both flavours: bad arguments raise before anything is sent.

Examples:
    >>> from iotws.commands import Command
    >>> class Ask(Command[str]):
    ...     def __init__(self, question):
    ...         self.question = question
    ...     def encode(self, token):
    ...         return [self.question]
    >>> def two_steps() -> Flow[str]:
    ...     name = yield from step(Ask("name?"))
    ...     stage = yield from step(Ask("stage?"))
    ...     return f"{name} {stage}"
    >>> answers = {"name?": "pump-1", "stage?": "running"}
    >>> run_sync(lambda cmd: answers[cmd.question], two_steps())
    'pump-1 running'
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Generator
from typing import Any, Concatenate, ParamSpec, TypeAlias, TypeVar

from iotws.commands import CALLER_ERRORS, AsyncSurface, Command, SurfaceMethod, caller_error
from iotws.errors import IotwsError

__all__ = ["Flow", "flow", "run_async", "run_sync", "step"]

R = TypeVar("R")
P = ParamSpec("P")

#: A flow with result ``R``: yields commands, receives each one's result, returns ``R``.
Flow: TypeAlias = Generator[Command[Any], Any, R]


def step(command: Command[R]) -> Flow[R]:
    """Send ``command`` from inside a flow: ``result = yield from step(command)``.

    Examples:
        >>> from iotws.commands import Command
        >>> class Stage(Command[int]):
        ...     def encode(self, token):
        ...         return ["stage"]
        >>> run_sync(lambda cmd: 2, step(Stage()))
        2
    """
    result: R = yield command
    return result


def run_sync(execute: Callable[[Command[Any]], Any], steps: Flow[R]) -> R:
    """Run a flow to its end, each command through ``execute`` (returns the result).

    A ``TypeError``/``ValueError``/``AttributeError`` before the first command (the
    arguments were wrong; nothing was sent) is raised as :class:`~iotws.errors.UsageError`.

    Examples:
        >>> from iotws.commands import Command
        >>> class Stage(Command[int]):
        ...     def encode(self, token):
        ...         return ["stage"]
        >>> def next_stage() -> Flow[int]:
        ...     stage = yield from step(Stage())
        ...     return stage + 1
        >>> run_sync(lambda cmd: 2, next_stage())
        3
    """
    try:
        command = _first(steps)
    except StopIteration as done:
        first: R = done.value
        return first
    return _run_sync_from(execute, steps, command)


def run_async(execute: Callable[[Command[Any]], Awaitable[Any]], steps: Flow[R]) -> Awaitable[R]:
    """Start a flow now (up to its first command), finish it when awaited.

    Examples:
        >>> import asyncio
        >>> from iotws.commands import Command
        >>> class Stage(Command[int]):
        ...     def encode(self, token):
        ...         return ["stage"]
        >>> async def execute(cmd):
        ...     return 2
        >>> asyncio.run(run_async(execute, step(Stage())))
        2
    """
    try:
        first = _first(steps)
    except StopIteration as done:
        value: R = done.value
        return _ready(value)
    return _finish(execute, steps, first)


def _first(steps: Flow[Any], name: str | None = None) -> Command[Any]:
    """Run a flow up to its first command (``StopIteration`` if it sends none).

    Nothing has been sent yet, so a ``TypeError``/``ValueError``/``AttributeError``
    raised here is the caller's mistake: it becomes a :class:`~iotws.errors.UsageError`.
    """
    try:
        return next(steps)
    except StopIteration:
        raise
    except IotwsError:
        steps.close()
        raise
    except CALLER_ERRORS as exc:
        steps.close()
        raise caller_error(str(name or getattr(steps, "__name__", "flow")), exc) from exc
    except BaseException:
        steps.close()
        raise


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


class flow(SurfaceMethod[P, R]):
    """Decorator for a surface method written as a :data:`Flow`: written once, typed twice.

    On a sync client (:class:`~iotws.commands.SyncSurface`) the method returns ``R``,
    on an async client (:class:`~iotws.commands.AsyncSurface`) ``Awaitable[R]``.

    Examples:
        >>> from iotws.commands import Command, SyncSurface
        >>> class Stage(Command[int]):
        ...     def encode(self, token):
        ...         return ["stage"]
        >>> class Surface:
        ...     @flow
        ...     def next_stage(self) -> Flow[int]:
        ...         "The stage after the current one."
        ...         stage = yield from step(Stage())
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
        super().__init__(steps)
        self.steps = steps

    def invoke(self, owner: Any, *args: Any, **kwargs: Any) -> Any:
        """Run the flow on ``owner``: to the end (sync) or as an awaitable (async).

        The arguments are checked, and the flow runs up to its first command, at the
        call: a caller's mistake is a :class:`~iotws.errors.UsageError` and nothing is sent.
        """
        self.check_arguments(args, kwargs)
        try:
            steps = self.steps(owner, *args, **kwargs)
        except CALLER_ERRORS as exc:  # arguments that do not fit the signature
            raise caller_error(self.__name__, exc) from exc
        try:
            first = _first(steps, self.__name__)
        except StopIteration as done:
            if isinstance(owner, AsyncSurface):
                return _ready(done.value)
            return done.value
        if isinstance(owner, AsyncSurface):
            return _finish(owner._execute, steps, first)
        return _run_sync_from(owner._execute, steps, first)


def _run_sync_from(execute: Callable[[Command[Any]], Any], steps: Flow[R], command: Command[Any]) -> R:
    try:
        while True:
            command = steps.send(execute(command))
    except StopIteration as done:
        result: R = done.value
        return result
    finally:
        steps.close()
