"""Copy the web pages' third-party ES modules from node_modules into `api/web/static/vendor/`.

The pages are plain ES modules served by the app, with no bundler and a strict CSP
(`script-src 'self'`), so a library they use must be served by us. Each package in `PACKAGES`
is copied byte for byte: its entry modules, every module they import (relative imports,
followed), its licence and a `MANIFEST.json` naming the npm package, its version and the
SHA-256 of every copied file. The copy is committed (the Python wheel ships it with `api/`);
`tests/toolchain/test_vendor_web.py` fails when it no longer equals node_modules, so a pin
moved in package.json without `make vendor-web`, or a hand edit of a vendored file, is caught.

A package whose modules import another package by name (a bare specifier such as
`"@noble/hashes/sha2.js"`) is refused: a browser resolves those only through an import map,
which the CSP would have to allow.

Usage: vendor_web.py [--check]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import posixpath
import re
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
VENDOR_DIR = Path("api") / "web" / "static" / "vendor"
MANIFEST = "MANIFEST.json"


@dataclass(frozen=True)
class VendoredPackage:
    """One npm package the pages import, and which of its modules they need."""

    npm_name: str
    # Folder under VENDOR_DIR; the pages import e.g. `../vendor/noble-hashes/sha2.js`.
    directory: str
    entry_modules: tuple[str, ...]
    license_file: str = "LICENSE"


PACKAGES: tuple[VendoredPackage, ...] = (
    # SHA-256 (file hashing, streamed) and Keccak-256 (commitments, contribution ids).
    VendoredPackage("@noble/hashes", "noble-hashes", ("sha2.js", "sha3.js", "utils.js")),
    # RFC 8785 JSON Canonicalization (contribution cards, dispute reasons), by two of the RFC's
    # authors: the browser hashes the same bytes as ledger.domain.canonical.
    VendoredPackage("canonicalize", "canonicalize", ("lib/canonicalize.js",)),
)

# Static imports and re-exports at the start of a line (module code as npm ships it; an
# example inside a JSDoc comment starts with `*` and is not taken), side-effect imports, and
# dynamic import(), which is refused rather than guessed at.
_FROM_IMPORT_RE = re.compile(r"""^[ \t]*(?:import|export)\b[^'"`;]*?\bfrom\s*(["'])(.+?)\1""", re.M)
_BARE_IMPORT_RE = re.compile(r"""^[ \t]*import\s*(["'])(.+?)\1""", re.M)
_DYNAMIC_IMPORT_RE = re.compile(r"""^[^*/\n]*\bimport\s*\(""", re.M)


class VendorError(Exception):
    """Raised when a package cannot be vendored as plain ES modules (missing, bare import)."""


def module_imports(source: str) -> list[str]:
    """The module specifiers a JavaScript module imports statically, in order."""
    found = [(m.start(), m.group(2)) for m in _FROM_IMPORT_RE.finditer(source)]
    found += [(m.start(), m.group(2)) for m in _BARE_IMPORT_RE.finditer(source)]
    return [specifier for _, specifier in sorted(found)]


def _module_closure(package_dir: Path, package: VendoredPackage) -> list[str]:
    """The entry modules and every module they reach, as paths relative to the package."""
    seen: set[str] = set()
    pending = list(package.entry_modules)
    while pending:
        name = pending.pop()
        if name in seen:
            continue
        path = package_dir / name
        if not path.is_file():
            raise VendorError(f"{package.npm_name}: {name} not found in {package_dir}")
        source = path.read_text(encoding="utf-8")
        if _DYNAMIC_IMPORT_RE.search(source):
            raise VendorError(f"{package.npm_name}/{name}: dynamic import() is not vendored")
        seen.add(name)
        for specifier in module_imports(source):
            if not specifier.startswith(("./", "../")):
                raise VendorError(
                    f"{package.npm_name}/{name} imports {specifier!r}: a browser cannot "
                    "resolve a bare specifier without an import map"
                )
            target = posixpath.normpath(posixpath.join(posixpath.dirname(name), specifier))
            if target.startswith("../"):
                raise VendorError(f"{package.npm_name}/{name} imports outside its package")
            pending.append(target)
    return sorted(seen)


def _locked_integrity(root: Path, npm_name: str) -> str | None:
    lock_path = root / "package-lock.json"
    if not lock_path.is_file():
        return None
    entry = json.loads(lock_path.read_text(encoding="utf-8"))["packages"].get(
        f"node_modules/{npm_name}", {}
    )
    integrity = entry.get("integrity")
    return integrity if isinstance(integrity, str) else None


def package_files(root: Path, package: VendoredPackage) -> dict[str, bytes]:
    """What `vendor/<directory>/` must hold for `package`: {relative path: bytes}."""
    package_dir = root / "node_modules" / package.npm_name
    meta_path = package_dir / "package.json"
    if not meta_path.is_file():
        raise VendorError(f"{package.npm_name} is not installed: run `make setup`")
    version = json.loads(meta_path.read_text(encoding="utf-8"))["version"]
    license_path = package_dir / package.license_file
    if not license_path.is_file():
        raise VendorError(f"{package.npm_name}: no {package.license_file} to ship with it")
    files = {
        name: (package_dir / name).read_bytes() for name in _module_closure(package_dir, package)
    }
    files[package.license_file] = license_path.read_bytes()
    manifest = {
        "package": package.npm_name,
        "version": version,
        # The registry tarball's hash from package-lock.json: anyone can fetch that tarball
        # and compare it with the files here.
        "integrity": _locked_integrity(root, package.npm_name),
        "source": f"node_modules/{package.npm_name}",
        "generated_by": "scripts/vendor_web.py (make vendor-web); do not edit these files",
        "sha256": {name: hashlib.sha256(data).hexdigest() for name, data in sorted(files.items())},
    }
    files[MANIFEST] = (json.dumps(manifest, indent=2) + "\n").encode()
    return files


def vendor_plan(root: Path, packages: tuple[VendoredPackage, ...] = PACKAGES) -> dict[str, bytes]:
    """Every file the vendor folder must hold, as {path relative to it: bytes}."""
    plan: dict[str, bytes] = {}
    for package in packages:
        for name, data in package_files(root, package).items():
            plan[f"{package.directory}/{name}"] = data
    return plan


def _present(directory: Path) -> set[str]:
    if not directory.is_dir():
        return set()
    return {p.relative_to(directory).as_posix() for p in directory.rglob("*") if p.is_file()}


def compare(expected: Mapping[str, bytes], directory: Path) -> list[str]:
    """Differences between `expected` and `directory`: missing, extra, then stale files."""
    present = _present(directory)
    problems = [f"missing: {name}" for name in sorted(set(expected) - present)]
    problems += [f"extra: {name}" for name in sorted(present - set(expected))]
    problems += [
        f"stale: {name}"
        for name in sorted(set(expected) & present)
        if (directory / name).read_bytes() != expected[name]
    ]
    return problems


def write(expected: Mapping[str, bytes], directory: Path) -> None:
    """Make `directory` hold exactly `expected`."""
    for name in _present(directory) - set(expected):
        (directory / name).unlink()
    for name, data in expected.items():
        target = directory / name
        target.parent.mkdir(parents=True, exist_ok=True)
        if not target.is_file() or target.read_bytes() != data:
            target.write_bytes(data)
    for folder in sorted((p for p in directory.rglob("*") if p.is_dir()), reverse=True):
        if not any(folder.iterdir()):
            folder.rmdir()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--check", action="store_true", help="only report differences; exit 1 if any"
    )
    parser.add_argument("--root", type=Path, default=REPO_ROOT, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    try:
        plan = vendor_plan(args.root)
    except VendorError as exc:
        print(f"vendor_web: {exc}", file=sys.stderr)
        return 2
    directory = args.root / VENDOR_DIR
    if args.check:
        problems = compare(plan, directory)
        for problem in problems:
            print(problem, file=sys.stderr)
        return 1 if problems else 0
    write(plan, directory)
    print(f"vendored {len(plan)} files into {VENDOR_DIR}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
