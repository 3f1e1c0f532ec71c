"""Check a built docs site: every public name has an API reference entry, and no raw Sphinx role is left.

``mkdocs build --strict`` already fails on a cross-reference that does not resolve; this
script checks what the build cannot see:

* every name in the ``__all__`` of ``iotws``, of each protocol package and of ``iotws.bridge`` has an entry
  of its own in the site's object inventory (``objects.inv``), on that package's API
  reference page (``api/<package>/``); a name a protocol package re-exports from the
  shared layer (``iotws.evok.UsageError``) has its entry on ``api/iotws/``;
* every public method and property of every client (``Client``, ``AsyncClient``...) has
  an entry under the client's own name, inherited ones included (``events``,
  ``next_event``, ``on`` are documented on each client, not only on its base class);
* no page shows a Sphinx role as text (``:class:`X```, ``:meth:``...): a docstring
  written for Sphinx instead of as a cross-reference.

Usage::

    python scripts/check_reference.py SITE_DIR    # exit 1 and list the problems

CI runs it on the site ``mkdocs build --strict`` wrote; ``tests/test_api_reference.py``
runs it too when mkdocs is installed.

Examples:
    >>> inventory = parse_inventory(
    ...     b"# Sphinx inventory version 2\\n# Project: p\\n# Version: 0\\n# zlib\\n"
    ...     + zlib.compress(b"iotws.pack py:function 1 api/iotws/#iotws.codec.pack -\\n")
    ... )
    >>> inventory["iotws.pack"]
    Entry(role='py:function', priority=1, uri='api/iotws/#iotws.codec.pack')
    >>> raw_roles("<p>See :class:<code>Client</code> and <code>:attr:</code> docs.</p>")
    [':class:<code>Client</code>']
"""

from __future__ import annotations

import importlib
import inspect
import re
import sys
import zlib
from pathlib import Path
from typing import NamedTuple

PROTOCOLS = ("globiots", "evok", "xentara", "oisp", "farmws")

#: A Sphinx role as Markdown renders it: the role, then the inline code of its target.
_RAW_ROLE = re.compile(
    r":(?:py:)?(?:class|meth|func|attr|exc|data|mod|obj|const|ref|doc):(?:<code>[^<]*</code>|`[^`]+`)"
)


class Entry(NamedTuple):
    """One object of the inventory: its role, priority (1: rendered there, 2: an alias) and URI."""

    role: str
    priority: int
    uri: str


def parse_inventory(data: bytes) -> dict[str, Entry]:
    """The entries of a Sphinx (version 2) object inventory, by name."""
    lines = data.split(b"\n", 4)
    if len(lines) < 5 or not lines[0].startswith(b"# Sphinx inventory version 2"):
        raise ValueError("not a Sphinx inventory (version 2)")
    entries: dict[str, Entry] = {}
    for line in zlib.decompress(lines[4]).decode("utf-8").splitlines():
        match = re.match(r"(\S+)\s+(\S+)\s+(-?\d+)\s+(\S+)\s+(.*)$", line)
        if match:
            name, role, priority, uri, _ = match.groups()
            entries[name] = Entry(role, int(priority), uri.replace("$", name) if uri.endswith("$") else uri)
    return entries


def expected_entries() -> dict[str, str]:
    """Each public name's inventory name -> the page prefix its entry must be on.

    A protocol package's own names are documented on its page; the shared names it
    re-exports are documented once, on the iotws page, under their ``iotws.`` name.
    """
    from iotws.client import AsyncClientBase, SyncClientBase

    shared = importlib.import_module("iotws")
    expected = {f"iotws.{name}": "api/iotws/" for name in shared.__all__}
    for protocol in PROTOCOLS:
        package = importlib.import_module(f"iotws.{protocol}")
        for name in package.__all__:
            value = getattr(package, name)
            if name in shared.__all__ and getattr(shared, name) is value:
                continue  # re-exported: its entry is iotws.<name> (and iotws.<protocol>.<name> is an alias of it)
            expected[f"iotws.{protocol}.{name}"] = f"api/{protocol}/"
            # a client exported under a second name (farmws' Client is its DashboardClient) has its
            # members listed under its own name
            is_client = isinstance(value, type) and issubclass(value, (SyncClientBase, AsyncClientBase))
            if is_client and value.__name__ == name:
                for member in client_members(value):
                    expected[f"iotws.{protocol}.{name}.{member}"] = f"api/{protocol}/"
    bridge = importlib.import_module("iotws.bridge")
    expected.update({f"iotws.bridge.{name}": "api/bridge/" for name in bridge.__all__})
    return expected


def client_members(client: type) -> list[str]:
    """The public methods and properties of a client class, inherited ones included.

    Examples:
        >>> from iotws.globiots import Client
        >>> {"events", "next_event", "on", "subscribe", "connected"} <= set(client_members(Client))
        True
    """
    members = []
    for name in dir(client):
        if name.startswith("_"):
            continue
        value = inspect.getattr_static(client, name)
        if isinstance(value, property | staticmethod | classmethod) or inspect.isfunction(value):
            members.append(name)
    return members


def missing_entries(inventory: dict[str, Entry], expected: dict[str, str]) -> list[str]:
    """What is wrong with the inventory, one line per public name (empty: every name is there)."""
    problems = []
    for name, page in sorted(expected.items()):
        entry = inventory.get(name)
        if entry is None:
            problems.append(f"{name}: not in the API reference")
        elif entry.priority != 1 or not entry.uri.startswith(page):
            problems.append(f"{name}: documented at {entry.uri}, not on its own entry on {page}")
    return problems


def raw_roles(html: str) -> list[str]:
    """The Sphinx roles an HTML page shows as text."""
    return _RAW_ROLE.findall(html)


def check_site(site: Path) -> list[str]:
    """Every problem of the built site at ``site``, one line each (empty: none)."""
    inventory_file = site / "objects.inv"
    if not inventory_file.is_file():
        return [f"{inventory_file}: missing (is this a site built by mkdocs with mkdocstrings?)"]
    problems = missing_entries(parse_inventory(inventory_file.read_bytes()), expected_entries())
    for page in sorted(site.rglob("*.html")):
        for role in raw_roles(page.read_text(encoding="utf-8")):
            problems.append(f"{page.relative_to(site)}: raw Sphinx role {role}")
    return problems


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: python scripts/check_reference.py SITE_DIR", file=sys.stderr)
        return 2
    problems = check_site(Path(argv[0]))
    for problem in problems:
        print(f"check_reference: {problem}", file=sys.stderr)
    if problems:
        return 1
    print("check_reference: every public name has its API reference entry; no raw Sphinx role")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
