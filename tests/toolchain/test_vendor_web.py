"""scripts/vendor_web.py: the pages' vendored ES modules equal node_modules, and the script
finds what a browser would need, refuses what it could not load, and reports drift."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from scripts.vendor_web import (
    MANIFEST,
    PACKAGES,
    REPO_ROOT,
    VENDOR_DIR,
    VendoredPackage,
    VendorError,
    compare,
    main,
    module_imports,
    vendor_plan,
    write,
)

TOY = VendoredPackage("@toy/hashes", "toy-hashes", ("main.js",))


def _toy_package(root: Path, files: dict[str, str], license_text: str = "MIT toy\n") -> Path:
    package_dir = root / "node_modules" / "@toy" / "hashes"
    package_dir.mkdir(parents=True, exist_ok=True)
    meta = {"name": "@toy/hashes", "version": "1.2.3"}
    (package_dir / "package.json").write_text(json.dumps(meta))
    (package_dir / "LICENSE").write_text(license_text)
    for name, text in files.items():
        (package_dir / name).parent.mkdir(parents=True, exist_ok=True)
        (package_dir / name).write_text(text)
    return package_dir


TOY_FILES = {
    "main.js": (
        "/**\n * @example\n * import { x } from '@toy/hashes/other.js';\n */\n"
        'import { helper } from "./lib/helper.js";\n'
        "export { sum } from './sum.js';\n"
        "export const main = () => helper();\n"
    ),
    "lib/helper.js": (
        'import {\n  sum,\n} from "../sum.js";\nexport const helper = () => sum(1, 2);\n'
    ),
    "sum.js": "export const sum = (a, b) => a + b;\n",
    "unused.js": "export const unused = 1;\n",
}


def test_vendored_web_files_equal_node_modules() -> None:
    problems = compare(vendor_plan(REPO_ROOT), REPO_ROOT / VENDOR_DIR)
    assert problems == [], "api/web/static/vendor differs from node_modules: run `make vendor-web`"


def test_vendored_manifest_names_the_pinned_version_and_file_hashes() -> None:
    pins = json.loads((REPO_ROOT / "package.json").read_text())["dependencies"]
    lock = json.loads((REPO_ROOT / "package-lock.json").read_text())["packages"]
    for package in PACKAGES:
        directory = REPO_ROOT / VENDOR_DIR / package.directory
        manifest = json.loads((directory / MANIFEST).read_text())
        assert manifest["package"] == package.npm_name
        assert manifest["version"] == pins[package.npm_name], "pin exactly, then vendor"
        assert manifest["integrity"] == lock[f"node_modules/{package.npm_name}"]["integrity"]
        # Nested too: a package's modules may live in a folder (canonicalize's lib/).
        files = {
            p.relative_to(directory).as_posix() for p in directory.rglob("*") if p.is_file()
        } - {MANIFEST}
        assert set(manifest["sha256"]) == files
        assert package.license_file in files
        for name, digest in manifest["sha256"].items():
            assert hashlib.sha256((directory / name).read_bytes()).hexdigest() == digest, name
        # A rewritten module differs from npm's only in the specifiers the manifest names.
        source = REPO_ROOT / "node_modules" / package.npm_name
        for name, change in manifest.get("rewritten", {}).items():
            original = (source / name).read_bytes()
            assert hashlib.sha256(original).hexdigest() == change["npm_sha256"]
            served = (directory / name).read_text()
            for bare, relative in change["specifiers"].items():
                served = served.replace(f"'{relative}'", f"'{bare}'").replace(
                    f'"{relative}"', f'"{bare}"'
                )
            assert served.encode() == original, name


def test_vendor_plan_follows_relative_imports_and_leaves_the_rest(tmp_path: Path) -> None:
    _toy_package(tmp_path, TOY_FILES)
    plan = vendor_plan(tmp_path, (TOY,))
    assert sorted(plan) == [
        "toy-hashes/LICENSE",
        f"toy-hashes/{MANIFEST}",
        "toy-hashes/lib/helper.js",
        "toy-hashes/main.js",
        "toy-hashes/sum.js",
    ]
    assert plan["toy-hashes/main.js"] == TOY_FILES["main.js"].encode()
    manifest = json.loads(plan[f"toy-hashes/{MANIFEST}"])
    assert manifest["version"] == "1.2.3"
    assert manifest["integrity"] is None  # no package-lock.json in this tree
    assert manifest["sha256"]["sum.js"] == hashlib.sha256(TOY_FILES["sum.js"].encode()).hexdigest()


def test_module_imports_reads_multiline_imports_and_skips_comment_examples() -> None:
    assert module_imports(TOY_FILES["main.js"]) == ["./lib/helper.js", "./sum.js"]
    assert module_imports(TOY_FILES["lib/helper.js"]) == ["../sum.js"]
    assert module_imports('import "./side-effect.js";\nexport * from "./all.js";\n') == [
        "./side-effect.js",
        "./all.js",
    ]


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ('import { sha256 } from "@noble/hashes/sha2.js";\n', "bare specifier"),
        ('export { a } from "../../elsewhere.js";\n', "outside its package"),
        ('import { a } from "./missing.js";\n', "missing.js not found"),
        ("const m = await import('./late.js');\n", "dynamic import"),
    ],
)
def test_vendor_refuses_modules_a_browser_could_not_load_from_the_copy(
    tmp_path: Path, source: str, message: str
) -> None:
    _toy_package(tmp_path, {"main.js": source})
    with pytest.raises(VendorError, match=message):
        vendor_plan(tmp_path, (TOY,))


TOY_WORDS = VendoredPackage("@toy/words", "toy-words", ("index.js",))


def _toy_words(root: Path, source: str) -> Path:
    package_dir = root / "node_modules" / "@toy" / "words"
    package_dir.mkdir(parents=True, exist_ok=True)
    (package_dir / "package.json").write_text(
        json.dumps({"name": "@toy/words", "version": "2.0.0"})
    )
    (package_dir / "LICENSE").write_text("MIT words\n")
    (package_dir / "index.js").write_text(source)
    return package_dir


WORDS_SOURCE = (
    "/** import { no } from '@toy/hashes/unused.js'; */\n"
    "import { sum } from '@toy/hashes/sum.js';\n"
    'import { helper } from "@toy/hashes/lib/helper.js";\n'
    "export const words = () => sum(helper(), 1);\n"
)


def test_vendor_rewrites_bare_imports_of_a_vendored_package_to_its_copy(tmp_path: Path) -> None:
    _toy_package(tmp_path, TOY_FILES)
    _toy_words(tmp_path, WORDS_SOURCE)
    plan = vendor_plan(tmp_path, (TOY, TOY_WORDS))
    served = plan["toy-words/index.js"].decode()
    assert "import { sum } from '../toy-hashes/sum.js';" in served
    assert 'import { helper } from "../toy-hashes/lib/helper.js";' in served
    # Only import statements change: the comment keeps its text, the rest is byte for byte.
    assert served.replace("../toy-hashes/", "@toy/hashes/") == WORDS_SOURCE
    # The modules it reaches in the other package are vendored with that package, even if
    # that package's own entries do not need them.
    assert "toy-hashes/unused.js" not in plan
    manifest = json.loads(plan[f"toy-words/{MANIFEST}"])
    assert manifest["rewritten"]["index.js"] == {
        "npm_sha256": hashlib.sha256(WORDS_SOURCE.encode()).hexdigest(),
        "specifiers": {
            "@toy/hashes/lib/helper.js": "../toy-hashes/lib/helper.js",
            "@toy/hashes/sum.js": "../toy-hashes/sum.js",
        },
    }
    assert manifest["sha256"]["index.js"] == hashlib.sha256(served.encode()).hexdigest()
    assert "rewritten" not in json.loads(plan[f"toy-hashes/{MANIFEST}"])
    # A module of the other package reached only through the bare import is vendored too.
    only_words = VendoredPackage("@toy/hashes", "toy-hashes", ("sum.js",))
    plan = vendor_plan(tmp_path, (only_words, TOY_WORDS))
    assert "toy-hashes/lib/helper.js" in plan


def test_vendor_refuses_a_bare_import_resolved_to_a_nested_other_version(tmp_path: Path) -> None:
    _toy_package(tmp_path, TOY_FILES)
    words_dir = _toy_words(tmp_path, WORDS_SOURCE)
    (words_dir / "node_modules" / "@toy" / "hashes").mkdir(parents=True)
    with pytest.raises(VendorError, match="needs its own @toy/hashes"):
        vendor_plan(tmp_path, (TOY, TOY_WORDS))


def test_vendor_refuses_a_package_without_its_licence(tmp_path: Path) -> None:
    package_dir = _toy_package(tmp_path, {"main.js": "export const a = 1;\n"})
    (package_dir / "LICENSE").unlink()
    with pytest.raises(VendorError, match="LICENSE"):
        vendor_plan(tmp_path, (TOY,))


def test_check_reports_missing_stale_and_extra_vendored_files(tmp_path: Path) -> None:
    _toy_package(tmp_path, TOY_FILES)
    plan = vendor_plan(tmp_path, (TOY,))
    directory = tmp_path / "vendor"
    write(plan, directory)
    assert compare(plan, directory) == []
    (directory / "toy-hashes" / "sum.js").unlink()
    (directory / "toy-hashes" / "main.js").write_text("export const main = 'edited by hand';\n")
    (directory / "toy-hashes" / "old" / "gone.js").parent.mkdir()
    (directory / "toy-hashes" / "old" / "gone.js").write_text("")
    assert compare(plan, directory) == [
        "missing: toy-hashes/sum.js",
        "extra: toy-hashes/old/gone.js",
        "stale: toy-hashes/main.js",
    ]
    write(plan, directory)
    assert compare(plan, directory) == []
    assert not (directory / "toy-hashes" / "old").exists()


def test_check_flag_exits_non_zero_when_the_copy_drifted(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # The real package list against a copy of node_modules' @noble/hashes.
    for package in PACKAGES:
        source = REPO_ROOT / "node_modules" / package.npm_name
        target = tmp_path / "node_modules" / package.npm_name
        for path in source.rglob("*"):
            if path.is_file():
                (target / path.relative_to(source)).parent.mkdir(parents=True, exist_ok=True)
                (target / path.relative_to(source)).write_bytes(path.read_bytes())
    assert main(["--check", "--root", str(tmp_path)]) == 1
    assert "missing: noble-hashes/sha2.js" in capsys.readouterr().err
    assert main(["--root", str(tmp_path)]) == 0
    assert main(["--check", "--root", str(tmp_path)]) == 0
    vendored = tmp_path / VENDOR_DIR / "noble-hashes" / "sha3.js"
    vendored.write_bytes(vendored.read_bytes().replace(b"0x01", b"0x06", 1))
    assert main(["--check", "--root", str(tmp_path)]) == 1
    assert "stale: noble-hashes/sha3.js" in capsys.readouterr().err
