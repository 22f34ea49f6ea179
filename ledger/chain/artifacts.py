"""Load the compiled contract artifacts committed in `ledger/artifacts/<ContractName>.json`.

The artifacts are produced by `scripts/compile_contracts.py` (`make compile`) and checked against
the Solidity sources by `tests/toolchain`. Nothing here compiles: the runtime needs no solc.

Artifacts of earlier releases, whose deployed contracts stay in use, are kept unchanged in
`ledger/artifacts/releases/<version>/` (`released_versions`, `load_release_artifact`). The test
mocks' artifacts are kept beside the tests, not in the package; `read_artifact` reads such a
file.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any, Final, cast

from eth_typing import ABI, HexStr

from ledger.errors import ArtifactError, ArtifactNotFoundError

# Contract names are Solidity identifiers; anything else could escape the artifacts directory.
_NAME_RE = re.compile(r"^[A-Za-z_$][A-Za-z0-9_$]*$")
_VERSION_RE = re.compile(r"^[0-9]+\.[0-9]+\.[0-9]+$")
RELEASES_DIR: Final = "releases"


@dataclass(frozen=True)
class ContractArtifact:
    """One compiled contract, library or interface (interfaces have empty bytecode "0x")."""

    name: str
    source_name: str
    abi: ABI
    bytecode: HexStr
    deployed_bytecode: HexStr
    compiler_version: str

    @property
    def is_deployable(self) -> bool:
        return self.bytecode != "0x"


def _artifacts_dir() -> Any:
    return resources.files("ledger") / "artifacts"


def available_artifacts() -> tuple[str, ...]:
    """Names of all committed artifacts, sorted."""
    directory = _artifacts_dir()
    if not directory.is_dir():
        return ()
    return tuple(
        sorted(
            entry.name.removesuffix(".json")
            for entry in directory.iterdir()
            if entry.name.endswith(".json")
        )
    )


@cache
def load_artifact(name: str) -> ContractArtifact:
    """Return the artifact of contract `name`; raises ArtifactNotFoundError if there is none."""
    entry = _artifacts_dir() / f"{name}.json"
    if not _NAME_RE.fullmatch(name) or not entry.is_file():
        known = ", ".join(available_artifacts()) or "none"
        raise ArtifactNotFoundError(
            f"no artifact for contract {name!r} (known: {known}); run `make compile`"
        )
    return _parse(name, entry)


def released_versions() -> tuple[str, ...]:
    """Versions of earlier releases whose artifacts are kept, newest first."""
    directory = _artifacts_dir() / RELEASES_DIR
    if not directory.is_dir():
        return ()
    versions = [e.name for e in directory.iterdir() if e.is_dir() and _VERSION_RE.fullmatch(e.name)]
    return tuple(
        sorted(versions, key=lambda v: tuple(int(part) for part in v.split(".")), reverse=True)
    )


@cache
def load_release_artifact(version: str, name: str) -> ContractArtifact:
    """The artifact of contract `name` as released in `version` (an earlier release); raises
    ArtifactNotFoundError if that release or contract is not kept."""
    entry = _artifacts_dir() / RELEASES_DIR / version / f"{name}.json"
    if not _VERSION_RE.fullmatch(version) or not _NAME_RE.fullmatch(name) or not entry.is_file():
        raise ArtifactNotFoundError(f"no artifact for contract {name!r} of release {version!r}")
    return _parse(name, entry)


def read_artifact(path: Path) -> ContractArtifact:
    """The artifact in file `path`, outside the package (the tests' mocks are kept there)."""
    if not _NAME_RE.fullmatch(path.stem) or not path.is_file():
        raise ArtifactNotFoundError(f"no artifact file {path}")
    return _parse(path.stem, path)


def _parse(name: str, entry: Any) -> ContractArtifact:
    try:
        raw = json.loads(entry.read_text(encoding="utf-8"))
        return ContractArtifact(
            name=str(raw["contractName"]),
            source_name=str(raw["sourceName"]),
            abi=cast(ABI, tuple(raw["abi"])),
            bytecode=HexStr(str(raw["bytecode"])),
            deployed_bytecode=HexStr(str(raw["deployedBytecode"])),
            compiler_version=str(raw["compiler"]["version"]),
        )
    except (ValueError, KeyError, TypeError) as exc:
        raise ArtifactError(f"artifact {name!r} is malformed: {exc}") from exc
