"""The import graph has no cycle: the contracts in pyproject.toml ([tool.importlinter]) hold. Packages form
layers, and the modules inside each package form no loop either, imports under TYPE_CHECKING included."""

from __future__ import annotations

import sys
import textwrap
import tomllib
from pathlib import Path
from typing import Any

import pytest
from importlinter.cli import lint_imports

ROOT = Path(__file__).resolve().parents[1]


def _config() -> dict[str, Any]:
    with (ROOT / "pyproject.toml").open("rb") as file:
        linter: dict[str, Any] = tomllib.load(file)["tool"]["importlinter"]
    return linter


def test_packages_import_only_the_layers_below_them(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)  # the contract names the repository's top-level packages
    assert lint_imports(config_filename=str(ROOT / "pyproject.toml"), no_cache=True, no_logo=True) == 0


def test_every_package_is_checked_for_module_cycles_counting_type_checking_imports() -> None:
    linter = _config()
    assert not linter.get("exclude_type_checking_imports", False)
    acyclic = [c for c in linter["contracts"] if c["type"] == "acyclic_siblings"]
    assert len(acyclic) == 1
    assert set(acyclic[0]["ancestors"]) == set(linter["root_packages"])


def test_the_module_contract_fails_on_a_cycle_only_the_type_checker_sees(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
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

    def lint(ignore: str) -> int:
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
        return lint_imports(config_filename=str(config), no_cache=True, no_logo=True)

    monkeypatch.chdir(tmp_path)
    monkeypatch.syspath_prepend(str(tmp_path))
    sys.modules.pop("tangled", None)
    assert lint("") == 1
    assert lint('"tangled.context -> tangled.desk"') == 0  # the TYPE_CHECKING import alone made the loop
