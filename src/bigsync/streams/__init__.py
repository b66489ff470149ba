"""Declarative stream specs: which resources bigsync mirrors and how each is read."""

from bigsync.streams.catalog import STREAMS, STREAMS_BY_NAME, select_streams
from bigsync.streams.spec import Api, Batch, Owned, StreamKind, StreamSpec

__all__ = [
    "STREAMS",
    "STREAMS_BY_NAME",
    "Api",
    "Batch",
    "Owned",
    "StreamKind",
    "StreamSpec",
    "select_streams",
]
