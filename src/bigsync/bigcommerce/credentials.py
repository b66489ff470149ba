"""Store credentials, and the store hash from whatever a merchant pastes.

`parse_store_hash` accepts the forms a merchant copies from BigCommerce (API-NOTES §1.3):

    abc123                                          the bare hash
    store-abc123                                    the hash as it appears in store host names
    stores/abc123                                   an OAuth `context` or webhook `producer`
    https://api.bigcommerce.com/stores/abc123/v3/   the API path (with or without v2/v3, a
                                                    trailing slash, a resource path or a query)
    https://store-abc123.mybigcommerce.com/...      the store or control-panel URL, legacy API URL

Surrounding whitespace is ignored and the scheme may be left out. Anything else raises
`StoreHashError` saying what was expected and where to find it. Messages never repeat the
input: a token pasted into the wrong field must not end up in a log.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from bigsync.errors import StoreHashError

WHERE_TO_FIND = (
    "expected the store hash (e.g. abc123) or the API path of a store-level API account "
    "(https://api.bigcommerce.com/stores/abc123/v3/): BigCommerce shows the API path with the "
    "access token (Settings → Store-level API accounts), and the hash is also in your "
    "control-panel address (https://store-abc123.mybigcommerce.com/manage)"
)

_HASH = re.compile(r"[a-z0-9]+")
HASH_MAX = 64
"""No store hash is longer (they are about 10 characters; the database keeps up to 64)."""
_STORES_SEGMENT = re.compile(r"(?:^|/)stores/([^/?#]*)", re.IGNORECASE)
_STORE_HOST = re.compile(r"store-([^.]*)\.mybigcommerce\.com")
_STORE_PREFIX = re.compile(r"store-(.*)", re.IGNORECASE)
_BIGCOMMERCE_HOST = re.compile(r"(?:^|\.)(?:my)?bigcommerce\.com$")


@dataclass(frozen=True)
class StoreCredentials:
    """What identifies and authorises requests to one store. `repr` never shows the token."""

    store_hash: str
    access_token: str = field(repr=False)
    client_id: str | None = None

    def __post_init__(self) -> None:
        if not self.store_hash or not _HASH.fullmatch(self.store_hash):
            raise StoreHashError(f"not a store hash; {WHERE_TO_FIND}")
        if not self.access_token:
            raise ValueError("the access token is empty")


def parse_store_hash(pasted: str) -> str:
    """The bare store hash in `pasted` (a hash, API path or store URL); see the module doc."""
    text = pasted.strip()
    if not text:
        raise StoreHashError(f"the store is empty; {WHERE_TO_FIND}")
    if any(ch.isspace() for ch in text):
        raise StoreHashError(f"the store contains spaces or line breaks; {WHERE_TO_FIND}")
    segment = _STORES_SEGMENT.search(text)
    if segment:
        return _checked(segment.group(1), what="the part after /stores/")
    bare = text.rstrip("/")
    if bare and not any(ch in bare for ch in "/.:"):
        prefixed = _STORE_PREFIX.fullmatch(bare)
        return _checked(prefixed.group(1) if prefixed else bare, what="the store hash")
    return _from_url(text)


def _from_url(text: str) -> str:
    url = text if "://" in text else f"https://{text}"
    try:
        parts = urlsplit(url)
        host = (parts.hostname or "").lower()
    except ValueError:
        host = ""
    store_host = _STORE_HOST.fullmatch(host)
    if store_host:
        if not parts.netloc.isascii():  # `hostname` lowers the Kelvin sign K to an ASCII k
            raise StoreHashError(
                "the part after store- in the address is not a store hash (store hashes are "
                f"letters and digits only); {WHERE_TO_FIND}"
            )
        return _checked(store_host.group(1), what="the part after store- in the address")
    if _BIGCOMMERCE_HOST.search(host):
        raise StoreHashError(
            f"this BigCommerce address does not name a store (no /stores/<hash> in it); "
            f"{WHERE_TO_FIND}"
        )
    if "." in host:
        raise StoreHashError(
            "a storefront or custom domain cannot be turned into a store hash; paste the API "
            f"path instead: {WHERE_TO_FIND}"
        )
    raise StoreHashError(f"not a store hash, API path or store address; {WHERE_TO_FIND}")


def _checked(candidate: str, *, what: str) -> str:
    # Checked before lowering: lower() turns some non-ASCII look-alikes (the Kelvin sign) into
    # ASCII letters, which would name another store.
    if not candidate:
        raise StoreHashError(f"{what} is empty; {WHERE_TO_FIND}")
    if len(candidate) > HASH_MAX:
        raise StoreHashError(f"{what} is far longer than a store hash; {WHERE_TO_FIND}")
    value = candidate.lower()
    if not candidate.isascii() or not _HASH.fullmatch(value):
        raise StoreHashError(
            f"{what} is not a store hash (store hashes are letters and digits only); "
            f"{WHERE_TO_FIND}"
        )
    return value
