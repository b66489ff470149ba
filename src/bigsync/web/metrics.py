"""`GET /metrics`: the process's Prometheus metrics (`jobs.metrics`), with the database's
backlogs (outbox, webhook refreshes, job queue) read at each scrape.

Access: with BIGSYNC_METRICS_TOKEN set, a scrape must send `Authorization: Bearer <token>`;
without it, only the loopback may scrape (a scraper on the same machine, or through a tunnel
or proxy the operator set up). Anyone else gets 404, as if there were no such page."""

from __future__ import annotations

import asyncio
import hmac
import ipaddress

from fastapi import APIRouter, Request, Response

from bigsync.jobs import metrics
from bigsync.web.deps import HubDep

router = APIRouter(include_in_schema=False)


def _is_loopback(host: str | None) -> bool:
    try:
        return host is not None and ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def may_scrape(request: Request, token: str | None) -> bool:
    """Whether `request` may read the metrics (see the module doc)."""
    if token is None:
        return _is_loopback(request.client.host if request.client else None)
    sent = request.headers.get("authorization", "")
    scheme, _, value = sent.partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(value.strip(), token)


@router.get("/metrics")
async def metrics_page(request: Request, hub: HubDep) -> Response:
    secret = hub.settings.metrics_token
    if not may_scrape(request, secret.get_secret_value() if secret else None):
        return Response(status_code=404)
    metrics.watch_database(hub.engine)
    body = await asyncio.to_thread(metrics.exposition)
    return Response(body, media_type=metrics.CONTENT_TYPE)
