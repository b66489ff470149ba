"""`/api/v1/connections/{id}/shipping/...`: the store's shipping methods and the service each
maps to, carrier services, method rules (and a rule's preview before it is saved), the
default service and the order statuses after a shipment. Thin over
`bigsync.fulfillment.shipping`; its errors become problem details."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request, Response
from fastapi.routing import APIRoute
from pydantic import BaseModel, Field

from bigsync.errors import InputError
from bigsync.fulfillment import shipping
from bigsync.fulfillment.hub import Hub as ShopHub
from bigsync.web.auth import ApiUser, actor_of, visible_connection
from bigsync.web.deps import HubDep
from bigsync.web.problems import Problem


class RefusalsRoute(APIRoute):
    """A route whose use-case refusals are answered by their meaning rather than as invalid
    input (the schema has checked the shape already): no such service or rule 404, a
    conflict with what is saved 409, any other refusal 400."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def route(request: Request) -> Response:
            try:
                return await handler(request)
            except shipping.UnknownShippingError as error:
                raise Problem(404, "Not found", detail=str(error)) from None
            except shipping.ShippingConflictError as error:
                raise Problem(409, "Conflict", detail=str(error)) from None
            except InputError as error:
                raise Problem(400, "Request refused", detail=str(error)) from None

        return route


router = APIRouter(prefix="/api/v1", tags=["shipping"], route_class=RefusalsRoute)

BASE = "/connections/{connection_id}/shipping"
MAX_ID = 2**31 - 1
ConnectionId = Annotated[int, Path(ge=1, le=MAX_ID, description="The integration's id")]
CODE_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$"
CARRIER_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$"
TEXT_PATTERN = r"^[^\x00-\x1f\x7f]*$"  # no control characters


def shop_hub(hub: HubDep, principal: ApiUser, connection_id: ConnectionId) -> ShopHub:
    """The fulfillment hub of a connection the principal may see (404 problem otherwise)."""
    view = visible_connection(hub, principal, connection_id)
    return ShopHub(hub.connections(actor_of(principal)).db, view.id, view.name)


# --- models -----------------------------------------------------------------------------------


class MethodOut(BaseModel):
    """A store shipping method and the service it maps to."""

    name: str
    zones: list[str] = Field(description="Shipping zones offering it (none: seen on orders only)")
    orders: int = Field(description="Order shipping addresses that name it")
    service: str | None = Field(description="The service code it maps to (None: none)")
    carrier: str | None
    rule: str = Field(description="The pattern of the rule that chose it, or `unmatched`")
    matched: bool = Field(description="Whether a rule chose it (else the default, or nothing)")


class ServiceOut(BaseModel):
    """A carrier service."""

    code: str
    carrier: str
    name: str
    is_default: bool = False


class ServiceIn(BaseModel):
    """A new carrier service."""

    code: str = Field(pattern=CODE_PATTERN, examples=["dhl-express"])
    carrier: str = Field(
        pattern=CARRIER_PATTERN,
        examples=["dhl"],
        description="A BigCommerce shipping provider (ups, usps, ...) or an AfterShip slug",
    )
    name: str | None = Field(default=None, max_length=200, pattern=TEXT_PATTERN)


class RuleOut(BaseModel):
    """A rule: a method-name pattern and its service; listed most specific first."""

    pattern: str
    service: str
    exact: bool


class RuleIn(BaseModel):
    """A rule to save (it replaces the rule of the same pattern, compared case-blind)."""

    pattern: str = Field(max_length=255, pattern=TEXT_PATTERN, examples=["DHL*"])
    service: str = Field(max_length=64, pattern=TEXT_PATTERN)


class RuleSaved(RuleOut):
    """A rule saved; `replaced`: it took the place of a rule of the same pattern."""

    replaced: bool


class PreviewMatchOut(BaseModel):
    """A method the pattern matches; `wins`: a rule of the pattern would choose it, else
    `beaten_by` names the rule that still would."""

    name: str
    zones: list[str]
    orders: int
    wins: bool
    beaten_by: str | None
    current_rule: str
    current_service: str | None


class PreviewOut(BaseModel):
    """The methods a pattern matches before it is saved."""

    pattern: str
    exact: bool
    replaces: str | None = Field(description="The saved rule this pattern would replace")
    methods: int = Field(description="How many methods the store has in all")
    wins: int
    matches: list[PreviewMatchOut]


class StatusOut(BaseModel):
    """An order status of the store."""

    id: int
    name: str


class SettingsOut(BaseModel):
    """The default service and the statuses after a shipment (None: left as it is)."""

    default_service: str | None
    partial_status: StatusOut | None
    shipped_status: StatusOut | None


class DefaultIn(BaseModel):
    """The service for methods no rule matches (None: no default)."""

    service: str | None = Field(max_length=64, pattern=TEXT_PATTERN)


class StatusesIn(BaseModel):
    """Statuses after a shipment: an id or the store's name, or `keep`; None: unchanged."""

    partial: str | None = Field(default=None, max_length=100, pattern=TEXT_PATTERN)
    shipped: str | None = Field(default=None, max_length=100, pattern=TEXT_PATTERN)


def _status(value: tuple[int, str] | None) -> StatusOut | None:
    return StatusOut(id=value[0], name=value[1]) if value else None


def _settings(value: shipping.ShippingSettings) -> SettingsOut:
    return SettingsOut(
        default_service=value.default_service,
        partial_status=_status(value.partial_status),
        shipped_status=_status(value.shipped_status),
    )


def method_out(m: shipping.MethodMapping) -> MethodOut:
    """A method as the API shows it."""
    return MethodOut(
        name=m.name,
        zones=list(m.zones),
        orders=m.orders,
        service=m.service,
        carrier=m.carrier,
        rule=m.rule,
        matched=m.rule != shipping.UNMATCHED,
    )


def preview_out(p: shipping.PatternPreview) -> PreviewOut:
    """A preview as the API (and the page's script) reads it."""
    return PreviewOut(
        pattern=p.pattern,
        exact=p.exact,
        replaces=p.replaces,
        methods=p.methods,
        wins=p.wins,
        matches=[
            PreviewMatchOut(
                name=m.name,
                zones=list(m.zones),
                orders=m.orders,
                wins=m.wins,
                beaten_by=m.beaten_by,
                current_rule=m.current_rule,
                current_service=m.current_service,
            )
            for m in p.matches
        ],
    )


# --- routes -----------------------------------------------------------------------------------


@router.get(f"{BASE}/methods", response_model=list[MethodOut])
def list_methods(hub: HubDep, principal: ApiUser, connection_id: ConnectionId) -> list[MethodOut]:
    """Every shipping method of the store (zones and orders), its service and rule."""
    return [method_out(m) for m in shipping.methods(shop_hub(hub, principal, connection_id))]


@router.get(f"{BASE}/services", response_model=list[ServiceOut])
def list_services(hub: HubDep, principal: ApiUser, connection_id: ConnectionId) -> list[ServiceOut]:
    """The carrier services, by code."""
    shop = shop_hub(hub, principal, connection_id)
    default = shipping.get_settings(shop).default_service
    return [
        ServiceOut(code=s.code, carrier=s.carrier, name=s.name, is_default=s.code == default)
        for s in shipping.list_services(shop)
    ]


@router.post(f"{BASE}/services", response_model=ServiceOut, status_code=201)
def add_service(
    hub: HubDep, principal: ApiUser, connection_id: ConnectionId, body: ServiceIn
) -> ServiceOut:
    """Add a carrier service (a BigCommerce shipping provider or an AfterShip slug)."""
    shop = shop_hub(hub, principal, connection_id)
    s = shipping.add_service(shop, body.code, carrier=body.carrier, name=body.name)
    return ServiceOut(code=s.code, carrier=s.carrier, name=s.name)


@router.delete(f"{BASE}/services/{{code}}", response_model=ServiceOut)
def remove_service(
    hub: HubDep, principal: ApiUser, connection_id: ConnectionId, code: str
) -> ServiceOut:
    """Remove a service no rule uses (the default is cleared with it)."""
    s = shipping.remove_service(shop_hub(hub, principal, connection_id), code)
    return ServiceOut(code=s.code, carrier=s.carrier, name=s.name)


@router.get(f"{BASE}/rules", response_model=list[RuleOut])
def list_rules(hub: HubDep, principal: ApiUser, connection_id: ConnectionId) -> list[RuleOut]:
    """The rules, most specific first (the order in which they win)."""
    found = shipping.list_rules(shop_hub(hub, principal, connection_id))
    return [RuleOut(pattern=r.pattern, service=r.service, exact=r.exact) for r in found]


@router.post(f"{BASE}/rules", response_model=RuleSaved)
def save_rule(
    hub: HubDep, principal: ApiUser, connection_id: ConnectionId, body: RuleIn
) -> RuleSaved:
    """Link the methods a pattern matches (`*`: any characters) to a service."""
    shop = shop_hub(hub, principal, connection_id)
    replaced = shipping.map_pattern(shop, body.pattern, body.service)
    saved = next(r for r in shipping.list_rules(shop) if r.pattern == body.pattern.strip())
    return RuleSaved(
        pattern=saved.pattern, service=saved.service, exact=saved.exact, replaced=replaced
    )


@router.delete(f"{BASE}/rules", status_code=204, response_class=Response)
def remove_rule(
    hub: HubDep,
    principal: ApiUser,
    connection_id: ConnectionId,
    pattern: Annotated[
        str, Query(max_length=255, pattern=TEXT_PATTERN, description="The rule's pattern")
    ],
) -> Response:
    """Remove the rule of a pattern."""
    shipping.unmap_pattern(shop_hub(hub, principal, connection_id), pattern)
    return Response(status_code=204)


@router.get(f"{BASE}/preview", response_model=PreviewOut)
def preview(
    hub: HubDep,
    principal: ApiUser,
    connection_id: ConnectionId,
    pattern: Annotated[
        str, Query(max_length=255, pattern=TEXT_PATTERN, description="A pattern, `*` wildcards")
    ],
) -> PreviewOut:
    """The methods a rule of `pattern` would match, and which of them it would win given the
    saved rules; nothing is saved."""
    return preview_out(shipping.preview_pattern(shop_hub(hub, principal, connection_id), pattern))


@router.get(f"{BASE}/default", response_model=SettingsOut)
def get_default(hub: HubDep, principal: ApiUser, connection_id: ConnectionId) -> SettingsOut:
    """The default service and the statuses after a shipment."""
    return _settings(shipping.get_settings(shop_hub(hub, principal, connection_id)))


@router.put(f"{BASE}/default", response_model=SettingsOut)
def set_default(
    hub: HubDep, principal: ApiUser, connection_id: ConnectionId, body: DefaultIn
) -> SettingsOut:
    """Set (or clear, with null) the service for methods no rule matches."""
    shop = shop_hub(hub, principal, connection_id)
    return _settings(shipping.set_default_service(shop, body.service or None))


@router.get(f"{BASE}/statuses", response_model=SettingsOut)
def get_statuses(hub: HubDep, principal: ApiUser, connection_id: ConnectionId) -> SettingsOut:
    """The order statuses after a shipment (and the default service)."""
    return _settings(shipping.get_settings(shop_hub(hub, principal, connection_id)))


@router.put(f"{BASE}/statuses", response_model=SettingsOut)
def set_statuses(
    hub: HubDep, principal: ApiUser, connection_id: ConnectionId, body: StatusesIn
) -> SettingsOut:
    """Set the status after a partial and after the last shipment (id, name or `keep`)."""
    shop = shop_hub(hub, principal, connection_id)
    return _settings(shipping.set_statuses(shop, partial=body.partial, shipped=body.shipped))


@router.get(f"{BASE}/order-statuses", response_model=list[StatusOut])
def order_statuses(hub: HubDep, principal: ApiUser, connection_id: ConnectionId) -> list[StatusOut]:
    """The store's order statuses (what the statuses after a shipment can be)."""
    found = shipping.order_statuses(shop_hub(hub, principal, connection_id))
    return [StatusOut(id=s.id, name=s.custom_label or s.name) for s in found]
