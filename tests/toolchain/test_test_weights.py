"""The table that orders test files for `make test` (scripts/test_weights.py)."""

from __future__ import annotations

import json
from pathlib import Path

from scripts.test_weights import TABLE, file_seconds

ROOT = Path(__file__).resolve().parents[2]


def test_file_seconds_sums_setup_call_and_teardown_per_file_longest_first() -> None:
    log = "\n".join(
        [
            "============================= slowest durations ==============================",
            "3.50s call     tests/a/test_one.py::test_x[sqlite]",
            "0.25s setup    tests/a/test_one.py::test_x[sqlite]",
            "9.00s call     tests/b/test_two.py::TestGroup::test_y",
            "1.00s teardown tests/a/test_one.py::test_z",
            "(12 durations < 0.005s hidden.  Use -vv to show these durations.)",
            "FAILED tests/c/test_three.py::test_w - 2.0s call in the message",
        ]
    )
    table = file_seconds(log)
    assert table == {"tests/b/test_two.py": 9.0, "tests/a/test_one.py": 4.8}
    assert list(table) == ["tests/b/test_two.py", "tests/a/test_one.py"]


def test_committed_table_names_existing_test_files_only() -> None:
    table = json.loads(TABLE.read_text(encoding="utf-8"))
    assert table, "tests/file_seconds.json is empty"
    missing = [path for path in table if not (ROOT / path).is_file()]
    assert not missing, f"renamed or removed: refresh with scripts/test_weights.py: {missing}"
    assert list(table.values()) == sorted(table.values(), reverse=True)
