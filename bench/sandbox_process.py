"""A `bigsync sandbox` in its own process for the benchmarks: pinned to CPU 0, on 127.0.0.1."""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx

BIGSYNC = Path(sys.executable).with_name("bigsync")


def pin(cpu: int) -> None:
    """Run this process on `cpu` when the machine has it."""
    if hasattr(os, "sched_setaffinity") and cpu < (os.cpu_count() or 1):
        os.sched_setaffinity(0, {cpu})


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of process `pid` so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


def start_sandbox(
    port: int,
    *,
    products: int,
    orders: int,
    customers: int,
    latency_ms: float,
    plan: str,
    stores: int = 1,
    seed: int = 1,
) -> subprocess.Popen[bytes]:
    """`bigsync sandbox` with `stores` stores of that size, pinned to CPU 0."""
    command = [
        str(BIGSYNC),
        "sandbox",
        f"--port={port}",
        f"--seed={seed}",
        f"--stores={stores}",
        f"--products={products}",
        f"--orders={orders}",
        f"--customers={customers}",
        f"--latency-ms={latency_ms}",
        f"--plan={plan}",
    ]
    return subprocess.Popen(  # noqa: S603 -- our own CLI with fixed arguments
        command,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        preexec_fn=lambda: pin(0),  # noqa: PLW1509 -- only sets CPU affinity
    )


async def wait_ready(
    base: str, server: subprocess.Popen[bytes], *, timeout_s: float = 600
) -> dict[str, Any]:
    """The sandbox's `/_sandbox/stores` once it answers (the stores take a while to generate)."""
    deadline = time.monotonic() + timeout_s
    async with httpx.AsyncClient(base_url=base) as control:
        while time.monotonic() < deadline:
            if server.poll() is not None:
                stderr = server.stderr.read().decode() if server.stderr else ""
                raise RuntimeError(f"sandbox exited: {stderr}")
            try:
                stores: dict[str, Any] = (await control.get("/_sandbox/stores")).json()
            except httpx.TransportError:
                await asyncio.sleep(0.2)
            else:
                return stores
    raise TimeoutError("the sandbox did not start")
