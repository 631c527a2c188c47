"""Run every benchmark module of this package (`bench_*.py`) and print its results."""

from __future__ import annotations

import importlib
import pkgutil
import sys
import time
from pathlib import Path


def main(selected: list[str]) -> int:
    names = sorted(
        info.name
        for info in pkgutil.iter_modules([str(Path(__file__).parent)])
        if info.name.startswith("bench_") and (not selected or info.name in selected)
    )
    if not names:
        print("No benchmark modules found.")
        return 1
    for name in names:
        module = importlib.import_module(f"bench.{name}")
        started = time.perf_counter()
        lines = module.run()
        print(f"== {name} ({time.perf_counter() - started:.1f} s)")
        for line in lines:
            print(f"   {line}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
