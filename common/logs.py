"""Logging helpers: one logger per package, ``NullHandler`` only, frames truncated.

Examples:
    >>> describe_frame('{"cmd": "all"}')
    'text 14 chars: \\'{"cmd": "all"}\\''
"""

from __future__ import annotations

import logging

from iotws.errors import excerpt

__all__ = ["FRAME_LOG_LIMIT", "describe_frame", "package_logger"]

FRAME_LOG_LIMIT = 160
"""How many characters of a frame a DEBUG line shows."""


def package_logger(name: str) -> logging.Logger:
    """Return the logger of package ``name`` with a ``NullHandler`` attached once.

    Examples:
        >>> package_logger("iotws.evok").name
        'iotws.evok'
    """
    logger = logging.getLogger(name)
    if not any(isinstance(h, logging.NullHandler) for h in logger.handlers):
        logger.addHandler(logging.NullHandler())
    return logger


def describe_frame(frame: str | bytes) -> str:
    """A short, truncated description of a frame for DEBUG logs."""
    kind = "text" if isinstance(frame, str) else "binary"
    unit = "chars" if isinstance(frame, str) else "bytes"
    return f"{kind} {len(frame)} {unit}: {excerpt(frame, FRAME_LOG_LIMIT)}"
