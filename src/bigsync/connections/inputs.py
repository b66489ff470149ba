"""What users type or paste when they connect a store, checked and cleaned.

Pure functions. Every message says what is wrong and what to paste instead, and never
repeats a secret back: a token pasted in the wrong field is described, not echoed.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import urlsplit

from bigsync.bigcommerce import parse_store_hash
from bigsync.errors import InputError, StoreHashError

NAME_MAX = 80
ARCHIVED_MARK = "~removed-"
_ARCHIVED_NAME = re.compile(re.escape(ARCHIVED_MARK) + r"[0-9]+$")
# BigCommerce access tokens and client ids are about 30 lowercase letters and digits; client
# secrets are 64 hexadecimal characters. Shorter than this is a token copied in part.
TOKEN_MIN = 16
_CLIENT_SECRET = re.compile(r"^[0-9a-f]{64}$")
_HEADER_PREFIX = re.compile(r"^(x-auth-token|access[ _-]?token)\s*[:=]\s*", re.IGNORECASE)
_CREDENTIALS_LABELS = ("ACCESS TOKEN", "CLIENT ID", "CLIENT SECRET", "API PATH")


@dataclass(frozen=True)
class Cleaned:
    """A cleaned value and what was changed on the way, for the user to see."""

    value: str
    notices: tuple[str, ...] = ()

    def __repr__(self) -> str:
        return f"Cleaned(value=<{len(self.value)} chars>, notices={self.notices!r})"


def clean_name(raw: str) -> str:
    """A connection name: trimmed, in Unicode NFC form, 1 to 80 characters, no control
    characters. Case is kept as typed; `name_key` is what two names are compared by."""
    name = unicodedata.normalize("NFC", raw.strip())
    if not name:
        raise InputError("the connection name is empty; choose a short name such as 'main-store'")
    if len(name) > NAME_MAX:
        raise InputError(f"the connection name is longer than {NAME_MAX} characters")
    if any(unicodedata.category(ch).startswith("C") for ch in name):
        raise InputError("the connection name contains control characters or line breaks")
    if _ARCHIVED_NAME.search(name):
        raise InputError(
            f"names ending in '{ARCHIVED_MARK}<number>' are kept for removed connections"
        )
    return name


def archived_name(name: str, connection_id: int) -> str:
    """The name a removed connection keeps (its mirrored data stays attached): no name
    `clean_name` accepts can take it, so removing never clashes with a live connection."""
    return f"{name[:60]}{ARCHIVED_MARK}{connection_id}"


def name_key(name: str) -> str:
    """What connection names are compared by: `Shop`, `shop` and `SHOP` name one connection,
    and so do the composed and decomposed spellings of `Café`."""
    return unicodedata.normalize("NFC", name.strip()).casefold()


def clean_secret(raw: str, *, what: str = "access token", client_id: str | None = None) -> Cleaned:
    """An access token (or other secret) as pasted, with the usual mistakes caught.

    Accepted and fixed, with a notice: spaces or line breaks around it, surrounding quotes,
    an `X-Auth-Token:` header name in front. Refused: empty, spaces inside, a URL, the whole
    credentials text, a client secret or the client id in the token field, a partial copy.
    """
    notices: list[str] = []
    value = raw.strip()
    if value != raw:
        notices.append(f"removed spaces or line breaks around the {what}")
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
        value = value[1:-1].strip()
        notices.append(f"removed the quotes around the {what}")
    if _HEADER_PREFIX.match(value):
        value = _HEADER_PREFIX.sub("", value, count=1)
        notices.append(f"removed the header name in front of the {what}")
    _refuse_mistakes(value, what=what, client_id=client_id)
    return Cleaned(value, tuple(notices))


def _refuse_mistakes(value: str, *, what: str, client_id: str | None) -> None:
    if not value:
        raise InputError(f"the {what} is empty")
    upper = value.upper()
    if any(label in upper for label in _CREDENTIALS_LABELS) and any(ch.isspace() for ch in value):
        raise InputError(
            f"this looks like the whole credentials text BigCommerce showed; paste only the "
            f"value after {'ACCESS TOKEN' if what == 'access token' else what.upper()}"
        )
    if "://" in value or "/stores/" in value or value.startswith("stores/"):
        raise InputError(
            f"the {what} field holds a URL (the API path?); paste the API path into the store "
            f"field and the ACCESS TOKEN value here"
        )
    if any(ch.isspace() for ch in value):
        raise InputError(f"the {what} contains spaces or line breaks; copy it again as one piece")
    if not value.isascii() or not value.isprintable():
        raise InputError(f"the {what} contains characters that never appear in BigCommerce tokens")
    if what == "access token" and _CLIENT_SECRET.match(value):
        raise InputError(
            "this looks like the CLIENT SECRET (64 hexadecimal characters), not the access "
            "token; paste the value labelled ACCESS TOKEN on BigCommerce's credentials screen"
        )
    if client_id and value == client_id:
        raise InputError(
            f"the {what} is the same as the client id; paste the value labelled ACCESS TOKEN"
        )
    if len(value) < TOKEN_MIN:
        raise InputError(
            f"the {what} is only {len(value)} characters; BigCommerce tokens are about 30 — "
            f"was it copied whole?"
        )


def clean_client_id(raw: str | None) -> str | None:
    """A client id (not secret): trimmed; None when blank."""
    if raw is None or not raw.strip():
        return None
    value = raw.strip()
    if any(ch.isspace() or unicodedata.category(ch) == "Cc" for ch in value) or "://" in value:
        raise InputError(
            "the client id contains spaces, control characters or a URL; copy the CLIENT ID "
            "value again"
        )
    if _CLIENT_SECRET.match(value):
        raise InputError(
            "this looks like the CLIENT SECRET (64 hexadecimal characters), not the client id"
        )
    return value


def clean_api_url(raw: str) -> str:
    """The API host a connection talks to (`https://api.bigcommerce.com`, or the sandbox's),
    with any path prefix it is served under, without a trailing slash. Refused: no http(s)
    scheme or host, a store's API path (`/stores/<hash>/...`, which belongs in the store
    field), a query, or a user name and password in the URL."""
    value = raw.strip().rstrip("/")
    try:
        parts = urlsplit(value)
        has_host = bool(parts.hostname)
    except ValueError:
        has_host = False
    if parts.scheme not in ("http", "https") or not has_host:
        raise InputError(
            "the API URL must be an http(s) address such as https://api.bigcommerce.com"
        )
    if "/stores/" in f"{parts.path}/":
        raise InputError(
            "the API URL holds a store's API path; paste that into the store field and leave "
            "the API URL as the host only (https://api.bigcommerce.com)"
        )
    if parts.query or parts.fragment or "@" in parts.netloc:
        raise InputError("the API URL must be the host only, without a query or credentials")
    return value


def chosen_api_url(store: str, api_url: str | None, *, default: str) -> Cleaned:
    """The API URL a connection is to use, from what was typed: `api_url` when given, else
    the host of a pasted API path that is not BigCommerce's (a sandbox or a proxy:
    `http://127.0.0.1:5780/stores/abc123/v3/` gives `http://127.0.0.1:5780`, with a
    notice), else `default`. Refused: both given, differing."""
    pasted = _api_host_in(store.strip())
    if api_url:
        chosen = clean_api_url(api_url)
        if pasted is not None and pasted != chosen:
            raise InputError(
                f"the API path names the host {pasted} but the API URL is {chosen}; give one "
                "of them, or make them agree"
            )
        return Cleaned(chosen)
    if pasted is None:
        return Cleaned(default)
    return Cleaned(pasted, (f"using API host {pasted} from the API path",))


def _api_host_in(value: str) -> str | None:
    """`scheme://host[:port][/prefix]` of an API path (`…/stores/<hash>/…`) on a host that is
    not BigCommerce's; None for anything else."""
    try:
        parts = urlsplit(value)
        host = (parts.hostname or "").lower()
    except ValueError:
        return None
    cut = f"{parts.path}/".lower().find("/stores/")
    if parts.scheme not in ("http", "https") or not host or cut < 0:
        return None
    if host == "bigcommerce.com" or host.endswith((".bigcommerce.com", ".mybigcommerce.com")):
        return None
    return clean_api_url(f"{parts.scheme}://{parts.netloc}{parts.path[:cut]}")


def clean_store_hash(raw: str, *, token: str | None = None) -> Cleaned:
    """The store hash from a hash, API path, store URL or control-panel URL as pasted."""
    if token and raw.strip() and raw.strip() == token:
        raise InputError(
            "the store field holds the access token; paste the store hash or the API path "
            "(https://api.bigcommerce.com/stores/<hash>/v3/) there"
        )
    value = raw.strip()
    try:
        store_hash = parse_store_hash(value)
    except StoreHashError as error:
        raise StoreHashError(_describe_bad_store(value, error)) from None
    if len(store_hash) > 20:
        raise StoreHashError(
            f"the store field holds {len(store_hash)} characters: an access token or client id "
            f"rather than a store hash (store hashes are about 6–12 characters, found in the "
            f"API path after /stores/)"
        )
    notices: list[str] = []
    if value != store_hash:
        notices.append(f"using store hash {store_hash} from what was pasted")
    return Cleaned(store_hash, tuple(notices))


def _describe_bad_store(value: str, error: StoreHashError) -> str:
    if len(value) > 20 and value.isalnum():
        return (
            "the store field holds a long code that looks like a token, not a store hash; "
            "paste the API path (https://api.bigcommerce.com/stores/<hash>/v3/) or the hash"
        )
    return str(error)


SYNC_EVERY_MIN = timedelta(minutes=1)
SYNC_EVERY_MAX = timedelta(days=7)
_EVERY = re.compile(r"^\s*([0-9]+)\s*([smhd])\s*$", re.IGNORECASE)
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_every(raw: str) -> timedelta:
    """A sync interval as typed: a whole number and a unit, `30s`, `5m`, `1h` or `1d`;
    at least 1 minute (each sync costs requests of the store's quota), at most 7 days."""
    match = _EVERY.match(raw)
    if match is None:
        raise InputError(
            f"{raw.strip()[:20]!r} is not an interval: give a number and a unit, "
            "such as 30s, 5m, 1h or 1d"
        )
    every = timedelta(seconds=int(match[1]) * _UNIT_SECONDS[match[2].lower()])
    if every < SYNC_EVERY_MIN:
        raise InputError(f"syncs run at most every minute: give 1m or more (not {match[0]})")
    if every > SYNC_EVERY_MAX:
        raise InputError(f"syncs run at least every 7 days: give 7d or less (not {match[0]})")
    return every


def format_every(every: timedelta) -> str:
    """An interval as `parse_every` reads it (`15m`, `1h`, `90s`)."""
    seconds = int(every.total_seconds())
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds % size == 0:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"
