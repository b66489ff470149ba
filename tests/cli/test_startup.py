"""`bigsync` starts at once: importing the CLI (and printing `--help`) loads no heavy module."""

from __future__ import annotations

import subprocess
import sys
from datetime import timedelta

import pytest

HEAVY = (
    "sqlalchemy",
    "httpx",
    "bigsync.connections.service",
    "bigsync.sync.engine",
    "bigsync.sandbox",
    "pydantic_settings",
    "uvicorn",
    "fastapi",
    "starlette",
    "bigsync.web",
    "bigsync.jobs",
)


def _loaded_after(code: str) -> set[str]:
    script = f"import sys\n{code}\nprint('\\n'.join(sys.modules))"
    done = subprocess.run(  # noqa: S603 -- our own interpreter
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=False
    )
    return set(done.stdout.split())


@pytest.mark.parametrize(
    "code",
    [
        "import bigsync.cli.main",
        "from bigsync.cli.main import app\nsys.argv = ['bigsync', '--help']\n"
        "try:\n    app()\nexcept SystemExit:\n    pass",
        "from bigsync.cli.main import app\nsys.argv = ['bigsync', 'connect', '--help']\n"
        "try:\n    app()\nexcept SystemExit:\n    pass",
        "from bigsync.cli.main import app\nsys.argv = ['bigsync', 'serve', '--help']\n"
        "try:\n    app()\nexcept SystemExit:\n    pass",
    ],
    ids=["import", "help", "connect-help", "serve-help"],
)
def test_starting_the_cli_loads_no_heavy_module(code: str) -> None:
    loaded = _loaded_after(code)
    assert "bigsync.cli.main" in loaded
    heavy = sorted(m for m in loaded if m.split(".")[0] in HEAVY or m.startswith(HEAVY))
    assert heavy == []


def test_the_spelled_out_choices_match_the_use_cases() -> None:
    """The CLI names kinds, features and the transactions window without importing them."""
    from bigsync.cli import connections, demo
    from bigsync.cli import sync as sync_cli
    from bigsync.connections.features import Feature
    from bigsync.connections.model import ConnectionKind
    from bigsync.sync.model import SyncOptions

    assert tuple(k.value for k in ConnectionKind) == connections.CONNECTION_KINDS
    assert tuple(f.value for f in Feature) == connections.FEATURE_NAMES
    assert set(demo.DEMO_FEATURES) == {f.value for f in Feature if f.value.startswith("read_")}
    assert timedelta(days=sync_cli.TRANSACTIONS_DAYS) == SyncOptions().transactions_window
