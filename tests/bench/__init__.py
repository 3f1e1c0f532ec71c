"""iotws benchmarks: ``python -m tests.bench [--quick] [--only ROWS]`` (what ``nox -s bench`` runs).

See :mod:`tests.bench.__main__` for the rows and docs/performance.md for how to read the table.
"""
