"""The BigCommerce client: the only code in bigsync that speaks HTTP to BigCommerce.

credentials.py  StoreCredentials; parse_store_hash() for every form a merchant pastes
client.py       BigCommerceClient: requests, retries, pages; ClientOptions, RequestStats
mapping.py      answers and transport exceptions -> bigsync.errors (the one place)
transport.py    the HTTP libraries: aiohttp over sockets, httpx in process (ASGI) or HTTP/2
retry.py        the pure retry decision
ratelimit.py    X-Rate-Limit-* arithmetic and the per-store RateGovernor (store_key)
pagination.py   paginators (no I/O): v3 offset, v3 cursor, v2
scopes.py       scope catalogue (used by the connection test)
testing.py      FakeTime: a clock and a sleep for tests of waits
"""

from bigsync.bigcommerce.client import (
    ApiResponse,
    BigCommerceClient,
    ClientOptions,
    RequestStats,
)
from bigsync.bigcommerce.credentials import StoreCredentials, parse_store_hash
from bigsync.bigcommerce.pagination import Page
from bigsync.bigcommerce.ratelimit import Clock, RateGovernor, Sleep, governor_for, store_key
from bigsync.bigcommerce.retry import RetryPolicy

__all__ = [
    "ApiResponse",
    "BigCommerceClient",
    "ClientOptions",
    "Clock",
    "Page",
    "RateGovernor",
    "RequestStats",
    "RetryPolicy",
    "Sleep",
    "StoreCredentials",
    "governor_for",
    "parse_store_hash",
    "store_key",
]
