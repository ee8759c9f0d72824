"""Alembic migrations of the storage schema (see `storage.migrator` for how they run)."""
