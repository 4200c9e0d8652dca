from datetime import datetime
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from concierge.core.backup import BackupError, backup


class Command(BaseCommand):
    help = "Back up the database while the site runs (SQLite online backup or pg_dump)."

    def add_arguments(self, parser):
        parser.add_argument("target", nargs="?", help="File to write (default var/backups/…).")

    def handle(self, *args, target=None, **options):
        stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
        path = Path(target or settings.VAR_DIR / "backups" / f"concierge-{stamp}.backup")
        try:
            written = backup(target=path)
        except (BackupError, OSError) as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(str(written))
