"""`/integrations/{id}/shipping`: the store's shipping methods and the service each maps to
(unmatched ones flagged), carrier services, the rules editor with its live preview, the
default service and the order statuses after a shipment.

Every change is a form POST (CSRF checked) answered by a redirect with a flash. The rules
form previews without JavaScript too: its Preview button posts the pattern and the page
comes back with the preview drawn; with JavaScript (`static/shipping.js`) the preview
follows the typing, from `GET /api/v1/connections/{id}/shipping/preview`."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from bigsync.errors import InputError
from bigsync.fulfillment import shipping
from bigsync.fulfillment.hub import Hub as ShopHub
from bigsync.web.api.shipping import ConnectionId
from bigsync.web.auth import CsrfForm, PageUser, actor_of, visible_connection
from bigsync.web.deps import HubDep
from bigsync.web.flash import flash
from bigsync.web.templating import render

router = APIRouter(include_in_schema=False)

PAGE = "/integrations/{connection_id}/shipping"
KEEP = shipping.KEEP_STATUS
Text = Annotated[str, Form(max_length=255)]


def _shop(hub: HubDep, principal: CsrfForm, connection_id: ConnectionId) -> ShopHub:
    view = visible_connection(hub, principal, connection_id)
    return ShopHub(hub.connections(actor_of(principal)).db, view.id, view.name)


def _back(connection_id: ConnectionId, anchor: str = "", **query: str) -> RedirectResponse:
    url = PAGE.format(connection_id=connection_id)
    if query:
        url += "?" + urlencode(query)
    return RedirectResponse(url + (f"#{anchor}" if anchor else ""), status_code=303)


def shipping_page(
    request: Request,
    hub: HubDep,
    principal: PageUser,
    connection_id: ConnectionId,
    *,
    pattern: str = "",
    service: str = "",
    status: int = 200,
) -> Response:
    """The page, with the preview of `pattern` when one is given."""
    view = visible_connection(hub, principal, connection_id)
    shop = ShopHub(hub.connections(actor_of(principal)).db, view.id, view.name)
    methods = shipping.methods(shop)
    preview = None
    preview_error = None
    if pattern.strip():
        try:
            preview = shipping.preview_pattern(shop, pattern)
        except InputError as error:
            preview_error = str(error)
    return render(
        request,
        "shipping/page.html",
        status=status,
        connection=view,
        tab="shipping",
        methods=methods,
        unmatched=[m for m in methods if m.rule == shipping.UNMATCHED],
        services=shipping.list_services(shop),
        rules=shipping.list_rules(shop),
        settings=shipping.get_settings(shop),
        statuses=shipping.order_statuses(shop),
        preview=preview,
        preview_error=preview_error,
        pattern=pattern,
        chosen_service=service,
        unmatched_word=shipping.UNMATCHED,
        keep=KEEP,
    )


@router.get(PAGE)
def page(
    request: Request,
    *,
    hub: HubDep,
    principal: PageUser,
    connection_id: ConnectionId,
    pattern: str = "",
    service: str = "",
) -> Response:
    """The shipping page (`?pattern=`: with that rule's preview, the form filled)."""
    return shipping_page(
        request, hub, principal, connection_id, pattern=pattern[:255], service=service[:64]
    )


@router.post(f"{PAGE}/services")
def add_service(
    request: Request,
    *,
    hub: HubDep,
    principal: CsrfForm,
    connection_id: ConnectionId,
    code: Text,
    carrier: Text,
    name: Text = "",
) -> Response:
    """Add a carrier service."""
    shop = _shop(hub, principal, connection_id)
    try:
        added = shipping.add_service(shop, code.strip(), carrier=carrier, name=name or None)
    except InputError as error:
        flash(request, str(error), kind="fail")
    else:
        flash(request, f"Added service {added.code} ({added.carrier}).")
    return _back(connection_id, "services")


@router.post(f"{PAGE}/services/remove")
def remove_service(
    request: Request,
    *,
    hub: HubDep,
    principal: CsrfForm,
    connection_id: ConnectionId,
    code: Text,
) -> Response:
    """Remove a service no rule uses."""
    shop = _shop(hub, principal, connection_id)
    try:
        removed = shipping.remove_service(shop, code)
    except InputError as error:
        flash(request, str(error), kind="fail")
    else:
        flash(request, f"Removed service {removed.code}.")
    return _back(connection_id, "services")


@router.post(f"{PAGE}/rules")
def save_rule(
    request: Request,
    *,
    hub: HubDep,
    principal: CsrfForm,
    connection_id: ConnectionId,
    pattern: Text = "",
    service: Text = "",
    intent: Text = "save",
) -> Response:
    """Save a rule, or (the Preview button, for browsers without JavaScript) show the page
    with the preview of the typed pattern."""
    if intent == "preview":
        return shipping_page(
            request, hub, principal, connection_id, pattern=pattern, service=service
        )
    shop = _shop(hub, principal, connection_id)
    try:
        replaced = shipping.map_pattern(shop, pattern, service)
    except InputError as error:
        flash(request, str(error), kind="fail")
        return _back(connection_id, "rules", pattern=pattern, service=service)
    verb = "now maps" if replaced else "maps"
    flash(request, f"{pattern.strip()!r} {verb} to {service}.")
    return _back(connection_id, "rules")


@router.post(f"{PAGE}/rules/remove")
def remove_rule(
    request: Request,
    *,
    hub: HubDep,
    principal: CsrfForm,
    connection_id: ConnectionId,
    pattern: Text,
) -> Response:
    """Remove the rule of a pattern."""
    shop = _shop(hub, principal, connection_id)
    try:
        shipping.unmap_pattern(shop, pattern)
    except InputError as error:
        flash(request, str(error), kind="fail")
    else:
        flash(request, f"Removed the rule {pattern.strip()!r}.")
    return _back(connection_id, "rules")


@router.post(f"{PAGE}/default")
def set_default(
    request: Request,
    *,
    hub: HubDep,
    principal: CsrfForm,
    connection_id: ConnectionId,
    service: Text = "",
) -> Response:
    """Set (or clear, with an empty choice) the default service."""
    shop = _shop(hub, principal, connection_id)
    try:
        settings = shipping.set_default_service(shop, service.strip() or None)
    except InputError as error:
        flash(request, str(error), kind="fail")
    else:
        flash(request, f"Default service: {settings.default_service or 'none'}.")
    return _back(connection_id, "settings")


@router.post(f"{PAGE}/statuses")
def set_statuses(
    request: Request,
    *,
    hub: HubDep,
    principal: CsrfForm,
    connection_id: ConnectionId,
    partial: Text = "",
    shipped: Text = "",
) -> Response:
    """Set the order statuses after a partial and after the last shipment."""
    shop = _shop(hub, principal, connection_id)
    try:
        shipping.set_statuses(shop, partial=partial or None, shipped=shipped or None)
    except InputError as error:
        flash(request, str(error), kind="fail")
    else:
        flash(request, "Saved the statuses after a shipment.")
    return _back(connection_id, "settings")
