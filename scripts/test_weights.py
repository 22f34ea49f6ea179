"""Write tests/file_seconds.json: each test file's measured time, from a pytest log.

`make test` hands whole test files to its workers (`--dist loadfile`), longest first, so that
no long file starts last and leaves the other workers idle (tests/conftest.py orders them by
this table). Refresh it after adding or slowing down tests:

    .venv/bin/pytest -n 3 --dist loadfile --durations=0 > /tmp/durations.log
    .venv/bin/python scripts/test_weights.py /tmp/durations.log

A file missing from the table counts as short; a stale table costs time, never a result.
"""

from __future__ import annotations

import argparse
import json
import re
from collections import defaultdict
from pathlib import Path

TABLE = Path(__file__).resolve().parent.parent / "tests" / "file_seconds.json"
_DURATION = re.compile(r"^([0-9.]+)s\s+(?:call|setup|teardown)\s+([^:\s]+)::")


def file_seconds(log: str) -> dict[str, float]:
    """Seconds per test file (setup, call and teardown summed), longest first."""
    totals: defaultdict[str, float] = defaultdict(float)
    for line in log.splitlines():
        match = _DURATION.match(line)
        if match:
            totals[match.group(2)] += float(match.group(1))
    ranked = sorted(totals.items(), key=lambda entry: -entry[1])
    return {path: round(seconds, 1) for path, seconds in ranked}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("log", type=Path, help="output of pytest --durations=0")
    args = parser.parse_args(argv)
    table = file_seconds(args.log.read_text(encoding="utf-8", errors="replace"))
    if not table:
        parser.error(f"{args.log} holds no --durations=0 lines")
    TABLE.write_text(json.dumps(table, indent=1) + "\n", encoding="utf-8")
    print(f"{len(table)} files, {sum(table.values()):.0f} s in all -> {TABLE}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
