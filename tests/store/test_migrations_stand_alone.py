"""Migrations import no project code: what a revision does must not change when the code changes later."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from mailyard.store import migrations

VERSIONS = sorted((Path(migrations.__file__).parent / "versions").glob("[0-9]*.py"))


def _imported_modules(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
    return found


def test_there_are_revisions() -> None:
    assert len(VERSIONS) >= 15


@pytest.mark.parametrize("path", VERSIONS, ids=lambda path: path.stem)
def test_a_revision_imports_no_project_code(path: Path) -> None:
    assert not {name for name in _imported_modules(path) if name.split(".")[0] == "mailyard"}
