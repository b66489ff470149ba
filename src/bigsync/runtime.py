"""What every bigsync process sets up when it starts (the CLI's callback calls it; so do the
benchmarks that run the sync engine in their own process).

The cyclic garbage collector's pacing. CPython 3.11 collects its youngest generation after
every 700 net allocations of container objects (dicts, lists). A sync decodes pages of
thousands of them (one page of 250 orders with their consignments is 1.5 MB of JSON, some
20,000 dicts and lists) and builds rows from them, and the decoded pages live until their
transaction is written: at the default pacing the collector runs dozens of times a page,
promotes each page through every generation and walks the whole heap again and again, a
third of a full sync's CPU on a 30,000-order store. API documents and rows hold no
reference cycles (reference counting frees them), so collecting less often only delays
freeing the rare cycle elsewhere.
"""

from __future__ import annotations

import gc

GC_THRESHOLDS = (50_000, 20, 20)
"""`gc.set_threshold` for a bigsync process: the youngest generation is collected after
50,000 net allocations (not 700), each older one after 20 collections of the one below."""


def pace_garbage_collector() -> None:
    """Set the collector's thresholds to `GC_THRESHOLDS` (process-wide, idempotent)."""
    gc.set_threshold(*GC_THRESHOLDS)
