"""Commands, and the argument checks of the clients' methods.

A [`Command`][iotws.commands.Command] knows how to encode itself and how to decode its reply, so
both drivers stay generic. Each protocol writes its client methods once, as
``async def`` methods of its ``AsyncClient`` that build commands and hand them to
``_execute``; ``scripts/unasync.py`` writes the synchronous ``Client`` from them.
[`checked`][iotws.commands.checked] checks a method's arguments against its annotations first.

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
import collections.abc
import enum
import functools
import inspect
import math
import numbers
import types
import typing
from collections.abc import Callable, Hashable
from typing import Any, Generic, Literal, TypeVar, Union

from iotws.errors import UsageError
from iotws.sansio import Frame

__all__ = ["Command", "argument_checks", "caller_error", "checked"]

R = TypeVar("R")


class Command(abc.ABC, Generic[R]):
    """One user command: frames out, and how to read its reply.

    ``expects_reply`` false means the command is complete once its frames are
    written (the driver then returns [`sent_result`][iotws.commands.Command.sent_result]).

    Examples:
        >>> class Fire(Command[None]):
        ...     expects_reply = False
        ...     def encode(self, token):
        ...         return ["fire"]
        >>> Fire().expects_reply
        False
    """

    expects_reply: bool = True
    """Whether a [`Reply`][iotws.sansio.Reply] with this command's token will follow."""

    timeout: float | None = None
    """Per-command reply timeout in seconds; ``None`` uses the client's ``request_timeout``."""

    @abc.abstractmethod
    def encode(self, token: int | None) -> list[Frame]:
        """Return the frames that carry this command."""

    def correlation_key(self) -> Hashable | None:
        """The key a reply is matched by (e.g. a message id); ``None`` for in-order replies."""
        return None

    def decode(self, payload: Any) -> R:
        """Turn the reply payload into the command's result.

        The protocol core calls it when the reply arrives and puts the result (or
        the error it raised) into the [`Reply`][iotws.sansio.Reply]; the drivers
        hand that over unchanged.
        """
        return payload  # type: ignore[no-any-return]

    def sent_result(self) -> R:
        """The result of a command that expects no reply. Default ``None``."""
        return None  # type: ignore[return-value]



# -- argument checks ----------------------------------------------------------------
#
# Every client method's arguments are checked against its annotations before the
# command is built, so a wrong type is a UsageError naming the method, the argument
# and what it allows, raised before anything is sent. The checks are made once per
# method (at its first call, when every name its annotations use exists) and cost a
# few isinstance calls per call. ``Any``/``object`` parameters are not checked;
# anything the annotations cannot say (ranges, formats) stays with the method.


class _Rule:
    """One parameter's check: ``test(value)`` and the words for what it allows."""

    __slots__ = ("allowed", "classes", "test")

    def __init__(
        self, test: Callable[[Any], bool], allowed: str, classes: tuple[type, ...] | None = None
    ) -> None:
        self.test = test
        self.allowed = allowed
        #: Set when the rule is exactly ``isinstance(value, classes)`` (unions of them merge into one test).
        self.classes = classes


def _instance_rule(classes: tuple[type, ...], allowed: str) -> _Rule:
    return _Rule(lambda v: isinstance(v, classes), allowed, classes)


def _is_int(value: object) -> bool:
    return value.__class__ is int or (isinstance(value, numbers.Integral) and not isinstance(value, bool))


def _is_real(value: object) -> bool:
    return (
        value.__class__ is float
        or value.__class__ is int
        or (isinstance(value, numbers.Real) and not isinstance(value, bool))
    )


def _is_seconds(value: object) -> bool:
    return _is_real(value) and 0 < value < math.inf  # type: ignore[operator]


_SIMPLE: dict[Any, _Rule] = {
    str: _instance_rule((str,), "a str"),
    int: _Rule(_is_int, "an int"),
    float: _Rule(_is_real, "a number"),
    bool: _Rule(lambda v: isinstance(v, bool) or (v.__class__ is int and v in (0, 1)), "True or False"),
    bytes: _Rule(lambda v: isinstance(v, (bytes, bytearray, memoryview)), "bytes"),
    type(None): _Rule(lambda v: v is None, "None"),
}

_SEQUENCES = (list, tuple, set, frozenset, collections.abc.Set, collections.abc.Sequence)
_ITERABLES = (
    collections.abc.Iterable,
    collections.abc.Collection,
    collections.abc.Sequence,
    collections.abc.Set,
    collections.abc.MutableSequence,
    collections.abc.MutableSet,
    list,
    tuple,
    set,
    frozenset,
)
_MAPPINGS = (collections.abc.Mapping, collections.abc.MutableMapping, dict)


def _rule(annotation: Any) -> _Rule | None:
    """The check for one annotation; ``None`` when any value may pass."""
    if annotation is Any or annotation is object or isinstance(annotation, (str, typing.ForwardRef)):
        return None
    if isinstance(annotation, TypeVar):
        return _rule(annotation.__bound__) if annotation.__bound__ is not None else None
    if hasattr(annotation, "__supertype__"):  # NewType
        return _rule(annotation.__supertype__)
    if hasattr(annotation, "__value__") and not isinstance(annotation, type):  # a `type X = ...` alias
        return _rule(annotation.__value__)
    if annotation in _SIMPLE:
        return _SIMPLE[annotation]
    origin = typing.get_origin(annotation)
    arguments = typing.get_args(annotation)
    if origin is Union or origin is types.UnionType:
        return _union([_rule(a) for a in arguments])
    if origin is Literal:
        return _literal(arguments)
    if origin is typing.Annotated:
        return _rule(arguments[0])
    if origin in _MAPPINGS:
        return _mapping(*(arguments or (Any, Any)))
    if origin is tuple and arguments and arguments[-1] is not Ellipsis:
        return _fixed_tuple([_rule(a) for a in arguments])
    if origin in _ITERABLES or annotation in _ITERABLES:
        return _iterable(_rule(arguments[0]) if arguments else None)
    if origin is collections.abc.Callable or annotation is collections.abc.Callable:
        return _Rule(callable, "a function")
    if origin is type:
        return _Rule(lambda v: isinstance(v, type), "a class")
    cls = origin if isinstance(origin, type) else annotation
    if not isinstance(cls, type):
        return None
    if getattr(cls, "_is_protocol", False) and not getattr(cls, "_is_runtime_protocol", False):
        return None
    if issubclass(cls, enum.Enum):
        return _enum(cls)
    return _instance_rule((cls,), f"a {cls.__name__}")


def _union(rules: list[_Rule | None]) -> _Rule | None:
    if any(r is None for r in rules):
        return None
    checks = [r for r in rules if r is not None]
    allowed = " or ".join(dict.fromkeys(r.allowed for r in checks))
    classes = tuple(c for r in checks if r.classes is not None for c in r.classes)
    others = tuple(r.test for r in checks if r.classes is None)
    if not others:
        return _instance_rule(classes, allowed)
    if not classes:
        return _Rule(lambda v: any(test(v) for test in others), allowed)
    return _Rule(lambda v: isinstance(v, classes) or any(test(v) for test in others), allowed)


def _literal(values: tuple[Any, ...]) -> _Rule:
    allowed = {(type(v), v) for v in values}
    return _Rule(lambda v: (type(v), v) in allowed, "one of " + ", ".join(repr(v) for v in values))


def _enum(cls: type[enum.Enum]) -> _Rule:
    # a member, or the value of one (``Attribute.VALUE`` or its code)
    values = {(type(m.value), m.value) for m in cls}

    def test(value: object) -> bool:
        if isinstance(value, cls):
            return True
        try:
            return (type(value), value) in values
        except TypeError:  # unhashable
            return False

    return _Rule(test, f"a {cls.__name__}")


def _elements(value: object, element: _Rule | None) -> bool:
    if element is None or not isinstance(value, (list, tuple, set, frozenset)):
        return True  # an iterator is not consumed to check it
    test = element.test
    return all(test(v) for v in value)


def _iterable(element: _Rule | None) -> _Rule:
    def test(value: object) -> bool:
        kind = value.__class__
        if kind is list or kind is tuple:  # the common cases skip the ABC check
            return _elements(value, element)
        if isinstance(value, (str, bytes, bytearray)) or not isinstance(value, collections.abc.Iterable):
            return False
        return _elements(value, element)

    return _Rule(test, "a list" + (f" of {_plural(element.allowed)}" if element else ""))


def _fixed_tuple(rules: list[_Rule | None]) -> _Rule:
    def test(value: object) -> bool:
        if not isinstance(value, (tuple, list)) or len(value) != len(rules):
            return False
        return all(r is None or r.test(v) for r, v in zip(rules, value, strict=True))

    return _Rule(test, f"a tuple of {len(rules)} items")


def _mapping(key: Any, item: Any) -> _Rule:
    key_rule, item_rule = _rule(key), _rule(item)

    def test(value: object) -> bool:
        if not isinstance(value, collections.abc.Mapping):
            return False
        if key_rule is not None and not all(key_rule.test(k) for k in value):
            return False
        return item_rule is None or all(item_rule.test(v) for v in value.values())

    words = "a mapping"
    if key_rule is not None and item_rule is not None:
        words += f" of {_plural(key_rule.allowed)} to {_plural(item_rule.allowed)}"
    return _Rule(test, words)


def _plural(allowed: str) -> str:
    for article in ("a ", "an "):
        if allowed.startswith(article):
            return allowed[len(article) :] + ("" if " or " in allowed else "s")
    return allowed


def _timeout_rule(rule: _Rule | None) -> _Rule | None:
    """A ``timeout: float | None`` parameter: a finite number of seconds > 0."""
    if rule is None or rule.test(1.5) is False or rule.test("1") or rule.test(math.nan) is False:
        return rule
    optional = rule.test(None)
    return _Rule(
        (lambda v: v is None or _is_seconds(v)) if optional else _is_seconds,
        "a finite number of seconds > 0" + (" or None" if optional else ""),
    )


_SECRET_WORDS = ("password", "token", "secret", "auth", "credential", "key")


class _Checks:
    """The argument checks of one client method, made once."""

    __slots__ = ("keywords", "method", "positional")

    def __init__(self, function: Callable[..., Any], method: str) -> None:
        self.method = method
        parameters = list(inspect.signature(function).parameters.values())[1:]  # not self
        hints = _hints(function)
        #: (index, name, rule) of the positional parameters that are checked
        self.positional: tuple[tuple[int, str, _Rule], ...] = ()
        #: name -> rule of the keyword parameters that are checked
        self.keywords: dict[str, _Rule] = {}
        index = 0
        for parameter in parameters:
            if parameter.kind in (parameter.VAR_POSITIONAL, parameter.VAR_KEYWORD):
                continue
            rule = _rule(hints.get(parameter.name, Any))
            if parameter.name == "timeout" or parameter.name.endswith("_timeout"):
                rule = _timeout_rule(rule)
            if parameter.kind in (parameter.POSITIONAL_ONLY, parameter.POSITIONAL_OR_KEYWORD):
                if rule is not None:
                    self.positional += ((index, parameter.name, rule),)
                index += 1
            if rule is not None and parameter.kind is not parameter.POSITIONAL_ONLY:
                self.keywords[parameter.name] = rule

    def __bool__(self) -> bool:
        return bool(self.positional or self.keywords)

    def check(self, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
        count = len(args)
        for index, name, rule in self.positional:
            if index >= count:
                break
            if not rule.test(args[index]):
                self.fail(name, rule, args[index])
        if kwargs:
            keywords = self.keywords
            for key, value in kwargs.items():
                checked = keywords.get(key)
                if checked is not None and not checked.test(value):
                    self.fail(key, checked, value)

    def fail(self, name: str, rule: _Rule, value: object) -> None:
        shown = type(value).__name__
        if not any(word in name.lower() for word in _SECRET_WORDS):
            text = repr(value)
            shown += " " + (text if len(text) <= 40 else text[:37] + "...")
        raise UsageError(f"{self.method}: {name} must be {rule.allowed}, not {shown}; nothing was sent")


def _hints(function: Callable[..., Any]) -> dict[str, Any]:
    try:
        return typing.get_type_hints(function)
    except Exception:  # a name only known to type checkers: resolve what can be resolved
        found: dict[str, Any] = {}
        namespace = getattr(function, "__globals__", {})
        for name, annotation in getattr(function, "__annotations__", {}).items():
            try:
                found[name] = eval(annotation, namespace) if isinstance(annotation, str) else annotation
            except Exception:
                found[name] = Any
        return found


def caller_error(method: str, error: Exception) -> UsageError:
    """The [`UsageError`][iotws.UsageError] for a ``TypeError``/``ValueError``/``AttributeError``
    raised while a method's arguments were being turned into a command (nothing was sent).

    Examples:
        >>> caller_error("read", TypeError("unhashable type: 'list'"))
        UsageError("read: unhashable type: 'list'; nothing was sent")
    """
    return UsageError(f"{method}: {error}; nothing was sent")


CALLER_ERRORS = (TypeError, ValueError, AttributeError)
"""The errors that, raised while a command is being built from the caller's arguments, are the caller's mistakes."""


def argument_checks(function: Callable[..., Any], method: str) -> Callable[[tuple[Any, ...], dict[str, Any]], None]:
    """The annotation checks of method ``function`` (``self`` skipped) as one callable (what
    [`checked`][iotws.commands.checked] runs before a method's body), for code that checks arguments itself.

    Call it on first use, not at decoration time (annotations may name classes defined later).

    Examples:
        >>> def read(self, path: str, depth: int = 1) -> None: ...
        >>> check = argument_checks(read, "read")
        >>> check(("Group 1",), {"depth": 2})
        >>> check((7,), {})  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        iotws.errors.UsageError: read: path must be ...
    """
    checks = _Checks(function, method)
    return checks.check if checks else _no_checks


def _no_checks(args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
    return None


F = TypeVar("F", bound=Callable[..., Any])


def checked(method: F) -> F:
    """Check a client method's arguments against its annotations before its body runs.

    The method stays what it is: a plain function (an ``async def`` one stays a
    coroutine function) with its own name, docstring and signature, and type checkers
    see it unchanged. A wrong type raises [`UsageError`][iotws.UsageError] naming the
    method and the argument, and nothing is sent (``str``, ``int``, ``float``, ``bool``,
    enums, ``X | None``, lists and mappings of those, classes; ``timeout`` parameters
    must be a finite number of seconds > 0; ``Any`` and ``object`` are not checked).
    The checks are made from the annotations on the first call.

    Examples:
        >>> class Lamp:
        ...     @checked
        ...     def dim(self, level: int, *, timeout: float | None = None) -> int:
        ...         "Dim the lamp."
        ...         return level
        >>> Lamp().dim(3), Lamp.dim.__doc__, str(inspect.signature(Lamp.dim, eval_str=True))
        (3, 'Dim the lamp.', '(self, level: int, *, timeout: float | None = None) -> int')
        >>> Lamp().dim("3")
        Traceback (most recent call last):
        iotws.errors.UsageError: dim: level must be an int, not str '3'; nothing was sent
        >>> Lamp().dim(3, timeout=-1)  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        iotws.errors.UsageError: dim: timeout must be a finite number of seconds > 0 or None, not int -1; ...
        >>> Lamp().dim(3, level=4)
        Traceback (most recent call last):
        iotws.errors.UsageError: dim: Lamp.dim() got multiple values for argument 'level'; nothing was sent
    """
    name = method.__name__
    checks: Callable[[tuple[Any, ...], dict[str, Any]], None]

    def first_check(args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
        nonlocal checks  # made on the first call, then called directly
        checks = argument_checks(method, name)
        checks(args, kwargs)

    checks = first_check

    if inspect.iscoroutinefunction(method):

        @functools.wraps(method)
        async def run_async(self: Any, /, *args: Any, **kwargs: Any) -> Any:
            checks(args, kwargs)
            try:
                running = method(self, *args, **kwargs)  # binds the arguments only: the body runs below
            except TypeError as exc:
                raise caller_error(name, exc) from None
            return await running

        return typing.cast(F, run_async)

    @functools.wraps(method)
    def run(self: Any, /, *args: Any, **kwargs: Any) -> Any:
        checks(args, kwargs)
        try:
            return method(self, *args, **kwargs)
        except TypeError as exc:
            if _binds(method, self, args, kwargs):
                raise  # raised inside the method, not by the call
            raise caller_error(name, exc) from None

    return typing.cast(F, run)


def _binds(method: Callable[..., Any], owner: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> bool:
    """Whether ``method(owner, *args, **kwargs)`` fits the method's parameters."""
    try:
        inspect.signature(method).bind(owner, *args, **kwargs)
    except TypeError:
        return False
    return True
