"""A dispatcher killed with SIGKILL at each step between marking a shipment `sending` and
committing its outcome: the next dispatch makes exactly one shipment per intent."""

from __future__ import annotations

import asyncio
import signal
import subprocess
import sys
from datetime import UTC, datetime

import pytest

from bigsync.errors import DispatchLockedError
from bigsync.sandbox.faults import FaultSpec
from bigsync.writeback.dispatcher import DispatchResult
from tests.writeback.conftest import WbWorld, token_of
from tests.writeback.helpers import ship_all, shipments_of, shippable_orders

SHIPPED = 2


def _run_worker(wb: WbWorld, live_url: str, step: str) -> subprocess.CompletedProcess[str]:
    db_url = wb.db.url.render_as_string(hide_password=False)
    command = [
        sys.executable,
        "-m",
        "tests.writeback.crash_worker",
        db_url,
        live_url,
        wb.store.hash,
        str(wb.connection_id),
        step,
    ]
    return subprocess.run(  # noqa: S603 -- our own interpreter and module
        command,
        check=False,
        input=token_of(wb.store) + "\n",
        capture_output=True,
        text=True,
        timeout=60,
    )


async def _push_once_the_dead_session_is_gone(wb: WbWorld) -> DispatchResult:
    """PostgreSQL releases a killed client's advisory lock when it sees the socket close,
    a moment after the process died: until then a dispatch is refused as running."""
    for _ in range(50):
        try:
            return await wb.push(retry_base_s=0.5)
        except DispatchLockedError:
            await asyncio.sleep(0.1)
    return await wb.push(retry_base_s=0.5)


@pytest.mark.parametrize("lost_answer", [False, True], ids=["answered", "answer-lost"])
@pytest.mark.parametrize("step", ["marked", "answered", "settling"])
async def test_sigkill_at_each_step(
    wb: WbWorld, live_url: str, step: str, lost_answer: bool
) -> None:
    orders = shippable_orders(wb.store, 2)
    for order in orders:
        wb.ship(ship_all(order, f"KILL-{order.id}", then_status_id=SHIPPED))
    if lost_answer:
        spec = FaultSpec(
            kind="drop", path="/v2/orders/*/shipments", methods=frozenset({"POST"}), count=1
        )
        wb.sandbox.faults.add(spec, now=wb.sandbox.now())
    done = _run_worker(wb, live_url, step)
    # with a lost answer the first POST fails (back to pending) and the worker dies at the
    # second shipment's step
    assert done.returncode == -signal.SIGKILL, done.stderr[-2000:]
    # the worker ran on the wall clock: bring this test's clock up to it
    wb.time.advance((datetime.now(UTC) - wb.now()).total_seconds() + 1)
    result = await _push_once_the_dead_session_is_gone(wb)
    for order in orders:
        assert shipments_of(wb.store, order.id) == 1, (step, lost_answer)
        assert order.status_id == SHIPPED
    assert result.left == {}
