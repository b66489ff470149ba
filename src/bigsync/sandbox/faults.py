"""Injected faults: what the gateway does instead of (or on top of) a normal answer.

A `FaultSpec` matches requests by path (a glob such as `/v3/catalog/*`, or a regular
expression, against the path after `/stores/{hash}`), optionally by store hash and method, and
fires with probability `rate` from its own generator, seeded from `seed` (default: the
sandbox seed and the fault's id), so a run is reproducible. It can be
limited to `count` firings or to `duration_s` seconds of sandbox time.

Kinds:
- `error`: answer `status` (default 500) with the error body of the API version.
- `latency`: wait `latency_ms` before answering normally (latencies of several faults add up).
- `rate_limit`: a 429 storm; with `with_headers` the window looks exhausted (four headers plus
  `X-Retry-After`), without them it is BigCommerce's header-less "platform under load" 429.
- `drop`: start the answer, then abort the connection. Over a real socket the client sees the
  connection close mid-body (httpx: `RemoteProtocolError`); in process over
  `httpx.ASGITransport` the client sees `ConnectionDropped` raised from the app. By default the
  handler runs first (a write is applied, only its answer is lost); with `run_handler: false`
  the request is dropped before it has any effect.
- `truncate`: a complete HTTP answer whose body is cut in half (invalid JSON).
"""

from __future__ import annotations

import fnmatch
import itertools
import random
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Literal

FaultKind = Literal["error", "latency", "rate_limit", "drop", "truncate"]
FAULT_KINDS: tuple[FaultKind, ...] = ("error", "latency", "rate_limit", "drop", "truncate")
TERMINAL_KINDS = frozenset({"error", "rate_limit", "drop", "truncate"})


class ConnectionDropped(ConnectionResetError):  # noqa: N818 -- named after what the client sees
    """Raised inside the app to abort the connection of a request hit by a `drop` fault."""


@dataclass(frozen=True)
class FaultSpec:
    """What to inject, where, and how often."""

    kind: FaultKind
    path: str = "*"
    regex: bool = False
    store: str | None = None
    methods: frozenset[str] | None = None
    rate: float = 1.0
    status: int = 500
    latency_ms: float = 0.0
    with_headers: bool = True
    count: int | None = None
    duration_s: float | None = None
    run_handler: bool = True
    seed: int | None = None

    @classmethod
    def from_json(cls, body: dict[str, Any]) -> FaultSpec:
        """Build from the control API's JSON; raises ValueError on a bad field."""
        kind = body.get("kind")
        if kind not in FAULT_KINDS:
            raise ValueError(f"kind must be one of {', '.join(FAULT_KINDS)}")
        methods = body.get("methods")
        spec = cls(
            kind=kind,
            path=str(body.get("path", "*")),
            regex=bool(body.get("regex", False)),
            store=body.get("store"),
            methods=frozenset(m.upper() for m in methods) if methods else None,
            rate=float(body.get("rate", 1.0)),
            status=int(body.get("status", 429 if kind == "rate_limit" else 500)),
            latency_ms=float(body.get("latency_ms", 0.0)),
            with_headers=bool(body.get("with_headers", True)),
            count=None if body.get("count") is None else int(body["count"]),
            duration_s=None if body.get("duration_s") is None else float(body["duration_s"]),
            run_handler=bool(body.get("run_handler", True)),
            seed=None if body.get("seed") is None else int(body["seed"]),
        )
        if not 0.0 <= spec.rate <= 1.0:
            raise ValueError("rate must be between 0 and 1")
        if spec.regex:
            try:
                re.compile(spec.path)
            except re.error as exc:
                raise ValueError(f"path is not a valid regular expression: {exc}") from None
        return spec

    def as_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "path": self.path,
            "regex": self.regex,
            "store": self.store,
            "methods": sorted(self.methods) if self.methods else None,
            "rate": self.rate,
            "status": self.status,
            "latency_ms": self.latency_ms,
            "with_headers": self.with_headers,
            "count": self.count,
            "duration_s": self.duration_s,
            "run_handler": self.run_handler,
            "seed": self.seed,
        }


@dataclass
class Fault:
    """An installed fault: its spec plus what it has used up."""

    id: int
    spec: FaultSpec
    pattern: re.Pattern[str]
    rng: random.Random
    expires_at: datetime | None
    remaining: int | None
    fired: int = 0

    def applies(self, store: str, method: str, path: str, now: datetime) -> bool:
        """Whether this fault fires for the request (draws from its generator when it matches)."""
        spec = self.spec
        if self.remaining == 0 or (self.expires_at is not None and now >= self.expires_at):
            return False
        if spec.store is not None and spec.store != store:
            return False
        if spec.methods is not None and method not in spec.methods:
            return False
        if not self.pattern.fullmatch(path):
            return False
        if spec.rate < 1.0 and self.rng.random() >= spec.rate:
            return False
        self.fired += 1
        if self.remaining is not None:
            self.remaining -= 1
        return True

    def as_json(self) -> dict[str, Any]:
        return {"id": self.id, **self.spec.as_json(), "fired": self.fired}


@dataclass(frozen=True)
class FaultPlan:
    """What the gateway must do for one request: wait, then maybe one terminal fault."""

    latency_ms: float = 0.0
    terminal: FaultSpec | None = None


NO_FAULT = FaultPlan()


@dataclass
class FaultBook:
    """The installed faults, in the order they were added."""

    seed: int = 0
    faults: list[Fault] = field(default_factory=list)
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    def add(self, spec: FaultSpec, *, now: datetime) -> Fault:
        """Install `spec`; its generator is seeded from the book's seed and the fault's id."""
        fault_id = next(self._ids)
        text = spec.path if spec.regex else fnmatch.translate(spec.path)
        fault = Fault(
            id=fault_id,
            spec=spec,
            pattern=re.compile(text),
            rng=random.Random(
                f"{self.seed}/fault/{fault_id}" if spec.seed is None else f"fault/{spec.seed}"
            ),
            expires_at=None
            if spec.duration_s is None
            else now + timedelta(seconds=spec.duration_s),
            remaining=spec.count,
        )
        self.faults.append(fault)
        return fault

    def remove(self, fault_id: int) -> bool:
        """Remove one fault; False when there is none with that id."""
        kept = [f for f in self.faults if f.id != fault_id]
        found = len(kept) != len(self.faults)
        self.faults = kept
        return found

    def clear(self) -> None:
        """Remove every fault (ids keep counting up)."""
        self.faults = []

    def plan(self, store: str, method: str, path: str, now: datetime) -> FaultPlan:
        """The faults that fire for this request: summed latency and the first terminal one."""
        if not self.faults:
            return NO_FAULT
        latency = 0.0
        terminal: FaultSpec | None = None
        for fault in self.faults:
            if terminal is not None and fault.spec.kind in TERMINAL_KINDS:
                continue
            if fault.applies(store, method, path, now):
                if fault.spec.kind == "latency":
                    latency += fault.spec.latency_ms
                else:
                    terminal = fault.spec
        if latency == 0.0 and terminal is None:
            return NO_FAULT
        return FaultPlan(latency_ms=latency, terminal=terminal)
