"""Backups: SQLite's online backup API, or pg_dump/pg_restore on PostgreSQL."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from pathlib import Path

import dj_database_url
from django.db import connection


class BackupError(Exception):
    pass


def _pg_env(settings_dict: dict) -> tuple[list[str], dict[str, str]]:
    args = [
        "-h",
        settings_dict.get("HOST") or "127.0.0.1",
        "-p",
        str(settings_dict.get("PORT") or 5432),
        "-U",
        settings_dict.get("USER") or "postgres",
    ]
    env = {**os.environ}
    if settings_dict.get("PASSWORD"):
        env["PGPASSWORD"] = settings_dict["PASSWORD"]
    return args, env


def _require(tool: str) -> str:
    path = shutil.which(tool)
    if not path:
        raise BackupError(f"{tool} is not installed; install the PostgreSQL client tools.")
    return path


def backup(*, target: Path) -> Path:
    """Write a consistent copy of the live database to `target` while the site runs."""
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    if connection.vendor == "sqlite":
        connection.ensure_connection()
        with sqlite3.connect(target) as destination:
            connection.connection.backup(destination)
        return target
    if connection.vendor == "postgresql":
        args, env = _pg_env(connection.settings_dict)
        subprocess.run(
            [
                _require("pg_dump"),
                *args,
                "--format=custom",
                "--no-owner",
                "--file",
                str(target),
                connection.settings_dict["NAME"],
            ],
            check=True,
            env=env,
            capture_output=True,
        )
        return target
    raise BackupError(f"Backups are not supported on {connection.vendor}.")


def restore(*, source: Path, database_url: str | None = None) -> None:
    """Restore `source` into the configured database (or `database_url`), replacing it."""
    source = Path(source)
    if not source.is_file():
        raise BackupError(f"No backup file at {source}.")
    settings_dict = (
        dj_database_url.parse(database_url) if database_url else connection.settings_dict
    )
    engine = settings_dict["ENGINE"]
    if engine.endswith("sqlite3"):
        with sqlite3.connect(source) as origin:
            if origin.execute("PRAGMA integrity_check").fetchone()[0] != "ok":
                raise BackupError("The backup file is damaged (integrity check failed).")
            if not database_url:
                connection.close()
            with sqlite3.connect(settings_dict["NAME"]) as destination:
                origin.backup(destination)
        return
    if "postgresql" in engine:
        args, env = _pg_env(settings_dict)
        result = subprocess.run(
            [
                _require("pg_restore"),
                *args,
                "--clean",
                "--if-exists",
                "--no-owner",
                "--single-transaction",
                "-d",
                settings_dict["NAME"],
                str(source),
            ],
            env=env,
            capture_output=True,
            text=True,
        )
        if result.returncode != 0:
            raise BackupError(result.stderr.strip()[-2000:])
        return
    raise BackupError(f"Restore is not supported on {engine}.")
