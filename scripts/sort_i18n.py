"""Rewrite `api/web/i18n.json` in its one canonical form: languages and keys sorted, one key a
line, the same indentation as ever.

Everyone adds keys to the one table at the same time; sorted, two branches that add different
keys touch different lines and merge without a conflict. `tests/e2e/test_web_i18n.py` fails
on a table that is not in this form. Run after adding keys (`make sort-i18n`).

Usage: sort_i18n.py [--check] [path]
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

I18N_FILE = Path(__file__).resolve().parent.parent / "api" / "web" / "i18n.json"


def canonical_text(table: dict[str, dict[str, str]]) -> str:
    """The table as the file must hold it."""
    # indent=1 and no final newline: the form the file has had since it was written, so that
    # sorting it did not rewrite every line under other branches' feet.
    return json.dumps(table, ensure_ascii=False, indent=1, sort_keys=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="exit 1 if the file is not sorted")
    parser.add_argument("path", nargs="?", type=Path, default=I18N_FILE)
    args = parser.parse_args(argv)
    text = args.path.read_text(encoding="utf-8")
    wanted = canonical_text(json.loads(text))
    if text == wanted:
        return 0
    if args.check:
        print(f"{args.path} is not sorted: run `make sort-i18n`", file=sys.stderr)
        return 1
    args.path.write_text(wanted, encoding="utf-8")
    print(f"sorted {args.path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
