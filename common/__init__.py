"""Shared plumbing of iotws: codec, errors, sans-I/O base, drivers, simulator base, CLI.

Users import from the protocol packages (``globiots``, ``evok``, ``xentara``,
``oisp``, ``farmws``), which re-export what they need from here.

Examples:
    >>> import common
    >>> common.__version__
    '0.1.0'
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("iotws")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0.1.0"

#: The protocol packages, in the order the CLI and the demo list them.
PROTOCOLS = ("globiots", "evok", "xentara", "oisp", "farmws")

# Every iotws logger gets a NullHandler up front: the library prints nothing unless the
# application configures logging (then frames at DEBUG, lifecycle at INFO, problems at WARNING).
from common.logs import package_logger  # noqa: E402

for _name in ("common", *PROTOCOLS):
    package_logger(_name)
del _name
