"""Alembic migrations of the registry database (run by :func:`bizforge.registry.db.connect`)."""
