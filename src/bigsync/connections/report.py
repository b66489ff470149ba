"""The connection test report: plain values that round-trip through JSON."""

from __future__ import annotations

import enum
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


class FeatureState(enum.StrEnum):
    """Where a feature stands after a test."""

    ON = "on"
    OFF = "off"  # turned off by the user
    AVAILABLE = "available"  # its scopes allow it: `enable_command` turns it on
    BLOCKED = "blocked"  # a scope is missing (`disabled_reason` names it)


@dataclass(frozen=True)
class FeatureResult:
    """One feature of the catalogue: its scopes, its state, and why it is blocked if it is."""

    feature: str
    title: str
    scopes: tuple[ScopeResult, ...]
    disabled_reason: str | None = None
    state: FeatureState = FeatureState.ON
    enable_command: str | None = None  # for a feature that is off or available
    wanted: bool = True  # on the connection's list (a blocked one comes back once granted)

    @property
    def is_enabled(self) -> bool:
        """Whether the feature is on after this test."""
        return self.state is FeatureState.ON


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
        """The result for feature `name`."""
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
                    state=FeatureState(f.get("state") or _old_state(f)),
                    enable_command=f.get("enable_command"),
                    wanted=bool(f.get("wanted", True)),
                )
                for f in doc.get("features", ())
            ),
            instructions=tuple(doc.get("instructions", ())),
            notes=tuple(doc.get("notes", ())),
        )


def _old_state(doc: Mapping[str, Any]) -> FeatureState:
    # Reports saved before feature states listed only wanted features.
    return FeatureState.BLOCKED if doc.get("disabled_reason") else FeatureState.ON


# The checks whose failure means the saved credentials are wrong (not a passing outage).
CREDENTIAL_CHECKS = ("token", "store_hash")


def failing_reason(connection: str, report: CheckReport | None) -> str | None:
    """What is wrong with a connection whose last test refused its credentials, and the
    commands that fix it; None when the last test passed, was an outage, or never ran."""
    if report is None or report.ok:
        return None
    failed = next((c for c in report.checks if c.name in CREDENTIAL_CHECKS and c.ok is False), None)
    if failed is None:
        return None
    option = "--store HASH --token -" if failed.name == "store_hash" else "--token -"
    return (
        f"{failed.message}. Fix it with: bigsync connect {connection} --update {option}, "
        f"then bigsync test {connection}"
    )
