"""Add lock entries for anvil's platform packages that the registry mirror does not serve.

`@foundry-rs/anvil@1.5.1` lists five platform binaries as optionalDependencies, but the
registry we reach only serves `@foundry-rs/anvil-linux-amd64@1.5.1`. `npm install` then writes
a lock without the other four and `npm ci` refuses it as out of sync. A stub entry carrying
`os`/`cpu` lets `npm ci` validate the lock and skip the package on a non-matching platform.
Run by `make npm-lock` after `npm install --package-lock-only`; idempotent.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

LOCK = Path(__file__).resolve().parent.parent / "package-lock.json"

# Suffix of a foundry platform package -> (npm os, npm cpu).
PLATFORMS: dict[str, tuple[str, str]] = {
    "darwin-amd64": ("darwin", "x64"),
    "darwin-arm64": ("darwin", "arm64"),
    "linux-amd64": ("linux", "x64"),
    "linux-arm64": ("linux", "arm64"),
    "win32-amd64": ("win32", "x64"),
}


def stub_entry(name: str, version: str, dev: bool) -> dict[str, Any] | None:
    suffix = name.rsplit("-", 2)[-2:]
    platform = PLATFORMS.get("-".join(suffix))
    if platform is None:
        return None
    os_name, cpu = platform
    entry: dict[str, Any] = {"version": version, "cpu": [cpu], "optional": True, "os": [os_name]}
    if dev:
        entry["dev"] = True
    return entry


def add_platform_stubs(lock: dict[str, Any]) -> list[str]:
    """Add the missing foundry platform packages to `lock` in place; returns their names."""
    packages: dict[str, dict[str, Any]] = lock["packages"]
    added: list[str] = []
    for path, meta in list(packages.items()):
        for dep, version in meta.get("optionalDependencies", {}).items():
            key = f"node_modules/{dep}"
            if key in packages or not dep.startswith("@foundry-rs/"):
                continue
            entry = stub_entry(dep, version, bool(meta.get("dev")))
            if entry is None:
                raise SystemExit(f"{path}: no platform known for optional dependency {dep}")
            packages[key] = entry
            added.append(dep)
    return sorted(added)


def main(argv: list[str] | None = None) -> int:
    path = Path(argv[0]) if argv else LOCK
    lock = json.loads(path.read_text())
    added = add_platform_stubs(lock)
    if added:
        path.write_text(json.dumps(lock, indent=2) + "\n")
    print("added lock stubs: " + (", ".join(added) or "none"))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
