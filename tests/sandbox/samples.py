"""Request bodies several sandbox tests send."""

from __future__ import annotations

from typing import Any

ORDER_ADDRESS: dict[str, Any] = {
    "first_name": "Jane",
    "last_name": "Doe",
    "street_1": "123 Main Street",
    "city": "Austin",
    "state": "Texas",
    "zip": "78751",
    "country": "United States",
    "country_iso2": "US",
    "email": "janedoe@example.com",
}
"""A v2 order billing or shipping address."""

LOCATION_ADDRESS: dict[str, Any] = {
    "address1": "9 Pier",
    "city": "Boston",
    "state": "MA",
    "zip": "02110",
    "email": "pier@example.com",
    "geo_coordinates": {"latitude": 42.3, "longitude": -71.0},
    "country_code": "US",
}
"""An inventory location's address."""
