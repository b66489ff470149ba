"""`/api/v1/tokens`: the caller's API tokens (a new one is shown once), and `/api/v1/me`."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Path
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from bigsync.accounts import TokenView
from bigsync.web.auth import AccountsDep, ApiUser
from bigsync.web.pagination import CursorPage, PageParams

router = APIRouter(prefix="/api/v1", tags=["tokens"])

# Some visible character, no control characters (what `AccountService.create_token` takes).
NAME_PATTERN = r"^[^\x00-\x1f\x7f-\x9f]*[^\s\x00-\x1f\x7f-\x9f][^\x00-\x1f\x7f-\x9f]*$"
TokenId = Annotated[int, Path(ge=1, le=2**31 - 1, description="the token's id")]


class Token(BaseModel):
    """An API token as listed: the prefix tells it apart, the token itself is never shown."""

    id: int
    name: str
    prefix: str
    connection_id: int | None = Field(description="set: the token sees this integration only")
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None
    active: bool

    @classmethod
    def of(cls, view: TokenView) -> Token:
        return cls(
            id=view.id,
            name=view.name,
            prefix=view.prefix,
            connection_id=view.connection_id,
            created_at=view.created_at,
            last_used_at=view.last_used_at,
            revoked_at=view.revoked_at,
            active=view.is_active,
        )


class CreatedToken(Token):
    """A token just created: `token` is shown this once; keep it somewhere safe."""

    token: str


class NewToken(BaseModel):
    """What to call the new token (what will use it)."""

    name: str = Field(min_length=1, max_length=100, pattern=NAME_PATTERN)


class Me(BaseModel):
    """Who the API sees."""

    username: str
    is_admin: bool
    connection_id: int | None
    via: str = Field(description="`token` or `session`")


@router.get("/me", response_model=Me)
async def me(user: ApiUser) -> Me:
    """The caller."""
    return Me(
        username=user.username,
        is_admin=user.is_admin,
        connection_id=user.connection_id,
        via="token" if user.via_token else "session",
    )


@router.get("/tokens", response_model=CursorPage[Token])
async def list_tokens(user: ApiUser, accounts: AccountsDep, page: PageParams) -> CursorPage[Token]:
    """The caller's tokens, newest first (revoked ones too)."""
    after = page.after.get("id") if page.after else None
    after_id = after if isinstance(after, int) else None
    rows = await run_in_threadpool(
        accounts.list_tokens, user, after_id=after_id, limit=page.limit + 1
    )
    return CursorPage[Token].from_rows(rows, page.limit, lambda v: {"id": v.id}, Token.of)


@router.post("/tokens", response_model=CreatedToken, status_code=201)
async def create_token(body: NewToken, user: ApiUser, accounts: AccountsDep) -> CreatedToken:
    """A new token, limited like the caller; the answer is the only time it is shown."""
    created = await run_in_threadpool(accounts.create_token, user, body.name)
    return CreatedToken(**Token.of(created.view).model_dump(), token=created.token)


@router.get("/tokens/{token_id}", response_model=Token)
async def get_token(token_id: TokenId, user: ApiUser, accounts: AccountsDep) -> Token:
    """One of the caller's tokens."""
    return Token.of(await run_in_threadpool(accounts.get_token, user, token_id))


@router.delete("/tokens/{token_id}", response_model=Token)
async def revoke_token(token_id: TokenId, user: ApiUser, accounts: AccountsDep) -> Token:
    """Revoke one of the caller's tokens (at once; revoking twice changes nothing)."""
    return Token.of(await run_in_threadpool(accounts.revoke_token, user, token_id))
