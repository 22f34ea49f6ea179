"""Build hook: compiles the credit flow's loops (ledger/scoring/_walk.pyx) into an extension
module next to their source, for the wheel and for the editable install `make setup` does.

Cython turns the .pyx into C and setuptools' `build_ext` compiles it with the machine's C
compiler. Without a compiler the package still installs and works: `ledger.scoring.flow` then
runs the same loops in Python, slower (a million contributions with parents: about 0.5 s more).
`POC_REQUIRE_COMPILED=1` (set by `make setup`) turns that into an error, so that a machine
missing a compiler says so at set-up instead of running slow.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path
from typing import Any

from hatchling.builders.hooks.plugin.interface import BuildHookInterface

EXTENSIONS = {"ledger.scoring._walk": "ledger/scoring/_walk.pyx"}


class CompiledLoopsHook(BuildHookInterface):
    """Compile EXTENSIONS in place and ship the results in the wheel (platform-tagged)."""

    PLUGIN_NAME = "custom"

    def initialize(self, version: str, build_data: dict[str, Any]) -> None:
        root = Path(self.root)
        try:
            built = _compile(root)
        except Exception as exc:  # the compiler, Cython or setuptools: any of them may fail
            if os.environ.get("POC_REQUIRE_COMPILED"):
                raise RuntimeError(f"could not compile {list(EXTENSIONS.values())}: {exc}") from exc
            print(
                f"warning: {list(EXTENSIONS.values())} not compiled ({exc}); "
                "the credit flow runs in Python, slower",
                file=sys.stderr,
            )
            return
        # The compiled files are ignored by git, so the wheel needs them named.
        build_data["artifacts"].extend(path.relative_to(root).as_posix() for path in built)
        build_data["pure_python"] = False
        build_data["infer_tag"] = True


def _compile(root: Path) -> list[Path]:
    """Build every extension in place; the paths of the modules built."""
    from Cython.Build import cythonize
    from setuptools import Distribution, Extension

    extensions = [
        Extension(name, [str(root / source)], extra_compile_args=["-O2"])
        for name, source in EXTENSIONS.items()
    ]
    with tempfile.TemporaryDirectory(prefix="poc-build-") as scratch:
        distribution = Distribution(
            {"ext_modules": cythonize(extensions, quiet=True, language_level=3)}
        )
        command = distribution.get_command_obj("build_ext")
        command.inplace = True  # the module lands next to its source
        command.build_temp = command.build_lib = scratch
        previous = os.getcwd()
        os.chdir(root)  # build_ext --inplace writes relative to the working directory
        try:
            distribution.run_command("build_ext")
        finally:
            os.chdir(previous)
        return [root / command.get_ext_filename(name) for name in EXTENSIONS]
