"""Server-rendered pages: Jinja2 over `templates/`, autoescaped.

    return render(request, "tokens.html", tokens=tokens)

Every template gets `request`, `principal` (None before login), `csrf_token` (for forms and
`<meta name="csrf-token">`), `flashes` (a list of (kind, text)), and the filters `ago`
("3 min ago", "in 2 h") and `number` (thousands separated). Templates extend `base.html`.
"""

from __future__ import annotations

from contextvars import ContextVar
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import jinja2
from fastapi.responses import HTMLResponse

from bigsync.web.flash import take_flashes

if TYPE_CHECKING:
    from starlette.requests import Request

TEMPLATES = Path(__file__).parent / "templates"
STATIC = Path(__file__).parent / "static"

# The CSRF token of the page being rendered: what `csrf_field()` in macros.html puts in a
# form (imported macros do not see the template's context).
_csrf: ContextVar[str] = ContextVar("bigsync_csrf", default="")


def current_csrf_token() -> str:
    """The CSRF token of the page being rendered."""
    return _csrf.get()


def ago(moment: datetime | None, now: datetime | None = None) -> str:
    """A short relative time: "just now", "3 min ago", "2 h ago", "5 days ago", "in 4 min";
    "never" for None."""
    if moment is None:
        return "never"
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    seconds = ((now or datetime.now(UTC)) - moment).total_seconds()
    future, seconds = seconds < 0, abs(seconds)
    if seconds < 45:
        return "just now" if not future else "in a moment"
    for size, unit in ((86400 * 365, "year"), (86400, "day"), (3600, "h"), (60, "min")):
        if seconds >= size:
            count = round(seconds / size) if size < 86400 else int(seconds // size)
            label = unit if unit in ("h", "min") or count == 1 else unit + "s"
            return f"in {count} {label}" if future else f"{count} {label} ago"
    return "just now"  # pragma: no cover -- the loop covers 45 s and more


def number(value: float | int | None, digits: int = 0) -> str:
    """`value` with thousands separated ("12,345"); "—" for None."""
    if value is None:
        return "—"
    return f"{value:,.{digits}f}" if digits or isinstance(value, float) else f"{value:,}"


def iso(moment: datetime | None) -> str:
    """An ISO 8601 timestamp for `<time datetime=...>` ("" for None)."""
    return moment.astimezone(UTC).isoformat(timespec="seconds") if moment else ""


@cache
def environment() -> jinja2.Environment:
    """The templates' environment (built once)."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=jinja2.select_autoescape(default=True, default_for_string=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["ago"] = ago
    env.filters["number"] = number
    env.filters["iso"] = iso
    env.globals["static"] = static_url
    env.globals["current_csrf_token"] = current_csrf_token
    return env


@cache
def _static_version(name: str) -> str:
    path = STATIC / name
    return str(int(path.stat().st_mtime)) if path.is_file() else "0"


def static_url(name: str) -> str:
    """The URL of a static file, with a version that changes when the file does."""
    return f"/static/{name}?v={_static_version(name)}"


def render(request: Request, template: str, status: int = 200, **context: Any) -> HTMLResponse:
    """The page `template` rendered with `context` and what every page gets."""
    principal = getattr(request.state, "principal", None)
    csrf = getattr(principal, "csrf_token", None) or getattr(request.state, "csrf_token", "")
    flashes = [*take_flashes(request), *getattr(request.state, "flash_pending", [])]
    request.state.flash_pending = []
    values: dict[str, Any] = {
        "connection": None,
        "tab": None,
        "active": None,
    } | context
    values |= {
        "request": request,
        "principal": principal,
        "csrf_token": csrf or "",
        "flashes": flashes,
    }
    reset = _csrf.set(values["csrf_token"])
    try:
        html = environment().get_template(template).render(values)
    finally:
        _csrf.reset(reset)
    return HTMLResponse(html, status_code=status, headers={"Cache-Control": "no-store"})
