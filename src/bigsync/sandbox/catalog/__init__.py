"""Catalog state and operations: products, variants, options, categories and trees, brands,
locations and inventory per location.

`CatalogState` (state.py) holds the records (models.py); products.py, variants.py,
taxonomy.py (categories, brands), inventory.py and locations.py change them with the
platform's rules and webhook events; query.py filters and sorts lists; render.py turns
records into response JSON; mutations.py drives random changes for the control API.

After editing records directly (not through these modules), call `CatalogState.changed()`:
list pages are served from a cache that only a change clears.
"""

from bigsync.sandbox.catalog.mutations import MUTATIONS
from bigsync.sandbox.catalog.state import CatalogState, SellableItem

__all__ = ["MUTATIONS", "CatalogState", "SellableItem"]
