"""Developer sessions: ``nox -s tests lint types verifytypes docs bench demo``."""

from __future__ import annotations

import glob

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
    """mypy --strict over the whole package, without and then with the optional extras."""
    session.install("-e", ".[test]", *STRICT, "mypy")
    session.run("pip", "uninstall", "--yes", "orjson", silent=True)
    session.run("mypy", "--strict", "-p", "iotws")
    session.run("mypy", "--strict", "tests/typing")
    session.install("orjson>=3.9")
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
    """Benchmarks: ratios against baselines measured in the same run; fails on a missed budget."""
    session.install(".[test,speedups]")
    scripts = sorted(glob.glob("tests/bench/bench_*.py"))
    if not scripts:
        session.error("no benchmarks found in tests/bench")
    failed = []
    for script in scripts:
        try:
            session.run("python", script)
        except nox.command.CommandFailed:
            failed.append(script)
    if failed:
        session.error(f"budgets missed in: {', '.join(failed)}")


@nox.session
def demo(session: nox.Session) -> None:
    """Every simulator with a client, side by side, for a few seconds."""
    session.install(".[simulators]")
    session.run("iotws", "demo", "--seconds", session.posargs[0] if session.posargs else "5")
