"""The API reference covers every public name, and no page shows a raw Sphinx role.

``scripts/check_reference.py`` checks a built site; ``.ci/run`` runs it on the site its
``mkdocs build --strict`` made (the one place the docs are built). Here it is tested on
made-up inventories and pages, so that it is seen to fail.
"""

from __future__ import annotations

import doctest
import importlib.util
import sys
import zlib
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("_check_reference", ROOT / "scripts" / "check_reference.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


check = _script()


def _complete_inventory() -> dict[str, object]:
    """An inventory with an entry of its own on the right page for every public name."""
    return {name: check.Entry("py:class", 1, f"{page}#{name}") for name, page in check.expected_entries().items()}


def _inventory_file(path: Path, entries: dict[str, object]) -> None:
    lines = "".join(f"{name} {entry.role} {entry.priority} {entry.uri} -\n" for name, entry in entries.items())
    header = b"# Sphinx inventory version 2\n# Project: iotws\n# Version: 0.0.0\n# zlib\n"
    path.write_bytes(header + zlib.compress(lines.encode()))


def test_script_examples() -> None:
    result = doctest.testmod(check, optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0 and result.failed == 0


def test_every_public_name_is_expected_on_its_package_page() -> None:
    expected = check.expected_entries()
    assert expected["iotws.UsageError"] == "api/iotws/"
    assert expected["iotws.globiots.Client"] == "api/globiots/"
    assert expected["iotws.xentara.Stage"] == "api/xentara/"
    assert expected["iotws.farmws.Event"] == "api/farmws/"
    assert "iotws.evok.UsageError" not in expected  # a re-export: documented once, as iotws.UsageError
    for client in ("Client", "AsyncClient"):  # inherited methods are documented on each client
        for method in ("events", "next_event", "on", "connect", "close"):
            assert expected[f"iotws.oisp.{client}.{method}"] == "api/oisp/"
    assert expected["iotws.farmws.AsyncDeviceClient.handle"] == "api/farmws/"
    assert len(expected) > 250


def test_a_complete_inventory_passes() -> None:
    assert check.missing_entries(_complete_inventory(), check.expected_entries()) == []


def test_a_missing_name_fails() -> None:
    inventory = _complete_inventory()
    del inventory["iotws.oisp.Pong"]
    assert check.missing_entries(inventory, check.expected_entries()) == ["iotws.oisp.Pong: not in the API reference"]


def test_a_method_documented_only_on_a_base_class_fails() -> None:
    inventory = _complete_inventory()
    inventory["iotws.xentara.AsyncClient.next_event"] = check.Entry(
        "py:method", 2, "api/iotws/#iotws.client.AsyncClientBase.next_event"
    )
    assert check.missing_entries(inventory, check.expected_entries()) == [
        "iotws.xentara.AsyncClient.next_event: documented at api/iotws/#iotws.client.AsyncClientBase.next_event,"
        " not on its own entry on api/xentara/"
    ]


def test_a_name_documented_elsewhere_fails() -> None:
    inventory = _complete_inventory()
    inventory["iotws.evok.Relay"] = check.Entry("py:class", 1, "evok/#iotws.evok.models.Relay")
    inventory["iotws.pack"] = check.Entry("py:function", 2, "api/iotws/#iotws.codec.pack")  # only an alias
    problems = check.missing_entries(inventory, check.expected_entries())
    assert problems == [
        "iotws.evok.Relay: documented at evok/#iotws.evok.models.Relay, not on its own entry on api/evok/",
        "iotws.pack: documented at api/iotws/#iotws.codec.pack, not on its own entry on api/iotws/",
    ]


@pytest.mark.parametrize(
    ("html", "found"),
    [
        ("<p>Raises :exc:<code>UsageError</code> first.</p>", [":exc:<code>UsageError</code>"]),
        ("<p>see :py:meth:`close`</p>", [":py:meth:`close`"]),
        ('<p>A <a href="#x"><code>Client</code></a> and <code>:class:</code> as code.</p>', []),
        ("<p>ratio 1:2, at 10:30 :00</p>", []),
    ],
)
def test_raw_roles_are_found_in_html(html: str, found: list[str]) -> None:
    assert check.raw_roles(html) == found


def test_check_site_reports_a_raw_role_and_a_missing_inventory(tmp_path: Path) -> None:
    missing = f"{tmp_path / 'objects.inv'}: missing (is this a site built by mkdocs with mkdocstrings?)"
    assert check.check_site(tmp_path) == [missing]
    _inventory_file(tmp_path / "objects.inv", _complete_inventory())
    (tmp_path / "api").mkdir()
    (tmp_path / "api" / "index.html").write_text("<p>fine</p>", encoding="utf-8")
    assert check.check_site(tmp_path) == []
    (tmp_path / "api" / "page.html").write_text("<p>See :class:<code>Client</code>.</p>", encoding="utf-8")
    assert check.check_site(tmp_path) == [f"{Path('api', 'page.html')}: raw Sphinx role :class:<code>Client</code>"]
    assert check.main([str(tmp_path)]) == 1
