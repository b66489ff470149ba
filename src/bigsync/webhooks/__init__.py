"""Webhooks use-cases: keep a connection's hooks registered, receive deliveries, refresh
exactly the records they name.

payload.py        pure: parse a delivery body; which record a scope and its data name
signature.py      pure: the secret header and the Standard Webhooks signature checks
subscriptions.py  register, repair and remove a connection's hooks (upkeep, disconnect)
receiver.py       authenticate, dedupe and record a delivery; queue its refresh; nudge
refresh.py        targeted refreshes from the durable queue (`run_pending_refreshes`)
runner.py         RefreshRunner: runs the refreshes soon after a nudge, debounced
"""
