"""bigsync.sandbox imports nothing from bigsync outside itself (it must stand alone)."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import bigsync.sandbox

SANDBOX = Path(bigsync.sandbox.__file__).resolve().parent


def _absolute(module: Path, node: ast.ImportFrom) -> str:
    """The absolute name a (possibly relative) `from ... import` refers to."""
    if node.level == 0:
        return node.module or ""
    package = list(module.relative_to(SANDBOX.parent.parent).with_suffix("").parts)[:-1]
    base = package[: len(package) - (node.level - 1)]
    return ".".join([*base, *([node.module] if node.module else [])])


def _imported_names(module: Path) -> list[str]:
    tree = ast.parse(module.read_text(encoding="utf-8"), filename=str(module))
    names: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            names.append(_absolute(module, node))
    return names


def _is_foreign(name: str) -> bool:
    return (name == "bigsync" or name.startswith("bigsync.")) and not (
        name == "bigsync.sandbox" or name.startswith("bigsync.sandbox.")
    )


def test_no_module_imports_bigsync_outside_the_sandbox() -> None:
    modules = sorted(SANDBOX.rglob("*.py"))
    assert len(modules) > 10
    offenders = [
        f"{module.relative_to(SANDBOX)}: {name}"
        for module in modules
        for name in _imported_names(module)
        if _is_foreign(name)
    ]
    assert offenders == []


def test_the_checker_sees_absolute_and_relative_imports() -> None:
    module = SANDBOX / "routes" / "store.py"
    tree = ast.parse("from .. import backend\nfrom ...config import Settings\n")
    relative = [n for n in tree.body if isinstance(n, ast.ImportFrom)]
    assert _absolute(module, relative[0]) == "bigsync.sandbox"
    assert _is_foreign(_absolute(module, relative[1]))
    assert _is_foreign("bigsync.errors")
    assert not _is_foreign("bigsync.sandbox.backend")


def test_importing_the_sandbox_loads_no_other_bigsync_module() -> None:
    code = (
        "import sys, bigsync.sandbox, bigsync.sandbox.control, bigsync.sandbox.server;"
        "print(sorted(m for m in sys.modules if m.startswith('bigsync') and "
        "m != 'bigsync' and not m.startswith('bigsync.sandbox')))"
    )
    result = subprocess.run(  # noqa: S603 -- our own interpreter, fixed code
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert result.stdout.strip() == "[]"
