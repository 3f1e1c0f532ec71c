"""``python -m iotws``: the same command line as the ``iotws`` script.

Examples:
    >>> from iotws.cli import main
    >>> main(["--version"])  # doctest: +ELLIPSIS
    iotws ...
    0
"""

import sys

from iotws.cli import main

if __name__ == "__main__":
    sys.exit(main(prog="python -m iotws"))
