"""Connections to BigCommerce stores: the use-cases, the connection test, the scope report."""

from bigsync.connections.model import (
    AddResult,
    ConnectionChanges,
    ConnectionKind,
    ConnectionView,
    NewConnection,
    RemoveResult,
    SecretPurpose,
)
from bigsync.connections.report import CheckReport
from bigsync.connections.service import ConnectionService

__all__ = [
    "AddResult",
    "CheckReport",
    "ConnectionChanges",
    "ConnectionKind",
    "ConnectionService",
    "ConnectionView",
    "NewConnection",
    "RemoveResult",
    "SecretPurpose",
]
