"""Orders in BigCommerce's wire shapes: v2 bodies (money as 4-decimal strings, RFC 2822 UTC
dates, sub-resources as `{url, resource}` links) and v3 transactions.

Only what a response carries is rendered, one record at a time, so a page costs its own
size and never the collection's.
"""

from __future__ import annotations

from bigsync.sandbox.dates import iso8601, rfc2822
from bigsync.sandbox.sales.records import (
    ORDER_STATUSES,
    STATUS_NAMES,
    STATUS_SORT_ORDER,
    Address,
    Json,
    Order,
    OrderProduct,
    Shipment,
    ShippingAddress,
    Transaction,
)

API_ROOT = "https://api.bigcommerce.com/stores/"
ZERO = "0.0000"
PROVIDER_NAMES = {
    "": "",
    "auspost": "Australia Post",
    "canadapost": "Canada Post",
    "endicia": "Endicia",
    "usps": "USPS",
    "fedex": "FedEx",
    "royalmail": "Royal Mail",
    "ups": "UPS",
    "upsready": "UPS",
    "shipperhq": "ShipperHQ",
}


def money(amount: int) -> str:
    """Cents as a v2 money string: `1234` -> `"12.3400"`."""
    sign = "-" if amount < 0 else ""
    whole, part = divmod(abs(amount), 100)
    return f"{sign}{whole}.{part:02d}00"


def link(store_hash: str, resource: str) -> Json:
    """A v2 sub-resource link object."""
    return {"url": f"{API_ROOT}{store_hash}/v2{resource}", "resource": resource}


def address_json(address: Address) -> Json:
    """An order address's fields, as billing and shipping addresses share them."""
    return {
        "first_name": address.first_name,
        "last_name": address.last_name,
        "company": address.company,
        "street_1": address.street_1,
        "street_2": address.street_2,
        "city": address.city,
        "state": address.state,
        "zip": address.zip,
        "country": address.country,
        "country_iso2": address.country_iso2,
        "phone": address.phone,
        "email": address.email,
    }


def order_json(store_hash: str, order: Order) -> Json:
    """`GET /v2/orders/{id}` without includes."""
    subtotal_ex, subtotal_inc = order.subtotal_ex_tax, order.subtotal_inc_tax
    shipping_ex, shipping_inc = order.shipping_ex_tax, order.shipping_inc_tax
    total_ex, total_inc = order.total_ex_tax, order.total_inc_tax
    status = STATUS_NAMES[order.status_id]
    base = f"/orders/{order.id}"
    return {
        "id": order.id,
        "customer_id": order.customer_id,
        "date_created": rfc2822(order.date_created),
        "date_modified": rfc2822(order.date_modified),
        "date_shipped": rfc2822(order.date_shipped) if order.date_shipped else "",
        "status_id": order.status_id,
        "status": status,
        "subtotal_ex_tax": money(subtotal_ex),
        "subtotal_inc_tax": money(subtotal_inc),
        "subtotal_tax": money(subtotal_inc - subtotal_ex),
        "base_shipping_cost": money(shipping_ex),
        "shipping_cost_ex_tax": money(shipping_ex),
        "shipping_cost_inc_tax": money(shipping_inc),
        "shipping_cost_tax": money(shipping_inc - shipping_ex),
        "shipping_cost_tax_class_id": 2,
        "base_handling_cost": ZERO,
        "handling_cost_ex_tax": ZERO,
        "handling_cost_inc_tax": ZERO,
        "handling_cost_tax": ZERO,
        "handling_cost_tax_class_id": 2,
        "base_wrapping_cost": ZERO,
        "wrapping_cost_ex_tax": ZERO,
        "wrapping_cost_inc_tax": ZERO,
        "wrapping_cost_tax": ZERO,
        "wrapping_cost_tax_class_id": 3,
        "total_ex_tax": money(total_ex),
        "total_inc_tax": money(total_inc),
        "total_tax": money(total_inc - total_ex),
        "is_tax_inclusive_pricing": False,
        "items_total": order.items_total,
        "items_shipped": order.items_shipped,
        "payment_method": order.payment_method,
        "payment_provider_id": "",
        "payment_status": order.payment_status,
        "refunded_amount": ZERO,
        "order_is_digital": not order.shipping_addresses,
        "store_credit_amount": ZERO,
        "gift_certificate_amount": ZERO,
        "ip_address": order.ip_address,
        "ip_address_v6": "",
        "geoip_country": order.billing_address.country,
        "geoip_country_iso2": order.billing_address.country_iso2,
        "currency_id": 1,
        "currency_code": order.currency_code,
        "currency_exchange_rate": "1.0000000000",
        "default_currency_id": 1,
        "default_currency_code": order.currency_code,
        "staff_notes": order.staff_notes,
        "customer_message": order.customer_message,
        "discount_amount": money(order.discount_amount),
        "coupon_discount": ZERO,
        "shipping_address_count": len(order.shipping_addresses),
        "is_deleted": order.is_deleted,
        "ebay_order_id": "0",
        "cart_id": order.cart_id,
        "billing_address": {**address_json(order.billing_address), "form_fields": []},
        "is_email_opt_in": False,
        "credit_card_type": None,
        "order_source": order.order_source,
        "channel_id": order.channel_id,
        "external_source": order.external_source,
        "products": link(store_hash, f"{base}/products"),
        "shipping_addresses": link(store_hash, f"{base}/shippingaddresses"),
        "coupons": link(store_hash, f"{base}/coupons"),
        "external_id": None,
        "external_merchant_id": None,
        "tax_provider_id": "BasicTaxProvider",
        "store_default_currency_code": order.currency_code,
        "store_default_to_transactional_exchange_rate": "1.0000000000",
        "custom_status": status,
        "customer_locale": order.customer_locale,
        "external_order_id": order.external_order_id,
    }


def order_product_json(product: OrderProduct) -> Json:
    """One `/v2/orders/{id}/products` entry (only fields the spec's closed schema allows)."""
    tax = product.price_inc_tax - product.price_ex_tax
    quantity = product.quantity
    return {
        "id": product.id,
        "order_id": product.order_id,
        "product_id": product.product_id,
        "variant_id": product.variant_id,
        "order_pickup_method_id": 0,
        "order_address_id": product.order_address_id,
        "name": product.name,
        "name_customer": product.name,
        "name_merchant": product.name,
        "sku": product.sku,
        "upc": "",
        "type": "physical",
        "base_price": money(product.price_ex_tax),
        "price_ex_tax": money(product.price_ex_tax),
        "price_inc_tax": money(product.price_inc_tax),
        "price_tax": money(tax),
        "base_total": money(product.price_ex_tax * quantity),
        "total_ex_tax": money(product.price_ex_tax * quantity),
        "total_inc_tax": money(product.price_inc_tax * quantity),
        "total_tax": money(tax * quantity),
        "weight": f"{product.weight:.4f}",
        "width": ZERO,
        "height": ZERO,
        "depth": ZERO,
        "quantity": quantity,
        "base_cost_price": ZERO,
        "cost_price_inc_tax": ZERO,
        "cost_price_ex_tax": ZERO,
        "cost_price_tax": ZERO,
        "is_refunded": False,
        "quantity_refunded": 0,
        "refund_amount": ZERO,
        "return_id": 0,
        "wrapping_id": 0,
        "wrapping_name": None,
        "base_wrapping_cost": ZERO,
        "wrapping_cost_ex_tax": ZERO,
        "wrapping_cost_inc_tax": ZERO,
        "wrapping_cost_tax": ZERO,
        "wrapping_message": "",
        "quantity_shipped": product.quantity_shipped,
        "event_name": None,
        "event_date": None,
        "fixed_shipping_cost": ZERO,
        "ebay_item_id": "",
        "ebay_transaction_id": "",
        "option_set_id": None,
        "parent_order_product_id": None,
        "is_bundled_product": False,
        "bin_picking_number": "",
        "external_id": None,
        "applied_discounts": [],
        "product_options": product.product_options,
        "configurable_fields": [],
        "gift_certificate_id": None,
        "discounted_total_inc_tax": money(product.price_inc_tax * quantity),
    }


def _address_counts(order: Order, address_id: int) -> tuple[int, int]:
    total = shipped = 0
    for product in order.products:
        if product.order_address_id == address_id:
            total += product.quantity
            shipped += product.quantity_shipped
    return total, shipped


def shipping_address_json(store_hash: str, order: Order, address: ShippingAddress) -> Json:
    """One `/v2/orders/{id}/shipping_addresses` entry."""
    total, shipped = _address_counts(order, address.id)
    quotes = f"/orders/{order.id}/shipping_addresses/{address.id}/shipping_quotes"
    return {
        "id": address.id,
        "order_id": order.id,
        **address_json(address.address),
        "items_total": total,
        "items_shipped": shipped,
        "shipping_method": address.shipping_method,
        "base_cost": money(address.cost_ex_tax),
        "cost_ex_tax": money(address.cost_ex_tax),
        "cost_inc_tax": money(address.cost_inc_tax),
        "cost_tax": money(address.cost_inc_tax - address.cost_ex_tax),
        "cost_tax_class_id": 2,
        "base_handling_cost": ZERO,
        "handling_cost_ex_tax": ZERO,
        "handling_cost_inc_tax": ZERO,
        "handling_cost_tax": ZERO,
        "handling_cost_tax_class_id": 2,
        "shipping_zone_id": address.shipping_zone_id,
        "shipping_zone_name": address.shipping_zone_name,
        "shipping_quotes": link(store_hash, quotes),
        "form_fields": [],
    }


def consignments_json(store_hash: str, order: Order, *, line_items: bool) -> Json:
    """`include=consignments[.line_items]&consignment_structure=object`: each shipping
    address becomes a shipping consignment carrying its line items (links, or full order
    products with `consignments.line_items`). Costs are numbers here, as the spec has them."""
    shipping = []
    for address in order.shipping_addresses:
        total, shipped = _address_counts(order, address.id)
        products = [p for p in order.products if p.order_address_id == address.id]
        quotes = f"/orders/{order.id}/consignments/shipping/{address.id}/shipping_quotes"
        shipping.append(
            {
                "id": address.id,
                **address_json(address.address),
                "form_fields": [],
                "shipping_method": address.shipping_method,
                "line_items": [
                    order_product_json(p)
                    if line_items
                    else link(store_hash, f"/orders/{order.id}/products/{p.id}")
                    for p in products
                ],
                "items_total": total,
                "items_shipped": shipped,
                "base_cost": address.cost_ex_tax / 100,
                "cost_ex_tax": address.cost_ex_tax / 100,
                "cost_inc_tax": address.cost_inc_tax / 100,
                "cost_tax": (address.cost_inc_tax - address.cost_ex_tax) / 100,
                "cost_tax_class_id": 2,
                "base_handling_cost": 0,
                "handling_cost_ex_tax": 0,
                "handling_cost_inc_tax": 0,
                "handling_cost_tax": 0,
                "handling_cost_tax_class_id": 2,
                "shipping_zone_id": address.shipping_zone_id,
                "shipping_zone_name": address.shipping_zone_name,
                "shipping_quotes": link(store_hash, quotes),
            }
        )
    return {
        "pickups": [],
        "shipping": shipping,
        "downloads": [],
        "email": {"gift_certificates": []},
    }


def shipment_json(order: Order, shipment: Shipment) -> Json:
    """One `/v2/orders/{id}/shipments` entry."""
    address = next(
        (a.address for a in order.shipping_addresses if a.id == shipment.order_address_id),
        order.billing_address,
    )
    generated = ""
    if shipment.tracking_number and not shipment.tracking_link:
        carrier = shipment.shipping_provider or shipment.tracking_carrier or "tracking"
        generated = f"https://track.aftership.com/{carrier}/{shipment.tracking_number}"
    return {
        "id": shipment.id,
        "order_id": order.id,
        "customer_id": order.customer_id,
        "order_address_id": shipment.order_address_id,
        "date_created": rfc2822(shipment.date_created),
        "tracking_number": shipment.tracking_number,
        "merchant_shipping_cost": money(shipment.merchant_shipping_cost),
        "shipping_method": shipment.shipping_method,
        "comments": shipment.comments,
        "shipping_provider": shipment.shipping_provider,
        "tracking_carrier": shipment.tracking_carrier,
        "tracking_link": shipment.tracking_link,
        "billing_address": address_json(order.billing_address),
        "shipping_address": address_json(address),
        "items": [
            {
                "order_product_id": i.order_product_id,
                "product_id": i.product_id,
                "quantity": i.quantity,
            }
            for i in shipment.items
        ],
        "shipping_provider_display_name": PROVIDER_NAMES.get(
            shipment.shipping_provider, shipment.shipping_provider
        ),
        "generated_tracking_link": generated,
    }


def transaction_json(transaction: Transaction) -> Json:
    """One `/v3/orders/{id}/transactions` entry (`order_id` is a string there)."""
    return {
        "id": transaction.id,
        "order_id": str(transaction.order_id),
        "event": transaction.event,
        "method": transaction.method,
        "amount": transaction.amount / 100,
        "currency": transaction.currency,
        "gateway": transaction.gateway,
        "gateway_transaction_id": transaction.gateway_transaction_id,
        "date_created": iso8601(transaction.date_created),
        "payment_method_id": f"{transaction.gateway}.card",
        "test": False,
        "status": transaction.status,
        "fraud_review": False,
        "avs_result": {"code": "", "message": "", "street_match": "", "postal_match": ""},
        "cvv_result": {"code": "", "message": ""},
        "credit_card": {
            "card_type": transaction.card_type,
            "card_iin": "411111",
            "card_last4": transaction.card_last4,
            "card_expiry_month": 12,
            "card_expiry_year": transaction.date_created.year + 3,
        },
        "gift_certificate": None,
        "store_credit": None,
        "offline": None,
        "custom": None,
    }


def status_json(status_id: int, *, description: str) -> Json:
    """`GET /v2/order_statuses/{id}`."""
    name = STATUS_NAMES[status_id]
    return {
        "id": status_id,
        "name": name,
        "system_label": name,
        "custom_label": name,
        "system_description": description,
        "order": STATUS_SORT_ORDER[status_id],
    }


def order_statuses_json() -> list[Json]:
    """`GET /v2/order_statuses`, by id."""
    return [
        status_json(status_id, description=description)
        for status_id, _, description in sorted(ORDER_STATUSES)
    ]


def orders_count_json(counts: dict[int, int]) -> Json:
    """`GET /v2/orders/count`: every status with its count, and the total."""
    statuses = []
    for status_id, name, description in ORDER_STATUSES:
        statuses.append(
            {
                "id": status_id,
                "name": name,
                "system_label": name,
                "custom_label": name,
                "system_description": description,
                "count": counts.get(status_id, 0),
                "sort_order": STATUS_SORT_ORDER[status_id],
            }
        )
    return {"statuses": statuses, "count": sum(counts.values())}
