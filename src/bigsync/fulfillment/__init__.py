"""Fulfillment use-cases: what the merchant manages in the hub (managed products, locations,
stock, shipping services and rules) and the writes to the store it records as outbox intents
(stock, shipments, order status), each in the transaction of the change that causes it."""
