"""Typed access to what the gateway attached to a request."""

from __future__ import annotations

from typing import cast

from starlette.requests import Request

from bigsync.sandbox.backend import ApiAccount, Sandbox, StoreState


def sandbox_of(request: Request) -> Sandbox:
    return cast(Sandbox, request.app.state.sandbox)


def store_of(request: Request) -> StoreState:
    return cast(StoreState, request.state.store)


def account_of(request: Request) -> ApiAccount:
    return cast(ApiAccount, request.state.account)
