"""Storage: the SQLAlchemy schema, migrations and the engine (SQLite or PostgreSQL)."""
