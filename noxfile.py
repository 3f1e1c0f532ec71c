"""Developer sessions: ``nox -s tests lint types verifytypes docs bench demo``."""

from __future__ import annotations

import nox

nox.options.sessions = ["tests", "lint", "types", "verifytypes", "docs"]
nox.options.reuse_existing_virtualenvs = True

#: The repository folders that hold the package (``iotws`` <- ``common/``, ``iotws.evok`` <- ``evok/``...).
FOLDERS = ["common", "globiots", "evok", "xentara", "oisp", "farmws"]
#: Type checkers see the package by its import name, through a strict editable install (a link
#: tree under build/, re-made by each install): folder paths would make mypy see a module ``common``.
STRICT = ["--config-settings", "editable_mode=strict"]


@nox.session
def tests(session: nox.Session) -> None:
    """The whole test suite (the README's test command runs the same)."""
    session.install(".[test]")
    session.run("python", "-m", "pytest", *session.posargs)


@nox.session
def lint(session: nox.Session) -> None:
    """ruff over the packages, the tests and this file."""
    session.install("ruff")
    session.run("ruff", "check", *FOLDERS, "tests", "scripts", "noxfile.py")
    session.run("python", "scripts/unasync.py", "--check")


@nox.session
def types(session: nox.Session) -> None:
    """mypy --strict and pyright over the package, the typing suite and the docs' examples."""
    session.install("-e", ".[test]", *STRICT, "mypy")
    session.run("mypy", "--strict", "-p", "iotws")
    session.run("mypy", "--strict", "tests/typing")
    session.install("pyright")
    examples = session.create_tmp()
    session.run("python", "scripts/doc_examples.py", examples)
    session.run("mypy", "--strict", examples)
    python = f"{session.virtualenv.location}/bin/python"
    session.run("pyright", "--pythonpath", python, "tests/typing")
    session.run("pyright", "--pythonpath", python, "-p", "pyproject.toml", examples)


@nox.session
def verifytypes(session: nox.Session) -> None:
    """pyright --verifytypes on the installed wheel: every package's score must be >= 98 %."""
    session.install(".", "pyright")
    session.run("python", "scripts/verifytypes.py", *session.posargs)


@nox.session
def docs(session: nox.Session) -> None:
    """Build the documentation site strictly (warnings fail)."""
    session.install(".[docs]")
    session.run("mkdocs", "build", "--strict", "--site-dir", "site")


@nox.session
def bench(session: nox.Session) -> None:
    """Benchmarks, one table (docs/performance.md): ``nox -s bench [-- --only 2,6] [-- --quick]``.

    Every server runs in its own process; every row is a ratio to a baseline measured in the
    same run; the session fails when a row misses its budget on the median. The PyPI peer
    evok-ws-client is a bench-only dependency; orjson is removed so the default install is measured.
    """
    session.install(".[test]", "evok-ws-client==0.0.4")
    session.run("pip", "uninstall", "--yes", "orjson", silent=True)
    session.run("python", "-m", "tests.bench", *session.posargs)


@nox.session
def demo(session: nox.Session) -> None:
    """Every simulator with a client, side by side, for a few seconds."""
    session.install(".[simulators]")
    session.run("iotws", "demo", "--seconds", session.posargs[0] if session.posargs else "5")
