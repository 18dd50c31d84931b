"""Storage: SQLAlchemy 2 on an embedded SQLite file (default) or PostgreSQL."""
