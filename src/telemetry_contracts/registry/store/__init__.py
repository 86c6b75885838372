"""The registry's persistent store: SQLAlchemy 2 tables, engines and Alembic migrations."""
