"""A dispatcher that kills itself (SIGKILL) at one step; run by test_kill.py.

python -m tests.writeback.crash_worker DB_URL API_URL STORE_HASH CONNECTION_ID STEP
(the access token on stdin, never on the command line)
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from collections.abc import Sequence

from bigsync.bigcommerce import BigCommerceClient, ClientOptions, RetryPolicy, StoreCredentials
from bigsync.store.db import create_engine_for
from bigsync.writeback.dispatcher import DispatchOptions, OutboxDispatcher


async def main(db_url: str, api_url: str, store_hash: str, connection_id: int, step: str) -> None:
    token = sys.stdin.readline().strip()
    engine = create_engine_for(db_url)

    def hook(name: str, ids: Sequence[int]) -> None:
        if name == step:
            os.kill(os.getpid(), signal.SIGKILL)

    options = ClientOptions(retry=RetryPolicy(max_attempts=2, backoff_base_s=0.01))
    credentials = StoreCredentials(store_hash=store_hash, access_token=token)
    async with BigCommerceClient(credentials, base_url=api_url, options=options) as client:
        dispatcher = OutboxDispatcher(
            engine,
            client,
            connection_id=connection_id,
            options=DispatchOptions(retry_base_s=0.01, wait=False),
            hook=hook,
        )
        await dispatcher.run()


if __name__ == "__main__":
    db, api, store, connection, at = sys.argv[1:6]
    asyncio.run(main(db, api, store, int(connection), at))
