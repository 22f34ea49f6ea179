"""Compile `contracts/**/*.sol` with the pinned solc into `ledger/artifacts/<ContractName>.json`.

Build-time only: the ledger package loads the committed artifacts and never needs a compiler.
The test mocks (`contracts/test/`) are compiled in the same run into `tests/contracts/artifacts/`
instead, so that the wheel, which ships `ledger/artifacts/`, carries no mock token or wallet.

Two backends get the same standard-JSON input, in which this module has already inlined every
source (OpenZeppelin included) under its repo-relative source unit name, so the metadata hash
and hence the bytecode do not depend on the backend or on where the repo is checked out:
- native: a solc 0.8.28 binary installed by py-solc-x or on PATH, through `solcx`;
- solcjs: the npm `solc@0.8.28` package through `scripts/solcjs_compile.cjs` and Node.

Usage: compile_contracts.py [--check] [--backend auto|native|solcjs]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import posixpath
import re
import shutil
import subprocess
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

REPO_ROOT = Path(__file__).resolve().parent.parent
CONTRACTS_DIR = "contracts"
ARTIFACTS_DIR = Path("ledger") / "artifacts"
#: Sources under this prefix are test mocks: their artifacts go to `TEST_ARTIFACTS_DIR`.
TEST_SOURCES = f"{CONTRACTS_DIR}/test/"
TEST_ARTIFACTS_DIR = Path("tests") / "contracts" / "artifacts"
SOLCJS_SCRIPT = REPO_ROOT / "scripts" / "solcjs_compile.cjs"

# The pins of docs/design.md; changing any of them changes every artifact.
SOLC_VERSION = "0.8.28"
EVM_VERSION = "cancun"
OPTIMIZER_RUNS = 200
VIA_IR = True  # the ledger needs it (stack depth, 24 KiB limit): docs/design.md
REMAPPINGS = ("@openzeppelin/contracts/=node_modules/@openzeppelin/contracts/",)

CONTRACT_OUTPUTS = (
    "abi",
    "devdoc",
    "evm.bytecode.object",
    "evm.deployedBytecode.object",
    "metadata",
    "storageLayout",
    "userdoc",
)

# Strings are matched so that comment markers inside them are not taken for comments.
_TOKEN_RE = re.compile(r"\"(?:\\.|[^\"\\\n])*\"|'(?:\\.|[^'\\\n])*'|//[^\n]*|/\*.*?\*/", re.S)
_IMPORT_RE = re.compile(
    r"\bimport\s*(?:\{[^}]*\}\s*from\s*|\*\s*as\s+[A-Za-z_$][\w$]*\s+from\s*)?"
    r"(?:\"([^\"]+)\"|'([^']+)')"
)


class CompileError(Exception):
    """Raised when the sources cannot be resolved or compiled, or the output is unusable."""


class Backend(Protocol):
    @property
    def name(self) -> str: ...

    def compile(self, standard_input: Mapping[str, Any], root: Path) -> dict[str, Any]: ...


# --------------------------------------------------------------------------- source resolution


def find_sources(root: Path) -> list[str]:
    """Repo-relative posix paths of every .sol file under contracts/, sorted."""
    base = root / CONTRACTS_DIR
    if not base.is_dir():
        return []
    return sorted(path.relative_to(root).as_posix() for path in base.rglob("*.sol"))


def import_paths(source: str) -> list[str]:
    """The import paths of a Solidity source, in order, ignoring commented-out imports."""
    code = _TOKEN_RE.sub(lambda m: m.group(0) if m.group(0)[0] in "\"'" else " ", source)
    return [m.group(1) or m.group(2) for m in _IMPORT_RE.finditer(code)]


def resolve_import(importer: str, path: str, remappings: Iterable[str] = REMAPPINGS) -> str:
    """The source unit name solc gives `path` imported from `importer` (no remapping context)."""
    if path.startswith(("./", "../")):
        path = posixpath.normpath(posixpath.join(posixpath.dirname(importer), path))
        if path.startswith("../"):
            raise CompileError(f"{importer}: import {path!r} leaves the repository")
    # solc applies the longest matching prefix.
    best = ""
    target = ""
    for remapping in remappings:
        prefix, _, replacement = remapping.partition("=")
        if path.startswith(prefix) and len(prefix) > len(best):
            best, target = prefix, replacement
    return target + path[len(best) :] if best else path


def collect_sources(root: Path, entry_points: Iterable[str]) -> dict[str, str]:
    """Every source reachable from `entry_points` by imports: {source unit name: content}."""
    sources: dict[str, str] = {}
    pending = list(entry_points)
    importer_of: dict[str, str] = {}
    while pending:
        unit = pending.pop()
        if unit in sources:
            continue
        file = root / unit
        if not file.is_file():
            hint = " (run `make node_modules`)" if unit.startswith("node_modules/") else ""
            raise CompileError(f"{importer_of.get(unit, unit)}: cannot find import {unit}{hint}")
        # Bytes decoded strictly: solc hashes the exact UTF-8 content.
        content = file.read_bytes().decode("utf-8")
        sources[unit] = content
        for path in import_paths(content):
            target = resolve_import(unit, path)
            importer_of.setdefault(target, unit)
            pending.append(target)
    return dict(sorted(sources.items()))


def standard_input(sources: Mapping[str, str], entry_points: Iterable[str]) -> dict[str, Any]:
    """Standard-JSON input; outputs are requested for our own contracts only."""
    selection = {path: {"": ["ast"], "*": list(CONTRACT_OUTPUTS)} for path in entry_points}
    return {
        "language": "Solidity",
        "sources": {path: {"content": content} for path, content in sources.items()},
        "settings": {
            **compiler_settings(),
            "outputSelection": selection,
        },
    }


def compiler_settings() -> dict[str, Any]:
    """The settings that determine the bytecode (recorded in every artifact)."""
    return {
        "evmVersion": EVM_VERSION,
        "optimizer": {"enabled": True, "runs": OPTIMIZER_RUNS},
        "remappings": list(REMAPPINGS),
        "viaIR": VIA_IR,
    }


# --------------------------------------------------------------------------------- backends


def native_solc_binary() -> Path | None:
    """A native solc of the pinned version: py-solc-x's install dir first, then PATH."""
    try:
        from solcx.exceptions import SolcNotInstalled
        from solcx.install import get_executable
    except ImportError:  # py-solc-x is a dev dependency
        pass
    else:
        try:
            return get_executable(SOLC_VERSION)
        except SolcNotInstalled:
            pass
    on_path = shutil.which("solc")
    if on_path is not None:
        result = subprocess.run([on_path, "--version"], capture_output=True, text=True, check=False)
        if f"Version: {SOLC_VERSION}+" in result.stdout:
            return Path(on_path)
    return None


def solcjs_available(root: Path = REPO_ROOT) -> bool:
    return shutil.which("node") is not None and (root / "node_modules/solc/package.json").is_file()


@dataclass(frozen=True)
class NativeBackend:
    binary: Path
    name: str = "native"

    def compile(self, standard_input: Mapping[str, Any], root: Path) -> dict[str, Any]:
        import solcx
        from solcx.exceptions import SolcError

        try:
            output: dict[str, Any] = solcx.compile_standard(
                dict(standard_input), solc_binary=self.binary, base_path=root, allow_paths=[root]
            )
        except SolcError as exc:
            # compile_standard raises on compiler errors; report them like solc-js's.
            raise CompileError(f"native solc failed:\n{exc.message}") from exc
        return output


@dataclass(frozen=True)
class SolcJsBackend:
    name: str = "solcjs"

    def compile(self, standard_input: Mapping[str, Any], root: Path) -> dict[str, Any]:
        node = shutil.which("node")
        if node is None:
            raise CompileError("node is not on PATH; it runs the npm solc package")
        result = subprocess.run(
            [node, str(SOLCJS_SCRIPT)],
            input=json.dumps(standard_input),
            capture_output=True,
            text=True,
            cwd=root,
            check=False,
        )
        if result.returncode != 0:
            raise CompileError(f"solc-js failed (exit {result.returncode}):\n{result.stderr}")
        try:
            output: dict[str, Any] = json.loads(result.stdout)
        except json.JSONDecodeError as exc:
            raise CompileError(f"solc-js printed non-JSON output: {result.stdout[:200]!r}") from exc
        return output


def select_backend(name: str) -> Backend:
    """`auto` prefers a native solc (fast), else solc-js."""
    if name in ("auto", "native"):
        binary = native_solc_binary()
        if binary is not None:
            return NativeBackend(binary)
        if name == "native":
            raise CompileError(
                f"no native solc {SOLC_VERSION} (py-solc-x install dir or PATH); "
                "use --backend solcjs"
            )
    if name in ("auto", "solcjs"):
        if solcjs_available():
            return SolcJsBackend()
        raise CompileError("npm solc is not installed: run `make node_modules`")
    raise CompileError(f"unknown backend {name!r}")


# -------------------------------------------------------------------------------- artifacts


def _check_errors(output: Mapping[str, Any]) -> None:
    messages = output.get("errors", [])
    fatal = [m for m in messages if m.get("severity") == "error"]
    if fatal:
        raise CompileError("\n".join(m.get("formattedMessage", m["message"]) for m in fatal))
    for warning in messages:
        print(warning.get("formattedMessage", warning["message"]).rstrip(), file=sys.stderr)


def _contract_kinds(ast: Mapping[str, Any]) -> dict[str, tuple[str, bool]]:
    """{contract name: (contractKind, abstract)} for the top-level definitions of one source."""
    return {
        node["name"]: (node["contractKind"], bool(node.get("abstract", False)))
        for node in ast.get("nodes", [])
        if node.get("nodeType") == "ContractDefinition"
    }


def _sha256(content: str) -> str:
    return hashlib.sha256(content.encode("utf-8")).hexdigest()


def build_artifacts(
    output: Mapping[str, Any], sources: Mapping[str, str], entry_points: Iterable[str]
) -> dict[str, dict[str, Any]]:
    """{contract name: artifact} for deployable contracts, libraries and interfaces."""
    _check_errors(output)
    unexpected = sorted(set(output.get("sources", {})) - set(sources))
    if unexpected:
        # Our resolver must see every source, or the artifact's source hashes are incomplete.
        raise CompileError(f"solc loaded sources the import resolver missed: {unexpected}")
    artifacts: dict[str, dict[str, Any]] = {}
    for source_name in entry_points:
        kinds = _contract_kinds(output["sources"][source_name]["ast"])
        for name, compiled in sorted(output.get("contracts", {}).get(source_name, {}).items()):
            kind, abstract = kinds[name]
            bytecode = compiled["evm"]["bytecode"]["object"]
            if kind != "interface" and (abstract or not bytecode):
                continue
            if "__$" in bytecode:
                raise CompileError(
                    f"{source_name}:{name} needs linking to an external library; "
                    "make the library functions internal"
                )
            if name in artifacts:
                other = artifacts[name]["sourceName"]
                raise CompileError(f"contract name {name} is defined in {other} and {source_name}")
            metadata = json.loads(compiled["metadata"])
            version = metadata["compiler"]["version"]
            if not version.startswith(f"{SOLC_VERSION}+"):
                raise CompileError(f"compiled with solc {version}, expected {SOLC_VERSION}")
            artifact: dict[str, Any] = {
                "contractName": name,
                "sourceName": source_name,
                "abi": compiled["abi"],
                "bytecode": "0x" + bytecode,
                "deployedBytecode": "0x" + compiled["evm"]["deployedBytecode"]["object"],
                # NatSpec as the compiler reads it: tests check every function is documented.
                "devdoc": compiled["devdoc"],
                "userdoc": compiled["userdoc"],
                # The metadata version has no platform suffix, so both backends agree.
                "compiler": {"version": version, "settings": compiler_settings()},
                "sources": {path: _sha256(sources[path]) for path in sorted(metadata["sources"])},
            }
            if bytecode:
                # Which variable lives in which slot: contracts that share storage (PocLedger
                # and its DELEGATECALL module) are checked to lay it out alike.
                artifact["storageLayout"] = compiled["storageLayout"]
            artifacts[name] = artifact
    return artifacts


def render(artifact: Mapping[str, Any]) -> str:
    return json.dumps(artifact, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def compile_all(root: Path, backend: Backend) -> dict[str, str]:
    """{artifact file name: rendered JSON} for the contracts under `root`/contracts."""
    entry_points = find_sources(root)
    if not entry_points:
        return {}
    sources = collect_sources(root, entry_points)
    output = backend.compile(standard_input(sources, entry_points), root)
    artifacts = build_artifacts(output, sources, entry_points)
    return {f"{name}.json": render(artifact) for name, artifact in sorted(artifacts.items())}


def by_directory(artifacts: Mapping[str, str]) -> dict[Path, dict[str, str]]:
    """`artifacts` split by where they are kept: the test mocks' (sources under
    `TEST_SOURCES`) in `TEST_ARTIFACTS_DIR`, the others in `ARTIFACTS_DIR`."""
    out: dict[Path, dict[str, str]] = {ARTIFACTS_DIR: {}, TEST_ARTIFACTS_DIR: {}}
    for name, text in artifacts.items():
        is_mock = str(json.loads(text)["sourceName"]).startswith(TEST_SOURCES)
        out[TEST_ARTIFACTS_DIR if is_mock else ARTIFACTS_DIR][name] = text
    return out


def compare(expected: Mapping[str, str], directory: Path) -> list[str]:
    """Human-readable differences between freshly compiled artifacts and those in `directory`."""
    present = {p.name: p for p in directory.glob("*.json")} if directory.is_dir() else {}
    problems = [f"missing: {name}" for name in sorted(set(expected) - set(present))]
    problems += [f"extra: {name}" for name in sorted(set(present) - set(expected))]
    problems += [
        f"stale: {name}"
        for name in sorted(set(expected) & set(present))
        if present[name].read_text(encoding="utf-8") != expected[name]
    ]
    return problems


def write(artifacts: Mapping[str, str], directory: Path) -> None:
    """Make `directory` hold exactly `artifacts` (artifacts of deleted contracts are removed)."""
    directory.mkdir(parents=True, exist_ok=True)
    for stale in directory.glob("*.json"):
        if stale.name not in artifacts:
            stale.unlink()
    for name, text in artifacts.items():
        target = directory / name
        if not target.is_file() or target.read_text(encoding="utf-8") != text:
            target.write_text(text, encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--check", action="store_true", help="fail if artifacts are not fresh")
    parser.add_argument("--backend", choices=("auto", "native", "solcjs"), default="auto")
    parser.add_argument("--root", type=Path, default=REPO_ROOT, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    root: Path = args.root.resolve()
    try:
        backend = select_backend(args.backend)
        artifacts = compile_all(root, backend)
    except CompileError as exc:
        print(f"compile failed: {exc}", file=sys.stderr)
        return 1
    kept = by_directory(artifacts)
    if args.check:
        problems = [
            f"{problem} (in {directory})"
            for directory, expected in kept.items()
            for problem in compare(expected, root / directory)
        ]
        for problem in problems:
            print(problem, file=sys.stderr)
        if problems:
            print("artifacts are out of date: run `make compile`", file=sys.stderr)
            return 1
        print(f"{len(artifacts)} artifacts are fresh ({backend.name})")
        return 0
    for directory, texts in kept.items():
        if texts or (root / directory).is_dir():
            write(texts, root / directory)
            print(f"wrote {len(texts)} artifacts to {directory} ({backend.name})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
