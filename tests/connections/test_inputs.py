"""Every form of store hash and token users paste, including the usual mistakes."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bigsync.connections.inputs import (
    Cleaned,
    chosen_api_url,
    clean_api_url,
    clean_client_id,
    clean_name,
    clean_secret,
    clean_store_hash,
)
from bigsync.errors import InputError, StoreHashError

TOKEN = "t0k3n0for0input0tests0abcdefgh"  # 30 characters, the shape of a real one
CLIENT_ID = "c1ient0id0for0input0tests0abcd"
CLIENT_SECRET = "0123456789abcdef" * 4  # 64 hexadecimal characters
BC = "https://api.bigcommerce.com"


@pytest.mark.parametrize(
    "pasted",
    [
        "abc123",
        "  abc123  ",
        "abc123\n",
        "stores/abc123",
        "https://api.bigcommerce.com/stores/abc123",
        "https://api.bigcommerce.com/stores/abc123/",
        "https://api.bigcommerce.com/stores/abc123/v3",
        "https://api.bigcommerce.com/stores/abc123/v3/",
        "https://api.bigcommerce.com/stores/abc123/v2/",
        "https://api.bigcommerce.com/stores/abc123/v2/orders",
        " https://api.bigcommerce.com/stores/abc123/v3/ \n",
        "api.bigcommerce.com/stores/abc123/v3",
        "https://store-abc123.mybigcommerce.com",
        "https://store-abc123.mybigcommerce.com/manage/dashboard",
        "https://store-abc123.mybigcommerce.com/api/v2/",
        "store-abc123.mybigcommerce.com",
        "store-abc123",
    ],
)
def test_every_pasted_store_form_gives_the_hash(pasted: str) -> None:
    assert clean_store_hash(pasted).value == "abc123"


def test_a_cleaned_store_says_what_it_used() -> None:
    assert clean_store_hash("abc123").notices == ()
    notices = clean_store_hash("https://api.bigcommerce.com/stores/abc123/v2/").notices
    assert notices == ("using store hash abc123 from what was pasted",)


@pytest.mark.parametrize(
    "pasted", ["", "   ", "https://shop.example.com", "abc 123", "not/a/store/path"]
)
def test_what_is_not_a_store_is_refused(pasted: str) -> None:
    with pytest.raises(StoreHashError):
        clean_store_hash(pasted)


def test_token_in_the_store_field_is_refused_without_echoing_it() -> None:
    with pytest.raises(InputError) as caught:
        clean_store_hash(TOKEN, token=TOKEN)
    assert TOKEN not in str(caught.value)
    assert "access token" in str(caught.value)
    with pytest.raises(StoreHashError) as caught:
        clean_store_hash(CLIENT_ID)  # a long code, not a hash
    assert CLIENT_ID not in str(caught.value)


@pytest.mark.parametrize(
    ("pasted", "notice"),
    [
        (TOKEN, None),
        (f"{TOKEN}   ", "removed spaces or line breaks around the access token"),
        (f"  {TOKEN}\n", "removed spaces or line breaks around the access token"),
        (f"{TOKEN}\r\n", "removed spaces or line breaks around the access token"),
        (f"\t{TOKEN}", "removed spaces or line breaks around the access token"),
        (f'"{TOKEN}"', "removed the quotes around the access token"),
        (f"'{TOKEN}'", "removed the quotes around the access token"),
        (f"X-Auth-Token: {TOKEN}", "removed the header name in front of the access token"),
        (f"ACCESS TOKEN: {TOKEN}", "removed the header name in front of the access token"),
    ],
)
def test_token_forms_that_are_cleaned(pasted: str, notice: str | None) -> None:
    cleaned = clean_secret(pasted)
    assert cleaned.value == TOKEN
    assert cleaned.notices == ((notice,) if notice else ())
    assert TOKEN not in repr(cleaned)


@pytest.mark.parametrize(
    ("pasted", "message"),
    [
        ("", "is empty"),
        ("   \n", "is empty"),
        (CLIENT_SECRET, "CLIENT SECRET"),
        (f" {CLIENT_SECRET}\n", "CLIENT SECRET"),
        (CLIENT_ID, "same as the client id"),
        ("t0k3n0for0 input0tests0abcdefgh", "spaces or line breaks"),
        ("t0k3n0for0input0\ntests0abcdefgh", "spaces or line breaks"),
        ("https://api.bigcommerce.com/stores/abc123/v3/", "API path"),
        (
            f"ACCESS TOKEN\n{TOKEN}\nCLIENT ID\n{CLIENT_ID}\nAPI PATH\nhttps://x/stores/abc123/v3/",
            "whole credentials text",
        ),
        ("t0k3n0short", "was it copied whole"),
        ("t0k3n0for0input0tésts0abcdefgh", "characters that never appear"),
    ],
)
def test_token_mistakes_are_refused_clearly_without_echoing(pasted: str, message: str) -> None:
    with pytest.raises(InputError, match=message) as caught:
        clean_secret(pasted, client_id=CLIENT_ID)
    text = str(caught.value)
    for part in filter(None, (pasted.strip(), TOKEN, CLIENT_SECRET, CLIENT_ID)):
        assert part not in text


def test_client_secret_field_accepts_a_client_secret() -> None:
    assert clean_secret(CLIENT_SECRET, what="client secret").value == CLIENT_SECRET


def test_client_id_is_trimmed_and_checked() -> None:
    assert clean_client_id(f" {CLIENT_ID} ") == CLIENT_ID
    assert clean_client_id("   ") is None
    assert clean_client_id(None) is None
    with pytest.raises(InputError, match="CLIENT SECRET"):
        clean_client_id(CLIENT_SECRET)


@pytest.mark.parametrize(
    ("raw", "message"), [("", "empty"), ("x" * 81, "longer than 80"), ("a\nb", "control")]
)
def test_bad_names_are_refused(raw: str, message: str) -> None:
    with pytest.raises(InputError, match=message):
        clean_name(raw)


def test_names_are_trimmed() -> None:
    assert clean_name("  main store ") == "main store"


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.characters(codec="utf-8"), min_size=12, max_size=80))
def test_no_message_ever_repeats_what_was_pasted(pasted: str) -> None:
    """Whatever lands in a field, a refusal describes it and never echoes it."""
    messages = []
    for check in (clean_secret, clean_store_hash, clean_client_id):
        try:
            check(pasted)
        except InputError as error:
            messages.append(str(error))
    needle = pasted.strip()
    # The refusal of a pasted credentials block names its labels; a label alone is no secret.
    if needle in ("ACCESS TOKEN", "CLIENT ID", "CLIENT SECRET", "API PATH"):
        return
    assert not [m for m in messages if needle and needle in m]


def test_api_urls_are_hosts_and_a_pasted_api_path_is_refused() -> None:
    assert clean_api_url(" https://api.bigcommerce.com/ ") == "https://api.bigcommerce.com"
    assert clean_api_url("http://127.0.0.1:8765/prefix") == "http://127.0.0.1:8765/prefix"
    for raw, says in [
        ("https://api.bigcommerce.com/stores/abc123/v3/", "store field"),
        ("https://api.bigcommerce.com/stores/abc123", "store field"),
        ("api.bigcommerce.com", "http"),
        ("ftp://api.bigcommerce.com", "http"),
        ("https://", "http"),
        ("https://api.bigcommerce.com/?x=1", "host only"),
        ("https://user:pw0secret@api.bigcommerce.com", "host only"),
    ]:
        with pytest.raises(InputError, match=says) as caught:
            clean_api_url(raw)
        assert "pw0secret" not in str(caught.value)


def test_the_api_host_comes_from_a_pasted_api_path_unless_it_is_bigcommerce() -> None:
    sandbox = chosen_api_url(" http://127.0.0.1:5780/stores/abc123/v3/ ", None, default=BC)
    assert sandbox.value == "http://127.0.0.1:5780"
    assert sandbox.notices == ("using API host http://127.0.0.1:5780 from the API path",)
    proxied = chosen_api_url("https://proxy.example/bc/stores/abc123/v3/catalog", None, default=BC)
    assert proxied.value == "https://proxy.example/bc"
    for says_only_the_store in [
        "abc123",
        "stores/abc123",
        "https://api.bigcommerce.com/stores/abc123/v3/",
        "https://store-abc123.mybigcommerce.com/manage",
        "",
    ]:
        assert chosen_api_url(says_only_the_store, None, default=BC) == Cleaned(BC)
    given = chosen_api_url("abc123", "https://api.bigcommerce.com/", default="http://other")
    assert (given.value, given.notices) == ("https://api.bigcommerce.com", ())
    agreeing = chosen_api_url(
        "http://127.0.0.1:5780/stores/abc123/v3/", "http://127.0.0.1:5780", default=BC
    )
    assert agreeing.value == "http://127.0.0.1:5780"
    with pytest.raises(InputError, match=r"names the host http://127\.0\.0\.1:5780"):
        chosen_api_url("http://127.0.0.1:5780/stores/abc123/v3/", BC, default=BC)
    with pytest.raises(InputError, match="host only") as caught:
        chosen_api_url("http://user:pw0secret@127.0.0.1:5780/stores/abc123/v3/", None, default=BC)
    assert "pw0secret" not in str(caught.value)
