"""`POST /webhooks/{connection_id}`: where BigCommerce delivers a connection's webhooks.

The answer is fast and empty (BigCommerce wants a quick 2xx and no body): 200 once the
delivery is recorded (or recognised as a redelivery), 401 when it does not authenticate,
400 for a body that is no webhook payload, 413 past `MAX_BODY_BYTES` (refused before the
body is read in full). The work itself runs later, in the targeted refreshes.

The receiver comes from `app.state.webhook_receiver`, or is built once from
`app.state.hub` (the serve app's Hub): the hub's connections, the app's client secret,
and `hub.nudge("webhook_refresh", connection_id)` to wake the refresh job.
"""

from __future__ import annotations

import logging
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Request, Response
from starlette.concurrency import run_in_threadpool

from bigsync.errors import WebhookAuthError, WebhookPayloadError, WebhookTooLargeError
from bigsync.store import schedule_repository
from bigsync.webhooks.payload import MAX_BODY_BYTES
from bigsync.webhooks.receiver import WebhookReceiver

log = logging.getLogger(__name__)

router = APIRouter(tags=["webhooks"])

REFRESH_JOB = "webhook_refresh"
REFRESH_GATHER_S = 0.2
"""How long the refresh job lets a burst gather after the first nudge."""


def receiver_for_hub(hub: Any) -> WebhookReceiver:
    """A receiver over the serve app's Hub (see the module docstring)."""
    secret = hub.settings.app_client_secret

    def nudge(connection_id: int) -> None:
        hub.nudge(REFRESH_JOB, connection_id, delay_s=REFRESH_GATHER_S)

    return WebhookReceiver(
        hub.connections(actor="webhook"),
        app_client_secret=secret.get_secret_value() if secret else None,
        on_queued=nudge,
        also_record=schedule_repository.note_webhook,  # `bigsync status`: the last event
    )


def get_receiver(request: Request) -> WebhookReceiver:
    state = request.app.state
    receiver: WebhookReceiver | None = getattr(state, "webhook_receiver", None)
    if receiver is None:
        hub = getattr(state, "hub", None)
        if hub is None:
            raise HTTPException(503, "the webhook receiver is not configured")
        receiver = state.webhook_receiver = receiver_for_hub(hub)
    return receiver


ReceiverDep = Annotated[WebhookReceiver, Depends(get_receiver)]


async def read_capped(request: Request, limit: int = MAX_BODY_BYTES) -> bytes:
    """The body, or WebhookTooLargeError as soon as it is known to pass `limit` bytes."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise WebhookTooLargeError(f"the body is larger than {limit // 1024} KiB")
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise WebhookTooLargeError(f"the body is larger than {limit // 1024} KiB")
        chunks.append(chunk)
    return b"".join(chunks)


@router.post("/webhooks/{connection_id}", status_code=200)
async def receive_webhook(connection_id: int, request: Request, receiver: ReceiverDep) -> Response:
    """One delivery (see the module docstring for the answers)."""
    try:
        body = await read_capped(request)
        headers = {name.lower(): value for name, value in request.headers.items()}
        receipt = await run_in_threadpool(receiver.receive, connection_id, headers, body)
    except WebhookTooLargeError as error:
        log.warning("webhook for connection %s refused (413): %s", connection_id, error)
        return Response(status_code=413)
    except WebhookAuthError as error:
        log.warning("webhook for connection %s refused (401): %s", connection_id, error)
        return Response(status_code=401)
    except WebhookPayloadError as error:
        log.warning("webhook for connection %s refused (400): %s", connection_id, error)
        return Response(status_code=400)
    log.debug("webhook %s for connection %s: %s", receipt.scope, connection_id, receipt.outcome)
    return Response(status_code=200)
