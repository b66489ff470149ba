"""The connection test report: plain values that round-trip through JSON."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass(frozen=True)
class Check:
    """One step of the test: `ok` True/False, or None when it could not run."""

    name: str  # "host", "token", "store_info"
    ok: bool | None
    message: str


@dataclass(frozen=True)
class StoreInfo:
    """What `/v2/store` says about the store."""

    store_hash: str
    name: str
    plan: str
    currency: str
    timezone: str
    domain: str = ""


@dataclass(frozen=True)
class ScopeResult:
    """One scope need of a feature and what the test found."""

    scope: str
    control_panel_name: str
    access: str  # "read-only" | "modify"
    status: str  # ScopeStatus value
    note: str = ""


@dataclass(frozen=True)
class FeatureResult:
    """One enabled feature: its scopes, and why it is disabled if it is."""

    feature: str
    title: str
    scopes: tuple[ScopeResult, ...]
    disabled_reason: str | None = None

    @property
    def is_enabled(self) -> bool:
        """Whether the feature stays on after this test."""
        return self.disabled_reason is None


@dataclass(frozen=True)
class CheckReport:
    """The whole result of testing a connection."""

    __test__ = False  # not a pytest test class

    ok: bool
    tested_at: str
    checks: tuple[Check, ...]
    store: StoreInfo | None = None
    features: tuple[FeatureResult, ...] = ()
    instructions: tuple[str, ...] = ()
    notes: tuple[str, ...] = field(default=())

    def check(self, name: str) -> Check | None:
        """The check called `name`, if it ran."""
        return next((c for c in self.checks if c.name == name), None)

    def feature(self, name: str) -> FeatureResult | None:
        """The result for feature `name`, if it was enabled."""
        return next((f for f in self.features if f.feature == name), None)

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict (what the database and the REST API store and show)."""
        return asdict(self)

    @classmethod
    def from_json(cls, doc: Mapping[str, Any]) -> CheckReport:
        """The report `to_json` produced."""
        store = doc.get("store")
        return cls(
            ok=bool(doc["ok"]),
            tested_at=str(doc["tested_at"]),
            checks=tuple(Check(**c) for c in doc.get("checks", ())),
            store=StoreInfo(**store) if store else None,
            features=tuple(
                FeatureResult(
                    feature=f["feature"],
                    title=f["title"],
                    scopes=tuple(ScopeResult(**s) for s in f.get("scopes", ())),
                    disabled_reason=f.get("disabled_reason"),
                )
                for f in doc.get("features", ())
            ),
            instructions=tuple(doc.get("instructions", ())),
            notes=tuple(doc.get("notes", ())),
        )
