"""`make bench`: run every benchmark and evaluation script in bench/ and print their tables.

Each `bench/<module>_*.py` is a standalone script that prints its own table of measured
figures. Pass `--quick` (BENCH_ARGS=--quick) for small sizes; `--only finance` to pick some.
"""

import argparse
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="small sizes, for a smoke run")
    parser.add_argument("--only", nargs="*", default=[], help="name prefixes, e.g. finance")
    args = parser.parse_args()
    scripts = sorted(
        p for p in HERE.glob("*.py") if p.name != "run.py" and not p.name.startswith("_")
    )
    if args.only:
        scripts = [p for p in scripts if any(p.stem.startswith(o) for o in args.only)]
    failures = []
    summary = []
    for script in scripts:
        print(f"\n{'=' * 78}\n{script.name}\n{'=' * 78}", flush=True)
        started = time.perf_counter()
        cmd = [sys.executable, str(script)] + (["--quick"] if args.quick else [])
        code = subprocess.call(cmd, cwd=HERE.parent)
        elapsed = time.perf_counter() - started
        summary.append((script.name, "ok" if code == 0 else f"exit {code}", f"{elapsed:.0f}s"))
        if code != 0:
            failures.append(script.name)
    print(f"\n{'=' * 78}\n{'script':<40} {'result':<10} {'time':>8}")
    for name, result, elapsed in summary:
        print(f"{name:<40} {result:<10} {elapsed:>8}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
