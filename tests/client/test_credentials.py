"""parse_store_hash: every form a merchant pastes, the usual mistakes, and what is refused."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bigsync.bigcommerce import StoreCredentials, parse_store_hash
from bigsync.errors import StoreHashError

hashes = st.from_regex(r"[a-z0-9]{1,16}", fullmatch=True)
blank = st.text(alphabet=" \t\r\n", max_size=3)
slashes = st.sampled_from(["", "/", "//"])

FORMS = (
    "{h}",
    "store-{h}",
    "stores/{h}",
    "/stores/{h}",
    "https://api.bigcommerce.com/stores/{h}",
    "https://api.bigcommerce.com/stores/{h}/v3",
    "https://api.bigcommerce.com/stores/{h}/v2",
    "https://api.bigcommerce.com/stores/{h}/v3/catalog/products?limit=1",
    "http://api.bigcommerce.com/stores/{h}/v2/orders",
    "api.bigcommerce.com/stores/{h}/v3",
    "https://store-{h}.mybigcommerce.com",
    "https://store-{h}.mybigcommerce.com/manage/dashboard",
    "https://store-{h}.mybigcommerce.com/api/v2",
    "store-{h}.mybigcommerce.com",
    "HTTPS://STORE-{h}.MYBIGCOMMERCE.COM/manage",
    "HTTPS://API.BIGCOMMERCE.COM/STORES/{h}/V3/",
)


@given(
    store_hash=hashes,
    form=st.sampled_from(FORMS),
    before=blank,
    after=blank,
    trailing=slashes,
)
def test_every_pasted_form_gives_the_bare_hash(
    store_hash: str, form: str, before: str, after: str, trailing: str
) -> None:
    pasted = before + form.format(h=store_hash) + trailing + after
    if "?" in pasted and trailing:
        pasted = before + form.format(h=store_hash) + after
    assert parse_store_hash(pasted) == store_hash


@given(store_hash=hashes)
def test_the_api_notes_examples(store_hash: str) -> None:
    # API-NOTES §1.3, verbatim forms
    for form in (
        "{h}",
        "stores/{h}",
        "https://api.bigcommerce.com/stores/{h}",
        "https://api.bigcommerce.com/stores/{h}/",
        "https://api.bigcommerce.com/stores/{h}/v3",
        "https://api.bigcommerce.com/stores/{h}/v3/",
        "https://api.bigcommerce.com/stores/{h}/v2/",
        "https://store-{h}.mybigcommerce.com",
        "https://store-{h}.mybigcommerce.com/manage/orders",
        "https://store-{h}.mybigcommerce.com/api/v2/",
    ):
        assert parse_store_hash(form.format(h=store_hash)) == store_hash


@given(st.text(max_size=80))
def test_anything_either_parses_to_a_hash_or_raises_store_hash_error(text: str) -> None:
    try:
        result = parse_store_hash(text)
    except StoreHashError as error:
        message = str(error)
        result = ""
    else:
        message = ""
    if result:
        assert result.isalnum()
        assert result == result.lower()
        assert parse_store_hash(result) == result  # idempotent
    else:
        assert "expected the store hash" in message


@given(
    label=st.from_regex(r"[a-z][a-z0-9-]{0,12}[a-z0-9]", fullmatch=True),
    tld=st.sampled_from(["com", "co.uk", "shop", "de"]),
    path=st.sampled_from(["", "/", "/products/red-shirt", "/cart.php"]),
)
def test_custom_domains_are_refused_with_guidance(label: str, tld: str, path: str) -> None:
    domain = f"https://{label}.{tld}{path}"
    with pytest.raises(StoreHashError) as caught:
        parse_store_hash(domain)
    message = str(caught.value)
    assert "custom domain" in message
    assert "API path" in message
    assert "https://api.bigcommerce.com/stores/abc123/v3/" in message


@pytest.mark.parametrize(
    ("pasted", "says"),
    [
        ("", "is empty"),
        ("   \n", "is empty"),
        ("abc 123", "spaces"),
        ("stores/", "after /stores/ is empty"),
        ("https://api.bigcommerce.com/stores//v3/", "after /stores/ is empty"),
        ("https://api.bigcommerce.com/stores/abc-123/v3/", "letters and digits only"),
        ("store-", "is empty"),
        ("store-abc_123", "letters and digits only"),
        ("https://store-.mybigcommerce.com", "after store- in the address is empty"),
        ("https://api.bigcommerce.com/v3/catalog", "does not name a store"),
        ("https://login.bigcommerce.com/", "does not name a store"),
        ("https://shop.example.com", "custom domain"),
        ("not/a/path", "not a store hash"),
        ("abc#123", "letters and digits only"),
        ("https://[::1/manage", "not a store hash"),
    ],
)
def test_mistakes_get_a_message_that_says_what_to_paste(pasted: str, says: str) -> None:
    with pytest.raises(StoreHashError, match=says) as caught:
        parse_store_hash(pasted)
    assert "Store-level API accounts" in str(caught.value)


@pytest.mark.parametrize(
    "pasted",
    [
        "abc\u212a12",  # KELVIN SIGN, which lower() turns into an ASCII k
        "store-abc\u212a12",
        "stores/abc\u212a12",
        "https://api.bigcommerce.com/stores/abc\u212a12/v3/",
        "https://store-abc\u212a12.mybigcommerce.com/manage",
        "\uff41bc123",  # FULLWIDTH a
    ],
)
def test_look_alike_letters_are_refused_not_folded_into_another_hash(pasted: str) -> None:
    with pytest.raises(StoreHashError, match="not a store hash"):
        parse_store_hash(pasted)


def test_hashes_longer_than_any_store_hash_are_refused() -> None:
    assert parse_store_hash("a" * 64) == "a" * 64
    for pasted in ("a" * 65, f"stores/{'b' * 100_000}", f"store-{'c' * 65}"):
        with pytest.raises(StoreHashError, match="far longer"):
            parse_store_hash(pasted)


def test_messages_never_repeat_what_was_pasted() -> None:
    token = "k9x2mq7r4tz8wv1np3ls6yb0hd5cfj2"  # a token pasted into the store field
    for pasted in (f"{token} x", f"https://shop.example.com/{token}", f"stores/{token}-x"):
        with pytest.raises(StoreHashError) as caught:
            parse_store_hash(pasted)
        assert token not in str(caught.value)


def test_credentials_never_show_the_token() -> None:
    token = "fake0token0for0repr0test0abcdef"
    credentials = StoreCredentials(store_hash="abc123", access_token=token, client_id="cid")
    for text in (repr(credentials), str(credentials), f"{credentials}", f"{credentials!r}"):
        assert token not in text
        assert "abc123" in text


def test_credentials_are_frozen_and_checked() -> None:
    credentials = StoreCredentials(store_hash="abc123", access_token="x" * 30)
    with pytest.raises(AttributeError):
        credentials.access_token = "other"  # type: ignore[misc]
    with pytest.raises(StoreHashError):
        StoreCredentials(store_hash="https://api.bigcommerce.com/stores/abc123", access_token="x")
    with pytest.raises(ValueError, match="empty"):
        StoreCredentials(store_hash="abc123", access_token="")
