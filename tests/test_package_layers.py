"""The import graph has no cycle: the contracts in pyproject.toml ([tool.importlinter]) hold. Packages form
layers, and the modules inside each package form no loop either, imports under TYPE_CHECKING included.

import-linter runs in a process of its own, as ``lint-imports`` would: its entry point configures logging with
``logging.config.dictConfig`` (importlinter.cli._configure_logging), which leaves ``disable_existing_loggers``
at its default, True, and so disables every logger the test process had created until then (storage.health,
bot.deferred, …). Run in-process, it silenced the log lines later tests assert on (the outage tests' "database
unavailable" / "redis unavailable").
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import tomllib
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
_LINT_IMPORTS = "import sys; from importlinter.cli import lint_imports_command; sys.exit(lint_imports_command())"


def lint_imports(config: Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    """``lint-imports --no-cache CONFIG`` run from ``cwd`` (on the import path, as the contract's packages are)."""
    env = {**os.environ, "PYTHONPATH": str(cwd)}
    return subprocess.run(
        [sys.executable, "-c", _LINT_IMPORTS, "--no-cache", "--no-logo", str(config)],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def _config() -> dict[str, Any]:
    with (ROOT / "pyproject.toml").open("rb") as file:
        linter: dict[str, Any] = tomllib.load(file)["tool"]["importlinter"]
    return linter


def test_packages_import_only_the_layers_below_them() -> None:
    linted = lint_imports(ROOT / "pyproject.toml", cwd=ROOT)  # the contract names the top-level packages
    assert linted.returncode == 0, linted.stdout + linted.stderr


def test_every_package_is_checked_for_module_cycles_counting_type_checking_imports() -> None:
    linter = _config()
    assert not linter.get("exclude_type_checking_imports", False)
    acyclic = [c for c in linter["contracts"] if c["type"] == "acyclic_siblings"]
    assert len(acyclic) == 1
    assert set(acyclic[0]["ancestors"]) == set(linter["root_packages"])


def test_the_module_contract_fails_on_a_cycle_only_the_type_checker_sees(tmp_path: Path) -> None:
    """The same contract, on a package whose two modules import each other, one only under TYPE_CHECKING."""
    package = tmp_path / "tangled"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "context.py").write_text(
        textwrap.dedent(
            """
            from typing import TYPE_CHECKING

            if TYPE_CHECKING:
                from tangled.desk import Desk
            """
        )
    )
    (package / "desk.py").write_text("from tangled.context import TYPE_CHECKING\n\nDesk = object\n")
    config = tmp_path / "importlinter.toml"

    def lint(ignore: str) -> subprocess.CompletedProcess[str]:
        config.write_text(
            textwrap.dedent(
                f"""
                [tool.importlinter]
                root_packages = ["tangled"]

                [[tool.importlinter.contracts]]
                name = "no module cycle"
                type = "acyclic_siblings"
                ancestors = ["tangled"]
                ignore_imports = [{ignore}]
                """
            )
        )
        return lint_imports(config, cwd=tmp_path)

    looped = lint("")
    assert looped.returncode == 1 and "No cycles are allowed in tangled" in looped.stdout, looped.stdout + looped.stderr
    ignored = lint('"tangled.context -> tangled.desk"')
    assert ignored.returncode == 0, ignored.stdout + ignored.stderr  # the TYPE_CHECKING import alone made the loop
