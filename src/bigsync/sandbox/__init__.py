"""A faithful local BigCommerce REST API, for tests, demos, benchmarks and integrators.

This package imports nothing from the rest of bigsync (a test enforces it), so it can be
used on its own: `bigsync sandbox` serves it, `create_app()` embeds it.
"""

from bigsync.sandbox.app import create_app
from bigsync.sandbox.backend import Sandbox

__all__ = ["Sandbox", "create_app"]
