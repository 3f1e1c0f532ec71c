"""JSON text as the servers send it: orjson when the ``speedups`` extra is installed, else the standard library.

Real servers write JSON with Python's ``json.dumps`` and so send the bare tokens
``NaN``, ``Infinity`` and ``-Infinity`` (EVOK does for a disconnected sensor).
orjson refuses them, so a frame orjson rejects is parsed again by the standard
library before it counts as malformed: the fast path stays fast, and every
decoder accepts what the servers send.

Examples:
    >>> loads('{"value": NaN, "max": Infinity}')
    {'value': nan, 'max': inf}
    >>> loads(b'[1, 2]')
    [1, 2]
    >>> loads("{oops")
    Traceback (most recent call last):
    ...
    json.decoder.JSONDecodeError: Expecting property name enclosed in double quotes: line 1 column 2 (char 1)
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

__all__ = ["DECODE_ERRORS", "FAST", "dumps", "loads"]

#: What :func:`loads` raises for text that is not JSON (``RecursionError`` for absurd nesting).
DECODE_ERRORS: tuple[type[BaseException], ...] = (ValueError, RecursionError, TypeError)

try:  # orjson is an optional speed-up (the ``speedups`` extra)
    import orjson  # type: ignore[import-not-found, unused-ignore]  # checked with and without it

    _fast_loads: Callable[[str | bytes], Any] | None = orjson.loads
    _FAST_ERRORS: tuple[type[BaseException], ...] = (orjson.JSONDecodeError, ValueError, RecursionError, TypeError)
except ImportError:  # pragma: no cover - exercised only without orjson
    _fast_loads = None
    _FAST_ERRORS = ()

#: Whether orjson does the parsing.
FAST = _fast_loads is not None


def loads(data: str | bytes | bytearray | memoryview) -> Any:
    """Parse JSON text; ``NaN``, ``Infinity`` and ``-Infinity`` are accepted with every decoder.

    Raises one of :data:`DECODE_ERRORS` for text that is not JSON.

    Examples:
        >>> loads('[-Infinity]')
        [-inf]
    """
    if _fast_loads is not None:
        try:
            return _fast_loads(data if isinstance(data, (str, bytes)) else bytes(data))
        except _FAST_ERRORS:
            pass  # not JSON to orjson: maybe the non-standard tokens; the standard library decides
    return json.loads(data if isinstance(data, (str, bytes, bytearray)) else bytes(data))


def dumps(data: Any, *, allow_nan: bool = True) -> str:
    """Compact JSON text of ``data`` (non-ASCII kept as is).

    With ``allow_nan=False`` a NaN or infinite float raises ``ValueError`` instead of
    being written as the non-standard token.

    Examples:
        >>> dumps({"a": 1, "t": "é"})
        '{"a":1,"t":"é"}'
        >>> dumps({"v": float("nan")})
        '{"v":NaN}'
    """
    return json.dumps(data, separators=(",", ":"), ensure_ascii=False, allow_nan=allow_nan)
