"""Operating worker mode: `bigsync jobs`, `/metrics` and its access rule, JSON logs."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import subprocess
from pathlib import Path

import pytest
from starlette.requests import Request

from bigsync.cli.logs import JsonFormatter
from bigsync.jobs import metrics
from bigsync.jobs.queue import build_queue, enqueue
from bigsync.store.db import create_engine_for, libpq_conninfo, migrate
from bigsync.web.metrics import may_scrape
from tests.databases import add_connection
from tests.jobs.fleet import bigsync_script


def _cli(database_url: str, root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("BIGSYNC_")}
    env |= {"BIGSYNC_DATABASE_URL": database_url, "BIGSYNC_DATA_DIR": str(root / "data"),
            "COLUMNS": "80"}  # fmt: skip
    return subprocess.run(  # noqa: S603 -- our own script
        [bigsync_script(), *args], env=env, capture_output=True, text=True, timeout=90,
        check=False,
    )  # fmt: skip


@pytest.mark.postgres
def test_bigsync_jobs_lists_retries_and_cancels(tmp_path: Path, postgres_url: str) -> None:
    engine = create_engine_for(postgres_url)
    migrate(engine)
    shop = add_connection(engine, "a shop with a rather long name that is cut", store_hash="h1")
    other = add_connection(engine, "other", store_hash="h2")
    engine.dispose()
    app = build_queue(libpq_conninfo(postgres_url))

    async def fill() -> list[int | None]:
        async with app.open_async():
            return [
                await enqueue(app, "sync", shop, store="sandbox/h1"),
                await enqueue(app, "dispatch_outbox", other, store="sandbox/h2", delay_s=600),
                # Already waiting: not queued twice.
                await enqueue(app, "sync", shop, store="sandbox/h1"),
            ]

    first, later, again = asyncio.run(fill())
    assert first
    assert later
    assert again is None
    listed = _cli(postgres_url, tmp_path, "jobs", "--json")
    assert listed.returncode == 0, listed.stderr
    jobs = json.loads(listed.stdout)
    assert [(j["id"], j["kind"], j["connection"], j["status"]) for j in jobs] == [
        (later, "dispatch_outbox", "other", "todo"),
        (first, "sync", "a shop with a rather long name that is cut", "todo"),
    ]
    table = _cli(postgres_url, tmp_path, "jobs")
    assert table.returncode == 0, table.stderr
    lines = table.stdout.splitlines()
    assert all(len(line) <= 80 for line in lines), lines
    assert "ID" in lines[0]
    assert "SCHEDULED" in lines[0]
    assert any("in 9 min" in line for line in lines), lines
    cancelled = _cli(postgres_url, tmp_path, "jobs", "cancel", str(first))
    assert (cancelled.returncode, cancelled.stdout.strip()) == (
        0,
        f"job {first} cancelled (a running job stops between pages)",
    )
    assert _cli(postgres_url, tmp_path, "jobs", "--status", "cancelled", "--json").stdout.count(
        '"cancelled"'
    ) == 1  # fmt: skip
    again_cancelled = _cli(postgres_url, tmp_path, "jobs", "cancel", str(first))
    assert again_cancelled.returncode == 1
    assert f"bigsync jobs retry {first}" in again_cancelled.stderr
    retried = _cli(postgres_url, tmp_path, "jobs", "retry", str(first), "--json")
    assert retried.returncode == 0, retried.stderr
    queued = json.loads(retried.stdout)
    assert (queued["kind"], queued["connection_id"], queued["status"]) == ("sync", shop, "todo")
    assert queued["id"] != first
    missing = _cli(postgres_url, tmp_path, "jobs", "retry", "999999")
    assert (missing.returncode, missing.stderr) == (1, "error: no job #999999 in the queue\n")
    wrong = _cli(postgres_url, tmp_path, "jobs", "--status", "lost")
    assert wrong.returncode == 1
    assert wrong.stderr.startswith("error: --status is one of todo, doing")


def test_worker_mode_needs_postgresql(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/hub.db"
    for command in (["jobs"], ["worker"]):
        done = _cli(url, tmp_path, *command)
        assert done.returncode == 1, done
        assert done.stderr == (
            "error: worker mode needs a PostgreSQL database: set BIGSYNC_DATABASE_URL to "
            "postgresql://user:password@host:5432/database\n"
        )


def _request(host: str, authorization: str | None = None) -> Request:
    headers = [(b"authorization", authorization.encode())] if authorization else []
    return Request({"type": "http", "client": (host, 5000), "headers": headers})


def test_metrics_answer_the_loopback_or_the_token() -> None:
    assert may_scrape(_request("127.0.0.1"), None)
    assert may_scrape(_request("::1"), None)
    assert not may_scrape(_request("10.0.0.7"), None)
    assert not may_scrape(_request("testclient"), None)
    assert may_scrape(_request("10.0.0.7", "Bearer s3cret-token"), "s3cret-token")
    assert not may_scrape(_request("10.0.0.7", "Bearer wrong"), "s3cret-token")
    assert not may_scrape(_request("127.0.0.1"), "s3cret-token")  # a token set: always asked


def test_metrics_count_work_with_bounded_labels() -> None:
    metrics.job_finished("sync", "ok", 1.5)
    metrics.request_answered("abc123", 200, 0.25)
    metrics.request_answered("abc123", 429, 0.0)
    for number in range(metrics.STORE_LABELS + 10):
        metrics.store_label(f"store{number}")
    assert metrics.store_label("one more") == "other"
    text = metrics.exposition().decode()
    assert 'bigsync_jobs_total{kind="sync",outcome="ok"}' in text
    assert 'bigsync_api_requests_total{status="2xx"}' in text
    assert 'bigsync_api_throttled_total{store="abc123"}' in text
    assert "bigsync_rate_limit_wait_seconds_total" in text
    assert metrics.status_class(0) == "error"


def test_json_logs_carry_the_records_fields() -> None:
    record = logging.LogRecord("bigsync.jobs", logging.WARNING, __file__, 1, "job %s", (7,), None)
    record.action = "job_success"
    line = json.loads(JsonFormatter().format(record))
    assert (line["level"], line["logger"], line["message"], line["action"]) == (
        "warning",
        "bigsync.jobs",
        "job 7",
        "job_success",
    )
    assert line["time"].endswith("+00:00")
