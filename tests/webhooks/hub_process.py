"""A hub in its own process, for the kill test: `python -m tests.webhooks.hub_process
DATA_DIR URL_FILE [--paused]` serves the webhook router and a RefreshRunner over
DATA_DIR/bigsync.db (and the vault key file in DATA_DIR/data), writes its base URL to
URL_FILE once it listens, and runs until killed."""

from __future__ import annotations

import sys
import time
from pathlib import Path

from bigsync.bigcommerce import ClientOptions, RetryPolicy
from bigsync.config import Settings
from bigsync.connections import ConnectionService
from bigsync.store.db import create_engine_for
from bigsync.vault import Vault
from bigsync.webhooks.receiver import WebhookReceiver
from bigsync.webhooks.runner import RefreshRunner
from tests.hub import HubServer


def main() -> None:
    data_dir, url_file = Path(sys.argv[1]), Path(sys.argv[2])
    engine = create_engine_for(f"sqlite:///{data_dir}/bigsync.db")
    vault = Vault.from_settings(Settings(data_dir=data_dir / "data", secret_key=None))
    service = ConnectionService(engine, vault, actor="hub")
    options = ClientOptions(retry=RetryPolicy(backoff_base_s=0.001, backoff_max_s=0.01))
    runner = RefreshRunner(service, client_options=options, interval=0.5)
    runner.paused = "--paused" in sys.argv
    receiver = WebhookReceiver(service, on_queued=runner.nudge)
    with HubServer(receiver=receiver, runner=runner) as url:
        url_file.write_text(url)
        while True:
            time.sleep(1)


if __name__ == "__main__":
    main()
