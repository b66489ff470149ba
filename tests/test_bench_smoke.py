"""Every benchmark script still runs, at a tiny size (the figures themselves are not checked:
performance is measured by running the scripts, see bench/README.md)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[1] / "bench"

TINY_RUNS = {
    "client_transport.py": ["--requests", "8", "--repeat", "1", "--products", "20"],
    "client_fetch.py": ["--products", "60", "--orders", "60", "--plans", "unlimited",
                        "--latency-ms", "0"],
    "sandbox_generator.py": ["--products", "40", "--orders", "40", "--customers", "10",
                             "--repeat", "1"],
    "sandbox_throughput.py": ["--products", "40", "--seconds", "1"],
    "serve_scheduler.py": ["--connections", "20"],
    "stock_import.py": ["--items", "30"],
    "products_browse.py": ["--products", "60", "--repeat", "2"],
    "sync_full.py": ["--products", "40", "--orders", "40", "--customers", "10",
                     "--latency-ms", "0", "--changes", "5"],
    "stock_push.py": ["--items", "200", "--latency-ms", "0", "--inventory-delay-ms", "300"],
    "mirror_write.py": ["--products", "30", "--orders", "30", "--repeat", "1"],
    "vault_rotate.py": ["--secrets", "20"],
    "webhook_delivery.py": ["--events", "20"],
    "workers.py": ["--stores", "4", "--workers", "1,2", "--cases", "0:8,0:2", "--products", "3",
                   "--noop-jobs", "20"],
    "webhook_latency.py": ["--rates", "10", "--seconds", "1", "--products", "30",
                           "--events", "50"],
    "web_pages.py": ["--products", "30", "--orders", "40", "--requests", "2"],
    "worker_cpu.py": ["--stores", "3", "--products", "3", "--latency-ms", "0"],
}  # fmt: skip


def test_every_benchmark_script_has_a_smoke_run() -> None:
    helpers = {"sandbox_process.py", "cpu_breakdown.py"}
    scripts = {p.name for p in BENCH.glob("*.py")} - helpers
    assert scripts == set(TINY_RUNS)


@pytest.mark.slow
@pytest.mark.timeout(180, method="thread")
@pytest.mark.parametrize("script", sorted(TINY_RUNS))
def test_benchmark_script_runs(script: str) -> None:
    completed = subprocess.run(  # noqa: S603 -- our own scripts with fixed arguments
        [sys.executable, str(BENCH / script), *TINY_RUNS[script]],
        capture_output=True,
        text=True,
        timeout=170,
        check=False,
    )
    assert completed.returncode == 0, completed.stdout[-2000:] + completed.stderr[-4000:]
