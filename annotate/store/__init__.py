"""Persistence: one SQLite file evolved by numbered migrations."""

from .database import DB_ENV, DEFAULT_DB, Document, JobKey, Store, resolve_db_path

__all__ = ["DB_ENV", "DEFAULT_DB", "Document", "JobKey", "Store", "resolve_db_path"]
