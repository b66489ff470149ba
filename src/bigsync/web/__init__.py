"""The web edge: one ASGI app (`app.create_app`) that `bigsync serve` runs with its scheduler."""
