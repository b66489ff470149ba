"""`bigsync connect NAME --update --every 5m`, and what `bigsync status` says of the schedule
and the last webhook event."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

from typer.testing import CliRunner

from bigsync.cli.main import app
from bigsync.cli.service import bigsync_command
from bigsync.config import get_settings
from bigsync.sandbox.server import SandboxServer
from bigsync.store import schedule_repository
from bigsync.store.db import create_engine_for
from bigsync.store.schedule_repository import ScheduleRow
from tests.cli.conftest import token_of


def run(*args: str) -> object:
    return CliRunner().invoke(app, list(args), env={"COLUMNS": "80"})


def test_every_sets_the_interval_and_status_shows_the_schedule(
    cli_env: Path, live_sandbox: SandboxServer, monkeypatch: object
) -> None:
    store_hash, token = token_of(live_sandbox, "full")
    added = CliRunner().invoke(
        app,
        ["connect", "shop", "--store", store_hash, "--token", token, "--api-url", live_sandbox.url],
    )
    assert added.exit_code == 0, added.output
    updated = CliRunner().invoke(
        app, ["connect", "shop", "--update", "--every", "5m", "--no-test", "--json"]
    )
    assert updated.exit_code == 0, updated.output
    assert json.loads(updated.output)["connection"]["sync_every_s"] == 300

    shown = CliRunner().invoke(app, ["connect", "shop", "--update", "--every", "90m", "--no-test"])
    assert "syncs every 90m" in shown.output
    hours = CliRunner().invoke(app, ["connect", "shop", "--update", "--every", "120m", "--no-test"])
    assert "syncs every 2h" in hours.output
    CliRunner().invoke(app, ["connect", "shop", "--update", "--every", "5m", "--no-test"])

    refused = CliRunner().invoke(
        app, ["connect", "shop", "--update", "--every", "30s", "--no-test"]
    )
    assert refused.exit_code == 1
    assert refused.output.strip().splitlines() == [
        "error: syncs run at most every minute: give 1m or more (not 30s)"
    ]

    status = CliRunner().invoke(app, ["status", "shop"], env={"COLUMNS": "80"})
    assert status.exit_code == 0, status.output
    command = bigsync_command()
    assert f"schedule: every 5m; first sync as soon as `{command} serve` runs" in status.output
    assert "webhooks: no event received yet" in status.output

    engine = create_engine_for(get_settings().resolved_database_url)
    now = datetime.now(UTC)
    connection_id = int(json.loads(updated.output)["connection"]["id"])
    with engine.begin() as conn:
        schedule_repository.save_schedule(
            conn,
            ScheduleRow(
                connection_id, "sync", next_run_at=now + timedelta(minutes=4, seconds=30),
                last_started_at=now - timedelta(minutes=1), last_finished_at=now,
                last_outcome="failed", last_error="the store refused the access token (401)",
                failures=3,
            ),
        )  # fmt: skip
        schedule_repository.note_webhook(
            conn, connection_id, at=now - timedelta(minutes=2), scope="store/product/updated"
        )
    engine.dispose()
    status = CliRunner().invoke(app, ["status", "shop"], env={"COLUMNS": "80"})
    assert "schedule: every 5m; next sync in 4 min" in status.output
    assert all(len(line) <= 80 for line in status.output.splitlines())
    assert (
        "last scheduled sync failed (3 in a row, next try in 4 min): "
        "the store refused the access token (401)"
    ) in " ".join(status.output.split())
    assert "webhooks: last event 2 min ago (store/product/updated), 1 received" in status.output
    as_json = json.loads(CliRunner().invoke(app, ["status", "shop", "--json"]).output)
    assert as_json["schedule"]["last_webhook"]["scope"] == "store/product/updated"
    assert as_json["schedule"]["jobs"]["sync"]["failures"] == 3
