"""The sync engine: mirrors a connected store into the local database, page by page."""

from bigsync.sync.engine import StreamProgress, SyncEngine, SyncOptions, SyncResult, run_sync

__all__ = ["StreamProgress", "SyncEngine", "SyncOptions", "SyncResult", "run_sync"]
