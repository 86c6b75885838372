"""Alembic migrations of the registry store, run at startup by :mod:`..store.engine`."""
