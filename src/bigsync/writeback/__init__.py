"""Write-back: intended writes to a store (stock, shipments, order status) recorded in an
outbox with the local change that caused them, and a dispatcher that sends each exactly once.

    intents.py      the values: ShipmentRequest, payloads, dedupe keys, states (pure)
    outbox.py       record_stock / record_shipment / record_order_status, inside the caller's
                    write transaction; list, retry, drop
    dispatcher.py   dispatch(): send what is due under the store's rate governor, resolve
                    what a crash left in `sending`, confirm what was sent
    stock_push.py   absolute adjustments in batches of 2,000 per location, read back
    shipments.py    create a shipment, looking first for the one a lost answer may have made
    order_status.py set an order's status
    gate.py         which writes may go: the scope each kind needs, and the connection's
                    write features (a kind switched off is held, sent once it is on)
"""
