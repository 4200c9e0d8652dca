"""Helpers shared by the benchmarks (bench/run.py skips files that start with "_")."""

from __future__ import annotations

from pathlib import Path


class BackendCpu:
    """CPU seconds used so far by the PostgreSQL server process of Django's connection.

    Read from /proc/<pid>/schedstat (nanoseconds) when the server runs on this machine; always
    0.0 on SQLite (it runs in-process, so this process's CPU already has it) or when /proc
    cannot be read. The pid is looked up once, so reading adds no query to what is measured."""

    def __init__(self) -> None:
        from django.db import connection

        self.path: Path | None = None
        if connection.vendor == "postgresql":
            connection.ensure_connection()
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_backend_pid()")
                pid = cursor.fetchone()[0]
            path = Path(f"/proc/{pid}/schedstat")
            self.path = path if path.exists() else None

    def seconds(self) -> float:
        if self.path is None:
            return 0.0
        try:
            return int(self.path.read_text().split()[0]) / 1e9
        except (OSError, ValueError, IndexError):
            return 0.0
