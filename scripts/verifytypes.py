"""Measure how completely the public API is typed (``pyright --verifytypes``) and hold a floor.

Run it with the Python of an environment where iotws is installed as a wheel (not
editable: pyright's check needs the installed package and its ``py.typed``) and
pyright is available::

    .venv/bin/python scripts/verifytypes.py            # the six packages, floor 98 %
    .venv/bin/python scripts/verifytypes.py --floor 95 iotws.evok

It prints one line per package (score, symbols with unknown or ambiguous types) and
exits 1 if any score is below the floor.

Examples:
    >>> score({"typeCompleteness": {"completenessScore": 0.985}})
    0.985
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

PACKAGES = ("iotws", "iotws.globiots", "iotws.evok", "iotws.xentara", "iotws.oisp", "iotws.farmws")


def score(report: dict[str, Any]) -> float:
    """The completeness score (0 to 1) of one pyright ``--outputjson`` report."""
    return float(report["typeCompleteness"]["completenessScore"])


def verify(package: str) -> dict[str, Any]:
    """Run ``pyright --verifytypes`` on ``package`` in this interpreter's environment."""
    environment = dict(os.environ)
    bin_dir = str(Path(sys.executable).parent)
    environment["PATH"] = bin_dir + os.pathsep + environment.get("PATH", "")
    environment["VIRTUAL_ENV"] = sys.prefix
    done = subprocess.run(
        [os.path.join(bin_dir, "pyright"), "--verifytypes", package, "--ignoreexternal", "--outputjson"],
        capture_output=True,
        text=True,
        env=environment,
        cwd=Path.home(),  # outside the source tree, so the installed package is the one checked
        check=False,
    )
    try:
        report: dict[str, Any] = json.loads(done.stdout)
    except ValueError:
        raise SystemExit(f"verifytypes: pyright gave no report for {package}:\n{done.stdout}{done.stderr}") from None
    return report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--floor", type=float, default=98.0, help="the lowest score allowed, in percent")
    parser.add_argument("--show", action="store_true", help="list the symbols that are not fully known")
    parser.add_argument("packages", nargs="*", default=list(PACKAGES))
    args = parser.parse_args(argv)
    failed = 0
    for package in args.packages:
        report = verify(package)
        completeness = report["typeCompleteness"]
        percent = 100 * score(report)
        unknown = completeness.get("exportedSymbolCounts", {})
        mark = "ok" if percent >= args.floor else "BELOW FLOOR"
        print(
            f"{package:16} {percent:6.2f} %  known {unknown.get('withKnownType', '?')}, "
            f"ambiguous {unknown.get('withAmbiguousType', '?')}, unknown {unknown.get('withUnknownType', '?')}  {mark}"
        )
        if args.show:
            for symbol in completeness.get("symbols", []):
                if not symbol.get("isTypeKnown", True) or symbol.get("isTypeAmbiguous", False):
                    print(f"    {symbol['name']}")
                    for diagnostic in symbol.get("diagnostics", [])[:2]:
                        print(f"        {diagnostic['message'].splitlines()[0]}")
        failed += percent < args.floor
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
