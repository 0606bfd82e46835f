"""Seconds to load each data set present (fresh process per measurement), printed as a table.

    DLHW_DATA_DIR=../shared/data python benchmarks/data_load.py
"""

from __future__ import annotations

import subprocess
import sys

CODE = ("import time; t=time.perf_counter(); from dlhw.data import load; "
        "ds=load('{name}'); print(time.perf_counter()-t)")


def main() -> None:
    print(f"{'data set':<16}{'run 1 (s)':>10}{'run 2 (s)':>10}{'run 3 (s)':>10}")
    for name in ("fashion-mnist", "ames"):
        times = []
        for _ in range(3):
            out = subprocess.run([sys.executable, "-c", CODE.format(name=name)], capture_output=True,
                                 text=True, check=True)
            times.append(float(out.stdout.strip()))
        print(f"{name:<16}" + "".join(f"{t:>10.3f}" for t in times))


if __name__ == "__main__":
    main()
