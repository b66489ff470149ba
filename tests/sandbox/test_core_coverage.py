"""SANDBOX_COVERAGE.md is generated and up to date."""

from __future__ import annotations

from tests.sandbox import coverage
from tests.sandbox.schema import operation_id_for, require_specs


def test_committed_coverage_file_is_current() -> None:
    require_specs()
    assert coverage.OUTPUT.is_file(), "run: python -m tests.sandbox.coverage"
    assert coverage.OUTPUT.read_text(encoding="utf-8") == coverage.render(), (
        "SANDBOX_COVERAGE.md is stale; run: python -m tests.sandbox.coverage"
    )


def test_every_listed_operation_is_documented_by_a_spec() -> None:
    require_specs()
    undocumented = [
        f"{method} {path}"
        for method, path in coverage.operations()
        if operation_id_for(method, "/stores/h" + path) is None
    ]
    assert undocumented == []
