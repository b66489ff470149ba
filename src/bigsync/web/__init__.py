"""The web edge: FastAPI routers over the use-cases; errors become HTTP statuses here."""
