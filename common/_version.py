"""The version of iotws, in one place: setuptools reads it at build time, so importing iotws needs no metadata lookup.

Examples:
    >>> from iotws._version import __version__
    >>> __version__
    '0.1.0'
"""

__version__ = "0.1.0"
