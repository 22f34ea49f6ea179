"""The artifact loader: the only way the runtime reaches compiled contracts."""

from __future__ import annotations

import pytest

from ledger.chain.artifacts import available_artifacts, load_artifact
from ledger.errors import ArtifactError, ArtifactNotFoundError, LedgerError


def test_load_artifact_raises_not_found_for_unknown_name() -> None:
    with pytest.raises(ArtifactNotFoundError, match="NoSuchContract") as info:
        load_artifact("NoSuchContract")
    assert isinstance(info.value, ArtifactError)
    assert isinstance(info.value, LedgerError)
    assert isinstance(info.value, LookupError)


@pytest.mark.parametrize("name", ["../pyproject", "a/b", "", "Thing.json"])
def test_load_artifact_rejects_names_that_are_not_identifiers(name: str) -> None:
    with pytest.raises(ArtifactNotFoundError):
        load_artifact(name)


@pytest.mark.parametrize("name", available_artifacts())
def test_load_artifact_reads_committed_artifact(name: str) -> None:
    artifact = load_artifact(name)
    assert artifact.name == name
    assert artifact.source_name.startswith("contracts/")
    assert artifact.compiler_version.startswith("0.8.28+commit.")
    assert artifact.bytecode.startswith("0x")
    assert artifact.deployed_bytecode.startswith("0x")
    assert load_artifact(name) is artifact  # cached


def test_package_ships_no_test_mock() -> None:
    # The wheel ships ledger/artifacts/: the mocks of contracts/test/ are kept in tests/.
    mocks = [
        n
        for n in available_artifacts()
        if load_artifact(n).source_name.startswith("contracts/test/")
    ]
    assert mocks == []
