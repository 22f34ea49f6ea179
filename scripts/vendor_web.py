"""Copy the web pages' third-party ES modules from node_modules into `api/web/static/vendor/`.

The pages are plain ES modules served by the app, with no bundler and a strict CSP
(`script-src 'self'`), so a library they use must be served by us. Each package in `PACKAGES`
is copied byte for byte: its entry modules, every module they import (relative imports,
followed), its licence and a `MANIFEST.json` naming the npm package, its version and the
SHA-256 of every copied file. The copy is committed (the Python wheel ships it with `api/`);
`tests/toolchain/test_vendor_web.py` fails when it no longer equals node_modules, so a pin
moved in package.json without `make vendor-web`, or a hand edit of a vendored file, is caught.

A module that imports another package by name (a bare specifier such as
`"@noble/hashes/sha2.js"`) can only be loaded through an import map, which the CSP would have to
allow. When that package is vendored too (and node_modules resolves the name to the very copy
we vendor, not a nested one of another version), the specifier is rewritten to the relative
path of the vendored module (`"../noble-hashes/sha2.js"`): the one change ever made to a
vendored file, recorded in its package's manifest (`rewritten`, with the SHA-256 of the file
as npm ships it). A bare specifier naming anything else is refused.

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
    # SHA-256 (file hashing, streamed) and Keccak-256 (commitments, contribution ids); HMAC
    # (salts derived from the proof secret) and scrypt (passphrase-encrypted secrets and
    # openings), docs/design.md "Proof secret".
    VendoredPackage(
        "@noble/hashes",
        "noble-hashes",
        ("sha2.js", "sha3.js", "utils.js", "hmac.js", "scrypt.js"),
    ),
    # AES-256-GCM for the same encrypted files (Web Crypto has it only on https pages).
    VendoredPackage("@noble/ciphers", "noble-ciphers", ("aes.js", "utils.js")),
    # The recovery sheet: the proof secret as BIP-39 words, equal to Python's `mnemonic`.
    VendoredPackage("@scure/bip39", "scure-bip39", ("index.js", "wordlists/english.js")),
    # HPKE (RFC 9180) on Web Crypto: wrapping a shared document's key to each recipient's
    # X25519 key (api/web/static/js/envelope.js). One dependency-free module.
    VendoredPackage("hpke", "hpke", ("index.js",), license_file="LICENSE.md"),
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


@dataclass(frozen=True)
class _Module:
    """One module to copy: its package, its path in it, and its bytes as served."""

    package: VendoredPackage
    name: str
    data: bytes
    # The bytes as npm ships them, when a bare specifier was rewritten (else None).
    original: bytes | None
    rewrites: tuple[tuple[str, str], ...]


def _owner(specifier: str, packages: tuple[VendoredPackage, ...]) -> VendoredPackage | None:
    """The vendored package a bare specifier names (`@noble/hashes/sha2.js`), if any."""
    for package in packages:
        if specifier.startswith(package.npm_name + "/"):
            return package
    return None


def _check_resolves_to_vendored(
    root: Path, importer: VendoredPackage, dep: VendoredPackage
) -> None:
    # Node resolves `dep` from inside `importer` to a nested copy first, if npm had to install
    # one (another version than the top-level one we vendor).
    nested = root / "node_modules" / importer.npm_name / "node_modules" / dep.npm_name
    if nested.exists():
        raise VendorError(
            f"{importer.npm_name} needs its own {dep.npm_name} ({nested}): pin the version "
            f"it asks for at the top level of package.json"
        )


def _rewrite(source: str, replacements: dict[str, str]) -> str:
    """`source` with the specifiers of its static imports replaced as `replacements` says."""
    spans = []
    for regex in (_FROM_IMPORT_RE, _BARE_IMPORT_RE):
        for match in regex.finditer(source):
            if match.group(2) in replacements:
                spans.append((match.start(2), match.end(2), replacements[match.group(2)]))
    out, last = [], 0
    for start, end, text in sorted(spans):
        out += [source[last:start], text]
        last = end
    out.append(source[last:])
    return "".join(out)


def _module_closure(
    root: Path, packages: tuple[VendoredPackage, ...], requested: tuple[VendoredPackage, ...]
) -> dict[tuple[str, str], _Module]:
    """The entry modules of `requested` and every module they reach, in any vendored package,
    keyed by (package directory, path in the package)."""
    seen: dict[tuple[str, str], _Module] = {}
    pending = [(package, name) for package in requested for name in package.entry_modules]
    while pending:
        package, name = pending.pop()
        if (package.directory, name) in seen:
            continue
        package_dir = root / "node_modules" / package.npm_name
        path = package_dir / name
        if not path.is_file():
            raise VendorError(f"{package.npm_name}: {name} not found in {package_dir}")
        raw = path.read_bytes()
        source = raw.decode("utf-8")
        if _DYNAMIC_IMPORT_RE.search(source):
            raise VendorError(f"{package.npm_name}/{name}: dynamic import() is not vendored")
        replacements: dict[str, str] = {}
        for specifier in module_imports(source):
            if specifier.startswith(("./", "../")):
                target = posixpath.normpath(posixpath.join(posixpath.dirname(name), specifier))
                if target.startswith("../"):
                    raise VendorError(f"{package.npm_name}/{name} imports outside its package")
                pending.append((package, target))
                continue
            dep = _owner(specifier, packages)
            if dep is None or dep is package:
                raise VendorError(
                    f"{package.npm_name}/{name} imports {specifier!r}: a browser cannot "
                    "resolve a bare specifier without an import map, and that package is "
                    "not vendored"
                )
            _check_resolves_to_vendored(root, package, dep)
            target = posixpath.normpath(specifier[len(dep.npm_name) + 1 :])
            if target.startswith("../") or not target.endswith(".js"):
                raise VendorError(f"{package.npm_name}/{name} imports {specifier!r}")
            here = posixpath.dirname(posixpath.join(package.directory, name))
            relative = posixpath.relpath(posixpath.join(dep.directory, target), here)
            replacements[specifier] = relative if relative.startswith("../") else "./" + relative
            pending.append((dep, target))
        data = _rewrite(source, replacements).encode("utf-8") if replacements else raw
        seen[(package.directory, name)] = _Module(
            package, name, data, raw if replacements else None, tuple(sorted(replacements.items()))
        )
    return seen


def _locked_integrity(root: Path, npm_name: str) -> str | None:
    lock_path = root / "package-lock.json"
    if not lock_path.is_file():
        return None
    entry = json.loads(lock_path.read_text(encoding="utf-8"))["packages"].get(
        f"node_modules/{npm_name}", {}
    )
    integrity = entry.get("integrity")
    return integrity if isinstance(integrity, str) else None


def package_files(
    root: Path, package: VendoredPackage, modules: dict[tuple[str, str], _Module]
) -> dict[str, bytes]:
    """What `vendor/<directory>/` must hold for `package`: {relative path: bytes}, given the
    modules every vendored package needs of it."""
    package_dir = root / "node_modules" / package.npm_name
    meta_path = package_dir / "package.json"
    if not meta_path.is_file():
        raise VendorError(f"{package.npm_name} is not installed: run `make setup`")
    version = json.loads(meta_path.read_text(encoding="utf-8"))["version"]
    license_path = package_dir / package.license_file
    if not license_path.is_file():
        raise VendorError(f"{package.npm_name}: no {package.license_file} to ship with it")
    own = [m for (directory, _), m in modules.items() if directory == package.directory]
    files = {m.name: m.data for m in own}
    files[package.license_file] = license_path.read_bytes()
    manifest: dict[str, object] = {
        "package": package.npm_name,
        "version": version,
        # The registry tarball's hash from package-lock.json: anyone can fetch that tarball
        # and compare it with the files here.
        "integrity": _locked_integrity(root, package.npm_name),
        "source": f"node_modules/{package.npm_name}",
        "generated_by": "scripts/vendor_web.py (make vendor-web); do not edit these files",
        "sha256": {name: hashlib.sha256(data).hexdigest() for name, data in sorted(files.items())},
    }
    rewritten = {
        m.name: {
            "npm_sha256": hashlib.sha256(m.original).hexdigest(),
            "specifiers": dict(m.rewrites),
        }
        for m in sorted(own, key=lambda m: m.name)
        if m.original is not None
    }
    if rewritten:
        manifest["rewritten"] = rewritten
    files[MANIFEST] = (json.dumps(manifest, indent=2) + "\n").encode()
    return files


def vendor_plan(root: Path, packages: tuple[VendoredPackage, ...] = PACKAGES) -> dict[str, bytes]:
    """Every file the vendor folder must hold, as {path relative to it: bytes}."""
    modules = _module_closure(root, packages, packages)
    plan: dict[str, bytes] = {}
    for package in packages:
        for name, data in package_files(root, package, modules).items():
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
