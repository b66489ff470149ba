"""The local database: engine, schema (SQLAlchemy Core), repositories, Alembic migrations."""
