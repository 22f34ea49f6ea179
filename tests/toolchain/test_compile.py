"""scripts/compile_contracts.py: import resolution, artifacts, freshness and backend parity."""

from __future__ import annotations

import hashlib
import json
import os
import stat
from collections.abc import Callable
from pathlib import Path

import pytest

from scripts.compile_contracts import (
    ARTIFACTS_DIR,
    REPO_ROOT,
    SOLCJS_SCRIPT,
    TEST_ARTIFACTS_DIR,
    CompileError,
    NativeBackend,
    SolcJsBackend,
    by_directory,
    compare,
    compile_all,
    import_paths,
    main,
    native_solc_binary,
    resolve_import,
    select_backend,
    write,
)

SPDX = "// SPDX-License-Identifier: MIT\npragma solidity 0.8.28;\n"

TOY_SOURCES = {
    "contracts/interfaces/IThing.sol": SPDX
    + """
/// @notice import "fake/NotReal.sol"; inside a comment is not an import
interface IThing {
    error ThingMissing(uint256 id);
    event ThingSet(uint256 indexed id, address by);
    function set(uint256 id) external;
}
""",
    "contracts/lib/Maths.sol": SPDX
    + """
library Maths {
    function twice(uint256 x) internal pure returns (uint256) { return 2 * x; }
}
""",
    "contracts/Thing.sol": SPDX
    + """
import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {IThing} from "./interfaces/IThing.sol";
import {Maths} from './lib/Maths.sol';
/* import "nope.sol"; */

abstract contract Base is IThing {
    uint256 internal _last;
}

contract Thing is Base, AccessControl {
    constructor() { _grantRole(DEFAULT_ADMIN_ROLE, msg.sender); }

    function set(uint256 id) external onlyRole(DEFAULT_ADMIN_ROLE) {
        if (id == 0) revert ThingMissing(id);
        _last = Maths.twice(id);
        emit ThingSet(id, msg.sender);
    }
}
""",
}

ProjectFactory = Callable[[dict[str, str]], Path]


@pytest.fixture(scope="module")
def make_project(tmp_path_factory: pytest.TempPathFactory) -> ProjectFactory:
    """A throwaway repo layout with the given contracts, sharing the real node_modules."""

    def factory(sources: dict[str, str]) -> Path:
        root = tmp_path_factory.mktemp("project")
        (root / "node_modules").symlink_to(REPO_ROOT / "node_modules")
        for relative, content in sources.items():
            (root / relative).parent.mkdir(parents=True, exist_ok=True)
            (root / relative).write_text(content)
        return root

    return factory


@pytest.fixture(scope="module")
def toy_artifacts(make_project: ProjectFactory) -> dict[str, str]:
    return compile_all(make_project(TOY_SOURCES), SolcJsBackend())


def test_import_paths_reads_every_form_and_skips_comments() -> None:
    source = """
    import "a.sol";
    import 'b.sol' as B;
    import * as C from "c.sol";
    import {D, E as F} from "./d.sol";
    // import "commented.sol";
    /* import "block.sol"; */
    string constant URL = "http://example/*not a comment*/";
    import {G} from "../g.sol";
    """
    assert import_paths(source) == ["a.sol", "b.sol", "c.sol", "./d.sol", "../g.sol"]


def test_resolve_import_applies_relative_paths_then_remappings() -> None:
    assert resolve_import("contracts/A.sol", "./B.sol") == "contracts/B.sol"
    assert resolve_import("contracts/x/A.sol", "../B.sol") == "contracts/B.sol"
    assert (
        resolve_import("contracts/A.sol", "@openzeppelin/contracts/access/AccessControl.sol")
        == "node_modules/@openzeppelin/contracts/access/AccessControl.sol"
    )
    oz = "node_modules/@openzeppelin/contracts/access/AccessControl.sol"
    assert resolve_import(oz, "../utils/Context.sol") == (
        "node_modules/@openzeppelin/contracts/utils/Context.sol"
    )


def test_resolve_import_rejects_paths_leaving_the_repository() -> None:
    with pytest.raises(CompileError, match="leaves the repository"):
        resolve_import("contracts/A.sol", "../../B.sol")


def test_compile_writes_contracts_libraries_and_interfaces(toy_artifacts: dict[str, str]) -> None:
    # The abstract Base has no artifact; the interface has one with its ABI only.
    assert sorted(toy_artifacts) == ["IThing.json", "Maths.json", "Thing.json"]
    interface = json.loads(toy_artifacts["IThing.json"])
    assert interface["bytecode"] == interface["deployedBytecode"] == "0x"
    assert {entry["name"] for entry in interface["abi"]} == {"ThingMissing", "ThingSet", "set"}

    thing = json.loads(toy_artifacts["Thing.json"])
    assert thing["contractName"] == "Thing"
    assert thing["sourceName"] == "contracts/Thing.sol"
    assert len(thing["bytecode"]) > len(thing["deployedBytecode"]) > 2
    assert thing["compiler"]["version"] == "0.8.28+commit.7893614a"
    assert thing["compiler"]["settings"]["evmVersion"] == "cancun"
    assert thing["compiler"]["settings"]["optimizer"] == {"enabled": True, "runs": 200}


def test_compile_records_sha256_of_every_source_including_openzeppelin(
    toy_artifacts: dict[str, str],
) -> None:
    sources = json.loads(toy_artifacts["Thing.json"])["sources"]
    oz = "node_modules/@openzeppelin/contracts/access/AccessControl.sol"
    assert set(TOY_SOURCES) <= set(sources)
    assert "node_modules/@openzeppelin/contracts/utils/Context.sol" in sources
    assert sources[oz] == hashlib.sha256((REPO_ROOT / oz).read_bytes()).hexdigest()
    assert sources["contracts/Thing.sol"] == (
        hashlib.sha256(TOY_SOURCES["contracts/Thing.sol"].encode()).hexdigest()
    )


def test_compile_renders_deterministic_json(
    toy_artifacts: dict[str, str], make_project: ProjectFactory
) -> None:
    # A second checkout elsewhere must give byte-identical artifacts (paths are relative).
    again = compile_all(make_project(TOY_SOURCES), SolcJsBackend())
    assert again == toy_artifacts
    text = toy_artifacts["Thing.json"]
    assert text.endswith("}\n")
    assert text == json.dumps(json.loads(text), indent=2, sort_keys=True) + "\n"


def test_check_reports_missing_stale_and_extra_artifacts(
    toy_artifacts: dict[str, str], tmp_path: Path
) -> None:
    write(toy_artifacts, tmp_path)
    assert compare(toy_artifacts, tmp_path) == []
    (tmp_path / "Maths.json").unlink()
    (tmp_path / "Thing.json").write_text("{}\n")
    (tmp_path / "Gone.json").write_text("{}\n")
    assert compare(toy_artifacts, tmp_path) == [
        "missing: Maths.json",
        "extra: Gone.json",
        "stale: Thing.json",
    ]
    write(toy_artifacts, tmp_path)
    assert compare(toy_artifacts, tmp_path) == []


def test_check_flag_exits_non_zero_when_artifacts_are_stale(
    make_project: ProjectFactory, capsys: pytest.CaptureFixture[str]
) -> None:
    root = make_project({"contracts/Lib.sol": TOY_SOURCES["contracts/lib/Maths.sol"]})
    assert main(["--check", "--backend", "solcjs", "--root", str(root)]) == 1
    assert "missing: Maths.json" in capsys.readouterr().err
    assert main(["--backend", "solcjs", "--root", str(root)]) == 0
    assert (root / ARTIFACTS_DIR / "Maths.json").is_file()
    assert main(["--check", "--backend", "solcjs", "--root", str(root)]) == 0


def test_mocks_are_compiled_beside_the_tests_not_into_the_package(
    make_project: ProjectFactory,
) -> None:
    root = make_project(
        {
            "contracts/Lib.sol": TOY_SOURCES["contracts/lib/Maths.sol"],
            "contracts/test/Mock.sol": SPDX + "contract Mock { uint256 public x; }\n",
        }
    )
    assert main(["--backend", "solcjs", "--root", str(root)]) == 0
    assert sorted(p.name for p in (root / ARTIFACTS_DIR).glob("*.json")) == ["Maths.json"]
    assert sorted(p.name for p in (root / TEST_ARTIFACTS_DIR).glob("*.json")) == ["Mock.json"]
    assert main(["--check", "--backend", "solcjs", "--root", str(root)]) == 0
    (root / ARTIFACTS_DIR / "Mock.json").write_text("{}\n")
    assert main(["--check", "--backend", "solcjs", "--root", str(root)]) == 1


def test_compile_reports_solidity_errors_with_location(make_project: ProjectFactory) -> None:
    root = make_project({"contracts/Broken.sol": SPDX + "contract Broken { uint256 x = ; }\n"})
    with pytest.raises(CompileError, match=r"contracts/Broken\.sol"):
        compile_all(root, SolcJsBackend())


def test_compile_reports_missing_import(make_project: ProjectFactory) -> None:
    root = make_project({"contracts/A.sol": SPDX + 'import "./Missing.sol";\ncontract A {}\n'})
    with pytest.raises(CompileError, match=r"contracts/A\.sol: cannot find import"):
        compile_all(root, SolcJsBackend())


def test_compile_refuses_contracts_that_need_library_linking(
    make_project: ProjectFactory,
) -> None:
    source = SPDX + (
        "library L { function f(uint256 x) public pure returns (uint256) { return x + 1; } }\n"
        "contract C { function g(uint256 x) external pure returns (uint256) { return L.f(x); } }\n"
    )
    root = make_project({"contracts/C.sol": source})
    with pytest.raises(CompileError, match="linking"):
        compile_all(root, SolcJsBackend())


def test_native_backend_passes_standard_json_through_solcx(
    make_project: ProjectFactory, toy_artifacts: dict[str, str], tmp_path: Path
) -> None:
    # A stand-in "native" solc that forwards to solc-js exercises the py-solc-x plumbing
    # where no native binary is installed.
    shim = tmp_path / "solc"
    shim.write_text(
        "#!/usr/bin/env bash\n"
        'if [[ " $* " == *" --version "* ]]; then\n'
        "  echo 'solc, the solidity compiler commandline interface'\n"
        "  echo 'Version: 0.8.28+commit.7893614a.Linux.g++'\n"
        "  exit 0\n"
        "fi\n"
        f'exec node "{SOLCJS_SCRIPT}"\n'
    )
    shim.chmod(shim.stat().st_mode | stat.S_IXUSR)
    assert compile_all(make_project(TOY_SOURCES), NativeBackend(shim)) == toy_artifacts


@pytest.mark.skipif(
    native_solc_binary() is None,
    reason="no native solc 0.8.28 installed (py-solc-x install dir or PATH)",
)
def test_native_and_solcjs_backends_produce_identical_artifacts(
    make_project: ProjectFactory, toy_artifacts: dict[str, str]
) -> None:
    binary = native_solc_binary()
    assert binary is not None
    native = NativeBackend(binary)
    assert compile_all(make_project(TOY_SOURCES), native) == toy_artifacts
    assert compile_all(REPO_ROOT, native) == compile_all(REPO_ROOT, SolcJsBackend())


@pytest.mark.timeout(900)
def test_artifacts_are_fresh() -> None:
    # Runs with whichever backend exists; `make test` installs solc-js through `npm ci`.
    fresh = compile_all(REPO_ROOT, select_backend(os.environ.get("POC_SOLC_BACKEND", "auto")))
    problems = [
        problem
        for directory, expected in by_directory(fresh).items()
        for problem in compare(expected, REPO_ROOT / directory)
    ]
    assert problems == [], "artifacts do not match contracts/: run `make compile`"
