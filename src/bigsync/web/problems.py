"""RFC 9457 problem details, and the one place bigsync errors become HTTP answers.

Web code raises `Problem(status, title, detail=...)`; use-cases raise bigsync errors
(`bigsync.errors`), which `problem_for` maps by class (the nearest class in `ERROR_STATUS`
wins). The handlers `install_handlers` registers answer

    /api/...            application/problem+json
    pages, GET          the error page (templates/error.html) with the status
    pages, form POST    a bigsync error: a flash and a 303 back to the page the form was on;
                        a Problem: the error page
    /webhooks, /bigcommerce, /healthz, /readyz   FastAPI's own answers (their callers are
                        not people)

A detail is the error's message: bigsync's messages are written for users and never carry a
secret (the suite's leak scan checks).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ConfigDict
from starlette.exceptions import HTTPException as StarletteHTTPException

from bigsync import errors

log = logging.getLogger(__name__)

PROBLEM_JSON = "application/problem+json"
MACHINE_PREFIXES = ("/webhooks/", "/bigcommerce/", "/healthz", "/readyz")


class Problem(Exception):  # noqa: N818 -- it is the RFC's name, raised like an error
    """An HTTP problem (RFC 9457): `raise Problem(404, "Not found", detail="...")`."""

    def __init__(
        self,
        status: int,
        title: str,
        *,
        detail: str | None = None,
        type: str = "about:blank",
        headers: Mapping[str, str] | None = None,
        extra: Mapping[str, Any] | None = None,
    ) -> None:
        super().__init__(detail or title)
        self.status = status
        self.title = title
        self.detail = detail
        self.type = type
        self.headers = dict(headers or {})
        self.extra = dict(extra or {})

    def body(self, instance: str | None = None) -> dict[str, Any]:
        """The problem document."""
        body: dict[str, Any] = {"type": self.type, "title": self.title, "status": self.status}
        if self.detail:
            body["detail"] = self.detail
        if instance:
            body["instance"] = instance
        return body | self.extra


class ProblemDetails(BaseModel):
    """An error answer of the API (RFC 9457)."""

    model_config = ConfigDict(extra="allow")

    type: str = "about:blank"
    title: str
    status: int
    detail: str | None = None
    instance: str | None = None


# The nearest class wins (the MRO is walked); add a line for a new error that needs its own
# status. Anything else a use-case raises on purpose is a 400.
ERROR_STATUS: dict[type[errors.BigsyncError], tuple[int, str]] = {
    errors.InputError: (422, "Invalid input"),
    errors.ConnectionNotFoundError: (404, "No such integration"),
    errors.ConnectionExistsError: (409, "That name is taken"),
    errors.AccountError: (403, "Not allowed"),
    errors.LoginFailedError: (401, "Login failed"),
    errors.LoginThrottledError: (429, "Too many failed logins"),
    errors.SetupDoneError: (409, "Setup is done"),
    errors.AccountNotFoundError: (404, "Not found"),
    errors.SyncError: (409, "The sync cannot run now"),
    errors.SyncLockedError: (409, "A sync of this integration is running"),
    errors.StoreAccessError: (502, "The store refused the connection"),
    errors.WritebackError: (409, "The write-back cannot run now"),
    errors.DispatchLockedError: (409, "A write-back of this integration is running"),
    errors.AppInstallError: (400, "App callback refused"),
    errors.SignedPayloadError: (401, "Invalid signed payload"),
    errors.ForeignStoreError: (403, "Unknown store"),
    errors.WebhookError: (400, "Webhook refused"),
    errors.ApiError: (502, "BigCommerce did not answer as expected"),
    errors.RateLimitedError: (503, "BigCommerce asks to slow down"),
    errors.VaultError: (500, "The hub cannot open its secrets"),
    errors.ConfigError: (503, "The hub is not configured for this"),
}


def problem_for(error: errors.BigsyncError) -> Problem:
    """The problem a bigsync error is answered with."""
    status, title = 400, "Request refused"
    for cls in type(error).__mro__:
        if cls in ERROR_STATUS:
            status, title = ERROR_STATUS[cls]
            break
    headers: dict[str, str] = {}
    if isinstance(error, errors.LoginThrottledError):
        headers["Retry-After"] = str(max(1, round(error.retry_after_s)))
    return Problem(status, title, detail=str(error), headers=headers)


def is_api(request: Request) -> bool:
    """Whether the request is to the JSON API."""
    return request.url.path.startswith("/api/")


def is_machine(request: Request) -> bool:
    """Whether the request comes from BigCommerce or a probe (not a person, not the API)."""
    path = request.url.path
    return any(path == p.rstrip("/") or path.startswith(p) for p in MACHINE_PREFIXES)


def problem_response(problem: Problem, request: Request) -> JSONResponse:
    """The API answer of a problem."""
    return JSONResponse(
        problem.body(instance=request.url.path),
        status_code=problem.status,
        media_type=PROBLEM_JSON,
        headers=problem.headers,
    )


def _page_answer(problem: Problem, request: Request) -> Response:
    from bigsync.web.templating import render  # noqa: PLC0415 -- templating imports us

    response = render(request, "error.html", status=problem.status, problem=problem)
    for name, value in problem.headers.items():
        response.headers[name] = value
    return response


async def _on_problem(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, Problem)
    if is_api(request) or is_machine(request):
        return problem_response(exc, request)
    return _page_answer(exc, request)


async def _on_bigsync_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, errors.BigsyncError)
    problem = problem_for(exc)
    if problem.status >= 500:
        log.warning("%s %s answered %d: %s", request.method, request.url.path,
                    problem.status, exc)  # fmt: skip
    if is_api(request) or is_machine(request):
        return problem_response(problem, request)
    if request.method == "POST":
        from bigsync.web.flash import flash, redirect_back  # noqa: PLC0415

        flash(request, str(exc), kind="fail")
        return redirect_back(request)
    return _page_answer(problem, request)


async def _on_http_exception(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    if is_machine(request):
        from fastapi.exception_handlers import http_exception_handler  # noqa: PLC0415

        return await http_exception_handler(request, exc)
    title = {404: "Not found", 405: "Method not allowed"}.get(exc.status_code, "Error")
    detail = exc.detail if isinstance(exc.detail, str) and exc.status_code != 404 else None
    problem = Problem(exc.status_code, title, detail=detail, headers=exc.headers)
    if is_api(request):
        return problem_response(problem, request)
    from bigsync.web.auth import session_principal  # noqa: PLC0415 -- auth imports us

    await session_principal(request)  # a logged-in user keeps the navigation
    return _page_answer(problem, request)


async def _on_validation_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    if is_machine(request):
        from fastapi.exception_handlers import (  # noqa: PLC0415
            request_validation_exception_handler,
        )

        return await request_validation_exception_handler(request, exc)
    # What was wrong where, without the value sent (it may be a password or a token).
    fields = [
        {"loc": [str(part) for part in e.get("loc", ())], "msg": str(e.get("msg", ""))}
        for e in exc.errors()
    ]
    where = "; ".join(f"{'.'.join(f['loc'][1:]) or f['loc'][0]}: {f['msg']}" for f in fields)
    problem = Problem(422, "Invalid request", detail=where or None, extra={"errors": fields})
    if is_api(request):
        return problem_response(problem, request)
    return _page_answer(Problem(400, "Invalid request", detail=where or None), request)


def install_handlers(app: FastAPI) -> None:
    """Register the exception handlers of the module docstring on `app`."""
    app.add_exception_handler(Problem, _on_problem)
    app.add_exception_handler(errors.BigsyncError, _on_bigsync_error)
    app.add_exception_handler(StarletteHTTPException, _on_http_exception)
    app.add_exception_handler(RequestValidationError, _on_validation_error)
