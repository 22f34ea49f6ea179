"""package-lock.json stays acceptable to `npm ci` although the registry lacks some binaries."""

from __future__ import annotations

import json
from typing import Any

from scripts.compile_contracts import REPO_ROOT
from scripts.fix_npm_lock import add_platform_stubs


def _lock_with_anvil(*present: str) -> dict[str, Any]:
    platforms = ["darwin-amd64", "darwin-arm64", "linux-amd64", "linux-arm64", "win32-amd64"]
    packages: dict[str, Any] = {
        "node_modules/@foundry-rs/anvil": {
            "version": "1.5.1",
            "dev": True,
            "optionalDependencies": {f"@foundry-rs/anvil-{p}": "1.5.1" for p in platforms},
        }
    }
    for platform in present:
        packages[f"node_modules/@foundry-rs/anvil-{platform}"] = {"version": "1.5.1"}
    return {"packages": packages}


def test_add_platform_stubs_adds_missing_platforms_once() -> None:
    lock = _lock_with_anvil("linux-amd64")
    assert add_platform_stubs(lock) == [
        "@foundry-rs/anvil-darwin-amd64",
        "@foundry-rs/anvil-darwin-arm64",
        "@foundry-rs/anvil-linux-arm64",
        "@foundry-rs/anvil-win32-amd64",
    ]
    stub = lock["packages"]["node_modules/@foundry-rs/anvil-darwin-arm64"]
    assert stub == {
        "version": "1.5.1",
        "cpu": ["arm64"],
        "optional": True,
        "os": ["darwin"],
        "dev": True,
    }
    assert add_platform_stubs(lock) == []


def test_committed_npm_lock_lists_every_optional_dependency() -> None:
    packages = json.loads((REPO_ROOT / "package-lock.json").read_text())["packages"]
    missing = [
        dep
        for meta in packages.values()
        for dep in meta.get("optionalDependencies", {})
        if f"node_modules/{dep}" not in packages
        and not any(key.endswith(f"/node_modules/{dep}") for key in packages)
    ]
    assert missing == [], "run `make npm-lock`"
