"""Sales state and operations: orders with line items, shipping addresses, shipments and
transactions; customers and groups; shipping zones and methods.

`records` holds the records, `state` the per-store `SalesState` with its sorted views,
`orders` / `fulfilment` / `customers` / `shipping` the operations the routes call,
`order_query` the order filters, `views` the v2/v3 wire shapes of orders, `mutations` the
seeded random changes behind `/_sandbox/mutate`.
"""

from __future__ import annotations

from bigsync.sandbox.sales.mutations import MUTATIONS
from bigsync.sandbox.sales.state import SalesState

__all__ = ["MUTATIONS", "SalesState"]
