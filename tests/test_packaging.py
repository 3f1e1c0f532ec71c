"""What installing iotws does to an environment: one import name, lean imports, a complete wheel and sdist."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tarfile
import textwrap
import zipfile
from pathlib import Path

import pytest

import iotws

ROOT = Path(__file__).resolve().parents[1]
PROTOCOLS = iotws.PROTOCOLS
#: Modules a sync-only ``import iotws.<p>; iotws.<p>.Client`` must not load.
HEAVY = ("aiohttp", "aiohttp.web", "construct", "cbor2", "hypothesis", "importlib.metadata", "asyncio")
#: The top-level names the repository folders had before they became iotws subpackages.
OLD_NAMES = ("common", *PROTOCOLS)


def _python(code: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, cwd=cwd, check=False
    )


def _loaded_after(statement: str) -> set[str]:
    done = _python(f"import sys, json\n{statement}\nprint(json.dumps(sorted(sys.modules)))")
    assert done.returncode == 0, done.stderr
    return set(json.loads(done.stdout))


# -- lean imports --------------------------------------------------------------------------


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_a_sync_client_import_loads_nothing_heavy(protocol: str) -> None:
    loaded = _loaded_after(f"import iotws.{protocol}\niotws.{protocol}.Client")
    heavy = set(HEAVY) - ({"cbor2"} if protocol == "xentara" else set())
    assert sorted(loaded & heavy) == []
    assert [name for name in loaded if name.endswith((".simulator", ".testing", ".fixtures"))] == []
    assert f"iotws.{protocol}.client" in loaded  # the check looks at the right interpreter


def test_the_lazy_names_load_their_module_on_first_use() -> None:
    loaded = _loaded_after("import iotws.evok\niotws.evok.AsyncClient\niotws.evok.EvokSimulator")
    assert "iotws.evok.simulator" in loaded
    assert "aiohttp.web" in loaded


def test_import_iotws_alone_loads_only_its_version_and_loggers() -> None:
    loaded = _loaded_after("import iotws")
    assert sorted(name for name in loaded if name.startswith("iotws")) == [
        "iotws",
        "iotws._version",
        "iotws.errors",
        "iotws.lazy",
        "iotws.logs",
    ]
    assert "attr" not in loaded


def test_every_module_imports_under_iotws_only() -> None:
    code = """
import importlib, pkgutil, sys, json
import iotws
names = [info.name for info in pkgutil.walk_packages(iotws.__path__, prefix="iotws.")]
for name in names:
    importlib.import_module(name)
print(json.dumps({"imported": names, "modules": sorted(sys.modules)}))
"""
    done = _python(code)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert len(result["imported"]) > 60
    assert [name for name in result["modules"] if name.split(".")[0] in OLD_NAMES] == []


def test_lazy_names_are_listed_for_tab_completion() -> None:
    import iotws.evok
    import iotws.oisp

    assert {"EvokSimulator", "BoardConfig"} <= set(dir(iotws.evok))
    assert {"Gateway", "OispSimulator"} <= set(dir(iotws.oisp))
    assert {"DataType", "pack", "ReconnectPolicy"} <= set(dir(iotws))
    with pytest.raises(AttributeError, match="has no attribute 'NoSuchThing'"):
        _ = iotws.evok.NoSuchThing  # type: ignore[attr-defined]


# -- command lines -------------------------------------------------------------------------


def test_python_dash_m_iotws() -> None:
    done = subprocess.run([sys.executable, "-m", "iotws", "--help"], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("usage: python -m iotws ")
    assert "demo" in done.stdout


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_python_dash_m_protocol(protocol: str) -> None:
    done = subprocess.run(
        [sys.executable, "-m", f"iotws.{protocol}", "--help"], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith(f"usage: python -m iotws.{protocol} ")
    assert "simulate" in done.stdout


# -- living next to other packages ----------------------------------------------------------


def test_a_project_with_its_own_common_evok_and_oisp_packages(tmp_path: Path) -> None:
    for name in ("common", "evok", "oisp"):
        package = tmp_path / name
        package.mkdir()
        (package / "__init__.py").write_text(f"WHO = 'the project own {name}'\n")
    (tmp_path / "common" / "backoff.py").write_text("POLICY = 'the project own backoff'\n")
    code = """
import common, common.backoff, evok, oisp
import iotws.evok, iotws.oisp
from iotws.evok import EvokSimulator, Client
assert common.WHO == "the project own common" and evok.WHO == "the project own evok", (common, evok)
assert oisp.WHO == "the project own oisp" and common.backoff.POLICY == "the project own backoff"
with EvokSimulator().run() as sim, Client(sim.url()) as client:
    assert client.set_relay("2_01", True).value == 1
print("both live side by side")
"""
    done = _python(code, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "both live side by side"

    (tmp_path / "test_project.py").write_text(
        textwrap.dedent(
            """
            import common, evok, oisp
            import iotws.oisp

            def test_own_packages_and_iotws_fixtures(evok_client):
                assert (common.WHO, evok.WHO, oisp.WHO) == (
                    "the project own common", "the project own evok", "the project own oisp")
                assert evok_client.state.device("relay", "2_01") is not None
                assert iotws.oisp.Client.__module__ == "iotws.oisp.client"
            """
        )
    )
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "test_project.py"],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=tmp_path,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert "1 passed" in run.stdout


# -- the built distributions ---------------------------------------------------------------


def _source_copy(tmp_path: Path) -> Path:
    """The project's sources without build products, so building never touches the working tree."""
    ignore = shutil.ignore_patterns(
        ".git", ".venv", "venv", "build", "dist", "site", ".nox", "*.egg-info", "__pycache__", ".*_cache", ".hypothesis"
    )
    target = tmp_path / "src"
    shutil.copytree(ROOT, target, ignore=ignore)
    return target


def _build(tmp_path: Path, hook: str) -> tuple[Path, str]:
    source = _source_copy(tmp_path)
    out = tmp_path / "dist"
    code = f"from setuptools import build_meta; print(build_meta.{hook}({str(out)!r}))"
    done = subprocess.run(
        [sys.executable, "-W", "always", "-c", code], capture_output=True, text=True, timeout=300, cwd=source
    )
    assert done.returncode == 0, done.stdout + done.stderr
    name = done.stdout.strip().splitlines()[-1]
    return out / name, done.stdout + done.stderr


def test_the_wheel_installs_one_import_name(tmp_path: Path) -> None:
    wheel, log = _build(tmp_path, "build_wheel")
    assert "Deprecat" not in log, log
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
        dist_info = next(name.split("/")[0] for name in names if ".dist-info/" in name)
        assert {name.split("/")[0] for name in names} == {"iotws", dist_info}
        assert archive.read(f"{dist_info}/top_level.txt").decode().split() == ["iotws"]
        metadata = archive.read(f"{dist_info}/METADATA").decode()
    for package in ("iotws", *(f"iotws/{p}" for p in PROTOCOLS)):
        assert f"{package}/py.typed" in names
        assert f"{package}/__init__.py" in names
    assert any(name.startswith(f"{dist_info}/licenses/LICENSE") for name in names)
    assert "License-Expression: MIT" in metadata
    assert f"Version: {iotws.__version__}" in metadata
    assert "Project-URL: Documentation" in metadata and "Project-URL: Source" in metadata
    assert "iotws/__main__.py" in names


def test_the_sdist_carries_what_the_tests_and_docs_need(tmp_path: Path) -> None:
    sdist, log = _build(tmp_path, "build_sdist")
    assert "Deprecat" not in log, log
    with tarfile.open(sdist) as archive:
        names = {name.split("/", 1)[1] for name in archive.getnames() if "/" in name}
    for needed in (
        "LICENSE",
        "README.md",
        "pyproject.toml",
        "mkdocs.yml",
        "noxfile.py",
        "tests/conftest.py",
        "tests/test_packaging.py",
        "tests/evok/vendor_frames.jsonl",
        "docs/index.md",
        "docs/testing.md",
        "common/__init__.py",
        "evok/py.typed",
    ):
        assert needed in names, needed
